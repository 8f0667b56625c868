"""MQA "dcat-ap-compliance" (30 points) from the snapshot's stored SHACL verdicts (issue 16).

On the recorded Rostock catalogue (100 datasets), with verdicts written into the shacl_* tables:
a conforming dataset passes, one with a Violation on a field the platform supplies fails
(finding dcat-ap-violation, 30 points lost), one whose only Violation is unknowable and one
whose graph could not be built are not judged, the dashboard profile does not count, and the
set-based SQL equals the per-record Python (checks/reference.py) on the same rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import shacl_rows
from assess_helpers import load_dcat, store_snapshot

from checks.compliance import shacl_facts
from checks.reference import assess_records
from flows.assess import assess_run
from warehouse.records import Warehouse

SNAPSHOT_AT = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
PROFILE = "dcat-ap-de-2.0"


@pytest.fixture(scope="module")
def rostock(corpus):
    return load_dcat(corpus / "dcat" / "rostock" / "rostock-catalog-original-input.rdf", "rostock")


@pytest.fixture
def wh(tmp_path, rostock):
    w = Warehouse(tmp_path / "w.duckdb")
    w.run_id = store_snapshot(w, "rostock", *rostock, SNAPSHOT_AT)
    w.ids = sorted(d["dataset_id"] for d in rostock[0])
    yield w
    w.close()


def _verdicts(wh):
    a, b, c, d, e = wh.ids[:5]
    shacl_rows.write(
        wh.con,
        wh.run_id,
        PROFILE,
        {a: True, b: False, c: False, d: None},
        [
            shacl_rows.result(b, "dct:description", message_en="A description is required."),
            shacl_rows.result(b, "dcat:contactPoint", "Warning"),
            shacl_rows.result(c, "dcatde:contributorID", unknowable=True),
        ],
        errors={d: "graph could not be built: cyclic blank nodes"},
    )
    # the dashboard profile is its own score, never MQA's
    shacl_rows.write(
        wh.con, wh.run_id, "govdata-dashboard", {e: False}, [shacl_rows.result(e, "dct:license")]
    )
    return a, b, c, d, e


def _indicator(wh):
    return wh.con.execute(
        "SELECT passed, failed, points FROM score_indicators "
        "WHERE run_id = ? AND indicator = 'dcat-ap-compliance'",
        [wh.run_id],
    ).fetchone()


def _score(wh, dataset_id):
    return wh.con.execute(
        "SELECT interoperability, max_assessable FROM scores WHERE run_id = ? AND dataset_id = ?",
        [wh.run_id, dataset_id],
    ).fetchone()


def test_without_a_validation_the_indicator_stays_not_checked(wh):
    assess_run(wh.con, wh.run_id, expectations=False)
    not_checked, assessable = wh.con.execute(
        "SELECT not_checked, max_assessable FROM scores WHERE run_id = ? AND level = 'portal'",
        [wh.run_id],
    ).fetchone()
    assert "dcat-ap-compliance" in not_checked
    assert assessable == 295
    assert _indicator(wh)[:2] == (0, 0)


def test_conforming_passes_violating_fails_unknowable_and_broken_are_not_judged(wh):
    assess_run(wh.con, wh.run_id, expectations=False)
    before = {ds: _score(wh, ds) for ds in wh.ids[:5]}
    a, b, c, d, e = _verdicts(wh)
    assess_run(wh.con, wh.run_id, expectations=False)
    assert _indicator(wh) == (1, 1, 15.0)
    rows = wh.con.execute(
        "SELECT dataset_id, code, severity, points_lost, evidence FROM findings "
        "WHERE run_id = ? AND code = 'dcat-ap-violation'",
        [wh.run_id],
    ).fetchall()
    assert rows == [(b, "dcat-ap-violation", "warning", 30.0, "1 violation of dcat-ap-de-2.0")]
    # (interoperability, max_assessable): a earns the 30 points, b is judged and earns none,
    # c, d and e are not judged
    assert _score(wh, a) == pytest.approx((before[a][0] + 30, 325))
    assert _score(wh, b) == pytest.approx((before[b][0], 325))
    for ds in (c, d, e):
        assert _score(wh, ds) == pytest.approx(before[ds]) and before[ds][1] == 295
    portal = wh.con.execute(
        "SELECT not_checked, max_assessable FROM scores WHERE run_id = ? AND level = 'portal'",
        [wh.run_id],
    ).fetchone()
    assert "dcat-ap-compliance" not in portal[0] and portal[1] == 325


def test_a_validation_that_could_not_run_leaves_it_not_checked(wh):
    shacl_rows.write(
        wh.con, wh.run_id, PROFILE, {}, error="v2.0/shapes/dcat-ap-konventionen.ttl: bad turtle"
    )
    assess_run(wh.con, wh.run_id, expectations=False)
    assert _indicator(wh)[:2] == (0, 0)


def _table(wh, sql):
    cur = wh.con.execute(sql, [wh.run_id])
    names = [x[0] for x in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_set_based_sql_equals_the_per_record_python_with_verdicts(wh):
    _verdicts(wh)
    assess_run(wh.con, wh.run_id, expectations=False)
    shacl = shacl_facts(
        _table(wh, f"SELECT * FROM shacl_datasets WHERE run_id = ? AND profile = '{PROFILE}'"),
        _table(wh, f"SELECT * FROM shacl_results WHERE run_id = ? AND profile = '{PROFILE}'"),
    )
    ref = assess_records(
        _table(wh, "SELECT * EXCLUDE (raw) FROM datasets WHERE run_id = ?"),
        _table(wh, "SELECT * EXCLUDE (raw) FROM distributions WHERE run_id = ?"),
        SNAPSHOT_AT,
        shacl=shacl,
    )
    got = wh.con.execute(
        "SELECT dataset_id, distribution_id, code, round(points_lost, 9), evidence FROM findings "
        "WHERE run_id = ?",
        [wh.run_id],
    ).fetchall()
    want = [
        (
            f["dataset_id"],
            f["distribution_id"],
            f["code"],
            round(f["points_lost"], 9),
            f["evidence"],
        )
        for f in ref.findings
    ]
    assert Counter(got) == Counter(want)
    scores = dict(
        wh.con.execute(
            "SELECT dataset_id, points FROM scores WHERE run_id = ? AND level = 'dataset'",
            [wh.run_id],
        ).fetchall()
    )
    assert scores == pytest.approx({r["dataset_id"]: r["points"] for r in ref.dataset_scores})
    assert ref.portal["counts"]["dcat-ap-compliance"] == (1, 1)
