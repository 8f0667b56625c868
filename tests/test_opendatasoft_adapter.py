"""The Opendatasoft Explore API v2.1 adapter against a local server answering in the documented
shape (no recorded v2.1 JSON exists), cross-checked with Potsdam's real DCAT export."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from rdflib import Graph
from rdflib import namespace as rns
from routeserver import RouteServer, file_reply
from snapshots import snapshot_file as _snapshot

import flows.adapters.opendatasoft as ods
from flows.adapters.dcat import fetch_dcat
from flows.adapters.dcat_parse import parse_dcat_dataset
from flows.adapters.errors import PortalIncompatible, PortalUnavailable
from flows.adapters.http import make_session
from flows.adapters.opendatasoft_parse import parse_ods_dataset
from flows.adapters.records import HarvestStats, Response
from flows.config import Portal
from flows.demo.portals import Reply
from flows.harvest import OVERLAP, harvest_portal
from warehouse.records import Warehouse

API = "/api/explore/v2.1/catalog/datasets"
EXPORT_IDS = "/api/explore/v2.1/catalog/exports/json"
EXPORT_PATH = re.compile(r"^/api/explore/v2\.1/catalog/datasets/([^/]+)/exports$")
DATASET_PATH = re.compile(r"^/api/explore/v2\.1/catalog/datasets/([^/]+)$")
MODIFIED_SINCE = re.compile(r"^modified\s*>=\s*date'([^']+)'$", re.I)
GEO = ["csv", "fgb", "geojson", "gpx", "json", "jsonl", "jsonld", "kml", "n3", "ov2",
       "parquet", "rdfxml", "shp", "turtle", "xlsx"]  # fmt: skip
PLAIN = ["csv", "json", "jsonl", "jsonld", "n3", "parquet", "rdfxml", "turtle", "xlsx"]


def _when(text: str) -> datetime:
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


class Explore:
    """The catalog/datasets, catalog/exports/json, dataset and dataset exports endpoints of an
    Explore API v2.1 portal. `where` understands `modified >= date'...'` only and answers
    anything else (everything, with where_ok=False) with the API's 400 ODSQLError."""

    def __init__(self, datasets: list[dict], exports=None, fail=None, where_ok: bool = True):
        self.datasets = datasets
        self.exports = exports or (lambda ds: GEO if "geo" in ds.get("features", []) else PLAIN)
        self.fail = fail  # (path, params) -> Reply | None
        self.where_ok = where_ok
        self.base = ""

    def dispatch(self, path: str, params: dict) -> Reply:
        if self.fail and (reply := self.fail(path, params)):
            return reply
        if m := DATASET_PATH.match(path):
            ds = next((d for d in self.datasets if d["dataset_id"] == unquote(m.group(1))), None)
            if ds is None:
                return Reply(404, {"error_code": "DatasetNotFound", "message": "Unknown dataset"})
            return Reply(200, ds)
        m = EXPORT_PATH.match(path)
        if not m:
            return Reply(404, "<html><body>Not Found</body></html>")
        ds = next((d for d in self.datasets if d["dataset_id"] == unquote(m.group(1))), None)
        if ds is None:
            return Reply(404, {"error_code": "DatasetNotFound", "message": "Unknown dataset"})
        href = f"{self.base}{API}/{ds['dataset_id']}/exports"
        links = [{"rel": "self", "href": href}] + [
            {"rel": f, "href": f"{href}/{f}"} for f in self.exports(ds)
        ]
        return Reply(200, {"links": links})

    def rows(self, params: dict) -> list[dict] | Reply:
        """The datasets `refine` and `where` select, by dataset_id; a 400 Reply if refused."""
        rows = sorted(self.datasets, key=lambda d: d["dataset_id"])
        if "refine" in params:
            publisher = params["refine"].split(":", 1)[1].strip('"')
            rows = [d for d in rows if d["metas"]["default"].get("publisher") == publisher]
        if "where" in params:
            m = MODIFIED_SINCE.match(params["where"].strip()) if self.where_ok else None
            if m is None:
                return Reply(400, {
                    "error_code": "ODSQLError",
                    "message": f"ODSQL query is malformed: {params['where']} "
                    "Clause(s) containing the error(s): where.",
                })  # fmt: skip
            since = _when(m.group(1))
            rows = [
                d for d in rows
                if d["metas"]["default"].get("modified")
                and _when(d["metas"]["default"]["modified"]) >= since
            ]  # fmt: skip
        return rows

    def catalog(self, path: str, params: dict) -> Reply:
        if self.fail and (reply := self.fail(path, params)):
            return reply
        limit, offset = int(params.get("limit", 10)), int(params.get("offset", 0))
        if limit > 100 or offset + limit >= 10000:
            return Reply(400, {"error_code": "InvalidRESTParameterError", "message": "limit"})
        rows = self.rows(params)
        if isinstance(rows, Reply):
            return rows
        return Reply(200, {"total_count": len(rows), "results": rows[offset : offset + limit]})

    def export(self, path: str, params: dict) -> Reply:
        """catalog/exports/json: every dataset at once, no limit."""
        if self.fail and (reply := self.fail(path, params)):
            return reply
        rows = self.rows(params)
        if isinstance(rows, Reply):
            return rows
        if params.get("select") == "dataset_id":
            rows = [{"dataset_id": d["dataset_id"]} for d in rows]
        return Reply(200, rows)


