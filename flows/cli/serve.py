"""`odwatch server` and `odwatch serve`: run the harvests on the schedules in portals.yaml.

The command side; the deployments and the runner that serves them are in flows/scheduled.py.

`odwatch server` starts a Prefect server on 127.0.0.1 whose database lives under warehouse/
(SQLite unless PREFECT_SERVER_DATABASE_CONNECTION_URL names another, e.g. PostgreSQL).
`odwatch serve` creates one deployment per enabled portal (named by its id, on its
`schedule`), one for the link re-check, and serves them until Ctrl-C or SIGTERM. Deployments
are upserted by name, so serving again after editing portals.yaml updates them; those of
portals no longer listed are deleted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from flows.cli.common import ScheduleError, common
from flows.config import load_portals, select

DEFAULT_PORT = 4200
DEFAULT_HOME = Path("warehouse") / "prefect"
DEFAULT_LINKS_SCHEDULE = "0 5 * * *"  # daily; only URLs that are due get checked


def server_env(home: Path, port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["PREFECT_HOME"] = str(home.resolve())
    env.setdefault(
        "PREFECT_SERVER_DATABASE_CONNECTION_URL",
        f"sqlite+aiosqlite:///{(home / 'prefect.db').resolve()}",
    )
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    return env


def wait_healthy(api_url: str, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if requests.get(f"{api_url}/health", timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def _terminate_on_sigterm() -> None:
    """SIGTERM ends the command like Ctrl-C does: cleanly, through KeyboardInterrupt."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def cmd_server(args: argparse.Namespace) -> int:
    home = Path(args.prefect_home)
    home.mkdir(parents=True, exist_ok=True)
    env = server_env(home, args.port)
    prefect = Path(sys.executable).with_name("prefect")
    cmd = [str(prefect) if prefect.exists() else "prefect", "server", "start"]
    cmd += ["--host", "127.0.0.1", "--port", str(args.port)]
    db = env["PREFECT_SERVER_DATABASE_CONNECTION_URL"].split("@")[-1]  # no password on screen
    print(f"odwatch: starting the Prefect server (database {db})", file=sys.stderr, flush=True)
    _terminate_on_sigterm()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL if args.quiet else None)
    try:
        if not wait_healthy(env["PREFECT_API_URL"], 120, proc):
            proc.terminate()
            proc.wait(30)
            raise ScheduleError(
                f"the Prefect server did not start on 127.0.0.1:{args.port} (exit {proc.returncode}); "
                "is the port in use? pass --port N"
            )
        print(
            f"odwatch: Prefect server ready, UI at http://127.0.0.1:{args.port}; in another "
            f"shell: export PREFECT_API_URL={env['PREFECT_API_URL']}; odwatch serve",
            file=sys.stderr,
            flush=True,
        )
        return proc.wait()
    except KeyboardInterrupt:
        print("odwatch: stopping the Prefect server", file=sys.stderr, flush=True)
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0


def _positive_or_zero(text: str) -> float:
    """--lost-after: 0 (none) or at least twice Prefect's shortest heartbeat (30 s)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value != 0 and not value >= 60:
        raise argparse.ArgumentTypeError(
            f"{text} s: use 0 (no automation) or at least 60 (heartbeats come every 30 s or less often)"
        )
    return value


def _shards(text: str) -> int:
    """--link-shards: a whole number from 1 to 256."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{value}: use 1 to 256 shards")
    return value


