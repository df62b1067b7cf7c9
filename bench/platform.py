"""The platform side of the benchmark: an RSA key, its JWK Set over HTTP, signed id_tokens.

The JWK Set server counts its hits because the tool must not fetch a key set on
the hot path of a launch: it caches the set in Redis and refetches only for an
unknown kid (``lti_tool/lti/keysets.py``). A run should show one fetch at most.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
JWKS_PATH = "/jwks.json"


class KeySetServer:
    """Serves one JWK Set on 127.0.0.1 in a background thread and counts the fetches."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._body = json.dumps(jwks).encode()
        self._lock = threading.Lock()
        self._fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path != JWKS_PATH:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with server._lock:
                    server._fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server._body)))
                self.end_headers()
                self.wfile.write(server._body)

            def log_message(self, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{JWKS_PATH}"

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class BenchPlatform:
    """One registration as the LMS sees it: issuer, client_id, deployment, signing key.

    ``teachers`` distinct people are spread over ``courses`` courses, so the
    tool's upserts of Person, Course and Membership see a realistic mix of
    first launches and returning teachers.
    """

    def __init__(
        self, issuer: str, client_id: str, deployment_id: str, tool_base: str,
        *, teachers: int = 500, courses: int = 10,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.tool_base = tool_base
        self.teachers = teachers
        self.courses = courses
        self.kid = "bench-platform-key-1"
        self._key = RSAKey.generate_key(2048)
        self.auth_login_url = issuer.rstrip("/") + "/auth"

    def jwks(self) -> dict[str, Any]:
        public = self._key.as_dict(private=False)
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    @property
    def target_link_uri(self) -> str:
        return self.tool_base + "/lti/launch"

    def login_params(self, teacher: int) -> dict[str, str]:
        """The third-party initiated login the LMS posts to ``/lti/login``."""
        return {
            "iss": self.issuer,
            "login_hint": f"hint-{teacher}",
            "target_link_uri": self.target_link_uri,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }

    def course_of(self, teacher: int) -> int:
        return teacher % self.courses

    @staticmethod
    def course_title(course: int) -> str:
        return f"Bench Course {course:02d}"

    def payload(self, teacher: int, nonce: str) -> dict[str, Any]:
        """Every claim of a valid LtiResourceLinkRequest for this teacher, with this nonce."""
        now = int(time.time())
        course = self.course_of(teacher)
        return {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": f"bench-teacher-{teacher}",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": f"Teacher {teacher}",
            "given_name": "Teacher",
            "family_name": str(teacher),
            "email": f"teacher{teacher}@bench.example",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": self.target_link_uri,
            CLAIM + "resource_link": {"id": f"rl-{course}", "title": "Staffroom"},
            CLAIM + "roles": [INSTRUCTOR],
            CLAIM + "context": {
                "id": f"bench-course-{course}",
                "label": f"BENCH {course}",
                "title": self.course_title(course),
            },
        }

    def sign(self, payload: dict[str, Any]) -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        return jwt.encode(header, payload, self._key, algorithms=["RS256"])
