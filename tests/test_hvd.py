"""The EU High-Value Datasets (issue 18): DCAT-AP's marks (dcatap:hvdCategory,
dcatap:applicableLegislation) read from a recorded DCAT-AP.de record and from CKAN packages
(ckanext-dcat's hvd_category / applicable_legislation), judged once, stored per dataset,
compared across the cities and shown on the city page, in the ranking and the downloads."""

from __future__ import annotations

import copy
import csv
import json
import re

import pytest
from routeserver import RouteServer, file_reply

from checks.hvd import MUNICIPAL, REGULATION, category_code, mark
from dashboards.coverage import compare_hvd
from flows.assess import assess_run
from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.publish import publish_site
from warehouse.records import Warehouse

MOBILITY = "http://data.europa.eu/bna/c_b79e35eb"
METEO = "http://data.europa.eu/bna/c_164e0bf5"
GOVDATA_ID = "c1be4007-d811-48fb-8818-2cb358b06a63"  # Rostock's dataset as GovData lists it


def test_marks_in_every_spelling_and_what_an_incomplete_mark_misses():
    for spelling in (MOBILITY, "https://data.europa.eu/bna/c_b79e35eb/",
                     "http://www.data.europa.eu/bna/C_B79E35EB", " c_b79e35eb "):  # fmt: skip
        assert category_code(spelling) == "c_b79e35eb", spelling
    assert category_code("http://data.europa.eu/bna/") is None
    assert category_code("https://example.org/bna/c_b79e35eb") is None
    full = mark([MOBILITY, "https://data.europa.eu/bna/c_ac64a52d"], [REGULATION + "/deu"])
    assert (full.categories, full.regulation, full.problem) == (
        ("geospatial", "mobility"),
        True,
        None,
    )
    assert mark([MOBILITY], []).problem == "no_regulation"
    assert mark([], ["https://data.europa.eu/eli/reg_impl/2023/138/oj"]).problem == "no_category"
    # a sub-category (or a typo) is kept as written, not counted as one of the six
    odd = mark(["http://data.europa.eu/bna/c_00000000"], [REGULATION])
    assert (odd.categories, odd.unknown, odd.problem) == ((), ("http://data.europa.eu/bna/c_00000000",), "unknown_category")  # fmt: skip
    # another regulation is no HVD mark; no marks at all is no problem to fix
    assert not mark(None, ["http://data.europa.eu/eli/reg/2016/679/oj"]).regulation
    assert not mark([], []).marked and mark([], []).problem is None


