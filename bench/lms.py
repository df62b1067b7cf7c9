"""A school's LMS for the page benchmark: key set, service token, rosters, and launches.

The page benchmark fills a school the way a real one fills: teachers launch
Staffroom from their courses, and the course rosters (Names and Role
Provisioning) bring in every teacher and learner. This module plays the LMS:

* an HTTP server on 127.0.0.1 (a thread) serving the platform's JWK Set, a
  token endpoint (any client assertion gets a token) and one NRPS membership
  container per course;
* :meth:`SchoolLms.launch`, a complete LTI 1.3 launch (login, signed id_token,
  launch) through a Flask test client, which leaves that client signed in.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = LIS + "Instructor"
LEARNER = LIS + "Learner"
ISSUER = "https://lms.bench.test"
DEPLOYMENT = "bench-deployment"


@dataclass(frozen=True)
class Member:
    """Someone on a course roster, as the LMS describes them."""

    sub: str
    given_name: str
    family_name: str
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def nrps(self) -> dict[str, Any]:
        return {
            "user_id": self.sub, "status": "Active", "roles": list(self.roles),
            "name": self.name, "given_name": self.given_name, "family_name": self.family_name,
            "email": f"{self.sub}@school.bench.test",
        }


class SchoolLms:
    """The LMS side of one school: its key, its HTTP endpoints and its course rosters."""

    def __init__(self, tool_base: str) -> None:
        self.tool_base = tool_base
        self.client_id = "staffroom-" + secrets.token_hex(4)
        self.kid = "bench-lms-key"
        self._key = RSAKey.generate_key(2048)
        self.rosters: dict[str, list[Member]] = {}
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = urlsplit(self.path).path
                if path == "/jwks.json":
                    self._send(200, lms.jwks())
                elif path.startswith("/nrps/") and path[6:] in lms.rosters:
                    context_id = path[6:]
                    self._send(200, {
                        "id": lms.url(path),
                        "context": {"id": context_id},
                        "members": [m.nrps() for m in lms.rosters[context_id]],
                    })
                else:
                    self._send(404, {})

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._send(200, {"access_token": secrets.token_hex(16),
                                 "token_type": "Bearer", "expires_in": 3600})

            def log_message(self, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def jwks(self) -> dict[str, Any]:
        public = self._key.as_dict(private=False)
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def register(self, app: Flask) -> int:
        """Register this LMS with the tool, as an administrator would; the platform's id."""
        from lti_tool.extensions import db
        from lti_tool.lti import keys
        from lti_tool.lti.registrations import PlatformData, create_platform

        with app.app_context():
            keys.ensure_key()
            platform = create_platform(
                PlatformData(
                    name="Bench school LMS", issuer=ISSUER, client_id=self.client_id,
                    auth_login_url=ISSUER + "/auth", auth_token_url=self.url("/token"),
                    key_set_url=self.url("/jwks.json"),
                ),
                [DEPLOYMENT],
            )
            platform_id = int(platform.id)
            db.session.remove()
        return platform_id

    def launch(self, client: FlaskClient, member: Member, context_id: str, title: str,
               *, roster: bool = False) -> None:
        """A complete launch of ``member`` from the course ``context_id``; ``client`` is then
        signed in. With ``roster``, the launch offers the course's roster service (NRPS)."""
        login = client.post("/lti/login", data={
            "iss": ISSUER, "login_hint": member.sub, "client_id": self.client_id,
            "target_link_uri": self.tool_base + "/lti/launch",
            "lti_deployment_id": DEPLOYMENT,
        })
        if login.status_code != 302:
            raise RuntimeError(f"the login was refused ({login.status_code})")
        query = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER, "aud": self.client_id, "sub": member.sub,
            "iat": now, "exp": now + 300, "nonce": query["nonce"],
            "name": member.name, "given_name": member.given_name,
            "family_name": member.family_name, "email": f"{member.sub}@school.bench.test",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT,
            CLAIM + "target_link_uri": self.tool_base + "/lti/launch",
            CLAIM + "resource_link": {"id": f"rl-{context_id}", "title": "Staffroom"},
            CLAIM + "roles": list(member.roles),
            CLAIM + "context": {"id": context_id, "label": context_id.upper(), "title": title},
            CLAIM + "launch_presentation": {"locale": "en-GB"},
        }
        if roster:
            claims[NRPS_CLAIM] = {
                "context_memberships_url": self.url(f"/nrps/{context_id}"),
                "service_versions": ["2.0"],
            }
        token = jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims, self._key,
                           algorithms=["RS256"])
        landed = client.post("/lti/launch", data={"id_token": token, "state": query["state"]})
        if landed.status_code != 200:
            raise RuntimeError(f"the launch was refused ({landed.status_code}): "
                               f"{landed.get_data(as_text=True)[:300]}")
        landed.close()
