"""A snapshot's DCAT-AP.de graphs, one :class:`DatasetGraph` per member dataset (issue 16).

`snapshot_graphs(wh_or_con, run_id)` replays the stored raw pages of the run that fetched
each member dataset (the snapshot's own run, or for an incremental snapshot's carried-forward
datasets the earlier run they come from), exactly as `odwatch reparse` replays them
(flows/reparse.py: the platform's fetch on a ReplaySession, the current parse), and hands
every raw document with its parsed records to its platform's mapping
(``flows/adapters/<platform>_dcat.py``). The distribution nodes carry the parsed records'
``distribution_id``s, so every SHACL result lands on a stored row.

A dataset whose graph cannot be built (no mapping for the platform, an origin run whose
pages no longer replay, a dataset its pages do not hold) comes back with ``error`` set to
one line and an empty graph; the others are unaffected. Graphs come in dataset_id order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any

from rdflib import BNode, Graph

from checks.dcat_graph import DatasetGraph
from flows.adapters.ckan_dcat import ckan_graph
from flows.adapters.datajson_dcat import datajson_graph
from flows.adapters.dcat_dcat import page_graphs
from flows.adapters.errors import PortalError
from flows.adapters.opendatasoft_dcat import opendatasoft_graph
from flows.adapters.records import DatasetRecord, DistributionRecord
from flows.config import Portal
from flows.harvest import ADAPTERS
from flows.reparse import ReplaySession, StoredPage, _changes_only
from warehouse.dcat_graphs import snapshot_origins
from warehouse.reparse import previous_ids, run_row
from warehouse.store import WarehouseError, stored_pages

# platform -> (raw document, portal url, dataset record, distribution records) -> graph
Mapping = Callable[[Any, str, DatasetRecord, list[DistributionRecord]], DatasetGraph]
MAPPINGS: dict[str, Mapping] = {
    "ckan": ckan_graph,
    "dkan": ckan_graph,
    "datajson": datajson_graph,
    "opendatasoft": opendatasoft_graph,
}


def _failed(dataset_id: str, error: str) -> DatasetGraph:
    return DatasetGraph(dataset_id, BNode(), Graph(), error=error)


def _pages(con, run_id: str) -> list[StoredPage]:
    pages = [StoredPage(*row) for row in stored_pages(con, run_id)]
    if not pages:
        raise WarehouseError(f"run '{run_id}' has no stored raw pages")
    return pages


def _dcat_graphs(con, origin: str, wanted: set[str]) -> dict[str, DatasetGraph]:
    """A dcat run's datasets: their own triples, cut out of the stored page each came in."""
    portal_id, _platform, api_url = run_row(con, origin)[:3]
    out: dict[str, DatasetGraph] = {}
    for page in _pages(con, origin):
        todo = wanted - out.keys()
        if not todo:
            break
        try:
            found = list(
                page_graphs(
                    page.body, page.content_type, page.url, portal_id, api_url, origin, todo
                )
            )
        except ValueError as exc:  # a page that no longer parses
            line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise WarehouseError(f"stored page {page.seq} no longer parses: {line}") from None
        for graph in found:
            out.setdefault(graph.dataset_id, graph)
    return out


def _replay(con, run_id: str) -> tuple[str, Iterator[tuple[Any, DatasetRecord, list]]]:
    """(api_url, iterator of (raw document, dataset record, distribution records)) of the
    run's stored pages, replayed through the current adapter as `odwatch reparse` does."""
    row = run_row(con, run_id)
    if row is None:
        raise WarehouseError(f"no harvest run '{run_id}'")
    portal_id, platform, api_url, organization, _status, started_at = row
    pages = _pages(con, run_id)
    adapter = ADAPTERS[platform]
    portal = Portal(portal_id, portal_id, portal_id, platform, api_url, organization=organization)
    kwargs: dict = {}
    if any(_changes_only(p.url) for p in pages):
        kwargs["since"] = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
        if adapter.needs_known_ids:
            kwargs["known"] = previous_ids(con, portal_id, started_at)
    session = ReplaySession(run_id, pages)

    def documents():
        for batch in adapter.fetch(portal.source, session, lambda resp: None, [], **kwargs):
            for raw in batch:
                dataset, dists = adapter.parse(raw, portal_id, api_url, run_id)
                yield raw, dataset, dists

    return api_url, documents()


def _origin_graphs(con, origin: str, wanted: set[str]) -> dict[str, DatasetGraph]:
    """The graphs of the wanted datasets out of one origin run's pages."""
    row = run_row(con, origin)
    platform = row[1] if row else None
    mapping = MAPPINGS.get(platform or "")
    if mapping is None and platform != "dcat":
        reason = f"no DCAT-AP.de mapping for platform '{platform}' yet"
        return {d: _failed(d, reason) for d in wanted}
    out: dict[str, DatasetGraph] = {}
    try:
        if platform == "dcat":
            out = _dcat_graphs(con, origin, wanted)
            documents = iter(())
        else:
            api_url, documents = _replay(con, origin)
        for raw, dataset, dists in documents:
            dataset_id = dataset["dataset_id"]
            if dataset_id in wanted and dataset_id not in out:
                try:
                    out[dataset_id] = mapping(raw, api_url, dataset, dists)
                except (ValueError, TypeError, KeyError) as exc:
                    out[dataset_id] = _failed(dataset_id, f"mapping failed: {exc}")
    except (WarehouseError, PortalError) as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = f"run '{origin}': its stored pages do not replay: {line}"
        return {d: out.get(d) or _failed(d, reason) for d in wanted}
    for dataset_id in wanted - out.keys():
        out[dataset_id] = _failed(
            dataset_id, f"run '{origin}': dataset not found in its stored pages"
        )
    return out


def snapshot_graphs(
    wh_or_con, run_id: str, skip: frozenset[str] | set[str] = frozenset()
) -> Iterator[DatasetGraph]:
    """One DatasetGraph per member dataset of snapshot ``run_id`` but those in `skip`, in
    dataset_id order (an origin run none of whose datasets is wanted is not replayed)."""
    con = getattr(wh_or_con, "con", wh_or_con)
    by_origin: dict[str, set[str]] = {}
    order = [o for o in snapshot_origins(con, run_id) if o[0] not in skip]
    for dataset_id, origin in order:
        by_origin.setdefault(origin, set()).add(dataset_id)
    graphs: dict[tuple[str, str], DatasetGraph] = {}
    for origin, wanted in sorted(by_origin.items()):
        for dataset_id, graph in _origin_graphs(con, origin, wanted).items():
            graphs[(dataset_id, origin)] = graph
    for key in order:
        yield graphs.pop(key)
