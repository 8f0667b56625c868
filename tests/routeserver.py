"""A static route server on 127.0.0.1 for adapter tests: path (and query) -> answer.

Routes map "/path" or "/path?query" (the exact query string wins over the bare path) to a
`Reply` or to a function of (path, params) returning one. Other paths go to `fallback` if
set, else get a 404 HTML page.
Every request is logged as its raw path.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from flows.localportal import Reply

Route = Reply | Callable[[str, dict[str, str]], Reply]


class RouteServer:
    def __init__(self, routes: dict[str, Route] | None = None, fallback: Route | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.fallback = fallback
        self.log: list[str] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def netloc(self) -> str:
        return self.url.split("//", 1)[1]

    def start(self) -> RouteServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RouteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self.lock:
            self.log.append(h.path)
        route = self.routes.get(h.path) or self.routes.get(parts.path) or self.fallback
        if route is None:
            reply = Reply(404, "<html><body><h1>Not Found</h1></body></html>")
        elif callable(route):
            reply = route(parts.path, params)
        else:
            reply = route
        body, headers = reply.body, dict(reply.headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False)
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        if isinstance(body, str):
            body = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        try:
            h.send_response(reply.status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def file_reply(data: bytes, content_type: str | None) -> Reply:
    return Reply(200, data, {"Content-Type": content_type} if content_type else {})
