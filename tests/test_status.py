"""`odwatch status`: the operator's overview, from a warehouse with real harvests in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flows.adapters.http import make_session
from flows.cli import main
from flows.config import Portal
from flows.demo.portals import LocalPortal, Reply
from flows.harvest import harvest_portal
from flows.status import age, next_due
from warehouse.records import Warehouse


def test_next_due_and_age():
    monday_3am = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert next_due("0 3 * * 1", datetime(2026, 11, 22, 12, 0, tzinfo=UTC)) == monday_3am
    assert next_due("0 3 * * 1", monday_3am) == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert age(datetime(2026, 11, 19, 8, 30, tzinfo=UTC), now) == "3 d 3 h"
    assert age(datetime(2026, 11, 22, 9, 50, tzinfo=UTC), now) == "2 h 10 min"
    assert age(datetime(2026, 11, 22, 11, 18), now) == "42 min"  # naive = UTC
    assert age(None, now) is None


def test_status_table_json_and_exit_code(br_packages, tmp_path, capsys):
    broken = {"on": False}

    def fault(req, portal):
        return Reply(503, "<html>down for maintenance</html>") if broken["on"] else None

    warehouse = tmp_path / "w.duckdb"
    with (
        LocalPortal(br_packages[:40]) as good,
        LocalPortal(br_packages[40:70], fault=fault) as flaky,
    ):
        (tmp_path / "portals.yaml").write_text(
            "portals:\n"
            f"  - {{id: good, title: G, city: G, platform: ckan, url: '{good.url}', "
            "schedule: '0 3 * * 1'}\n"
            f"  - {{id: flaky, title: F, city: F, platform: ckan, url: '{flaky.url}', "
            "schedule: '30 2 * * *'}\n"
            "  - {id: new, title: N, city: N, platform: ckan, url: 'https://new.example'}\n"
        )
        with Warehouse(warehouse) as wh:
            portal = Portal("good", "G", "G", "ckan", good.url, allow_private_urls=True)
            harvest_portal(portal, wh)
            harvest_portal(portal, wh)  # incremental, nothing changed
            other = Portal("flaky", "F", "F", "ckan", flaky.url, allow_private_urls=True)
            harvest_portal(other, wh)
            broken["on"] = True
            for _ in range(2):  # no retries inside the session: fail at once
                harvest_portal(other, wh, make_session(per_host_rate=0, retries=0))
    assert main(["assess", "--warehouse", str(warehouse), "-q", "--no-expectations"]) == 0
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "good-0a1b2c3d.duckdb").write_bytes(b"")
    capsys.readouterr()

    args = ["status", "--portals", str(tmp_path / "portals.yaml"), "--warehouse", str(warehouse)]
    assert main(args) == 3  # flaky's last harvest failed, new was never harvested
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "portal", "schedule", "next_due", "last_attempt", "result", "mode", "datasets",
        "changed", "requests", "failing", "snapshot_age", "score",
    ]  # fmt: skip
    good_row, flaky_row, new_row = out[1], out[2], out[3]
    assert good_row.startswith("good ") and " ok " in good_row and " incremental " in good_row
    assert " 40 " in good_row and "/405 " in good_row
    assert flaky_row.startswith("flaky") and " failed " in flaky_row and " 30 " in flaky_row
    assert new_row.split()[0] == "new" and "never harvested" in new_row
    assert out[4].startswith("flaky: ") and "503" in out[4]
    assert out[5].startswith("good: fetching now (since ")

    assert main([*args, "--format", "json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    rows = {r["portal"]: r for r in doc["portals"]}
    assert (rows["good"]["result"], rows["good"]["mode"], rows["good"]["failing"]) == (
        "ok", "incremental", 0,
    )  # fmt: skip
    assert (rows["good"]["datasets"], rows["good"]["changed"], rows["good"]["requests"]) == (
        40, 1, 2,
    )  # fmt: skip
    # two failed attempts in a row; its last good snapshot still counts 30 datasets
    assert (rows["flaky"]["result"], rows["flaky"]["failing"], rows["flaky"]["datasets"]) == (
        "failed", 2, 30,
    )  # fmt: skip
    assert rows["flaky"]["next_due"].endswith("02:30")
    assert rows["new"]["result"] == "never harvested"
    assert [pid for pid, _ in doc["fetching"]] == ["good"]


def test_status_of_a_missing_warehouse_is_one_line(tmp_path, capsys):
    (tmp_path / "p.yaml").write_text(
        "portals:\n  - {id: a, title: A, city: A, platform: ckan, url: 'https://a.example'}\n"
    )
    code = main(
        [
            "status",
            "--portals",
            str(tmp_path / "p.yaml"),
            "--warehouse",
            str(tmp_path / "no.duckdb"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.endswith("no warehouse here yet; run 'odwatch run' first or pass --warehouse PATH")
    assert "\n" not in err
