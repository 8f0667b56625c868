"""One dataset on several harvested portals (issue 18): copies found by identifier, landing
page, distribution URL or title + publisher over the latest snapshots, what differs between
the layers, the city page's list of disagreeing copies, and a catalogue's count of copies of
city datasets (counted once, on the city's portal)."""

from __future__ import annotations

import csv
import dataclasses
import re
from datetime import UTC, datetime

import pytest
from assess_helpers import dataset, distribution, portal, store_snapshot
from routeserver import RouteServer, file_reply

from flows.assess import assess_run
from flows.config import Portal
from flows.harvest import harvest_portal
from flows.publish import publish_site
from warehouse.copies import copied_from, copy_counts, disagreeing
from warehouse.records import Warehouse

ROSTOCK_ID = "c1be4007-d811-48fb-8818-2cb358b06a63"


@pytest.fixture(scope="module")
def recorded(corpus, tmp_path_factory):
    """Rostock's recorded catalogue page (its city portal) and the same city's dataset as
    GovData published it in 2024 (ckanext-dcat's example), harvested from loopback."""
    root = corpus / "dcat"
    page = (root / "rostock" / "rostock-catalog-original-input.rdf").read_bytes()
    page = re.sub(rb"<hydra:nextPage>[^<]*</hydra:nextPage>", b"", page)  # page 1 of 3 only
    routes = {
        "/rostock.rdf": file_reply(page, "application/rdf+xml"),
        "/govdata.rdf": file_reply((root / "examples" / "dataset_gov_de.rdf").read_bytes(), "application/rdf+xml"),
    }  # fmt: skip
    w = Warehouse(tmp_path_factory.mktemp("copies") / "w.duckdb")
    w.portals = []
    with RouteServer(routes) as server:
        for pid, kind in (("rostock", "city"), ("govdata", "national")):
            p = Portal(id=pid, title=f"{pid} portal", city=pid.title(), platform="dcat",
                       url=f"{server.url}/{pid}.rdf", kind=kind, allow_private_urls=True)  # fmt: skip
            result = harvest_portal(p, w)
            assert result.status == "ok", result.error
            assess_run(w.con, result.run_id, expectations=False)
            w.portals.append(p)
    yield w
    w.close()


def test_the_recorded_rostock_dataset_is_found_on_govdata_and_where_it_drifted(recorded):
    rows = recorded.con.execute(
        "SELECT dataset_id, copy_portal_id, copy_dataset_id, matched_by, differs, license, "
        "copy_license, left(modified, 10), left(copy_modified, 10), distributions, "
        "copy_distributions FROM dataset_copies WHERE portal_id = 'rostock'"
    ).fetchall()
    assert rows == [
        (ROSTOCK_ID, "govdata", ROSTOCK_ID,
         ["distribution_url", "identifier", "landing_page", "title_publisher"],
         ["modified", "distributions"], "cc0-1.0", "cc0-1.0", "2021-01-28", "2024-05-08", 7, 9),
    ]  # fmt: skip
    # both directions
    assert recorded.con.execute(
        "SELECT count(*) FROM dataset_copies WHERE portal_id = 'govdata'"
    ).fetchone() == (1,)
    assert copy_counts(recorded.con, ["rostock"]) == {
        "rostock": [{"portal_id": "rostock", "copy_portal_id": "govdata", "datasets": 1, "disagree": 1}]
    }  # fmt: skip
    assert copied_from(recorded.con, ["govdata"], ["rostock"]) == {"govdata": 1}


