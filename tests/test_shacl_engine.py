"""Per-dataset SHACL validation equals pyshacl on the whole catalogue (issue 16 part 4): each
recorded catalogue of Rostock, Bremen, Destatis and Berlin is split into one graph per dataset
(checks/rdf_split.py) and validated with the shapes parsed once (checks/shacl.py); per focus
node the results are exactly what pyshacl reports on the whole graph, as GovData's validator
runs it, under the default profile (DCAT-AP.de 2.0 + Konventionen, GovData's file set). A
cyclic graph ends; a huge one is one line, not a traceback."""

from __future__ import annotations

from collections import Counter

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from checks import shacl
from checks.dcat_graph import DatasetGraph
from checks.rdf_split import dataset_graph, owned_nodes, split_catalogue

CATALOGUES = {
    "rostock": "dcat/rostock/rostock-catalog-original-input.rdf",
    "bremen": "dcat/bremen/bremen-catalog-original-input.rdf",
    "destatis": "dcat/destatis/destatis-catalog-original-input.rdf",
    "berlin": "dcat/berlin-ckanext-dcatde/catalog-endpoint.rdf",
}


@pytest.fixture(scope="module")
def shapes(corpus):
    root = corpus / "shacl" / "govdata-dcat-ap-de-validator"
    if not (root / shacl.RESOURCES / "config.properties").is_file():
        pytest.skip(f"GovData's shapes not found under {root}")
    return shacl.load_shapes(root, shacl.DEFAULT_PROFILE)


def key(row: dict) -> tuple:
    # a blank-node shape is named differently by each run: shapes are compared by IRI only
    shape = row["source_shape"]
    return (
        row["focus"], row["path"], row["value"], row["severity"], row["constraint_component"],
        None if shape is None or shape.startswith("_:") else shape,
        row["message_de"], row["message_en"],
    )  # fmt: skip


def whole_graph_keys(g: Graph, shapes: shacl.Shapes, owned: set) -> Counter:
    """pyshacl.validate on the whole graph (its own ShapesGraph), results on `owned` nodes."""
    _conforms, report, _ = pyshacl.validate(
        g + shapes.vocabulary, shacl_graph=shapes.graph, inference="none", allow_warnings=True
    )
    out: Counter = Counter()
    for res in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(res, SH.focusNode)
        if focus not in owned:
            continue
        value = report.value(res, SH.value)
        severity = str(report.value(res, SH.resultSeverity)).rpartition("#")[2]
        de, en = shacl._messages(report, res)
        row = {
            "focus": shacl._focus(focus),
            "path": shacl._name(shapes, report.value(res, SH.resultPath)),
            "value": None if value is None else str(value)[: shacl.MAX_VALUE],
            "severity": severity,
            "constraint_component": str(report.value(res, SH.sourceConstraintComponent)).rpartition(
                "#"
            )[2],
            "source_shape": shacl._name(shapes, report.value(res, SH.sourceShape)),
            "message_de": de,
            "message_en": en,
        }
        out[key(row)] += 1
    return out


@pytest.mark.parametrize("city", sorted(CATALOGUES))
def test_per_dataset_results_equal_pyshacl_on_the_whole_graph(corpus, shapes, city):
    g = Graph()
    g.parse(corpus / CATALOGUES[city])
    graphs = list(split_catalogue(g))
    assert len(graphs) == len(set(g.subjects(RDF.type, DCAT.Dataset))) > 0
    alone = list(shacl.validate_datasets(graphs, shapes, batch=1))
    ours: Counter = Counter()
    owned: set = set()
    assert [row["dataset_id"] for row, _ in alone] == [dg.dataset_id for dg in graphs]
    for dg, (row, results) in zip(graphs, alone, strict=True):
        assert row["error"] is None
        assert row["conforms"] == (row["violations"] == 0)
        ours.update(key(r) for r in results)
        owned |= owned_nodes(dg)
        for r in results:
            assert r["distribution_id"] == (r["focus"] if r["focus"] in dg.distributions else None)
    peer = whole_graph_keys(g, shapes, owned)
    assert sum(peer.values()) > 0 and any(k[6] for k in peer)  # German messages come through
    assert set(ours) == set(peer)
    # a node several datasets share (a publisher) is judged within each of them
    assert all(ours[k] >= n for k, n in peer.items())
    # batched, every dataset gets exactly the rows (and counts) it gets validated alone
    for batch in (7, shacl.BATCH):
        assert list(shacl.validate_datasets(graphs, shapes, batch=batch)) == alone, batch


def test_unknowable_paths_are_marked(corpus, shapes):
    g = Graph()
    g.parse(corpus / CATALOGUES["berlin"])
    dg = next(split_catalogue(g))
    before = shacl.validate_dataset(dg, shapes)[1]
    paths = {r["path"] for r in before if not r["unknowable"]}
    assert paths
    marked = next(p for p in sorted(paths, key=str) if p)
    dg = DatasetGraph(dg.dataset_id, dg.focus, dg.graph, dg.distributions, frozenset({marked}))
    row, results = shacl.validate_dataset(dg, shapes)

    def keyed(rows, mark=None):
        return Counter(
            (r["focus"], r["path"], r["source_shape"], r["unknowable"] or r["path"] == mark)
            for r in rows
        )

    assert keyed(results) == keyed(before, marked)
    assert row["unknowable"] == sum(r["unknowable"] for r in results) > 0
    assert any(r["path"] == marked and r["unknowable"] for r in results)


