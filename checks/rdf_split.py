"""Split a DCAT catalogue graph into one subgraph per dataset (issue 16).

SHACL shapes judge one dataset at a time, so a catalogue is validated as many small graphs
instead of one big one: each :class:`~checks.dcat_graph.DatasetGraph` holds the dataset node's
triples, its distributions' and those of every node they reach (publisher, contact point,
licence document, temporal/spatial nodes, ...) that is not another ``dcat:Dataset`` or
``dcat:Catalog``; of those boundary nodes it keeps only their ``rdf:type``, which is what a
``sh:class`` constraint asks of a referenced node. Blank nodes keep their identity, so a result
on ``_:b0`` names the same node as a whole-graph validation would. Cycles end where a node was
seen before; a dataset reaching more than ``max_triples`` triples gets a one-line ``error``
and an empty graph instead (a huge or runaway graph never takes a run down).
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF
from rdflib.term import BNode, Node

from checks.dcat_graph import DatasetGraph, Triple

MAX_TRIPLES = 50_000


def boundary_nodes(g: Graph) -> set[Node]:
    """Nodes a dataset's subgraph stops at: every dataset and catalogue of the graph."""
    return set(g.subjects(RDF.type, DCAT.Dataset)) | set(g.subjects(RDF.type, DCAT.Catalog))


def reach_triples(
    g: Graph, start: Node, boundary: set[Node], max_triples: int
) -> tuple[list[Triple], set[Node]]:
    """The triples reached from `start` (each once) and the nodes it owns (traversed), or
    raise OverflowError past `max_triples`."""
    out: list[Triple] = []
    owned: set[Node] = {start}
    typed: set[Node] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        for p, o in g.predicate_objects(node):
            out.append((node, p, o))
            if len(out) > max_triples:
                raise OverflowError(len(out))
            if not isinstance(o, (URIRef, BNode)) or o in owned:
                continue
            if o in boundary:
                if o not in typed:
                    typed.add(o)
                    out.extend((o, RDF.type, t) for t in g.objects(o, RDF.type))
                continue
            owned.add(o)
            todo.append(o)
    return out, owned


def reach(g: Graph, start: Node, boundary: set[Node], max_triples: int) -> tuple[Graph, set[Node]]:
    """reach_triples as a Graph (with `g`'s prefixes bound)."""
    triples, owned = reach_triples(g, start, boundary, max_triples)
    sub = Graph()
    for triple in triples:
        sub.add(triple)
    for prefix, ns in g.namespace_manager.namespaces():
        sub.namespace_manager.bind(prefix, ns, override=False)
    return sub, owned


def split_catalogue(g: Graph, max_triples: int = MAX_TRIPLES) -> Iterator[DatasetGraph]:
    """One DatasetGraph per ``dcat:Dataset`` of `g`, in IRI order; ``dataset_id`` and the
    distribution ids are the nodes' own IRIs (a caller maps them to warehouse ids)."""
    boundary = boundary_nodes(g)
    for focus in sorted(g.subjects(RDF.type, DCAT.Dataset), key=str):
        yield dataset_graph(g, focus, boundary, max_triples)


def dataset_graph(
    g: Graph,
    focus: Node,
    boundary: set[Node] | None = None,
    max_triples: int = MAX_TRIPLES,
    dataset_id: str | None = None,
) -> DatasetGraph:
    ident = dataset_id or str(focus)
    try:
        triples, _owned = reach_triples(
            g, focus, boundary_nodes(g) if boundary is None else boundary, max_triples
        )
    except OverflowError:
        return DatasetGraph(
            ident,
            focus,
            Graph(),
            error=f"{focus}: its graph exceeds {max_triples} triples; not validated",
        )
    dists = {str(o): str(o) for s, p, o in triples if s == focus and p == DCAT.distribution}
    return DatasetGraph(ident, focus, tuple(triples), dists)


def owned_nodes(dg: DatasetGraph) -> set[Node]:
    """The nodes whose SHACL results belong to this dataset: every node of its graph except the
    other datasets and catalogues it points at (kept there only for their rdf:type)."""
    nodes: set[Node] = set()
    others: set[Node] = set()
    for s, p, o in dg.triples():
        nodes.add(s)
        if isinstance(o, (URIRef, BNode)):
            nodes.add(o)
            if p == RDF.type and (o == DCAT.Dataset or o == DCAT.Catalog) and s != dg.focus:
                others.add(s)
    return (nodes - others) | {dg.focus}
