"""Prefect flows: harvest every enabled portal, assess, publish; and `odwatch check-links` as
its own flow run. Task bodies stay thin."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows.config import Portal
from flows.harvest import HarvestResult, harvest_portal
from flows.links.check import check_links
from flows.publish import SiteResult, artifact_rows, publish_site, scorecard_markdown
from warehouse.records import Warehouse

# Open warehouses by path. Tasks get the path, not the connection, so that Prefect's run
# states never hold a DuckDB object (they outlive the flow and DuckDB complains at exit).
_OPEN: dict[str, Warehouse] = {}


def _wh(path: str) -> Warehouse:
    return _OPEN[path]


class TransientHarvestFailure(Exception):
    """Raised inside the task so Prefect retries it; carries the recorded result."""

    def __init__(self, result: HarvestResult):
        super().__init__(result.error)
        self.result = result


class _ExpectedPortalFailure(logging.Filter):
    """Drops Prefect's log records (traceback, "Finished in state Failed") about a portal
    that is down: that is data, said in the one line per portal, not a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TransientHarvestFailure):
            return False
        return "TransientHarvestFailure" not in record.getMessage()


def quiet_expected_failures() -> None:
    """Keep `odwatch run` at one line per portal: no urllib3 "Retrying ..." warnings (the
    session's own retries of an unreachable host) and no Prefect traceback for a portal's
    expected failure. Bugs still log in full. Idempotent."""
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedPortalFailure) for f in logger.filters):
            logger.addFilter(_ExpectedPortalFailure())


def _retry_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except TransientHarvestFailure:
        return True
    except Exception:
        return False
    return False


@task(
    name="harvest-portal",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=30,
    retry_condition_fn=_retry_transient,
    task_run_name="harvest-{portal.id}",
)
def harvest_task(portal: Portal, warehouse_path: str) -> HarvestResult:
    result = harvest_portal(portal, _wh(warehouse_path))
    if result.status == "failed" and result.transient:
        raise TransientHarvestFailure(result)
    return result


@task(name="check-links", cache_policy=NO_CACHE)
def check_links_task(
    warehouse_path: str, portals: list[Portal], max_urls: int | None = None
) -> str:
    """Check the due URLs of the portals' latest snapshots (never checked ones first).
    With `max_urls`: at most that many, and no content sampling (a quick check)."""
    from flows.links.check import LinkCheckOptions

    options = (
        LinkCheckOptions(max_urls=max_urls, content_sample=0)
        if max_urls is not None
        else LinkCheckOptions()
    )
    return check_links(_wh(warehouse_path), portals, options).line()


@task(name="validate-shacl", cache_policy=NO_CACHE)
def shacl_task(warehouse_path: str, portals: list[Portal], run_ids: list[str]) -> str:
    """GovData's SHACL shapes over the new snapshots, each under its portal's profile."""
    from flows.shacl import validate_new_snapshots

    wh = _wh(warehouse_path)
    with wh.lock:
        cur = wh.cursor()
        try:
            lines = validate_new_snapshots(cur, portals, run_ids)
        finally:
            cur.close()
    return "; ".join(lines) if lines else "nothing to validate"


@task(name="assess", cache_policy=NO_CACHE)
def assess_task(warehouse_path: str, run_ids: list[str]) -> str:
    from flows.assess import assess_runs
    from warehouse.assessments import pending_runs

    wh = _wh(warehouse_path)
    with wh.lock:  # harvest threads share the connection; assess writes in one go
        cur = wh.cursor()
        try:
            results = assess_runs(cur, pending_runs(cur, include=run_ids))
        finally:
            cur.close()
    scored = ", ".join(f"{r.portal_id} {r.points:.0f}/{r.max_assessable}" for r in results)
    return f"{len(results)} snapshot(s) assessed" + (f" ({scored})" if scored else "")


def publish_artifacts(result: SiteResult) -> tuple[Any, Any]:
    """A markdown summary and a table of portal scores as Prefect artifacts (call inside a
    flow or task run, so they attach to it)."""
    md = create_markdown_artifact(
        markdown=scorecard_markdown(result),
        key="odwatch-scorecard",
        description="odwatch: which cities really release their data",
    )
    table = create_table_artifact(
        table=artifact_rows(result.rows),
        key="odwatch-portal-scores",
        description="Latest score of every portal",
    )
    return md, table


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(warehouse_path: str, portals: list[Portal], site_dir: str) -> str:
    """Write the site, attach its summary and score table as Prefect artifacts, and return
    where it is plus one line per city."""
    results = []
    cur = _wh(warehouse_path).cursor()
    try:
        publish_site(cur, portals, site_dir, report=results.append)
    finally:
        cur.close()
    publish_artifacts(results[0])
    return results[0].summary()


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@flow(name="odwatch-run", validate_parameters=False, log_prints=False)
def odwatch_run(
    portals: list[Portal],
    warehouse_path: str,
    site_dir: str,
    retries: int = 2,
    retry_delay: float = 30,
    max_parallel: int = 4,
    link_check: bool = True,
    quiet_failures: bool = True,
) -> list[HarvestResult]:
    """Harvest each portal (own task, own retries; one failing does not stop the others),
    then assess the new snapshots and publish the site."""
    if quiet_failures:
        quiet_expected_failures()
    results: list[HarvestResult] = []
    _OPEN[warehouse_path] = Warehouse(warehouse_path)
    try:
        harvest = harvest_task.with_options(retries=retries, retry_delay_seconds=retry_delay)
        with ThreadPoolTaskRunner(max_workers=max(1, max_parallel)) as runner:
            futures = {
                runner.submit(
                    harvest, parameters={"portal": p, "warehouse_path": warehouse_path}
                ): p.id
                for p in portals
            }
            for future in as_completed(list(futures)):
                pid = futures[future]
                try:
                    result = future.result()
                except TransientHarvestFailure as exc:
                    result = exc.result
                except Exception as exc:  # a bug: recorded as a failed run by harvest_portal
                    result = HarvestResult(
                        pid, "", "failed", error=f"internal error: {type(exc).__name__}: {exc}"
                    )
                results.append(result)
                _progress(result.line())
        order = {p.id: i for i, p in enumerate(portals)}
        results.sort(key=lambda r: order.get(r.portal_id, 0))
        ok_runs = [r.run_id for r in results if r.status == "ok"]
        if link_check:  # the latest snapshot of every portal, also one that failed today
            _progress(f"check-links: {check_links_task(warehouse_path, portals)}")
        _progress(f"validate-shacl: {shacl_task(warehouse_path, portals, ok_runs)}")
        note = assess_task(warehouse_path, ok_runs)
        _progress(f"assess: {note}")
        page = publish_task(warehouse_path, portals, site_dir)
        print(page, flush=True)  # stdout: where the scorecard is, one line per city
    finally:
        _OPEN.pop(warehouse_path).close()
    return results


def run_pipeline(
    portals: list[Portal], warehouse_path: str | Path, site_dir: str | Path, **kw
) -> list[HarvestResult]:
    """Run the flow once, without the heartbeat thread (it costs ~1 s per run, ../shared/STACK.md)."""
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return odwatch_run(portals, str(warehouse_path), str(site_dir), **kw)


T = TypeVar("T")


def run_check_links_flow(body: Callable[..., T], *args) -> T:
    """Run `body(*args)` (the link check, flows.links.check) as the flow "odwatch-check-links",
    without the heartbeat thread: the command's own flow run in the Prefect UI."""
    check_links_flow = flow(
        name="odwatch-check-links", validate_parameters=False, log_prints=False
    )(body)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return check_links_flow(*args)
