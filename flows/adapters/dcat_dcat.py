"""`dcat` portals' DCAT-AP.de graphs (issue 16): the portal publishes DCAT-AP(.de) itself, so
a dataset's graph is its own triples, cut out of the stored catalogue page it came in by
``checks/rdf_split.py`` (the dataset node, its distributions and every node they reach short
of another dataset or catalogue). Nothing is mapped or added.

Each stored page is read twice: by the adapter's own reader (``rdfpage.read_page`` and
``dcat_parse.parse_dcat_dataset``, for the dataset and distribution ids the warehouse holds)
and by rdflib (for the triples). A distribution node maps to its row by its IRI, or for a
blank node by its accessURL / downloadURL, as the parse keys them. A dataset that is a blank
node cannot be found again in the page: its graph gets a one-line error.

What a DCAT portal cannot supply: nothing; it publishes what it publishes (unknowable is
empty, every result counts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT
from rdflib.term import BNode, Node

from checks.dcat_graph import DatasetGraph
from checks.rdf_split import boundary_nodes, dataset_graph
from flows.adapters.dcat_parse import parse_dcat_dataset
from flows.adapters.rdfpage import _quiet_rdflib, _strip_remote_contexts, rdf_format, read_page
from flows.adapters.records import DistributionRecord


def page_graph(content: str, fmt: str, base: str) -> Graph:
    """One stored page as an rdflib graph (remote JSON-LD contexts never fetched)."""
    g = Graph()
    with _quiet_rdflib():
        if fmt == "json-ld":
            doc = _strip_remote_contexts(json.loads(content), [])
            g.parse(data=json.dumps(doc), format="json-ld", publicID=base)
        else:
            g.parse(data=content, format=fmt, publicID=base)
    return g


def _node_key(g: Graph, node: Node) -> str | None:
    if isinstance(node, URIRef):
        return str(node)
    for prop in (DCAT.accessURL, DCAT.downloadURL):
        for value in g.objects(node, prop):
            return str(value)
    return None


def _row_ids(distributions: list[DistributionRecord]) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in distributions:
        own = d["distribution_id"]
        if own != f"{d['dataset_id']}#{d['position']}":  # the distribution's own IRI
            out.setdefault(own, own)
        for url in (d["access_url"], d["download_url"]):
            if url:
                out.setdefault(url, own)
    return out


def page_graphs(
    content: str,
    content_type: str | None,
    url: str,
    portal_id: str,
    api_url: str,
    run_id: str,
    wanted: set[str],
) -> Iterator[DatasetGraph]:
    """The DatasetGraphs of the wanted datasets in one stored page (none if it is no RDF)."""
    fmt = rdf_format(content_type, url, content)
    if fmt is None:
        return
    records = read_page(content, fmt, url).datasets
    if not any(r for r in records):
        return
    g = page_graph(content, fmt, url)
    boundary = boundary_nodes(g)
    for record in records:
        dataset, dists = parse_dcat_dataset(record, portal_id, api_url, run_id)
        dataset_id = dataset["dataset_id"]
        if dataset_id not in wanted:
            continue
        own = record.get("@id")
        if not own:
            yield DatasetGraph(
                dataset_id,
                BNode(),
                Graph(),
                error="the dataset is a blank node: its triples cannot be cut out of the page",
            )
            continue
        dg = dataset_graph(g, URIRef(own), boundary, dataset_id=dataset_id)
        if dg.error:
            yield dg
            continue
        ids = _row_ids(dists)
        nodes = {}
        for node in g.objects(dg.focus, DCAT.distribution):  # the page's triples are the dataset's
            key = _node_key(g, node)
            if key in ids:
                nodes[str(node)] = ids[key]
        yield DatasetGraph(dataset_id, dg.focus, dg.content, nodes, frozenset())
