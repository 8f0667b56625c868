"""The DCAT-AP adapter against real recorded catalogues served from 127.0.0.1, and faults."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from routeserver import RouteServer, file_reply
from snapshots import snapshot_rows

from flows.adapters.dcat import fetch_dcat, modified_since_param
from flows.adapters.dcat_parse import parse_dcat_dataset
from flows.adapters.errors import PortalIncompatible, PortalUnavailable
from flows.adapters.http import make_session
from flows.adapters.rdfpage import graph_index, rdf_format, read_page
from flows.adapters.rdfxml import Lit, Unsupported, read_rdfxml
from flows.adapters.records import HarvestStats, Response
from flows.config import Portal
from flows.demo.portals import Reply
from flows.harvest import OVERLAP, harvest_portal
from warehouse.records import Warehouse
from warehouse.store import raw_page_text

HRO = "https://www.opendata-hro.de/dataset/"
RDFXML = "application/rdf+xml"
RDF_NS = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def session():
    return make_session(per_host_rate=0, per_host_concurrency=4, retries=0)


def portal(url: str, **kw) -> Portal:
    return Portal(id=kw.pop("id", "p"), title="t", city="c", platform="dcat", url=url, **kw)


def harvest(p: Portal, **kw) -> tuple[list[dict], HarvestStats, list[Response]]:
    pages: list[Response] = []
    stats: list[HarvestStats] = []
    kw.setdefault("retries", 0)
    records = [r for batch in fetch_dcat(p, session(), pages.append, stats, **kw) for r in batch]
    return records, stats[0], pages


def parsed(records: list[dict], portal_id: str = "p", url: str = "https://portal.example"):
    return [parse_dcat_dataset(r, portal_id, url, "run-1") for r in records]


def rostock_variant(page1: bytes, prefix: str, keep: int | None, next_page: str | None) -> bytes:
    """A synthetic further page of the Rostock catalogue: the first `keep` datasets of page 1
    (by URI; all if None) with their distributions, under new URIs and identifiers."""
    root = ET.fromstring(page1)
    about, resource = RDF_NS + "about", RDF_NS + "resource"
    dataset_type = "http://www.w3.org/ns/dcat#Dataset"
    datasets = sorted(
        el.get(about, "")
        for el in root
        if any(t.get(resource) == dataset_type for t in el.iter(RDF_NS + "type"))
    )[:keep]
    chosen = set(datasets)

    def wanted(uri: str | None) -> bool:
        return not uri or not uri.startswith(HRO) or uri.split("/resource/")[0] in chosen

    for el in list(root):
        if not wanted(el.get(about)):
            root.remove(el)
            continue
        for child in list(el):
            if child.tag == "{http://www.w3.org/ns/dcat#}dataset" and not wanted(
                child.get(resource)
            ):
                el.remove(child)
            elif child.tag == "{http://www.w3.org/ns/hydra/core#}nextPage":
                if next_page:
                    child.text = next_page
                else:
                    el.remove(child)
    for el in root.iter():
        for attr in (about, resource):
            value = el.get(attr)
            if value and value.startswith(HRO):
                el.set(attr, HRO + prefix + value[len(HRO) :])
        if el.tag == "{http://purl.org/dc/terms/}identifier":
            el.text = prefix + (el.text or "")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@pytest.fixture(scope="session")
def rostock(corpus: Path) -> dict[str, bytes]:
    """Rostock's real page 1 (100 of 217) and synthetic pages 2 (100) and 3 (17): page 1's
    datasets again under new URIs and identifiers (the corpus holds page 1 only)."""
    page1 = (corpus / "dcat" / "rostock" / "rostock-catalog-original-input.rdf").read_bytes()
    base = "https://www.opendata-hro.de/catalog.rdf?page="
    return {
        "1": page1,
        "2": rostock_variant(page1, "p2-", None, base + "3"),
        "3": rostock_variant(page1, "p3-", 17, None),
    }


def rostock_routes(pages: dict[str, bytes], fail_page: str | None = None) -> dict:
    def answer(path: str, params: dict[str, str]) -> Reply:
        number = params.get("page", "1")
        if number == fail_page:
            return Reply(500, "<html><body>Internal Server Error</body></html>")
        if number not in pages:
            return Reply(404, "<html><body>Not Found</body></html>")
        return file_reply(pages[number], "application/rdf+xml; charset=utf-8")

    return {"/catalog.rdf": answer}


# ---------------------------------------------------------------- real catalogues


def test_rostock_three_pages_follow_hydra_next_page(rostock):
    with RouteServer(rostock_routes(rostock)) as server:
        records, stats, pages = harvest(portal(server.url + "/catalog.rdf"))
        assert server.log == ["/catalog.rdf", "/catalog.rdf?page=2", "/catalog.rdf?page=3"]
        netloc = server.netloc
    ds = parsed(records)
    assert (len(ds), len({d["dataset_id"] for d, _ in ds})) == (217, 217)
    assert sum(len(x) for _, x in ds) == 773 + 773 + 126
    assert (stats.method, stats.expected_count, stats.requests) == ("dcat+hydra", 217, 3)
    # the catalogue names its public host in its Hydra links; we follow them where it answered
    assert stats.warnings == [f"Hydra links name www.opendata-hro.de; followed on {netloc}"]
    assert [(p.status, p.content_type) for p in pages] == [
        (200, "application/rdf+xml; charset=utf-8")
    ] * 3


def test_rostock_page_one_fields_the_checks_use(rostock):
    page = read_page(rostock["1"], "xml", "https://www.opendata-hro.de/catalog.rdf")
    assert (page.hydra.next, page.hydra.last, page.hydra.total, page.hydra.per_page) == (
        "https://www.opendata-hro.de/catalog.rdf?page=2",
        "https://www.opendata-hro.de/catalog.rdf?page=3",
        217,
        100,
    )
    out = parsed(page.datasets, "rostock", "https://www.opendata-hro.de")
    dists = [x for _, xs in out for x in xs]
    assert Counter(x["license_raw"] for x in dists) == {
        "https://www.dcat-ap.de/def/licenses/cc-zero": 765,
        "https://www.dcat-ap.de/def/licenses/odbl": 8,
    }
    assert Counter(d["license_raw"] for d, _ in out) == {None: 100}  # DCAT-AP.de: on distributions
    fmt = Counter(x["format_raw"] for x in dists)
    eu = "http://publications.europa.eu/resource/authority/file-type/"
    assert (fmt[eu + "CSV"], fmt[eu + "GEOJSON"], fmt[eu + "WMS"], fmt[None]) == (102, 98, 97, 54)
    assert (
        Counter(x["media_type_raw"] for x in dists)[
            "https://www.iana.org/assignments/media-types/application/octet-stream+zip"
        ]
        == 19
    )
    drogerien = next(d for d, _ in out if d["dataset_id"] == "305d5bb9-28cb-496f-ad29-09838c5dcdbc")
    assert {k: v for k, v in drogerien.items() if k not in ("raw", "description")} == {
        "run_id": "run-1",
        "portal_id": "rostock",
        "dataset_id": "305d5bb9-28cb-496f-ad29-09838c5dcdbc",
        "name": None,
        "title": "Drogerien",
        "landing_page": HRO + "305d5bb9-28cb-496f-ad29-09838c5dcdbc",
        "source_url": None,
        "organization": "https://www.opendata-hro.de/organization/b952e781-ab4c-456a-8e7a-2845f7efaf83",
        "organization_title": "Hanse- und Universitätsstadt Rostock",
        "publisher": "Hanse- und Universitätsstadt Rostock",
        "contact_name": "Hanse- und Universitätsstadt Rostock – Kataster-, Vermessungs- und Liegenschaftsamt",
        "contact_email": "geodienste@rostock.de",
        "contact_url": None,
        "keywords": [
            "Arzneimittel",
            "Einzelhandel",
            "Einzelhandelsgeschäft",
            "Gesundheit",
            "Handel",
            "Handel und Verbrauch",
            "Lebensmittel",
            "Medizin",
            "Nahrung",
            "Nahrungsmittelgewerbe",
            "Wirtschaft",
            "Ökonomie",
        ],  # fmt: skip
        "themes": [
            "http://publications.europa.eu/resource/authority/data-theme/ECON",
            "http://publications.europa.eu/resource/authority/data-theme/HEAL",
        ],
        "license_raw": None,
        "license_title_raw": None,
        "license_url_raw": None,
        "access_rights": "public",
        "spatial": '{"type":"Polygon","coordinates":[[[11.9936, 54.0486], [11.9936, 54.2466], '
        "[12.3045, 54.2466], [12.3045, 54.0486], [11.9936, 54.0486]]]}",
        "temporal_start": None,
        "temporal_end": None,
        "issued": "2017-08-01T10:46:45.590516",
        "modified": "2021-01-28T05:33:37.429410",
        "frequency_raw": None,
        "version": None,
        "hvd_categories": [],
        "applicable_legislation": [],
        "num_distributions": 7,
    }
    assert drogerien["raw"]["dcatde:contributorID"] == [
        {"@id": "https://www.dcat-ap.de/def/contributors/openDataHRO"}
    ]
    csv = next(
        x
        for x in dists
        if x["url"] == "https://geo.sv.rostock.de/download/opendata/drogerien/drogerien.csv"
    )
    assert {k: v for k, v in csv.items() if k != "raw"} == {
        "run_id": "run-1",
        "portal_id": "rostock",
        "dataset_id": "305d5bb9-28cb-496f-ad29-09838c5dcdbc",
        "distribution_id": HRO
        + "305d5bb9-28cb-496f-ad29-09838c5dcdbc/resource/f4aee30b-5baf-487f-bcd5-835c42e3239b",
        "position": 6,
        "title": "Drogerien",
        "description": None,
        "url": "https://geo.sv.rostock.de/download/opendata/drogerien/drogerien.csv",
        "access_url": "https://geo.sv.rostock.de/download/opendata/drogerien/drogerien.csv",
        "download_url": "https://geo.sv.rostock.de/download/opendata/drogerien/drogerien.csv",
        "format_raw": eu + "CSV",
        "media_type_raw": "https://www.iana.org/assignments/media-types/text/csv",
        "license_raw": "https://www.dcat-ap.de/def/licenses/cc-zero",
        "rights": "https://www.dcat-ap.de/def/licenses/cc-zero",
        "byte_size": 6701,
        "issued": "2014-02-14T14:31:03",
        "modified": "2021-01-27T08:53:31",
        "checksum": "fbe16235d5fee3ed557947e755f8e897fa830269ffe7affbca0ee0614f77de88",
    }


def test_next_page_failing_mid_way_keeps_the_previous_snapshot(
    rostock, warehouse_path, monkeypatch
):
    monkeypatch.setattr("flows.adapters.pages.BACKOFF", 0.01)
    routes = rostock_routes(rostock)
    with RouteServer(routes) as server, Warehouse(warehouse_path) as wh:
        p = portal(server.url + "/catalog.rdf", id="rostock")
        first = harvest_portal(p, wh, session())
        server.routes.update(rostock_routes(rostock, fail_page="2"))
        second = harvest_portal(p, wh, session())
        assert (first.status, first.datasets, first.distributions) == ("ok", 217, 773 + 773 + 126)
        assert (second.status, second.transient) == ("failed", True)
        assert second.error == f"{server.url}/catalog.rdf?page=2: HTTP 500 (3 attempts)"
        assert wh.con.execute(
            "SELECT portal_id, run_id, dataset_count, method, expected_count FROM latest_runs"
        ).fetchall() == [("rostock", first.run_id, 217, "dcat+hydra", 217)]
        assert wh.con.execute(
            "SELECT count(*) FROM latest_distributions WHERE license_raw LIKE '%cc-zero'"
        ).fetchone() == (765 + 765 + 126,)
        # the failed run kept its pages: page 1, the changes since the first run (this server
        # ignores modified_since and answers page 1 again, so that listing is followed as the
        # full one) and the three 500 answers for page 2
        assert wh.con.execute(
            "SELECT list((status, url LIKE '%modified_since=%') ORDER BY seq) FROM raw_pages "
            "WHERE run_id = ?",
            [second.run_id],
        ).fetchone() == ([(200, False), (200, True)] + [(500, False)] * 3,)
        assert raw_page_text(wh.con, second.run_id, 2).startswith("<html><body>Internal")


def test_bremen_153_datasets_237_distributions(corpus):
    data = (corpus / "dcat" / "bremen" / "bremen-catalog-original-input.rdf").read_bytes()
    with RouteServer({"/catalog.rdf": file_reply(data, RDFXML)}) as server:
        records, stats, _ = harvest(portal(server.url + "/catalog.rdf", id="bremen"))
    out = parsed(records, "bremen", "https://www.transparenz.bremen.de")
    dists = [x for _, xs in out for x in xs]
    assert (len(out), len(dists), stats.method, stats.expected_count, stats.warnings) == (
        153, 237, "dcat", None, [],
    )  # fmt: skip
    lic = "http://dcat-ap.de/def/licenses/"
    assert Counter(x["license_raw"] for x in dists) == {
        lic + "cc-by": 171,
        lic + "cc-by-nc-de/4_0": 60,  # the old underscore form, and not open
        lic + "cc-zero": 6,
    }
    freq = "http://publications.europa.eu/resource/authority/frequency/"
    assert Counter(d["frequency_raw"] for d, _ in out) == {
        freq + "ANNUAL": 76, freq + "DAILY": 48, freq + "IRREGULAR": 14,
        freq + "QUARTERLY": 8, freq + "MONTHLY": 7,
    }  # fmt: skip
    assert Counter(d["publisher"] for d, _ in out) == {"Freie und Hansestadt Bremen": 153}
    assert sum(1 for d, _ in out if d["contact_email"]) == 153
    # every dataset's dct:spatial is a Location naming the regional key (MQA counts it)
    assert Counter(d["spatial"] for d, _ in out) == {
        "http://dcat-ap.de/def/politicalGeocoding/regionalKey/040110000000": 153
    }
    # one dataset as a whole: a relative e-mail IRI, an open-ended period, no dct:modified
    by_id = {d["dataset_id"]: (d, x) for d, x in out}
    ds, (dist,) = by_id["https://www.transparenz.bremen.de/de/datensatz/bremen2014_tp.c.54797.de"]
    assert {k: v for k, v in ds.items() if k not in ("raw", "description")} == {
        "run_id": "run-1",
        "portal_id": "bremen",
        "dataset_id": "https://www.transparenz.bremen.de/de/datensatz/bremen2014_tp.c.54797.de",
        "name": None,
        "title": "Gesetze und Rechtsverordnungen Bremen 2014",
        "landing_page": "https://www.transparenz.bremen.de/de/datensatz/bremen2014_tp.c.54797.de",
        "source_url": None,
        "organization": "https://www.bremen.de",
        "organization_title": "Freie und Hansestadt Bremen",
        "publisher": "Freie und Hansestadt Bremen",
        "contact_name": "Senatorin für Finanzen, Zentrales IT-Management, Digitalisierung öffentlicher Dienste",
        "contact_email": "transparenz@finanzen.bremen.de",
        "contact_url": None,
        "keywords": ["Bremen", "Gesetze", "Rechtsverordnungen"],
        "themes": ["http://publications.europa.eu/resource/authority/data-theme/JUST"],
        "license_raw": None,
        "license_title_raw": None,
        "license_url_raw": None,
        "access_rights": None,
        # dct:Location with only locn:adminUnitL2 (the political geocoding key of Bremen)
        "spatial": "http://dcat-ap.de/def/politicalGeocoding/regionalKey/040110000000",
        "temporal_start": "2014-01-01",
        "temporal_end": "9999-01-01",
        "issued": "2012-07-04",
        "modified": None,
        "frequency_raw": freq + "DAILY",
        "version": None,
        "hvd_categories": [],
        "applicable_legislation": [],
        "num_distributions": 1,
    }
    assert (dist["format_raw"], dist["license_raw"], dist["download_url"], dist["url"]) == (
        "http://publications.europa.eu/resource/authority/file-type/XML",
        lic + "cc-by",
        None,
        "https://www.transparenz.bremen.de/sixcms/detail.php?template=30_export_template_ifg_d"
        "&dt=Gesetze+und+Rechtsverordnungen&y=2014",
    )
    # Bremen dates its catalogue (dct:modified "2021-01-28 GMT 01:51:03..."), no dataset
    assert Counter(d["modified"] for d, _ in out) == {None: 153}


def test_destatis_every_distribution_html_under_dl_by_de(corpus):
    data = (corpus / "dcat" / "destatis" / "destatis-catalog-original-input.rdf").read_bytes()
    with RouteServer({"/catalog.rdf": file_reply(data, RDFXML)}) as server:
        records, stats, _ = harvest(portal(server.url + "/catalog.rdf"))
    out = parsed(records)
    dists = [x for _, xs in out for x in xs]
    assert (len(out), len(dists)) == (135, 135)
    assert Counter((x["format_raw"], x["license_raw"]) for x in dists) == {
        (
            "http://publications.europa.eu/resource/authority/file-type/HTML",
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        ): 135
    }
    assert Counter(d["publisher"] for d, _ in out) == {"Statistisches Bundesamt": 135}
    # two records are their own distribution (one node typed Dataset and Distribution)
    own = [(d, x) for d, xs in out for x in xs if x["distribution_id"] == d["dataset_id"]]
    assert len(own) == 2
    assert {(d["license_raw"], x["url"][:41]) for d, x in own} == {
        ("http://dcat-ap.de/def/licenses/dl-by-de/2.0", "https://www.bundeswahlleiter.de/bundestag")
    }


def test_berlin_six_datasets_one_page_with_hydra(corpus):
    data = (corpus / "dcat" / "berlin-ckanext-dcatde" / "catalog-endpoint.rdf").read_bytes()
    with RouteServer({"/catalog.rdf": file_reply(data, RDFXML)}) as server:
        records, stats, _ = harvest(portal(server.url + "/catalog.rdf"))
        assert server.log == ["/catalog.rdf"]  # no nextPage: one request
    out = parsed(records, "berlin", "https://datenregister.berlin.de")
    assert (len(out), sum(len(x) for _, x in out)) == (6, 17)
    assert (stats.method, stats.expected_count, stats.warnings) == ("dcat+hydra", 6, [])
    by_title = {d["title"]: (d, x) for d, x in out}
    ds, dists = by_title["Naturräume Geest und Marsch"]
    assert {k: v for k, v in ds.items() if k not in ("raw", "description")} == {
        "run_id": "run-1",
        "portal_id": "berlin",
        "dataset_id": "bd2d4fa6-e9ad-470d-888b-5eb1378d39e9",
        "name": None,
        "title": "Naturräume Geest und Marsch",
        "landing_page": "https://www.govdata.de/web/guest/daten/-/details/naturraume-geest-und-marsch3",
        "source_url": None,
        "organization": "http://www.hamburg.de/bue/",
        "organization_title": "Behörde für Umwelt und Energie (BUE), Amt für Umweltschutz",
        "publisher": "Behörde für Umwelt und Energie (BUE), Amt für Umweltschutz",
        "contact_name": "Herr Dr. Michael Schröder",
        "contact_email": "michael.schroeder@bue.hamburg.de",
        "contact_url": None,
        "keywords": [
            "Bodenschutz",
            "Geodaten",
            "Grundwasser",
            "Karte",
            "Thematische Karte",
            "Umwelt und Klima",
            "hmbtg",
            "hmbtg_09_geodaten",
            "opendata",
        ],  # fmt: skip
        "themes": ["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
        "license_raw": None,
        "license_title_raw": None,
        "license_url_raw": None,
        "access_rights": "public",
        # two dct:spatial: a Location naming the political geocoding key, and a polygon
        "spatial": "http://dcat-ap.de/def/politicalGeocoding/regionalKey/020000000000, "
        '{"type":"Polygon","coordinates":[[[10.3263,53.3949],[10.3263,53.9641],'
        "[8.4205,53.9641],[8.4205,53.3949],[10.3263,53.3949]]]}",
        "temporal_start": "2016-01-01T00:00:00",
        "temporal_end": "2016-12-31T00:00:00",
        "issued": "2017-10-25T13:45:51.426366",
        "modified": "2017-12-21T11:34:24.670011",
        "frequency_raw": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        "version": "2.0",
        "hvd_categories": [],
        "applicable_legislation": [],
        "num_distributions": 2,
    }
    assert [(x["format_raw"], x["license_raw"], x["byte_size"]) for x in dists] == [
        (None, "http://dcat-ap.de/def/licenses/dl-by-de/2.0", 222441),
        (None, "http://dcat-ap.de/def/licenses/dl-by-de/2.0", 685246),
    ]


def test_opendata_swiss_turtle_export(corpus):
    data = (corpus / "dcat" / "swiss" / "dcatap-ch_catalog.ttl").read_bytes()
    assert rdf_format(None, "https://x/catalog.ttl", data) == "turtle"
    page = read_page(data, "turtle", "https://data.stadt-zuerich.ch/catalog.ttl")
    assert (page.hydra.total, page.hydra.next) == (
        350,
        "https://data.stadt-zuerich.ch/catalog.ttl?page=2",
    )
    # served without a content type (the extension decides) by a server that ignores ?page=
    with RouteServer({"/catalog.ttl": file_reply(data, None)}) as server:
        records, stats, _ = harvest(portal(server.url + "/catalog.ttl"))
        url = server.url
    assert stats.warnings == [
        f"Hydra links name data.stadt-zuerich.ch; followed on {url.split('//')[1]}",
        f"page 2 ({url}/catalog.ttl?page=2) repeated earlier datasets only; stopped paging",
        "catalogue reports 350 datasets, harvested 100",
    ]
    out = parsed(records, "zuerich", "https://data.stadt-zuerich.ch")
    dists = [x for _, xs in out for x in xs]
    assert (len(out), len(dists)) == (100, 199)
    # opendata.swiss writes its terms of use as a literal in dct:license and dct:rights
    assert Counter((x["license_raw"], x["rights"]) for x in dists) == {
        ("NonCommercialAllowed-CommercialAllowed-ReferenceNotRequired",) * 2: 199
    }
    freq = Counter(d["frequency_raw"] for d, _ in out)
    assert (freq["http://purl.org/cld/freq/annual"], freq["http://purl.org/cld/freq/monthly"]) == (
        75,
        7,
    )
    assert Counter(d["contact_email"] for d, _ in out) == {"opendata@zuerich.ch": 100}
    by_id = {d["dataset_id"]: (d, x) for d, x in out}
    ds, (dist,) = by_id["e2b2e572-c818-466b-ad87-ee597641d6d4@stadt-zurich"]
    assert (ds["dataset_id"], ds["publisher"], ds["issued"], ds["modified"], ds["version"]) == (
        "e2b2e572-c818-466b-ad87-ee597641d6d4@stadt-zurich",
        "Stadtkanzlei, Allgemeine Verwaltung",
        "2013-12-20T00:00:00",
        "2018-03-21T00:00:00",
        "1",
    )
    assert (dist["format_raw"], dist["checksum"], dist["url"].rsplit("/", 1)[1]) == (
        "CSV",
        "54d434a608f68a12e1c22e25f81d35c4",
        "pol700od7005.csv",
    )


def test_potsdam_opendatasoft_dcat_export(corpus):
    data = (corpus / "opendatasoft" / "potsdam.ttl").read_bytes()
    route = "/api/v2/catalog/exports/ttl"
    with RouteServer({route: file_reply(data, "text/turtle; charset=utf-8")}) as server:
        records, stats, _ = harvest(portal(server.url + route))
    out = parsed(records, "potsdam", "https://opendata.potsdam.de")
    dists = [x for _, xs in out for x in xs]
    assert (len(out), len(dists), stats.method) == (10, 30, "dcat")
    assert Counter(x["format_raw"] for x in dists) == {
        "csv": 10,
        "json": 10,
        "geojson": 5,
        "shp": 5,
    }
    assert Counter(x["license_raw"] for x in dists) == {
        "Nutzungsbedingungen der LHP": 26,
        "http://wiki.data.gouv.fr/wiki/Licence_Ouverte_/_Open_Licence": 4,
    }
    assert Counter(d["publisher"] for d, _ in out) == {"LHP": 9, "Ville de Versailles": 1}


# ---------------------------------------------------------------- the fast RDF/XML reader

FAST_READER_FILES = [
    "dcat/rostock/rostock-catalog-original-input.rdf",
    "dcat/bremen/bremen-catalog-original-input.rdf",
    "dcat/destatis/destatis-catalog-original-input.rdf",
    "dcat/berlin-ckanext-dcatde/catalog-endpoint.rdf",
    "dcat/berlin-ckanext-dcatde/metadata_max.rdf",
    "dcat/examples/dataset_gov_de.rdf",
    "dcat/swiss/dcatap-de_catalog.rdf",
    "dcat/dcat-ap-de-spec/v2.0/dcat_ap_de-RefImp_RDF_ADVANCED.rdf",
    "vocab/dcat-ap-de/licenses-20210721.rdf",
]


def canonical(index) -> Counter:
    """Triples with blank nodes named by their non-blank properties and literals in rdflib's
    normal form (rdflib lower-cases hexBinary, writes Z as +00:00 ...), as a multiset."""

    def lit(o: Lit) -> tuple:
        dt = URIRef(o.datatype) if o.datatype else None
        return ("lit", str(Literal(o.value, lang=o.lang, datatype=dt)), o.lang, o.datatype)

    def term(o):
        return lit(o) if isinstance(o, Lit) else o

    names = {
        s: repr(sorted((p, term(o)) for p, o in props if not str(o).startswith("_:")))
        for s, props in index.items()
        if s.startswith("_:")
    }

    def name(x):
        return names.get(x, "_:") if isinstance(x, str) and x.startswith("_:") else term(x)

    return Counter((name(s), p, name(o)) for s, props in index.items() for p, o in props)


def rdflib_index(data: bytes, base: str) -> dict:
    g = Graph()
    g.parse(data=data, format="xml", publicID=base)
    return graph_index(g)


@pytest.mark.parametrize("name", FAST_READER_FILES)
def test_fast_rdfxml_reader_reads_what_rdflib_reads(corpus, name):
    data = (corpus / name).read_bytes()
    base = "https://catalog.example/catalog.rdf"
    assert canonical(read_rdfxml(data, base)) == canonical(rdflib_index(data, base))


def test_rdfxml_the_fast_reader_does_not_know_goes_to_rdflib():
    doc = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://x.example/d/1" xml:lang="de">
    <dct:title>Bäume</dct:title>
    <dct:description rdf:parseType="Literal"><b>fett</b></dct:description>
  </dcat:Dataset>
</rdf:RDF>"""
    with pytest.raises(Unsupported):
        read_rdfxml(doc, "https://x.example/")
    page = read_page(doc.encode(), "xml", "https://x.example/catalog.rdf")
    assert page.parser == "rdflib-xml"
    ((ds, dists),) = parsed(page.datasets)
    assert (ds["dataset_id"], ds["title"], dists) == ("https://x.example/d/1", "Bäume", [])


