"""`odwatch run`: harvest every enabled portal, assess, publish."""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import replace
from pathlib import Path

from flows import __version__
from flows.cli.common import EXIT_OK, EXIT_PORTAL_FAILED, common, harvest_opts, prefect_env, say
from flows.config import ConfigError, Portal, load_portals, select
from warehouse.store import connect_waiting


def run_flow(portals: list[Portal], args: argparse.Namespace) -> int:
    """The pipeline flow over these portals (also what `odwatch demo` runs)."""
    prefect_env(args.verbose)
    from flows.pipeline import run_pipeline

    # Before Prefect's ~10 s start: if another process (a scheduled run) holds the warehouse,
    # wait for it. The connection is then held until the flow has finished, so no other
    # process can slip in between; the flow's own connection in this process shares it.
    holder = connect_waiting(args.warehouse, args.wait, on_wait=say)
    try:
        print(
            f"odwatch {__version__}: harvesting {len(portals)} portal(s) into {args.warehouse}",
            file=sys.stderr,
        )
        outcome: dict = {}

        def pipeline() -> None:
            try:
                outcome["results"] = run_pipeline(
                    portals,
                    args.warehouse,
                    args.site,
                    retries=args.retries,
                    retry_delay=args.retry_delay,
                    quiet_failures=not args.verbose,
                )
            except BaseException as exc:  # re-raised below, in the main thread
                outcome["error"] = exc

        # The flow runs beside the main thread, which keeps odwatch's own SIGTERM/SIGINT
        # handler (flows.cli._stop_now): in the main thread, Prefect's flow engine would turn
        # SIGTERM into a crash that then waits for tasks stuck in network reads.
        worker = threading.Thread(target=pipeline, name="odwatch-pipeline")
        worker.start()
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        results = outcome["results"]
        from flows.alerts import alert_after_run

        for line in alert_after_run(holder, portals, results):
            print(f"alerts: {line}", file=sys.stderr)
    finally:
        holder.close()
    failed = [r for r in results if r.status != "ok"]
    print(
        f"done: {len(results) - len(failed)} ok, {len(failed)} failed; scorecard at {Path(args.site) / 'index.html'}",
        file=sys.stderr,
    )
    return EXIT_OK if not failed else EXIT_PORTAL_FAILED


def cmd_run(args: argparse.Namespace) -> int:
    all_portals = load_portals(args.portals)
    portals = select(all_portals, args.only, args.portals)
    if not portals:
        raise ConfigError(
            f"{args.portals}: no enabled portals; set 'enabled: true' on at least one"
        )
    if args.full:  # no incremental harvest this time
        portals = [replace(p, full_every=1) for p in portals]
    return run_flow(portals, args)


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="harvest every enabled portal, assess, publish")
    common(run)
    harvest_opts(run)
    run.add_argument(
        "--only", action="append", metavar="ID", help="harvest only this portal (repeatable)"
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="harvest every dataset, not only those changed since the last snapshot",
    )
    run.set_defaults(func=cmd_run)