def test_the_validators_imports_are_loaded_and_a_missing_vocabulary_is_not_judged(corpus, shapes):
    """GovData's validator loads the FOAF/vCard ontologies and vocabularies its import files
    name: with them a foaf:Organization publisher is a foaf:Agent, a vcard:Organization a
    vcard:Kind, a listed licence IRI is in the licence scheme. A scheme with no local copy
    (EU frequencies, languages) cannot be judged: its results are marked unknowable."""
    assert not any(i.endswith(("foaf_0_1.rdf", "vcard.ttl")) for i in shapes.missing)
    assert "http://publications.europa.eu/resource/authority/frequency" in shapes.missing
    g = Graph()
    g.parse(corpus / CATALOGUES["bremen"])
    got: Counter = Counter()
    for dg in list(split_catalogue(g))[:20]:
        for r in shacl.validate_dataset(dg, shapes)[1]:
            if r["severity"] == "Violation":
                got[(r["path"], r["constraint_component"], r["unknowable"])] += 1
    judged = {(p, c) for p, c, u in got if not u}
    assert ("dct:publisher", "ClassConstraintComponent") not in judged
    assert ("dcat:contactPoint", "ClassConstraintComponent") not in judged
    assert ("skos:inScheme", "HasValueConstraintComponent") not in judged
    assert got[("skos:inScheme", "HasValueConstraintComponent", True)] > 0
    # what Bremen really lacks stays a violation: it sets no contributorID
    assert got[("dcatde:contributorID", "QualifiedMinCountConstraintComponent", False)] == 20


def test_a_cyclic_graph_ends_and_a_huge_one_is_one_line(shapes):
    g = Graph()
    ds, other = URIRef("http://example.org/ds"), URIRef("http://example.org/other")
    dist = URIRef("http://example.org/dist")
    a, b = BNode(), BNode()
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((other, RDF.type, DCAT.Dataset))
    g.add((other, DCTERMS.title, Literal("not this dataset's")))
    g.add((ds, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((ds, DCTERMS.publisher, a))
    g.add((a, DCTERMS.relation, b))
    g.add((b, DCTERMS.relation, a))  # a cycle
    g.add((b, DCTERMS.relation, other))  # another dataset: only its rdf:type comes along
    dg = dataset_graph(g, ds)
    assert dg.error is None and dg.distributions == {str(dist): str(dist)}
    assert (other, DCTERMS.title, None) not in dg.graph and (
        other,
        RDF.type,
        DCAT.Dataset,
    ) in dg.graph
    assert other not in owned_nodes(dg) and {ds, dist, a, b} <= owned_nodes(dg)
    row, _ = shacl.validate_dataset(dg, shapes)
    assert row["error"] is None and row["conforms"] is False
    for i in range(60):
        g.add((a, DCTERMS.description, Literal(f"line {i}")))
    huge = dataset_graph(g, ds, max_triples=50)
    assert huge.error == f"{ds}: its graph exceeds 50 triples; not validated"
    assert len(huge.graph) == 0
    row, results = shacl.validate_dataset(huge, shapes)
    assert row["conforms"] is None and row["error"] == huge.error and results == []


def test_the_dashboard_s_contributor_list_is_merged_into_the_data(corpus):
    """GovData's dashboard_live set is db-shapes.ttl + the contributor list; the list holds no
    shape, so it goes into every data graph: a recorded Bremen dataset given the listed
    contributorID of Bremen's Transparenzportal passes the contributorID check, as under
    GovData's validator, and one given an unlisted ID does not."""
    root = corpus / "shacl" / "govdata-dcat-ap-de-validator"
    if not (root / shacl.RESOURCES / "config.properties").is_file():
        pytest.skip(f"GovData's shapes not found under {root}")
    dash = shacl.load_shapes(root, "govdata-dashboard")
    assert [p.name for p in dash.files] == ["db-shapes.ttl", "dcat-ap-de-contributors.rdf"]
    assert len(dash.vocabulary) > 0 and (None, RDF.type, SH.NodeShape) not in dash.vocabulary
    g = Graph()
    g.parse(corpus / CATALOGUES["bremen"])
    contributor = URIRef("http://dcat-ap.de/def/dcatde/contributorID")
    listed = URIRef("http://dcat-ap.de/def/contributors/transparenzportalBremen")
    assert (listed, None, None) in dash.vocabulary
    dg = next(iter(split_catalogue(g)))
    assert not list(dg.graph.objects(dg.focus, contributor))

    def contributor_results(value: URIRef) -> list[dict]:
        dg.graph.set((dg.focus, contributor, value))
        _row, results = shacl.validate_dataset(dg, dash)
        return [r for r in results if r["path"] == "dcatde:contributorID"]

    assert contributor_results(listed) == []
    assert contributor_results(URIRef("http://dcat-ap.de/def/contributors/noSuchPortal"))
