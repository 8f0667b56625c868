"""Shared fixtures: the recorded corpus, local portals, a temporary warehouse, Prefect."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("ODWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))

# Prefect settings must be in the environment before prefect is imported anywhere.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# No test may start a Prefect server of its own by accident (each costs ~12 CPU-s): flows
# run against the session's shared server (prefect_harness); tests/test_shutdown.py allows
# it again for the `odwatch run` whose temporary server it checks.
os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
os.environ["ODWATCH_ALLOW_PRIVATE_URLS"] = "1"  # local test servers live on 127.0.0.1
# Recorded corpus URLs name real hosts; with no network, the link checker must not spend
# the suite's time on DNS look-ups that cannot succeed.
os.environ.setdefault("ODWATCH_OFFLINE", "1")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "prefect: needs the Prefect test harness (~15 s once per session)"
    )
    config.addinivalue_line(
        "markers", "schedule: starts a real Prefect server and waits for a scheduled run (~40 s)"
    )


# The longest chains first, so that they do not start last and leave the other workers idle
# at the end (`--dist loadfile` hands out files in collection order).
LONGEST_FIRST = (
    "test_schedule.py",
    "test_schedule_parallel.py",
    "test_shutdown.py",
    "test_postgres.py",
    "test_pipeline.py",
    "test_links_flow.py",
    "test_dcat_adapter.py",
    "test_site_pipeline.py",
    "test_writer_lock.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session", autouse=True)
def _prefect_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ.setdefault("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(
            f"recorded corpus not found at {CORPUS} (expected ../shared/corpus beside the repo)"
        )
    return CORPUS


def load_corpus_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def br_packages(corpus: Path) -> list[dict]:
    """The 800 real package dicts of dados.gov.br (one package_search page)."""
    page = load_corpus_json(
        corpus / "ckan" / "dados-gov-br" / "catalog_check_ignore_packages__0.json"
    )
    return page["result"]["results"]


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This session's temporary directory, the same for every xdist worker (each worker's
    basetemp is `<session basetemp>/popen-gwN`)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_DEADLINE = 300  # only so that a hang fails; the wait ends on the "ready" line


def _start_prefect_server(home: Path) -> dict:
    """`odwatch server` on a free port; returns once it says it is ready (or why not)."""
    port = _free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "server", "--port", str(port)]
            + ["--prefect-home", str(home), "-q"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # outlives the worker that started it; the session stops it
        )
    deadline = time.monotonic() + SERVER_DEADLINE
    while time.monotonic() < deadline and proc.poll() is None:
        if "odwatch: Prefect server ready" in log.read_text(errors="replace"):
            # a copy of the freshly migrated, still empty database: other tests' servers
            # start from it instead of running Prefect's ~200 migrations again (~10 CPU-s)
            template = home.parent / "prefect-template.db"
            with sqlite3.connect(home / "prefect.db") as src, sqlite3.connect(template) as dst:
                src.backup(dst)
            return {
                "api": f"http://127.0.0.1:{port}/api",
                "pid": proc.pid,
                "log": str(log),
                "template": str(template),
            }
        time.sleep(0.2)
    said = log.read_text(errors="replace")[-3000:]
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    return {"error": f"odwatch server (exit {proc.poll()}) not ready: {said}", "pid": None}


@pytest.fixture(scope="session")
def shared_prefect_server(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One Prefect server (`odwatch server`, SQLite) for the whole session, shared by the
    xdist workers: the first worker that needs it starts it, the others find its address in
    `prefect-server.json` (api, pid, log); pytest_unconfigure of the main process stops it. Tests on it must
    filter what they read by their own flows, deployments or artifacts."""
    shared = _shared_dir(tmp_path_factory)
    info = shared / "prefect-server.json"
    with (shared / "prefect-server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not info.exists():
            info.write_text(json.dumps(_start_prefect_server(shared / "prefect-server")))
    server = json.loads(info.read_text())
    if "error" in server:
        pytest.fail(server["error"])
    return server


@pytest.fixture(scope="session")
def migrated_prefect_db(shared_prefect_server: dict):
    """Seed a Prefect home with an empty database already at Prefect's latest migration; the
    server started on it finds nothing to migrate. (The shared server itself, test_postgres
    and a plain `odwatch run` still migrate from scratch.)"""

    def seed(home: Path) -> Path:
        home.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(shared_prefect_server["template"], home / "prefect.db"))

    return seed