def serve(explore: Explore) -> RouteServer:
    server = RouteServer(
        {API: explore.catalog, EXPORT_IDS: explore.export}, fallback=explore.dispatch
    )
    server.start()
    explore.base = server.url
    return server


def harvest(p: Portal, **kw) -> tuple[list[dict], HarvestStats, list[Response]]:
    pages: list[Response] = []
    stats: list[HarvestStats] = []
    session = make_session(per_host_rate=0, retries=0)
    kw.setdefault("retries", 0)
    batches = ods.fetch_opendatasoft(p, session, pages.append, stats, **kw)
    return [r for batch in batches for r in batch], stats[0], pages


def portal(url: str, **kw) -> Portal:
    return Portal(
        id=kw.pop("id", "dortmund"), title="t", city="c", platform="opendatasoft", url=url, **kw
    )


def dataset(
    i: int, geo: bool = False, records: bool = True, publisher: str = "Stadt Dortmund"
) -> dict:
    return {
        "dataset_id": f"ds-{i:04d}",
        "dataset_uid": f"da_{i:06x}",
        "attachments": [],
        "has_records": records,
        "data_visible": True,
        "features": ["analyze", "geo"] if geo else ["analyze"],
        "fields": [{"name": "id", "label": "ID", "type": "int", "annotations": {}, "description": None}],
        "metas": {"default": {"title": f"Datensatz {i}", "publisher": publisher, "modified": "2024-01-01T00:00:00+00:00"}},
    }  # fmt: skip


