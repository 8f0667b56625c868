"""Each licence and format is judged once, by the assessment, and stored (table verdicts).

Change checks/data/licenses.csv, re-assess, and the city page's licence mix, the open-licence
share of the scores and the stored verdicts all move together: none classifies on its own.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from assess_helpers import dataset, distribution, portal, store_snapshot

from checks import licenses
from flows.assess import assess_runs
from flows.publish import site_data
from warehouse.records import Warehouse


@pytest.fixture
def wh(tmp_path: Path):
    w = Warehouse(tmp_path / "w.duckdb")
    yield w
    w.con.close()


def _snapshot(wh: Warehouse) -> str:
    datasets = [
        dataset("a"),  # dl-de-by-2.0, no licence of its own on the distribution
        dataset("b", license_raw="cc-by-4.0"),
        dataset("c", license_raw="cc-by-4.0"),
        dataset("d", license_raw="cc-by-nc-4.0"),
    ]
    distributions = [
        distribution("a"),
        distribution("b"),
        distribution("b", 1, format_raw="PDF", media_type_raw="application/pdf"),
        distribution("c", license_raw="dl-de-by-2.0"),  # least open of dataset and own wins
        distribution("d", format_raw=None, media_type_raw=None, url="https://x.example/d"),
    ]
    return store_snapshot(wh, "stadt", datasets, distributions, datetime(2024, 6, 1, tzinfo=UTC))


def _state(wh: Warehouse) -> tuple[list, dict, list, list]:
    data = site_data(wh.con, [portal("stadt")])
    mix = sorted((r["license"], r["status"], r["count"]) for r in data.licenses["stadt"])
    share = wh.con.execute(
        "SELECT share_open_license, datasets FROM latest_scores WHERE level = 'portal'"
    ).fetchone()
    verdicts = wh.con.execute(
        "SELECT dataset_id, distribution_id, license_id, license_status, license_open, format "
        "FROM verdicts v JOIN latest_assessments USING (assessment_id) "
        "ORDER BY dataset_id, distribution_id NULLS FIRST"
    ).fetchall()
    formats = sorted((r["format"], r["kind"], r["count"]) for r in data.formats["stadt"])
    open_in_mix = sum(n for _, status, n in mix if status == "open")
    assert open_in_mix == round(share[0] * share[1])  # the page agrees with the score
    return mix, {"share": share[0]}, verdicts, formats


def _flip(tmp_path: Path, license_id: str, monkeypatch) -> None:
    """A copy of licenses.csv where `license_id` is not open; the classifier reads it."""
    with licenses.LICENSE_TABLE_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["license_id"] == license_id:
            row["open"] = "false"
    copy = tmp_path / "licenses.csv"
    with copy.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(licenses, "LICENSE_TABLE_PATH", copy)
    licenses._table.cache_clear()
    licenses._index.cache_clear()


def test_a_changed_licence_table_moves_page_scores_and_verdicts_together(wh, tmp_path, monkeypatch):
    run_id = _snapshot(wh)
    assess_runs(wh.con, [run_id], expectations=False)
    mix, share, verdicts, formats = _state(wh)
    assert mix == [
        ("cc-by-4.0", "open", 1),
        ("cc-by-nc-4.0", "not-open", 1),
        ("dl-de-by-2.0", "open", 2),
    ]
    assert share == {"share": 0.75}
    assert verdicts == [
        ("a", None, "dl-de-by-2.0", "open", True, None),
        ("a", "a-r0", "dl-de-by-2.0", "open", True, "CSV"),
        ("b", None, "cc-by-4.0", "open", True, None),
        ("b", "b-r0", "cc-by-4.0", "open", True, "CSV"),
        ("b", "b-r1", "cc-by-4.0", "open", True, "PDF"),
        ("c", None, "dl-de-by-2.0", "open", True, None),
        ("c", "c-r0", "dl-de-by-2.0", "open", True, "CSV"),
        ("d", None, "cc-by-nc-4.0", "not-open", False, None),
        ("d", "d-r0", "cc-by-nc-4.0", "not-open", False, None),
    ]
    assert formats == [("", "unknown", 1), ("CSV", "open", 3), ("PDF", "other", 1)]

    try:
        _flip(tmp_path, "dl-de-by-2.0", monkeypatch)
        assess_runs(wh.con, [run_id], expectations=False)  # replaces the assessment
        mix, share, verdicts, formats = _state(wh)
    finally:
        monkeypatch.undo()
        licenses._table.cache_clear()
        licenses._index.cache_clear()
    assert mix == [
        ("cc-by-4.0", "open", 1),
        ("cc-by-nc-4.0", "not-open", 1),
        ("dl-de-by-2.0", "not-open", 2),
    ]
    assert share == {"share": 0.25}
    assert [v[:5] for v in verdicts if v[2] == "dl-de-by-2.0"] == [
        ("a", None, "dl-de-by-2.0", "not-open", False),
        ("a", "a-r0", "dl-de-by-2.0", "not-open", False),
        ("c", None, "dl-de-by-2.0", "not-open", False),
        ("c", "c-r0", "dl-de-by-2.0", "not-open", False),
    ]


def test_an_assessment_made_before_verdicts_were_stored_is_pending_again(wh):
    from warehouse.assessments import pending_runs

    run_id = _snapshot(wh)
    assess_runs(wh.con, [run_id], expectations=False)
    assert pending_runs(wh.con) == []
    wh.con.execute("DELETE FROM verdicts")  # as a warehouse assessed by the previous code
    assert pending_runs(wh.con) == [run_id]
