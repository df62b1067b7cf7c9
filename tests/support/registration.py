"""A fake LMS for LTI Dynamic Registration on 127.0.0.1: its OpenID configuration and
registration endpoint, each answer changeable by a test, every request recorded.

Like a real platform, the registration endpoint takes each registration token once.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONFIG_PATH = "/lms/mod/lti/openid-configuration.php"
REGISTRATION_PATH = "/lms/mod/lti/openid-registration.php"
TOKEN = "registration-token-1"  # noqa: S105 (a test value)
OTHER_TOKEN = "registration-token-2"  # noqa: S105 (a test value)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeLms:
    """The platform's side. ``config`` / ``answer`` may be replaced by a test."""

    requests: list[Seen] = field(default_factory=list)
    config_status: int = 200
    config_raw: bytes | None = None
    answer_status: int = 200
    answer: dict[str, Any] | None = None
    answer_raw: bytes | None = None
    delay: float = 0.0
    spent: set[str] = field(default_factory=set)
    config_overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                lms.requests.append(Seen("GET", self.path, dict(self.headers), None))
                if lms.delay:
                    time.sleep(lms.delay)
                if self.path.split("?")[0] != CONFIG_PATH:
                    self._send(404, b"{}")
                    return
                body = lms.config_raw or json.dumps(lms.configuration()).encode()
                self._send(lms.config_status, body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                lms.requests.append(Seen("POST", self.path, dict(self.headers), body))
                if lms.delay:
                    time.sleep(lms.delay)
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ")
                if token not in (TOKEN, OTHER_TOKEN) or token in lms.spent:
                    self._send(401, b'{"error": "invalid_token"}')
                    return
                lms.spent.add(token)
                if lms.answer_raw is not None:
                    self._send(lms.answer_status, lms.answer_raw)
                    return
                answer = lms.answer if lms.answer is not None else {
                    **body,
                    "client_id": "moodle-client-7",
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                        **body["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                        "deployment_id": "12",
                    },
                }
                self._send(lms.answer_status, json.dumps(answer).encode())

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/lms"

    @property
    def config_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{CONFIG_PATH}"

    def configuration(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": base + "/mod/lti/auth.php",
            "token_endpoint": base + "/mod/lti/token.php",
            "jwks_uri": base + "/mod/lti/certs.php",
            "registration_endpoint": f"http://127.0.0.1:{self.port}{REGISTRATION_PATH}",
            "scopes_supported": [
                "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
            ],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle",
                "version": "4.3",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}
                ],
            },
            **self.config_overrides,
        }

    def posts(self) -> list[Seen]:
        return [r for r in self.requests if r.method == "POST"]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
