"""However `odwatch run` ends, nothing it started outlives it (issue: an orphaned Prefect
server after SIGTERM). Waits on events (the portal being asked), never on guessed seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from flows.demo.portals import LocalPortal

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.prefect  # starts a temporary Prefect server
DEADLINE = 240  # generous: a busy CI machine; every wait below ends on an event first


@pytest.mark.parametrize("sig", [signal.SIGTERM])  # SIGINT takes the same handler
def test_run_stopped_mid_harvest_leaves_no_process_behind(
    br_packages, tmp_path, sig, migrated_prefect_db
):
    asked = threading.Event()
    release = threading.Event()

    def hold(req, portal):  # the harvest is under way: hold the answer until the test is done
        asked.set()
        release.wait(DEADLINE)
        return None

    with LocalPortal(br_packages[:20], fault=hold) as server:
        portals = tmp_path / "portals.yaml"
        portals.write_text(
            f"portals:\n  - {{id: p, title: P, city: P, platform: ckan, url: '{server.url}'}}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        env["PREFECT_HOME"] = str(migrated_prefect_db(tmp_path / "prefect-home").parent)
        env["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "true"  # what odwatch run does by default
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--portals", str(portals)]
            + ["--warehouse", str(tmp_path / "w.duckdb"), "--site", str(tmp_path / "site")]
            + ["--retries", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert asked.wait(DEADLINE), f"the portal was never asked; odwatch said: {_err(proc)}"
            children = psutil.Process(proc.pid).children(recursive=True)
            # the temporary Prefect server is one of them
            assert any("uvicorn" in " ".join(c.cmdline()) for c in children), children
            proc.send_signal(sig)
            code = proc.wait(DEADLINE)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
        err = proc.stderr.read()
        _, alive = psutil.wait_procs(children, timeout=DEADLINE)
    assert alive == [], f"left running after odwatch ended: {alive}; odwatch said: {err[-2000:]}"
    assert code == 130, err[-2000:]
    assert "odwatch: interrupted; completed snapshots are kept" in err
    assert "Traceback" not in err


def _err(proc: subprocess.Popen) -> str:
    proc.kill()
    return proc.stderr.read()[-2000:]
