"""A static route server on 127.0.0.1 for adapter tests: path (and query) -> answer.

Routes map "/path" or "/path?query" (the exact query string wins over the bare path) to a
`Reply` or to a function of (path, params) returning one. Other paths go to `fallback` if
set, else get a 404 HTML page.
Every request is logged as its raw path.
"""

from __future__ import annotations

from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from flows.demo.httpserve import LocalServer, Reply, split_path

Route = Reply | Callable[[str, dict[str, str]], Reply]


class RouteServer(LocalServer):
    methods = ("GET",)  # HEAD gets the stdlib's 501
    poll_interval = 0.05
    json_type = "application/json; charset=utf-8"

    def __init__(self, routes: dict[str, Route] | None = None, fallback: Route | None = None):
        super().__init__()
        self.routes: dict[str, Route] = dict(routes or {})
        self.fallback = fallback
        self.log: list[str] = []

    @property
    def netloc(self) -> str:
        return self.url.split("//", 1)[1]

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path, params = split_path(h.path)
        with self.lock:
            self.log.append(h.path)
        route = self.routes.get(h.path) or self.routes.get(path) or self.fallback
        if route is None:
            reply = Reply(404, "<html><body><h1>Not Found</h1></body></html>")
        elif callable(route):
            reply = route(path, params)
        else:
            reply = route
        self._reply(h, method, reply)


def file_reply(data: bytes, content_type: str | None) -> Reply:
    return Reply(200, data, {"Content-Type": content_type} if content_type else {})
