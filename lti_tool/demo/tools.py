"""The tools the practice LMS knows: the one ``flask demo`` seeds, and those registered by URL.

The seeded registration (client_id ``staffroom-practice``) is set up on both sides by
:func:`lti_tool.demo.platform.ensure_registered`. A tool registered by LTI Dynamic
Registration (``/demo/register-tool``) gets its own client_id and deployment id; the
practice LMS keeps what the tool said about itself (its login URL, redirect URIs,
target link URI) in ``demo-tools.json`` in the instance folder (never in the
repository), so it survives a restart like the practice LMS's key.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from lti_tool.demo.platform import CLIENT_ID, DEPLOYMENT_ID, Endpoints

TOOLS_FILE = "demo-tools.json"
CLIENT_ID_PREFIX = "practice-dr-"
_lock = threading.Lock()


@dataclass(frozen=True)
class Tool:
    """A tool registration, as the practice LMS launches it."""

    client_id: str
    deployment_id: str
    name: str
    login_url: str
    target_link_uri: str
    redirect_uris: tuple[str, ...]
    scope: str = ""
    registered_at: str = ""
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def seeded(self) -> bool:
        return self.client_id == CLIENT_ID


def seeded(endpoints: Endpoints) -> Tool:
    """The registration ``flask demo`` makes: Staffroom at this server's address."""
    return Tool(
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        name="Staffroom",
        login_url=endpoints.tool_login_url,
        target_link_uri=endpoints.tool_launch_url,
        redirect_uris=(endpoints.tool_launch_url,),
    )


def _path() -> Path:
    return Path(current_app.instance_path) / TOOLS_FILE


def _read() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_path().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _tool(data: dict[str, Any]) -> Tool:
    return Tool(**{**data, "redirect_uris": tuple(data.get("redirect_uris") or ()),
                   "messages": tuple(data.get("messages") or ())})


def registered() -> list[Tool]:
    """Every tool registered by URL, newest first."""
    tools = [_tool(d) for d in _read().values() if isinstance(d, dict)]
    return sorted(tools, key=lambda t: t.registered_at, reverse=True)


def find(client_id: str | None, endpoints: Endpoints) -> Tool | None:
    """The seeded tool or a registered one, by client_id."""
    if not client_id or client_id == CLIENT_ID:
        return seeded(endpoints)
    data = _read().get(client_id)
    return _tool(data) if isinstance(data, dict) else None


def add(tool_data: dict[str, Any]) -> Tool:
    """Store a new registration under a fresh client_id and deployment id."""
    number = secrets.token_hex(4)
    tool = Tool(
        client_id=CLIENT_ID_PREFIX + number,
        deployment_id="practice-dr-deployment-" + number,
        **tool_data,
    )
    path = _path()
    with _lock:
        data = _read()
        data[tool.client_id] = asdict(tool)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-tools-")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, path)
    return tool
