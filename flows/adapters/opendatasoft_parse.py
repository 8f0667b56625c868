"""Opendatasoft parse half: `parse_ods_dataset()` maps one Explore API v2.1 dataset object
to the common records, pure: metadata from `metas.default` (title, description, keyword, theme, license, license_url,
modified, publisher, references, territory) and `metas.dcat` (issued/created, contact_name,
contact_email, accrualperiodicity, temporal coverage, spatial, access rights; a
`dcat_ap_*` template fills what `dcat` lacks); one distribution per export format for a
dataset with records (`generated: true`: the platform makes these from the records, 9 to 15
per dataset, so the assessment counts one of them and they earn at most 3 stars), plus one
per attachment (`generated: false`, a file the publisher uploaded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flows.adapters.fields import email, interval, joined_text, strings
from flows.adapters.records import (
    DatasetRecord,
    DistributionRecord,
    dataset_record,
    distribution_record,
)

API = "/api/explore/v2.1"
EXPORTS_KEY = "_odwatch_exports"  # the fetch half adds each dataset's export formats here
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "jsonl": "application/jsonl",
    "jsonld": "application/ld+json",
    "n3": "text/n3",
    "parquet": "application/vnd.apache.parquet",
    "rdfxml": "application/rdf+xml",
    "turtle": "text/turtle",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "fgb": "application/vnd.flatgeobuf",
    "geojson": "application/geo+json",
    "gpx": "application/gpx+xml",
    "kml": "application/vnd.google-earth.kml+xml",
    "ov2": "application/octet-stream",
    "shp": "application/zip",
}


def _dcat_lookup(metas: dict) -> Callable[..., str | None]:
    """Look keys up in metas.dcat, then any dcat_ap_* template; keys compared lower-case."""
    templates = [metas.get("dcat")] + [
        v for k, v in sorted(metas.items()) if k.startswith("dcat_ap")
    ]
    tables = [{str(k).lower(): v for k, v in t.items()} for t in templates if isinstance(t, dict)]

    def get(*keys: str) -> str | None:
        for table in tables:
            for key in keys:
                value = joined_text(table.get(key.lower()))
                if value:
                    return value
        return None

    return get


def parse_ods_dataset(
    ds: dict, portal_id: str, portal_url: str, run_id: str
) -> tuple[DatasetRecord, list[DistributionRecord]]:
    """One Explore API v2.1 dataset object -> (dataset record, distribution records). Pure."""
    dataset_id = str(ds.get("dataset_id") or ds.get("dataset_uid") or "")
    metas = ds.get("metas") if isinstance(ds.get("metas"), dict) else {}
    default = metas.get("default") if isinstance(metas.get("default"), dict) else {}
    dcat = _dcat_lookup(metas)
    api = f"{portal_url.rstrip('/')}{API}/catalog/datasets/{quote(dataset_id, safe='')}"
    start = dcat("temporal_coverage_start")
    end = dcat("temporal_coverage_end")
    if not (start or end):
        start, end = interval(dcat("temporal"))
    publisher = joined_text(default.get("publisher"))
    exports = [f for f in ds.get(EXPORTS_KEY) or [] if isinstance(f, str)]
    attachments = [a for a in ds.get("attachments") or [] if isinstance(a, dict)]
    dataset = dataset_record(
        run_id=run_id,
        portal_id=portal_id,
        dataset_id=dataset_id,
        name=dataset_id,
        title=joined_text(default.get("title")),
        description=joined_text(default.get("description")),
        landing_page=f"{portal_url.rstrip('/')}/explore/dataset/{quote(dataset_id, safe='')}/",
        source_url=joined_text(default.get("references")),
        organization=publisher,
        organization_title=publisher,
        publisher=publisher,
        contact_name=dcat("contact_name"),
        contact_email=email(dcat("contact_email")),
        keywords=strings(default.get("keyword")),
        themes=strings(default.get("theme")),
        license_raw=joined_text(default.get("license")),
        license_url_raw=joined_text(default.get("license_url")),
        access_rights=dcat("accessrights", "access_rights"),
        spatial=dcat("spatial") or joined_text(default.get("territory")),
        temporal_start=start,
        temporal_end=end,
        issued=dcat("issued", "created"),
        modified=joined_text(default.get("modified")),
        frequency_raw=dcat("accrualperiodicity"),
        num_distributions=len(exports) + len(attachments),
        raw={k: v for k, v in ds.items() if k != "fields"},
    )
    data_processed = joined_text(default.get("data_processed"))
    distributions: list[DistributionRecord] = []

    def add(dist_id: str, url: str, **values: Any) -> None:
        distributions.append(
            distribution_record(
                run_id=run_id,
                portal_id=portal_id,
                dataset_id=dataset_id,
                distribution_id=dist_id,
                position=len(distributions),
                access_url=url,
                download_url=url,
                **values,
            )
        )

    for fmt in exports:
        add(
            f"{dataset_id}/exports/{fmt}",
            f"{api}/exports/{fmt}",
            title=f"{fmt} export",
            format_raw=fmt,
            media_type_raw=MEDIA_TYPES.get(fmt),
            modified=data_processed,
            raw={"export": fmt},
            generated=True,  # the platform's export of the records, not a file the city made
        )
    for att in attachments:
        att_id = joined_text(att.get("id")) or ""
        add(
            f"{dataset_id}/attachments/{att_id}",
            f"{api}/attachments/{quote(att_id, safe='')}",
            title=joined_text(att.get("title")),
            media_type_raw=joined_text(att.get("mimetype")),
            raw=att,
            generated=False,
        )
    return dataset, distributions
