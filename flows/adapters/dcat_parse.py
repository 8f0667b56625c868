"""DCAT-AP (and DCAT-AP.de) parse half: `parse_dcat_dataset()` turns one record (as
flows.adapters.rdfpage reads it) into the common dataset and distribution records, with no
client, no clock and no rdflib. DCAT-AP.de puts licences on distributions (`dct:license`
there goes to distributions.license_raw, a dataset-level one to datasets.license_raw); `dcatde:maintainer` stands in for a missing contact point and
`dcatde:politicalGeocodingURI` for a missing `dct:spatial`; `dcatde:contributorID` stays in
`raw` and selects a contributor's datasets on a shared catalogue (`organization:`).
Literals are chosen German first, then untagged, then English.
"""

from __future__ import annotations

import json
from typing import Any

from flows.adapters.fields import content_id, email, natural
from flows.adapters.records import (
    DatasetRecord,
    DistributionRecord,
    dataset_record,
    distribution_record,
)

_LANGS = ("de", "", "en")
_LABELS = (
    "foaf:name",
    "vcard:fn",
    "vcard:organization-name",
    "skos:prefLabel",
    "rdfs:label",
    "dct:title",
    "rdf:value",
)


def _values(node: Any, key: str) -> list:
    if not isinstance(node, dict):
        return []
    value = node.get(key)
    return value if isinstance(value, list) else []


def _best(values: list) -> str | None:
    """The literal to show: German first, then untagged, then English, then any."""
    lits = [v for v in values if isinstance(v, dict) and isinstance(v.get("@value"), str)]
    lits = sorted((v for v in lits if v["@value"].strip()), key=lambda v: v["@value"])
    for lang in _LANGS:
        for v in lits:
            if (v.get("@language") or "").lower().split("-")[0] == lang:
                return v["@value"].strip()
    return lits[0]["@value"].strip() if lits else None


def _lit(node: Any, key: str) -> str | None:
    return _best(_values(node, key))


def label(node: Any) -> str | None:
    for key in _LABELS:
        value = _lit(node, key)
        if value:
            return value
    return None


def ref(value: Any) -> str | None:
    """A reference as text: its URI, else the literal, else a described node's label."""
    if not isinstance(value, dict):
        return None
    if value.get("@id"):
        return str(value["@id"])
    if isinstance(value.get("@value"), str):
        return value["@value"].strip() or None
    return label(value)


def _first_ref(node: Any, *keys: str) -> str | None:
    for key in keys:
        refs = sorted(r for r in (ref(v) for v in _values(node, key)) if r)
        if refs:
            return refs[0]
    return None


def _refs(node: Any, key: str) -> list[str]:
    """Every reference under `key`, sorted, once each."""
    return sorted({r for r in (ref(v) for v in _values(node, key)) if r})


def _named(node: Any, key: str) -> str | None:
    """The name of an agent (publisher, maintainer): its label, else a literal, else URI."""
    for v in _values(node, key):
        name = label(v) if isinstance(v, dict) and "@value" not in v else None
        if name:
            return name
    for v in _values(node, key):
        if isinstance(v, dict) and isinstance(v.get("@value"), str) and v["@value"].strip():
            return v["@value"].strip()
    return _first_ref(node, key)


def _contact(record: dict) -> tuple[str | None, str | None, str | None]:
    for point in _values(record, "dcat:contactPoint"):
        if not isinstance(point, dict):
            continue
        name = label(point)
        address = email(_first_ref(point, "vcard:hasEmail") or _email_of(point), iri=True)
        url = _first_ref(point, "vcard:hasURL")
        if name or address or url:
            return name, address, url
    for key in ("dcatde:maintainer", "dcatde:originator"):
        for agent in _values(record, key):
            name = label(agent)
            address = email(_first_ref(agent, "foaf:mbox"), iri=True)
            url = _first_ref(agent, "foaf:homepage")
            if name or address:
                return name, address, url
    return None, None, None


def _email_of(point: dict) -> str | None:
    for v in _values(point, "vcard:hasEmail"):
        inner = _lit(v, "vcard:value")
        if inner:
            return inner
    return None


def _period(record: dict) -> tuple[str | None, str | None]:
    for period in _values(record, "dct:temporal"):
        start = _lit(period, "dcat:startDate") or _lit(period, "schema:startDate")
        end = _lit(period, "dcat:endDate") or _lit(period, "schema:endDate")
        if start or end:
            return start, end
    return None, None