# The documented v2.1 shape with both metadata templates filled, as Dortmund's portal has them.
STRASSENBAEUME = {
    "dataset_id": "strassenbaeume",
    "dataset_uid": "da_3f8k2l",
    "attachments": [
        {"mimetype": "application/pdf", "url": "odsfile://baumkataster_beschreibung.pdf",
         "id": "baumkataster_beschreibung_pdf", "title": "Baumkataster Beschreibung.pdf"},
    ],
    "has_records": True,
    "data_visible": True,
    "features": ["analyze", "geo", "timeserie"],
    "fields": [{"name": "baumart", "label": "Baumart", "type": "text", "annotations": {}, "description": None}],
    "metas": {
        "default": {
            "title": "Straßenbäume",
            "description": "<p>Standorte der Straßenbäume im Stadtgebiet.</p>",
            "keyword": ["Bäume", "Umwelt", "Stadtgrün"],
            "theme": ["Umwelt und Klima"],
            "license": "Datenlizenz Deutschland Zero – Version 2.0",
            "license_url": "https://www.govdata.de/dl-de/zero-2-0",
            "modified": "2024-05-14T08:12:40+00:00",
            "data_processed": "2024-05-14T08:12:55+00:00",
            "metadata_processed": "2024-05-14T08:13:02.114000+00:00",
            "publisher": "Stadt Dortmund – Grünflächenamt",
            "references": "https://www.dortmund.de/baeume",
            "territory": ["Dortmund"],
            "language": "de",
            "records_count": 83215,
        },
        "dcat": {
            "created": "2019-03-01T00:00:00+00:00",
            "issued": "2019-03-04T00:00:00+00:00",
            "creator": "Grünflächenamt",
            "contact_name": "Grünflächenamt, Baumkataster",
            "contact_email": "mailto:gruenflaechenamt@dortmund.de",
            "accrualperiodicity": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            "spatial": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05913000",
            "temporal_coverage_start": "2019-01-01T00:00:00+00:00",
            "temporal_coverage_end": None,
            "granularity": None,
            "accessRights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        },
    },
}  # fmt: skip

RATSBESCHLUESSE = {  # metadata only: no records to export, one attachment
    "dataset_id": "ratsbeschluesse-2023",
    "dataset_uid": "da_9x1c0q",
    "attachments": [
        {"mimetype": "text/csv", "url": "odsfile://beschluesse.csv", "id": "beschluesse_csv", "title": "beschluesse.csv"},
    ],
    "has_records": False,
    "data_visible": False,
    "features": [],
    "fields": [],
    "metas": {"default": {"title": "Ratsbeschlüsse 2023", "publisher": "Stadt Dortmund", "keyword": None, "theme": None,
                          "license": None, "modified": "2023-12-31T10:00:00+00:00"},
              "dcat_ap_de": {"contributorID": "http://dcat-ap.de/def/contributors/stadtDortmund",
                             "accrualPeriodicity": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
                             "temporal": "2023-01-01/2023-12-31"}},
}  # fmt: skip


def test_documented_shape_maps_to_the_common_records():
    explore = Explore([STRASSENBAEUME, RATSBESCHLUESSE])
    with serve(explore) as server:
        records, stats, pages = harvest(portal(server.url))
        url = server.url
        assert server.log == [
            f"{API}?order_by=dataset_id&limit=100&offset=0",
            f"{API}/strassenbaeume/exports",  # the dataset without records needs none
        ]
    assert (stats.method, stats.expected_count, stats.requests, stats.warnings) == (
        "explore-v2.1", 2, 2, [],
    )  # fmt: skip
    assert [p.status for p in pages] == [200, 200]
    out = {r["dataset_id"]: parse_ods_dataset(r, "dortmund", url, "run-1") for r in records}
    ds, dists = out["strassenbaeume"]
    assert {k: v for k, v in ds.items() if k != "raw"} == {
        "run_id": "run-1",
        "portal_id": "dortmund",
        "dataset_id": "strassenbaeume",
        "name": "strassenbaeume",
        "title": "Straßenbäume",
        "description": "<p>Standorte der Straßenbäume im Stadtgebiet.</p>",
        "landing_page": f"{url}/explore/dataset/strassenbaeume/",
        "source_url": "https://www.dortmund.de/baeume",
        "organization": "Stadt Dortmund – Grünflächenamt",
        "organization_title": "Stadt Dortmund – Grünflächenamt",
        "publisher": "Stadt Dortmund – Grünflächenamt",
        "contact_name": "Grünflächenamt, Baumkataster",
        "contact_email": "gruenflaechenamt@dortmund.de",
        "contact_url": None,
        "keywords": ["Bäume", "Umwelt", "Stadtgrün"],
        "themes": ["Umwelt und Klima"],
        "license_raw": "Datenlizenz Deutschland Zero – Version 2.0",
        "license_title_raw": None,
        "license_url_raw": "https://www.govdata.de/dl-de/zero-2-0",
        "access_rights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        "spatial": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05913000",
        "temporal_start": "2019-01-01T00:00:00+00:00",
        "temporal_end": None,
        "issued": "2019-03-04T00:00:00+00:00",
        "modified": "2024-05-14T08:12:40+00:00",
        "frequency_raw": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
        "version": None,
        "hvd_categories": None,
        "applicable_legislation": None,
        "num_distributions": 16,
    }
    assert "fields" not in ds["raw"] and ds["raw"]["_odwatch_exports"] == GEO
    export = f"{url}{API}/strassenbaeume/exports"
    assert [(d["position"], d["format_raw"], d["media_type_raw"], d["url"]) for d in dists[:3]] == [
        (0, "csv", "text/csv", f"{export}/csv"),
        (1, "fgb", "application/vnd.flatgeobuf", f"{export}/fgb"),
        (2, "geojson", "application/geo+json", f"{export}/geojson"),
    ]
    assert {k: v for k, v in dists[0].items() if k != "raw"} == {
        "run_id": "run-1",
        "portal_id": "dortmund",
        "dataset_id": "strassenbaeume",
        "distribution_id": "strassenbaeume/exports/csv",
        "position": 0,
        "title": "csv export",
        "description": None,
        "url": f"{export}/csv",
        "access_url": f"{export}/csv",
        "download_url": f"{export}/csv",
        "format_raw": "csv",
        "media_type_raw": "text/csv",
        "license_raw": None,  # the licence is the dataset's
        "rights": None,
        "byte_size": None,
        "issued": None,
        "modified": "2024-05-14T08:12:55+00:00",  # data_processed
        "checksum": None,
        "generated": True,  # the platform's export, not a file the city made (issue 13)
    }
    assert dists[0]["raw"] == {"export": "csv"}
    assert [d["generated"] for d in dists] == [True] * 15 + [False]  # 15 exports, 1 attachment
    attachment = dists[-1]
    assert (attachment["distribution_id"], attachment["title"], attachment["media_type_raw"], attachment["url"]) == (
        "strassenbaeume/attachments/baumkataster_beschreibung_pdf",
        "Baumkataster Beschreibung.pdf",
        "application/pdf",
        f"{url}{API}/strassenbaeume/attachments/baumkataster_beschreibung_pdf",
    )  # fmt: skip
    # no records: no exports, only the attachment; the dcat_ap_de template fills in
    ds, dists = out["ratsbeschluesse-2023"]
    assert (ds["frequency_raw"], ds["temporal_start"], ds["temporal_end"], ds["keywords"], ds["license_raw"]) == (
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL", "2023-01-01", "2023-12-31", [], None,
    )  # fmt: skip
    assert [(d["distribution_id"], d["media_type_raw"]) for d in dists] == [
        ("ratsbeschluesse-2023/attachments/beschluesse_csv", "text/csv")
    ]


def test_pages_of_at_most_100_and_exports_asked_once_per_kind():
    explore = Explore([dataset(i, geo=i % 3 == 0) for i in range(250)])
    with serve(explore) as server:
        records, stats, _ = harvest(portal(server.url, page_size=1000))
        catalog = [p for p in server.log if p.startswith(API + "?")]
        exports = [p for p in server.log if p.endswith("/exports")]
    assert len(records) == len({r["dataset_id"] for r in records}) == 250
    assert catalog == [f"{API}?order_by=dataset_id&limit=100&offset={o}" for o in (0, 100, 200)]
    assert exports == [f"{API}/ds-0000/exports", f"{API}/ds-0001/exports"]  # geo, then plain
    assert (stats.expected_count, stats.requests, stats.warnings) == (250, 5, [])
    assert {tuple(r["_odwatch_exports"]) for r in records} == {tuple(GEO), tuple(PLAIN)}


def test_the_10000_window_is_respected_with_a_warning(monkeypatch):
    monkeypatch.setattr(ods, "MAX_WINDOW", 150)
    explore = Explore([dataset(i) for i in range(250)])
    with serve(explore) as server:
        records, stats, _ = harvest(portal(server.url))
        catalog = [p for p in server.log if p.startswith(API + "?")]
    assert catalog == [
        f"{API}?order_by=dataset_id&limit=100&offset=0",
        f"{API}?order_by=dataset_id&limit=49&offset=100",
    ]
    assert len(records) == 149
    assert stats.warnings == [
        "the Explore API pages only the first 149 datasets; 101 not harvested"
    ]


def test_a_publisher_on_a_shared_portal_is_refined():
    explore = Explore([dataset(1), dataset(2, publisher="Stadt Lünen"), dataset(3)])
    with serve(explore) as server:
        records, stats, _ = harvest(portal(server.url, organization="Stadt Lünen"))
        assert (
            server.log[0]
            == f"{API}?order_by=dataset_id&refine=publisher%3A%22Stadt+L%C3%BCnen%22&limit=100&offset=0"
        )
    assert [r["dataset_id"] for r in records] == ["ds-0002"]
    assert stats.expected_count == 1


def test_exports_endpoint_missing_assumes_the_documented_formats():
    explore = Explore([dataset(1)])
    with serve(explore) as server:
        server.fallback = None  # only catalog/datasets answers
        records, stats, _ = harvest(portal(server.url))
        url = server.url
    assert records[0]["_odwatch_exports"] == PLAIN
    assert stats.warnings == [
        f"export formats unknown ({url}{API}/ds-0001/exports: HTTP 404 (text/html; charset=utf-8): "
        "'<html><body><h1>Not Found</h1></body></html>'); assumed the documented ones"
    ]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(200, "<!doctype html><html><body>Open Data Dortmund</body></html>"),
            "expected Opendatasoft Explore API JSON (catalog/datasets), got text/html; "
            "charset=utf-8: '<!doctype html><html><body>Open Data Dortmund</body></html>'",
        ),
        (
            Reply(200, {"nhits": 3, "parameters": {}, "datasets": []}),  # the old v1 search API
            "not an Explore API v2.1 datasets answer (no total_count/results; keys: nhits, "
            "parameters, datasets)",
        ),
    ],
)
def test_not_the_explore_api_is_a_named_error(reply, message):
    with RouteServer({API: reply}) as server:
        with pytest.raises(PortalIncompatible) as err:
            harvest(portal(server.url))
        url = server.url
    assert str(err.value) == f"{url}{API}?order_by=dataset_id&limit=100&offset=0: {message}"


