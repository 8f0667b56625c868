"""`odwatch status`: per portal, schedule, last harvest, failures in a row, age, score."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from flows.cli.common import EXIT_OK, EXIT_PORTAL_FAILED, common
from flows.config import load_portals, portals_for, select
from flows.staging import fetching_now
from flows.status import _cell, _open, portal_status, render_table


def cmd_status(args: argparse.Namespace) -> int:
    args.portals = portals_for(args.portals, args.warehouse)
    portals = select(load_portals(args.portals), None)
    now = datetime.now(UTC)
    con = _open(args.warehouse, args.wait)
    try:
        rows = portal_status(con, portals, now)
    finally:
        con.close()
    busy = fetching_now(args.warehouse, [p.id for p in portals])
    if args.format == "json":
        print(json.dumps({"portals": rows, "fetching": busy}, default=_cell, indent=1))
    else:
        print(render_table(rows))
        for pid, since in busy:
            print(f"{pid}: fetching now (since {_cell(since)} UTC)")
    bad = [r for r in rows if r.get("result") != "ok"]
    return EXIT_PORTAL_FAILED if bad else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="per portal: schedule, last harvest, failures in a row, snapshot age, score",
        description=(
            "Read-only overview for operators. Exit status 0 when every enabled portal's last "
            "harvest succeeded, 3 when one failed or was never harvested."
        ),
    )
    common(p)
    p.set_defaults(portals=None)  # none given: the list beside the warehouse, else portals.yaml
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--wait",
        type=float,
        default=30,
        metavar="SECONDS",
        help="if a run is writing the warehouse, wait this long (default 30)",
    )
    p.set_defaults(func=cmd_status)
