"""DCAT-AP (and DCAT-AP.de) catalogues: RDF/XML, Turtle, JSON-LD, N-Triples; Hydra paging.

Fetch half: `fetch_dcat()` GETs the catalogue URL (`portal.url`, e.g. a ckanext-dcat
`catalog.rdf` or an Opendatasoft DCAT export), follows `hydra:nextPage` (or `hydra:next`)
until the last page, and hands every answer to `on_page`. Each page is read on its own by
`rdfpage.read_page()` into one JSON record per dataset and dropped, so memory follows the
page size, not the catalogue. Hydra links that name another host than the one answering
(ckanext-dcat behind a proxy often writes its internal or http:// address) are followed on
the answering host, with a warning. A page that fails (after retries) fails the harvest.

Parse half: `parse_dcat_dataset()` turns one record into the common dataset and
distribution records, with no client, no clock and no rdflib. DCAT-AP.de puts licences on
distributions (`dct:license` there goes to distributions.license_raw, a dataset-level one to
datasets.license_raw); `dcatde:maintainer` stands in for a missing contact point and
`dcatde:politicalGeocodingURI` for a missing `dct:spatial`; `dcatde:contributorID` stays in
`raw` and selects a contributor's datasets on a shared catalogue (`organization:`).
Literals are chosen German first, then untagged, then English.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from flows.adapters.ckan import HarvestStats, Response
from flows.adapters.errors import PortalIncompatible
from flows.adapters.pages import DEFAULT_TIMEOUT, get_page, snippet
from flows.adapters.rdfpage import rdf_format, read_page
from flows.config import Portal

ACCEPT = (
    "application/rdf+xml, text/turtle;q=0.9, application/ld+json;q=0.8, "
    "application/n-triples;q=0.7, application/xml;q=0.5, */*;q=0.1"
)
MAX_PAGES = 10_000


def in_organization(record: dict, organization: str) -> bool:
    """Does a dataset belong to `organization` on a shared catalogue? Matched against
    dcatde:contributorID, the publisher's URI or name (whole value or last path segment)."""
    want = organization.strip().lower()
    candidates = []
    for key in ("dcatde:contributorID", "dct:publisher"):
        for v in record.get(key) or []:
            candidates.append(_ref(v))
            candidates.append(_label(v) if isinstance(v, dict) else None)
    for c in candidates:
        if c and (c.lower() == want or c.rstrip("/").rsplit("/", 1)[-1].lower() == want):
            return True
    return False


def _rebase(link: str, answered: str) -> tuple[str, bool]:
    """Resolve a Hydra link against the page that answered; keep the answering host."""
    url = urljoin(answered, link)
    a, b = urlsplit(answered), urlsplit(url)
    if (a.scheme, a.netloc) == (b.scheme, b.netloc):
        return url, False
    return urlunsplit((a.scheme, a.netloc, b.path, b.query, "")), True


# ---------------------------------------------------------------- fetch half


