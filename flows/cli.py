"""The `odwatch` command. stdout carries data, stderr carries progress and errors."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import signal
import sys
import threading
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from flows import __version__
from flows.config import ConfigError, Portal, load_portals, portals_beside, select
from flows.schedule import ScheduleError
from warehouse.store import DEFAULT_PATH, WarehouseError, connect, connect_waiting

# Exit codes: 0 ok; 1 a known failure (one line on stderr: bad portals.yaml, warehouse locked,
# nothing assessed yet ...); 2 usage (argparse's own code); 3 a portal failed (recorded, the
# others went on).
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PORTAL_FAILED = 0, 1, 2, 3
DEFAULT_PORTALS = "portals.yaml"
DEFAULT_SITE = str(Path("dashboards") / "site")
# Modules that add their own subcommands: each has register(subparsers, common_options).
COMMAND_MODULES: list[str] = [
    "flows.assess",
    "flows.links.check",
    "flows.reparse",
    "flows.schedule",
    "flows.status",
]


class UsageError(Exception):
    pass


def _prefect_env(verbose: bool) -> None:
    """Settings that must be in place before Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")


def _say(line: str) -> None:
    print(f"odwatch: {line}", file=sys.stderr, flush=True)


def _run_flow(portals: list[Portal], args: argparse.Namespace) -> int:
    _prefect_env(args.verbose)
    from flows.pipeline import run_pipeline

    # Before Prefect's ~10 s start: if another process (a scheduled run) holds the warehouse,
    # wait for it. The connection is then held until the flow has finished, so no other
    # process can slip in between; the flow's own connection in this process shares it.
    holder = connect_waiting(args.warehouse, args.wait, on_wait=_say)
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
        # handler (_stop_now): in the main thread, Prefect's flow engine would turn SIGTERM
        # into a crash that then waits for tasks stuck in network reads.
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
    return _run_flow(portals, args)


def cmd_publish(args: argparse.Namespace) -> int:
    from flows.publish import publish_site

    portals = load_portals(args.portals)
    con = connect(args.warehouse, read_only=True)
    try:
        page = publish_site(con, portals, args.site)
    finally:
        con.close()
    print(page)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from flows import demo

    with ExitStack() as stack:
        if args.corpus:
            servers, portals = demo.corpus_portals(Path(args.corpus))
        else:
            servers, portals = demo.sample_portals()
        for s in servers:
            stack.enter_context(s)
        # kept beside the demo's warehouse, so that `odwatch status --warehouse` finds the
        # demo's portals afterwards (their 127.0.0.1 servers are gone then)
        portals_file = portals_beside(args.warehouse)
        portals_file.parent.mkdir(parents=True, exist_ok=True)
        portals_file.write_text(demo.portals_yaml(portals), encoding="utf-8")
        print(
            f"demo: serving {len(portals)} portal(s) on 127.0.0.1 ({portals_file})", file=sys.stderr
        )
        for p in portals:
            print(f"  {p.id}: {p.url} ({p.platform})", file=sys.stderr)
        args.portals = str(portals_file)
        code = _run_flow(portals, args)
    print(
        f"demo: warehouse {args.warehouse}, its portals in {portals_file}; look at it with "
        f"'odwatch status --warehouse {args.warehouse}' or "
        f"'odwatch findings --warehouse {args.warehouse} --portal {portals[0].id}'",
        file=sys.stderr,
    )
    return EXIT_OK if code in (EXIT_OK, EXIT_PORTAL_FAILED) else code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odwatch",
        description="Harvest open-data portals into DuckDB snapshots, check their quality, publish a scorecard.",
    )
    parser.add_argument("--version", action="version", version=f"odwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, portals: bool = True) -> None:
        if portals:
            p.add_argument(
                "--portals",
                default=DEFAULT_PORTALS,
                metavar="FILE",
                help=f"portal list (default {DEFAULT_PORTALS})",
            )
        p.add_argument(
            "--warehouse",
            default=str(DEFAULT_PATH),
            metavar="PATH",
            help=f"DuckDB warehouse file (default {DEFAULT_PATH})",
        )
        p.add_argument(
            "--site",
            default=DEFAULT_SITE,
            metavar="DIR",
            help=f"where the site is written (default {DEFAULT_SITE})",
        )
        p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own log lines")

    def harvest_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--retries",
            type=int,
            default=2,
            metavar="N",
            help="retries of a portal that is unreachable or keeps failing (default 2)",
        )
        p.add_argument(
            "--retry-delay",
            type=float,
            default=30,
            metavar="SECONDS",
            help="wait between those retries (default 30)",
        )
        p.add_argument(
            "--wait",
            type=float,
            default=600,
            metavar="SECONDS",
            help="if another run holds the warehouse, wait this long for it (default 600)",
        )

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

    pub = sub.add_parser("publish", help="write the site from the warehouse, no harvest")
    common(pub)
    pub.set_defaults(func=cmd_publish)

    demo = sub.add_parser(
        "demo", help="run the whole pipeline on local sample portals (no network)"
    )
    common(demo, portals=False)
    harvest_opts(demo)
    demo.add_argument(
        "--corpus",
        metavar="DIR",
        help="serve the recorded CKAN data of this corpus folder instead (e.g. ../shared/corpus)",
    )
    demo.set_defaults(
        func=cmd_demo,
        only=None,
        warehouse=str(Path("warehouse") / "demo.duckdb"),
        site=str(Path("dashboards") / "site"),
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def _quiet_teardown() -> None:
    """Silence the interpreter's final teardown.

    duckdb 2.0's nanobind bindings print 'leaked instance' lists to stderr when Python exits
    with Prefect's worker threads still holding module references; it is noise, not a leak
    of ours. Registered first, this runs last of all atexit handlers (after Prefect has
    stopped its server), so nothing of odwatch's own output is hidden.
    """
    try:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        pass


INTERRUPTED = "interrupted; completed snapshots are kept, the unfinished one is discarded"


def _stop_now(signum, frame) -> None:
    """SIGTERM or SIGINT: end now, and end what odwatch started.

    Harvest and link-check threads may sit in a network read for minutes, and Python's exit
    would wait for them; so the temporary Prefect server is stopped here (Prefect's own
    atexit handler would not run on a signal) and the process exits at once. Nothing stored
    is lost: an unfinished snapshot is a transaction never committed, marked 'abandoned' by
    the next writer."""
    _say(INTERRUPTED)
    server = sys.modules.get("prefect.server.api.server")
    if server is not None:
        for instance in list(server.SubprocessASGIServer._instances.values()):
            with contextlib.suppress(Exception):
                instance.stop()
    _quiet_teardown()
    os._exit(130)


def _install_stop_handlers() -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _stop_now) for sig in (signal.SIGTERM, signal.SIGINT)}


def main(argv: list[str] | None = None) -> int:
    atexit.register(_quiet_teardown)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = _install_stop_handlers()  # `serve` and `server` put their own in place
    try:
        return args.func(args)
    except UsageError as exc:  # a usage problem argparse cannot see
        print(f"odwatch: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, WarehouseError, ScheduleError) as exc:
        print(f"odwatch: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _say(INTERRUPTED)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
