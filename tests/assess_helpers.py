"""Test helpers for the assessment: DCAT RDF/XML -> warehouse records, snapshots, harvests.

The DCAT adapter (issue 5) does not exist yet, so :func:`load_dcat` maps a flat RDF/XML
catalogue (rdflib's serialisation: one ``rdf:Description`` per subject) the way a DCAT adapter
would: dataset fields from dct:/dcat: properties, contact from the vcard node, licence, media
type and format per distribution. Small and literal, for tests only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "http://schema.org/"


def _local(tag: str) -> tuple[str, str]:
    ns, _, name = tag[1:].partition("}")
    return ns, name


class _Graph:
    def __init__(self, path: Path):
        self.subjects: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
        for node in ET.parse(path).getroot():
            key = node.get(f"{{{RDF}}}about") or "_:" + (node.get(f"{{{RDF}}}nodeID") or "")
            props = self.subjects.setdefault(key, [])
            for child in node:
                ns, name = _local(child.tag)
                ref = child.get(f"{{{RDF}}}resource")
                node_id = child.get(f"{{{RDF}}}nodeID")
                props.append((ns, name, ref or (f"_:{node_id}" if node_id else None), child.text))

    def values(self, subject: str, ns: str, name: str) -> list[str]:
        """Objects of a property: URI or blank-node id for resources, text for literals."""
        out = []
        for pns, pname, ref, text in self.subjects.get(subject, []):
            if (pns, pname) == (ns, name):
                value = ref if ref is not None else (text or "").strip()
                if value:
                    out.append(value)
        return out

    def first(self, subject: str, *props: tuple[str, str]) -> str | None:
        for ns, name in props:
            found = self.values(subject, ns, name)
            if found:
                return found[0]
        return None

    def of_type(self, uri: str) -> list[str]:
        return [s for s in self.subjects if uri in self.values(s, RDF, "type")]


def _strip_mailto(value: str | None) -> str | None:
    return value[7:] if value and value.lower().startswith("mailto:") else value


def load_dcat(path: Path, portal_id: str, run_id: str = "") -> tuple[list[dict], list[dict]]:
    """(dataset records, distribution records) of a flat DCAT RDF/XML catalogue."""
    g = _Graph(path)
    datasets, distributions = [], []
    for ds in g.of_type(f"{DCAT}Dataset"):
        contact = g.first(ds, (DCAT, "contactPoint"))
        publisher = g.first(ds, (DCT, "publisher"))
        if publisher and publisher.startswith("_:"):
            publisher = g.first(publisher, (FOAF, "name"))
        temporal = g.first(ds, (DCT, "temporal"))
        spatial = g.first(ds, (DCT, "spatial"))
        if spatial is None:
            spatial = g.first(
                ds,
                ("http://dcat-ap.de/def/dcatde/1.0/", "politicalGeocodingURI"),
                ("https://www.dcat-ap.de/def/dcatde/1.1/", "politicalGeocodingURI"),
                ("https://www.dcat-ap.de/def/dcatde/1.1/", "geocodingDescription"),
            )
        dist_ids = g.values(ds, DCAT, "distribution")
        datasets.append(
            {
                "run_id": run_id,
                "portal_id": portal_id,
                "dataset_id": ds,
                "name": g.first(ds, (DCT, "identifier")),
                "title": g.first(ds, (DCT, "title")),
                "description": g.first(ds, (DCT, "description")),
                "landing_page": g.first(ds, (DCAT, "landingPage")) or ds,
                "publisher": publisher,
                "contact_name": g.first(contact, (VCARD, "fn")) if contact else None,
                "contact_email": _strip_mailto(g.first(contact, (VCARD, "hasEmail")))
                if contact
                else None,
                "contact_url": g.first(contact, (VCARD, "hasURL")) if contact else None,
                "keywords": g.values(ds, DCAT, "keyword"),
                "themes": g.values(ds, DCAT, "theme"),
                "license_raw": g.first(ds, (DCT, "license")),
                "access_rights": g.first(ds, (DCT, "accessRights")),
                "spatial": spatial,
                "temporal_start": g.first(temporal, (DCAT, "startDate"), (SCHEMA, "startDate"))
                if temporal
                else None,
                "temporal_end": g.first(temporal, (DCAT, "endDate"), (SCHEMA, "endDate"))
                if temporal
                else None,
                "issued": g.first(ds, (DCT, "issued")),
                "modified": g.first(ds, (DCT, "modified")),
                "frequency_raw": g.first(ds, (DCT, "accrualPeriodicity")),
                "num_distributions": len(dist_ids),
            }
        )
        for position, di in enumerate(dist_ids):
            access = g.first(di, (DCAT, "accessURL"))
            download = g.first(di, (DCAT, "downloadURL"))
            size = g.first(di, (DCAT, "byteSize"))
            distributions.append(
                {
                    "run_id": run_id,
                    "portal_id": portal_id,
                    "dataset_id": ds,
                    "distribution_id": di,
                    "position": position,
                    "title": g.first(di, (DCT, "title")),
                    "description": g.first(di, (DCT, "description")),
                    "url": download or access,
                    "access_url": access,
                    "download_url": download,
                    "format_raw": g.first(di, (DCT, "format")),
                    "media_type_raw": g.first(di, (DCAT, "mediaType")),
                    "license_raw": g.first(di, (DCT, "license")),
                    "rights": g.first(di, (DCT, "rights")),
                    "byte_size": int(float(size)) if size else None,
                    "issued": g.first(di, (DCT, "issued")),
                    "modified": g.first(di, (DCT, "modified")),
                }
            )
    return datasets, distributions


def portal(portal_id: str, platform: str = "dcat", url: str = "https://example.org") -> Portal:
    return Portal(
        id=portal_id,
        title=portal_id,
        city=portal_id,
        platform=platform,
        url=url,
        allow_private_urls=True,
    )


def store_snapshot(
    wh: Warehouse,
    portal_id: str,
    datasets: list[dict],
    distributions: list[dict],
    started_at: datetime,
) -> str:
    """Write records as one complete snapshot taken at `started_at`; returns the run id."""
    run_id = wh.begin_run(portal(portal_id), started_at)
    wh.add_records(
        "dataset_rows", [{**d, "run_id": run_id, "portal_id": portal_id} for d in datasets]
    )
    wh.add_records(
        "distribution_rows",
        [{**d, "run_id": run_id, "portal_id": portal_id} for d in distributions],
    )
    wh.finish_run(run_id, method="test", expected_count=len(datasets), request_count=0, warnings=[])
    return run_id


def harvest(
    wh: Warehouse, portal_id: str, packages: list[dict], organization: str | None = None
) -> str:
    """Harvest package dicts through the real CKAN adapter from a local portal; the run id."""
    with LocalPortal(packages) as lp:
        p = Portal(
            id=portal_id,
            title=portal_id,
            city=portal_id,
            platform="ckan",
            url=lp.url,
            organization=organization,
            allow_private_urls=True,
        )
        result = harvest_portal(p, wh)
    assert result.status == "ok", result.error
    return result.run_id


def dataset(dataset_id: str, **fields) -> dict:
    """A hand-written dataset record as the CKAN adapter stores it; `fields` override."""
    base = {
        "dataset_id": dataset_id,
        "name": dataset_id,
        "title": f"Dataset {dataset_id}",
        "description": "Something useful.",
        "landing_page": f"https://portal.example/dataset/{dataset_id}",
        "publisher": "Stadt Musterstadt",
        "contact_name": "Open Data Team",
        "contact_email": "opendata@musterstadt.example",
        "keywords": ["test"],
        "themes": [],
        "license_raw": "dl-de-by-2.0",
        "issued": "2020-01-01",
        "modified": "2024-03-01",
    }
    return base | fields


def distribution(dataset_id: str, n: int = 0, **fields) -> dict:
    """A CSV distribution record of `dataset_id`; `fields` override."""
    url = f"https://files.example/{dataset_id}/{n}.csv"
    base = {
        "dataset_id": dataset_id,
        "distribution_id": f"{dataset_id}-r{n}",
        "position": n,
        "title": f"Resource {n}",
        "url": url,
        "access_url": url,
        "format_raw": "CSV",
        "media_type_raw": "text/csv",
    }
    return base | fields
