"""`odwatch reparse`: rebuild snapshots' rows from their stored raw pages (no network).

Every API response of a harvest is kept in `raw_pages`. Reparsing a run replays those
responses, in the order they were received, to the *current* adapter code: the platform's
fetch function runs as in a harvest, but on `ReplaySession`, whose `get()` answers each
request with the next stored page instead of the network, and every record is parsed by the
current parse function. So a fixed adapter (a field read wrongly, a licence taken from the
wrong place) can be replayed over old snapshots, and then re-assessed.

- Per run, atomic: the run's own rows are replaced in one transaction; any failure (the
  adapter asks for a page the run does not have, a page no longer parses) rolls it back
  and the old rows stay, with a one-line error.
- Each request must match the stored page it is answered with: same path, same query
  parameter names, and both or neither asking for changes only (an incremental harvest).
- An incremental snapshot's carried-forward datasets point at the rows of the earlier run
  that fetched them: reparse that run to change them. Later snapshots that carried this
  run's rows forward see the new rows too (they share them).
- Then the reparsed runs are assessed again under the current method (unless --no-assess),
  and 5-star levels are recomputed where the run is its portal's latest snapshot.

This module replays; the SQL it runs (stored pages, the replacing transaction) is in
``warehouse/reparse.py``.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from flows.adapters.errors import PortalError
from flows.adapters.http import USER_AGENT
from flows.config import Portal
from flows.harvest import ADAPTERS
from warehouse.records import Warehouse
from warehouse.reparse import (
    latest_portals,
    own_row_counts,
    previous_ids,
    replacing_run_rows,
    run_row,
)
from warehouse.store import WarehouseError, stored_pages

# Text in a request URL that shows it asks for changes only (CKAN fq, ckanext-dcat,
# Opendatasoft's ODSQL where): the replay takes the incremental path iff the run did.
CHANGES_ONLY = ("metadata_modified:[", "modified_since=", "modified >= date'")
_CHARSET = re.compile(r"charset\s*=\s*\"?[A-Za-z0-9._-]+\"?", re.I)
_XML_DECL = re.compile(rb"""^(\s*<\?xml[^>]*encoding\s*=\s*["'])([A-Za-z0-9._-]+)(["'])""")


class ReparseError(WarehouseError):
    """A run that cannot be reparsed; str() is one line. The run's rows are unchanged."""


@dataclass(frozen=True)
class StoredPage:
    seq: int
    url: str
    status: int | None
    content_type: str | None
    body: str


def _changes_only(url: str) -> bool:
    text = unquote_plus(url)
    return any(marker in text for marker in CHANGES_ONLY)


def _shape(url: str, params: dict | None = None) -> tuple[str, tuple[str, ...], bool]:
    parts = urlsplit(url)
    keys = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    keys |= set(params or {})
    full = url + ("?" + "&".join(f"{k}={v}" for k, v in (params or {}).items()) if params else "")
    return parts.path.rstrip("/") or "/", tuple(sorted(keys)), _changes_only(full)


class _Headers(dict):
    """Case-insensitive .get(), as requests' headers."""

    def get(self, key, default=None):  # type: ignore[override]
        for k, v in self.items():
            if k.lower() == str(key).lower():
                return v
        return default


class StoredResponse:
    """What the adapters read of a requests.Response, from a stored page. The body was
    stored as decoded text; it is handed back as UTF-8 and says so (charset, XML
    declaration), so it decodes to the same text again."""

    def __init__(self, page: StoredPage):
        self.url = page.url
        self.status_code = page.status or 200
        ctype = page.content_type
        if ctype and _CHARSET.search(ctype):
            ctype = _CHARSET.sub("charset=utf-8", ctype)
        self.headers = _Headers({"Content-Type": ctype} if ctype else {})
        self.text = page.body
        content = page.body.encode("utf-8", "replace")
        self.content = _XML_DECL.sub(rb"\g<1>utf-8\g<3>", content[:400], count=1) + content[400:]
        self.encoding = "utf-8"

    def iter_content(self, chunk_size: int = 1):
        """The body in chunks, as the capped reader (flows.adapters.http.read_capped) reads
        a streamed answer; a stored page is at most the cap it was read with."""
        for i in range(0, len(self.content), chunk_size):
            yield self.content[i : i + chunk_size]

    def close(self) -> None:
        pass


class ReplaySession:
    """A stand-in for requests.Session that answers from a run's stored pages, in order."""

    def __init__(self, run_id: str, pages: list[StoredPage]):
        self.run_id = run_id
        self.pages = deque(pages)
        self.headers = {"User-Agent": USER_AGENT}
        self.used = 0

    def get(self, url: str, params: dict | None = None, **kwargs) -> StoredResponse:
        if not self.pages:
            raise ReparseError(
                f"run {self.run_id}: the current adapter asks for {url} after the last of the "
                f"{self.used} stored pages; it cannot be replayed"
            )
        page = self.pages.popleft()
        if _shape(url, params) != _shape(page.url):
            raise ReparseError(
                f"run {self.run_id}: the current adapter asks for {url} where stored page "
                f"{page.seq} answered {page.url}; it cannot be replayed"
            )
        self.used += 1
        return StoredResponse(page)

    def close(self) -> None:
        pass


@dataclass
class ReparseResult:
    run_id: str
    portal_id: str
    datasets_before: int
    distributions_before: int
    datasets: int = 0
    distributions: int = 0
    pages: int = 0
    pages_unused: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        unused = f" ({self.pages_unused} not asked for)" if self.pages_unused else ""
        return (
            f"{self.run_id}\t{self.portal_id}\t{self.datasets_before} -> {self.datasets} datasets"
            f"\t{self.distributions_before} -> {self.distributions} distributions"
            f"\t{self.pages} pages{unused}\t{self.seconds:.1f}s"
        )


def _stored_pages(wh: Warehouse, run_id: str) -> list[StoredPage]:
    return [StoredPage(*row) for row in stored_pages(wh.con, run_id)]


def _unknown(wh: Warehouse, run_id: str) -> ReparseError:
    return ReparseError(
        f"{wh.path}: no harvest run '{run_id}'; 'odwatch status' lists the portals, "
        "harvest_runs the run ids"
    )


def reparse_run(wh: Warehouse, run_id: str) -> ReparseResult:
    """Replace one complete snapshot's own rows by those the current adapter code parses
    from its stored raw pages. Atomic: on any failure the old rows stay (ReparseError)."""
    started = time.monotonic()
    row = run_row(wh.con, run_id)
    if row is None:
        raise _unknown(wh, run_id)
    portal_id, platform, api_url, organization, status, started_at = row
    if status != "ok":
        raise ReparseError(
            f"run '{run_id}' is {status}, not a complete snapshot: nothing to reparse"
        )
    if platform not in ADAPTERS:
        raise ReparseError(f"run '{run_id}': platform '{platform}' has no adapter in this odwatch")
    pages = _stored_pages(wh, run_id)
    if not pages:
        raise ReparseError(f"run '{run_id}' has no stored raw pages: it cannot be reparsed")
    before = own_row_counts(wh.con, run_id)
    result = ReparseResult(run_id, portal_id, before[0], before[1])
    adapter = ADAPTERS[platform]
    portal = Portal(portal_id, portal_id, portal_id, platform, api_url, organization=organization)
    kwargs: dict = {}
    if any(_changes_only(p.url) for p in pages):  # the run took the incremental path
        kwargs["since"] = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
        if adapter.needs_known_ids:
            kwargs["known"] = previous_ids(wh.con, portal_id, started_at)
    session = ReplaySession(run_id, pages)
    try:
        with replacing_run_rows(wh.con, run_id, portal_id):  # one transaction
            for batch in adapter.fetch(portal.source, session, lambda resp: None, [], **kwargs):
                datasets, distributions = [], []
                for raw in batch:
                    dataset, dists = adapter.parse(raw, portal_id, api_url, run_id)
                    datasets.append(dataset)
                    distributions.extend(dists)
                result.datasets += wh.add_records("dataset_rows", datasets)
                result.distributions += wh.add_records("distribution_rows", distributions)
    except ReparseError:
        raise
    except PortalError as exc:  # rolled back
        raise ReparseError(f"run '{run_id}': a stored page no longer parses: {exc}") from None
    result.pages, result.pages_unused = session.used, len(session.pages)
    result.seconds = time.monotonic() - started
    return result


def reparse_runs(
    wh: Warehouse,
    run_ids: list[str],
    *,
    assess: bool = True,
    expectations: bool = True,
    progress=None,
) -> list[ReparseResult]:
    """Reparse each run (each atomically), then re-assess them and rescore their stars."""
    results = []
    for run_id in run_ids:
        results.append(reparse_run(wh, run_id))
        if progress:
            progress(results[-1].line())
    if assess and results:
        from flows.assess import assess_runs

        assess_runs(wh.con, [r.run_id for r in results], expectations=expectations)
        latest = latest_portals(wh.con, [r.run_id for r in results])
        if latest:
            from flows.links.content import score_stars

            score_stars(wh, sorted(latest))
    return results
