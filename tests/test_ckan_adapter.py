"""The CKAN adapter against real recorded responses served from 127.0.0.1, and faults."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from flows.adapters.ckan import harvest_ckan
from flows.adapters.ckan_parse import parse_package
from flows.adapters.errors import PortalIncompatible, PortalUnavailable
from flows.adapters.http import USER_AGENT, make_session
from flows.adapters.records import HarvestStats, Response
from flows.config import Portal
from flows.demo.portals import LocalPortal, Reply, Request
from flows.harvest import harvest_portal
from warehouse.records import Warehouse
from warehouse.store import raw_page_text


def portal_for(server: LocalPortal, **kw) -> Portal:
    kw.setdefault("platform", "ckan")
    return Portal(id=kw.pop("id", "p"), title="t", city="c", url=server.url, **kw)


def fast_session():
    # politeness lifted for local servers; retries and Retry-After still on
    return make_session(per_host_rate=0, per_host_concurrency=4)


def collect(portal: Portal, **kw) -> tuple[list[dict], HarvestStats, list[Response]]:
    pages: list[Response] = []
    stats: list[HarvestStats] = []
    out = [
        p
        for batch in harvest_ckan(portal, fast_session(), pages.append, stats, **kw)
        for p in batch
    ]
    return out, stats[0], pages


@pytest.mark.parametrize(("page_size", "requests"), [(1000, 1), (333, 3), (100, 8), (7, 115)])
def test_800_real_datasets_any_page_size(br_packages, page_size, requests):
    with LocalPortal(br_packages) as server:
        pkgs, stats, pages = collect(portal_for(server, page_size=page_size))
    assert len(pkgs) == 800
    assert len({p["id"] for p in pkgs}) == 800
    assert sum(len(p["resources"]) for p in pkgs) == 8006
    assert stats.expected_count == 800
    assert stats.requests == requests == len(pages)
    assert stats.method == "package_search"
    assert stats.warnings == []
    # stable sort requested: every page asked for the same order
    starts = [int(r.params["start"]) for r in server.log]
    assert starts == sorted(starts)
    assert {r.params["sort"] for r in server.log} == {"metadata_created asc, name asc"}


def test_harvest_into_warehouse_800_datasets_8006_distributions(br_packages, warehouse_path):
    with LocalPortal(br_packages) as server, Warehouse(warehouse_path) as wh:
        result = harvest_portal(portal_for(server, id="br", page_size=250), wh, fast_session())
        assert (result.status, result.datasets, result.distributions, result.requests) == (
            "ok",
            800,
            8006,
            4,
        )
        con = wh.con
        assert con.execute(
            "SELECT count(*), count(DISTINCT dataset_id) FROM latest_datasets"
        ).fetchone() == (800, 800)
        assert con.execute(
            "SELECT count(*), count(DISTINCT distribution_id) FROM latest_distributions"
        ).fetchone() == (8006, 8006)
        # the raw pages are kept and decode to what the portal sent
        assert con.execute(
            "SELECT count(*), min(status), max(status) FROM raw_pages"
        ).fetchone() == (4, 200, 200)
        # formats exactly as the portal wrote them (normalised later by checks/)
        fmts = dict(
            con.execute(
                "SELECT format_raw, count(*) FROM latest_distributions GROUP BY ALL"
            ).fetchall()
        )
        assert (fmts["CSV"], fmts[".csv"], fmts["zip+csv"], fmts[None]) == (3969, 174, 147, 236)
        lic = dict(
            con.execute("SELECT license_raw, count(*) FROM latest_datasets GROUP BY ALL").fetchall()
        )
        assert lic == {
            "odc-odbl": 418, "cc-by": 292, "other-open": 46, "other-pd": 17, "CC-BY-4.0": 13, "odc-pddl": 5,
            "notspecified": 3, "cc-zero": 2, "cc-nc": 1, "other-closed": 1, None: 2,
        }  # fmt: skip


def test_user_agent_and_timeout_sent(br_packages):
    seen = {}

    def fault(req: Request, portal: LocalPortal):
        return None

    with LocalPortal(br_packages[:3], fault=fault) as server:
        session = fast_session()
        resp = session.get(server.url + "/api/3/action/package_list")
        seen["ua"] = resp.request.headers["User-Agent"]
    assert seen["ua"] == USER_AGENT
    assert USER_AGENT.startswith("odwatch/") and "+https://" in USER_AGENT


def _govdata(corpus: Path) -> list[dict]:
    base = corpus / "ckan" / "govdata-staging"
    out = {}
    for name in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json"):
        data = json.loads((base / name).read_text(encoding="utf-8"))
        pkg = data.get("result", data)
        out[pkg["id"]] = pkg
    return list(out.values())


def test_govdata_staging_records_parse_to_the_fields_checks_need(corpus):
    pkgs = {p["name"]: p for p in _govdata(corpus)}
    ds, dists = parse_package(pkgs["metadata_max"], "govdata", "https://ckan.govdata.de", "run-1")
    assert {k: ds[k] for k in ds if k not in ("raw", "description")} == {
        "run_id": "run-1",
        "portal_id": "govdata",
        "dataset_id": "c9e92d9b-5437-47bb-9f64-b3f9400d8e53",
        "name": "metadata_max",
        "title": "Naturräume Geest und Marsch",
        "landing_page": "https://ckan.govdata.de/dataset/metadata_max",
        "source_url": "https://www.govdata.de/web/guest/daten/-/details/naturraume-geest-und-marsch3",
        "organization": "datahub-io",
        "organization_title": "Datahub.io",
        "publisher": "Behörde für Umwelt und Energie (BUE), Amt für Umweltschutz",
        # this synthetic maximal record fills CKAN's maintainer fields with placeholders,
        # which win over the contact_* extras (they are what a CKAN portal shows)
        "contact_name": "maintainer_name",
        "contact_email": "maintainer_email",
        "contact_url": "maintainer_url",
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
        "spatial": '{"type":"Polygon","coordinates":[[[10.3263,53.3949],[10.3263,53.9641],[8.4205,53.9641],[8.4205,53.3949],[10.3263,53.3949]]]}',
        "temporal_start": "2016-01-01",
        "temporal_end": "2016-12-31",
        "issued": "2017-09-04T10:10:00.000000",
        "modified": "2017-09-04T11:10:00.000000",
        "frequency_raw": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        "version": "2.0",
        "hvd_categories": [],
        "applicable_legislation": [],
        "num_distributions": 2,
    }
    # GovData leaves the dataset licence empty and puts it on each resource
    assert [(d["license_raw"], d["format_raw"]) for d in dists] == [
        (
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
            "https://www.iana.org/assignments/media-types/application/gml+xml",
        ),
        ("http://dcat-ap.de/def/licenses/dl-by-de/2.0", None),
    ]


def test_govdata_staging_harvest_and_rlp_extras(corpus):
    with LocalPortal(_govdata(corpus)) as server:
        pkgs, stats, _ = collect(portal_for(server))
    assert sorted(p["name"] for p in pkgs) == [
        "0d3cfc61-67b8-b869-1a5d-c9c7eb139e7b",
        "13dfb16a-c4f1-36b4-eda2-01ff5b1b294f",
        "metadata_max",
    ]
    rlp = next(p for p in pkgs if p["name"].startswith("13df"))
    ds, dists = parse_package(rlp, "govdata", "https://x", "r")
    assert (ds["license_raw"], ds["license_url_raw"]) == (
        "cc-nc",
        "http://creativecommons.org/licenses/by-nc/2.0/",
    )
    assert (ds["temporal_start"], ds["temporal_end"]) == (
        "2000-01-01 00:00:00",
        "2013-10-25 00:00:00",
    )
    assert ds["themes"] == ["bildung_wissenschaft", "geo"]
    assert ds["contact_email"] == "office@lgb-rlp.de"  # maintainer_email is null, author's is used
    assert [d["format_raw"] for d in dists] == ["Kartenviewer", "WMS", "HTML"]


def _bochum(corpus: Path) -> list[dict]:
    out = []
    for path in sorted((corpus / "ckan" / "bochum-opendata-ruhr").glob("*.json")):
        pkg = json.loads(path.read_text(encoding="utf-8"))
        pkg["organization"] = {"name": "stadt-bochum", "title": "Stadt Bochum"}
        out.append(pkg)
    return out


def test_bochum_through_its_organisation_on_a_shared_portal(corpus, br_packages):
    # opendata.ruhr holds many cities; Bochum is harvested through its organisation only
    with LocalPortal(br_packages[:50] + _bochum(corpus)) as server:
        pkgs, stats, _ = collect(portal_for(server, organization="stadt-bochum"))
        assert server.log[0].params["fq"] == 'organization:"stadt-bochum"'
    assert sorted(p["name"] for p in pkgs) == [
        "bochum-smarte-banke-wetterstation-943cc64265d3",
        "bochum-smarte-banke-wetterstation-b8d61a7accc7",
    ]
    ds, dists = parse_package(pkgs[0], "bochum", "https://opendata.ruhr", "r")
    # Bochum's records carry no CKAN id: the name is the id; licence in SPDX style
    assert (ds["dataset_id"], ds["license_raw"], dists) == (pkgs[0]["name"], "CC0-1.0", [])
    assert ds["landing_page"] == f"https://opendata.ruhr/dataset/{pkgs[0]['name']}"


def test_recorded_404_envelope_falls_back_to_package_list(corpus, br_packages):
    envelope = (
        corpus / "ckan" / "dados-gov-br" / "catalog_read_packages_by_invalid_group__0.json"
    ).read_text()

    def fault(req: Request, portal: LocalPortal):
        if req.action == "package_search":
            return Reply(404, envelope, {"Content-Type": "application/json;charset=utf-8"})
        return None

    with LocalPortal(br_packages[:30], fault=fault) as server:
        pkgs, stats, _ = collect(portal_for(server))
        assert server.calls["package_search"] == 1
        assert server.calls["package_list"] == 1
        assert server.calls["package_show"] == 30
    assert len(pkgs) == 30
    assert stats.method == "package_list"
    assert stats.warnings == [
        "package_search unusable (package_search not found: Não encontrado); used package_list + package_show"
    ]


def test_html_with_status_200_is_a_named_error(br_packages):
    def fault(req, portal):
        return Reply(200, "<!DOCTYPE html><html><body>Willkommen im Stadtportal</body></html>")

    with LocalPortal(br_packages, fault=fault) as server:
        url = server.url
        with pytest.raises(PortalIncompatible) as err:
            collect(portal_for(server))
    assert str(err.value) == (
        f"{url}/api/3/action/package_search: expected CKAN JSON, got text/html; charset=utf-8 "
        "(HTTP 200): '<!DOCTYPE html><html><body>Willkommen im Stadtportal</body><'"
    )


def test_what_a_portal_sends_cannot_steer_the_operators_terminal(br_packages, tmp_path):
    """Escape sequences and bidi overrides in a portal's page reach the error message, the
    warehouse and every terminal that prints them as visible escapes, not as controls."""
    hostile = "<html><title>\x1b[2J\x1b]0;pwned\x07Stadt\u202eatad nepo</title></html>"

    def fault(req, portal):
        return Reply(200, hostile)

    with (
        LocalPortal(br_packages[:5], fault=fault) as server,
        Warehouse(tmp_path / "w.duckdb") as wh,
    ):
        result = harvest_portal(portal_for(server), wh)
        (stored,) = wh.con.execute("SELECT error FROM harvest_runs").fetchone()
    assert result.status == "failed"
    for text in (result.error, result.line(), stored):
        assert not any(ord(c) < 32 or c == "\u202e" for c in text), repr(text)
    assert stored.endswith(
        "'<html><title>\\x1b[2J\\x1b]0;pwned\\x07Stadt\\u202eatad nepo</title></html>'"
    )


def test_another_api_is_a_named_error(br_packages):
    # a Socrata-style answer: JSON, but not a CKAN envelope
    def fault(req, portal):
        return Reply(200, {"error": "not found", "message": "unknown endpoint"})

    with LocalPortal(br_packages, fault=fault) as server:
        with pytest.raises(PortalIncompatible, match="not a CKAN action response"):
            collect(portal_for(server))


def test_5xx_pages_shrink_then_grow_back(br_packages):
    # every answer asking for more than 120 rows fails: the page shrinks (rows/3) until it
    # passes, then grows back after each success (rows*2), never past the failure point
    def fault(req: Request, portal: LocalPortal):
        if req.action == "package_search" and int(req.params["rows"]) > 120:
            return Reply(500, "<html><body>Internal Server Error</body></html>")
        return None

    with LocalPortal(br_packages, fault=fault) as server:
        pkgs, stats, pages = collect(portal_for(server))
        rows = [int(r.params["rows"]) for r in server.log]
    assert len({p["id"] for p in pkgs}) == 800
    assert rows[:5] == [1000, 333, 111, 222, 74]
    assert stats.expected_count == 800
    assert [p.status for p in pages].count(500) == len([r for r in rows if r > 120])
    assert [p.status for p in pages].count(200) == len([r for r in rows if r <= 120])


def test_429_retry_after_is_honoured(br_packages):
    hits = []

    def fault(req: Request, portal: LocalPortal):
        hits.append(time.monotonic())
        if len(hits) == 1:
            return Reply(429, "slow down", {"Retry-After": "1"})
        return None

    with LocalPortal(br_packages[:20], fault=fault) as server:
        pkgs, stats, _ = collect(portal_for(server))
    assert len(pkgs) == 20
    assert len(hits) == 2
    assert hits[1] - hits[0] >= 0.95  # waited as told


def test_retry_after_is_capped():
    from flows.adapters.http import CappedRetry

    class Resp:
        headers = {"Retry-After": "86400"}

        def getheader(self, name, default=None):
            return self.headers.get(name, default)

    retry = CappedRetry(total=1)
    retry.max_retry_after = 5
    assert retry.get_retry_after(Resp()) == 5


def test_read_timeout_shrinks_the_page(br_packages):
    def fault(req: Request, portal: LocalPortal):
        if req.action == "package_search" and int(req.params["rows"]) > 300:
            return Reply(200, {"success": True, "result": {}}, delay=1.5)
        return None

    with LocalPortal(br_packages, fault=fault) as server:
        pkgs, stats, _ = collect(portal_for(server), timeout=(2, 0.5))
    assert len({p["id"] for p in pkgs}) == 800


def test_datasets_inserted_while_paging_are_neither_skipped_nor_doubled(br_packages):
    new = []
    for i in range(5):
        pkg = dict(br_packages[i])
        pkg.update(id=f"new-{i}", name=f"new-{i}", metadata_created="2099-01-01T00:00:00")
        new.append(pkg)
    early = dict(
        br_packages[0], id="early", name="aaa-early", metadata_created="1990-01-01T00:00:00"
    )

    def fault(req: Request, portal: LocalPortal):
        if req.action == "package_search" and req.params["start"] == "100":
            with portal.lock:  # two publishers add datasets between our pages
                if new[0] not in portal.packages:
                    portal.packages.extend(new + [early])
        return None

    with LocalPortal(br_packages, fault=fault) as server:
        pkgs, stats, _ = collect(portal_for(server, page_size=100))
    ids = [p["id"] for p in pkgs]
    assert len(ids) == len(set(ids)) == 806
    assert {"new-0", "new-4", "early"} <= set(ids)
    assert stats.expected_count == 806


def test_datasets_deleted_while_paging_are_filled_from_package_list(br_packages):
    def fault(req: Request, portal: LocalPortal):
        if req.action == "package_search" and req.params["start"] == "200":
            with portal.lock:  # ten early datasets vanish: later ones shift forward
                portal.packages[:] = portal.packages[10:]
        return None

    ordered = sorted(br_packages, key=lambda x: (x["metadata_created"], x["name"]))
    with LocalPortal(ordered, fault=fault) as server:
        pkgs, stats, _ = collect(portal_for(server, page_size=100))
        shows = server.calls["package_show"]
    assert len({p["id"] for p in pkgs}) == 800  # 10 deleted ones were fetched before they vanished
    assert stats.method == "package_search+package_show"
    assert shows == 10  # only the ten that the shift hid from paging


def test_dkan_uses_package_list_and_show(br_packages):
    with LocalPortal(br_packages[:12], platform="dkan") as server:
        pkgs, stats, _ = collect(portal_for(server, platform="dkan"))
        assert "package_search" not in server.calls
    assert len(pkgs) == 12 and stats.method == "package_list" and stats.requests == 13


def test_connection_refused_is_portal_unavailable():
    server = LocalPortal([]).start()
    url = server.url
    server.stop()
    portal = Portal(id="gone", title="t", city="c", platform="ckan", url=url)
    with pytest.raises(PortalUnavailable, match="cannot connect"):
        list(harvest_ckan(portal, make_session(retries=0), lambda r: None))


@pytest.mark.parametrize("spelling", ["latin-1", "stray byte"])
def test_a_page_not_in_clean_utf8_is_parsed_and_stored_as_its_text(
    br_packages, warehouse_path, spelling
):
    """The page is parsed from its bytes and stored as read when they are UTF-8; a page in
    another charset, or UTF-8 with an invalid byte, still gives every dataset, and the stored
    page decodes to the text the portal sent (what `odwatch reparse` replays)."""
    latin = [p for p in br_packages if (p.get("title") or "").isascii() is False][:50]
    assert len(latin) == 50
    sent: list[bytes] = []

    def fault(req: Request, portal: LocalPortal):
        if req.action != "package_search":
            return None
        reply = portal.answer(req)
        text = json.dumps(reply.body, ensure_ascii=False)
        if spelling == "latin-1":
            body = text.encode("latin-1", "replace")
            sent.append(body)
            return Reply(200, body, {"Content-Type": "application/json; charset=ISO-8859-1"})
        body = text.encode("utf-8").replace(b'"title": "', b'"title": "\xff', 1)
        sent.append(body)
        return Reply(200, body, {"Content-Type": "application/json"})

    with LocalPortal(latin, fault=fault) as server, Warehouse(warehouse_path) as wh:
        result = harvest_portal(portal_for(server, id="br"), wh, fast_session())
        assert (result.status, result.datasets) == ("ok", 50)
        titles = dict(wh.con.execute("SELECT dataset_id, title FROM latest_datasets").fetchall())
        run_id = wh.con.execute("SELECT run_id FROM harvest_runs").fetchone()[0]
        stored = raw_page_text(wh.con, run_id, 0)
    if spelling == "latin-1":  # every title here is in latin-1's range
        assert titles == {p["id"]: p["title"] for p in latin}
        assert stored == sent[0].decode("latin-1")
    else:  # the one stray byte is U+FFFD in the stored text, the rest as sent
        assert stored == sent[0].decode("utf-8", "replace") and stored.count("\ufffd") == 1
    assert json.loads(stored)["result"]["count"] == 50
    assert {p["id"]: p["title"] for p in json.loads(stored)["result"]["results"]} == titles
