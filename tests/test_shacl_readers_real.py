"""The readers on real validation: the recorded GovData-staging CKAN packages harvested,
mapped (flows/dcat_graphs.py), validated with GovData's shapes by flows/shacl.py and stored by
warehouse/shacl.py, then assessed: MQA dcat-ap-compliance counts exactly the datasets whose
status is conforms / violates, each dcat-ap-violation finding lists its stored Violations with
the shapes' messages and a fix hint, and the dashboard's contributorID follows the stored
dashboard results (CKAN cannot supply it: set by the aggregator)."""

from __future__ import annotations

import json

import pytest

from checks.dashboard import shapes_dir
from dashboards.fixlist import render_table
from flows.adapters.http import make_session
from flows.assess import assess_run
from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.findings import fix_list
from flows.harvest import harvest_portal
from flows.shacl import validate_snapshot
from warehouse.dashboard import dataset_verdicts
from warehouse.records import Warehouse


@pytest.fixture(scope="module")
def wh(corpus, tmp_path_factory):
    root = shapes_dir()
    if not (root / "validator" / "resources" / "config.properties").exists():
        pytest.skip(f"GovData's SHACL shapes not found at {root}")
    base = corpus / "ckan" / "govdata-staging"
    packages = {}
    for name in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json"):
        pkg = json.loads((base / name).read_text(encoding="utf-8"))
        pkg = pkg.get("result", pkg)
        packages[pkg["id"]] = pkg
    w = Warehouse(tmp_path_factory.mktemp("real") / "w.duckdb")
    with LocalPortal(list(packages.values())) as server:
        portal = Portal("govdata", "t", "c", "ckan", server.url, page_size=100)
        result = harvest_portal(portal, w, make_session(per_host_rate=0))
    assert result.status == "ok"
    lines = validate_snapshot(w.con, result.run_id, root=root)
    assert [line.split(":")[0] for line in lines] == ["dcat-ap-de-2.0", "govdata-dashboard"]
    assess_run(w.con, result.run_id, expectations=False)
    w.run_id = result.run_id
    yield w
    w.close()


def test_mqa_compliance_counts_the_stored_verdicts(wh):
    status = dict(
        wh.con.execute(
            "SELECT d.dataset_id, CASE WHEN d.conforms THEN 'conforms' WHEN count(r.focus) "
            "FILTER (WHERE r.severity = 'Violation' AND NOT r.unknowable) > 0 THEN 'violates' END "
            "FROM shacl_datasets d LEFT JOIN shacl_results r USING (run_id, profile, dataset_id) "
            "WHERE d.run_id = ? AND d.profile = 'dcat-ap-de-2.0' GROUP BY d.dataset_id, d.conforms",
            [wh.run_id],
        ).fetchall()
    )
    passed, failed = wh.con.execute(
        "SELECT passed, failed FROM score_indicators WHERE run_id = ? "
        "AND indicator = 'dcat-ap-compliance'",
        [wh.run_id],
    ).fetchone()
    assert (passed, failed) == (
        sum(s == "conforms" for s in status.values()),
        sum(s == "violates" for s in status.values()),
    )
    assert passed + failed > 0


def test_each_violation_finding_lists_its_stored_violations(wh):
    assessment, rows = fix_list(wh.con, "govdata")
    flagged = [r for r in rows if r["code"] == "dcat-ap-violation"]
    assert flagged
    for r in flagged:
        n = wh.con.execute(
            "SELECT count(*) FROM shacl_results WHERE run_id = ? AND profile = 'dcat-ap-de-2.0' "
            "AND dataset_id = ? AND severity = 'Violation' AND NOT unknowable",
            [wh.run_id, r["dataset_id"]],
        ).fetchone()[0]
        assert len(r["violations"]) == n > 0
        assert r["evidence"] == f"{n} {'violation' if n == 1 else 'violations'} of dcat-ap-de-2.0"
        assert all(v["message_de"] or v["message_en"] for v in r["violations"])
    table = render_table(assessment, rows)
    assert table.count("                fix: ") == sum(len(r["violations"]) for r in flagged)


def test_the_dashboard_contributor_follows_the_stored_results(wh):
    hits = dict(
        wh.con.execute(
            "SELECT dataset_id, bool_or(unknowable) FROM shacl_results WHERE run_id = ? "
            "AND profile = 'govdata-dashboard' AND path LIKE '%contributorID' GROUP BY 1",
            [wh.run_id],
        ).fetchall()
    )
    for v in dataset_verdicts(wh.con, wh.run_id):
        want = {True: "aggregator", False: "missing", None: "ok"}[hits.get(v["dataset_id"])]
        assert v["contributor"] == want, v["dataset_id"]
    assert "aggregator" in {v["contributor"] for v in dataset_verdicts(wh.con, wh.run_id)}
