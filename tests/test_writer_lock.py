"""One writer at a time: a manual run that finds the warehouse busy waits, and loses nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.demo.portals import LocalPortal
from warehouse.store import WarehouseLocked, connect_waiting

ROOT = Path(__file__).resolve().parents[1]

HOLD = """
import sys, time
from warehouse.store import connect
con = connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""

HARVEST = """
import sys
from flows.config import Portal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse
wh = Warehouse(sys.argv[1])
print("locked", flush=True)
result = harvest_portal(Portal("scheduled", "S", "S", "ckan", sys.argv[2], page_size=50), wh)
wh.close()
print(result.line(), flush=True)
"""


def _spawn(code: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
    return proc


def test_connect_waiting_waits_for_the_other_process(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = _spawn(HOLD, str(path), "1.5")
    notes: list[str] = []
    con = connect_waiting(path, wait=300, on_wait=notes.append, poll=0.1)
    con.close()
    # the connection came only once the holder had let go: it has ended (or is ending)
    assert holder.wait(timeout=300) == 0
    assert len(notes) == 1
    assert notes[0].startswith(f"{path}: the warehouse is in use by process {holder.pid}")
    assert notes[0].endswith("; waiting (up to 300 s more)")


def test_connect_waiting_gives_up_with_one_line(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = _spawn(HOLD, str(path), "5")
    try:
        with pytest.raises(WarehouseLocked) as err:
            connect_waiting(path, wait=0.3, poll=0.1)
    finally:
        holder.kill()
        holder.wait()
    assert str(err.value) == (
        f"{path}: the warehouse is in use by process {holder.pid} (DuckDB allows one writer); "
        "wait for that run to finish, or pass --warehouse OTHER.duckdb "
        "(gave up after waiting 0.3 s; pass --wait SECONDS to wait longer)"
    )


@pytest.mark.usefixtures("prefect_harness")  # the run's flow starts before it meets the lock
def test_manual_run_gives_up_with_exit_2(tmp_path, capfd):
    path = tmp_path / "w.duckdb"
    portals = tmp_path / "portals.yaml"
    portals.write_text(
        "portals:\n  - {id: a, title: A, city: A, platform: ckan, url: 'http://127.0.0.1:9'}\n"
    )
    holder = _spawn(HOLD, str(path), "10")
    try:
        code = main(["run", "--portals", str(portals), "--warehouse", str(path), "--wait", "0"])
    finally:
        holder.kill()
        holder.wait()
    err = capfd.readouterr().err
    assert code == 1
    assert err.splitlines()[-1].startswith(f"odwatch: error: {path}: the warehouse is in use")
    assert "Traceback" not in err


@pytest.mark.usefixtures("prefect_harness")
def test_overlapping_runs_both_finish_nothing_lost_or_doubled(br_packages, tmp_path, capfd):
    def slow(req, portal):  # the scheduled harvest holds the warehouse for a few seconds
        reply = portal.answer(req)
        reply.delay = 0.4
        return reply

    path, site, portals = tmp_path / "w.duckdb", tmp_path / "site", tmp_path / "portals.yaml"
    with (
        LocalPortal(br_packages[:300], fault=slow) as busy,
        LocalPortal(br_packages[300:420]) as other,
    ):
        portals.write_text(
            f"portals:\n  - {{id: manual, title: M, city: M, platform: ckan, url: '{other.url}'}}\n"
        )
        scheduled = _spawn(HARVEST, str(path), busy.url)
        code = main(
            ["run", "--portals", str(portals), "--warehouse", str(path), "--site", str(site)]
        )
        out, _ = scheduled.communicate(timeout=60)
    err = capfd.readouterr().err
    assert scheduled.returncode == 0
    assert out.startswith("scheduled: ok, 300 datasets")
    assert code == 0
    assert f"odwatch: {path}: the warehouse is in use by process {scheduled.pid}" in err
    assert "manual: ok, 120 datasets" in err
    con = duckdb.connect(str(path), read_only=True)
    try:
        runs = con.execute(
            "SELECT portal_id, status, dataset_count FROM harvest_runs ORDER BY portal_id"
        ).fetchall()
        rows = con.execute(
            "SELECT portal_id, count(*), count(DISTINCT dataset_id) FROM datasets GROUP BY ALL "
            "ORDER BY portal_id"
        ).fetchall()
        finished = con.execute("SELECT portal_id FROM harvest_runs ORDER BY finished_at").fetchall()
    finally:
        con.close()
    assert runs == [("manual", "ok", 120), ("scheduled", "ok", 300)]
    assert rows == [("manual", 120, 120), ("scheduled", 300, 300)]
    assert finished == [("scheduled",), ("manual",)]  # one after the other
