"""The GovData dashboard profile (checks/dashboard.py, warehouse/dashboard.py): the licence list
read from GovData's shapes at run time, every real licence spelling judged twice (as written,
after normalising), and the verdicts the assessment stores for the recorded DCAT catalogues of
Rostock, Bremen and Destatis, with contributorID from dashboard SHACL rows ("set by the
aggregator" not counted against the city)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import shacl_rows
from assess_helpers import load_dcat, store_snapshot

from checks import dashboard as dash
from flows import assess
from flows.assess import assess_run
from warehouse.dashboard import dataset_verdicts, portal_scores
from warehouse.records import Warehouse

SNAPSHOT_AT = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
L = "http://dcat-ap.de/def/licenses/"


@pytest.fixture(scope="module")
def licenses(corpus):
    root = corpus / "shacl" / "govdata-dcat-ap-de-validator"
    if not (root / dash.LICENSE_LIST).is_file():
        pytest.skip(f"GovData's shapes not found under {root}")
    return dash.load_license_list(root)


def test_the_licence_list_and_its_openness_come_from_the_shapes(licenses):
    assert len(licenses.open) == 34
    assert [u for u in licenses.open if not licenses.open[u]] == [
        f"{L}cc-by-nc", f"{L}cc-by-nc-de/3.0", f"{L}cc-by-nc/4.0", f"{L}cc-by-nd",
        f"{L}cc-by-nd/3.0", f"{L}cc-by-nd/4.0", f"{L}dl-by-nc-de/1.0", f"{L}other-closed",
        f"{L}other-commercial", f"{L}other-freeware",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "listed", "open_", "listed_n", "open_n", "uri"),
    [
        (f"{L}dl-by-de/2.0", True, True, True, True, f"{L}dl-by-de/2.0"),
        ("https://www.dcat-ap.de/def/licenses/cc-zero", False, False, True, True, f"{L}cc-zero"),
        (f"{L}cc-by/4_0", False, False, True, True, f"{L}cc-by/4.0"),
        ("https://www.govdata.de/dl-de/by-2-0", False, False, True, True, f"{L}dl-by-de/2.0"),
        ("dl-de-by-2.0", False, False, True, True, f"{L}dl-by-de/2.0"),
        (f"{L}cc-by-nc/4.0", True, False, True, False, f"{L}cc-by-nc/4.0"),
        (f"{L}officialWork", True, True, True, True, f"{L}officialWork"),
        ("Nutzungsbedingungen der Stadt", False, False, False, False, None),
        (None, False, False, False, False, None),
    ],
)
def test_each_spelling_is_judged_as_written_and_after_normalising(
    licenses, raw, listed, open_, listed_n, open_n, uri
):
    assert dash.license_verdict(raw, licenses) == dash.LicenseVerdict(
        listed, open_, listed_n, open_n, uri
    )


@pytest.fixture(scope="module")
def wh(corpus, licenses, tmp_path_factory):
    w = Warehouse(tmp_path_factory.mktemp("dash") / "w.duckdb")
    w.runs = {}
    for pid in ("rostock", "bremen", "destatis"):
        rel = corpus / "dcat" / pid / f"{pid}-catalog-original-input.rdf"
        w.runs[pid] = store_snapshot(w, pid, *load_dcat(rel, pid), SNAPSHOT_AT)
        assess_run(w.con, w.runs[pid], expectations=False)
    yield w
    w.close()


def test_portal_scores_on_the_recorded_catalogues(wh):
    got = portal_scores(wh.con, list(wh.runs.values()))
    cols = ("datasets", "score", "license_once", "license_listed", "license_open",
            "license_listed_normalised", "license_open_normalised", "keywords", "publisher",
            "contributor", "contributor_unknown")  # fmt: skip
    table = {pid: tuple(got[run][c] for c in cols) for pid, run in wh.runs.items()}
    # Rostock writes https://www.dcat-ap.de/...: not on the list as written, open once normalised
    assert table["rostock"] == pytest.approx((100, 60.0, 1, 0, 0, 1, 1, 1, 1, None, 100))
    assert table["destatis"] == pytest.approx((135, 100.0, 1, 1, 1, 1, 1, 1, 1, None, 135))
    # Bremen: 4 datasets without a licence, 15 under cc-by-nc-de/4_0 (not open either way)
    assert table["bremen"] == pytest.approx(
        (153, 91.7647, 149 / 153, 134 / 153, 134 / 153, 149 / 153, 134 / 153, 132 / 153, 1, None, 153),
        abs=1e-4,
    )  # fmt: skip


def test_the_stored_score_equals_the_python_twin(wh):
    for run in wh.runs.values():
        for v in dataset_verdicts(wh.con, run):
            assert v["score"] == pytest.approx(dash.dataset_score(v))


def test_contributor_from_dashboard_shacl_rows_and_the_aggregator_is_not_counted(
    tmp_path, corpus, licenses
):
    w = Warehouse(tmp_path / "w.duckdb")
    rel = corpus / "dcat" / "rostock" / "rostock-catalog-original-input.rdf"
    run = store_snapshot(w, "rostock", *load_dcat(rel, "rostock"), SNAPSHOT_AT)
    ids = sorted(w.con.execute("SELECT dataset_id FROM datasets").fetchall())
    a, b, c = (i[0] for i in ids[:3])
    shacl_rows.write(
        w.con,
        run,
        "govdata-dashboard",
        {a: True, b: False, c: False},
        [
            shacl_rows.result(b, "dcatde:contributorID", "Violation"),
            shacl_rows.result(c, "dcatde:contributorID", "Violation", unknowable=True),
        ],
    )
    assess_run(w.con, run, expectations=False)
    v = {r["dataset_id"]: r for r in dataset_verdicts(w.con, run)}
    # Rostock's licences are not conformant as written (3 of 5 other criteria met): the
    # contributor adds a sixth criterion when judged, none when the aggregator sets it
    assert [v[x]["contributor"] for x in (a, b, c)] == ["ok", "missing", "aggregator"]
    assert [v[x]["score"] for x in (a, b, c)] == pytest.approx([4 / 6, 3 / 6, 3 / 5])
    s = portal_scores(w.con, [run])[run]
    assert (s["contributor_judged"], s["contributor"], s["contributor_aggregator"]) == (
        True,
        0.5,
        1,
    )
    assert s["contributor_unknown"] == 97
    w.close()


def test_without_the_shapes_one_line_and_the_assessment_goes_on(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("ODWATCH_SHACL_SHAPES", str(tmp_path / "nowhere"))
    assess._license_list.cache_clear()
    try:
        w = Warehouse(tmp_path / "w.duckdb")
        rel = corpus / "dcat" / "destatis" / "destatis-catalog-original-input.rdf"
        run = store_snapshot(w, "destatis", *load_dcat(rel, "destatis"), SNAPSHOT_AT)
        result = assess_run(w.con, run, expectations=False)
        assert result.status == "ok"
        s = portal_scores(w.con, [run])[run]
        assert (s["datasets"], s["score"]) == (0, None)
        assert s["error"] == (
            f"{tmp_path / 'nowhere' / dash.LICENSE_LIST}: GovData's licence list not found; "
            "set ODWATCH_SHACL_SHAPES"
        )
        w.close()
    finally:
        assess._license_list.cache_clear()


def test_the_city_page_shows_the_dashboard_score_beside_mqa(wh, tmp_path):
    from assess_helpers import portal

    from flows.publish import build_site

    build_site(wh.con, [portal("rostock"), portal("destatis")], tmp_path / "site")
    page = (tmp_path / "site" / "en" / "city" / "rostock.html").read_text(encoding="utf-8")
    assert (
        '<div class="card" data-key="dashboard_score" data-value="60.0000000000001">'
        '<div class="big">60\u202f%</div><div class="label"><a href="#dashboard">GovData dashboard</a>'
    ) in page
    # conformant as written: 0 %; open after normalising the spelling: 100 %
    assert (
        '<tr data-criterion="license_open"><td>an open licence from the list</td>'
        '<td class="num" data-value="0.0">0.0\u202f%</td>'
        '<td class="num" data-value="1.0">100.0\u202f%</td></tr>'
    ) in page
    assert "100 not judged (no dashboard validation)" in page
    de = (tmp_path / "site" / "de" / "city" / "destatis.html").read_text(encoding="utf-8")
    assert (
        '<div class="big">100\u202f%</div><div class="label"><a href="#dashboard">GovData-Dashboard</a>'
        in de
    )
    assert "eine offene Lizenz aus der Liste" in de
    import csv

    with (tmp_path / "site" / "downloads" / "scores.csv").open(encoding="utf-8") as f:
        scores = {r["portal_id"]: r for r in csv.DictReader(f)}
    cols = ("govdata_dashboard_score", "govdata_dashboard_license_listed",
            "govdata_dashboard_license_open", "govdata_dashboard_license_open_normalised")  # fmt: skip
    assert [round(float(scores["rostock"][c]), 4) for c in cols] == [60.0, 0.0, 0.0, 1.0]
    assert [round(float(scores["destatis"][c]), 4) for c in cols] == [100.0, 1.0, 1.0, 1.0]
