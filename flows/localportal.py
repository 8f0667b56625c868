"""A small CKAN/DKAN Action API served from package dicts on 127.0.0.1.

Used by `odwatch demo`, the tests and the benchmarks, so the real harvest code runs against a
real HTTP server without the internet. It implements what the harvester uses: package_search
(q=*:*, fq=organization:... and/or metadata_modified:[T TO *], sort, start, rows capped at
1000), package_list, package_show and organization_show. A `fault` hook lets tests answer any request differently (5xx, 429 with
Retry-After, HTML, a slow answer, datasets inserted while paging).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACTION_PATH = re.compile(r"^/api/(?:3/)?action/([a-z_]+)$")


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Request:
    action: str | None
    path: str
    params: dict[str, str]
    n: int  # how many requests this server had answered before this one


Fault = Callable[[Request, "LocalPortal"], Reply | None]


def _envelope(result: Any = None, error: dict | None = None, action: str = "") -> dict:
    if error is not None:
        return {"help": f"/api/3/action/help_show?name={action}", "success": False, "error": error}
    return {"help": f"/api/3/action/help_show?name={action}", "success": True, "result": result}


class LocalPortal:
    """Serve `packages` as a CKAN portal; `platform='dkan'` serves only list/show."""

    def __init__(
        self,
        packages: list[dict],
        platform: str = "ckan",
        fault: Fault | None = None,
        max_rows: int = 1000,
    ):
        self.packages = list(packages)
        self.platform = platform
        self.fault = fault
        self.max_rows = max_rows
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.log: list[Request] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalPortal:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def setup(self):
                super().setup()
                # headers and body go out in two writes: without this, Nagle + delayed ACK
                # add ~40 ms to every keep-alive request
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802
                portal._handle(self)

            def do_HEAD(self) -> None:  # noqa: N802
                portal._handle(self, head=True)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- handling
    def _handle(self, h: BaseHTTPRequestHandler, head: bool = False) -> None:
        parts = urlsplit(h.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        m = ACTION_PATH.match(parts.path)
        action = m.group(1) if m else None
        with self.lock:
            req = Request(action, parts.path, params, len(self.log))
            self.log.append(req)
            self.calls[action or parts.path] += 1
        reply = self.fault(req, self) if self.fault else None
        if reply is None:
            reply = self.answer(req)
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        headers = dict(reply.headers)
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
            headers.setdefault("Content-Type", "application/json;charset=utf-8")
        if isinstance(body, str):
            body = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        try:
            h.send_response(reply.status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if not head:
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self, req: Request) -> Reply:
        """The normal CKAN answer to a request."""
        if req.action is None:
            return Reply(404, "<html><body><h1>Not Found</h1></body></html>")
        allowed = (
            {"package_list", "package_show"}
            if self.platform == "dkan"
            else {"package_search", "package_list", "package_show", "organization_show"}
        )
        if req.action not in allowed:
            if self.platform == "dkan":
                return Reply(404, "<html><body>Page not found</body></html>")
            return Reply(
                400,
                _envelope(
                    error={
                        "message": f"Bad request - Action name not known: {req.action}",
                        "__type": "Bad Request",
                    },
                    action=req.action,
                ),
            )
        with self.lock:
            packages = list(self.packages)
        return getattr(self, "_" + req.action)(req, packages)

    def _package_search(self, req: Request, packages: list[dict]) -> Reply:
        p = req.params
        org = None
        fq = p.get("fq", "")
        m = re.search(r'organization:"?([^"\s]+)"?', fq)
        if m:
            org = m.group(1)
        if org is not None:
            packages = [x for x in packages if _org_name(x) == org]
        m = re.search(r"metadata_modified:\[(\S+) TO (\S+)\]", fq)
        if m:
            low, high = (None if v == "*" else _ts(v) for v in m.groups())
            packages = [
                x
                for x in packages
                if (low is None or _ts(x.get("metadata_modified")) >= low)
                and (high is None or _ts(x.get("metadata_modified")) <= high)
            ]
        sort = p.get("sort", "")
        if sort.startswith("metadata_created"):
            packages.sort(key=lambda x: (x.get("metadata_created") or "", x.get("name") or ""))
        try:
            start = max(0, int(p.get("start", 0)))
            rows = min(self.max_rows, max(0, int(p.get("rows", 10))))
        except ValueError:
            return Reply(
                409,
                _envelope(
                    error={
                        "message": "Search Query Error: bad start/rows",
                        "__type": "Search Query Error",
                    },
                    action="package_search",
                ),
            )
        page = packages[start : start + rows]
        return Reply(
            200,
            _envelope(
                {
                    "count": len(packages),
                    "sort": sort,
                    "facets": {},
                    "results": page,
                    "search_facets": {},
                },
                action="package_search",
            ),
        )

    def _package_list(self, req: Request, packages: list[dict]) -> Reply:
        return Reply(
            200, _envelope([x.get("name") or x.get("id") for x in packages], action="package_list")
        )

    def _package_show(self, req: Request, packages: list[dict]) -> Reply:
        key = req.params.get("id")
        for x in packages:
            if key in (x.get("id"), x.get("name")):
                return Reply(
                    200, _envelope([x] if self.platform == "dkan" else x, action="package_show")
                )
        return Reply(
            404,
            _envelope(
                error={"message": "Not found", "__type": "Not Found Error"}, action="package_show"
            ),
        )

    def _organization_show(self, req: Request, packages: list[dict]) -> Reply:
        key = req.params.get("id")
        mine = [x for x in packages if _org_name(x) == key]
        if not mine:
            return Reply(
                404,
                _envelope(
                    error={"message": "Not found", "__type": "Not Found Error"},
                    action="organization_show",
                ),
            )
        org = dict(mine[0].get("organization") or {"name": key})
        org["packages"] = [{"name": x.get("name"), "id": x.get("id")} for x in mine]
        return Reply(200, _envelope(org, action="organization_show"))


def _ts(value: object) -> datetime:
    """A CKAN/Solr timestamp as an aware datetime (CKAN writes UTC without an offset)."""
    try:
        ts = datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _org_name(pkg: dict) -> str | None:
    org = pkg.get("organization")
    if isinstance(org, dict):
        return org.get("name")
    return None
