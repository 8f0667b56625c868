"""The SHACL Violations behind a dcat-ap-violation finding, in `odwatch findings` (table, JSON,
CSV) and on the city's fix-list pages (en + de), each with the shape's message, the field and
a plain-words fix hint (dashboards/words/*.json, table shacl_fixes). On the recorded Rostock
catalogue with verdict rows written into the shacl_* tables."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import shacl_rows
from assess_helpers import load_dcat, portal, store_snapshot

from dashboards.fixlist import render_json, render_table
from flows.assess import assess_run
from flows.cli import main
from flows.findings import fix_list
from flows.publish import build_site
from warehouse.records import Warehouse
from warehouse.store import connect

SNAPSHOT_AT = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
DE_LICENSE = "Die Lizenz muss aus der Liste der Lizenzen stammen."
EN_LICENSE = "The licence must come from the licence list."


@pytest.fixture(scope="module")
def wh(corpus, tmp_path_factory):
    rel = "rostock/rostock-catalog-original-input.rdf"
    datasets, distributions = load_dcat(corpus / "dcat" / rel, "rostock")
    w = Warehouse(tmp_path_factory.mktemp("shf") / "w.duckdb")
    run_id = store_snapshot(w, "rostock", datasets, distributions, SNAPSHOT_AT)
    ds = sorted(d["dataset_id"] for d in datasets)[0]
    dist = sorted(d["distribution_id"] for d in distributions if d["dataset_id"] == ds)[0]
    shacl_rows.write(
        w.con,
        run_id,
        "dcat-ap-de-2.0",
        {ds: False},
        [
            shacl_rows.result(
                ds,
                "dct:license",
                distribution_id=dist,
                component="InConstraintComponent",
                value="<script>alert(1)</script>",
                message_de=DE_LICENSE,
                message_en=EN_LICENSE,
            ),
            shacl_rows.result(ds, "dcterms:description", message_de="Beschreibung fehlt."),
            shacl_rows.result(ds, "dcat:contactPoint", "Warning", message_en="no contact"),
            shacl_rows.result(ds, "dcatde:contributorID", unknowable=True, message_en="hidden"),
        ],
    )
    assess_run(w.con, run_id, expectations=False)
    w.ds, w.dist, w.run_id = ds, dist, run_id
    yield w
    w.close()


def _violation_row(rows, ds):
    [row] = [r for r in rows if r["dataset_id"] == ds and r["code"] == "dcat-ap-violation"]
    return row


def test_the_fix_list_carries_the_counted_violations_dataset_first(wh):
    _, rows = fix_list(wh.con, "rostock")
    row = _violation_row(rows, wh.ds)
    assert (row["points_lost"], row["evidence"]) == (30.0, "2 violations of dcat-ap-de-2.0")
    assert [(v["path"], v["distribution_id"], v["message_en"], v["message_de"]) for v in row["violations"]] == [
        ("dcterms:description", None, None, "Beschreibung fehlt."),
        ("dct:license", wh.dist, EN_LICENSE, DE_LICENSE),
    ]  # fmt: skip
    assert all("violations" not in r for r in rows if r["code"] != "dcat-ap-violation")


def test_table_and_json_show_message_field_and_fix(wh):
    assessment, rows = fix_list(wh.con, "rostock")
    table = render_table(assessment, rows)
    assert (
        "              - dcterms:description: Beschreibung fehlt.\n"
        "                fix: Describe what the data contains and how it was made.\n"
        f"              - dct:license (distribution {wh.dist}): {EN_LICENSE}\n"
        "                fix: Give each file exactly one licence, chosen from the DCAT-AP.de "
        "licence list (e.g. dl-de/by-2.0, CC BY 4.0).\n"
    ) in table
    doc = json.loads(render_json(assessment, rows))
    [d] = [d for d in doc["datasets"] if d["dataset_id"] == wh.ds]
    [f] = [f for f in d["findings"] if f["code"] == "dcat-ap-violation"]
    assert [(v["path"], v["message"], v["fix"]) for v in f["violations"]] == [
        ("dcterms:description", "Beschreibung fehlt.", "Describe what the data contains and how it was made."),
        ("dct:license", EN_LICENSE, "Give each file exactly one licence, chosen from the DCAT-AP.de licence list (e.g. dl-de/by-2.0, CC BY 4.0)."),
    ]  # fmt: skip


def test_the_fix_list_pages_show_them_in_each_language_escaped(wh, tmp_path):
    build_site(wh.con, [portal("rostock")], tmp_path / "site")
    for lang, message, hint in (
        ("en", EN_LICENSE, "Give each file exactly one licence"),
        ("de", DE_LICENSE, "Geben Sie jeder Datei genau eine Lizenz"),
    ):
        pages = [
            p.read_text(encoding="utf-8")
            for p in (tmp_path / "site" / lang / "city" / "rostock").glob("org-*.html")
        ]
        [page] = [p for p in pages if 'class="violations"' in p]
        assert f'data-path="dct:license" data-distribution="{wh.dist}"' in page
        assert message in page and hint in page
        assert "[&lt;script&gt;alert(1)&lt;/script&gt;]" in page and "<script>alert" not in page
        assert "hidden" not in page and "no contact" not in page


def test_the_csv_puts_them_in_one_cell(wh, capsys):
    wh.close()  # the command opens the warehouse itself (one process, one writer)
    try:
        code = main(["findings", "--portal", "rostock", "--warehouse", str(wh.path), "--format", "csv"])  # fmt: skip
    finally:
        wh.con = connect(wh.path)
    assert code == 0
    out = capsys.readouterr().out
    [cell] = [
        r["violations"]
        for r in csv.DictReader(io.StringIO(out))
        if r["dataset_id"] == wh.ds and r["code"] == "dcat-ap-violation"
    ]
    assert cell == (
        "dcterms:description: Beschreibung fehlt. (fix: Describe what the data contains and how "
        f"it was made.) | dct:license: {EN_LICENSE} (fix: Give each file exactly one licence, "
        "chosen from the DCAT-AP.de licence list (e.g. dl-de/by-2.0, CC BY 4.0).)"
    )
