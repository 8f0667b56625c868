"""The `odwatch` command. stdout carries data, stderr carries progress and errors.

One module per command (run, harvest, publish, demo, assess, findings, check_links, reparse, serve for
`server` and `serve`, status), each with its cmd_* function and register(subparsers); the
shared options and exit codes are in common.py. Here: the parser, the stop handlers, main().
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sys
import threading

from flows import __version__
from flows.cli import (
    assess,
    check_links,
    demo,
    findings,
    harvest,
    publish,
    reparse,
    run,
    serve,
    status,
)
from flows.cli.common import (
    DEFAULT_PORTALS,
    DEFAULT_SITE,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_PORTAL_FAILED,
    EXIT_USAGE,
    ScheduleError,
    UsageError,
)
from flows.cli.common import say as _say
from flows.config import ConfigError
from warehouse.store import WarehouseError

__all__ = [
    "DEFAULT_PORTALS",
    "DEFAULT_SITE",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_PORTAL_FAILED",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
]
# In the order `odwatch --help` lists them.
COMMANDS = (run, harvest, publish, demo, assess, findings, check_links, reparse, serve, status)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odwatch",
        description="Harvest open-data portals into DuckDB snapshots, check their quality, publish a scorecard.",
    )
    parser.add_argument("--version", action="version", version=f"odwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
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