def test_a_ckan_portal_is_not_opendatasoft():
    with RouteServer() as server:
        with pytest.raises(PortalIncompatible, match=r"limit=100&offset=0: HTTP 404 \(text/html"):
            harvest(portal(server.url))


def test_failure_mid_way_keeps_the_previous_snapshot(warehouse_path, monkeypatch):
    monkeypatch.setattr("flows.adapters.pages.BACKOFF", 0.01)
    broken = {"on": False}

    def fail(path, params):
        if broken["on"] and params.get("offset") == "100":
            return Reply(502, "<html><body>Bad Gateway</body></html>")
        return None

    explore = Explore([dataset(i) for i in range(150)], fail=fail)
    with serve(explore) as server, Warehouse(warehouse_path) as wh:
        p = portal(server.url, full_every=1)  # both harvests page through everything
        first = harvest_portal(p, wh, make_session(per_host_rate=0))
        broken["on"] = True
        second = harvest_portal(p, wh, make_session(per_host_rate=0))
        url = server.url
        assert (first.status, first.datasets, first.distributions) == ("ok", 150, 150 * 9)
        assert (second.status, second.transient, second.error) == (
            "failed",
            True,
            f"{url}{API}?order_by=dataset_id&limit=100&offset=100: HTTP 502 (3 attempts)",
        )
        assert wh.con.execute(
            "SELECT run_id, dataset_count, method FROM latest_runs"
        ).fetchall() == [(first.run_id, 150, "explore-v2.1")]
    with pytest.raises(PortalUnavailable):
        harvest(portal(url))  # the server is gone


