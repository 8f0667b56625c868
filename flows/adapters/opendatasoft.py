"""Opendatasoft portals through the Explore API v2.1 (Dortmund: open-data.dortmund.de).

Fetch half: `fetch_opendatasoft()` pages through `/api/explore/v2.1/catalog/datasets` with
`limit` (at most 100, the API's maximum without group_by) and `offset`, ordered by
`dataset_id` so pages do not shift, checks what it got against `total_count`, and hands every
answer to `on_page`. The API refuses `offset + limit` of 10000 or more; a larger catalogue is
harvested up to there, with a warning. Which export formats a dataset offers depends on
whether it has geometry: the adapter asks `/catalog/datasets/{id}/exports` once for a dataset
without and once for one with the `geo` feature, and adds the answer to each record under
`_odwatch_exports` (the documented lists are used, with a warning, if that endpoint fails).
`organization:` on a shared portal refines on the `publisher` facet.

Incremental harvests (`since=`): the same paging, filtered with the ODSQL condition
`where=modified >= date'<since, ISO 8601 UTC>'`, fetches only the datasets changed since
then; one `/catalog/exports/json?select=dataset_id` (no 10000 cap) lists every dataset id the
portal has now, for `stats.current`, so the caller carries the unchanged ones forward and
drops the deleted ones. With `known=` (the previous snapshot's ids) a dataset listed now but
neither known nor changed (added with an older `modified`) is fetched by id as well. Where
the filter is refused or the id export is unusable, the same call harvests in full and says
so in a warning.

The parse half, `parse_ods_dataset()`, is in `flows.adapters.opendatasoft_parse`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson
import requests

from flows.adapters.errors import PortalError, PortalIncompatible, PortalUnavailable
from flows.adapters.fields import utc_stamp
from flows.adapters.opendatasoft_parse import API, EXPORTS_KEY
from flows.adapters.pages import (
    DEFAULT_TIMEOUT,
    Page,
    get_page,
    json_error,
    looks_like_html,
    snippet,
)
from flows.adapters.records import HarvestStats, Response
from flows.adapters.source import Source

MAX_LIMIT = 100
MAX_WINDOW = 10_000  # offset + limit must stay below this

# The dataset export formats of the Explore API v2.1 reference (enum-format-datasets);
# the geographic ones only exist for datasets with the `geo` feature.
EXPORT_FORMATS = ("csv", "json", "jsonl", "jsonld", "n3", "parquet", "rdfxml", "turtle", "xlsx")
GEO_EXPORT_FORMATS = ("fgb", "geojson", "gpx", "kml", "ov2", "shp")


def _json(page, what: str) -> Any:
    where = page.response.url
    if looks_like_html(page.content):
        raise PortalIncompatible(
            f"{where}: expected Opendatasoft Explore API JSON ({what}), got "
            f"{page.response.content_type or 'no content type'}: '{snippet(page.response.body)}'"
        )
    try:
        return orjson.loads(page.content)
    except orjson.JSONDecodeError as exc:
        raise json_error(where, exc) from None


def _getter(
    session: requests.Session,
    source: Source,
    on_page: Callable[[Response], None],
    stats: HarvestStats,
    timeout: float | tuple[float, float],
    retries: int,
) -> Callable[..., Page]:
    """get(url, params=None): one recorded GET of this harvest (see pages.get_page)."""

    def get(url: str, params: dict[str, Any] | None = None) -> Page:
        return get_page(
            session,
            url,
            on_page,
            stats,
            params=params,
            timeout=timeout,
            retries=retries,
            max_bytes=source.max_response_bytes,
        )

    return get


def is_geo(dataset: dict) -> bool:
    features = dataset.get("features")
    return isinstance(features, list) and "geo" in features


class _Incomplete(Exception):
    """The change filter or the id list is unusable: harvest in full."""


def changed_since_where(since: datetime) -> str:
    """The ODSQL `where` condition for datasets whose `modified` is at or after `since`."""
    return f"modified >= date'{utc_stamp(since)}'"


def fetch_opendatasoft(
    portal: Source,
    session: requests.Session,
    on_page: Callable[[Response], None],
    stats_out: list[HarvestStats] | None = None,
    *,
    since: datetime | None = None,
    known: Iterable[str] | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 2,
) -> Iterator[list[dict]]:
    """Yield batches of dataset objects (with `_odwatch_exports`); `stats_out` gets the stats.

    With `since`, only the datasets whose `modified` is at or after it are fetched, and
    `stats.current` gets every dataset id the portal lists now (`stats.mode` "incremental").
    With `known` (the previous snapshot's ids) too, listed ids neither known nor changed are
    fetched one by one; without it, a dataset added with a `modified` before `since` is
    missed until the next full harvest. If the filter or the id list is unusable, everything
    is harvested in the same call (`stats.mode` "full", with a warning); an unreachable
    portal still raises PortalUnavailable.

    Limitation: `modified` is the dataset's own modified date, which a portal may leave alone
    on some edits (`modified_updates_on_metadata_change` / `_on_data_change` off, or set by
    hand); such an edit is caught by the periodic full harvest (`full_every`).
    """
    stats = HarvestStats(method="explore-v2.1")
    if stats_out is not None:
        stats_out.append(stats)
    get = _getter(session, portal, on_page, stats, timeout, retries)
    refine = {"refine": f'publisher:"{portal.organization}"'} if portal.organization else {}
    exports: dict[bool, list[str]] = {}
    seen: set[str] = set()

    def fresh(url: str, results: list) -> list[dict]:
        """The datasets not yielded before, each with its export formats."""
        batch = []
        for ds in results:
            if not isinstance(ds, dict) or not isinstance(ds.get("dataset_id"), str):
                raise PortalIncompatible(
                    f"{url}: a dataset without dataset_id: {snippet(repr(ds))}"
                )
            if ds["dataset_id"] in seen:
                continue
            seen.add(ds["dataset_id"])
            geo = is_geo(ds)
            if ds.get("has_records") and geo not in exports:
                exports[geo] = _export_formats(get, portal, ds["dataset_id"], geo, stats)
            batch.append({**ds, EXPORTS_KEY: exports.get(geo, []) if ds.get("has_records") else []})
        return batch

    def pages(where: str | None = None) -> Iterator[list[dict]]:
        """Page through catalog/datasets (only the datasets matching `where`, if given)."""
        base = f"{portal.url}{API}/catalog/datasets"
        limit = max(1, min(portal.page_size, MAX_LIMIT))
        params: dict[str, Any] = {"order_by": "dataset_id", **refine}
        if where is not None:
            params["where"] = where
        found: set[str] = set()
        offset = 0
        total: int | None = None
        capped = False
        while True:
            size = min(limit, MAX_WINDOW - 1 - offset)
            if size <= 0:
                capped = True
                stats.warnings.append(
                    f"the Explore API pages only the first {MAX_WINDOW - 1} datasets; "
                    f"{(total or 0) - offset} not harvested"
                )
                break
            page = get(base, {**params, "limit": size, "offset": offset})
            doc = _json(page, "catalog/datasets")
            if not (
                isinstance(doc, dict)
                and isinstance(doc.get("total_count"), int)
                and isinstance(doc.get("results"), list)
            ):
                keys = ", ".join(list(doc)[:5]) if isinstance(doc, dict) else type(doc).__name__
                raise PortalIncompatible(
                    f"{page.response.url}: not an Explore API v2.1 datasets answer "
                    f"(no total_count/results; keys: {keys})"
                )
            total = doc["total_count"]
            if where is not None and total > MAX_WINDOW - 1:
                raise _Incomplete(
                    f"{page.response.url}: {total} datasets changed, more than the "
                    f"{MAX_WINDOW - 1} the Explore API pages"
                )
            stats.expected_count = total
            results = doc["results"]
            batch = fresh(page.response.url, results)
            found.update(ds["dataset_id"] for ds in results)
            if batch:
                yield batch
            offset += len(results)
            if not results or offset >= total:
                break
        if total is not None and len(found) < total and not capped:
            what = "datasets" if where is None else "changed datasets"
            stats.warnings.append(f"portal reports {total} {what}, harvested {len(found)}")

    def by_id(ids: list[str]) -> Iterator[list[dict]]:
        """Fetch these datasets one by one from catalog/datasets/{id}."""
        if len(ids) > MAX_LIMIT:
            raise _Incomplete(
                f"{len(ids)} datasets listed that are neither known nor changed, too many "
                "to fetch one by one"
            )
        for dataset_id in ids:
            url = f"{portal.url}{API}/catalog/datasets/{quote(dataset_id, safe='')}"
            page = get(url)
            doc = _json(page, "catalog/datasets/{id}")
            if not (isinstance(doc, dict) and doc.get("dataset_id") == dataset_id):
                raise PortalIncompatible(
                    f"{page.response.url}: not the dataset {dataset_id}: {snippet(repr(doc))}"
                )
            batch = fresh(page.response.url, [doc])
            if batch:
                yield batch

    if since is not None:
        stats.mode = "incremental"
        try:
            try:
                yield from pages(changed_since_where(since))
            except PortalUnavailable:
                raise
            except PortalError as exc:
                raise _Incomplete(f"the modified filter is unusable: {exc}") from None
            try:
                current = _current_ids(get, portal, refine)
            except PortalUnavailable:
                raise
            except PortalError as exc:
                raise _Incomplete(f"the dataset id export is unusable: {exc}") from None
            if known is not None:
                old = set(known)
                try:
                    yield from by_id([i for i in current if i not in seen and i not in old])
                except PortalUnavailable:
                    raise
                except PortalError as exc:
                    raise _Incomplete(f"a new dataset could not be fetched: {exc}") from None
            stats.current = current
            stats.expected_count = len(current)
            return
        except _Incomplete as exc:
            stats.warnings.append(f"incremental harvest impossible ({exc}); harvested in full")
            stats.mode = "full"
    yield from pages()


def _current_ids(get: Callable[..., Page], portal: Source, refine: dict) -> list[str]:
    """Every dataset id the portal lists now, from one catalog export (no 10000 cap)."""
    url = f"{portal.url}{API}/catalog/exports/json"
    page = get(url, {"select": "dataset_id", **refine})
    doc = _json(page, "catalog/exports/json")
    if not isinstance(doc, list) or not all(
        isinstance(row, dict) and isinstance(row.get("dataset_id"), str) for row in doc
    ):
        raise PortalIncompatible(
            f"{page.response.url}: not a list of dataset ids: {snippet(page.response.body)}"
        )
    return list(dict.fromkeys(row["dataset_id"] for row in doc))


def _export_formats(
    get: Callable[..., Page], portal: Source, dataset_id: str, geo: bool, stats: HarvestStats
) -> list[str]:
    url = f"{portal.url}{API}/catalog/datasets/{quote(dataset_id, safe='')}/exports"
    documented = list(EXPORT_FORMATS + (GEO_EXPORT_FORMATS if geo else ()))
    try:
        page = get(url)
        doc = _json(page, "exports")
    except PortalIncompatible as exc:
        stats.warnings.append(f"export formats unknown ({exc}); assumed the documented ones")
        return documented
    links = doc.get("links") if isinstance(doc, dict) else None
    formats = [
        link["rel"]
        for link in links or []
        if isinstance(link, dict) and isinstance(link.get("rel"), str) and link["rel"] != "self"
    ]
    if not formats:
        stats.warnings.append(f"{url}: no export links; assumed the documented formats")
        return documented
    return formats
