"""Schedules on a real Prefect server: `odwatch server`, `odwatch serve`, a run that fires.

Starts `odwatch server` once for this module (~15 s) on a free port; the schedule test then
waits (bounded) for a scheduled harvest to leave a new snapshot.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from flows.config import ConfigError, Portal, load_portals
from flows.demo.portals import LocalPortal
from flows.scheduled import HARVEST_FLOW, LINKS_DEPLOYMENT, LINKS_FLOW, deployment_specs

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.schedule


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(extra)
    return env


# Every wait below ends on an event (a line on stderr, a state in the Prefect API, a process
# exit); the deadline is only there so that a hang fails, and it is generous for a busy machine.
DEADLINE = 300


def _tail(proc: subprocess.Popen) -> str:
    log = getattr(proc, "log_path", None)
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


def _stop(proc: subprocess.Popen, timeout: float = DEADLINE) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(
            f"{proc.args[2:4]} did not stop within {timeout} s of SIGTERM; it said: {_tail(proc)}"
        ) from None


def _wait_for(what: str, done, proc: subprocess.Popen, api: str, timeout: float = DEADLINE):
    """Poll `done()` until it is truthy; on expiry fail with what the child and the Prefect
    API showed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = done()
        if got:
            return got
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    runs = [(r["name"], r["state_type"]) for r in _post(api, "/flow_runs/filter")]
    raise AssertionError(
        f"{what}: not seen within {timeout} s (child exit {proc.poll()}); flow runs: {runs}; "
        f"the child said: {_tail(proc)}"
    )


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory, migrated_prefect_db):
    """A server of this module's own (serve's deployments and their concurrency leases stay
    apart from the other tests' flow runs), on a database seeded already migrated."""
    home = tmp_path_factory.mktemp("prefect-server")
    migrated_prefect_db(home)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "server", "--port", str(port)]
        + ["--prefect-home", str(home), "-q"],
        cwd=ROOT,
        env=_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        line = proc.stderr.readline()
        assert line.startswith("odwatch: starting the Prefect server (database sqlite+aiosqlite:")
        ready = proc.stderr.readline()
        assert ready.startswith(f"odwatch: Prefect server ready, UI at http://127.0.0.1:{port}")
        assert (home / "prefect.db").exists()
        # keep reading what the server says: a full pipe would block its logging, and the
        # server with it (seen with many flow runs at once)
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield api
    finally:
        assert _stop(proc) == 0


# The API as Prefect's own client uses it: a busy SQLite database answers 503 (the write
# timed out and was rolled back), which the client retries, honouring Retry-After.
_API = requests.Session()
_API.mount(
    "http://",
    HTTPAdapter(
        max_retries=Retry(
            total=6, backoff_factor=0.5, status_forcelist=(502, 503), allowed_methods=None
        )
    ),
)


def _post(api: str, path: str, body: dict | None = None) -> list[dict]:
    r = _API.post(f"{api}{path}", json=body or {}, timeout=10)
    r.raise_for_status()
    return r.json()


def _deployments(api: str) -> list[tuple[str, str]]:
    flows = {f["id"]: f["name"] for f in _post(api, "/flows/filter")}
    return sorted((flows[d["flow_id"]], d["name"]) for d in _post(api, "/deployments/filter"))


def _serve(api: str, portals: Path, tmp: Path, *extra: str) -> subprocess.Popen:
    log = tmp / f"serve-{time.monotonic_ns()}.log"  # a file, not a pipe: it never fills up
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--portals", str(portals)]
            + ["--warehouse", str(tmp / "w.duckdb"), "--site", str(tmp / "site"), *extra],
            cwd=ROOT,
            env=_env(
                PREFECT_API_URL=api,
                PREFECT_HOME=str(tmp / "client-home"),
                PREFECT_RUNNER_POLL_FREQUENCY="2",
                PREFECT_LOGGING_LEVEL="WARNING",
            ),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
    proc.log_path = log
    return proc