def test_the_city_page_lists_the_copy_that_drifted_and_the_catalogue_counts_it_once(
    recorded, tmp_path
):
    site = tmp_path / "site"
    publish_site(recorded.con, recorded.portals, site)
    page = (site / "en" / "city" / "rostock.html").read_text(encoding="utf-8")
    assert 'data-copy-portal="govdata" data-datasets="1" data-disagree="1"' in page
    assert f'data-dataset="{ROSTOCK_ID}" data-copy="govdata" data-differs="modified distributions"' in page  # fmt: skip
    assert "2021-01-28 / 2024-05-08" in page and "7 / 9" in page
    ranking = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert 'data-key="copies_of_city_datasets" data-value="1"' in ranking
    with open(site / "downloads" / "copies.csv", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert {(r["portal_id"], r["copy_portal_id"], r["differs"]) for r in table} == {
        ("rostock", "govdata", "modified distributions"),
        ("govdata", "rostock", "modified distributions"),
    }
    with open(site / "downloads" / "scores.csv", encoding="utf-8") as fh:
        scores = {r["portal_id"]: r for r in csv.DictReader(fh)}
    assert scores["govdata"]["copies_of_city_datasets"] == "1"
    assert scores["rostock"]["copies_of_city_datasets"] == "0"


def test_hand_made_mirror_with_a_licence_that_differs(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    at = datetime(2024, 6, 1, tzinfo=UTC)
    city = [
        dataset("baeume", title="Baumkataster", publisher="Stadt Musterstadt", license_raw="dl-de-by-2.0",
                landing_page="https://musterstadt.example/baeume"),
        dataset("wahl-2024", title="Wahlergebnisse: Europawahl 2024!", publisher="Stadt Musterstadt",
                landing_page="https://musterstadt.example/portal"),
        dataset("wahl-2019", title="Europawahl 2019", publisher="Stadt Musterstadt",
                landing_page="https://musterstadt.example/portal"),
        dataset("nur-hier", title="Hundekotbeutelspender", publisher="Stadt Musterstadt"),
    ]  # fmt: skip
    land = [
        dataset("land-1", title="Baumkataster Musterstadt", publisher="Land", license_raw="cc-by-4.0",
                landing_page="http://www.musterstadt.example/baeume/"),
        dataset("land-2", title="wahlergebnisse europawahl 2024", publisher="stadt musterstadt",
                landing_page="https://land.example/land-2"),
        dataset("land-3", title="Europawahl 2014", publisher="Land", landing_page="https://musterstadt.example/portal"),
    ]  # fmt: skip
    runs = {
        "musterstadt": store_snapshot(w, "musterstadt", city, [distribution(d["dataset_id"]) for d in city], at),
        "land": store_snapshot(w, "land", land, [distribution(d["dataset_id"]) for d in land], at),
    }  # fmt: skip
    for run in runs.values():
        assess_run(w.con, run, expectations=False)
    got = {
        (r["dataset_id"], r["copy_dataset_id"]): (r["matched_by"], r["differs"], r["license"], r["copy_license"])
        for rows in disagreeing(w.con, ["musterstadt"]).values() for r in rows
    }  # fmt: skip
    # the same landing page (scheme, www. and slash aside): a licence differs between layers
    assert got[("baeume", "land-1")] == (["landing_page"], ["license"], "dl-de-by-2.0", "cc-by-4.0")
    # same title and publisher, punctuation and case aside; identical otherwise: not listed
    same = w.con.execute(
        "SELECT matched_by, differs FROM dataset_copies WHERE dataset_id = 'wahl-2024'"
    ).fetchall()
    assert same == [(["title_publisher"], [])]
    # a landing page two datasets share on one portal says nothing; nor does a one-side dataset
    assert not w.con.execute(
        "SELECT count(*) FROM dataset_copies WHERE dataset_id IN ('wahl-2019', 'nur-hier', 'land-3')"
    ).fetchone()[0]
    counts = copy_counts(w.con, ["musterstadt"])["musterstadt"]
    assert counts == [{"portal_id": "musterstadt", "copy_portal_id": "land", "datasets": 2, "disagree": 1}]  # fmt: skip
    # the page: the regional catalogue's copies are the city's, counted once there
    site = tmp_path / "site"
    land_portal = dataclasses.replace(portal("land"), kind="regional", city="Land")
    publish_site(w.con, [portal("musterstadt"), land_portal], site)
    with open(site / "downloads" / "scores.csv", encoding="utf-8") as fh:
        scores = {r["portal_id"]: r for r in csv.DictReader(fh)}
    assert scores["land"]["copies_of_city_datasets"] == "2"
    page = (site / "de" / "city" / "musterstadt.html").read_text(encoding="utf-8")
    assert 'data-dataset="baeume" data-copy="land" data-differs="license"' in page
    assert "dl-de-by-2.0 / cc-by-4.0" in page
    w.close()