def test_one_catalogue_in_four_serialisations_gives_the_same_records(corpus):
    data = (corpus / "dcat" / "berlin-ckanext-dcatde" / "catalog-endpoint.rdf").read_bytes()

    def comparable(records):
        # rdflib writes hexBinary checksums in lower case: compare everything else
        return sorted(
            (
                (
                    {k: v for k, v in d.items() if k != "raw"},
                    [{k: v for k, v in x.items() if k not in ("raw", "checksum")} for x in xs],
                )
                for d, xs in parsed(records)
            ),
            key=repr,
        )

    results = {}
    with RouteServer() as server:
        # relative IRIs in the file resolve against where it is served: serialise from there
        g = Graph()
        g.parse(data=data, format="xml", publicID=server.url + "/catalog.rdf")
        server.routes.update(
            {
                "/catalog.rdf": file_reply(data, RDFXML),
                "/catalog.ttl": file_reply(g.serialize(format="turtle").encode(), None),
                "/catalog": file_reply(
                    g.serialize(format="json-ld").encode(), "application/ld+json"
                ),
                "/catalog.txt": file_reply(
                    g.serialize(format="nt").encode(), "application/n-triples"
                ),
            }
        )
        for path in server.routes:
            records, stats, _ = harvest(portal(server.url + path))
            results[path] = comparable(records)
            assert (stats.expected_count, stats.requests) == (6, 1)
    assert len(results["/catalog.rdf"]) == 6
    for path in ("/catalog.ttl", "/catalog", "/catalog.txt"):  # by extension, type, type
        assert results[path] == results["/catalog.rdf"], path


