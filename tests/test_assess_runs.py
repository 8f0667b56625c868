"""Assessing snapshots: freshness at harvest time, idempotence, method versions, link checks,
and Great Expectations failing loudly. Small hand-written records (shapes as the CKAN adapter
writes them) keep each expectation readable."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from assess_helpers import dataset, distribution, store_snapshot

import checks.expectations
from checks.scoring import CURRENT, METHOD_VERSION
from flows.assess import AssessError, assess_run, assess_runs
from warehouse.assessments import pending_runs, register_method
from warehouse.records import Warehouse

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    yield w
    w.close()


def codes(wh, run_id, *wanted):
    rows = wh.con.execute(
        "SELECT dataset_id, code, evidence FROM findings WHERE run_id = ? ORDER BY dataset_id, code",
        [run_id],
    ).fetchall()
    return [r for r in rows if r[1] in wanted]


# ---------------------------------------------------------------- freshness


FRESHNESS = {
    # (modified, declared frequency)
    "a-daily-due-exactly-now": ("2024-03-08T12:00:00Z", "DAILY"),
    "b-daily-one-second-late": ("2024-03-08T11:59:59Z", "http://publications.europa.eu/resource/authority/frequency/DAILY"),
    "c-annual-date-only": ("2023-03-09", "ANNUAL"),  # + 366 + 1 days = 2024-03-10 00:00
    "d-weekly-german": ("01.03.2024", "wöchentlich"),  # due 2024-03-09 00:00, 1.5 days late
    "e-irregular": ("2010-01-01", "http://publications.europa.eu/resource/authority/frequency/IRREG"),
    "f-continuous": ("2010-01-01", "http://publications.europa.eu/resource/authority/frequency/CONT"),
    "g-unknown-frequency": ("2010-01-01", "alle paar Tage"),
    "h-no-frequency": ("2010-01-01", None),
    "i-future": ("2024-03-12T00:00:00Z", "DAILY"),  # beyond the 1 day of clock skew
    "j-within-skew": ("2024-03-11T00:00:00Z", "DAILY"),
    "k-unparseable": ("last Tuesday", "DAILY"),
    "l-no-date": (None, "DAILY"),
    "m-offset": ("2024-03-09T13:30:00+02:00", "DAILY"),  # 11:30 UTC: due 2024-03-11 11:30
}  # fmt: skip


def freshness_snapshot(wh, started_at=NOW):
    datasets = [
        dataset(k, modified=m, frequency_raw=f, issued="2020-01-01")
        for k, (m, f) in FRESHNESS.items()
    ]
    return store_snapshot(wh, "fresh", datasets, [distribution(k) for k in FRESHNESS], started_at)


def test_freshness_is_judged_at_the_harvest_time_not_the_wall_clock(wh):
    run_id = freshness_snapshot(wh)
    assess_run(wh.con, run_id, expectations=False)
    wanted = (
        "stale-vs-declared-frequency",
        "missing-frequency",
        "unknown-frequency",
        "future-modified-date",
        "unparseable-date",
        "missing-modified",
    )
    assert codes(wh, run_id, *wanted) == [
        ("b-daily-one-second-late", "stale-vs-declared-frequency", "modified 2024-03-08, declared DAILY, due 2024-03-10, 1 day late"),
        ("c-annual-date-only", "stale-vs-declared-frequency", "modified 2023-03-09, declared ANNUAL, due 2024-03-10, 1 day late"),
        ("d-weekly-german", "stale-vs-declared-frequency", "modified 2024-03-01, declared WEEKLY, due 2024-03-09, 2 days late"),
        ("g-unknown-frequency", "unknown-frequency", "alle paar Tage"),
        ("h-no-frequency", "missing-frequency", None),
        ("i-future", "future-modified-date", "modified: 2024-03-12T00:00:00Z"),
        ("k-unparseable", "unparseable-date", "modified: last Tuesday"),
        ("l-no-date", "missing-modified", None),
    ]  # fmt: skip
    on_time = wh.con.execute(
        "SELECT dataset_id, share_on_time FROM scores WHERE level = 'dataset' AND share_on_time IS NOT NULL "
        "ORDER BY dataset_id"
    ).fetchall()
    assert on_time == [
        ("a-daily-due-exactly-now", 1.0),
        ("b-daily-one-second-late", 0.0),
        ("c-annual-date-only", 0.0),
        ("d-weekly-german", 0.0),
        ("j-within-skew", 1.0),
        ("m-offset", 1.0),
    ]
    portal = wh.con.execute("SELECT share_on_time FROM scores WHERE level = 'portal'").fetchone()
    assert portal == (0.5,)


def test_a_later_replay_gives_the_same_verdicts(wh):
    old = freshness_snapshot(wh, NOW)
    assess_run(wh.con, old, expectations=False)
    first = codes(wh, old, "stale-vs-declared-frequency")
    # a newer snapshot exists and the wall clock has moved on: the old one is judged as before
    freshness_snapshot(wh, NOW + timedelta(days=400))
    assess_run(wh.con, old, expectations=False)
    assert codes(wh, old, "stale-vs-declared-frequency") == first


# ---------------------------------------------------------------- idempotence, method versions


def two_snapshots(wh):
    """Snapshot 1: dataset 'b' has no keywords; snapshot 2: the city added them."""
    d1 = [dataset("a"), dataset("b", keywords=[])]
    d2 = [dataset("a"), dataset("b", keywords=["bäume"])]
    dists = [distribution("a"), distribution("b")]
    first = store_snapshot(wh, "city", d1, dists, NOW)
    second = store_snapshot(wh, "city", d2, dists, NOW + timedelta(days=7))
    return first, second


def counts(wh):
    return wh.con.execute(
        "SELECT (SELECT count(*) FROM assessments), (SELECT count(*) FROM findings), "
        "(SELECT count(*) FROM scores), (SELECT count(*) FROM score_indicators)"
    ).fetchone()


def test_reassessing_replaces_the_previous_rows(wh):
    first, _ = two_snapshots(wh)
    assess_run(wh.con, first, expectations=False)
    before = counts(wh)
    points = wh.con.execute("SELECT points FROM scores WHERE level = 'portal'").fetchall()
    assess_run(wh.con, first, expectations=False)
    assert counts(wh) == before == (1, before[1], 3, len(CURRENT.indicators))
    assert wh.con.execute("SELECT points FROM scores WHERE level = 'portal'").fetchall() == points


def reweighted(version: str = "2026.11-test"):
    """Keywords 30 -> 40, themes 30 -> 20: a changed method under a new version."""
    weights = {"keywords": 40, "themes": 20}
    indicators = tuple(
        dataclasses.replace(i, weight=weights.get(i.id, i.weight)) for i in CURRENT.indicators
    )
    return dataclasses.replace(CURRENT, version=version, indicators=indicators)


def test_a_new_method_version_adds_rows_and_score_changes_tells_city_from_method(wh):
    first, second = two_snapshots(wh)
    assess_runs(wh.con, [first, second], expectations=False)
    new = reweighted()
    assess_runs(wh.con, [first, second], new, expectations=False)
    versions = wh.con.execute(
        "SELECT run_id, method_version FROM assessments ORDER BY run_id, method_version"
    ).fetchall()
    assert versions == sorted(
        [
            (first, METHOD_VERSION),
            (first, "2026.11-test"),
            (second, METHOD_VERSION),
            (second, "2026.11-test"),
        ]
    )
    latest = wh.con.execute("SELECT run_id, method_version FROM latest_assessments").fetchall()
    assert latest == [(second, "2026.11-test")]
    assert wh.con.execute("SELECT DISTINCT method_version FROM latest_findings").fetchall() == [
        ("2026.11-test",)
    ]
    change = wh.con.execute(
        "SELECT run_id, previous_run_id, method_version, previous_method_version, "
        "city_change, method_change FROM score_changes"
    ).fetchone()
    # city: 'b' gained keywords, worth 40 under the new method, half of two datasets: +20
    # method: the first snapshot had keywords on 1 of 2 datasets (+10 x 1/2) and no themes
    assert change == (
        second,
        first,
        "2026.11-test",
        METHOD_VERSION,
        pytest.approx(20.0),
        pytest.approx(5.0),
    )


def test_a_changed_method_under_a_known_version_is_refused(wh):
    register_method(wh.con, CURRENT)
    with pytest.raises(AssessError, match="bump METHOD_VERSION"):
        register_method(wh.con, reweighted(CURRENT.version))


def test_pending_runs_are_latest_and_previous_snapshots_not_yet_assessed(wh):
    first, second = two_snapshots(wh)
    third = store_snapshot(
        wh, "city", [dataset("a")], [distribution("a")], NOW + timedelta(days=14)
    )
    assert pending_runs(wh.con) == [second, third]
    assess_run(wh.con, third, expectations=False)
    assert pending_runs(wh.con) == [second]
    assert pending_runs(wh.con, include=[first]) == [first, second]


def test_unknown_and_failed_runs_are_refused(wh):
    with pytest.raises(AssessError, match="no harvest run 'nope'"):
        assess_run(wh.con, "nope")
    from assess_helpers import portal

    run_id = wh.begin_run(portal("broken"))
    wh.fail_run(run_id, "boom")
    with pytest.raises(AssessError, match="is failed, not a complete snapshot"):
        assess_run(wh.con, run_id)


# ---------------------------------------------------------------- link checks (issue 4)


def test_link_check_results_make_reachability_assessable(wh):
    url = "https://files.example/{}/{}.csv".format
    datasets = [dataset("a"), dataset("b")]
    dists = [
        distribution("a", 0),
        distribution("a", 1),
        distribution("b", 0, download_url=url("b", 0)),
    ]
    run_id = store_snapshot(wh, "links", datasets, dists, NOW)
    later = store_snapshot(wh, "links", datasets, dists, NOW + timedelta(days=7))
    wh.con.executemany(  # warehouse/schema_links.sql's table, as `odwatch check-links` fills it
        "INSERT INTO link_checks (check_run_id, url, outcome, checked_at) VALUES ('c1', ?, ?, ?)",
        [
            (url("a", 0), "ok", NOW + timedelta(hours=1)),
            (url("a", 1), "ok", NOW + timedelta(hours=1)),
            (url("a", 1), "dead", NOW + timedelta(hours=2)),  # the latest result counts
            (url("b", 0), "blocked", NOW + timedelta(hours=1)),  # not judged
            (url("a", 0), "dead", NOW + timedelta(days=8)),  # after the next snapshot
        ],
    )
    assess_run(wh.con, run_id, expectations=False)
    rows = wh.con.execute(
        "SELECT dataset_id, distribution_id, code, points_lost, evidence FROM findings "
        "WHERE code LIKE 'broken-%' ORDER BY ALL"
    ).fetchall()
    assert rows == [("a", "a-r1", "broken-access-url", 25.0, url("a", 1))]
    indicators = wh.con.execute(
        "SELECT indicator, passed, failed, points FROM score_indicators "
        "WHERE indicator LIKE '%reachable' ORDER BY indicator"
    ).fetchall()
    assert indicators == [
        ("access-url-reachable", 1, 1, 25.0),
        ("download-url-reachable", 0, 0, None),  # b's download URL was blocked: unverified
    ]
    scores = wh.con.execute(
        "SELECT coalesce(dataset_id, '*'), max_assessable, not_checked FROM scores ORDER BY 1"
    ).fetchall()
    assert scores == [
        ("*", 345, ["download-url-reachable", "dcat-ap-compliance"]),
        ("a", 345, ["download-url-reachable", "dcat-ap-compliance"]),
        ("b", 295, ["access-url-reachable", "download-url-reachable", "dcat-ap-compliance"]),
    ]
    assert wh.con.execute("SELECT link_checks FROM assessments").fetchall() == [(True,)]
    # the later snapshot sees the later result: a's first URL is dead by then
    assess_run(wh.con, later, expectations=False)
    assert wh.con.execute(
        "SELECT distribution_id FROM findings WHERE run_id = ? AND code = 'broken-access-url' ORDER BY 1",
        [later],
    ).fetchall() == [("a-r0",), ("a-r1",)]


# ---------------------------------------------------------------- Great Expectations


def test_gx_results_are_stored_with_the_assessment(wh):
    datasets = [dataset("a"), dataset("b", title=None)]
    run_id = store_snapshot(wh, "gx", datasets, [distribution("a"), distribution("b")], NOW)
    assess_run(wh.con, run_id)
    success, results = wh.con.execute("SELECT gx_success, gx_results FROM assessments").fetchone()
    import json

    failed = [
        (r["suite"], r["expectation"], r["column"], r["unexpected_count"])
        for r in json.loads(results)
        if not r["success"]
    ]
    assert success is False
    assert failed == [("datasets", "expect_column_values_to_not_be_null", "title", 1)]


def test_a_gx_error_fails_the_assessment_loudly(wh, monkeypatch):
    first, second = two_snapshots(wh)
    assess_run(wh.con, second)  # an ok assessment to fall back on
    real = checks.expectations._suites

    def broken(now, t):
        import great_expectations.expectations as gxe

        suites = real(now, t)
        suites["datasets"].append(gxe.ExpectColumnValuesToNotBeNull(column="no_such_column"))
        return suites

    monkeypatch.setattr(checks.expectations, "_suites", broken)
    with pytest.raises(AssessError, match="could not evaluate expect_column_values_to_not_be_null"):
        assess_run(wh.con, second)
    rows = wh.con.execute(
        "SELECT status, error LIKE '%no_such_column%', gx_success FROM assessments"
    ).fetchall()
    assert rows == [("failed", True, None)]
    assert wh.con.execute("SELECT count(*) FROM findings").fetchone() == (0,)
    assert wh.con.execute("SELECT count(*) FROM latest_assessments").fetchone() == (0,)