def fetch_dcat(
    portal: Portal,
    session: requests.Session,
    on_page: Callable[[Response], None],
    stats_out: list[HarvestStats] | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 2,
) -> Iterator[list[dict]]:
    """Yield each catalogue page's new dataset records; `stats_out` receives the stats."""
    stats = HarvestStats(method="dcat")
    if stats_out is not None:
        stats_out.append(stats)
    url: str | None = portal.url
    seen_pages: set[str] = set()
    seen: set[str] = set()
    kept = 0
    rebased_warned = False
    for number in range(1, MAX_PAGES + 1):
        assert url is not None
        seen_pages.add(url)
        page = get_page(
            session, url, on_page, stats, timeout=timeout, accept=ACCEPT, retries=retries
        )
        answered = page.response.url
        fmt = rdf_format(page.response.content_type, answered, page.content)
        if fmt is None:
            raise PortalIncompatible(
                f"{answered}: expected a DCAT catalogue (RDF/XML, Turtle, JSON-LD), got "
                f"{page.response.content_type or 'no content type'}: '{snippet(page.response.body)}'"
            )
        try:
            parsed = read_page(page.content, fmt, answered)
        except ValueError as exc:
            raise PortalIncompatible(f"{answered}: not a readable {fmt} page ({exc})") from None
        if number == 1 and not parsed.datasets and not parsed.has_catalog:
            hint = (
                f"; its @context is remote ({parsed.remote_contexts[0]}): a data.json "
                "catalogue? use platform 'datajson'"
                if parsed.remote_contexts
                else ""
            )
            raise PortalIncompatible(
                f"{answered}: no dcat:Catalog or dcat:Dataset in this {fmt} "
                f"({parsed.triples} triples){hint}"
            )
        if parsed.hydra.total is not None:
            stats.expected_count = parsed.hydra.total
            stats.method = "dcat+hydra"
        fresh = []
        for record in parsed.datasets:
            key = record.get("@id") or json.dumps(record, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            fresh.append(record)
        if number > 1 and parsed.datasets and not fresh:
            stats.warnings.append(
                f"page {number} ({answered}) repeated earlier datasets only; stopped paging"
            )
            break
        if portal.organization:
            fresh = [r for r in fresh if in_organization(r, portal.organization)]
        kept += len(fresh)
        if fresh:
            yield fresh
        if not parsed.hydra.next:
            break
        next_url, rebased = _rebase(parsed.hydra.next, answered)
        last_url = _rebase(parsed.hydra.last, answered)[0] if parsed.hydra.last else None
        if rebased and not rebased_warned:
            rebased_warned = True
            stats.warnings.append(
                f"Hydra links name {urlsplit(urljoin(answered, parsed.hydra.next)).netloc}; "
                f"followed on {urlsplit(answered).netloc}"
            )
        if answered == last_url or url == last_url:
            break
        if next_url in seen_pages:
            stats.warnings.append(f"Hydra nextPage loops back to {next_url}; stopped paging")
            break
        url = next_url
    else:
        stats.warnings.append(f"stopped after {MAX_PAGES} pages")
    if not portal.organization and stats.expected_count and len(seen) < stats.expected_count:
        stats.warnings.append(
            f"catalogue reports {stats.expected_count} datasets, harvested {len(seen)}"
        )


# ---------------------------------------------------------------- parse half (pure)

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


def _label(node: Any) -> str | None:
    for key in _LABELS:
        value = _lit(node, key)
        if value:
            return value
    return None


def _ref(value: Any) -> str | None:
    """A reference as text: its URI, else the literal, else a described node's label."""
    if not isinstance(value, dict):
        return None
    if value.get("@id"):
        return str(value["@id"])
    if isinstance(value.get("@value"), str):
        return value["@value"].strip() or None
    return _label(value)


def _first_ref(node: Any, *keys: str) -> str | None:
    for key in keys:
        refs = sorted(r for r in (_ref(v) for v in _values(node, key)) if r)
        if refs:
            return refs[0]
    return None


def _named(node: Any, key: str) -> str | None:
    """The name of an agent (publisher, maintainer): its label, else a literal, else URI."""
    for v in _values(node, key):
        name = _label(v) if isinstance(v, dict) and "@value" not in v else None
        if name:
            return name
    for v in _values(node, key):
        if isinstance(v, dict) and isinstance(v.get("@value"), str) and v["@value"].strip():
            return v["@value"].strip()
    return _first_ref(node, key)


def _email(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    if "/" in value and "@" in value.rsplit("/", 1)[1]:
        # `rdf:resource="info@example.de"` (Bremen, opendata.swiss): a relative IRI that the
        # parser resolved against the page URL; the address is the last segment
        value = value.rsplit("/", 1)[1]
    return value or None


def _contact(record: dict) -> tuple[str | None, str | None, str | None]:
    for point in _values(record, "dcat:contactPoint"):
        if not isinstance(point, dict):
            continue
        name = _label(point)
        email = _email(_first_ref(point, "vcard:hasEmail") or _email_of(point))
        url = _first_ref(point, "vcard:hasURL")
        if name or email or url:
            return name, email, url
    for key in ("dcatde:maintainer", "dcatde:originator"):
        for agent in _values(record, key):
            name = _label(agent)
            email = _email(_first_ref(agent, "foaf:mbox"))
            url = _first_ref(agent, "foaf:homepage")
            if name or email:
                return name, email, url
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
            text = _ref(v)
            if text:
                found.append(text)
    if not found:
        found = [r for r in (_ref(v) for v in _values(record, "dcatde:politicalGeocodingURI")) if r]
    return ", ".join(sorted(dict.fromkeys(found))) or None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        n = int(float(value.strip()))
    except (TypeError, ValueError, OverflowError):
        return None
    return n if 0 <= n < 2**62 else None


def _dataset_id(record: dict) -> str:
    ident = _lit(record, "dct:identifier") or _first_ref(record, "dct:identifier")
    if ident:
        return ident
    if record.get("@id"):
        return str(record["@id"])
    digest = hashlib.sha1(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()
    return f"_:{digest[:16]}"


def parse_dcat_dataset(
    record: dict, portal_id: str, portal_url: str, run_id: str
) -> tuple[dict, list[dict]]:
    """One dataset record (see module doc) -> (dataset record, distribution records). Pure."""
    dataset_id = _dataset_id(record)
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
    dataset = {
        "run_id": run_id,
        "portal_id": portal_id,
        "dataset_id": dataset_id,
        "name": None,
        "title": _lit(record, "dct:title"),
        "description": _lit(record, "dct:description"),
        "landing_page": landing,
        "source_url": None,
        "organization": publisher_uri or publisher,
        "organization_title": publisher,
        "publisher": publisher,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "contact_url": contact_url,
        "keywords": sorted(
            dict.fromkeys(
                v["@value"].strip()
                for v in _values(record, "dcat:keyword")
                if isinstance(v.get("@value"), str) and v["@value"].strip()
            )
        ),
        "themes": sorted(dict.fromkeys(r for r in map(_ref, _values(record, "dcat:theme")) if r)),
        "license_raw": _first_ref(record, "dct:license"),
        "license_title_raw": next((t for t in map(_label, licence_nodes) if t), None),
        "license_url_raw": None,
        "access_rights": _first_ref(record, "dct:accessRights"),
        "spatial": _spatial(record),
        "temporal_start": start,
        "temporal_end": end,
        "issued": _lit(record, "dct:issued"),
        "modified": _lit(record, "dct:modified"),
        "frequency_raw": _first_ref(record, "dct:accrualPeriodicity"),
        "version": _lit(record, "owl:versionInfo") or _lit(record, "adms:version"),
        "num_distributions": len(ordered),
        "raw": {
            k: (
                [{"@id": d["@id"]} if d.get("@id") else {} for d in v]
                if k == "dcat:distribution"
                else v
            )
            for k, v in record.items()
        },
    }
    distributions = []
    for position, d in enumerate(ordered):
        access_url = _first_ref(d, "dcat:accessURL")
        download_url = _first_ref(d, "dcat:downloadURL")
        checksum = None
        for c in _values(d, "spdx:checksum"):
            checksum = _lit(c, "spdx:checksumValue") or checksum
        distributions.append(
            {
                "run_id": run_id,
                "portal_id": portal_id,
                "dataset_id": dataset_id,
                "distribution_id": d.get("@id") or f"{dataset_id}#{position}",
                "position": position,
                "title": _lit(d, "dct:title"),
                "description": _lit(d, "dct:description"),
                "url": download_url or access_url,
                "access_url": access_url,
                "download_url": download_url,
                "format_raw": _first_ref(d, "dct:format"),
                "media_type_raw": _first_ref(d, "dcat:mediaType"),
                "license_raw": _first_ref(d, "dct:license"),
                "rights": _first_ref(d, "dct:rights"),
                "byte_size": _int(_lit(d, "dcat:byteSize")),
                "issued": _lit(d, "dct:issued"),
                "modified": _lit(d, "dct:modified"),
                "checksum": checksum,
                "raw": d,
            }
        )
    return dataset, distributions
