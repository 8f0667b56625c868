"""CKAN (and DKAN) parse half: `parse_package()` turns one package dict into a dataset
record and distribution records, with no client and no clock."""

from __future__ import annotations

import json
from typing import Any

from flows.adapters.fields import natural, text
from flows.adapters.records import (
    DatasetRecord,
    DistributionRecord,
    dataset_record,
)

FREQUENCY_KEYS = (
    "frequency",
    "accrual_periodicity",
    "accrualPeriodicity",
    "update_frequency",
    "updateFrequency",
)


def _extras(pkg: dict) -> dict[str, Any]:
    extras = pkg.get("extras")
    out: dict[str, Any] = {}
    if isinstance(extras, list):
        for item in extras:
            if isinstance(item, dict) and "key" in item and item["key"] not in out:
                out[item["key"]] = item.get("value")
    elif isinstance(extras, dict):
        out.update(extras)
    return out


def _list_of_names(value: Any) -> list[str]:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                return [stripped]
        else:
            return [stripped] if stripped else []
    out = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                item = item.get("name") or item.get("display_name") or item.get("title")
            if item is not None and str(item).strip():
                out.append(str(item).strip())
    return out


def _uris(pkg: dict, ex: dict, key: str) -> list[str]:
    """A field of one or more URIs (a list, a JSON list as text, or one URI), sorted."""
    value = pkg.get(key)
    if value is None:
        value = ex.get(key)
    return sorted(set(_list_of_names(value)))


def parse_package(
    pkg: dict, portal_id: str, portal_url: str, run_id: str
) -> tuple[DatasetRecord, list[DistributionRecord]]:
    """One CKAN package dict -> (dataset record, distribution records). Pure."""
    ex = _extras(pkg)

    def first(*keys: str) -> str | None:
        for key in keys:
            for source in (pkg, ex):
                value = text(source.get(key))
                if value:
                    return value
        return None

    dataset_id = text(pkg.get("id")) or text(pkg.get("name")) or ""
    name = text(pkg.get("name"))
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    themes = _list_of_names(ex.get("theme") or pkg.get("theme")) or _list_of_names(
        pkg.get("groups")
    )
    resources = [r for r in pkg.get("resources") or [] if isinstance(r, dict)]
    dataset = dataset_record(
        run_id=run_id,
        portal_id=portal_id,
        dataset_id=dataset_id,
        name=name,
        title=text(pkg.get("title")),
        description=text(pkg.get("notes")) or text(pkg.get("description")),
        landing_page=f"{portal_url.rstrip('/')}/dataset/{name or dataset_id}",
        source_url=text(pkg.get("url")),
        organization=text(org.get("name")) or text(pkg.get("owner_org")),
        organization_title=text(org.get("title")),
        publisher=first("publisher_name", "publisher")
        or text(org.get("title"))
        or text(pkg.get("author")),
        contact_name=first("maintainer", "contact_name", "author"),
        contact_email=first("maintainer_email", "contact_email", "author_email"),
        contact_url=first("maintainer_url", "contact_uri", "author_url"),
        keywords=_list_of_names(pkg.get("tags")),
        themes=themes,
        license_raw=text(pkg.get("license_id")),
        license_title_raw=text(pkg.get("license_title")),
        license_url_raw=text(pkg.get("license_url")),
        access_rights=first("access_rights", "accessRights"),
        spatial=first(
            "spatial", "spatial_uri", "spatial_text", "politicalGeocodingURI", "geocodingText"
        ),
        temporal_start=first("temporal_start", "temporal_coverage_from"),
        temporal_end=first("temporal_end", "temporal_coverage_to"),
        issued=first("issued") or text(pkg.get("metadata_created")),
        modified=first("modified") or text(pkg.get("metadata_modified")),
        frequency_raw=first(*FREQUENCY_KEYS),
        version=text(pkg.get("version")),
        # ckanext-dcat's DCAT-AP 3 schema (a field, or an extra where a portal has no scheming)
        hvd_categories=_uris(pkg, ex, "hvd_category"),
        applicable_legislation=_uris(pkg, ex, "applicable_legislation"),
        num_distributions=len(resources),
        raw={k: v for k, v in pkg.items() if k != "resources"},
    )
    distributions = []
    # the record's fields are spelled out here, not through distribution_record(): this loop
    # runs ~10 times per package, a million times per 100,000-dataset harvest
    # (tests/test_adapter_records.py holds both spellings to the same keys)
    for position, res in enumerate(resources):
        get = res.get
        access_url = text(get("url")) or text(get("access_url"))
        download_url = text(get("download_url")) or (
            access_url if get("url_type") == "upload" else None
        )
        distributions.append(
            {
                "run_id": run_id,
                "portal_id": portal_id,
                "dataset_id": dataset_id,
                "distribution_id": text(get("id")) or f"{dataset_id}#{position}",
                "position": position,
                "title": text(get("name")),
                "description": text(get("description")),
                "url": download_url or access_url,
                "access_url": access_url,
                "download_url": download_url,
                "format_raw": text(get("format")),
                "media_type_raw": text(get("mimetype")) or text(get("media_type")),
                "license_raw": text(get("license")) or text(get("license_id")),
                "rights": text(get("rights")),
                "byte_size": natural(get("size"), decimals=False),
                "issued": text(get("issued")) or text(get("created")),
                "modified": text(get("modified")) or text(get("last_modified")),
                "checksum": text(get("hash")),
                "raw": res,
            }
        )
    return dataset, distributions
