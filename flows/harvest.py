"""Harvest one portal into one warehouse snapshot (plain function; the Prefect task wraps it)."""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests

from flows.adapters.errors import PortalError, PortalUnavailable
from flows.adapters.records import HarvestStats, Response
from flows.adapters.registry import ADAPTERS
from flows.config import Portal
from flows.parse_workers import ParseWorkerSetting, encoded_pages, worker_min
from flows.politeness import api_session
from warehouse.records import Warehouse
from warehouse.store import PreviousSnapshot


def incremental(platform: str) -> bool:
    """Can this platform's fetch take since= (harvest only what changed)? DKAN (no
    package_search) and data.json (one file) are harvested in full every time."""
    adapter = ADAPTERS.get(platform)
    return adapter is not None and adapter.incremental


def needs_known_ids(platform: str) -> bool:
    """Does this platform's fetch want known= (the previous snapshot's dataset ids), its
    change filter being unable to show deletions?"""
    adapter = ADAPTERS.get(platform)
    return adapter is not None and adapter.needs_known_ids


# Changes are asked for from this long before the previous snapshot: covers clock skew
# between the portal and us, and edits made while the previous harvest was paging.
OVERLAP = timedelta(hours=1)


def _parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)  # CKAN writes UTC without an offset


def incremental_since(portal: Portal, prev: PreviousSnapshot | None) -> datetime | None:
    """From when to fetch changes, or None for a full harvest: no previous snapshot, a
    platform without a change filter, the portal's URL or organisation changed since, or
    it is time for the periodic full harvest (every `full_every` runs)."""
    if prev is None or not incremental(portal.platform) or portal.full_every <= 1:
        return None
    if prev.api_url != portal.url or prev.organization != portal.organization:
        return None
    if prev.incremental_since_full + 1 >= portal.full_every:
        return None
    started = prev.started_at if prev.started_at.tzinfo else prev.started_at.replace(tzinfo=UTC)
    newest = _parse_ts(prev.max_modified)
    since = min(started, newest) if newest else started
    return since - OVERLAP


@dataclass
class HarvestResult:
    portal_id: str
    run_id: str
    status: str  # ok | failed
    datasets: int = 0
    distributions: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    warnings: str | None = None
    transient: bool = False  # worth retrying later (unreachable, timing out, 5xx)
    mode: str = "full"  # full | incremental
    changed: int | None = None  # incremental: datasets fetched because they changed

    def line(self) -> str:
        if self.status == "ok":
            text = (
                f"{self.portal_id}: ok, {self.datasets} datasets, {self.distributions} distributions, "
                f"{self.requests} requests, {self.seconds:.1f}s"
            )
            if self.mode == "incremental":
                text += f" (incremental: {self.changed} changed)"
            return text + (f" (warning: {self.warnings})" if self.warnings else "")
        return f"{self.portal_id}: FAILED after {self.seconds:.1f}s: {self.error}"


def prefetch(batches: Iterator[list[dict]], depth: int = 1) -> Iterator[list[dict]]:
    """Run the fetch generator one page ahead in a thread, so the next page downloads and
    decodes while this one is written to DuckDB (which releases the GIL). At most `depth`
    pages wait in the queue: memory stays bounded by the page size, not the catalogue."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def pump() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        q.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)
        finally:  # a generator's cleanup (a parse worker's end) runs now, not at its GC
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=pump, name="odwatch-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Progress:
    """How far one portal's harvest is, after each stored page: requests made, datasets
    stored, and the portal's own count once it has said it (None before, or never)."""

    portal_id: str
    requests: int
    datasets: int
    expected: int | None


@dataclass
class Fetched:
    """What the fetch half of a harvest left in a warehouse: the run's pages and rows."""

    run_id: str
    started: datetime
    stats: HarvestStats
    fetched: int
    error: PortalError | None = None
    max_modified: str | None = None  # the largest CKAN metadata_modified fetched


