"""The flows `odwatch serve` deploys: one harvest per portal on its own schedule, and the
link re-check.

Harvests fetch in parallel and write one after another. A scheduled harvest holds the
warehouse only for a moment to read its previous snapshot, fetches into a private staging
file, and then takes the writer slot (a Prefect global concurrency limit of 1 per warehouse,
created by `odwatch serve`, plus DuckDB's own file lock against processes outside Prefect,
such as a manual `odwatch run`) to import the run, carry the unchanged datasets forward,
assess, republish the site with every enabled portal (unless other harvests are still on
their way: a batch publishes once, after its last import) and send the alerts. Link
re-checks work the same way, each on its shard of the hosts (`odwatch deploy --link-shards N`).

One idea: the scheduled runs and how they reach Prefect (deployments, the writer slot, work
pools, the lost-worker automation); the work itself is in flows.harvest and flows.links."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import signal
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from checks.links import Shard
from flows.adapters.errors import PortalUnavailable
from flows.alerts import alert_after_run
from flows.config import DEFAULT_SCHEDULE, Portal, load_portals, select
from flows.harvest import (
    Fetched,
    complete_run,
    fetch_portal,
    incremental,
    needs_known_ids,
)
from flows.links.check import (
    LinkCheckOptions,
    LinkCheckSummary,
    check_links,
    import_checks,
    read_inputs,
)
from flows.pipeline import _OPEN, assess_task, check_links_task, publish_task, shacl_task
from flows.staging import Stage, on_their_way, staging_file
from warehouse.records import Warehouse
from warehouse.store import PreviousSnapshot, connect_waiting, landed_by, previous_snapshot

HARVEST_FLOW = "odwatch-scheduled-harvest"
LINKS_FLOW = "odwatch-scheduled-links"
LINKS_DEPLOYMENT = "check-links"
# URLs a scheduled harvest checks right away (never checked ones first, no content
# sampling): at 2 requests/s on one host that holds the writer for under a minute
QUICK_LINK_CHECK = 100


SITE_MAX_AGE = 900.0  # seconds: a site this old is published even with harvests on their way


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


def _site_age(site_dir: str) -> float | None:
    """Seconds since the site was last published (None: never)."""
    try:
        return time.time() - (Path(site_dir) / "index.html").stat().st_mtime
    except OSError:
        return None


def _flow_run_id() -> str:
    from prefect.runtime import flow_run

    return str(flow_run.id or "")


def _queued(warehouse_path: str) -> list[str]:
    """The harvests and link checks of this warehouse that are due and not started yet
    (Scheduled with their time past, or Pending): each will import and publish after this
    run. Running ones are seen by their staging object, which goes once imported."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterNextScheduledStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    due = FlowRunFilter(
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
        ),
        next_scheduled_start_time=FlowRunFilterNextScheduledStartTime(before_=datetime.now(UTC)),
    )
    mine = str(warehouse_path)
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[HARVEST_FLOW, LINKS_FLOW])),
                flow_run_filter=due,
                limit=200,
            )
    except Exception as exc:  # the API busy or gone: publish rather than guess
        get_run_logger().info("publish: could not list queued runs (%s)", exc)
        return []
    return sorted(r.name for r in runs if str(r.parameters.get("warehouse_path")) == mine)


def _publish(warehouse_path: str, portals: list[Portal], site_dir: str, stage: Stage) -> None:
    """Publish the site with every enabled portal, unless other harvests are on their way
    to the warehouse (staged now, or due and not started: each publishes after its import)
    and the site is younger
    than SITE_MAX_AGE: a batch of harvests publishes once, after its last import, not once
    per portal. A staging object a killed run left keeps no site older than SITE_MAX_AGE."""
    log = get_run_logger()
    others = on_their_way(warehouse_path, stage) + _queued(warehouse_path)
    age = _site_age(site_dir)
    if others and age is not None and age < SITE_MAX_AGE:
        log.info(
            "publish: left to the next import (%d more on their way: %s); the site is %.0f s old",
            len(others), ", ".join(others[:3]) + (" ..." if len(others) > 3 else ""), age,
        )  # fmt: skip
        return
    log.info("publish: %s", publish_task(warehouse_path, portals, site_dir))


