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

from checks.dcat_graph import DatasetGraph

MAX_TRIPLES = 50_000


def boundary_nodes(g: Graph) -> set[Node]:
    """Nodes a dataset's subgraph stops at: every dataset and catalogue of the graph."""
    return set(g.subjects(RDF.type, DCAT.Dataset)) | set(g.subjects(RDF.type, DCAT.Catalog))


def reach(g: Graph, start: Node, boundary: set[Node], max_triples: int) -> tuple[Graph, set[Node]]:
    """The subgraph reached from `start` and the nodes it owns (traversed), or raise
    OverflowError past `max_triples`."""
    sub = Graph()
    owned: set[Node] = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for p, o in g.predicate_objects(node):
            sub.add((node, p, o))
            if len(sub) > max_triples:
                raise OverflowError(len(sub))
            if not isinstance(o, (URIRef, BNode)) or o in owned:
                continue
            if o in boundary:
                for t in g.objects(o, RDF.type):
                    sub.add((o, RDF.type, t))
                continue
            owned.add(o)
            todo.append(o)
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
        sub, _owned = reach(
            g, focus, boundary_nodes(g) if boundary is None else boundary, max_triples
        )
    except OverflowError:
        return DatasetGraph(
            ident,
            focus,
            Graph(),
            error=f"{focus}: its graph exceeds {max_triples} triples; not validated",
        )
    dists = {str(d): str(d) for d in sub.objects(focus, DCAT.distribution)}
    return DatasetGraph(ident, focus, sub, dists)


def owned_nodes(dg: DatasetGraph) -> set[Node]:
    """The nodes whose SHACL results belong to this dataset: every node of its graph except the
    other datasets and catalogues it points at (kept there only for their rdf:type)."""
    nodes = set(dg.graph.subjects()) | {
        o for o in dg.graph.objects() if isinstance(o, (URIRef, BNode))
    }
    others = {
        s
        for s, t in dg.graph.subject_objects(RDF.type)
        if s != dg.focus and t in (DCAT.Dataset, DCAT.Catalog)
    }
    return (nodes - others) | {dg.focus}