# ---------------------------------------------------------------- faults and edge cases

SMALL = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .

<https://portal.example/catalog> a dcat:Catalog ;
    dcat:dataset <https://portal.example/d/a>, <https://portal.example/d/b>, <https://portal.example/d/c> .

<https://portal.example/d/a> a dcat:Dataset ;
    dct:title "Einwohner"@de, "Inhabitants"@en ;
    dcatde:contributorID <http://dcat-ap.de/def/contributors/stadtMusterstadt> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Statistikstelle" ;
                        vcard:hasEmail [ vcard:value "statistik@musterstadt.de" ] ] ;
    dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://files.example/a.csv> ;
                        dct:format "CSV" ; dct:license <http://dcat-ap.de/def/licenses/dl-zero-de/2.0> ] .

<https://portal.example/d/b> a dcat:Dataset ;
    dct:title "Haushalt" ;
    dcatde:contributorID <http://dcat-ap.de/def/contributors/stadtBeispielhausen> ;
    dct:publisher [ a foaf:Organization ; foaf:name "Stadt Beispielhausen" ] ;
    dcatde:maintainer [ a foaf:Organization ; foaf:name "Kämmerei" ; foaf:mbox "kaemmerei@beispielhausen.de" ] .

<https://portal.example/d/c> a dcat:Dataset ;
    dct:title "Wahlen" ;
    dct:publisher <https://portal.example/org/musterstadt> .