def _previous(warehouse_path: str, portal: Portal, wait: float) -> PreviousSnapshot | None:
    """What an incremental fetch needs; holds the warehouse only for this one query."""
    if not incremental(portal.platform) or not Path(warehouse_path).exists():
        return None
    con = connect_waiting(warehouse_path, wait, on_wait=get_run_logger().info)
    try:
        return previous_snapshot(con, portal.id, with_ids=needs_known_ids(portal.platform))
    finally:
        con.close()


def _landed_before(warehouse_path: str, me: str, wait: float) -> tuple[str, str] | None:
    """The snapshot an earlier attempt of this flow run imported. Prefect runs a flow run
    again when it seems to have lost its worker (the lost-worker automation); a heartbeat
    that reaches the server after the run's Completed state looks like that too, and the
    portal must not be harvested twice. Asked only of a run on its second try or later."""
    from prefect.runtime import flow_run

    if not me or (flow_run.run_count or 1) < 2 or not Path(warehouse_path).exists():
        return None
    con = connect_waiting(warehouse_path, wait, on_wait=get_run_logger().info)
    try:
        return landed_by(con, me)
    finally:
        con.close()


def _landed_line(portal_id: str, landed: tuple[str, str]) -> str:
    return (
        f"{portal_id}: already harvested by an earlier try of this flow run (snapshot "
        f"{landed[0]}, {landed[1]}); not harvested again"
    )


@task(name="fetch-portal", cache_policy=NO_CACHE, task_run_name="fetch-{portal.id}")
def fetch_task(portal: Portal, stage_path: str, prev: PreviousSnapshot | None) -> Fetched:
    """Fetch one portal into the staging file; the warehouse stays free for other writers."""
    with Warehouse(stage_path) as stage:
        return fetch_portal(portal, stage, prev)


@flow(name=HARVEST_FLOW, validate_parameters=False)
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
    log = get_run_logger()
    me = _flow_run_id()
    if landed := _landed_before(warehouse_path, me, wait):
        log.info(_landed_line(portal_id, landed))
        return _landed_line(portal_id, landed)
    if why := _resumed_too_often():
        raise RuntimeError(f"{portal_id}: {why}")
    portals = load_portals(portals_file)  # read at run time: an edited file applies at once
    (portal,) = select(portals, [portal_id], portals_file)
    prev = _previous(warehouse_path, portal, wait)
    attempts: list[Fetched] = []
    with staging_file(warehouse_path, portal.id, me) as stage:
        crash: BaseException | None = None
        for attempt in range(retries + 1):
            try:
                got = fetch_task(portal, str(stage.path), prev)
            except Exception as exc:  # a bug: the run is marked failed in the staging file
                crash = exc
                break
            attempts.append(got)
            if not isinstance(got.error, PortalUnavailable) or attempt == retries:
                break
            log.info("%s: %s; trying again in %g s", portal.id, got.error, retry_delay)
            time.sleep(retry_delay)
        stage.publish()  # object storage: the fetched file waits there for the writer slot
        with _writer_slot(warehouse_path, wait), _Writer(warehouse_path, wait) as wh:
            if me and (landed := wh.landed(me)):  # an earlier attempt landed while this fetched
                stage.discard()
                log.info(_landed_line(portal.id, landed))
                return _landed_line(portal.id, landed)
            if stage.path.exists():
                wh.import_runs(stage.path, me or None)  # every attempt, also one a bug ended
            stage.discard()  # in the warehouse now: no longer on its way
            if crash is not None:
                _publish(warehouse_path, select(portals, None), site_dir, stage)
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
                log.info(
                    "validate-shacl: %s", shacl_task(warehouse_path, [portal], [result.run_id])
                )
                log.info("assess: %s", assess_task(warehouse_path, [result.run_id]))
            _publish(warehouse_path, select(portals, None), site_dir, stage)
            sent = alert_after_run(wh.con, portals, [result])
            if sent:
                log.info("alerts: %s", "; ".join(sent))
    if result.status != "ok":
        raise RuntimeError(result.line())  # a failed run in the Prefect UI, with the reason
    return result.line()


@task(name="check-links", cache_policy=NO_CACHE, task_run_name="check-links-{shard}-of-{shards}")
def check_shard_task(
    portals: list[Portal],
    warehouse_path: str,
    stage_path: str,
    shard: int,
    shards: int,
    wait: float,
) -> LinkCheckSummary:
    """Read what is due on this shard's hosts (the warehouse held for that moment only),
    then check it into the staging file while other runs write the warehouse."""
    part = Shard(shard, shards)
    options = LinkCheckOptions()
    with _Writer(warehouse_path, wait) as wh:
        inputs = read_inputs(wh, portals, options, datetime.now(UTC), part)
    with Warehouse(stage_path) as stage:
        return check_links(stage, portals, options, shard=part, inputs=inputs)


