"""Snapshots are atomic; a locked warehouse is one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flows.adapters.http import make_session
from flows.cli import main
from flows.config import Portal
from flows.demo.portals import LocalPortal, Reply
from flows.harvest import harvest_portal
from warehouse.records import Warehouse
from warehouse.store import WarehouseLocked, connect, raw_page_text


def latest(con) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in con.execute("SELECT portal_id, run_id, dataset_count FROM latest_runs").fetchall()
    }


def test_failed_harvest_keeps_previous_snapshot(br_packages, warehouse_path):
    broken = {"on": False}

    def fault(req, portal):
        if broken["on"] and req.params.get("start") == "200":
            return Reply(200, "<html>maintenance</html>")
        return None

    with LocalPortal(br_packages, fault=fault) as server, Warehouse(warehouse_path) as wh:
        portal = Portal(
            id="br",
            title="t",
            city="c",
            platform="ckan",
            url=server.url,
            page_size=100,
            full_every=1,  # the second harvest must page through the broken page again
        )
        first = harvest_portal(portal, wh, make_session(per_host_rate=0))
        broken["on"] = True
        second = harvest_portal(portal, wh, make_session(per_host_rate=0))
        assert (first.status, second.status) == ("ok", "failed")
        assert latest(wh.con) == {"br": (first.run_id, 800)}
        # the failed run is recorded with its reason, its partial rows are gone, its pages kept
        assert wh.con.execute(
            "SELECT status, error IS NOT NULL, request_count FROM harvest_runs WHERE run_id = ?",
            [second.run_id],
        ).fetchone() == ("failed", True, 3)
        for table in ("dataset_rows", "distribution_rows", "snapshot_members"):
            assert wh.con.execute(
                f"SELECT count(*) FROM {table} WHERE run_id = ?", [second.run_id]
            ).fetchone() == (0,)
        assert raw_page_text(wh.con, second.run_id, 2) == "<html>maintenance</html>"
        assert wh.con.execute("SELECT count(*) FROM latest_datasets").fetchone() == (800,)


def test_killed_harvest_is_abandoned_on_next_open(br_packages, warehouse_path):
    with LocalPortal(br_packages[:40]) as server:
        portal = Portal(id="br", title="t", city="c", platform="ckan", url=server.url, page_size=10)
        with Warehouse(warehouse_path) as wh:
            ok = harvest_portal(portal, wh, make_session(per_host_rate=0))
    # a second process starts a harvest and is killed half-way (SIGKILL: no cleanup at all)
    script = """
import os, signal
from flows.adapters.ckan import harvest_ckan
from flows.adapters.ckan_parse import parse_package
from flows.adapters.http import make_session
from flows.config import Portal
from warehouse.records import Warehouse
wh = Warehouse(WAREHOUSE)
portal = Portal(id="br", title="t", city="c", platform="ckan", url=URL, page_size=10)
run_id = wh.begin_run(portal)
for i, batch in enumerate(harvest_ckan(portal, make_session(per_host_rate=0), lambda r: None)):
    wh.add_records("dataset_rows", [parse_package(p, "br", portal.url, run_id)[0] for p in batch])
    if i == 1:
        wh.con.execute("CHECKPOINT")
        os.kill(os.getpid(), signal.SIGKILL)
