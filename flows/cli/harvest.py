"""`odwatch harvest`: harvest and store, nothing else (no link checks, assessment or site).

The same portal selection, exit codes and one line per finished portal as `odwatch run`, but
no Prefect: the portals are harvested in threads of this process (up to 4 at a time), a
portal that failed for a transient reason (unreachable, timing out, 5xx) is tried again
after --retry-delay, up to --retries times. On a terminal each portal has a progress bar
(pages and datasets of the portal's count, rate, ETA); without one, only the lines.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace

from flows import __version__
from flows.cli.common import EXIT_OK, EXIT_PORTAL_FAILED, common, harvest_opts, say
from flows.config import ConfigError, Portal, load_portals, select
from flows.harvest import HarvestResult, Progress, harvest_portal
from warehouse.records import Warehouse
from warehouse.store import connect_waiting

MAX_PARALLEL = 4  # portals at once, as `odwatch run`


def harvest_with_retries(
    portal: Portal,
    wh: Warehouse,
    retries: int,
    retry_delay: float,
    progress: Callable[[Progress], None] | None = None,
) -> HarvestResult:
    """One portal, tried again (after `retry_delay` s) while it fails transiently; each
    attempt is its own recorded run, as under `odwatch run`'s Prefect task retries."""
    attempt = 0
    while True:
        result = harvest_portal(portal, wh, None, progress)
        if result.status == "ok" or not result.transient or attempt >= retries:
            return result
        attempt += 1
        time.sleep(retry_delay)


class _Bars:
    """rich progress bars, one per portal, on stderr; finished portals' lines above them."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self.progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("datasets, {task.fields[pages]} pages fetched, {task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=False,
        )
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def begin(self, portal_id: str) -> None:
        with self.lock:
            self.started[portal_id] = time.monotonic()
            self.tasks[portal_id] = self.progress.add_task(portal_id, total=None, pages=0, rate="-")

    def update(self, p: Progress) -> None:
        seconds = max(1e-6, time.monotonic() - self.started[p.portal_id])
        self.progress.update(
            self.tasks[p.portal_id],
            completed=p.datasets,
            total=max(p.expected, p.datasets) if p.expected else None,
            pages=p.requests,
            rate=f"{p.datasets / seconds:,.0f}",
        )

    def done(self, result: HarvestResult) -> None:
        task = self.tasks.get(result.portal_id)
        if task is not None:
            self.progress.refresh()  # its last state is drawn once, however fast it went
            self.progress.remove_task(task)
        self.progress.console.print(result.line(), markup=False, highlight=False)


def harvest_portals(
    portals: list[Portal], args: argparse.Namespace, bars: _Bars | None
) -> list[HarvestResult]:
    results: list[HarvestResult] = []
    with Warehouse(args.warehouse) as wh:

        def one(portal: Portal) -> HarvestResult:
            if bars is not None:
                bars.begin(portal.id)
            return harvest_with_retries(
                portal,
                wh,
                args.retries,
                args.retry_delay,
                bars.update if bars is not None else None,
            )

        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(portals))) as pool:
            futures = {pool.submit(one, p): p.id for p in portals}
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # a bug: recorded as a failed run by harvest_portal
                    result = HarvestResult(
                        futures[future],
                        "",
                        "failed",
                        error=f"internal error: {type(exc).__name__}: {exc}",
                    )
                results.append(result)
                if bars is not None:
                    bars.done(result)
                else:
                    print(result.line(), file=sys.stderr, flush=True)
    order = {p.id: i for i, p in enumerate(portals)}
    results.sort(key=lambda r: order.get(r.portal_id, 0))
    return results


def cmd_harvest(args: argparse.Namespace) -> int:
    portals = select(load_portals(args.portals), args.only, args.portals)
    if not portals:
        raise ConfigError(
            f"{args.portals}: no enabled portals; set 'enabled: true' on at least one"
        )
    if args.full:  # no incremental harvest this time
        portals = [replace(p, full_every=1) for p in portals]
    import logging

    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # one line per portal
    # Wait for another writer (a scheduled run) as `odwatch run` does; the connection is held
    # until the harvest is done, and the harvest's own connection in this process shares it.
    holder = connect_waiting(args.warehouse, args.wait, on_wait=say)
    try:
        print(
            f"odwatch {__version__}: harvesting {len(portals)} portal(s) into {args.warehouse}",
            file=sys.stderr,
            flush=True,
        )
        if sys.stderr.isatty():
            with _Bars() as bars:
                results = harvest_portals(portals, args, bars)
        else:
            results = harvest_portals(portals, args, None)
    finally:
        holder.close()
    failed = [r for r in results if r.status != "ok"]
    print(f"done: {len(results) - len(failed)} ok, {len(failed)} failed", file=sys.stderr)
    return EXIT_OK if not failed else EXIT_PORTAL_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "harvest", help="harvest and store the enabled portals (no link checks, assessment, site)"
    )
    common(p, site=False)
    harvest_opts(p)
    p.add_argument(
        "--only", action="append", metavar="ID", help="harvest only this portal (repeatable)"
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="harvest every dataset, not only those changed since the last snapshot",
    )
    p.set_defaults(func=cmd_harvest)