@flow(name=LINKS_FLOW, validate_parameters=False)
def scheduled_links(
    portals_file: str,
    warehouse_path: str,
    site_dir: str,
    wait: float = 6 * 3600,
    shard: int = 1,
    shards: int = 1,
) -> str:
    """Re-check the links that are due (not every URL) on this shard's hosts (`shard` of
    `shards`, see checks.links.Shard; 1 of 1: all), import the results, reassess, publish.

    Like a harvest, the checking runs outside the writer slot, into a staging file; shards
    run side by side on any workers, never two on one host."""
    if why := _resumed_too_often():
        raise RuntimeError(f"check-links: {why}")
    portals = select(load_portals(portals_file), None)
    log = get_run_logger()
    with staging_file(warehouse_path, f"links-{shard}of{shards}", _flow_run_id()) as stage:
        try:
            summary = check_shard_task(
                portals, warehouse_path, str(stage.path), shard, shards, wait
            )
        except Exception as exc:  # its run, marked failed in the staging file, is kept
            crash = exc
        else:
            crash = None
        stage.publish()
        with _writer_slot(warehouse_path, wait), _Writer(warehouse_path, wait) as wh:
            if not stage.path.exists():
                raise crash or RuntimeError("check-links: the staging file is gone")
            stars = import_checks(wh, stage.path, [p.id for p in portals])
            stage.discard()
            if crash is not None:
                _publish(warehouse_path, portals, site_dir, stage)
                raise crash
            summary.stars = stars
            line = f"shard {shard}/{shards}: {summary.line()}"
            log.info("check-links: %s", line)
            log.info("assess: %s", assess_task(warehouse_path, []))
            _publish(warehouse_path, portals, site_dir, stage)
    return line


# ---------------------------------------------------------------- deployments (odwatch serve)


def deployment_specs(
    portals: list[Portal],
    portals_file: Path,
    warehouse: Path,
    site: Path,
    links_schedule: str,
    link_shards: int = 1,
) -> list[tuple[str, str, str, dict]]:
    """(flow, deployment name, cron, parameters) for every enabled portal and the links,
    `link_shards` link-check deployments that split the hosts between them."""
    common = {
        "portals_file": str(portals_file.resolve()),
        "warehouse_path": str(warehouse.resolve()),
        "site_dir": str(site.resolve()),
    }
    specs = [
        (HARVEST_FLOW, p.id, p.schedule or DEFAULT_SCHEDULE, {"portal_id": p.id, **common})
        for p in portals
    ]

    def shard_params(i: int) -> dict:
        return {**common, "shard": i, "shards": link_shards} if link_shards > 1 else dict(common)

    specs += [
        (LINKS_FLOW, links_deployment(i, link_shards), links_schedule, shard_params(i))
        for i in range(1, link_shards + 1)
    ]
    return specs


def links_deployment(shard: int, shards: int) -> str:
    """check-links, or check-links-2of4 for the second of four shards."""
    return LINKS_DEPLOYMENT if shards == 1 else f"{LINKS_DEPLOYMENT}-{shard}of{shards}"


def prune_deployments(keep: set[tuple[str, str]]) -> list[str]:
    """Delete odwatch deployments that portals.yaml no longer asks for."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    removed = []
    with get_client(sync_client=True) as client:
        flows = {
            f.id: f.name
            for f in client.read_flows(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[HARVEST_FLOW, LINKS_FLOW]))
            )
        }
        for dep in client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[HARVEST_FLOW, LINKS_FLOW]))
        ):
            if (flows.get(dep.flow_id), dep.name) not in keep:
                client.delete_deployment(dep.id)
                removed.append(dep.name)
    return removed


def _runner_class():
    from prefect.runner import Runner

    class StoppableRunner(Runner):
        """Prefect's Runner, stopped by SIGTERM or SIGINT the way `Runner.astop` stops it: runs
        in flight are cancelled through Prefect (their process ended, their state Cancelled
        with the reason), never left RUNNING. Prefect's own SIGTERM handler exits mid-loop
        with tracebacks, and Ctrl-C alone leaves in-flight runs RUNNING."""

        stop_requested: asyncio.Event

        def handle_sigterm(self, *args, **kwargs) -> None:
            self._request_stop()

        def _request_stop(self) -> None:
            loop = getattr(self, "_serve_loop", None)
            if loop is not None:
                loop.call_soon_threadsafe(self.stop_requested.set)

        async def serve_until_stopped(self) -> None:
            self._serve_loop = asyncio.get_running_loop()
            self.stop_requested = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._serve_loop.add_signal_handler(sig, self.stop_requested.set)
            started = asyncio.ensure_future(self.start())
            stopping = asyncio.ensure_future(self.stop_requested.wait())
            await asyncio.wait({started, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not started.done():
                if self.started:
                    await self.astop()  # cancels runs in flight, then the polling loops
                else:
                    started.cancel()
            stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await started

    return StoppableRunner


def writer_limit(name: str) -> None:
    """Create (or reset to 1) the Prefect global concurrency limit the scheduled flows take
    before they write the warehouse."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, limit=1)


