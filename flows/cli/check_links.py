"""`odwatch check-links`: are the files of the latest snapshots there (links, contents, stars)."""

from __future__ import annotations

import argparse
import sys

from checks.links import OUTCOMES
from flows.cli.common import common, prefect_env
from flows.config import ConfigError, load_portals
from warehouse import links as linkstore
from warehouse.records import Warehouse
from warehouse.store import WarehouseError


def cmd_check_links(args: argparse.Namespace) -> int:
    from flows.links.check import LinkCheckOptions, check_links_flow_fn

    known = load_portals(args.portals)
    if args.portal:
        by_id = {p.id: p for p in known}
        for pid in args.portal:
            if pid not in by_id:
                raise ConfigError(
                    f"{args.portals}: --portal {pid}: no portal with that id; "
                    f"known ids: {', '.join(sorted(by_id))}"
                )
        portals = [by_id[pid] for pid in args.portal]
    else:
        portals = [p for p in known if p.enabled]
    with Warehouse(args.warehouse) as wh:  # fail fast (locked, missing) before Prefect starts
        have = linkstore.snapshot_portals(wh, [p.id for p in portals])
    portals = [p for p in portals if p.id in have]
    if not portals:
        raise WarehouseError(
            f"{args.warehouse}: no harvested snapshot of those portals; run 'odwatch run' first"
        )
    options = LinkCheckOptions(
        rate=args.max_per_host_rate,
        concurrency=args.per_host_concurrency,
        workers=args.workers,
        timeout=(min(5.0, args.timeout), args.timeout),
        force=args.all,
        max_urls=args.max_urls,
        content_sample=args.content_sample,
        content_max_bytes=int(args.max_mb * 1024 * 1024),
    )
    prefect_env(args.verbose)
    from flows.pipeline import run_check_links_flow  # imports Prefect (seconds)

    if not args.quiet:
        print(
            f"check-links: {len(portals)} portal(s) in {args.warehouse}, at most "
            f"{options.rate:g} requests/s per host",
            file=sys.stderr,
        )
    summary = run_check_links_flow(
        check_links_flow_fn, portals, args.warehouse, options, args.quiet
    )
    for outcome in OUTCOMES:  # data on stdout: outcome <TAB> URLs
        print(f"{outcome}\t{summary.outcomes[outcome]}")
    if not args.quiet:
        print(f"check-links: {summary.line()}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-links",
        help="check that the files of the latest snapshots are there: links, contents, 5-star openness",
        description=(
            "Check the access and download URLs of the latest snapshots (HEAD, GET fallback, "
            "redirects validated), sample file contents, and score 5-star openness. Healthy "
            "URLs are re-checked after a week, failing ones sooner. Prints outcome counts."
        ),
    )
    common(p)
    p.add_argument("--portal", action="append", metavar="ID", help="only this portal (repeatable)")
    p.add_argument(
        "--all", action="store_true", help="check every URL, also those found healthy recently"
    )
    p.add_argument(
        "--max-per-host-rate",
        type=float,
        default=2.0,
        metavar="R",
        help="requests per second per host (default 2; 0 lifts the limit)",
    )
    p.add_argument(
        "--per-host-concurrency",
        type=int,
        default=2,
        metavar="N",
        help="requests at a time per host (default 2)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=32,
        metavar="N",
        help="requests at a time in all (default 32)",
    )
    p.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="read timeout (default 10)"
    )
    p.add_argument(
        "--max-urls", type=int, default=None, metavar="N", help="check at most N URLs this time"
    )
    p.add_argument(
        "--content-sample",
        type=int,
        default=20,
        metavar="N",
        help="distributions per portal whose content is sampled (default 20; 0: none)",
    )
    p.add_argument(
        "--max-mb",
        type=float,
        default=5.0,
        metavar="MB",
        help="bytes read per sample (default 5 MB)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_check_links)
