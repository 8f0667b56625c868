"""What a snapshot's DCAT-AP.de graph is, as SHACL validation receives it (issue 16).

One :class:`DatasetGraph` per dataset of a snapshot: the triples a standard mapping would
publish for it (the portal's own triples for ``dcat`` portals; ckanext-dcat(de)'s reading of
CKAN/DKAN fields, Opendatasoft's metadata, the DCAT-US -> DCAT-AP crosswalk for data.json),
its distributions' nodes mapped back to the warehouse's ``distribution_id`` so every SHACL
result lands on a row the fix list can name, and the paths the platform's API cannot supply
(reported as "unknowable", never counted against the city). The mappings build these
(``flows/adapters/*_dcat.py``); ``checks/shacl.py`` validates them; ``warehouse/shacl.py``
stores the results in the tables of ``warehouse/schema_shacl.sql``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from rdflib import Graph
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class DatasetGraph:
    dataset_id: str  # dataset_rows.dataset_id of the snapshot
    focus: Node  # the dcat:Dataset node
    # its triples, its distributions', and those of the nodes they point at: a Graph (the
    # mappings build one) or the triples themselves (the catalogue split: no Graph is built
    # unless `.graph` is asked for, since validation copies them into one graph per batch)
    content: Graph | tuple[Triple, ...]
    # str(node) of each dcat:Distribution of the dataset -> distribution_rows.distribution_id
    distributions: Mapping[str, str] = field(default_factory=dict)
    # sh:resultPath CURIEs (e.g. "dcatde:contributorID") the platform's API cannot supply,
    # or only an aggregator sets: results on them are stored with unknowable = true
    unknowable: frozenset[str] = frozenset()
    error: str | None = None  # one line when the graph could not be built (then graph is empty)

    @property
    def graph(self) -> Graph:
        """The triples as an rdflib Graph (built once when they came as triples; from then on
        that Graph is what :meth:`triples` reads, so a change made to it counts)."""
        if isinstance(self.content, Graph):
            return self.content
        built = self.__dict__.get("_graph")
        if built is None:
            built = Graph()
            for triple in self.content:
                built.add(triple)
            object.__setattr__(self, "_graph", built)
        return built

    def triples(self) -> Iterator[Triple]:
        graph = self.content if isinstance(self.content, Graph) else self.__dict__.get("_graph")
        return iter(graph if graph is not None else self.content)

    def size(self) -> int:
        graph = self.content if isinstance(self.content, Graph) else self.__dict__.get("_graph")
        return len(graph if graph is not None else self.content)

    def __reduce__(self):
        # pickled (to a validation worker) as plain triples: ~8x cheaper to unpickle than an
        # rdflib Graph, and the worker copies them into its batch's graph anyway
        return (
            DatasetGraph,
            (self.dataset_id, self.focus, tuple(self.triples()), self.distributions,
             self.unknowable, self.error),
        )  # fmt: skip
