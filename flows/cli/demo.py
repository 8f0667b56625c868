"""`odwatch demo`: the whole pipeline on local sample portals (no network)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

from flows.cli.common import EXIT_OK, EXIT_PORTAL_FAILED, common, harvest_opts
from flows.cli.run import run_flow
from flows.config import portals_beside


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
        code = run_flow(portals, args)
    print(
        f"demo: warehouse {args.warehouse}, its portals in {portals_file}; look at it with "
        f"'odwatch status --warehouse {args.warehouse}' or "
        f"'odwatch findings --warehouse {args.warehouse} --portal {portals[0].id}'",
        file=sys.stderr,
    )
    return EXIT_OK if code in (EXIT_OK, EXIT_PORTAL_FAILED) else code


def register(sub: argparse._SubParsersAction) -> None:
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
