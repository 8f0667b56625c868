"""Content findings and 5-star openness in the assessment (issue 4): content_findings and
distribution_stars rows written by hand as `odwatch check-links` writes them, then assessed."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from assess_helpers import dataset, distribution, store_snapshot

from checks.scoring import CURRENT
from flows.assess import assess_run
from warehouse.records import Warehouse

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
CONTENT_CODES = [c.code for c in CURRENT.checks if c.kind == "content"]

# (check_run_id, portal, distribution, hours after NOW, findings as (code, severity, message, evidence))
CHECKS = [
    ("c1", "city", "a-r0", 1, [
        ("ragged-rows", "warning", "2 row(s) do not have the 3 columns of the header; fix them", "rows 4, 9"),
        ("utf8-bom", "info", "UTF-8 with a byte-order mark; some tools read it as data", "EF BB BF"),
    ]),
    ("c1", "city", "a-r1", 1, []),
    ("c1", "city", "b-r0", 1, [("not-utf8", "warning", "the text is CP1252, not UTF-8; publish it as UTF-8", "cp1252")]),
    ("c2", "city", "b-r0", 30, []),  # a later clean check: b's earlier finding is fixed
    ("c1", "city", "c-r0", 1, [("html-instead-of-data", "error", "the link serves a web page, not the declared CSV file; link the file itself", "text/html")]),
    ("c3", "city", "c-r0", 24 * 8, [("empty-file", "error", "the file is empty; upload the data", "0 bytes")]),  # after the next snapshot
    ("c1", "city", "d-r0", 1, [("no-such-code", "warning", "a code the method does not know", "x")]),
    ("c1", "elsewhere", "a-r0", 1, [("empty-file", "error", "the file is empty; upload the data", "0 bytes")]),
]  # fmt: skip


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    yield w
    w.close()


@pytest.fixture
def runs(wh):
    datasets = [dataset(k) for k in "abcde"]
    dists = [distribution("a", 0), distribution("a", 1)] + [distribution(k) for k in "bcde"]
    first = store_snapshot(wh, "city", datasets, dists, NOW)
    second = store_snapshot(wh, "city", datasets, dists, NOW + timedelta(days=7))
    other = store_snapshot(wh, "elsewhere", datasets[:1], dists[:1], NOW)
    for check_run_id, portal_id, dist_id, hours, found in CHECKS:
        base = {
            "check_run_id": check_run_id,
            "run_id": other if portal_id == "elsewhere" else first,
            "portal_id": portal_id,
            "dataset_id": dist_id.split("-")[0],
            "distribution_id": dist_id,
            "url": f"https://files.example/{dist_id}.csv",
            "checked_at": NOW + timedelta(hours=hours),
        }
        wh.con.execute(
            "INSERT INTO content_checks (check_run_id, run_id, portal_id, dataset_id, "
            "distribution_id, url, checked_at, outcome, finding_count) VALUES (?, ?, ?, ?, ?, ?, ?, 'ok', ?)",
            [*base.values(), len(found)],
        )
        for f in found:
            wh.con.execute(
                "INSERT INTO content_findings (check_run_id, run_id, portal_id, dataset_id, "
                "distribution_id, url, checked_at, code, severity, message, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*base.values(), *f],
            )
    stars = [  # (run, dataset, distribution, stars); e has none for the first snapshot
        (first, "a", "a-r0", 3),
        (first, "a", "a-r1", 1),
        (first, "b", "b-r0", 5),
        (first, "c", "c-r0", 0),
        (first, "d", "d-r0", 3),
        (second, "e", "e-r0", 4),
    ]
    wh.con.executemany(
        "INSERT INTO distribution_stars (run_id, portal_id, dataset_id, distribution_id, "
        "computed_at, stars) VALUES (?, 'city', ?, ?, ?, ?)",
        [[*s[:3], NOW + timedelta(hours=2), s[3]] for s in stars],
    )
    for run_id in (first, second, other):
        assess_run(wh.con, run_id, expectations=False)
    return first, second, other


def content_findings(wh, run_id):
    return wh.con.execute(
        "SELECT dataset_id, distribution_id, code, severity, message, evidence, points_lost "
        "FROM findings WHERE run_id = ? AND list_contains(?, code) "
        "ORDER BY dataset_id, distribution_id, code",
        [run_id, CONTENT_CODES],
    ).fetchall()


STARS = "stars, stars_0, stars_1, stars_2, stars_3, stars_4, stars_5"


def test_the_latest_content_check_before_the_next_snapshot_feeds_the_fix_list(wh, runs):
    first, second, other = runs
    assert content_findings(wh, first) == [
        ("a", "a-r0", "ragged-rows", "warning", "2 row(s) do not have the 3 columns of the header; fix them", "rows 4, 9", 0.0),
        ("a", "a-r0", "utf8-bom", "info", "UTF-8 with a byte-order mark; some tools read it as data", "EF BB BF", 0.0),
        ("c", "c-r0", "html-instead-of-data", "error", "the link serves a web page, not the declared CSV file; link the file itself", "text/html", 0.0),
    ]  # fmt: skip
    # the second snapshot has no bound: the newest check of each distribution counts
    assert content_findings(wh, second) == [
        ("a", "a-r0", "ragged-rows", "warning", "2 row(s) do not have the 3 columns of the header; fix them", "rows 4, 9", 0.0),
        ("a", "a-r0", "utf8-bom", "info", "UTF-8 with a byte-order mark; some tools read it as data", "EF BB BF", 0.0),
        ("c", "c-r0", "empty-file", "error", "the file is empty; upload the data", "0 bytes", 0.0),
    ]  # fmt: skip
    # the same distribution id on another portal: that portal's own check
    assert content_findings(wh, other) == [
        ("a", "a-r0", "empty-file", "error", "the file is empty; upload the data", "0 bytes", 0.0)
    ]


def test_unknown_content_codes_are_left_out_and_the_count_includes_the_copied_ones(wh, runs):
    first, _, _ = runs
    codes = {r[0] for r in wh.con.execute("SELECT code FROM findings").fetchall()}
    assert "no-such-code" not in codes
    count, stored = wh.con.execute(
        "SELECT a.finding_count, (SELECT count(*) FROM findings f WHERE f.run_id = a.run_id) "
        "FROM assessments a WHERE run_id = ?",
        [first],
    ).fetchone()
    assert count == stored


def test_stars_per_dataset_and_portal(wh, runs):
    first, second, other = runs
    rows = wh.con.execute(
        f"SELECT coalesce(dataset_id, '*'), {STARS} FROM scores WHERE run_id = ? ORDER BY 1",
        [first],
    ).fetchall()
    assert rows == [
        ("*", 11 / 4, 1, 0, 0, 2, 0, 1),  # average over the 4 datasets with stars
        ("a", 3.0, 0, 0, 0, 1, 0, 0),  # the best of its two distributions
        ("b", 5.0, 0, 0, 0, 0, 0, 1),
        ("c", 0.0, 1, 0, 0, 0, 0, 0),
        ("d", 3.0, 0, 0, 0, 1, 0, 0),
        ("e", None, None, None, None, None, None, None),  # not rated for this snapshot
    ]
    portal = f"SELECT {STARS} FROM scores WHERE run_id = ? AND level = 'portal'"
    assert wh.con.execute(portal, [second]).fetchall() == [(4.0, 0, 0, 0, 0, 1, 0)]
    # no stars computed for the snapshot at all: NULL, not zero
    assert wh.con.execute(portal, [other]).fetchall() == [(None,) * 7]


def test_stars_columns_are_in_latest_scores(wh, runs):
    _, second, _ = runs
    row = wh.con.execute(
        f"SELECT {STARS} FROM latest_scores WHERE portal_id = 'city' AND level = 'portal'"
    ).fetchall()
    assert row == [(4.0, 0, 0, 0, 0, 1, 0)]


def _emitted_codes() -> dict[str, str]:
    """code -> severity of every Finding(...) the content checker constructs (from its source)."""
    out = {}
    for name in ("content.py", "content_expectations.py"):
        tree = ast.parse((Path(__file__).parents[1] / "checks" / name).read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding":
                code, severity = node.args[0], node.args[1]
                assert isinstance(code, ast.Constant) and isinstance(severity, ast.Constant)
                out[code.value] = severity.value
    return out


def test_every_code_the_content_checker_emits_is_in_the_method_table():
    emitted = _emitted_codes()
    table = {c.code: c.severity for c in CURRENT.checks if c.kind == "content"}
    assert emitted == table
    assert all(
        c.level == "distribution" and not c.indicators
        for c in CURRENT.checks
        if c.kind == "content"
    )
