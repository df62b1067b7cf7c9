"""The practice LMS's identity: its addresses, its signing key, its registration in the tool.

Two sites on one server. The tool is reached at ``http://127.0.0.1:<port>`` and
the practice LMS at ``http://localhost:<port>/demo``. Browsers treat those as
different sites, so Staffroom runs in a truly cross-site iframe with its
``Secure; SameSite=None; Partitioned`` cookies, exactly as inside Canvas or
Moodle, and a cookie problem shows up here rather than at a school.

The platform's RSA key is generated on first use and kept in the instance
folder (never in the repository). Its public half is stored in the tool's
registration as a static key set rather than a key set URL: a single-threaded
server that fetched the practice LMS's key set from itself during a launch
would wait for itself forever.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, request
from joserfc.jwk import RSAKey
from sqlalchemy.exc import IntegrityError

from lti_tool.extensions import db
from lti_tool.lti.frames import invalidate_frame_ancestors
from lti_tool.lti.models import Deployment, Platform

log = logging.getLogger("lti_tool.demo")

PLATFORM_NAME = "Practice LMS"
CLIENT_ID = "staffroom-practice"
DEPLOYMENT_ID = "practice-1"
PRODUCT_FAMILY = "staffroom-practice"
# The blueprint's prefix; the issuer is the LMS origin + this path, as Moodle's
# issuer is its wwwroot (which may include a path).
PREFIX = "/demo"
KEY_FILE = "demo-platform-key.pem"
KEY_SIZE = 2048
TOOL_HOST = "127.0.0.1"
LMS_HOST = "localhost"


@dataclass(frozen=True)
class Endpoints:
    """Every address the practice LMS and the tool use to reach each other."""

    tool_base_url: str
    lms_base_url: str

    @property
    def issuer(self) -> str:
        return self.lms_base_url + PREFIX

    @property
    def course_url(self) -> str:
        return self.lms_base_url + PREFIX + "/"

    @property
    def auth_url(self) -> str:
        return self.lms_base_url + PREFIX + "/auth"

    @property
    def token_url(self) -> str:
        return self.lms_base_url + PREFIX + "/token"

    @property
    def jwks_url(self) -> str:
        return self.lms_base_url + PREFIX + "/jwks.json"

    @property
    def tool_login_url(self) -> str:
        return self.tool_base_url + "/lti/login"

    @property
    def tool_launch_url(self) -> str:
        """The tool's one registered redirect URI and the resource link's target."""
        return self.tool_base_url + "/lti/launch"

    @property
    def tool_origin(self) -> str:
        return _origin(self.tool_base_url)

    @property
    def lms_origin(self) -> str:
        return _origin(self.lms_base_url)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")


def local_endpoints(port: int) -> Endpoints:
    """The addresses of ``flask demo run --port <port>``: tool on 127.0.0.1, LMS on localhost."""
    return Endpoints(f"http://{TOOL_HOST}:{port}", f"http://{LMS_HOST}:{port}")


def lms_base_for(tool_base_url: str) -> str:
    """The practice LMS's base URL for a tool base URL: another site when one is at hand.

    ``127.0.0.1`` and ``localhost`` are the same server but two sites. For any
    other tool address there is no second name to use, so the LMS shares it
    (it still works, but the iframe is then same-site).
    """
    configured = current_app.config.get("DEMO_LMS_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if urlsplit(tool_base_url).hostname == TOOL_HOST:
        return _with_host(tool_base_url, LMS_HOST)
    return tool_base_url


def current_endpoints() -> Endpoints:
    """The addresses for this request: ``PUBLIC_BASE_URL``, or derived from the request.

    Without ``PUBLIC_BASE_URL`` (``flask run`` rather than ``flask demo run``),
    the tool is taken to be on 127.0.0.1 at the port of this request.
    """
    tool = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not tool:
        tool = request.host_url.rstrip("/")
        if urlsplit(tool).hostname == LMS_HOST:
            tool = _with_host(tool, TOOL_HOST)
    return Endpoints(tool, lms_base_for(tool))


# --------------------------------------------------------------------------- the signing key

_key_lock = threading.Lock()
_loaded: dict[str, tuple[int, RSAKey]] = {}


def key_path() -> Path:
    return Path(current_app.instance_path) / KEY_FILE


def _create_key_file(path: Path) -> None:
    """Write a new private key to ``path`` (mode 0600), unless another process just did.

    The key is written to a private temporary file and then hard-linked into
    place, which fails if the file exists: two workers starting together end
    up with one key, and nobody ever reads a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = RSAKey.generate_key(KEY_SIZE).as_pem(private=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-key-")  # created with mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)
            log.info("generated the practice LMS signing key in %s", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def signing_key() -> RSAKey:
    """The practice LMS's private key (``kid`` = its RFC 7638 thumbprint)."""
    path = key_path()
    with _key_lock:
        if not path.exists():
            _create_key_file(path)
        stat = path.stat()
        if stat.st_mode & 0o077:
            path.chmod(0o600)
        cached = _loaded.get(str(path))
        if cached is not None and cached[0] == stat.st_mtime_ns:
            return cached[1]
        key = RSAKey.import_key(path.read_bytes(), {"use": "sig", "alg": "RS256"})
        key.ensure_kid()
        _loaded[str(path)] = (stat.st_mtime_ns, key)
        return key


def public_jwks() -> dict[str, list[dict[str, Any]]]:
    """The practice LMS's JWK Set: what ``/demo/jwks.json`` serves and the tool stores."""
    key = signing_key()
    public = key.as_dict(private=False)
    public.update({"kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": [public]}


# --------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class Registration:
    platform: Platform
    endpoints: Endpoints
    changed: bool


def ensure_registered(tool_base_url: str, lms_base_url: str) -> Registration:
    """Create or update the tool's registration of the practice LMS (idempotent).

    One row is kept for the practice LMS whatever the port: when the port
    changes its issuer and URLs are updated in place, so the course and its
    members recorded by earlier launches stay attached to it. It is created
    active with its deployment; after that, disabling it or removing its
    deployment on the admin page is respected.
    """
    endpoints = Endpoints(tool_base_url.rstrip("/"), lms_base_url.rstrip("/"))
    try:
        platform, changed = _upsert(endpoints)
    except IntegrityError:  # another request registered it at the same moment
        db.session.rollback()
        platform, changed = _upsert(endpoints)
    return Registration(platform=platform, endpoints=endpoints, changed=changed)


def _upsert(endpoints: Endpoints) -> tuple[Platform, bool]:
    candidates = list(
        db.session.scalars(
            db.select(Platform).where(Platform.client_id == CLIENT_ID).order_by(Platform.id)
        )
    )
    platform = next((p for p in candidates if p.issuer == endpoints.issuer), None)
    if platform is None and candidates:
        platform = candidates[0]
    changed = created = platform is None
    if platform is None:
        platform = Platform(client_id=CLIENT_ID, frame_origins=[], active=True)
        db.session.add(platform)
    wanted: dict[str, Any] = {
        "name": PLATFORM_NAME,
        "issuer": endpoints.issuer,
        "auth_login_url": endpoints.auth_url,
        "auth_token_url": endpoints.token_url,
        "auth_audience": None,
        "key_set_url": None,
        "key_set": public_jwks(),
        "product_family": PRODUCT_FAMILY,
    }
    for attr, value in wanted.items():
        if getattr(platform, attr) != value:
            setattr(platform, attr, value)
            changed = True
    # Its addresses and key follow the server; whether it may launch is the
    # administrator's choice: a registration or deployment disabled or removed on the
    # admin page stays so (the practice LMS then shows the refusal a real LMS would get).
    if created:
        platform.deployments.append(Deployment(deployment_id=DEPLOYMENT_ID, name=PLATFORM_NAME))
    if changed:
        db.session.commit()
        invalidate_frame_ancestors()
        log.info("registered the practice LMS: issuer=%s", endpoints.issuer)
    return platform, changed
