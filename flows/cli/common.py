"""What every command shares: exit codes, the common options, the one-line messages."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from warehouse.store import DEFAULT_PATH

# Exit codes: 0 ok; 1 a known failure (one line on stderr: bad portals.yaml, warehouse locked,
# nothing assessed yet ...); 2 usage (argparse's own code); 3 a portal failed (recorded, the
# others went on).
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PORTAL_FAILED = 0, 1, 2, 3
DEFAULT_PORTALS = "portals.yaml"
DEFAULT_SITE = str(Path("dashboards") / "site")


class UsageError(Exception):
    pass


class ScheduleError(Exception):
    """str() is the one line shown to the operator."""


def prefect_env(verbose: bool) -> None:
    """Settings that must be in place before Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")


def say(line: str) -> None:
    print(f"odwatch: {line}", file=sys.stderr, flush=True)


def common(p: argparse.ArgumentParser, portals: bool = True, site: bool = True) -> None:
    """--portals, --warehouse, --site, -v: the options most commands take."""
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
    if site:
        p.add_argument(
            "--site",
            default=DEFAULT_SITE,
            metavar="DIR",
            help=f"where the site is written (default {DEFAULT_SITE})",
        )
    p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own log lines")


def harvest_opts(p: argparse.ArgumentParser) -> None:
    """The options of the commands that harvest (run, harvest, demo)."""
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
