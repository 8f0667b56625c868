"""SHACL validation of real recorded CKAN snapshots with GovData's shapes, stored and scored
(issue 16): `odwatch assess --shacl` on a harvested warehouse fills shacl_runs/_datasets/_results
and makes MQA's dcat-ap-compliance judged; broken or missing shapes are one line and the rest
goes on; validating again replaces, never doubles."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from checks.shacl import ShapesError, load_shapes, profile_files, shapes_root
from flows.adapters.http import make_session
from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.shacl import validate_snapshot
from warehouse.records import Warehouse


@pytest.fixture(scope="module")
def shapes() -> Path:
    root = shapes_root()
    if not (root / "validator" / "resources" / "config.properties").exists():
        pytest.skip(f"GovData's SHACL shapes not found at {root} (../shared/corpus/shacl/...)")
    return root


def _govdata(corpus: Path) -> list[dict]:
    base = corpus / "ckan" / "govdata-staging"
    out = {}
    for name in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json"):
        pkg = json.loads((base / name).read_text(encoding="utf-8"))
        pkg = pkg.get("result", pkg)
        out[pkg["id"]] = pkg
    return list(out.values())


@pytest.fixture
def snapshot(corpus, br_packages, tmp_path):
    packages = _govdata(corpus) + br_packages[:20]
    path = tmp_path / "w.duckdb"
    with LocalPortal(packages) as server, Warehouse(path) as wh:
        portal = Portal("p", "t", "c", "ckan", server.url, page_size=100)
        result = harvest_portal(portal, wh, make_session(per_host_rate=0))
        assert result.status == "ok"
    return path, result.run_id, len(packages)


def test_profiles_are_the_validators_own_file_sets(shapes) -> None:
    names = [p.name for p in profile_files(shapes, "dcat-ap-de-2.0")]
    assert names == [
        "dcat-ap-de-imports.ttl",
        "dcat-ap-spec-german-messages.ttl",
        "dcat-ap-spec-german-additions.ttl",
        "dcat-ap-de-deprecated.ttl",
        "dcat-ap-konventionen.ttl",
    ]
    assert all(p.exists() for p in profile_files(shapes, "dcat-ap-de-3.0"))
    with pytest.raises(ShapesError, match="unknown SHACL profile 'dcat-ap-9'"):
        profile_files(shapes, "dcat-ap-9")


def test_validation_is_stored_per_dataset_and_judges_mqa_compliance(snapshot, shapes) -> None:
    path, run_id, n = snapshot
    with Warehouse(path) as wh:
        lines = validate_snapshot(wh.con, run_id, root=shapes)
        assert len(lines) == 2 and lines[0].startswith("dcat-ap-de-2.0: ")
        runs = wh.con.execute(
            "SELECT profile, datasets, error FROM shacl_runs WHERE run_id = ? ORDER BY profile",
            [run_id],
        ).fetchall()
        assert runs == [("dcat-ap-de-2.0", n, None), ("govdata-dashboard", n, None)]
        # every result names a dataset of the snapshot, a severity and a focus node
        bad = wh.con.execute(
            "SELECT count(*) FROM shacl_results r ANTI JOIN datasets d "
            "ON d.run_id = r.run_id AND d.dataset_id = r.dataset_id WHERE r.run_id = ?",
            [run_id],
        ).fetchone()[0]
        assert bad == 0
        by_severity = dict(
            wh.con.execute(
                "SELECT severity, count(*) FROM shacl_results WHERE run_id = ? "
                "AND profile = 'dcat-ap-de-2.0' GROUP BY 1",
                [run_id],
            ).fetchall()
        )
        assert set(by_severity) <= {"Violation", "Warning", "Info"} and by_severity
        own = wh.con.execute(
            "SELECT DISTINCT severity FROM shacl_results WHERE run_id = ? "
            "AND profile = 'govdata-dashboard'",
            [run_id],
        ).fetchall()
        assert ("no_license",) in own or ("no_correct_contributorID",) in own
        # results on distributions land on their stored rows
        orphans = wh.con.execute(
            "SELECT count(*) FROM shacl_results r WHERE run_id = ? AND distribution_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM distributions d WHERE d.run_id = r.run_id "
            "AND d.distribution_id = r.distribution_id)",
            [run_id],
        ).fetchone()[0]
        assert orphans == 0
        counts = wh.con.execute(
            "SELECT sum(violations), (SELECT count(*) FROM shacl_results WHERE run_id = $r "
            "AND profile = 'dcat-ap-de-2.0' AND severity = 'Violation') FROM shacl_datasets "
            "WHERE run_id = $r AND profile = 'dcat-ap-de-2.0'",
            {"r": run_id},
        ).fetchone()
        assert counts[0] == counts[1]
        # validating again replaces the rows
        total = wh.con.execute("SELECT count(*) FROM shacl_results").fetchone()[0]
        validate_snapshot(wh.con, run_id, root=shapes)
        assert wh.con.execute("SELECT count(*) FROM shacl_results").fetchone()[0] == total
        from flows.assess import assess_run

        assess_run(wh.con, run_id, expectations=False)
        judged = wh.con.execute(
            "SELECT passed + failed, share FROM score_indicators WHERE run_id = ? "
            "AND indicator = 'dcat-ap-compliance'",
            [run_id],
        ).fetchall()
        # a dataset whose only violations are on fields nobody can judge here (the platform
        # cannot supply them, or their vocabulary is not available offline) is not judged
        decided = wh.con.execute(
            "SELECT count(*) FILTER (conforms OR dataset_id IN (SELECT dataset_id FROM "
            "shacl_results WHERE run_id = $r AND profile = $p AND severity = 'Violation' "
            "AND NOT unknowable)) FROM shacl_datasets WHERE run_id = $r AND profile = $p",
            {"r": run_id, "p": "dcat-ap-de-2.0"},
        ).fetchone()[0]
    assert 0 < decided < n
    assert judged and judged[0][0] == decided and judged[0][1] is not None


def test_broken_or_missing_shapes_are_one_line_and_the_rest_goes_on(snapshot, shapes, tmp_path):
    path, run_id, _ = snapshot
    broken = tmp_path / "shapes"
    shutil.copytree(shapes / "validator", broken / "validator")
    target = broken / "validator" / "resources" / "v2.0" / "shapes" / "dcat-ap-konventionen.ttl"
    target.chmod(0o644)
    target.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\nthis is not turtle", "utf-8")
    with pytest.raises(ShapesError) as err:
        load_shapes(broken, "dcat-ap-de-2.0")
    assert str(err.value).startswith(f"{target}: not valid turtle (")
    assert "\n" not in str(err.value)
    with Warehouse(path) as wh:
        lines = validate_snapshot(wh.con, run_id, root=broken)
        assert lines[0].startswith(f"dcat-ap-de-2.0: not validated: {target}: not valid turtle")
        assert lines[1].startswith("govdata-dashboard: ")  # the other profile still ran
        lines = validate_snapshot(wh.con, run_id, root=tmp_path / "nowhere")
        assert "config.properties: cannot read GovData's validator configuration" in lines[0]
        rows = wh.con.execute(
            "SELECT profile, error IS NOT NULL, datasets FROM shacl_runs WHERE run_id = ? "
            "ORDER BY profile",
            [run_id],
        ).fetchall()
    assert rows == [("dcat-ap-de-2.0", True, 0), ("govdata-dashboard", True, 0)]
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM shacl_results").fetchone()[0] == 0
    finally:
        con.close()


def test_odwatch_assess_shacl_validates_then_scores(snapshot, shapes, capsys) -> None:
    from flows.cli import main

    path, run_id, n = snapshot
    assert main(["assess", "--shacl", "--warehouse", str(path), "--no-expectations"]) == 0
    err = capsys.readouterr().err
    assert f"odwatch: shacl {run_id}: dcat-ap-de-2.0: " in err
    con = duckdb.connect(str(path), read_only=True)
    try:
        got = con.execute(
            "SELECT count(*) FROM shacl_datasets WHERE run_id = ? AND profile = 'dcat-ap-de-2.0'",
            [run_id],
        ).fetchone()[0]
        share = con.execute(
            "SELECT share FROM score_indicators WHERE run_id = ? AND indicator = 'dcat-ap-compliance'",
            [run_id],
        ).fetchone()[0]
    finally:
        con.close()
    assert got == n and share is not None


def test_an_incremental_snapshot_keeps_the_verdicts_of_the_datasets_it_carried_forward(
    corpus, br_packages, shapes, tmp_path
) -> None:
    """Harvested again incrementally with two packages changed: only those two are validated;
    the others keep the rows their stored dataset got in the first snapshot, which are the
    rows validating them again gives."""
    packages = copy.deepcopy(_govdata(corpus) + br_packages[:20])  # changed below
    with LocalPortal(packages) as server, Warehouse(tmp_path / "w.duckdb") as wh:
        portal = Portal("p", "t", "c", "ckan", server.url, page_size=100)
        first = harvest_portal(portal, wh, make_session(per_host_rate=0))
        validate_snapshot(wh.con, first.run_id, root=shapes)
        with server.lock:
            changed = {p["id"] for p in server.packages[3:5]}
            for pkg in server.packages[3:5]:
                pkg["resources"], pkg["num_resources"] = [], 0  # no distributions now
                pkg["metadata_modified"] = "2030-01-01T00:00:00"
        later = harvest_portal(portal, wh, make_session(per_host_rate=0))
        assert (later.mode, later.changed) == ("incremental", 2)
        kept_one = sorted({p["id"] for p in packages} - changed)[0]
        # marked, so that a result taken over can be told from one computed again
        wh.con.execute(
            "UPDATE shacl_results SET message_en = 'from the first snapshot' "
            "WHERE run_id = ? AND dataset_id = ?",
            [first.run_id, kept_one],
        )
        lines = validate_snapshot(wh.con, later.run_id, root=shapes)
        n = len(packages)
        assert f"of {n} datasets conform ({n - 2} kept from an earlier snapshot)" in lines[0]
        runs = wh.con.execute(
            "SELECT profile, datasets, kept FROM shacl_runs WHERE run_id = ? ORDER BY 1",
            [later.run_id],
        ).fetchall()
        assert runs == [("dcat-ap-de-2.0", n, n - 2), ("govdata-dashboard", n, n - 2)]

        def rows(run_id: str) -> dict:
            got = wh.con.execute(
                "SELECT profile, dataset_id, path, severity, source_shape, constraint_component, "
                "message_en, value FROM shacl_results WHERE run_id = ? ORDER BY ALL",
                [run_id],
            ).fetchall()
            out: dict = {}
            for r in got:
                out.setdefault(r[1], []).append(r)
            return out

        kept, first_rows = rows(later.run_id), rows(first.run_id)
        assert any(r[6] == "from the first snapshot" for r in kept[kept_one])
        for i in changed:  # validated anew: the distributions' results are gone
            assert kept.get(i, []) != first_rows.get(i, [])
        # the same rows validating again from scratch gives (the marker put back)
        wh.con.execute(
            "UPDATE shacl_results SET message_en = NULL WHERE message_en = 'from the first snapshot'"
        )
        wh.con.execute(
            "UPDATE shacl_runs SET fingerprint = 'other' WHERE run_id = ?", [first.run_id]
        )
        kept = rows(later.run_id)
        validate_snapshot(wh.con, later.run_id, root=shapes)
        assert (
            wh.con.execute(
                "SELECT sum(kept) FROM shacl_runs WHERE run_id = ?", [later.run_id]
            ).fetchone()[0]
            == 0
        )
        fresh = rows(later.run_id)
        assert kept.keys() == fresh.keys()
        for i in kept:
            if i != kept_one:
                assert kept[i] == fresh[i], i
