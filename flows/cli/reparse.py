"""`odwatch reparse`: rebuild snapshots' rows from their stored raw pages (no network)."""

from __future__ import annotations

import argparse
import sys

from flows.cli.common import common
from flows.reparse import _unknown, reparse_runs
from warehouse.records import Warehouse
from warehouse.reparse import known_runs, reparsable_runs


def cmd_reparse(args: argparse.Namespace) -> int:
    with Warehouse(args.warehouse) as wh:
        if args.all:
            run_ids = reparsable_runs(wh.con)
            if not run_ids:
                print(
                    f"odwatch: no complete snapshot in {args.warehouse} to reparse", file=sys.stderr
                )
                return 0
        else:
            run_ids = list(dict.fromkeys(args.run))
            known = known_runs(wh.con, run_ids)
            for run_id in run_ids:
                if run_id not in known:
                    raise _unknown(wh, run_id)

        def progress(line: str) -> None:
            print(line, flush=True)

        if not args.quiet:
            print(f"reparse: {len(run_ids)} snapshot(s) in {args.warehouse}", file=sys.stderr)
        results = reparse_runs(
            wh,
            run_ids,
            assess=not args.no_assess,
            expectations=not args.no_expectations,
            progress=progress,
        )
        if not args.quiet:
            what = "rows replaced" + ("" if args.no_assess else ", assessed again")
            print(f"reparse: {len(results)} snapshot(s): {what}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reparse",
        help="rebuild snapshots' rows from their stored raw pages with the current adapters (no network)",
        description=(
            "Replay the stored API responses of snapshots through the current adapter code and "
            "replace their rows (each snapshot atomically: a failure keeps the old rows), then "
            "assess them again. One line per snapshot on stdout: run, portal, datasets and "
            "distributions before -> after, pages replayed."
        ),
    )
    common(p, portals=False)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", action="append", metavar="ID", help="reparse this run (repeatable)")
    group.add_argument("--all", action="store_true", help="reparse every complete snapshot")
    p.add_argument("--no-assess", action="store_true", help="only replace the rows")
    p.add_argument(
        "--no-expectations", action="store_true", help="skip the Great Expectations suites"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_reparse)
