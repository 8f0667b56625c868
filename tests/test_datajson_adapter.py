"""The data.json (DCAT-US) adapter against real recorded catalogues served from 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from routeserver import RouteServer, file_reply

from flows.adapters.datajson import fetch_datajson, parse_datajson_dataset
from flows.adapters.errors import PortalIncompatible
from flows.adapters.http import make_session
from flows.adapters.records import HarvestStats, Response
from flows.config import Portal
from flows.demo.portals import Reply
from flows.harvest import harvest_portal
from warehouse.records import Warehouse


def portal(url: str, **kw) -> Portal:
    return Portal(id=kw.pop("id", "p"), title="t", city="c", platform="datajson", url=url, **kw)


def harvest(p: Portal) -> tuple[list[dict], HarvestStats, list[Response]]:
    pages: list[Response] = []
    stats: list[HarvestStats] = []
    session = make_session(per_host_rate=0, retries=0)
    records = [
        r for batch in fetch_datajson(p, session, pages.append, stats, retries=0) for r in batch
    ]
    return records, stats[0], pages


def serve(corpus: Path, name: str) -> RouteServer:
    data = (corpus / "datajson" / name).read_bytes()
    return RouteServer({"/data.json": file_reply(data, "application/json; charset=utf-8")})


@pytest.mark.parametrize(
    ("name", "datasets", "distributions"),
    [
        ("arm.data.json", 3, 3),
        ("geospatial.data.json", 3, 8),
        ("null-spatial.data.json", 1, 1),
        ("ny.data.json", 1, 4),
        ("usda.gov.data.json", 3, 6),
    ],
)
def test_recorded_catalogues_exact_counts(corpus, name, datasets, distributions):
    with serve(corpus, name) as server:
        records, stats, pages = harvest(portal(server.url + "/data.json"))
    out = [parse_datajson_dataset(r, "p", "https://x", "run-1") for r in records]
    assert (len(out), sum(len(x) for _, x in out)) == (datasets, distributions)
    assert (stats.method, stats.expected_count, stats.requests, stats.warnings) == (
        "data.json",
        datasets,
        1,
        [],
    )
    assert [p.status for p in pages] == [200]


def test_socrata_ny_dataset_whole(corpus):
    with serve(corpus, "ny.data.json") as server:
        (record,), _, _ = harvest(portal(server.url + "/data.json"))
    ds, dists = parse_datajson_dataset(record, "ny", "https://data.ny.gov", "run-1")
    assert {k: v for k, v in ds.items() if k != "raw"} == {
        "run_id": "run-1",
        "portal_id": "ny",
        "dataset_id": "https://data.ny.gov/api/views/22ew-dxez",
        "name": None,
        "title": "State of New York Mortgage Agency (SONYMA) Loans Purchased: Beginning 2004",
        "description": "Financial and Geographic Information on SONYMA Loans purchased since 2004.",
        "landing_page": "https://data.ny.gov/d/22ew-dxez",
        "source_url": None,
        "organization": "State of New York",
        "organization_title": "State of New York",
        "publisher": "State of New York",
        "contact_name": "Open Data NY",
        "contact_email": "opendata@its.ny.gov",
        "contact_url": None,
        "keywords": [
            "rental assistance",
            "rent",
            "homeownership",
            "homeowner",
            "home",
            "buying",
            "homebuyer",
            "first-time",
            "lmi",
            "assistance",
            "mortgage",
            "loans",
            "sonyma",
        ],  # fmt: skip
        "themes": ["Economic Development"],
        "license_raw": None,  # Socrata left it out
        "license_title_raw": None,
        "license_url_raw": None,
        "access_rights": "public",
        "spatial": None,
        "temporal_start": None,
        "temporal_end": None,
        "issued": "2016-07-21",
        "modified": "2019-06-10",
        "frequency_raw": None,
        "version": None,
        "hvd_categories": None,
        "applicable_legislation": None,
        "num_distributions": 4,
    }
    rows = "https://data.ny.gov/api/views/22ew-dxez/rows"
    assert [
        (d["distribution_id"], d["position"], d["media_type_raw"], d["url"], d["download_url"])
        for d in dists
    ] == [
        ("https://data.ny.gov/api/views/22ew-dxez#0", 0, "text/csv", f"{rows}.csv?accessType=DOWNLOAD", f"{rows}.csv?accessType=DOWNLOAD"),
        ("https://data.ny.gov/api/views/22ew-dxez#1", 1, "application/rdf+xml", f"{rows}.rdf?accessType=DOWNLOAD", f"{rows}.rdf?accessType=DOWNLOAD"),
        ("https://data.ny.gov/api/views/22ew-dxez#2", 2, "application/json", f"{rows}.json?accessType=DOWNLOAD", f"{rows}.json?accessType=DOWNLOAD"),
        ("https://data.ny.gov/api/views/22ew-dxez#3", 3, "application/xml", f"{rows}.xml?accessType=DOWNLOAD", f"{rows}.xml?accessType=DOWNLOAD"),
    ]  # fmt: skip


def test_arcgis_hub_and_agency_fields_the_checks_use(corpus, warehouse_path):
    with serve(corpus, "usda.gov.data.json") as server, Warehouse(warehouse_path) as wh:
        result = harvest_portal(
            portal(server.url + "/data.json", id="usda"), wh, make_session(per_host_rate=0)
        )
        assert (result.status, result.datasets, result.distributions, result.requests) == (
            "ok",
            3,
            6,
            1,
        )
        rows = wh.con.execute(
            "SELECT dataset_id, license_raw, publisher, contact_email, access_rights, modified "
            "FROM latest_datasets ORDER BY dataset_id"
        ).fetchall()
        hub = "http://enterprisecontent-usfs.opendata.arcgis.com/datasets/"
        assert [r[0] for r in rows] == [
            "USDA-DM-002",
            hub + "429428633a5e486289f6111d9cbe7065",
            hub + "f1879e9f6798461f8fd54719ea2231f8",
        ]
        assert [r[1:5] for r in rows] == [
            ("https://creativecommons.org/publicdomain/zero/1.0/", "Department of Agriculture",
             "Alexis.Graves@ocio.usda.gov", "public"),
            ("https://hub.arcgis.com/api/v2/datasets/429428633a5e486289f6111d9cbe7065/license",
             "U.S. Forest Service", "ebaiello@fs.fed.us", "public"),
            ("https://hub.arcgis.com/api/v2/datasets/f1879e9f6798461f8fd54719ea2231f8/license",
             "U.S. Forest Service", "ebaiello@fs.fed.us", "public"),
        ]  # fmt: skip
        formats = wh.con.execute(
            "SELECT media_type_raw, format_raw, count(*) FROM latest_distributions GROUP BY ALL"
        ).fetchall()
        assert sorted(formats, key=repr) == sorted(
            [
                ("application/vnd.ms-excel", None, 1),
                ("text/html", "Web page", 2),
                ("application/json", "Esri REST", 2),
                ("application/vnd.ogc.wms_xml", "OGC WMS", 1),
            ],
            key=repr,
        )


def test_geospatial_spatial_and_temporal(corpus):
    with serve(corpus, "geospatial.data.json") as server:
        records, _, _ = harvest(portal(server.url + "/data.json"))
    out = {
        d["dataset_id"]: d for d, _ in (parse_datajson_dataset(r, "g", "u", "r") for r in records)
    }
    assert {k: (d["spatial"][:30], d["modified"], d["contact_email"]) for k, d in out.items()} == {
        "tl_2013_us_county.shp.xml": ("[[-14.601813, -179.231086], [7", "2013", "ask@census.gov"),
        "gov.noaa.nmfs.inport:17780": ('{"type": "Polygon", "coordinat', "2017-06-10T17:31:25.399151", "Kelly.Andrews@noaa.gov"),
        "USGS:5ec70f9d82ce476925eddc9e": ("[[-90, -180], [90, 180]]", "2020-07-13T17:31:25.399151", "manowick@iu.edu"),
    }  # fmt: skip


def test_interval_dcat_us_10_list_and_duplicates():
    doc = [
        {
            "title": "Budget",
            "identifier": "budget",
            "temporal": "2019-01-01/2019-12-31",
            "contactPoint": "Finance Office",
            "mbox": "finance@city.example",
            "keyword": "budget, money",
            "publisher": "City of Example",
            "accrualPeriodicity": "R/P1Y",
            "distribution": [{"accessURL": "https://city.example/budget.csv", "format": "csv"}],
        },
        {"title": "Budget again", "identifier": "budget"},
    ]
    with RouteServer({"/data.json": Reply(200, doc)}) as server:
        records, stats, _ = harvest(portal(server.url + "/data.json"))
    assert stats.warnings == ["1 datasets repeat an earlier identifier; kept the first"]
    ((ds, (dist,)),) = [
        parse_datajson_dataset(r, "p", "https://city.example", "r") for r in records
    ]
    assert (
        ds["temporal_start"], ds["temporal_end"], ds["contact_name"], ds["contact_email"],
        ds["keywords"], ds["publisher"], ds["frequency_raw"], ds["landing_page"],
    ) == (
        "2019-01-01", "2019-12-31", "Finance Office", "finance@city.example",
        ["budget", "money"], "City of Example", "R/P1Y", "https://city.example",
    )  # fmt: skip
    assert (dist["distribution_id"], dist["url"], dist["download_url"], dist["format_raw"]) == (
        "budget#0",
        "https://city.example/budget.csv",
        None,
        "csv",
    )


def test_a_publisher_on_a_shared_data_json(corpus):
    with serve(corpus, "usda.gov.data.json") as server:
        records, _, _ = harvest(
            portal(server.url + "/data.json", organization="U.S. Forest Service")
        )
    assert len(records) == 2


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(200, "<html><body>Welcome</body></html>"),
            "expected a data.json catalogue, got text/html; charset=utf-8: "
            "'<html><body>Welcome</body></html>'",
        ),
        (
            Reply(200, {"help": "h", "success": True, "result": []}),
            "JSON without a 'dataset' list (keys: help, success, result)",
        ),
        (
            Reply(200, '{"dataset": [', {"Content-Type": "application/json"}),
            "not valid JSON (unexpected end of data: line 1 column 14 (char 13))",
        ),
    ],
)
def test_not_a_data_json_is_a_named_error(reply, message):
    with RouteServer({"/data.json": reply}) as server:
        url = server.url + "/data.json"
        with pytest.raises(PortalIncompatible) as err:
            harvest(portal(url))
    assert str(err.value) == f"{url}: {message}"


def test_raw_records_are_json_serialisable(corpus):
    with serve(corpus, "geospatial.data.json") as server:
        records, _, _ = harvest(portal(server.url + "/data.json"))
    for r in records:
        ds, dists = parse_datajson_dataset(r, "g", "u", "r")
        assert "distribution" not in ds["raw"]
        json.dumps([ds["raw"]] + [d["raw"] for d in dists])