# ---------------------------------------------------------------- incremental harvests


def _kinds(log: list[str]) -> dict[str, int]:
    """Requests by endpoint: catalog pages, the id export, export-format lookups, datasets."""
    out: dict[str, int] = {}
    for raw in log:
        path = raw.split("?", 1)[0]
        kind = (
            "catalog" if path == API
            else "id export" if path == EXPORT_IDS
            else "formats" if EXPORT_PATH.match(path)
            else "dataset" if DATASET_PATH.match(path)
            else path
        )  # fmt: skip
        out[kind] = out.get(kind, 0) + 1
    return out


def _where(log: list[str]) -> list[str]:
    return [parse_qs(urlsplit(p).query)["where"][0] for p in log if "where=" in p]


def test_changed_since_where():
    since = datetime(2026, 11, 20, 11, 0, 30, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert ods.changed_since_where(since) == "modified >= date'2026-11-20T10:00:30Z'"
    assert ods.changed_since_where(datetime(2026, 1, 1, tzinfo=UTC)) == (
        "modified >= date'2026-01-01T00:00:00Z'"
    )


def test_incremental_equals_full_and_costs_what_changed(tmp_path):
    explore = Explore([dataset(i, geo=i % 3 == 0) for i in range(450)])
    with serve(explore) as server:
        p = portal(server.url)
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(p, wh, make_session(per_host_rate=0))
            full_cost = _kinds(server.log)
            started = wh.con.execute(
                "SELECT started_at FROM harvest_runs WHERE run_id = ?", [first.run_id]
            ).fetchone()[0]

            now = datetime.now(UTC).isoformat()
            for ds in explore.datasets[100:110]:
                ds["metas"]["default"].update(
                    title=ds["metas"]["default"]["title"] + " (korrigiert)", modified=now
                )
            new = dataset(999)
            new["metas"]["default"]["modified"] = now
            explore.datasets = [
                d for d in explore.datasets if d["dataset_id"] not in ("ds-0000", "ds-0300")
            ] + [new]
            server.log.clear()

            second = harvest_portal(p, wh, make_session(per_host_rate=0))
            log = list(server.log)
            runs = wh.con.execute(
                "SELECT mode, changed_count, carried_count, dataset_count, expected_count, "
                "request_count FROM harvest_runs ORDER BY started_at"
            ).fetchall()
            stored = dict(
                wh.con.execute("SELECT run_id, count(*) FROM dataset_rows GROUP BY ALL").fetchall()
            )
        server.log.clear()
        with Warehouse(tmp_path / "full.duckdb") as wh:
            full = harvest_portal(p, wh, make_session(per_host_rate=0))
        full_again = _kinds(server.log)

    assert (first.status, first.mode, first.datasets) == ("ok", "full", 450)
    assert full_cost == {"catalog": 5, "formats": 2}
    # the 10 edited datasets and the new one; 2 deleted, 438 carried forward unchanged
    assert (second.status, second.mode, second.changed, second.datasets, second.warnings) == (
        "ok", "incremental", 11, 449, None,
    )  # fmt: skip
    assert runs == [
        ("full", None, None, 450, 450, 7),
        ("incremental", 11, 438, 449, 449, 4),
    ]
    assert stored == {first.run_id: 450, second.run_id: 11}
    # one filtered catalog page and one id export, instead of 5 pages; the format
    # lookups (one geo, one plain dataset) as in any harvest
    assert _kinds(log) == {"catalog": 1, "id export": 1, "formats": 2}
    assert _where(log) == [ods.changed_since_where(started - OVERLAP)]
    assert f"{API}?order_by=dataset_id&where=modified+%3E%3D+date%27" in log[0]
    assert log[0].endswith("Z%27&limit=100&offset=0")
    assert f"{EXPORT_IDS}?select=dataset_id" in log

    assert (full.datasets, full_again) == (449, {"catalog": 5, "formats": 2})
    mine = _snapshot(tmp_path / "a.duckdb", second.run_id)
    assert mine == _snapshot(tmp_path / "full.duckdb", full.run_id)
    ids = [row[1] for row in mine[0]]
    assert len(ids) == 449 and "ds-0000" not in ids and "ds-0300" not in ids and "ds-0999" in ids
    assert sum(1 for row in mine[0] if str(row[3]).endswith("(korrigiert)")) == 10
    # 9 export formats each, 6 more for the 148 geo datasets left (ds-0000, ds-0300 are gone)
    assert len(mine[1]) == 449 * 9 + 148 * 6


def test_a_portal_refusing_the_where_filter_is_harvested_in_full(tmp_path):
    explore = Explore([dataset(i, geo=i % 3 == 0) for i in range(250)], where_ok=False)
    with serve(explore) as server:
        p = portal(server.url)
        with Warehouse(tmp_path / "a.duckdb") as wh:
            first = harvest_portal(p, wh, make_session(per_host_rate=0))
            explore.datasets[5]["metas"]["default"]["title"] = "Neu"
            del explore.datasets[7]
            server.log.clear()
            second = harvest_portal(p, wh, make_session(per_host_rate=0))
            log = list(server.log)
            modes = wh.con.execute(
                "SELECT mode, dataset_count, expected_count FROM harvest_runs ORDER BY started_at"
            ).fetchall()
        with Warehouse(tmp_path / "full.duckdb") as wh:
            full = harvest_portal(p, wh, make_session(per_host_rate=0))
        url = server.url
    assert (first.mode, second.status, second.mode, second.datasets) == ("full", "ok", "full", 249)
    assert modes == [("full", 250, 250), ("full", 249, 249)]
    assert second.warnings == (
        f"incremental harvest impossible (the modified filter is unusable: {url}{log[0]}: "
        'HTTP 400 (application/json; charset=utf-8): \'{"error_code": "ODSQLError", '
        '"message": "ODSQL query is malf\'); harvested in full'
    )
    # the refused filter, then every page as in a full harvest
    assert _kinds(log) == {"catalog": 4, "formats": 2}
    assert "where=" in log[0] and not any("where=" in x for x in log[1:])
    assert _snapshot(tmp_path / "a.duckdb", second.run_id) == _snapshot(
        tmp_path / "full.duckdb", full.run_id
    )


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(404, "<html><body>Not Found</body></html>"), "HTTP 404 (text/html"),
        (Reply(200, {"total_count": 3, "results": []}), "not a list of dataset ids"),
        (Reply(200, [{"datasetid": "ds-0001"}]), "not a list of dataset ids"),
    ],
)
def test_an_unusable_id_export_means_a_full_harvest(reply, reason):
    datasets = [dataset(i) for i in range(30)]
    for ds in datasets[10:13]:
        ds["metas"]["default"]["modified"] = "2026-06-01T00:00:00+00:00"
    explore = Explore(datasets, fail=lambda path, params: reply if path == EXPORT_IDS else None)
    with serve(explore) as server:
        records, stats, pages = harvest(
            portal(server.url, page_size=10), since=datetime(2026, 1, 1, tzinfo=UTC)
        )
        log = list(server.log)
        url = server.url
    ids = [r["dataset_id"] for r in records]
    # the 3 changed ones first, then the rest of the full harvest, each once
    assert ids[:3] == ["ds-0010", "ds-0011", "ds-0012"]
    assert sorted(ids) == [f"ds-{i:04d}" for i in range(30)]
    assert (stats.mode, stats.current, stats.expected_count) == ("full", None, 30)
    assert len(stats.warnings) == 1
    warning = stats.warnings[0]
    assert warning.startswith(
        f"incremental harvest impossible (the dataset id export is unusable: "
        f"{url}{EXPORT_IDS}?select=dataset_id: {reason}"
    )
    assert warning.endswith("); harvested in full")
    assert _kinds(log) == {"catalog": 4, "id export": 1, "formats": 1}
    assert stats.requests == len(pages) == 6


