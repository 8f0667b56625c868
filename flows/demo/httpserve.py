"""The scaffolding of odwatch's local HTTP servers (the demo portal, the test servers).

`LocalServer` serves on 127.0.0.1 (a free port) from a daemon thread, quietly, as a context
manager; a subclass answers each request in `_handle(h, method)`, usually with `_reply`.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def split_path(raw: str) -> tuple[str, dict[str, str]]:
    """A request path as (path, params); a repeated parameter keeps its last value."""
    parts = urlsplit(raw)
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return parts.path, params


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1; subclasses implement `_handle`."""

    methods: tuple[str, ...] = ("GET", "HEAD")  # others get the stdlib's 501
    nodelay = True
    poll_interval = 0.5
    json_type = "application/json;charset=utf-8"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                if owner.nodelay:
                    # headers and body go out in two writes: without this, Nagle + delayed ACK
                    # add ~40 ms to every keep-alive request
                    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        for method in self.methods:
            setattr(Handler, f"do_{method}", lambda h, m=method: owner._handle(h, m))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError

    def _reply(self, h: BaseHTTPRequestHandler, method: str, reply: Reply) -> None:
        """Write `reply`: a dict or list body as JSON, a str as HTML, bytes as they are."""
        body, headers = reply.body, dict(reply.headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False)
            headers.setdefault("Content-Type", self.json_type)
        if isinstance(body, str):
            body = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        self._send(h, method, reply.status, body, headers)

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        method: str,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Write one answer (no body for HEAD); a client that hung up gets nothing."""
        try:
            h.send_response(status)
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if method != "HEAD":
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