def _yaml(path: Path, *portals: tuple[str, str, str]) -> None:
    lines = ["portals:"]
    for pid, url, cron in portals:
        lines.append(
            f"  - {{id: {pid}, title: P {pid}, city: C {pid}, platform: ckan, url: '{url}', "
            f"schedule: '{cron}'}}"
        )
    path.write_text("\n".join(lines) + "\n")


def test_a_scheduled_harvest_fires_and_leaves_a_snapshot(prefect_server, br_packages, tmp_path):
    """A scheduled run completes and leaves a snapshot; then `serve` is stopped while the next
    run is in flight: it stops promptly and that run ends Cancelled, not left RUNNING."""
    api = prefect_server
    portals = tmp_path / "portals.yaml"
    first_done, second_asked, release = threading.Event(), threading.Event(), threading.Event()

    def hold_the_second_run(req, portal):
        if first_done.is_set():
            second_asked.set()
            release.wait(DEADLINE)
        return None

    with LocalPortal(br_packages[:60], fault=hold_the_second_run) as server:
        _yaml(portals, ("sched", server.url, "0 3 * * 1"))
        serve = _serve(api, portals, tmp_path, "--interval", "5")
        try:

            def completed() -> list[dict]:
                runs = _post(api, "/flow_runs/filter")
                failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED")]
                assert not failed, (failed, _tail(serve))
                return [r for r in runs if r["state_type"] == "COMPLETED"]

            (done,) = _wait_for("a completed scheduled harvest", completed, serve, api)
            first_done.set()
            _wait_for("the next run asking the portal", second_asked.is_set, serve, api)
        finally:
            code = _stop(serve)
            release.set()
        err = _tail(serve)
    assert code == 0, err
    states = {r["id"]: r["state_type"] for r in _post(api, "/flow_runs/filter")}
    assert states.pop(done["id"]) == "COMPLETED"
    # the run in flight was cancelled through Prefect; nothing is left running or pending
    assert "CANCELLED" in states.values(), states
    assert not {"RUNNING", "PENDING", "CANCELLING"} & set(states.values()), states
    assert f"odwatch: {HARVEST_FLOW}/sched: every 5 s" in err
    assert err.rstrip().endswith("odwatch: stopped serving; finished snapshots are kept")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        ok = con.execute(
            "SELECT portal_id, dataset_count FROM harvest_runs WHERE status = 'ok'"
        ).fetchall()
    finally:
        con.close()
    assert ok and set(ok) == {("sched", 60)}
    assert (tmp_path / "site" / "index.html").exists()
    assert (HARVEST_FLOW, "sched") in _deployments(api)
    assert "odwatch: one writer at a time: concurrency limit 'odwatch-writer-" in err


def test_serving_again_after_editing_portals_yaml_does_not_duplicate(prefect_server, tmp_path):
    api = prefect_server
    portals = tmp_path / "portals.yaml"
    url = "http://127.0.0.1:9"
    for ids in (("alpha", "beta"), ("beta", "gamma")):
        _yaml(portals, *[(pid, url, "0 4 * * *") for pid in ids])
        serve = _serve(api, portals, tmp_path)
        try:
            want = {(HARVEST_FLOW, pid) for pid in ids}
            _wait_for(
                f"deployments {sorted(want)}",
                lambda want=want: want <= set(_deployments(api)),
                serve,
                api,
            )
        finally:
            assert _stop(serve) == 0
    deployments = [d for d in _deployments(api) if d[1] != "sched"]
    assert deployments == [
        (HARVEST_FLOW, "beta"),
        (HARVEST_FLOW, "gamma"),
        (LINKS_FLOW, LINKS_DEPLOYMENT),
    ]
    crons = {
        d["name"]: [s["schedule"].get("cron") for s in d["schedules"]]
        for d in _post(api, "/deployments/filter")
    }
    assert crons["gamma"] == ["0 4 * * *"]
    assert crons[LINKS_DEPLOYMENT] == ["0 5 * * *"]