def test_an_unreachable_id_export_still_fails(monkeypatch):
    monkeypatch.setattr("flows.adapters.pages.BACKOFF", 0.01)
    bad = Reply(502, "<html><body>Bad Gateway</body></html>")
    explore = Explore([dataset(1)], fail=lambda path, params: bad if path == EXPORT_IDS else None)
    with serve(explore) as server:
        with pytest.raises(PortalUnavailable) as err:
            harvest(portal(server.url), since=datetime(2026, 1, 1, tzinfo=UTC), retries=2)
        url = server.url
    assert str(err.value) == f"{url}{EXPORT_IDS}?select=dataset_id: HTTP 502 (3 attempts)"


def test_incremental_on_a_shared_portal_and_datasets_added_with_an_old_modified():
    lunen = "Stadt Lünen"
    datasets = [
        dataset(i, publisher=lunen if i % 2 == 0 else "Stadt Dortmund") for i in range(1, 9)
    ]
    for ds in datasets[1], datasets[2]:  # ds-0002 (Lünen) and ds-0003 (Dortmund) changed
        ds["metas"]["default"]["modified"] = "2026-06-01T00:00:00+00:00"
    explore = Explore(datasets)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    with serve(explore) as server:
        p = portal(server.url, organization=lunen)
        # ds-0004 is new to us: added with a modified older than `since`
        records, stats, _ = harvest(p, since=since, known=["ds-0002", "ds-0006", "ds-0008"])
        log = list(server.log)
        server.log.clear()
        without_known, _, _ = harvest(p, since=since)
    refine = "refine=publisher%3A%22Stadt+L%C3%BCnen%22"
    assert log == [
        f"{API}?order_by=dataset_id&{refine}"
        "&where=modified+%3E%3D+date%272026-01-01T00%3A00%3A00Z%27&limit=100&offset=0",
        f"{API}/ds-0002/exports",
        f"{EXPORT_IDS}?select=dataset_id&{refine}",
        f"{API}/ds-0004",
    ]
    assert [r["dataset_id"] for r in records] == ["ds-0002", "ds-0004"]
    assert records[1]["_odwatch_exports"] == PLAIN
    assert (stats.mode, stats.current, stats.expected_count, stats.warnings) == (
        "incremental", ["ds-0002", "ds-0004", "ds-0006", "ds-0008"], 4, [],
    )  # fmt: skip
    # without the previous snapshot's ids such a dataset waits for the next full harvest
    assert [r["dataset_id"] for r in without_known] == ["ds-0002"]


