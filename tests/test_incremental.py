"""Incremental CKAN harvests: only what changed is fetched, the snapshot is still complete."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from snapshots import snapshot_file as _snapshot

from flows.config import Portal
from flows.demo.portals import LocalPortal, Reply
from flows.harvest import OVERLAP, harvest_portal, incremental_since
from warehouse.records import Warehouse
from warehouse.store import PreviousSnapshot


def _packages(br_packages: list[dict], n: int) -> list[dict]:
    """Copies whose metadata_modified are two hours apart, the last one the newest."""
    out = copy.deepcopy(br_packages[:n])
    for i, pkg in enumerate(out):
        pkg["metadata_modified"] = (datetime(2024, 1, 1) + timedelta(hours=2 * i)).isoformat()
    return out


def _portal(url: str, **kw) -> Portal:
    return Portal("inc", "Incremental", "Inc", "ckan", url, page_size=100, **kw)


def test_incremental_equals_full_and_costs_what_changed(br_packages, tmp_path):
    packages = _packages(br_packages, 300)
    with LocalPortal(packages) as server:
        portal = _portal(server.url)
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(portal, wh)
            assert (first.status, first.mode, first.datasets) == ("ok", "full", 300)
            assert server.calls == {"package_search": 3}

            now = datetime.now(UTC).replace(tzinfo=None).isoformat()
            with server.lock:
                for pkg in server.packages[10:20]:
                    pkg["title"] = f"{pkg['title']} (corrected)"
                    pkg["metadata_modified"] = now
                gone = {server.packages[0]["id"], server.packages[150]["id"]}
                server.packages = [p for p in server.packages if p["id"] not in gone]
            server.calls.clear()

            second = harvest_portal(portal, wh)
            incremental_calls = dict(server.calls)
            runs = wh.con.execute(
                "SELECT mode, changed_count, carried_count, dataset_count, expected_count "
                "FROM harvest_runs ORDER BY started_at"
            ).fetchall()
            stored = dict(
                wh.con.execute("SELECT run_id, count(*) FROM dataset_rows GROUP BY ALL").fetchall()
            )
            origins = dict(
                wh.con.execute(
                    "SELECT origin_run, count(*) FROM snapshot_members WHERE run_id = ? GROUP BY ALL",
                    [second.run_id],
                ).fetchall()
            )
            first_still = wh.con.execute(
                "SELECT count(*) FROM datasets WHERE run_id = ?", [first.run_id]
            ).fetchone()[0]
        # the 10 changed ones, and the newest unchanged one: it lies within the overlap window
        assert (second.status, second.mode, second.changed, second.datasets) == (
            "ok",
            "incremental",
            11,
            298,
        )
        assert "(incremental: 11 changed)" in second.line()
        # one search page for the 10 changes and one package_list for the deletions,
        # instead of the 3 search pages of a full harvest
        assert incremental_calls == {"package_list": 1, "package_search": 1}
        assert runs == [("full", None, None, 300, 300), ("incremental", 11, 287, 298, 298)]
        # nothing is copied: the second run stores only the 11 rows it fetched, and its
        # snapshot points at the first run's rows for the 287 it carried forward
        assert stored == {first.run_id: 300, second.run_id: 11}
        assert origins == {first.run_id: 287, second.run_id: 11}
        assert first_still == 300

        server.calls.clear()
        with Warehouse(tmp_path / "full.duckdb") as wh:
            full = harvest_portal(portal, wh)
        assert server.calls == {"package_search": 3}
    assert _snapshot(tmp_path / "a.duckdb", second.run_id) == _snapshot(
        tmp_path / "full.duckdb", full.run_id
    )
    ds, _ = _snapshot(tmp_path / "a.duckdb", second.run_id)
    assert not gone & {row[1] for row in ds}
    assert sum(1 for row in ds if str(row[3]).endswith("(corrected)")) == 10


def test_every_nth_harvest_is_full(br_packages, tmp_path):
    with LocalPortal(_packages(br_packages, 50)) as server:
        portal = _portal(server.url, full_every=3)
        with Warehouse(tmp_path / "w.duckdb") as wh:
            modes = [harvest_portal(portal, wh).mode for _ in range(5)]
            counts = wh.con.execute(
                "SELECT dataset_count FROM harvest_runs ORDER BY started_at"
            ).fetchall()
    assert modes == ["full", "incremental", "incremental", "full", "incremental"]
    assert counts == [(50,)] * 5


def test_unchanged_portal_fetches_nothing_but_the_list(br_packages, tmp_path):
    with LocalPortal(_packages(br_packages, 120)) as server:
        portal = _portal(server.url)
        with Warehouse(tmp_path / "w.duckdb") as wh:
            harvest_portal(portal, wh)
            server.calls.clear()
            again = harvest_portal(portal, wh)
    assert (again.mode, again.datasets) == ("incremental", 120)
    # only the newest dataset lies within the overlap window, so only it is fetched again
    assert again.changed == 1
    assert server.calls == {"package_list": 1, "package_search": 1}


PREV = PreviousSnapshot(
    "inc-1",
    datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    "https://example.org",
    None,
    "2025-02-27T08:00:00.123456",
    0,
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, datetime(2025, 2, 27, 8, 0, 0, 123456, tzinfo=UTC) - OVERLAP),
        ({"max_modified": None}, datetime(2025, 3, 1, 12, 0, tzinfo=UTC) - OVERLAP),
        ({"max_modified": "2030-01-01T00:00:00"}, datetime(2025, 3, 1, 12, tzinfo=UTC) - OVERLAP),
        ({"api_url": "https://moved.example.org"}, None),
        ({"organization": "stadt"}, None),
        ({"incremental_since_full": 6}, None),
    ],
)
def test_incremental_since(change, expected):
    portal = Portal("inc", "Inc", "Inc", "ckan", "https://example.org")
    assert incremental_since(portal, replace(PREV, **change)) == expected


def test_full_harvest_platforms_and_settings():
    ckan = Portal("inc", "Inc", "Inc", "ckan", "https://example.org")
    assert incremental_since(ckan, None) is None
    assert incremental_since(replace(ckan, full_every=1), PREV) is None
    assert incremental_since(replace(ckan, platform="dkan"), PREV) is None
    assert incremental_since(replace(ckan, platform="datajson"), PREV) is None
    assert incremental_since(replace(ckan, platform="opendatasoft"), PREV) == (
        datetime(2025, 2, 27, 8, 0, 0, 123456, tzinfo=UTC) - OVERLAP
    )
    assert incremental_since(ckan, replace(PREV, started_at=datetime(2025, 3, 1, 12))) == (
        datetime(2025, 2, 27, 8, 0, 0, 123456, tzinfo=UTC) - timedelta(hours=1)
    )


def test_without_package_list_the_incremental_harvest_becomes_full(br_packages, tmp_path):
    broken = {"on": False}

    def fault(req, portal):
        if broken["on"] and req.action == "package_list":
            return Reply(404, "<html>no such page</html>")
        return None

    with LocalPortal(_packages(br_packages, 120), fault=fault) as server:
        portal = _portal(server.url)
        with Warehouse(tmp_path / "w.duckdb") as wh:
            harvest_portal(portal, wh)
            broken["on"] = True
            with server.lock:
                del server.packages[5]
            server.calls.clear()
            again = harvest_portal(portal, wh)
    assert (again.status, again.mode, again.datasets) == ("ok", "full", 119)
    assert again.warnings.startswith("incremental harvest impossible (package_list unusable:")
    # the changes first, then (package_list refused) every page again
    assert server.calls == {"package_search": 3, "package_list": 1}


def test_a_chain_of_incremental_harvests_stays_equal_to_a_full_one(br_packages, tmp_path):
    """Changes spread over three incremental runs: each snapshot points at rows of several
    earlier runs, and the last still equals a full harvest of the portal."""
    with LocalPortal(_packages(br_packages, 200)) as server:
        portal = _portal(server.url)
        results = []
        with Warehouse(tmp_path / "a.duckdb") as wh:
            results.append(harvest_portal(portal, wh))
            for step in range(3):
                now = (datetime.now(UTC) + timedelta(seconds=step)).replace(tzinfo=None)
                with server.lock:
                    for pkg in server.packages[20 * step : 20 * step + 5]:
                        pkg["notes"] = f"edited in step {step}"
                        pkg["metadata_modified"] = now.isoformat()
                    del server.packages[100 + step]
                results.append(harvest_portal(portal, wh))
            origins = wh.con.execute(
                "SELECT origin_run, count(*) FROM snapshot_members WHERE run_id = ? GROUP BY ALL",
                [results[-1].run_id],
            ).fetchall()
        with Warehouse(tmp_path / "full.duckdb") as wh:
            full = harvest_portal(portal, wh)
    assert [r.mode for r in results] == ["full", "incremental", "incremental", "incremental"]
    assert [r.datasets for r in results] == [200, 199, 198, 197]
    origins = dict(origins)
    assert set(origins) <= {r.run_id for r in results}
    # the 180 datasets never edited still point at the first, full harvest's rows
    assert origins[results[0].run_id] >= 180
    assert len(origins) >= 2
    last = _snapshot(tmp_path / "a.duckdb", results[-1].run_id)
    assert last == _snapshot(tmp_path / "full.duckdb", full.run_id)
    assert sum(1 for row in last[0] if "edited in step" in str(row[4])) == 15


def test_an_organisation_on_a_shared_portal_is_harvested_incrementally(br_packages, tmp_path):
    """Bochum-style: one organisation of a regional CKAN. Changes are asked for portal-wide,
    so a dataset moved to another organisation is dropped, not carried forward."""
    packages = _packages(br_packages, 120)
    for i, pkg in enumerate(packages):
        name = "stadt-a" if i % 2 == 0 else "stadt-b"
        pkg["organization"] = {"id": f"id-{name}", "name": name, "title": name.title()}
        pkg["owner_org"] = f"id-{name}"
    with LocalPortal(packages) as server:
        portal = _portal(server.url, organization="stadt-a")
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(portal, wh)
            now = datetime.now(UTC).replace(tzinfo=None).isoformat()
            with server.lock:
                ours = [p for p in server.packages if p["organization"]["name"] == "stadt-a"]
                theirs = [p for p in server.packages if p["organization"]["name"] == "stadt-b"]
                for pkg in ours[:3] + theirs[:2]:
                    pkg["title"] += " (corrected)"
                    pkg["metadata_modified"] = now
                moved = ours[10]
                moved["organization"] = dict(theirs[0]["organization"])
                moved["owner_org"] = "id-stadt-b"
                moved["metadata_modified"] = now
                server.packages.remove(ours[20])
            server.calls.clear()
            second = harvest_portal(portal, wh)
            calls = dict(server.calls)
        with Warehouse(tmp_path / "full.duckdb") as wh:
            full = harvest_portal(portal, wh)
    assert (first.mode, first.datasets) == ("full", 60)
    # 3 corrected ones + the newest of the organisation inside the overlap window
    assert (second.status, second.mode, second.datasets) == ("ok", "incremental", 58)
    assert calls == {"package_search": 1, "package_list": 1}
    got = _snapshot(tmp_path / "a.duckdb", second.run_id)
    assert got == _snapshot(tmp_path / "full.duckdb", full.run_id)
    ids = {row[1] for row in got[0]}  # (portal_id, dataset_id, name, title, ...)
    assert len(ids) == 58
    assert moved["id"] not in ids and ours[20]["id"] not in ids
    assert sum(1 for row in got[0] if str(row[3]).endswith("(corrected)")) == 3
