"""`odwatch publish`: write the site from the warehouse, no harvest."""

from __future__ import annotations

import argparse
import sys

from flows.cli.common import common
from flows.config import load_portals
from warehouse.store import connect


def cmd_publish(args: argparse.Namespace) -> int:
    from flows.publish import publish_site

    portals = load_portals(args.portals)
    con = connect(args.warehouse, read_only=True)
    results: list = []
    try:
        page = publish_site(con, portals, args.site, report=results.append)
    finally:
        con.close()
    print(results[0].summary().split("\n", 1)[0], file=sys.stderr)  # files, kept, size
    print(page)  # stdout: the index alone, for scripts
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    pub = sub.add_parser("publish", help="write the site from the warehouse, no harvest")
    common(pub)
    pub.set_defaults(func=cmd_publish)
