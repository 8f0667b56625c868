"""The flows `odwatch serve` deploys: one harvest per portal on its own schedule, and the
link re-check.

Harvests fetch in parallel and write one after another. A scheduled harvest holds the
warehouse only for a moment to read its previous snapshot, fetches into a private staging
file, and then takes the writer slot (a Prefect global concurrency limit of 1 per warehouse,
created by `odwatch serve`, plus DuckDB's own file lock against processes outside Prefect,
such as a manual `odwatch run`) to import the run, carry the unchanged datasets forward,
assess, republish the site with every enabled portal and send the alerts."""

from __future__ import annotations

import hashlib
import time
from contextlib import nullcontext
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.adapters.errors import PortalUnavailable
from flows.alerts import alert_after_run
from flows.config import Portal, load_portals, select
from flows.harvest import (
    Fetched,
    complete_run,
    fetch_portal,
    incremental,
    needs_known_ids,
    staging_file,
)
from flows.pipeline import _OPEN, assess_task, check_links_task, publish_task
from warehouse.store import PreviousSnapshot, Warehouse, connect_waiting, previous_snapshot

# URLs a scheduled harvest checks right away (never checked ones first, no content
# sampling): at 2 requests/s on one host that holds the writer for under a minute
QUICK_LINK_CHECK = 100


def writer_limit_name(warehouse_path: str | Path) -> str:
    """The Prefect global concurrency limit that lets one flow at a time write `warehouse_path`."""
    digest = hashlib.sha1(str(Path(warehouse_path).resolve()).encode()).hexdigest()[:10]
    return f"odwatch-writer-{digest}"


def _writer_slot(warehouse_path: str, wait: float):
    """Wait for the warehouse's writer slot on the Prefect server (visible in the UI under
    Concurrency). Without a server-side limit (a flow run outside `odwatch serve`) the
    DuckDB lock alone keeps writers apart."""
    try:
        from prefect.concurrency.sync import concurrency
    except ImportError:  # pragma: no cover - prefect always has it
        return nullcontext()
    return concurrency(writer_limit_name(warehouse_path), occupy=1, timeout_seconds=wait)


class _Writer:
    """Hold the warehouse for the whole flow: wait while another run writes, then open it."""

    def __init__(self, path: str, wait: float):
        self.path, self.wait = path, wait

    def __enter__(self) -> Warehouse:
        log = get_run_logger()
        self.holder = connect_waiting(self.path, self.wait, on_wait=log.info)
        wh = _OPEN[self.path] = Warehouse(self.path)
        return wh

    def __exit__(self, *exc: object) -> None:
        _OPEN.pop(self.path).close()
        self.holder.close()


def _previous(warehouse_path: str, portal: Portal, wait: float) -> PreviousSnapshot | None:
    """What an incremental fetch needs; holds the warehouse only for this one query."""
    if not incremental(portal.platform) or not Path(warehouse_path).exists():
        return None
    con = connect_waiting(warehouse_path, wait, on_wait=get_run_logger().info)
    try:
        return previous_snapshot(con, portal.id, with_ids=needs_known_ids(portal.platform))
    finally:
        con.close()


@task(name="fetch-portal", cache_policy=NO_CACHE, task_run_name="fetch-{portal.id}")
def fetch_task(portal: Portal, stage_path: str, prev: PreviousSnapshot | None) -> Fetched:
    """Fetch one portal into the staging file; the warehouse stays free for other writers."""
    with Warehouse(stage_path) as stage:
        return fetch_portal(portal, stage, prev)


@flow(name="odwatch-scheduled-harvest", validate_parameters=False)
def scheduled_harvest(
    portal_id: str,
    portals_file: str,
    warehouse_path: str,
    site_dir: str,
    wait: float = 6 * 3600,
    retries: int = 2,
    retry_delay: float = 60,
) -> str:
    """Harvest and assess one portal, publish the site, alert. Fails if the harvest did.

    The fetch runs outside the writer slot (other portals' harvests fetch at the same
    time); an unreachable portal is tried again up to `retries` times, each attempt
    recorded as its own run."""
    portals = load_portals(portals_file)  # read at run time: an edited file applies at once
    (portal,) = select(portals, [portal_id], portals_file)
    log = get_run_logger()
    prev = _previous(warehouse_path, portal, wait)
    attempts: list[Fetched] = []
    with staging_file(warehouse_path, portal.id) as stage:
        crash: BaseException | None = None
        for attempt in range(retries + 1):
            try:
                got = fetch_task(portal, str(stage), prev)
            except Exception as exc:  # a bug: the run is marked failed in the staging file
                crash = exc
                break
            attempts.append(got)
            if not isinstance(got.error, PortalUnavailable) or attempt == retries:
                break
            log.info("%s: %s; trying again in %g s", portal.id, got.error, retry_delay)
            time.sleep(retry_delay)
        with _writer_slot(warehouse_path, wait), _Writer(warehouse_path, wait) as wh:
            if stage.exists():
                wh.import_runs(stage)  # every attempt, also one a bug ended
            if crash is not None:
                raise crash
            for failed in attempts[:-1]:
                log.info(complete_run(portal, wh, prev, failed).line())
            result = complete_run(portal, wh, prev, attempts[-1])
            log.info(result.line())
            if result.status == "ok":
                # a fixed link shows as fixed at once: the URLs this harvest brought in are
                # checked now (bounded, the writer is held); the rest wait for the daily run
                log.info(
                    "check-links: %s",
                    check_links_task(warehouse_path, [portal], max_urls=QUICK_LINK_CHECK),
                )
                log.info("assess: %s", assess_task(warehouse_path, [result.run_id]))
            log.info("publish: %s", publish_task(warehouse_path, select(portals, None), site_dir))
            sent = alert_after_run(wh.con, portals, [result])
            if sent:
                log.info("alerts: %s", "; ".join(sent))
    if result.status != "ok":
        raise RuntimeError(result.line())  # a failed run in the Prefect UI, with the reason
    return result.line()


@flow(name="odwatch-scheduled-links", validate_parameters=False)
def scheduled_links(
    portals_file: str, warehouse_path: str, site_dir: str, wait: float = 6 * 3600
) -> str:
    """Re-check the links that are due (not every URL), reassess, publish."""
    portals = select(load_portals(portals_file), None)
    log = get_run_logger()
    with _writer_slot(warehouse_path, wait), _Writer(warehouse_path, wait):
        line = check_links_task(warehouse_path, portals)
        log.info("check-links: %s", line)
        log.info("assess: %s", assess_task(warehouse_path, []))
        log.info("publish: %s", publish_task(warehouse_path, portals, site_dir))
    return line
