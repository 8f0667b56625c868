"""Harvest one portal into one warehouse snapshot (plain function; the Prefect task wraps it)."""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from flows.adapters.ckan import HarvestStats, Response, harvest_ckan, parse_package
from flows.adapters.datajson import fetch_datajson, parse_datajson_dataset
from flows.adapters.dcat import fetch_dcat, parse_dcat_dataset
from flows.adapters.errors import PortalError, PortalUnavailable
from flows.adapters.http import make_session
from flows.adapters.opendatasoft import fetch_opendatasoft, parse_ods_dataset
from flows.config import Portal
from warehouse.store import Warehouse

# platform -> (fetch: yields batches of raw records, parse: one raw record -> dataset, distributions)
Fetch = Callable[
    [Portal, requests.Session, Callable[[Response], None], list[HarvestStats]], Iterator[list[dict]]
]
ADAPTERS: dict[str, tuple[Fetch, Callable]] = {
    "ckan": (harvest_ckan, parse_package),
    "dkan": (harvest_ckan, parse_package),
    "opendatasoft": (fetch_opendatasoft, parse_ods_dataset),
    "dcat": (fetch_dcat, parse_dcat_dataset),
    "datajson": (fetch_datajson, parse_datajson_dataset),
}


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

    def line(self) -> str:
        if self.status == "ok":
            text = (
                f"{self.portal_id}: ok, {self.datasets} datasets, {self.distributions} distributions, "
                f"{self.requests} requests, {self.seconds:.1f}s"
            )
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


def harvest_portal(
    portal: Portal, wh: Warehouse, session: requests.Session | None = None
) -> HarvestResult:
    """Fetch, parse and store one portal; a portal's failure is recorded, not raised.

    Unexpected exceptions (bugs) are recorded as a failed run too, then re-raised.
    """
    fetch, parse = ADAPTERS[portal.platform]
    session = session or make_session()
    started = datetime.now(UTC)
    run_id = wh.begin_run(portal, started)
    seq = itertools.count()
    stats_out: list[HarvestStats] = []

    def on_page(resp: Response) -> None:
        wh.add_page(run_id, next(seq), resp)

    def elapsed() -> float:
        return (datetime.now(UTC) - started).total_seconds()

    try:
        for batch in prefetch(fetch(portal, session, on_page, stats_out)):
            datasets, distributions = [], []
            for raw in batch:
                dataset, dists = parse(raw, portal.id, portal.url, run_id)
                datasets.append(dataset)
                distributions.extend(dists)
            wh.add_records("datasets", datasets)
            wh.add_records("distributions", distributions)
        stats = stats_out[0] if stats_out else HarvestStats()
        n_ds, n_di = wh.finish_run(
            run_id,
            method=stats.method,
            expected_count=stats.expected_count,
            request_count=stats.requests,
            warnings=stats.warnings,
        )
        return HarvestResult(
            portal.id,
            run_id,
            "ok",
            n_ds,
            n_di,
            stats.requests,
            elapsed(),
            warnings="; ".join(stats.warnings) or None,
        )
    except PortalError as exc:
        stats = stats_out[0] if stats_out else HarvestStats()
        wh.fail_run(run_id, str(exc), request_count=stats.requests, method=stats.method)
        return HarvestResult(
            portal.id,
            run_id,
            "failed",
            requests=stats.requests,
            seconds=elapsed(),
            error=str(exc),
            transient=isinstance(exc, PortalUnavailable),
        )
    except BaseException as exc:
        stats = stats_out[0] if stats_out else HarvestStats()
        reason = (
            "interrupted"
            if isinstance(exc, KeyboardInterrupt)
            else f"internal error: {type(exc).__name__}: {exc}"
        )
        wh.fail_run(run_id, reason, request_count=stats.requests, method=stats.method)
        raise
