"""A local HTTP server with one path per fault a link checker meets (for tests and bench).

Paths (HEAD and GET):
  /ok                  200 text/csv with Last-Modified and ETag
  /redirect/N          301 -> /redirect/N-1 ... -> /ok  (a chain of N redirects)
  /loop/a, /loop/b     302 to each other (a redirect loop)
  /status/CODE         that status (404, 410, 500 ...)
  /challenge           403 with cf-mitigated: challenge (Cloudflare's bot check)
  /retry-after/N       429 with Retry-After: N on the first request, then 200
  /always-429/N        429 with Retry-After: N, always
  /slow/SECONDS        waits, then 200
  /head-405            HEAD 405, GET 200
  /big/MB              200 with a body of MB megabytes, streamed
  /to/URL-ENCODED      302 to the given URL
  /file/NAME           a file from `files` (bytes), with `types` as Content-Type
Every request is logged as (method, path, monotonic time).
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from flows.demo.httpserve import LocalServer

LAST_MODIFIED = "Tue, 01 Oct 2024 08:00:00 GMT"


class FaultServer(LocalServer):
    nodelay = False  # Nagle stays on here, as it always has

    def __init__(self, files: dict[str, bytes] | None = None, types: dict[str, str] | None = None):
        super().__init__()
        self.files = files or {}
        self.types = types or {}
        self.log: list[tuple[str, str, float]] = []
        self.counts: dict[str, int] = {}

    def requests_to(self, path: str) -> list[tuple[str, float]]:
        with self.lock:
            return [(m, t) for m, p, t in self.log if p == path]

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = h.path
        with self.lock:
            self.log.append((method, path, time.monotonic()))
            self.counts[path] = self.counts.get(path, 0) + 1
            n = self.counts[path]
        parts = urlsplit(path).path.strip("/").split("/", 1)
        head, rest = parts[0], parts[1] if len(parts) > 1 else ""
        html = {"Content-Type": "text/html; charset=utf-8"}
        if head == "ok":
            self._send(
                h,
                method,
                200,
                b"a,b\n1,2\n",
                {"Content-Type": "text/csv", "Last-Modified": LAST_MODIFIED, "ETag": '"v1"'},
            )
        elif head == "redirect":
            left = int(rest or 0)
            target = "/ok" if left <= 1 else f"/redirect/{left - 1}"
            self._send(h, method, 301, b"", {"Location": target})
        elif head == "loop":
            self._send(h, method, 302, b"", {"Location": "/loop/b" if rest == "a" else "/loop/a"})
        elif head == "status":
            self._send(h, method, int(rest), b"<html>nope</html>", html)
        elif head == "challenge":
            body = b"<!DOCTYPE html><html><title>Just a moment...</title></html>"
            self._send(h, method, 403, body, {**html, "cf-mitigated": "challenge"})
        elif head == "retry-after":
            if n == 1:
                self._send(h, method, 429, b"slow down", {"Retry-After": rest})
            else:
                self._send(h, method, 200, b"ok", {"Content-Type": "text/plain"})
        elif head == "always-429":
            self._send(h, method, 429, b"slow down", {"Retry-After": rest})
        elif head == "slow":
            time.sleep(float(rest))
            self._send(h, method, 200, b"late", {"Content-Type": "text/plain"})
        elif head == "head-405":
            if method == "HEAD":
                self._send(h, method, 405, b"", {"Allow": "GET"})
            else:
                self._send(h, method, 200, b"x,y\n1,2\n", {"Content-Type": "text/csv"})
        elif head == "big":
            size = int(float(rest) * 1024 * 1024)
            try:
                h.send_response(200)
                h.send_header("Content-Type", "text/csv")
                h.send_header("Content-Length", str(size))
                h.end_headers()
                if method == "GET":
                    line = b"1234567,abcdefg\n"
                    chunk = line * 4096
                    sent = 0
                    while sent < size:
                        piece = chunk[: size - sent]
                        h.wfile.write(piece)
                        sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif head == "to":
            self._send(h, method, 302, b"", {"Location": unquote(rest)})
        elif head == "file" and rest in self.files:
            ctype = self.types.get(rest, "application/octet-stream")
            self._send(h, method, 200, self.files[rest], {"Content-Type": ctype})
        else:
            self._send(h, method, 404, b"<html>not found</html>", html)
