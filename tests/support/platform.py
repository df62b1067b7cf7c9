"""A test LTI 1.3 platform: its own RSA key, a JWKS served over real HTTP, signed id_tokens.

It drives the real flow through the Flask test client: login initiation ->
redirect to the platform's auth endpoint -> signed id_token POSTed to /lti/launch.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, Platform

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOOL_BASE = "https://tool.example.org"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


@cache
def rsa_key(name: str) -> Any:
    """One RSA key per name for the whole run (generating keys is slow)."""
    return RSAKey.generate_key(2048)


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class KeyServer:
    """Serves JWK Sets on 127.0.0.1 and remembers every request (path, headers)."""

    def __init__(self) -> None:
        self.key_sets: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.cache_control: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((self.path, dict(self.headers)))
                body = server.key_sets.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if server.cache_control:
                    self.send_header("Cache-Control", server.cache_control)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fetches(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class TestPlatform:
    """One registration as the platform side sees it."""

    __test__ = False  # a helper, not a test class

    issuer: str
    client_id: str
    deployment_ids: list[str]
    key_server: KeyServer
    auth_login_url: str = "https://lms.example.test/auth"
    auth_token_url: str = "https://lms.example.test/token"
    name: str = "Test LMS"
    kid: str = "platform-key-1"
    key_name: str = "platform"
    extra_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.jwks_path = f"/jwks/{abs(hash((self.issuer, self.client_id)))}"
        self.publish()

    @property
    def key_set_url(self) -> str:
        return self.key_server.url(self.jwks_path)

    def public_jwk(self, key_name: str, kid: str) -> dict[str, Any]:
        jwk = rsa_key(key_name).as_dict(private=False)
        jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
        return jwk

    def publish(self) -> None:
        keys = [self.public_jwk(self.key_name, self.kid)]
        keys += [self.public_jwk(name, kid) for kid, name in self.extra_keys.items()]
        self.key_server.key_sets[self.jwks_path] = {"keys": keys}

    def rotate(self, new_kid: str, key_name: str) -> None:
        """Start signing with a new key, published next to the old one."""
        self.extra_keys[self.kid] = self.key_name
        self.kid, self.key_name = new_kid, key_name
        self.publish()

    def sign(
        self, payload: dict[str, Any], *, kid: str | None = None, key_name: str | None = None,
        alg: str = "RS256", header: dict[str, Any] | None = None,
    ) -> str:
        hdr = {"alg": alg, "kid": kid or self.kid, "typ": "JWT"}
        if header is not None:
            hdr = header
        return jwt.encode(hdr, payload, rsa_key(key_name or self.key_name), algorithms=[alg])

    def login_params(self, fixture: str | None = None, **overrides: str) -> dict[str, str]:
        params = {
            "iss": self.issuer,
            "login_hint": "user-hint-123",
            "target_link_uri": f"{TOOL_BASE}/lti/launch",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_ids[0],
        }
        if fixture:
            params = {k: str(v) for k, v in load_fixture(fixture).items()}
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def payload(self, fixture: str | None = None, *, nonce: str, **claims: Any) -> dict[str, Any]:
        """A launch payload from a fixture (or a minimal one), fresh times and this nonce."""
        now = int(time.time())
        if fixture:
            body = copy.deepcopy(load_fixture(fixture))
            lifetime = body["exp"] - body["iat"]
        else:
            body = minimal_payload(self)
            lifetime = 3600
        body.update({"iat": now, "exp": now + lifetime, "nonce": nonce})
        for key, value in claims.items():
            plain = {"iss", "aud", "azp", "sub", "exp", "iat", "nbf", "nonce", "name", "email",
                     "given_name", "family_name", "picture"}
            name = key if key in plain or key.startswith("http") else CLAIM + key
            if value is REMOVE:
                body.pop(name, None)
            else:
                body[name] = value
        return body


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()


def minimal_payload(p: TestPlatform) -> dict[str, Any]:
    return {
        "iss": p.issuer,
        "aud": p.client_id,
        "sub": "teacher-1",
        "name": "Ada Teacher",
        "given_name": "Ada",
        "family_name": "Teacher",
        "email": "ada@school.example",
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": p.deployment_ids[0],
        CLAIM + "target_link_uri": f"{TOOL_BASE}/lti/launch",
        CLAIM + "resource_link": {"id": "rl-1", "title": "Staffroom"},
        CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        CLAIM + "context": {"id": "course-1", "label": "BIO 7", "title": "Biology Year 7"},
    }


def parse_auth_redirect(location: str) -> dict[str, str]:
    """The query of the tool's redirect to the platform's auth endpoint."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def register(tp: TestPlatform, **fields: Any) -> Platform:
    """Store a registration for the test platform, as the admin page or CLI would."""
    platform = Platform(
        name=fields.pop("name", tp.name),
        issuer=tp.issuer,
        client_id=tp.client_id,
        auth_login_url=tp.auth_login_url,
        auth_token_url=tp.auth_token_url,
        key_set_url=fields.pop("key_set_url", tp.key_set_url),
        **fields,
    )
    platform.deployments = [Deployment(deployment_id=d) for d in tp.deployment_ids]
    db.session.add(platform)
    db.session.commit()
    return platform