def test_more_changes_than_the_window_means_a_full_harvest(monkeypatch):
    monkeypatch.setattr(ods, "MAX_WINDOW", 150)
    datasets = [dataset(i) for i in range(200)]
    for ds in datasets:
        ds["metas"]["default"]["modified"] = "2026-06-01T00:00:00+00:00"
    with serve(Explore(datasets)) as server:
        records, stats, _ = harvest(portal(server.url), since=datetime(2026, 1, 1, tzinfo=UTC))
        url = server.url
        first = server.log[0]
    assert len(records) == 149
    assert stats.mode == "full"
    assert stats.warnings == [
        f"incremental harvest impossible ({url}{first}: 200 datasets changed, more than the "
        "149 the Explore API pages); harvested in full",
        "the Explore API pages only the first 149 datasets; 51 not harvested",
    ]


# ---------------------------------------------------------------- Potsdam's real DCAT export


def potsdam_as_explore(corpus: Path) -> tuple[list[dict], dict[str, list[str]]]:
    """Potsdam's 10 datasets (its 2019 DCAT export) written as Explore API v2.1 answers:
    the same ids, titles, keywords, themes, publisher and licence, and the export formats
    the DCAT export lists for each."""
    g = Graph()
    g.parse(corpus / "opendatasoft" / "potsdam.ttl", format="turtle")
    dct, dcat = rns.DCTERMS, rns.DCAT
    out, formats = [], {}
    for s in sorted(g.subjects(rns.RDF.type, dcat.Dataset)):
        ident = str(g.value(s, dct.identifier))
        dists = list(g.objects(s, dcat.distribution))
        formats[ident] = sorted(str(g.value(d, dct.format)) for d in dists)
        licence = g.value(dists[0], dct.license)
        publisher = g.value(g.value(s, dct.publisher), rns.RDFS.label)
        themes = sorted(unquote(str(t).rsplit("/", 1)[1]) for t in g.objects(s, dcat.theme))
        out.append(
            {
                "dataset_id": ident,
                "has_records": True,
                "features": ["analyze", "geo"] if "geojson" in formats[ident] else ["analyze"],
                "attachments": [],
                "metas": {
                    "default": {
                        "title": str(g.value(s, dct.title)),
                        "description": str(g.value(s, dct.description)),
                        "keyword": sorted(str(k) for k in g.objects(s, dcat.keyword)) or None,
                        "theme": themes,
                        "publisher": str(publisher),
                        "license": str(licence),
                    }
                },
            }
        )
    return out, formats