def _spatial(record: dict) -> str | None:
    found = []
    for v in _values(record, "dct:spatial"):
        if v.get("@id"):
            found.append(v["@id"])
            continue
        for key in ("locn:geometry", "dcat:bbox", "dcat:centroid"):
            shapes = _values(v, key)
            geojson = [g for g in shapes if "json" in str(g.get("@type", "")).lower()]
            geometry = _best(geojson) or _best(shapes)  # GeoJSON before WKT or GML
            if geometry:
                found.append(geometry)
                break
        else:
            # a dct:Location naming the place instead of drawing it: DCAT-AP.de's
            # locn:adminUnitL2 (political geocoding key, Bremen's and ckanext-dcatde's form),
            # or locn:geographicName / a label
            text = (
                ref(v)
                or _first_ref(v, "locn:adminUnitL2", "locn:adminUnitL1")
                or _lit(v, "locn:geographicName")
                or label(v)
            )
            if text:
                found.append(text)
    if not found:
        found = [r for r in (ref(v) for v in _values(record, "dcatde:politicalGeocodingURI")) if r]
    return ", ".join(sorted(dict.fromkeys(found))) or None


def dataset_id_of(record: dict) -> str:
    ident = _lit(record, "dct:identifier") or _first_ref(record, "dct:identifier")
    if ident:
        return ident
    if record.get("@id"):
        return str(record["@id"])
    return content_id(record)


def parse_dcat_dataset(
    record: dict, portal_id: str, portal_url: str, run_id: str
) -> tuple[DatasetRecord, list[DistributionRecord]]:
    """One dataset record (see module doc) -> (dataset record, distribution records). Pure."""
    dataset_id = dataset_id_of(record)
    uri = record.get("@id")
    landing = _first_ref(record, "dcat:landingPage")
    if not landing:
        landing = uri if isinstance(uri, str) and uri.startswith("http") else portal_url
    publisher_uri = next((v["@id"] for v in _values(record, "dct:publisher") if v.get("@id")), None)
    publisher = _named(record, "dct:publisher")
    contact_name, contact_email, contact_url = _contact(record)
    start, end = _period(record)
    dists = [d for d in _values(record, "dcat:distribution") if isinstance(d, dict)]
    unique: dict[str, dict] = {}
    for d in dists:
        key = d.get("@id") or _first_ref(d, "dcat:accessURL", "dcat:downloadURL") or ""
        key = key or json.dumps(d, sort_keys=True)
        unique.setdefault(key, d)
    ordered = [unique[k] for k in sorted(unique)]
    licence_nodes = _values(record, "dct:license")
    dataset = dataset_record(
        run_id=run_id,
        portal_id=portal_id,
        dataset_id=dataset_id,
        title=_lit(record, "dct:title"),
        description=_lit(record, "dct:description"),
        landing_page=landing,
        organization=publisher_uri or publisher,
        organization_title=publisher,
        publisher=publisher,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_url=contact_url,
        keywords=sorted(
            dict.fromkeys(
                v["@value"].strip()
                for v in _values(record, "dcat:keyword")
                if isinstance(v.get("@value"), str) and v["@value"].strip()
            )
        ),
        themes=sorted(dict.fromkeys(r for r in map(ref, _values(record, "dcat:theme")) if r)),
        license_raw=_first_ref(record, "dct:license"),
        license_title_raw=next((t for t in map(label, licence_nodes) if t), None),
        access_rights=_first_ref(record, "dct:accessRights"),
        spatial=_spatial(record),
        temporal_start=start,
        temporal_end=end,
        issued=_lit(record, "dct:issued"),
        modified=_lit(record, "dct:modified"),
        frequency_raw=_first_ref(record, "dct:accrualPeriodicity"),
        version=_lit(record, "owl:versionInfo") or _lit(record, "adms:version"),
        hvd_categories=_refs(record, "dcatap:hvdCategory"),
        applicable_legislation=_refs(record, "dcatap:applicableLegislation"),
        num_distributions=len(ordered),
        raw={
            k: (
                [{"@id": d["@id"]} if d.get("@id") else {} for d in v]
                if k == "dcat:distribution"
                else v
            )
            for k, v in record.items()
        },
    )
    distributions = []
    for position, d in enumerate(ordered):
        checksum = None
        for c in _values(d, "spdx:checksum"):
            checksum = _lit(c, "spdx:checksumValue") or checksum
        distributions.append(
            distribution_record(
                run_id=run_id,
                portal_id=portal_id,
                dataset_id=dataset_id,
                distribution_id=d.get("@id") or f"{dataset_id}#{position}",
                position=position,
                title=_lit(d, "dct:title"),
                description=_lit(d, "dct:description"),
                access_url=_first_ref(d, "dcat:accessURL"),
                download_url=_first_ref(d, "dcat:downloadURL"),
                format_raw=_first_ref(d, "dct:format"),
                media_type_raw=_first_ref(d, "dcat:mediaType"),
                license_raw=_first_ref(d, "dct:license"),
                rights=_first_ref(d, "dct:rights"),
                byte_size=natural(_lit(d, "dcat:byteSize")),
                issued=_lit(d, "dct:issued"),
                modified=_lit(d, "dct:modified"),
                checksum=checksum,
                raw=d,
            )
        )
    return dataset, distributions