def fetch_portal(
    portal: Portal,
    wh: Warehouse,
    prev: PreviousSnapshot | None,
    session: requests.Session | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Fetched:
    """Fetch and parse one portal into `wh` under a new 'running' run: every response into
    raw_pages, the parsed rows into dataset_rows / distribution_rows. Changes only, if
    `prev` allows an incremental harvest. A portal's failure comes back in `error`; a bug
    or an interrupt marks the run failed and is raised."""
    adapter = ADAPTERS[portal.platform]
    session = session or api_session(portal.api_rate, portal.api_concurrency)
    since = incremental_since(portal, prev)
    started = datetime.now(UTC)
    run_id = wh.begin_run(portal, started)
    seq = itertools.count()
    stats_out: list[HarvestStats] = []

    def on_page(resp: Response) -> None:
        wh.add_page(run_id, next(seq), resp)

    fetched = 0
    newest: str | None = None
    setting: str | None = None
    try:
        minimum = worker_min()
    except ParseWorkerSetting as exc:  # a bad setting: said in the run's warnings
        minimum, setting = None, f"{exc}; parsed in this process"
    try:
        known = None
        if since is not None and adapter.needs_known_ids and prev is not None:
            known = prev.dataset_ids or ()
        batches = adapter.fetch(
            portal.source, session, on_page, stats_out, since=since, known=known
        )

        def expected() -> int | None:
            return stats_out[0].expected_count if stats_out else None

        spools = wh.spool("dataset_rows"), wh.spool("distribution_rows")
        try:
            pages = encoded_pages(
                portal.platform, portal.id, portal.url, run_id, batches, expected, minimum
            )
            for ds, di, page_newest in prefetch(pages):
                fetched += spools[0].add(ds)
                spools[1].add(di)
                if page_newest is not None and (newest is None or page_newest > newest):
                    newest = page_newest
                if progress is not None and stats_out:
                    stats = stats_out[0]
                    progress(Progress(portal.id, stats.requests, fetched, stats.expected_count))
            for spool in spools:
                spool.close()
            if setting is not None and stats_out:
                stats_out[0].warnings.append(setting)
        finally:
            for spool in spools:
                spool.discard()
    except PortalError as exc:
        return Fetched(run_id, started, stats_out[0] if stats_out else HarvestStats(), fetched, exc)
    except BaseException as exc:
        stats = stats_out[0] if stats_out else HarvestStats()
        reason = (
            "interrupted"
            if isinstance(exc, KeyboardInterrupt)
            else f"internal error: {type(exc).__name__}: {exc}"
        )
        wh.fail_run(run_id, reason, request_count=stats.requests, method=stats.method)
        raise
    return Fetched(
        run_id, started, stats_out[0] if stats_out else HarvestStats(), fetched, None, newest
    )


def complete_run(
    portal: Portal, wh: Warehouse, prev: PreviousSnapshot | None, got: Fetched
) -> HarvestResult:
    """The write half: carry the unchanged datasets forward (incremental) and mark the run
    complete, or record why it failed (its raw pages stay as evidence)."""
    stats = got.stats

    def elapsed() -> float:
        return (datetime.now(UTC) - got.started).total_seconds()

    if got.error is not None:
        wh.fail_run(got.run_id, str(got.error), request_count=stats.requests, method=stats.method)
        return HarvestResult(
            portal.id,
            got.run_id,
            "failed",
            requests=stats.requests,
            seconds=elapsed(),
            error=str(got.error),
            transient=isinstance(got.error, PortalUnavailable),
        )
    try:
        incremental = prev is not None and stats.mode == "incremental" and stats.current is not None
        if incremental:
            carried = wh.carry_forward(prev.run_id, got.run_id, stats.current)
            wh.set_mode(got.run_id, "incremental", changed=got.fetched, carried=carried)
        else:
            wh.set_mode(got.run_id, "full")
        n_ds, n_di = wh.finish_run(
            got.run_id,
            method=stats.method,
            expected_count=stats.expected_count,
            request_count=stats.requests,
            warnings=stats.warnings,
            max_modified=got.max_modified,
        )
    except BaseException as exc:
        wh.fail_run(
            got.run_id,
            f"internal error: {type(exc).__name__}: {exc}",
            request_count=stats.requests,
            method=stats.method,
        )
        raise
    return HarvestResult(
        portal.id,
        got.run_id,
        "ok",
        n_ds,
        n_di,
        stats.requests,
        elapsed(),
        warnings="; ".join(stats.warnings) or None,
        mode="incremental" if incremental else "full",
        changed=got.fetched if incremental else None,
    )


def harvest_portal(
    portal: Portal,
    wh: Warehouse,
    session: requests.Session | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> HarvestResult:
    """Fetch, parse and store one portal; a portal's failure is recorded, not raised.
    `progress` is called after each stored page (`odwatch harvest`'s progress bars).

    Unexpected exceptions (bugs) are recorded as a failed run too, then re-raised.
    """
    prev = (
        wh.previous_snapshot(portal.id, with_ids=needs_known_ids(portal.platform))
        if incremental(portal.platform)
        else None
    )
    return complete_run(portal, wh, prev, fetch_portal(portal, wh, prev, session, progress))
