"""`odwatch findings`: the fix list of a portal, ranked by points to gain."""

from __future__ import annotations

import argparse

from flows.cli.common import common


def cmd_findings(args: argparse.Namespace) -> int:
    from flows.findings import cmd_findings as fix_list_command

    return fix_list_command(args)


def register(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser(
        "findings",
        help="the fix list of a portal: flagged datasets ranked by points to gain",
        description="List a portal's flagged datasets from its latest assessment, ranked by the "
        "points fixing them would gain, with the portal link, code, evidence and fix hint.",
    )
    common(f, portals=False)
    f.add_argument("--portal", required=True, metavar="ID", help="portal id (as in portals.yaml)")
    f.add_argument("--run", metavar="ID", help="a specific snapshot instead of the latest")
    f.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default table)",
    )
    f.add_argument("--limit", type=int, metavar="N", help="only the N datasets with most to gain")
    f.set_defaults(func=cmd_findings)
