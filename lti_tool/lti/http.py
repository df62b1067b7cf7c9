"""Outbound HTTP to platforms: one requests session with a User-Agent and timeouts.

Moodle's key set URL refuses requests without a User-Agent (checklist S4).
"""

from __future__ import annotations

import requests
from flask import current_app

from lti_tool.version import __version__

USER_AGENT = f"Staffroom/{__version__} (LTI 1.3 tool; +https://github.com/staffroom-lti)"


def session() -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    return s


def get(url: str, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", current_app.config["HTTP_TIMEOUT"])
    with session() as s:
        return s.get(url, **kwargs)