"""
    with LocalPortal(br_packages[:40]) as server:
        script = script.replace("WAREHOUSE", repr(str(warehouse_path))).replace(
            "URL", repr(server.url)
        )
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    con = connect(warehouse_path)
    try:
        statuses = dict(
            con.execute("SELECT status, count(*) FROM harvest_runs GROUP BY ALL").fetchall()
        )
        assert statuses == {"ok": 1, "abandoned": 1}
        assert latest(con) == {"br": (ok.run_id, 40)}
        assert con.execute("SELECT count(*) FROM datasets").fetchone() == (40,)
        assert con.execute("SELECT count(*) FROM dataset_rows").fetchone() == (40,)
    finally:
        con.close()


def test_second_process_gets_one_clear_line(warehouse_path, tmp_path, capsys):
    connect(warehouse_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys; c=duckdb.connect({str(warehouse_path)!r}); print('ready', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLocked) as err:
            connect(warehouse_path)
        assert str(err.value) == (
            f"{warehouse_path}: the warehouse is in use by process {holder.pid} (DuckDB allows one writer); "
            "wait for that run to finish, or pass --warehouse OTHER.duckdb"
        )
        portals = tmp_path / "portals.yaml"
        portals.write_text(
            "portals:\n  - {id: a, title: A, city: A, platform: ckan, url: 'http://127.0.0.1:9'}\n"
        )
        code = main(
            ["run", "--portals", str(portals), "--warehouse", str(warehouse_path), "--wait", "0"]
        )
        assert code == 1
        assert capsys.readouterr().err == f"odwatch: error: {err.value}\n"
        # one line and nothing else: it stopped before announcing a harvest (or starting Prefect)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_latest_views_are_plain_duckdb(br_packages, warehouse_path):
    import duckdb

    with LocalPortal(br_packages[:5]) as server, Warehouse(warehouse_path) as wh:
        harvest_portal(
            Portal(id="br", title="t", city="c", platform="ckan", url=server.url),
            wh,
            make_session(),
        )
    con = duckdb.connect(str(warehouse_path), read_only=True)
    cols = {r[0] for r in con.execute("DESCRIBE latest_distributions").fetchall()}
    assert {"portal_id", "dataset_id", "distribution_id", "url", "format"} - cols == {"format"}
    assert {"portal_id", "dataset_id", "title"} <= {
        r[0] for r in con.execute("DESCRIBE latest_datasets").fetchall()
    }
    con.close()


def test_a_warehouse_from_before_snapshot_members_is_upgraded(br_packages, warehouse_path, capsys):
    """Warehouses written before rows were shared between snapshots stored `datasets` and
    `distributions` as tables, one copy per snapshot. A writer renames them and records
    every snapshot's members; a reader is told in one line to let a writer do that."""
    import duckdb

    with LocalPortal(br_packages[:60]) as server, Warehouse(warehouse_path) as wh:
        portal = Portal(id="br", title="t", city="c", platform="ckan", url=server.url, full_every=1)
        runs = [harvest_portal(portal, wh, make_session(per_host_rate=0)) for _ in range(2)]
        before = {
            t: wh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("datasets", "distributions", "latest_datasets")
        }
    # rewrite it the way the old schema stored it
    con = duckdb.connect(str(warehouse_path))
    for t in ("datasets", "distributions"):
        con.execute(f"CREATE TABLE old_{t} AS SELECT * FROM {t}")
    con.execute(
        "DROP VIEW latest_datasets; DROP VIEW latest_distributions; DROP VIEW datasets; "
        "DROP VIEW distributions; DROP TABLE snapshot_members; DROP TABLE dataset_rows; "
        "DROP TABLE distribution_rows; ALTER TABLE old_datasets RENAME TO datasets; "
        "ALTER TABLE old_distributions RENAME TO distributions"
    )
    con.close()

    assert main(["findings", "--portal", "br", "--warehouse", str(warehouse_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "written by an older odwatch; open it for writing once to upgrade it "
        "(e.g. 'odwatch assess --warehouse PATH')"
    ), err
    assert "\n" not in err

    con = connect(warehouse_path)
    try:
        after = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("datasets", "distributions", "latest_datasets")
        }
        members = con.execute(
            "SELECT run_id, count(*) FROM snapshot_members GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert after == before
    assert sorted(members) == sorted((r.run_id, 60) for r in runs)


def test_spooled_rows_equal_page_by_page_rows(br_packages, warehouse_path, monkeypatch, tmp_path):
    """A harvest loads its rows in bulks (RowSpool): flushed every 150 rows, or once at the
    end, the stored rows are the same, and no spool file is left behind."""
    import tempfile

    import warehouse.records as records

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tables = {}
    with LocalPortal(br_packages) as server, Warehouse(warehouse_path) as wh:
        for rows in (150, 10**9):
            monkeypatch.setattr(records, "SPOOL_ROWS", rows)
            portal = Portal(
                id=f"br{rows}", title="t", city="c", platform="ckan", url=server.url, page_size=100
            )
            result = harvest_portal(portal, wh, make_session(per_host_rate=0))
            assert (result.status, result.datasets) == ("ok", 800)
            tables[rows] = [
                wh.con.execute(
                    f"SELECT * EXCLUDE (run_id, portal_id) FROM {table} WHERE run_id = ? "
                    "ORDER BY ALL",
                    [result.run_id],
                ).fetchall()
                for table in ("dataset_rows", "distribution_rows")
            ]
    assert len(tables[150][1]) > 150  # the distributions were flushed many times
    assert tables[150] == tables[10**9]
    assert list(tmp_path.glob("odwatch-*")) == []