def test_explore_api_and_dcat_export_of_potsdam_agree(corpus):
    datasets, formats = potsdam_as_explore(corpus)
    explore = Explore(datasets, exports=lambda ds: formats[ds["dataset_id"]])
    ttl = (corpus / "opendatasoft" / "potsdam.ttl").read_bytes()
    with serve(explore) as server:
        server.routes["/api/v2/catalog/exports/ttl"] = file_reply(ttl, "text/turtle")
        records, stats, _ = harvest(portal(server.url))
        session = make_session(per_host_rate=0, retries=0)
        dcat_portal = Portal(
            id="potsdam",
            title="t",
            city="c",
            platform="dcat",
            url=server.url + "/api/v2/catalog/exports/ttl",
        )
        dcat_records = [
            r for b in fetch_dcat(dcat_portal, session, lambda r: None, retries=0) for r in b
        ]
        url = server.url
    from_api = [parse_ods_dataset(r, "potsdam", url, "r") for r in records]
    from_dcat = [parse_dcat_dataset(r, "potsdam", url, "r") for r in dcat_records]

    def summary(ds, dists, licence):
        return (
            ds["dataset_id"], ds["title"], sorted(ds["keywords"]), ds["publisher"], licence,
            sorted(d["format_raw"] for d in dists),
        )  # fmt: skip

    api = sorted(summary(d, x, d["license_raw"]) for d, x in from_api)
    dcat = sorted(summary(d, x, x[0]["license_raw"]) for d, x in from_dcat)
    assert api == dcat
    assert (len(api), sum(len(x) for _, x in from_api), stats.requests) == (10, 30, 3)
    assert api[3] == (
        "einwohnerzahl-seit-1992", "Einwohnerzahl von Potsdam seit 1992",
        ["Bevölkerung", "Einwohner", "Hauptwohnsitz", "Nebenwohnsitz", "Potsdam"], "LHP",
        "Nutzungsbedingungen der LHP", ["csv", "json"],
    )  # fmt: skip
    # the API names the export endpoints the DCAT export links to (v2.1 instead of v2)
    assert {d["url"].replace("/explore/v2.1/", "/v2/").replace(url, "https://opendata.potsdam.de") for _, x in from_api for d in x} == {
        d["access_url"] for _, x in from_dcat for d in x
    }  # fmt: skip
