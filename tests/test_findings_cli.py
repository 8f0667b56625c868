"""`odwatch assess` and `odwatch findings`: the fix list for city staff, as table, CSV, JSON.

Dataset a (hand computation): no keywords 30, no theme 30, no download URL 20, no spatial 20,
no temporal 20, no access rights 10 + 5, licence text not recognised 10 (a licence is stated:
the 20 of "licence information" are kept), no media type 10, no rights 5, no byte size 5:
165 of 295 points lost. Datasets b and c lack nothing scored; c's contact email is malformed.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from assess_helpers import dataset, distribution, store_snapshot

from checks.scoring import CURRENT, METHOD_VERSION
from flows.cli import main
from warehouse.records import Warehouse

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
FORMULA = '=HYPERLINK("http://evil.example","click")'
COMPLETE = {
    "themes": ["envi"],
    "spatial": "Musterstadt",
    "temporal_start": "2020-01-01",
    "access_rights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
    "frequency_raw": "ANNUAL",
}
COMPLETE_DIST = {
    "download_url": "https://files.example/x.csv",
    "rights": "https://portal.example/rights",
    "byte_size": 1234,
}
FIX = {
    "missing-keywords": "Add a few keywords (tags) people would search for.",
    "missing-download-url": CURRENT.check("missing-download-url").fix,
}


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    wh = Warehouse(path)
    run_id = store_snapshot(
        wh,
        "stadt",
        [
            dataset("a", title=FORMULA, keywords=[], license_raw="Nutzungsbedingungen der Stadt"),
            dataset("b", **COMPLETE),
            dataset("c", contact_email="email: info@stadt.example", **COMPLETE),
        ],
        [
            distribution("a", media_type_raw=None),
            distribution("b", **COMPLETE_DIST),
            distribution("c", **COMPLETE_DIST),
        ],
        NOW,
    )
    wh.close()
    return str(path), run_id


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_assess_prints_one_line_per_run_then_has_nothing_left(warehouse, capsys):
    path, run_id = warehouse
    code, out, err = run(capsys, "assess", "--warehouse", path, "--no-expectations")
    assert code == 0
    assert out == (
        f"{run_id}\tstadt\t{METHOD_VERSION}\t3 datasets\t240.0/295 points (405 max)\tgood\t12 findings\tgx skipped\n"
    )
    assert err == f"assessed {run_id}\n"
    code, out, err = run(capsys, "assess", "--warehouse", path)
    assert (code, out) == (0, "")
    assert err.startswith(
        f"odwatch: nothing to assess: every latest snapshot in {path} is assessed"
    )


def test_findings_csv_is_ranked_and_safe_for_spreadsheets(warehouse, capsys):
    path, _ = warehouse
    run(capsys, "assess", "--warehouse", path, "-q", "--no-expectations")
    code, out, _ = run(
        capsys, "findings", "--portal", "stadt", "--warehouse", path, "--format", "csv"
    )
    assert code == 0
    lines = out.split("\r\n")
    assert lines[0] == (
        "rank,dataset_id,dataset_title,landing_page,dataset_points_gain,dataset_released,code,"
        "blocks_release,severity,title,points_lost,distributions,evidence,fix,violations"
    )
    # the title is neutralised: a spreadsheet shows it as text and runs nothing; the finding
    # that keeps dataset a from being really released (its licence is not known) comes first
    assert lines[1] == (
        '1,a,"\'=HYPERLINK(""http://evil.example"",""click"")",https://portal.example/dataset/a,'
        "165.0,False,unknown-license,True,warning,Licence not recognised,10.0,1,"
        "Nutzungsbedingungen der Stadt,Use a standard licence id or URI; odwatch cannot tell what this value allows.,"
    )
    rows = [
        (r["rank"], r["dataset_id"], r["dataset_points_gain"], r["code"], r["points_lost"], r["distributions"], r["evidence"])
        for r in csv.DictReader(io.StringIO(out))
    ]  # fmt: skip
    assert rows == [
        ("1", "a", "165.0", "unknown-license", "10.0", "1", "Nutzungsbedingungen der Stadt"),
        ("1", "a", "165.0", "missing-keywords", "30.0", "0", ""),
        ("1", "a", "165.0", "missing-themes", "30.0", "0", ""),
        ("1", "a", "165.0", "missing-download-url", "20.0", "1", "https://files.example/a/0.csv"),
        ("1", "a", "165.0", "missing-spatial", "20.0", "0", ""),
        ("1", "a", "165.0", "missing-temporal", "20.0", "0", ""),
        ("1", "a", "165.0", "missing-access-rights", "15.0", "0", ""),
        ("1", "a", "165.0", "missing-media-type", "10.0", "1", "CSV"),
        ("1", "a", "165.0", "missing-byte-size", "5.0", "1", "https://files.example/a/0.csv"),
        ("1", "a", "165.0", "missing-rights", "5.0", "1", "https://files.example/a/0.csv"),
        ("1", "a", "165.0", "missing-frequency", "0.0", "0", ""),
        ("2", "c", "0.0", "invalid-contact-email", "0.0", "0", "email: info@stadt.example"),
    ]


def test_findings_json_and_table(warehouse, capsys):
    path, run_id = warehouse
    run(capsys, "assess", "--warehouse", path, "-q", "--no-expectations")
    code, out, _ = run(
        capsys, "findings", "--portal", "stadt", "--warehouse", path, "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert {k: doc[k] for k in ("run_id", "portal_id", "method_version", "snapshot_at")} == {
        "run_id": run_id,
        "portal_id": "stadt",
        "method_version": METHOD_VERSION,
        "snapshot_at": "2024-03-10 12:00:00+00:00",
    }
    assert [(d["rank"], d["dataset_id"], d["title"], d["points_gain"], len(d["findings"])) for d in doc["datasets"]] == [
        (1, "a", FORMULA, 165.0, 11),
        (2, "c", "Dataset c", 0.0, 1),
    ]  # fmt: skip
    assert (doc["datasets"][0]["released"], doc["datasets"][0]["release_fixes"]) == (False, 1)
    assert doc["datasets"][1]["findings"] == [
        {
            "code": "invalid-contact-email",
            "blocks_release": False,
            "severity": "warning",
            "title": "Contact email is not a valid address",
            "points_lost": 0.0,
            "distributions": 0,
            "evidence": "email: info@stadt.example",
            "fix": "Enter one plain email address (name@example.org) in the contact email field.",
        }
    ]
    code, out, _ = run(capsys, "findings", "--portal", "stadt", "--warehouse", path, "--limit", "1")
    lines = out.splitlines()
    # the GovData dashboard beside MQA: a's licence is unknown and it has no keywords (2 of 5
    # criteria), b and c name their licence by id, not by a list URI (3 of 5): 8/15
    assert lines[:11] == [
        f"stadt: snapshot {run_id}, method {METHOD_VERSION}; 1 dataset flagged, ranked those a "
        "fix would make really released first, then by points to gain",
        "GovData dashboard: 53 % (licence on the DCAT-AP.de list as written 0 %; open as written "
        "0 %, after normalising 67 %; keywords 67 %; publisher 100 %; contributorID –) "
        "(contributorID: 3 not judged)",
        "",
        f"   1. +165 points  {FORMULA}  (not released; 1 fix marked * for really released)",
        "      https://portal.example/dataset/a",
        "    *     10  warning unknown-license  [Nutzungsbedingungen der Stadt]",
        "              fix: Use a standard licence id or URI; odwatch cannot tell what this value allows.",
        "          30  warning missing-keywords",
        f"              fix: {FIX['missing-keywords']}",
        "          30  warning missing-themes",
        "              fix: Assign at least one category (DCAT theme / CKAN group).",
    ]
    assert lines[11:13] == [
        "          20  warning missing-download-url  [https://files.example/a/0.csv]",
        f"              fix: {FIX['missing-download-url']}",
    ]
    assert len(lines) == 5 + 2 * 11  # header, dashboard, blank, title, link; 11 findings


def test_findings_errors_are_one_line(warehouse, tmp_path, capsys):
    path, _ = warehouse
    code, out, err = run(capsys, "findings", "--portal", "stadt", "--warehouse", path)
    assert (code, out) == (1, "")
    assert err == (
        f"odwatch: error: {path}: no assessment of portal 'stadt' in the warehouse; "
        "run 'odwatch assess' (assessed portals: none)\n"
    )
    run(capsys, "assess", "--warehouse", path, "-q", "--no-expectations")
    code, _, err = run(capsys, "findings", "--portal", "nowhere", "--warehouse", path)
    assert code == 1
    assert err == (  # an unknown portal: nothing harvested, so not "run odwatch assess"
        f"odwatch: error: {path}: portal 'nowhere' was never harvested into this warehouse "
        "(harvested: stadt); run 'odwatch run --only nowhere'\n"
    )
    missing = tmp_path / "none.duckdb"
    code, _, err = run(capsys, "findings", "--portal", "stadt", "--warehouse", str(missing))
    assert (code, err.count("\n")) == (1, 1)
    assert "no warehouse here yet" in err


def test_fix_list_puts_what_keeps_data_unreleased_before_points(tmp_path, capsys):
    """d's only problem is a non-open licence (no MQA points lost): it comes before e, which
    has 30 points to gain (no keywords) but nothing that keeps it from being released."""
    path = tmp_path / "w.duckdb"
    wh = Warehouse(path)
    store_snapshot(
        wh,
        "stadt",
        [
            dataset("d", license_raw="cc-by-nc-4.0", **COMPLETE),
            dataset("e", keywords=[], **COMPLETE),
        ],
        [distribution("d", **COMPLETE_DIST), distribution("e", **COMPLETE_DIST)],
        NOW,
    )
    wh.close()
    run(capsys, "assess", "--warehouse", str(path), "-q", "--no-expectations")
    code, out, _ = run(
        capsys, "findings", "--portal", "stadt", "--warehouse", str(path), "--format", "csv"
    )
    assert code == 0
    ranked = [
        (r["rank"], r["dataset_id"], r["dataset_points_gain"], r["dataset_released"], r["code"], r["blocks_release"])
        for r in csv.DictReader(io.StringIO(out))
    ]  # fmt: skip
    assert ranked == [
        ("1", "d", "0.0", "False", "non-open-license", "True"),
        ("2", "e", "30.0", "", "missing-keywords", "False"),  # undetermined: links unchecked
    ]