def _registered(args: argparse.Namespace, pool: str | None = None):
    """Check the Prefect server, then create the writer limit and the deployments of
    portals.yaml (pruning those it no longer lists); returns them, to serve or to hand to a
    work pool."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ScheduleError(
            "PREFECT_API_URL is not set: start 'odwatch server' and export the URL it prints "
            "(schedules do not run on Prefect's temporary server)"
        )
    if not wait_healthy(api.rstrip("/"), 10):
        raise ScheduleError(f"no Prefect server answers at {api}; start it with 'odwatch server'")
    portals = select(load_portals(args.portals), None)
    from flows.staging import check_staging

    print(f"odwatch: staging: {check_staging(args.warehouse)}", file=sys.stderr)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    from flows.scheduled import (
        HARVEST_FLOW,
        deployment_specs,
        deployments_for,
        prune_deployments,
        writer_limit,
        writer_limit_name,
    )

    specs = deployment_specs(
        portals,
        Path(args.portals),
        Path(args.warehouse),
        Path(args.site),
        args.links_schedule,
        args.link_shards,
    )
    deployments = deployments_for(specs, args.interval)
    limit = writer_limit_name(args.warehouse)
    writer_limit(limit)
    print(f"odwatch: one writer at a time: concurrency limit '{limit}' = 1", file=sys.stderr)
    removed = prune_deployments({(f, n) for f, n, _, _ in specs})
    for name in removed:
        print(
            f"odwatch: removed deployment '{name}' (no longer in {args.portals})",
            file=sys.stderr,
        )
    on = f" (work pool '{pool}')" if pool else ""
    for flow_name, name, cron, _ in specs:
        interval = args.interval and flow_name == HARVEST_FLOW
        when = f"every {args.interval:g} s" if interval else cron
        print(f"odwatch: {flow_name}/{name}: {when}{on}", file=sys.stderr)
    return deployments


def cmd_serve(args: argparse.Namespace) -> int:
    _terminate_on_sigterm()
    try:  # a stop request may come at any point from here on, also while registering
        deployments = _registered(args)
        from flows.scheduled import serve_deployments

        serve_deployments(deployments)
    except KeyboardInterrupt:
        pass
    print("odwatch: stopped serving; finished snapshots are kept", file=sys.stderr)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    deployments = _registered(args, args.pool)
    from flows.scheduled import LOST_WORKER_AUTOMATION, deploy_to_pool, lost_worker_automation

    if deploy_to_pool(deployments, args.pool):
        print(f"odwatch: created work pool '{args.pool}' (process)", file=sys.stderr)
    if args.lost_after:
        made = "created" if lost_worker_automation(args.lost_after) else "updated"
        print(
            f"odwatch: {made} automation '{LOST_WORKER_AUTOMATION}': a run without heartbeats "
            f"for {args.lost_after:g} s lost its worker and is run again by another",
            file=sys.stderr,
        )
    print(
        f"odwatch: {len(deployments)} deployments on work pool '{args.pool}'; start workers "
        f"with: prefect worker start --pool {args.pool} (on any machine with odwatch "
        "installed, PREFECT_API_URL set and the warehouse's directory mounted)",
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    srv = sub.add_parser(
        "server",
        help="start a Prefect server for the schedules (127.0.0.1, database under warehouse/)",
    )
    srv.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"(default {DEFAULT_PORT})")
    srv.add_argument(
        "--prefect-home",
        default=str(DEFAULT_HOME),
        metavar="DIR",
        help=f"the server's home and SQLite database (default {DEFAULT_HOME})",
    )
    srv.add_argument("-q", "--quiet", action="store_true", help="hide the server's own output")
    srv.set_defaults(func=cmd_server)

    sv = sub.add_parser(
        "serve",
        help="deploy the portals' schedules to the Prefect server and run them until stopped",
        description=(
            "Create one deployment per enabled portal (its 'schedule', default weekly) and a "
            "daily link re-check, then run them as they come due. Needs PREFECT_API_URL "
            "(see 'odwatch server'). Ctrl-C or SIGTERM stops it."
        ),
    )
    dp = sub.add_parser(
        "deploy",
        help="register the portals' schedules with a Prefect work pool; its workers run them",
        description=(
            "The same deployments as 'serve' (one per enabled portal, and the link re-check), "
            "registered with a work pool (a process pool, created when missing) instead of "
            "served in this process: any number of 'prefect worker start --pool NAME' processes "
            "pointed at the same Prefect API pick the runs up. Needs PREFECT_API_URL."
        ),
    )
    dp.add_argument("--pool", required=True, metavar="NAME", help="the work pool's name")
    dp.add_argument(
        "--lost-after",
        type=_positive_or_zero,
        default=600.0,
        metavar="S",
        help="a flow run without heartbeats this long lost its worker: run it again on another "
        "(default 600; workers send one every PREFECT_FLOWS_HEARTBEAT_FREQUENCY s, default 180, "
        "keep it under a third of this; 0: no such automation)",
    )
    for p, func in ((sv, cmd_serve), (dp, cmd_deploy)):
        common(p)
        p.add_argument(
            "--links-schedule",
            default=DEFAULT_LINKS_SCHEDULE,
            metavar="CRON",
            help=f"when to re-check the links that are due (default '{DEFAULT_LINKS_SCHEDULE}')",
        )
        p.add_argument(
            "--link-shards",
            type=_shards,
            default=1,
            metavar="N",
            help="split the link re-check into N deployments, each checking a disjoint set of "
            "hosts (run side by side on several workers; per-host politeness holds; default 1)",
        )
        p.add_argument(
            "--interval",
            type=float,
            metavar="SECONDS",
            help="harvest every portal this often instead of on its schedule (for trying it out)",
        )
        p.set_defaults(func=func)
