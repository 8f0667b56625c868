"""A small CKAN/DKAN Action API served from package dicts on 127.0.0.1.

Used by `odwatch demo`, the tests and the benchmarks, so the real harvest code runs against a
real HTTP server without the internet. It implements what the harvester uses: package_search
(q=*:*, fq=organization:... and/or metadata_modified:[T TO *], sort, start, rows capped at
1000), package_list, package_show and organization_show. A `fault` hook lets tests answer any request differently (5xx, 429 with
Retry-After, HTML, a slow answer, datasets inserted while paging).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from flows.demo.httpserve import LocalServer, Reply, split_path

ACTION_PATH = re.compile(r"^/api/(?:3/)?action/([a-z_]+)$")


@dataclass
class Request:
    action: str | None
    path: str
    params: dict[str, str]
    n: int  # how many requests this server had answered before this one
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)


Fault = Callable[[Request, "LocalPortal"], Reply | None]


def _envelope(result: Any = None, error: dict | None = None, action: str = "") -> dict:
    if error is not None:
        return {"help": f"/api/3/action/help_show?name={action}", "success": False, "error": error}
    return {"help": f"/api/3/action/help_show?name={action}", "success": True, "result": result}


class LocalPortal(LocalServer):
    """Serve `packages` as a CKAN portal; `platform='dkan'` serves only list/show."""

    def __init__(
        self,
        packages: list[dict],
        platform: str = "ckan",
        fault: Fault | None = None,
        max_rows: int = 1000,
    ):
        super().__init__()
        self.packages = list(packages)
        self.platform = platform
        self.fault = fault
        self.max_rows = max_rows
        self.calls: Counter[str] = Counter()
        self.log: list[Request] = []

    # -------------------------------------------------------------- handling
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path, params = split_path(h.path)
        m = ACTION_PATH.match(path)
        action = m.group(1) if m else None
        with self.lock:
            req = Request(action, path, params, len(self.log))
            self.log.append(req)
            self.calls[action or path] += 1
        reply = self.fault(req, self) if self.fault else None
        if reply is None:
            reply = self.answer(req)
        if reply.delay:
            time.sleep(reply.delay)
        self._reply(h, method, reply)

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
