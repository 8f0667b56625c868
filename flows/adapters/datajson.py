"""data.json catalogues (DCAT-US / Project Open Data 1.1, also the older 1.0 bare list).

Socrata, ArcGIS Hub, CKAN's ckanext-datajson and US agencies publish one `data.json` with
every dataset. Fetch half: `fetch_datajson()` GETs `portal.url` (the data.json URL) once,
hands the answer to `on_page` and yields the dataset objects in batches. Parse half:
`parse_datajson_dataset()` maps one dataset object to the common records, pure.

DCAT-US has no distribution licence and no distribution ids: the dataset's `license` goes
to datasets.license_raw, distributions are numbered `<dataset_id>#<position>`. `accessLevel`
(public / restricted public / non-public) is the dataset's access_rights; `temporal` is an
ISO 8601 interval `start/end`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
import requests

from flows.adapters.errors import PortalIncompatible
from flows.adapters.fields import content_id, email, interval, natural, strings, text
from flows.adapters.pages import DEFAULT_TIMEOUT, get_page, json_error, looks_like_html, snippet
from flows.adapters.records import (
    DatasetRecord,
    DistributionRecord,
    HarvestStats,
    Response,
    dataset_record,
    distribution_record,
)
from flows.adapters.source import Source

BATCH = 500
ACCEPT = "application/json, application/ld+json;q=0.9, */*;q=0.1"


def datasets_of(doc: Any) -> list | None:
    """The dataset list of a data.json document (1.1: {"dataset": [...]}, 1.0: [...])."""
    if isinstance(doc, dict) and isinstance(doc.get("dataset"), list):
        return doc["dataset"]
    if isinstance(doc, list) and all(isinstance(d, dict) and "title" in d for d in doc[:20]):
        return doc
    return None


def _publisher_name(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def fetch_datajson(
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
    """Yield the catalogue's dataset objects in batches; `stats_out` receives the stats.

    One file holds the whole catalogue: `since` and `known` are accepted (the one fetch
    signature) and ignored, every harvest is a full one."""
    stats = HarvestStats(method="data.json")
    if stats_out is not None:
        stats_out.append(stats)
    page = get_page(
        session,
        portal.url,
        on_page,
        stats,
        timeout=timeout,
        accept=ACCEPT,
        retries=retries,
        max_bytes=portal.max_response_bytes,
    )
    where = page.response.url
    if looks_like_html(page.content):
        raise PortalIncompatible(
            f"{where}: expected a data.json catalogue, got "
            f"{page.response.content_type or 'no content type'}: '{snippet(page.response.body)}'"
        )
    try:
        doc = orjson.loads(page.content)
    except orjson.JSONDecodeError as exc:
        raise json_error(where, exc) from None
    datasets = datasets_of(doc)
    if datasets is None:
        keys = ", ".join(list(doc)[:5]) if isinstance(doc, dict) else type(doc).__name__
        raise PortalIncompatible(f"{where}: JSON without a 'dataset' list (keys: {keys})")
    stats.expected_count = len(datasets)
    seen: set[str] = set()
    duplicates = 0
    batch: list[dict] = []
    for item in datasets:
        if not isinstance(item, dict):
            raise PortalIncompatible(
                f"{where}: a dataset is not a JSON object: {snippet(repr(item))}"
            )
        if portal.organization and (_publisher_name(item.get("publisher")) or "").lower() != (
            portal.organization.lower()
        ):
            continue
        key = _dataset_id(item)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
    if duplicates:
        stats.warnings.append(f"{duplicates} datasets repeat an earlier identifier; kept the first")


# ---------------------------------------------------------------- parse half (pure)


def _text(value: Any) -> str | None:
    return text(value, sort_keys=True)


def _dataset_id(item: dict) -> str:
    ident = _text(item.get("identifier")) or _text(item.get("@id"))
    if ident:
        return ident
    return content_id(item)


def parse_datajson_dataset(
    item: dict, portal_id: str, portal_url: str, run_id: str
) -> tuple[DatasetRecord, list[DistributionRecord]]:
    """One data.json dataset object -> (dataset record, distribution records). Pure."""
    dataset_id = _dataset_id(item)
    contact = item.get("contactPoint")
    if isinstance(contact, dict):
        contact_name = _text(contact.get("fn"))
        contact_email = email(_text(contact.get("hasEmail")))
    else:  # DCAT-US 1.0: contactPoint is a name, mbox the address
        contact_name = _text(contact)
        contact_email = email(_text(item.get("mbox")))
    publisher = _publisher_name(item.get("publisher"))
    start, end = interval(_text(item.get("temporal")))
    dists = [d for d in item.get("distribution") or [] if isinstance(d, dict)]
    dataset = dataset_record(
        run_id=run_id,
        portal_id=portal_id,
        dataset_id=dataset_id,
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        landing_page=_text(item.get("landingPage")) or portal_url,
        organization=publisher,
        organization_title=publisher,
        publisher=publisher,
        contact_name=contact_name,
        contact_email=contact_email,
        keywords=strings(item.get("keyword"), split=","),
        themes=strings(item.get("theme"), split=","),
        license_raw=_text(item.get("license")),
        access_rights=_text(item.get("accessLevel")),
        spatial=_text(item.get("spatial")),
        temporal_start=start,
        temporal_end=end,
        issued=_text(item.get("issued")),
        modified=_text(item.get("modified")),
        frequency_raw=_text(item.get("accrualPeriodicity")),
        num_distributions=len(dists),
        raw={k: v for k, v in item.items() if k != "distribution"},
    )
    distributions = [
        distribution_record(
            run_id=run_id,
            portal_id=portal_id,
            dataset_id=dataset_id,
            distribution_id=_text(d.get("@id")) or f"{dataset_id}#{position}",
            position=position,
            title=_text(d.get("title")),
            description=_text(d.get("description")),
            access_url=_text(d.get("accessURL")),
            download_url=_text(d.get("downloadURL")),
            format_raw=_text(d.get("format")),
            media_type_raw=_text(d.get("mediaType")),
            license_raw=_text(d.get("license")),
            rights=_text(d.get("rights")),
            byte_size=natural(d.get("byteSize")),
            issued=_text(d.get("issued")),
            modified=_text(d.get("modified")),
            raw=d,
        )
        for position, d in enumerate(dists)
    ]
    return dataset, distributions