def test_deployment_specs(tmp_path):
    portals = [
        Portal("a", "A", "A", "ckan", "https://a.example"),
        Portal("b", "B", "B", "dcat", "https://b.example", schedule="30 2 * * *"),
    ]
    specs = deployment_specs(
        portals, tmp_path / "p.yaml", tmp_path / "w.duckdb", tmp_path / "site", "0 5 * * *"
    )
    common = {
        "portals_file": str(tmp_path / "p.yaml"),
        "warehouse_path": str(tmp_path / "w.duckdb"),
        "site_dir": str(tmp_path / "site"),
    }
    assert specs == [
        (HARVEST_FLOW, "a", "0 3 * * 1", {"portal_id": "a", **common}),
        (HARVEST_FLOW, "b", "30 2 * * *", {"portal_id": "b", **common}),
        (LINKS_FLOW, LINKS_DEPLOYMENT, "0 5 * * *", common),
    ]


GOOD = "portals:\n  - {id: a, title: A, city: A, platform: ckan, url: 'https://a.example'%s}\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ", schedule: '0 3 * * 9'",
            "portal 'a' (#1): schedule '0 3 * * 9': Bad day-of-week; "
            "write e.g. 'schedule: \"0 3 * * 1\"' (minute hour day month weekday)",
        ),
        (
            ", schedule: 'weekly'",
            "portal 'a' (#1): schedule 'weekly': expected a cron expression of 5 fields; "
            "write e.g. 'schedule: \"0 3 * * 1\"' (minute hour day month weekday)",
        ),
        (
            ", full_every: 0",
            "portal 'a' (#1): full_every 0 is not a positive whole number; "
            "write e.g. 'full_every: 7' (1 = always a full harvest)",
        ),
        (
            ", alerts: [https]",
            "portal 'a' (#1): 'alerts' must be a list of notification URLs; "
            "write e.g. 'alerts: [\"mailto://user:pass@example.org\"]' (apprise URLs)",
        ),
        (
            ", alert_after_failures: true",
            "portal 'a' (#1): alert_after_failures True is not a positive whole number; "
            "write e.g. 'alert_after_failures: 3'",
        ),
        (
            ", alert_score_drop: 0",
            "portal 'a' (#1): alert_score_drop 0 is not a positive number; "
            "write e.g. 'alert_score_drop: 5' (points)",
        ),
    ],
)
def test_schedule_and_alert_keys_are_validated(tmp_path, extra, message):
    path = tmp_path / "portals.yaml"
    path.write_text(GOOD % extra)
    with pytest.raises(ConfigError) as err:
        load_portals(path)
    assert str(err.value) == f"{path}: {message}"


def test_schedule_and_alert_keys(tmp_path):
    path = tmp_path / "portals.yaml"
    path.write_text(
        GOOD
        % (
            ", schedule: '15 2 * * *', full_every: 4, alerts: 'json://127.0.0.1:9/x', "
            "alert_after_failures: 3, alert_score_drop: 7"
        )
    )
    (portal,) = load_portals(path)
    assert (
        portal.schedule,
        portal.full_every,
        portal.alerts,
        portal.alert_after_failures,
        portal.alert_score_drop,
    ) == ("15 2 * * *", 4, ("json://127.0.0.1:9/x",), 3, 7.0)
    path.write_text(GOOD % "")
    (portal,) = load_portals(path)
    assert (portal.schedule, portal.full_every, portal.alerts) == ("0 3 * * 1", 7, ())


SCHEDULED = """
import sys
from flows.scheduled import scheduled_harvest
print(scheduled_harvest(portal_id=sys.argv[1], portals_file=sys.argv[2],
                        warehouse_path=sys.argv[3], site_dir=sys.argv[4]))
"""


