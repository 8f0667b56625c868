"""`odwatch assess`: findings and scores of stored snapshots (no network)."""

from __future__ import annotations

import argparse
import sys

from checks.compliance import DEFAULT_PROFILE
from flows.assess import CURRENT, assess_runs
from flows.cli.common import common
from warehouse.assess_inputs import ok_run_ids, shacl_profile
from warehouse.assessments import pending_runs
from warehouse.store import connect


def cmd_assess(args: argparse.Namespace) -> int:
    con = connect(args.warehouse)
    try:
        if args.run:
            run_ids = list(dict.fromkeys(args.run))
        elif args.all:
            run_ids = ok_run_ids(con)
        else:
            run_ids = pending_runs(con)
        if not run_ids:
            print(
                f"odwatch: nothing to assess: every latest snapshot in {args.warehouse} is assessed "
                f"under method {CURRENT.version} (use --all to recompute)",
                file=sys.stderr,
            )
            return 0
        quiet = args.quiet

        def progress(line: str) -> None:
            print(line, flush=True)
            if not quiet:
                print(f"assessed {line.split(chr(9))[0]}", file=sys.stderr)

        if args.shacl:
            from flows.shacl import DASHBOARD, validate_snapshot

            for run_id in run_ids:  # under the profile it was validated with before, if any
                profile = shacl_profile(con, run_id) or DEFAULT_PROFILE
                for line in validate_snapshot(con, run_id, (profile, DASHBOARD)):
                    print(f"odwatch: shacl {run_id}: {line}", file=sys.stderr, flush=True)
        assess_runs(con, run_ids, expectations=not args.no_expectations, progress=progress)
    finally:
        con.close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "assess",
        help="compute findings and scores of stored snapshots (no network)",
        description="Assess stored snapshots under the current scoring method "
        f"({CURRENT.version}). Default: each portal's latest (and previous) snapshot not yet "
        "assessed under it. One line per assessed run on stdout.",
    )
    common(p, portals=False)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--run", action="append", metavar="ID", help="assess this run (repeatable)")
    group.add_argument("--all", action="store_true", help="re-assess every complete snapshot")
    p.add_argument(
        "--no-expectations", action="store_true", help="skip the Great Expectations suites"
    )
    p.add_argument(
        "--shacl",
        action="store_true",
        help="first validate the snapshots with GovData's SHACL shapes (ODWATCH_SHACL_SHAPES), "
        "so MQA's dcat-ap-compliance and the dashboard's contributorID are judged",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_assess)
