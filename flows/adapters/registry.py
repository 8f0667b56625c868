"""ADAPTERS: each platform's adapter and what it can do, the one table flows/harvest.py
(and reparse, scheduled) read instead of branching on platform names.

Every fetch has the one signature `Fetch`; every parse turns one raw record into a dataset
record and its distribution records (`Parse`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import requests

from flows.adapters.ckan import harvest_ckan
from flows.adapters.ckan_parse import parse_package
from flows.adapters.datajson import fetch_datajson, parse_datajson_dataset
from flows.adapters.dcat import fetch_dcat
from flows.adapters.dcat_parse import parse_dcat_dataset
from flows.adapters.opendatasoft import fetch_opendatasoft
from flows.adapters.opendatasoft_parse import parse_ods_dataset
from flows.adapters.records import DatasetRecord, DistributionRecord, HarvestStats, Response
from flows.adapters.source import Source


class Fetch(Protocol):
    """Yield batches of raw records; every answer to `on_page`, the stats to `stats_out`."""

    def __call__(
        self,
        source: Source,
        session: requests.Session,
        on_page: Callable[[Response], None],
        stats_out: list[HarvestStats] | None = None,
        /,
        *,
        since: datetime | None = None,
        known: Iterable[str] | None = None,
    ) -> Iterator[list[dict]]: ...


# one raw record, portal id, portal URL, run id -> (dataset record, distribution records)
Parse = Callable[[dict, str, str, str], tuple[DatasetRecord, list[DistributionRecord]]]


@dataclass(frozen=True)
class Adapter:
    fetch: Fetch
    parse: Parse
    # fetch accepts since= (only what changed since then, plus in stats.current the keys of
    # every dataset the portal lists now)
    incremental: bool
    # the change filter cannot show deletions: fetch also wants known= (the previous
    # snapshot's dataset ids) to judge whether anything was deleted
    needs_known_ids: bool
    paging: str  # how the catalogue is read, in a few words


ADAPTERS: dict[str, Adapter] = {
    "ckan": Adapter(
        harvest_ckan,
        parse_package,
        incremental=True,
        needs_known_ids=False,
        paging="package_search start/rows, package_list + package_show fallback",
    ),
    # DKAN serves no package_search: package_list + package_show, in full every time
    "dkan": Adapter(
        harvest_ckan,
        parse_package,
        incremental=False,
        needs_known_ids=False,
        paging="package_list + package_show",
    ),
    "opendatasoft": Adapter(
        fetch_opendatasoft,
        parse_ods_dataset,
        incremental=True,
        needs_known_ids=True,
        paging="Explore API v2.1 limit/offset (below 10000)",
    ),
    "dcat": Adapter(
        fetch_dcat,
        parse_dcat_dataset,
        incremental=True,
        needs_known_ids=True,
        paging="Hydra nextPage links",
    ),
    # one file holds the whole catalogue: in full every time
    "datajson": Adapter(
        fetch_datajson,
        parse_datajson_dataset,
        incremental=False,
        needs_known_ids=False,
        paging="one file",
    ),
}