def test_deploy_hands_the_schedules_to_a_work_pool_whose_worker_runs_them(
    prefect_server, br_packages, tmp_path
):
    """`odwatch deploy --pool` registers the deployments with a process work pool (created
    once, reused after) instead of serving them; a `prefect worker` started as its own process
    picks a run up and it leaves a whole snapshot; the API names the pool and the worker."""
    api = prefect_server
    pool = "odwatch-test-pool"
    portals = tmp_path / "portals.yaml"
    env = _env(PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "client-home"))
    with LocalPortal(br_packages[:30]) as server:
        _yaml(portals, ("pooled", server.url, "0 3 * * 1"))
        said = []
        for _ in range(2):  # the second time: the pool exists, nothing is doubled
            done = subprocess.run(
                [sys.executable, "-m", "flows.cli", "deploy", "--pool", pool]
                + ["--portals", str(portals), "--warehouse", str(tmp_path / "w.duckdb")]
                + ["--site", str(tmp_path / "site")],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=DEADLINE,
            )
            assert done.returncode == 0, done.stderr
            said.append(done.stderr)
        assert f"odwatch: created work pool '{pool}' (process)" in said[0]
        assert "created work pool" not in said[1]
        assert f"odwatch: {HARVEST_FLOW}/pooled: 0 3 * * 1 (work pool '{pool}')" in said[1]
        (found,) = [p for p in _post(api, "/work_pools/filter") if p["name"] == pool]
        assert found["type"] == "process"
        flows = {f["id"]: f["name"] for f in _post(api, "/flows/filter")}
        pooled = [d for d in _post(api, "/deployments/filter") if d["work_pool_name"] == pool]
        assert sorted((flows[d["flow_id"]], d["name"]) for d in pooled) == [
            (HARVEST_FLOW, "pooled"),
            (LINKS_FLOW, LINKS_DEPLOYMENT),
        ]
        harvest = next(d for d in pooled if d["name"] == "pooled")
        (run,) = [_post(api, f"/deployments/{harvest['id']}/create_flow_run")]
        code, log = _worker_once(pool, "worker-a", env, tmp_path)
        ran = _API.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()
        assert code == 0 and ran["state_type"] == "COMPLETED", (code, ran["state"], log.read_text()[-3000:])  # fmt: skip
        # what the lost-worker automation does to a run whose last heartbeat reached the
        # server after its Completed state (seen in tests/test_fleet.py): back to the pool
        moved = _post(
            api,
            f"/flow_runs/{run['id']}/set_state",
            {"state": {"type": "SCHEDULED", "name": "AwaitingRetry"}},
        )
        assert moved["status"] == "ACCEPT", moved
        code, again_log = _worker_once(pool, "worker-b", env, tmp_path)
        again = _API.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()
        assert code == 0 and again["state_type"] == "COMPLETED", (code, again["state"], again_log.read_text()[-3000:])  # fmt: skip
        assert again["run_count"] == 2
        said = _post(api, "/logs/filter", {"logs": {"flow_run_id": {"any_": [run["id"]]}}})
        assert any("pooled: already harvested by an earlier try" in m["message"] for m in said)
    assert ran["work_pool_name"] == pool
    assert "Worker 'worker-a' submitting flow run" in log.read_text()
    workers = _API.post(f"{api}/work_pools/{pool}/workers/filter", json={}, timeout=10)
    assert "worker-a" in {w["name"] for w in workers.json()}
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        ok = con.execute("SELECT portal_id, dataset_count, status FROM harvest_runs").fetchall()
    finally:
        con.close()
    assert ok == [("pooled", 30, "ok")]
    assert (tmp_path / "site" / "index.html").exists()


def _worker_once(pool: str, name: str, env: dict, tmp_path: Path) -> tuple[int | None, Path]:
    """A `prefect worker` that takes one flow run of the pool and exits once it has run:
    its exit code (None: killed after DEADLINE) and its log."""
    log = tmp_path / f"{name}.log"
    with log.open("w") as err:
        # --run-once --limit 1: one poll, then the worker waits for the run it took and
        # exits by itself. A long-running worker stopped by SIGTERM right after its run
        # was seen to hang for good under load (Prefect 3.8.8: the SIGINT it sends itself
        # is lost in its event loop), so the test does not depend on that path.
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("prefect")), "worker", "start"]
            + ["--pool", pool, "--name", name, "--run-once", "--limit", "1"],
            cwd=tmp_path,  # not the repository: the worker finds odwatch installed
            env={**env, "PREFECT_LOGGING_LEVEL": "INFO"},
            stdout=err,
            stderr=subprocess.STDOUT,
        )
    worker.log_path = log
    try:
        return worker.wait(DEADLINE), log
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        return None, log
