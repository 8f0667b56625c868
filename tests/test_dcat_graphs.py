"""DCAT-AP.de graphs of real recorded CKAN snapshots (issue 16): harvested from 127.0.0.1,
rebuilt from the stored raw pages by flows/dcat_graphs.snapshot_graphs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from flows.adapters.ckan_dcat import DCATDE, VCARD, license_iri
from flows.adapters.http import make_session
from flows.config import Portal
from flows.dcat_graphs import snapshot_graphs
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse


def _govdata(corpus: Path) -> list[dict]:
    base = corpus / "ckan" / "govdata-staging"
    out = {}
    for name in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json"):
        data = json.loads((base / name).read_text(encoding="utf-8"))
        pkg = data.get("result", data)
        out[pkg["id"]] = pkg
    return list(out.values())


def _harvest(packages: list[dict], path: Path, **kw):
    with LocalPortal(packages) as server, Warehouse(path) as wh:
        url = server.url
        portal = Portal("p", "t", "c", "ckan", server.url, page_size=100, **kw)
        result = harvest_portal(portal, wh, make_session(per_host_rate=0, per_host_concurrency=4))
        assert result.status == "ok"
        graphs = list(snapshot_graphs(wh, result.run_id))
        dists = wh.con.execute(
            "SELECT dataset_id, distribution_id FROM distributions WHERE run_id = ?",
            [result.run_id],
        ).fetchall()
        members = [
            r[0]
            for r in wh.con.execute(
                "SELECT dataset_id FROM datasets WHERE run_id = ? ORDER BY dataset_id",
                [result.run_id],
            ).fetchall()
        ]
    return url, graphs, dists, members


def _objects(graph, subject, prop) -> set:
    return set(graph.graph.objects(subject, prop))


def test_800_real_ckan_datasets_map_with_every_distribution_on_a_row(br_packages, corpus, tmp_path):
    govdata = _govdata(corpus)
    url, graphs, dists, members = _harvest(br_packages + govdata, tmp_path / "w.duckdb")
    assert [g.dataset_id for g in graphs] == members and len(members) == 803
    assert [g.error for g in graphs if g.error] == []
    # every distribution node is a distribution_rows row of its dataset, and every row a node
    mapped = {(g.dataset_id, d) for g in graphs for d in g.distributions.values()}
    assert mapped == set(dists) and len(mapped) == 8006 + sum(len(p["resources"]) for p in govdata)
    for g in graphs:
        nodes = {str(n) for n in g.graph.objects(g.focus, DCAT.distribution)}
        assert nodes == set(g.distributions)
        assert all((URIRef(n), RDF.type, DCAT.Distribution) in g.graph for n in nodes)

    by_id = {g.dataset_id: g for g in graphs}
    # GovData's maximal record: every DCAT-AP.de field ckanext-dcatde reads from a package
    g = by_id["c9e92d9b-5437-47bb-9f64-b3f9400d8e53"]
    assert g.focus == URIRef(f"{url}/dataset/c9e92d9b-5437-47bb-9f64-b3f9400d8e53")
    assert _objects(g, g.focus, DCTERMS.title) == {Literal("Naturräume Geest und Marsch")}
    assert Literal("Bodenschutz") in _objects(g, g.focus, DCAT.keyword)
    assert _objects(g, g.focus, DCAT.theme) == {
        URIRef("http://publications.europa.eu/resource/authority/data-theme/ENVI")
    }
    assert _objects(g, g.focus, DCTERMS.issued) == {
        Literal("2017-09-04T10:10:00.000000", datatype=XSD.dateTime)
    }
    assert _objects(g, g.focus, DCTERMS.accrualPeriodicity) == {
        URIRef("http://publications.europa.eu/resource/authority/frequency/ANNUAL")
    }
    (publisher,) = _objects(g, g.focus, DCTERMS.publisher)
    assert _objects(g, publisher, FOAF.name) == {
        Literal("Behörde für Umwelt und Energie (BUE), Amt für Umweltschutz")
    }
    assert _objects(g, g.focus, DCATDE.contributorID) == {
        URIRef("http://dcat-ap.de/def/contributors/transparenzportalHamburg")
    }
    assert _objects(g, g.focus, DCATDE.politicalGeocodingURI) == {
        URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/020000000000"),
        URIRef("http://dcat-ap.de/def/politicalGeocoding/stateKey/02"),
    }
    (contact,) = _objects(g, g.focus, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Organization) in g.graph
    assert g.unknowable == frozenset()  # the package names its contributorID
    licences = {o for n in g.distributions for o in _objects(g, URIRef(n), DCTERMS.license)}
    assert licences == {URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")}
    attribution = {
        o for n in g.distributions for o in _objects(g, URIRef(n), DCATDE.licenseAttributionByText)
    }
    assert attribution == {
        Literal("Freie und Hansestadt Hamburg, Behörde für Umwelt und Energie, 2015")
    }

    # a dados.gov.br package: plain CKAN, its licence id becomes the DCAT-AP.de licence IRI
    pkg = next(p for p in br_packages if p["license_id"] == "odc-odbl" and p["resources"])
    g = by_id[pkg["id"]]
    assert _objects(g, g.focus, DCTERMS.title) == {Literal(pkg["title"])}
    assert g.unknowable == frozenset({"dcatde:contributorID"})
    res = pkg["resources"][0]
    node = URIRef(f"{g.focus}/resource/{res['id']}")
    assert g.distributions[str(node)] == res["id"]
    assert _objects(g, node, DCTERMS.license) == {URIRef("http://dcat-ap.de/def/licenses/odbl")}
    assert _objects(g, node, DCAT.accessURL) == {URIRef(res["url"].strip().replace(" ", "%20"))}


def test_incremental_snapshot_takes_carried_datasets_from_their_origin_run(br_packages, tmp_path):
    packages = copy.deepcopy(br_packages[:150])
    for i, pkg in enumerate(packages):
        pkg["metadata_modified"] = (datetime(2024, 1, 1) + timedelta(hours=2 * i)).isoformat()
    with LocalPortal(packages) as server, Warehouse(tmp_path / "w.duckdb") as wh:
        portal = Portal("inc", "Inc", "Inc", "ckan", server.url, page_size=100)
        first = harvest_portal(portal, wh)
        now = datetime.now(UTC).replace(tzinfo=None).isoformat()
        with server.lock:
            for pkg in server.packages[10:15]:
                pkg["title"] = f"{pkg['title']} (corrected)"
                pkg["metadata_modified"] = now
        second = harvest_portal(portal, wh)
        assert second.mode == "incremental"
        origins = dict(
            wh.con.execute(
                "SELECT dataset_id, origin_run FROM snapshot_members WHERE run_id = ?",
                [second.run_id],
            ).fetchall()
        )
        graphs = list(snapshot_graphs(wh, second.run_id))
        old = {g.dataset_id: g for g in snapshot_graphs(wh, first.run_id)}
    assert len(graphs) == 150 and not [g for g in graphs if g.error]
    assert set(origins.values()) == {first.run_id, second.run_id}
    corrected = {
        g.dataset_id
        for g in graphs
        if str(next(g.graph.objects(g.focus, DCTERMS.title))).endswith("(corrected)")
    }
    assert corrected == {p["id"] for p in packages[10:15]}
    for g in graphs:  # carried forward: the same graph as in the run that fetched it
        if origins[g.dataset_id] == first.run_id:
            assert isomorphic(g.graph, old[g.dataset_id].graph)


def test_ckan_licence_ids_map_as_govdatas_ckanext_dcatde_mapping(corpus):
    """Every OGD licence code of GovData's ckanext-dcatde licence mapping (recorded in the
    corpus) becomes the DCAT-AP.de IRI that mapping names."""
    path = corpus / "vocab" / "govdata-ckan" / "dcat_license_mapping.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["list"]
    assert len(entries) == 33
    got = {e["OGDLizenzcode"]: license_iri(e["OGDLizenzcode"]) for e in entries}
    assert got == {e["OGDLizenzcode"]: URIRef(e["URI"]) for e in entries}
    # an IRI is kept as written (whether it is on the list is the score's question)
    assert license_iri("https://www.dcat-ap.de/def/licenses/dl-by-de/2_0") == URIRef(
        "https://www.dcat-ap.de/def/licenses/dl-by-de/2_0"
    )
    assert license_iri(None, "no-such-licence") is None


def test_data_json_catalogues_by_the_dcat_us_crosswalk(corpus, tmp_path):
    from routeserver import RouteServer, file_reply

    for name, count in (
        ("usda.gov.data.json", 3),
        ("geospatial.data.json", 3),
        ("ny.data.json", 1),
    ):
        data = (corpus / "datajson" / name).read_bytes()
        with (
            RouteServer({"/data.json": file_reply(data, "application/json")}) as server,
            Warehouse(tmp_path / f"{name}.duckdb") as wh,
        ):
            url = server.url + "/data.json"
            portal = Portal("dj", "t", "c", "datajson", url)
            result = harvest_portal(portal, wh, make_session(per_host_rate=0))
            assert result.status == "ok"
            graphs = list(snapshot_graphs(wh, result.run_id))
            dists = set(
                wh.con.execute(
                    "SELECT dataset_id, distribution_id FROM distributions WHERE run_id = ?",
                    [result.run_id],
                ).fetchall()
            )
        assert len(graphs) == count and [g.error for g in graphs if g.error] == []
        assert {(g.dataset_id, d) for g in graphs for d in g.distributions.values()} == dists
        assert all("dcatde:contributorID" in g.unknowable for g in graphs)
        if name == "usda.gov.data.json":
            g = next(g for g in graphs if g.dataset_id == "USDA-DM-002")
            assert g.focus == URIRef(f"{url}#USDA-DM-002")
            assert _objects(g, g.focus, DCTERMS.title) == {
                Literal("Department of Agriculture Congressional Logs for Fiscal Year 2014")
            }
            assert _objects(g, g.focus, DCTERMS.modified) == {
                Literal("2014-10-03", datatype=XSD.date)
            }
            assert _objects(g, g.focus, DCTERMS.accessRights) == {
                URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC")
            }
            (publisher,) = _objects(g, g.focus, DCTERMS.publisher)
            assert _objects(g, publisher, FOAF.name) == {Literal("Department of Agriculture")}
            (point,) = _objects(g, g.focus, DCAT.contactPoint)
            assert _objects(g, point, VCARD.hasEmail) == {
                URIRef("mailto:Alexis.Graves@ocio.usda.gov")
            }
            (node,) = [URIRef(n) for n in g.distributions]
            assert _objects(g, node, DCTERMS.license) == {
                URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
            }
            assert _objects(g, node, DCAT.mediaType) == {
                URIRef("https://www.iana.org/assignments/media-types/application/vnd.ms-excel")
            }
            assert _objects(g, node, DCAT.downloadURL) == {
                URIRef(
                    "http://www.dm.usda.gov/foia/docs/Copy%20of%20ECM%20Congressional%20Logs%20FY14.xls"
                )
            }


def test_opendatasoft_explore_metadata_to_dcat_ap_de(tmp_path):
    """The documented Explore API v2.1 shape (the adapter tests' Dortmund datasets; the corpus
    holds no recorded Explore responses) served from 127.0.0.1, harvested, mapped."""
    from test_opendatasoft_adapter import RATSBESCHLUESSE, STRASSENBAEUME, Explore, dataset, serve

    explore = Explore([STRASSENBAEUME, RATSBESCHLUESSE] + [dataset(i) for i in range(30)])
    with serve(explore) as server, Warehouse(tmp_path / "w.duckdb") as wh:
        url = server.url
        portal = Portal("dortmund", "t", "c", "opendatasoft", url)
        result = harvest_portal(portal, wh, make_session(per_host_rate=0))
        assert result.status == "ok"
        graphs = list(snapshot_graphs(wh, result.run_id))
        dists = set(
            wh.con.execute(
                "SELECT dataset_id, distribution_id FROM distributions WHERE run_id = ?",
                [result.run_id],
            ).fetchall()
        )
    assert len(graphs) == 32 and [g.error for g in graphs if g.error] == []
    assert {(g.dataset_id, d) for g in graphs for d in g.distributions.values()} == dists
    by_id = {g.dataset_id: g for g in graphs}
    g = by_id["strassenbaeume"]
    assert g.focus == URIRef(f"{url}/api/v2/catalog/datasets/strassenbaeume")
    assert _objects(g, g.focus, DCTERMS.title) == {Literal("Straßenbäume")}
    assert _objects(g, g.focus, DCAT.theme) == {URIRef(f"{url}/id/theme/Umwelt%20und%20Klima")}
    assert _objects(g, g.focus, DCTERMS.accrualPeriodicity) == {
        URIRef("http://publications.europa.eu/resource/authority/frequency/MONTHLY")
    }
    (publisher,) = _objects(g, g.focus, DCTERMS.publisher)
    assert _objects(g, publisher, FOAF.name) == {Literal("Stadt Dortmund – Grünflächenamt")}
    (point,) = _objects(g, g.focus, DCAT.contactPoint)
    assert _objects(g, point, VCARD.hasEmail) == {URIRef("mailto:gruenflaechenamt@dortmund.de")}
    csv = URIRef(f"{g.focus}-csv")
    assert g.distributions[str(csv)] == "strassenbaeume/exports/csv"
    assert _objects(g, csv, DCTERMS.license) == {URIRef("https://www.govdata.de/dl-de/zero-2-0")}
    assert _objects(g, csv, DCAT.downloadURL) == {
        URIRef(f"{url}/api/explore/v2.1/catalog/datasets/strassenbaeume/exports/csv")
    }
    assert "dcatde:contributorID" in g.unknowable
    # the DCAT-AP.de template names the contributor: then it is the city's to get right
    g = by_id["ratsbeschluesse-2023"]
    assert _objects(g, g.focus, DCATDE.contributorID) == {
        URIRef("http://dcat-ap.de/def/contributors/stadtDortmund")
    }
    assert "dcatde:contributorID" not in g.unknowable


def test_dcat_portals_graphs_are_their_own_triples(corpus, tmp_path):
    """Bremen, Destatis and Berlin (ckanext-dcatde) as recorded: each dataset's graph is cut
    out of the stored page, nothing added, every distribution node on its row."""
    from rdflib import Graph
    from routeserver import RouteServer, file_reply

    cases = (
        ("dcat/bremen/bremen-catalog-original-input.rdf", 153, 237),
        ("dcat/destatis/destatis-catalog-original-input.rdf", 135, 135),
        ("dcat/berlin-ckanext-dcatde/catalog-endpoint.rdf", 6, 17),
    )
    for path, datasets, distributions in cases:
        data = (corpus / path).read_bytes()
        with (
            RouteServer({"/catalog.rdf": file_reply(data, "application/rdf+xml")}) as server,
            Warehouse(tmp_path / f"{datasets}.duckdb") as wh,
        ):
            base = server.url + "/catalog.rdf"
            portal = Portal("d", "t", "c", "dcat", base)
            result = harvest_portal(portal, wh, make_session(per_host_rate=0))
            assert result.status == "ok"
            graphs = list(snapshot_graphs(wh, result.run_id))
            dists = set(
                wh.con.execute(
                    "SELECT dataset_id, distribution_id FROM distributions WHERE run_id = ?",
                    [result.run_id],
                ).fetchall()
            )
        assert len(graphs) == datasets and [g.error for g in graphs if g.error] == []
        mapped = {(g.dataset_id, d) for g in graphs for d in g.distributions.values()}
        assert mapped == dists and len(dists) == distributions
        whole = Graph().parse(data=data, format="xml", publicID=base)

        def ground(triples) -> set:  # blank nodes are named anew by each parse
            return {t for t in triples if not any(isinstance(x, BNode) for x in t)}

        for g in graphs:
            assert g.unknowable == frozenset()
            own = ground(whole.triples((g.focus, None, None)))
            assert own and own <= set(g.graph)  # the dataset's triples, as published
            for node in g.distributions:  # and each distribution's
                assert ground(whole.triples((URIRef(node), None, None))) <= set(g.graph)
            assert ground(g.graph) <= set(whole)  # nothing added