@pytest.fixture(scope="session")
def prefect_api(shared_prefect_server: dict) -> str:
    return shared_prefect_server["api"]


def _shared_server_pid(config: pytest.Config) -> int | None:
    factory = getattr(config, "_tmp_path_factory", None)
    if hasattr(config, "workerinput") or factory is None or factory._basetemp is None:
        return None
    info = factory.getbasetemp() / "prefect-server.json"
    return json.loads(info.read_text()).get("pid") if info.exists() else None


# ODWATCH_TEST_CPU_REPORT=1: CPU time (user+sys) per test file, the process running it plus
# every child it waited for (subprocess CLIs, Prefect servers of a test's own), setup and
# teardown included; each xdist worker sends its figures to the main process, which prints
# them at the end (most expensive first) and, with ODWATCH_TEST_CPU_REPORT=FILE.json, writes
# them there. Processes nobody waits for (the shared Prefect server) are reported apart.
CPU_REPORT = os.environ.get("ODWATCH_TEST_CPU_REPORT", "")
_cpu_by_file: dict[str, float] = {}


def _cpu_now() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    if not CPU_REPORT:
        yield
        return
    before = _cpu_now()
    yield
    name = item.path.name
    _cpu_by_file[name] = _cpu_by_file.get(name, 0.0) + _cpu_now() - before


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if CPU_REPORT and workeroutput is not None:
        workeroutput["odwatch_cpu"] = json.dumps({"files": _cpu_by_file, "total": _cpu_now()})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    said = getattr(node, "workeroutput", {}).get("odwatch_cpu")
    if said:
        got = json.loads(said)
        for name, cpu in got["files"].items():
            _cpu_by_file[name] = _cpu_by_file.get(name, 0.0) + cpu
        _cpu_workers.append(got["total"])


_cpu_workers: list[float] = []


def _cpu_report(terminalreporter) -> None:
    files = sorted(_cpu_by_file.items(), key=lambda kv: -kv[1])
    total = sum(cpu for _, cpu in files)
    workers = sum(_cpu_workers) if _cpu_workers else None
    terminalreporter.write_sep("-", "CPU time per test file (user+sys, incl. children)")
    for name, cpu in files:
        terminalreporter.write_line(f"{cpu:8.1f} CPU-s  {100 * cpu / (total or 1):5.1f} %  {name}")
    line = f"{total:8.1f} CPU-s  in test files"
    if workers is not None:
        line += f"; {workers:.1f} CPU-s in {len(_cpu_workers)} worker(s) in all (collection too)"
    terminalreporter.write_line(line)
    if CPU_REPORT not in ("1", "yes", "true"):
        Path(CPU_REPORT).write_text(
            json.dumps({"files": dict(files), "workers": _cpu_workers}, indent=1) + "\n"
        )


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """What the shared Prefect server cost (its processes' CPU time): the suite's budget on a
    busy 2-core machine is CPU, and the server is one of its larger shares."""
    if CPU_REPORT and _cpu_by_file:
        _cpu_report(terminalreporter)
    pid = _shared_server_pid(config)
    if not pid:
        return
    import psutil

    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
        cpu = sum(sum(p.cpu_times()[:2]) for p in procs)
        age = time.time() - procs[0].create_time()
    except psutil.Error:
        return
    terminalreporter.write_line(f"shared Prefect server: {cpu:.1f} CPU-s over {age:.0f} s")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the shared Prefect server (main process only: it ends after every worker)."""
    pid = _shared_server_pid(config)
    if not pid:
        return
    import psutil

    try:
        proc = psutil.Process(pid)
        proc.send_signal(signal.SIGTERM)  # odwatch server stops its Prefect server and exits
        proc.wait(SERVER_DEADLINE)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def prefect_harness(prefect_api: str):
    """Flows run in-process against the session's shared Prefect server."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        # as prefect_test_harness does: also the process-wide settings, so that flows run in
        # another thread (odwatch runs its pipeline beside the main thread) report here too
        # instead of starting an ephemeral server of their own
        with prefect.context._temporary_global_settings_context(
            prefect.context.get_settings_context()
        ):
            yield prefect_api


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"
