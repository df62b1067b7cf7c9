"""A fake platform's service side on 127.0.0.1: a token endpoint and paged NRPS answers.

Shared by the service, NRPS and roster tests, so that the requests session,
headers, timeouts and shared cache under test are the ones production uses.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from lti_tool.lti.models import Platform
from tests.support.platform import TestPlatform, register


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class ServiceServer:
    """A platform's service side: a token endpoint (any POST) and JSON pages (GET).

    GET requests need ``Authorization: Bearer <a token this server issued>``
    (and not revoked), like a real platform; every request is recorded.
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.token_status = 200
        self.token_fields: dict[str, Any] = {"token_type": "Bearer", "expires_in": 3600}
        self.token_raw: bytes | None = None
        self.token_delay = 0.0
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.pages: dict[str, tuple[int, dict[str, str], Any]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self, form: dict[str, str]) -> None:
                with server._lock:
                    server.requests.append(
                        Recorded(self.command, self.path, dict(self.headers), form)
                    )

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                self._record({k: v[0] for k, v in parse_qs(raw).items()})
                if server.token_delay:
                    time.sleep(server.token_delay)
                if server.token_raw is not None:
                    self._send(server.token_status, server.token_raw, {})
                    return
                with server._lock:
                    token = f"token-{len(server.issued) + 1}"
                    server.issued.append(token)
                fields = {"access_token": token, **server.token_fields}
                body = {k: v for k, v in fields.items() if v is not None}
                if server.token_status != 200:
                    body = {"error": "invalid_client", "error_description": "no"}
                self._send(server.token_status, json.dumps(body).encode(),
                           {"Content-Type": "application/json"})

            def do_GET(self) -> None:  # noqa: N802
                self._record({})
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ")
                if not auth.startswith("Bearer ") or token not in server.issued or (
                    token in server.revoked
                ):
                    self._send(401, b'{"error": "invalid_token"}', {})
                    return
                if self.path not in server.pages:
                    self._send(404, b"{}", {})
                    return
                status, headers, body = server.pages[self.path]
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self._send(status, data, headers)

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: Any, headers: dict[str, str] | None = None,
              status: int = 200) -> None:
        self.pages[path] = (status, headers or {"Content-Type": "application/json"}, body)

    @property
    def token_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    @property
    def service_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "GET"]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def register_with_services(
    key_server, services: ServiceServer, *, client_id: str = "client-abc",
    token_path: str = "/token", **fields: Any,
) -> Platform:
    """Register a test platform whose token endpoint is the local service server."""
    tp = TestPlatform(
        issuer="https://lms.example.test",
        client_id=client_id,
        deployment_ids=["deployment-1"],
        key_server=key_server,
        auth_token_url=services.url(token_path),
    )
    return register(tp, **fields)