def deployments_for(specs: list[tuple[str, str, str, dict]], interval: float | None) -> list:
    """One Prefect deployment per spec; `interval` (seconds) replaces the harvests' crons."""
    from prefect.deployments.runner import EntrypointType

    by_flow = {HARVEST_FLOW: scheduled_harvest, LINKS_FLOW: scheduled_links}
    deployments = []
    for flow_name, name, cron, params in specs:
        kw: dict = {"interval": interval} if interval else {"cron": cron}
        if interval and flow_name == LINKS_FLOW:
            kw = {"cron": cron}
        deployments.append(
            by_flow[flow_name].to_deployment(
                name=name,
                parameters=params,
                tags=["odwatch"],
                concurrency_limit=1,  # a run still going when the next is due: it queues
                entrypoint_type=EntrypointType.MODULE_PATH,
                **kw,
            )
        )
    return deployments


def deploy_to_pool(deployments: list, pool: str) -> bool:
    """Register `deployments` with the work pool `pool` (a process pool, created when missing:
    True then) instead of serving them here; `prefect worker start --pool POOL` processes, on
    this machine or any other that reaches the same Prefect API, run them as they come due."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    created = False
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(
                WorkPoolCreate(name=pool, type="process", base_job_template=template)
            )
            created = True
    for deployment in deployments:
        deployment.apply(work_pool_name=pool)
    return created


LOST_WORKER_AUTOMATION = "odwatch-lost-worker"
MAX_RESUMES = 2  # a run whose worker was lost this often fails instead (a portal that kills it)


def lost_worker_automation(lost_after: float) -> bool:
    """Create (True) or update the automation that gives an odwatch flow run whose worker
    died (no heartbeat for `lost_after` seconds: a machine gone, kill -9) back to the pool:
    it goes to AwaitingRetry, and whichever worker polls next runs it again. Prefect's own
    zombie detection (docs: detect-zombie-flows), acting on odwatch's two flows only.
    Workers must send heartbeats at least three times as often (PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    default 180 s)."""
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    automation = Automation(
        name=LOST_WORKER_AUTOMATION,
        description="odwatch: a flow run without heartbeats lost its worker; run it again",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            match_related=ResourceSpecification(
                {
                    "prefect.resource.role": "flow",
                    "prefect.resource.name": [HARVEST_FLOW, LINKS_FLOW],
                }
            ),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=lost_after),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.SCHEDULED,
                name="AwaitingRetry",
                message=f"no heartbeat for {lost_after:g} s: its worker was lost; "
                "any worker of the pool runs it again",
            )
        ],
    )
    try:
        automation.id = Automation.read(name=LOST_WORKER_AUTOMATION).id
    except ValueError:  # not there yet
        automation.create()
        return True
    automation.update()
    return False


def _resumed_too_often() -> str | None:
    """Why this flow run must not run again: its worker was lost more than MAX_RESUMES times."""
    from prefect.runtime import flow_run

    runs = flow_run.run_count or 1
    if runs > MAX_RESUMES + 1:
        return f"lost its worker {runs - 1} times (no heartbeats); not run again"
    return None


def serve_deployments(deployments: list) -> None:
    """Run the deployments as they come due, until SIGTERM or SIGINT (see _runner_class)."""
    runner = _runner_class()(pause_on_shutdown=True)
    for deployment in deployments:
        runner.add_deployment(deployment)
    asyncio.run(runner.serve_until_stopped())