<https://portal.example/org/musterstadt> a foaf:Organization ; foaf:name "Stadt Musterstadt" .

<https://portal.example/catalog?page=1> a hydra:PagedCollection ;
    hydra:totalItems 6 ;
    hydra:nextPage "https://portal.example/catalog?page=2" .
"""


def small_routes(body: str = SMALL) -> dict:
    return {"/catalog": file_reply(body.encode(), "text/turtle; charset=utf-8")}


def test_server_that_ignores_the_page_parameter_stops_after_one_repeat():
    with RouteServer(small_routes()) as server:
        records, stats, _ = harvest(portal(server.url + "/catalog"))
        assert server.log == ["/catalog", "/catalog?page=2"]
        url = server.url
    assert [r["@id"] for r in records] == [
        "https://portal.example/d/a",
        "https://portal.example/d/b",
        "https://portal.example/d/c",
    ]
    assert stats.warnings == [
        f"Hydra links name portal.example; followed on {url.split('//')[1]}",
        f"page 2 ({url}/catalog?page=2) repeated earlier datasets only; stopped paging",
        "catalogue reports 6 datasets, harvested 3",
    ]


def test_small_catalogue_fields_contacts_and_languages():
    page = read_page(SMALL, "turtle", "https://portal.example/catalog")
    out = {d["dataset_id"]: (d, x) for d, x in parsed(page.datasets)}
    a, (dist,) = out["https://portal.example/d/a"]
    assert (a["title"], a["contact_name"], a["contact_email"], a["publisher"]) == (
        "Einwohner",  # German before English
        "Statistikstelle",
        "statistik@musterstadt.de",  # vcard:hasEmail as a node with vcard:value
        None,
    )
    assert (dist["distribution_id"], dist["format_raw"], dist["license_raw"], dist["url"]) == (
        "https://portal.example/d/a#0",  # a blank-node distribution
        "CSV",
        "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
        "https://files.example/a.csv",
    )
    b, _ = out["https://portal.example/d/b"]
    assert (b["publisher"], b["organization"], b["contact_name"], b["contact_email"]) == (
        "Stadt Beispielhausen",
        "Stadt Beispielhausen",  # a blank-node publisher has no URI
        "Kämmerei",  # no contact point: DCAT-AP.de's maintainer stands in
        "kaemmerei@beispielhausen.de",
    )
    c, _ = out["https://portal.example/d/c"]
    assert (c["publisher"], c["organization"], c["landing_page"]) == (
        "Stadt Musterstadt",
        "https://portal.example/org/musterstadt",
        "https://portal.example/d/c",
    )


@pytest.mark.parametrize(
    ("organization", "ids"),
    [
        ("stadtMusterstadt", ["https://portal.example/d/a"]),  # contributorID
        ("Stadt Beispielhausen", ["https://portal.example/d/b"]),  # publisher name
        ("musterstadt", ["https://portal.example/d/c"]),  # publisher URI's last segment
    ],
)
def test_a_city_on_a_shared_catalogue_is_harvested_through_its_organisation(organization, ids):
    body = SMALL.replace('hydra:nextPage "https://portal.example/catalog?page=2" ', "")
    with RouteServer(small_routes(body)) as server:
        records, stats, _ = harvest(portal(server.url + "/catalog", organization=organization))
    assert [r["@id"] for r in records] == ids


def test_html_answer_is_a_named_error():
    html = "<!DOCTYPE html><html><head><title>Open Data</title></head><body>Portal</body></html>"
    with RouteServer({"/catalog.rdf": Reply(200, html)}) as server:
        url = server.url
        with pytest.raises(PortalIncompatible) as err:
            harvest(portal(url + "/catalog.rdf"))
    assert str(err.value) == (
        f"{url}/catalog.rdf: expected a DCAT catalogue (RDF/XML, Turtle, JSON-LD), got "
        "text/html; charset=utf-8: '<!DOCTYPE html><html><head><title>Open Data</title></head><b'"
    )


def test_ckan_api_json_is_not_a_catalogue():
    body = {"help": "https://x/api/3/action/help_show", "success": True, "result": ["a", "b"]}
    with RouteServer({"/api/3/action/package_list": Reply(200, body)}) as server:
        url = server.url + "/api/3/action/package_list"
        with pytest.raises(PortalIncompatible) as err:
            harvest(portal(url))
    assert str(err.value) == f"{url}: no dcat:Catalog or dcat:Dataset in this json-ld (0 triples)"


def test_datajson_served_as_dcat_names_the_platform_and_fetches_no_remote_context(corpus):
    data = (corpus / "datajson" / "ny.data.json").read_bytes()
    with RouteServer({"/data.json": file_reply(data, "application/json")}) as server:
        url = server.url + "/data.json"
        with pytest.raises(PortalIncompatible) as err:
            harvest(portal(url))
        assert server.log == ["/data.json"]
    assert str(err.value) == (
        f"{url}: no dcat:Catalog or dcat:Dataset in this json-ld (1 triples); its @context is "
        "remote (https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld): a data.json "
        "catalogue? use platform 'datajson'"
    )


def test_truncated_page_is_a_named_error(corpus):
    data = (corpus / "dcat" / "bremen" / "bremen-catalog-original-input.rdf").read_bytes()[:5000]
    with RouteServer({"/catalog.rdf": file_reply(data, RDFXML)}) as server:
        with pytest.raises(PortalIncompatible, match=r"catalog.rdf: not a readable xml page \("):
            harvest(portal(server.url + "/catalog.rdf"))


def test_missing_catalogue_and_refused_connection():
    with RouteServer() as server:
        url = server.url
        with pytest.raises(PortalIncompatible) as err:
            harvest(portal(url + "/catalog.rdf"))
    assert str(err.value) == (
        f"{url}/catalog.rdf: HTTP 404 (text/html; charset=utf-8): "
        "'<html><body><h1>Not Found</h1></body></html>'"
    )
    with pytest.raises(PortalUnavailable, match=r"catalog.rdf: cannot connect \("):
        harvest(portal(url + "/catalog.rdf"))


# ---------------------------------------------------------------- incremental (modified_since)

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
XSD_DATETIME = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
SOLR_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


@pytest.fixture(scope="session")
def hro_datasets(corpus: Path) -> dict[URIRef, Graph]:
    """Rostock's 100 real datasets (page 1 of its catalog.rdf), each as the graph that
    describes it: its triples and those of the nodes it reaches (distributions, contact
    point, publisher, period), not the catalogue's or the Hydra paging's. Shared: copy
    before changing one."""
    g = Graph()
    g.parse(
        corpus / "dcat" / "rostock" / "rostock-catalog-original-input.rdf",
        format="xml",
        publicID="https://www.opendata-hro.de/catalog.rdf",
    )
    datasets = sorted(g.subjects(RDF.type, DCAT.Dataset))
    containers = set(datasets) | set(g.subjects(RDF.type, DCAT.Catalog))
    out = {}
    for ds in datasets:
        sub, todo, done = Graph(), [ds], set()
        while todo:
            node = todo.pop()
            if node in done:
                continue
            done.add(node)
            for p, o in g.predicate_objects(node):
                sub.add((node, p, o))
                if not isinstance(o, Literal) and o not in containers and (o, None, None) in g:
                    todo.append(o)
        out[ds] = sub
    return out


class CkanDcat:
    """A ckanext-dcat `catalog.rdf` on 127.0.0.1 serving `datasets` as it does (logic.py):
    pages of `per_page`, the most recently modified first (metadata_modified desc; here
    dct:modified), a hydra:PagedCollection with totalItems, itemsPerPage and first, last,
    next and previous page links that keep the other query parameters, none when nothing
    matches; `modified_since` read as ckanext-dcat reads it (`isoformat() + 'Z'` must be a
    Solr date, else 409). `honour_filter=False` plays a server that ignores the parameter,
    `refuse_filter` one that answers it with that status. Every request is logged."""

    def __init__(
        self,
        datasets: dict[URIRef, Graph],
        per_page: int = 25,
        honour_filter: bool = True,
        refuse_filter: int | None = None,
    ):
        self.datasets = dict(datasets)
        self.per_page = per_page
        self.honour_filter = honour_filter
        self.refuse_filter = refuse_filter
        self.server = RouteServer({"/catalog.rdf": self.answer})

    def __enter__(self) -> CkanDcat:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url + "/catalog.rdf"

    @property
    def log(self) -> list[str]:
        return self.server.log

    def modified(self, uri: URIRef) -> datetime:
        value = self.datasets[uri].value(uri, DCT.modified)
        return datetime.fromisoformat(str(value)) if value is not None else datetime.min

    def newest_first(self) -> list[URIRef]:
        return sorted(self.datasets, key=lambda u: (self.modified(u), str(u)), reverse=True)

    def edit(self, uris: list[URIRef], note: str) -> None:
        """A new title and dct:modified now, as an edit in CKAN would give them."""
        now = datetime.now(UTC).replace(tzinfo=None).isoformat()  # CKAN: UTC, no offset
        for uri in uris:
            g = Graph()
            g += self.datasets[uri]
            g.set((uri, DCT.title, Literal(f"{g.value(uri, DCT.title)} ({note})")))
            g.set((uri, DCT.modified, Literal(now, datatype=XSD_DATETIME)))
            self.datasets[uri] = g

    def delete(self, uris: list[URIRef]) -> None:
        for uri in uris:
            del self.datasets[uri]

    def answer(self, path: str, params: dict[str, str]) -> Reply:
        chosen = self.newest_first()
        since = params.get("modified_since")
        if since and self.refuse_filter:
            return Reply(self.refuse_filter, "<html><body>Bad Request</body></html>")
        if since and self.honour_filter:
            try:
                solr = datetime.fromisoformat(since).isoformat() + "Z"
            except ValueError:
                return Reply(409, '"Wrong modified date format. Use ISO-8601 format"')
            if not SOLR_DATE.fullmatch(solr):
                return Reply(409, f'"Search Query is invalid: metadata_modified:[{solr} TO NOW]"')
            cutoff = datetime.fromisoformat(solr[:-1])
            chosen = [u for u in chosen if self.modified(u) >= cutoff]
        page = int(params.get("page") or 1)
        n = self.per_page
        rows = chosen[n * (page - 1) : n * page]
        g = Graph()
        catalog = URIRef(self.server.url + "/catalog")
        g.add((catalog, RDF.type, DCAT.Catalog))
        for uri in rows:
            g.add((catalog, DCAT.dataset, uri))
            g += self.datasets[uri]
        if chosen:
            other = "".join(f"{k}={v}&" for k, v in params.items() if k != "page")

            def link(number: int) -> Literal:
                return Literal(f"{self.server.url}{path}?{other}page={number}")

            last = -(-len(chosen) // n)
            current = URIRef(str(link(page)))
            g.add((current, RDF.type, HYDRA.PagedCollection))
            g.add((current, HYDRA.totalItems, Literal(len(chosen))))
            g.add((current, HYDRA.itemsPerPage, Literal(n)))
            g.add((current, HYDRA.firstPage, link(1)))
            g.add((current, HYDRA.lastPage, link(last)))
            if page * n < len(chosen):
                g.add((current, HYDRA.nextPage, link(page + 1)))
            if page > 1:
                g.add((current, HYDRA.previousPage, link(page - 1)))
        body = g.serialize(format="xml", encoding="utf-8")  # plain RDF/XML: fast
        return Reply(200, body, {"Content-Type": "application/rdf+xml; charset=utf-8"})


def dataset_ids(records: list[dict]) -> list[str]:
    return sorted(d["dataset_id"] for d, _ in parsed(records))


def snapshot(wh: Warehouse, run_id: str) -> tuple[list, list]:
    """A run's snapshot as the views give it, all columns but run_id."""
    return snapshot_rows(wh.con, run_id)


