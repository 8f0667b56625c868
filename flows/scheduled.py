"""The flows `odwatch serve` deploys: one harvest per portal on its own schedule, and the
link re-check. Each waits for the warehouse (one writer at a time), reuses the tasks of
flows.pipeline, republishes the site with every enabled portal, then sends the alerts."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.alerts import alert_after_run
from flows.config import load_portals, select
from flows.harvest import HarvestResult
from flows.pipeline import (
    _OPEN,
    TransientHarvestFailure,
    assess_task,
    check_links_task,
    harvest_task,
    publish_task,
)
from warehouse.store import Warehouse, connect_waiting


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
    """Harvest and assess one portal, publish the site, alert. Fails if the harvest did."""
    portals = load_portals(portals_file)  # read at run time: an edited file applies at once
    (portal,) = select(portals, [portal_id], portals_file)
    log = get_run_logger()
    with _Writer(warehouse_path, wait) as wh:
        harvest = harvest_task.with_options(retries=retries, retry_delay_seconds=retry_delay)
        try:
            result: HarvestResult = harvest(portal, warehouse_path)
        except TransientHarvestFailure as exc:
            result = exc.result
        log.info(result.line())
        if result.status == "ok":
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
    with _Writer(warehouse_path, wait):
        line = check_links_task(warehouse_path, portals)
        log.info("check-links: %s", line)
        log.info("assess: %s", assess_task(warehouse_path, []))
        log.info("publish: %s", publish_task(warehouse_path, portals, site_dir))
    return line