def _bochum(corpus) -> list[dict]:
    """Bochum's two recorded weather-station packages (opendata.ruhr), with hand-made marks:
    one meteorological and complete (ckanext-dcat's fields), one mobility without the
    regulation (an extra, as a portal without scheming stores it)."""
    out = []
    for path in sorted((corpus / "ckan" / "bochum-opendata-ruhr").glob("*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    out[0]["hvd_category"] = [METEO.replace("http:", "https:")]
    out[0]["applicable_legislation"] = [REGULATION]
    out[1]["extras"] = [*(out[1].get("extras") or []), {"key": "hvd_category", "value": MOBILITY}]
    return out


@pytest.fixture(scope="module")
def harvested(corpus, tmp_path_factory):
    """Three cities harvested from loopback: the recorded GovData record of a Rostock dataset
    (marked statistics, with the regulation), Rostock's own recorded catalogue page (no
    marks) and Bochum's recorded packages with hand-made marks."""
    root = corpus / "dcat"
    page = (root / "rostock" / "rostock-catalog-original-input.rdf").read_bytes()
    page = re.sub(rb"<hydra:nextPage>[^<]*</hydra:nextPage>", b"", page)  # page 1 of 3 only
    routes = {
        "/rostock.rdf": file_reply(page, "application/rdf+xml"),
        "/marked.rdf": file_reply((root / "examples" / "dataset_gov_de.rdf").read_bytes(), "application/rdf+xml"),
    }  # fmt: skip
    w = Warehouse(tmp_path_factory.mktemp("hvd") / "w.duckdb")
    w.portals = []
    with RouteServer(routes) as rdf, LocalPortal(_bochum(corpus)) as ckan:
        for pid, platform, url in (
            ("marked", "dcat", f"{rdf.url}/marked.rdf"),
            ("rostock", "dcat", f"{rdf.url}/rostock.rdf"),
            ("bochum", "ckan", ckan.url),
        ):
            p = Portal(id=pid, title=f"{pid} portal", city=pid.title(), platform=platform,
                       url=url, allow_private_urls=True)  # fmt: skip
            result = harvest_portal(p, w)
            assert result.status == "ok", result.error
            assess_run(w.con, result.run_id, expectations=False)
            w.portals.append(p)
    yield w
    w.close()


def test_the_recorded_record_keeps_its_marks_as_given_and_judged(harvested):
    con = harvested.con
    assert con.execute(
        "SELECT dataset_id, hvd_categories, applicable_legislation FROM latest_datasets "
        "WHERE portal_id = 'marked'"
    ).fetchall() == [(GOVDATA_ID, ["http://data.europa.eu/bna/c_e1da4e07"], [REGULATION])]
    assert con.execute(
        "SELECT portal_id, dataset_id, categories, unknown, regulation, problem FROM hvd_marks "
        "ORDER BY portal_id, dataset_id"
    ).fetchall() == [
        ("bochum", "bochum-smarte-banke-wetterstation-943cc64265d3", ["meteorological"], [], True, None),
        ("bochum", "bochum-smarte-banke-wetterstation-b8d61a7accc7", ["mobility"], [], False, "no_regulation"),
        ("marked", GOVDATA_ID, ["statistics"], [], True, None),
    ]  # fmt: skip
    # Rostock's own 100 datasets carry no marks: judged, none marked
    assert con.execute(
        "SELECT datasets, can_mark, marked FROM hvd_runs WHERE portal_id = 'rostock'"
    ).fetchone() == (100, 100, 0)
    # the query the README gives a user
    assert con.execute(
        "SELECT portal_id, category, datasets, complete FROM hvd_coverage ORDER BY ALL"
    ).fetchall() == [("bochum", "meteorological", 1, 1), ("bochum", "mobility", 1, 0),
                     ("marked", "statistics", 1, 1)]  # fmt: skip


def test_cities_compared_on_the_page_in_the_ranking_and_the_downloads(harvested, tmp_path):
    site = tmp_path / "site"
    publish_site(harvested.con, harvested.portals, site)
    bochum = (site / "en" / "city" / "bochum.html").read_text(encoding="utf-8")
    assert 'id="hvd"' in bochum
    assert 'data-key="hvd_categories" data-value="1" data-marked="2" data-compared="3"' in bochum
    assert 'data-hvd="mobility" data-datasets="1" data-expected="true"' in bochum
    assert 'data-hvd="geospatial" data-datasets="0" data-expected="true"' in bochum
    assert 'data-hvd="meteorological" data-datasets="1" data-expected="false"' in bochum
    assert 'data-problem="no_regulation"' in bochum and "Smarte Bänke" in bochum
    rostock = (site / "de" / "city" / "rostock.html").read_text(encoding="utf-8")
    assert 'data-key="hvd_categories" data-value="0" data-marked="0"' in rostock
    assert "Mobilität" in rostock and "keiner gekennzeichnet" in rostock
    ranking = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert 'data-key="hvd_categories_marked" data-value="1"' in ranking
    with open(site / "downloads" / "hvd.csv", encoding="utf-8") as fh:
        table = {(r["portal_id"], r["category"]): r for r in csv.DictReader(fh)}
    # each city: the three expected categories, and any other it marks
    assert sorted(table) == sorted(
        [(pid, c.key) for pid in ("bochum", "marked", "rostock") for c in MUNICIPAL]
        + [("bochum", "meteorological"), ("marked", "statistics")]
    )
    mob = table[("bochum", "mobility")]
    assert (mob["datasets_marked"], mob["marked_complete"], mob["cities_marking"], mob["cities_compared"]) == ("1", "0", "1", "3")  # fmt: skip
    assert table[("rostock", "mobility")]["datasets_marked"] == "0"
    assert table[("bochum", "mobility")]["name_de"] == "Mobilität"
    with open(site / "downloads" / "hvd_datasets.csv", encoding="utf-8") as fh:
        marked = list(csv.DictReader(fh))
    assert {(r["portal_id"], r["categories"], r["problem"]) for r in marked} == {
        ("bochum", "meteorological", ""), ("bochum", "mobility", "no_regulation"),
        ("marked", "statistics", ""),
    }  # fmt: skip
    with open(site / "downloads" / "scores.csv", encoding="utf-8") as fh:
        scores = {r["portal_id"]: r for r in csv.DictReader(fh)}
    assert (scores["bochum"]["hvd_categories_marked"], scores["bochum"]["hvd_marked"]) == ("1", "2")
    assert scores["rostock"]["hvd_categories_marked"] == "0"


def test_a_platform_without_the_fields_is_not_judged_and_not_counted_as_lacking():
    rows = {
        "ods": {"run_id": "r1", "datasets": 40, "can_mark": 0, "marked": 0, "problems": 0, "categories": {}},
        "city": {"run_id": "r2", "datasets": 10, "can_mark": 10, "marked": 3, "problems": 0,
                 "categories": {"geospatial": {"datasets": 3, "complete": 3}}},
    }  # fmt: skip
    got = compare_hvd(copy.deepcopy(rows), ["ods", "city", "absent"])
    assert set(got) == {"ods", "city"}
    assert (got["city"].categories, got["city"].expected) == (1, 3)
    assert [i.category.key for i in got["city"].lacks] == ["environment", "mobility"]
    assert got["ods"].can_mark == 0  # the page says it cannot be judged; the ranking shows –