def since_query(wh: Warehouse, run_id: str) -> str:
    """The query of the changes listing that follows run `run_id`: from its start - OVERLAP."""
    (started,) = wh.con.execute(
        "SELECT started_at FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    return urlencode({"modified_since": modified_since_param(started - OVERLAP)})


def full_snapshot(server: CkanDcat, path: Path) -> tuple[list, list]:
    """A full harvest of the server's catalogue as it is now, into a fresh warehouse."""
    server.log.clear()
    with Warehouse(path) as wh:
        full = harvest_portal(portal(server.url, id="hro"), wh, session())
        assert (full.status, full.mode) == ("ok", "full")
        return snapshot(wh, full.run_id)


def test_modified_since_param_is_utc_without_an_offset():
    cet = timezone(timedelta(hours=1))
    assert modified_since_param(datetime(2025, 3, 1, 13, 30, 15, 999_999, tzinfo=cet)) == (
        "2025-03-01T12:30:15"
    )
    assert modified_since_param(datetime(2025, 3, 1, 13, 30, 15)) == "2025-03-01T13:30:15"


PAGES_2_TO_4 = [f"/catalog.rdf?page={n}" for n in (2, 3, 4)]


def test_incremental_harvest_equals_a_full_one_and_costs_two_requests(hro_datasets, tmp_path):
    with CkanDcat(hro_datasets) as server:
        p = portal(server.url, id="hro")
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(p, wh, session())
            assert (first.status, first.mode, first.datasets) == ("ok", "full", 100)
            assert server.log == ["/catalog.rdf", *PAGES_2_TO_4]
            server.edit(server.newest_first()[60:63], "corrected")  # from page 3 to page 1
            server.log.clear()
            second = harvest_portal(p, wh, session())
            log = list(server.log)
            since = since_query(wh, first.run_id)
            runs = wh.con.execute(
                "SELECT mode, changed_count, carried_count, dataset_count, expected_count "
                "FROM harvest_runs ORDER BY started_at"
            ).fetchall()
            incremental = snapshot(wh, second.run_id)
            (corrected,) = wh.con.execute(
                "SELECT count(*) FROM datasets WHERE run_id = ? AND title LIKE '%(corrected)'",
                [second.run_id],
            ).fetchone()
        full = full_snapshot(server, tmp_path / "full.duckdb")
        assert len(server.log) == 4
    # page 1 for the count, then the changes since an hour before the first harvest began
    assert log == ["/catalog.rdf", f"/catalog.rdf?{since}"]
    # page 1 holds the 3 edited (newest first) and 22 others: 25 fetched, 75 carried forward
    assert (second.status, second.mode, second.changed, second.datasets, second.warnings) == (
        "ok",
        "incremental",
        25,
        100,
        None,
    )
    assert runs == [("full", None, None, 100, 100), ("incremental", 25, 75, 100, 100)]
    assert corrected == 3
    assert incremental == full
    assert (len(incremental[0]), len(incremental[1])) == (100, 773)


def test_deletions_are_seen_by_the_count_and_harvested_in_full(hro_datasets, tmp_path):
    with CkanDcat(hro_datasets) as server:
        p = portal(server.url, id="hro")
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(p, wh, session())
            order = server.newest_first()
            server.edit(order[40:42], "corrected")
            gone = {str(hro_datasets[u].value(u, DCT.identifier)) for u in order[70:72]}
            server.delete(order[70:72])
            server.log.clear()
            second = harvest_portal(p, wh, session())
            log = list(server.log)
            since = since_query(wh, first.run_id)
            stored = wh.con.execute(
                "SELECT count(*), count(DISTINCT dataset_id) FROM dataset_rows WHERE run_id = ?",
                [second.run_id],
            ).fetchone()
            result = snapshot(wh, second.run_id)
            ids = {r[0] for r in wh.con.execute(
                "SELECT dataset_id FROM datasets WHERE run_id = ?", [second.run_id]
            ).fetchall()}  # fmt: skip
        full = full_snapshot(server, tmp_path / "full.duckdb")
    assert (second.status, second.mode, second.datasets) == ("ok", "full", 98)
    assert second.warnings == (
        "incremental harvest impossible (catalogue reports 98 datasets, the previous "
        "snapshot's 100 and 0 new make 100); harvested in full"
    )
    # page 1, the changes, then the rest of the catalogue from page 2 on: page 1 once
    assert log == ["/catalog.rdf", f"/catalog.rdf?{since}", *PAGES_2_TO_4]
    assert stored == (98, 98)  # every record stored once
    assert len(gone) == 2 and not gone & ids
    assert result == full


@pytest.mark.parametrize(
    "server_kw", [{"honour_filter": False}, {"refuse_filter": 400}], ids=["ignored", "refused"]
)
def test_a_server_without_modified_since_still_gives_a_complete_snapshot(
    hro_datasets, tmp_path, server_kw
):
    with CkanDcat(hro_datasets, **server_kw) as server:
        p = portal(server.url, id="hro")
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(p, wh, session())
            server.edit(server.newest_first()[50:52], "corrected")
            server.log.clear()
            second = harvest_portal(p, wh, session())
            log = list(server.log)
            since = since_query(wh, first.run_id)
            stored = wh.con.execute(
                "SELECT count(*), count(DISTINCT dataset_id) FROM dataset_rows WHERE run_id = ?",
                [second.run_id],
            ).fetchone()
            result = snapshot(wh, second.run_id)
        full = full_snapshot(server, tmp_path / "full.duckdb")
        url = server.url
    assert (second.status, second.mode, second.datasets) == ("ok", "full", 100)
    if server_kw.get("honour_filter") is False:
        # its "changes" are the whole catalogue: that listing is followed instead (its links
        # keep the parameter, unencoded as ckanext-dcat writes them)
        raw = since.replace("%3A", ":")
        assert log == [
            "/catalog.rdf",
            f"/catalog.rdf?{since}",
            *[f"/catalog.rdf?{raw}&page={n}" for n in (2, 3, 4)],
        ]
        assert second.warnings == (
            "incremental harvest impossible (modified_since listing reports all 100 datasets: "
            "filter ignored, or everything changed); harvested in full"
        )
        assert stored == (100, 100)  # page 1 came twice, its records were stored once
    else:
        assert log == ["/catalog.rdf", f"/catalog.rdf?{since}", *PAGES_2_TO_4]
        assert second.warnings == (
            f"incremental harvest impossible ({url}?{since}: HTTP 400 "
            "(text/html; charset=utf-8): '<html><body>Bad Request</body></html>'); "
            "harvested in full"
        )
        assert stored == (100, 100)
    assert result == full


def test_nothing_changed_costs_page_one_and_an_empty_listing(hro_datasets):
    with CkanDcat(hro_datasets) as server:
        all_ids = dataset_ids(harvest(portal(server.url))[0])
        server.log.clear()
        since = datetime.now(UTC) - timedelta(minutes=5)
        records, stats, _ = harvest(portal(server.url), since=since, known=tuple(all_ids))
        log = list(server.log)
    # ckanext-dcat answers an empty selection with a bare catalogue, no Hydra block at all
    assert log == [
        "/catalog.rdf",
        "/catalog.rdf?" + urlencode({"modified_since": modified_since_param(since)}),
    ]
    assert (stats.mode, stats.current, stats.expected_count, stats.requests) == (
        "incremental",
        all_ids,
        100,
        2,
    )
    assert (len(records), stats.warnings) == (25, [])


def test_changes_over_several_pages_keep_the_query_and_are_not_taken_for_repeats(hro_datasets):
    """30 changes: the changed listing's page 1 repeats the catalogue's page 1 (newest first)
    and must not stop its paging; the catalogue URL's own parameters go along."""
    with CkanDcat(hro_datasets) as server:
        url = server.url + "?profiles=euro_dcat_ap,dcatap_de"
        all_ids = dataset_ids(harvest(portal(url))[0])
        server.edit(server.newest_first()[40:70], "corrected")
        server.log.clear()
        since = datetime.now(UTC) - timedelta(minutes=5)
        records, stats, _ = harvest(portal(url), since=since, known=tuple(all_ids))
        log = list(server.log)
    value = modified_since_param(since)
    assert log == [
        "/catalog.rdf?profiles=euro_dcat_ap,dcatap_de",
        "/catalog.rdf?"
        + urlencode({"profiles": "euro_dcat_ap,dcatap_de", "modified_since": value}),
        f"/catalog.rdf?profiles=euro_dcat_ap,dcatap_de&modified_since={value}&page=2",
    ]
    assert (stats.mode, stats.current, stats.requests, stats.warnings) == (
        "incremental",
        all_ids,
        3,
        [],
    )
    # page 1 (the 25 newest edits), then page 2 of the changes (the other 5)
    assert len(records) == len({r["@id"] for r in records}) == 30
    assert sum(1 for d, _ in parsed(records) if d["title"].endswith("(corrected)")) == 30


def test_deletions_after_many_changes_read_every_page_once(hro_datasets):
    """50 changes and 2 deletions: the catalogue's page 2 then holds only datasets the
    changed listing brought; paging on must not take it for a server repeating itself."""
    with CkanDcat(hro_datasets) as server:
        all_ids = dataset_ids(harvest(portal(server.url))[0])
        order = server.newest_first()
        server.edit(order[10:60], "corrected")
        server.delete(order[80:82])
        server.log.clear()
        since = datetime.now(UTC) - timedelta(minutes=5)
        records, stats, _ = harvest(portal(server.url), since=since, known=tuple(all_ids))
        log = list(server.log)
    value = modified_since_param(since)
    assert log == [
        "/catalog.rdf",
        "/catalog.rdf?" + urlencode({"modified_since": value}),
        f"/catalog.rdf?modified_since={value}&page=2",
        *PAGES_2_TO_4,
    ]
    assert (stats.mode, stats.current, stats.expected_count) == ("full", None, 98)
    assert stats.warnings == [
        "incremental harvest impossible (catalogue reports 98 datasets, the previous "
        "snapshot's 100 and 0 new make 100); harvested in full"
    ]
    gone = {str(hro_datasets[u].value(u, DCT.identifier)) for u in order[80:82]}
    assert len(records) == len({r["@id"] for r in records}) == 98
    assert dataset_ids(records) == sorted(set(all_ids) - gone)


def test_a_catalogue_in_one_answer_or_an_organisation_is_harvested_in_full(corpus, hro_datasets):
    since, known = datetime.now(UTC) - timedelta(hours=1), ("x",)
    bremen = (corpus / "dcat" / "bremen" / "bremen-catalog-original-input.rdf").read_bytes()
    berlin = (corpus / "dcat" / "berlin-ckanext-dcatde" / "catalog-endpoint.rdf").read_bytes()
    routes = {"/bremen.rdf": file_reply(bremen, RDFXML), "/berlin.rdf": file_reply(berlin, RDFXML)}
    with RouteServer(routes) as server:
        # no Hydra at all (Bremen), Hydra with totalItems but no next page (Berlin's ckanext-dcat)
        for path, count in (("/bremen.rdf", 153), ("/berlin.rdf", 6)):
            records, stats, _ = harvest(portal(server.url + path), since=since, known=known)
            assert (len(records), stats.mode, stats.current, stats.requests) == (
                count,
                "full",
                None,
                1,
            )
        assert server.log == ["/bremen.rdf", "/berlin.rdf"]
    with CkanDcat(hro_datasets) as server:
        # a shared catalogue's totalItems are not the organisation's: no count to judge by
        p = portal(server.url, organization="openDataHRO")
        records, stats, _ = harvest(p, since=since, known=known)
        assert server.log == ["/catalog.rdf", *PAGES_2_TO_4]
    assert (len(records), stats.mode, stats.current, stats.warnings) == (100, "full", None, [])


def test_an_unreachable_portal_still_fails_the_incremental_harvest(hro_datasets):
    since = datetime.now(UTC) - timedelta(hours=1)
    with CkanDcat(hro_datasets, refuse_filter=503) as server:
        url = server.url
        with pytest.raises(PortalUnavailable) as err:
            harvest(portal(url), since=since, known=("x",))
        assert len(server.log) == 2
    query = urlencode({"modified_since": modified_since_param(since)})
    assert str(err.value) == f"{url}?{query}: HTTP 503 (1 attempts)"
    with pytest.raises(PortalUnavailable, match=r"catalog.rdf: cannot connect \("):
        harvest(portal(url), since=since, known=("x",))
