"""CKAN (and DKAN) package -> DCAT-AP.de graph, as ckanext-dcat's euro profile with
ckanext-dcatde's DCAT-AP.de profile would publish it (issue 16).

Read from the two extensions' serializers (and checked against a real ckanext-dcatde output
in the corpus, Rostock's ``dcat_dataset_show``), not copied:

- dataset node ``{portal}/dataset/{id}`` (extra ``uri`` wins); dct:title, dct:description
  (``notes``), dct:identifier (extra ``identifier``, else ``id``), owl:versionInfo, one
  dcat:keyword per tag, dcat:theme per theme extra / group that is an IRI or an EU
  data-theme code, dcat:landingPage (``url``), dct:issued / dct:modified typed xsd:dateTime
  or xsd:date (extras ``issued``/``modified``, else ``metadata_created``/``_modified``),
  dct:accrualPeriodicity (EU frequency IRI), dct:accessRights, dct:conformsTo;
- dct:publisher a foaf:Organization with foaf:name (extras ``publisher_*``, else the
  organization, node ``{portal}/organization/{id}``); dcat:contactPoint a vcard:Organization
  (vcard:fn, vcard:hasEmail mailto:, vcard:hasURL) from maintainer/contact extras/author;
  dct:creator (author) and dcatde:maintainer (maintainer) foaf:Organizations;
- dcatde:contributorID, dcatde:politicalGeocodingURI / LevelURI, dcatde:geocodingDescription,
  dcatde:legalBasis from the extras ckanext-dcatde stores them in (JSON lists allowed);
- dct:spatial: an IRI as is, GeoJSON as a dct:Location's locn:geometry; dct:temporal a
  dct:PeriodOfTime with schema:startDate / schema:endDate;
- per resource a dcat:Distribution ``{dataset}/resource/{id}``: dct:title, dct:description,
  dcat:accessURL, dcat:downloadURL, dct:format / dcat:mediaType (an IRI as is, else the
  literal as written), dcat:byteSize (xsd:decimal), dct:issued/modified, dct:license,
  dcatde:licenseAttributionByText, dcatde:plannedAvailability.

dct:license: the resource's licence, else the dataset's ``license_id``; an IRI is kept as
written, a CKAN licence id becomes its DCAT-AP.de licence IRI (``http://dcat-ap.de/def/
licenses/...``, ckanext-dcatde's id mapping, here through checks/data/licenses.csv), else
``license_url``; a licence none of these name stays absent.

What CKAN's API cannot know: dcatde:contributorID when the package has none (only
ckanext-dcatde portals store it; otherwise the aggregator, GovData, sets it) -> unknowable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, XSD
from rdflib.term import Node

from checks.dcat_graph import DatasetGraph
from checks.freshness import parse_frequency
from checks.licenses import classify_license, load_license_table
from flows.adapters.ckan_parse import _extras
from flows.adapters.fields import text
from flows.adapters.records import DatasetRecord, DistributionRecord

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")
GEOJSON = URIRef("https://www.iana.org/assignments/media-types/application/vnd.geo+json")
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
DCATDE_LICENSES = "http://dcat-ap.de/def/licenses/"
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`]')
EU_THEMES = frozenset(
    "AGRI ECON EDUC ENER ENVI GOVE HEAL INTR JUST REGI SOCI TECH TRAN".split()
)  # fmt: skip


def bind(g: Graph) -> Graph:
    for prefix, ns in (
        ("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
        ("dcatde", DCATDE), ("locn", LOCN), ("schema", SCHEMA),
    ):  # fmt: skip
        g.bind(prefix, ns)
    return g


def is_iri(value: str | None) -> bool:
    return bool(value) and value.strip().lower().startswith(("http://", "https://", "mailto:"))


def iri(value: str) -> URIRef:
    """An IRI as written, with what an IRI cannot hold (spaces, quotes) percent-encoded."""
    value = value.strip()
    if _NOT_IN_IRI.search(value):
        value = _NOT_IN_IRI.sub(lambda m: quote(m.group(0)), value)
    return URIRef(value)


def typed_date(value: str | None) -> Literal | None:
    """A date as xsd:dateTime when it has a time, else xsd:date (ckanext-dcat's typing)."""
    value = text(value)
    if not value:
        return None
    return (
        Literal(value.replace(" ", "T", 1), datatype=XSD.dateTime)
        if len(value) > 10
        else (Literal(value, datatype=XSD.date))
    )


def lit(value: Any) -> Literal | None:
    """A plain literal of the value's text, or None when it has none."""
    value = text(value)
    return Literal(value) if value else None


def adder(g: Graph) -> Callable[[Node, Node, Node | None], None]:
    """g.add for mappings: a triple whose object is None (a field the record lacks) is left out."""

    def add(s: Node, p: Node, o: Node | None) -> None:
        if o is not None:
            g.add((s, p, o))

    return add


def dataset_head(g: Graph, ds: URIRef, dataset: DatasetRecord) -> None:
    """What every platform's mapping writes alike from the parsed record: the type, title,
    description, keywords and the issued / modified dates."""
    add = adder(g)
    g.add((ds, RDF.type, DCAT.Dataset))
    add(ds, DCTERMS.title, lit(dataset["title"]))
    add(ds, DCTERMS.description, lit(dataset["description"]))
    for keyword in dataset["keywords"]:
        add(ds, DCAT.keyword, Literal(keyword))
    add(ds, DCTERMS.issued, typed_date(dataset["issued"]))
    add(ds, DCTERMS.modified, typed_date(dataset["modified"]))


def as_list(value: Any) -> list[str]:
    """A value or a JSON list of values (how ckanext-dcatde stores multi-valued extras)."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if text(v)]
    value = text(value)
    if not value:
        return []
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [str(v).strip() for v in parsed if text(v)] if isinstance(parsed, list) else [value]
    return [value]


# Spellings the DCAT-AP.de licence vocabulary replaced (GovData's licence upgrade list): a
# CKAN licence id maps to the current IRI, never to one of these.
RENAMED_LICENSES = frozenset(
    "od-bc od-bl odc-pddl official-work cc-nc cc-nc/3.0 cc-by-nc-de/4.0 gpl/30 cc-pdm/1.0".split()
)  # fmt: skip


# the table's keys are lower-cased; these vocabulary IRIs are not
CASED = {"officialwork": "officialWork", "geonutz/20131001": "geoNutz/20131001"}
# GovData's OGD code cc-by-3.0 is the German port (the licence table reads it as unported)
OGD_CODES = {"cc-by-3.0": "http://dcat-ap.de/def/licenses/cc-by-de/3.0"}


@cache
def _vocabulary_license_iris() -> dict[str, str]:
    """licence id -> its current DCAT-AP.de licence IRI (the licence table's in-vocabulary
    dcat-ap.de keys, renamed spellings passed over): ckanext-dcatde's OGD-id mapping."""
    out: dict[str, str] = {}
    prefix = "dcat-ap.de/def/licenses/"
    for row in load_license_table():
        key = row["key"]
        if row["in_vocabulary"] and key.startswith(prefix):
            path = key.removeprefix(prefix)
            if path not in RENAMED_LICENSES:
                out.setdefault(row["license_id"], "http://" + prefix + CASED.get(path, path))
    return out


def license_iri(*raws: str | None) -> URIRef | None:
    """The dct:license IRI of the first licence value that names one."""
    for raw in raws:
        raw = text(raw)
        if not raw:
            continue
        if is_iri(raw):
            return iri(raw)
        if raw.lower() in OGD_CODES:
            return URIRef(OGD_CODES[raw.lower()])
        lic = classify_license(raw)
        if lic.license_id and lic.license_id in _vocabulary_license_iris():
            return URIRef(_vocabulary_license_iris()[lic.license_id])
    return None


def iri_or_literal(value: str | None) -> URIRef | Literal | None:
    value = text(value)
    if not value:
        return None
    return iri(value) if is_iri(value) else Literal(value)


def agent(g: Graph, node: URIRef | BNode, name: str | None, email: str | None) -> None:
    g.add((node, RDF.type, FOAF.Organization))
    if name:
        g.add((node, FOAF.name, Literal(name)))
    if email:
        g.add((node, FOAF.mbox, Literal(email)))


def contact(g: Graph, name: str | None, email: str | None, url: str | None) -> BNode:
    node = BNode()
    g.add((node, RDF.type, VCARD.Organization))
    if name:
        g.add((node, VCARD.fn, Literal(name)))
    if email:
        mail = email if email.lower().startswith("mailto:") else f"mailto:{email}"
        g.add((node, VCARD.hasEmail, iri(mail)))
    if url and is_iri(url):
        g.add((node, VCARD.hasURL, iri(url)))
    return node


def spatial(g: Graph, ds: URIRef, value: str | None) -> None:
    value = text(value)
    if not value:
        return
    if is_iri(value):
        g.add((ds, DCTERMS.spatial, iri(value)))
        return
    loc = BNode()
    g.add((ds, DCTERMS.spatial, loc))
    g.add((loc, RDF.type, DCTERMS.Location))
    if value.startswith("{"):
        g.add((loc, LOCN.geometry, Literal(value, datatype=GEOJSON)))
    else:
        g.add((loc, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal(value)))


def frequency(g: Graph, ds: URIRef, freq: str | None) -> None:
    """dct:accrualPeriodicity: an IRI as given, else the EU frequency our parser reads in the
    text (not an ISO 8601 duration, which has no EU code)."""
    if is_iri(freq):
        g.add((ds, DCTERMS.accrualPeriodicity, iri(freq)))
    elif freq and (code := parse_frequency(freq).code) and not code.startswith("P"):
        g.add((ds, DCTERMS.accrualPeriodicity, URIRef(EU_FREQUENCY + code)))


def coverage(g: Graph, ds: URIRef, dataset: DatasetRecord) -> None:
    """The dataset's spatial and temporal coverage, as every mapping writes them."""
    spatial(g, ds, dataset["spatial"])
    if dataset["temporal_start"] or dataset["temporal_end"]:
        add = adder(g)
        period = BNode()
        g.add((ds, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        add(period, SCHEMA.startDate, typed_date(dataset["temporal_start"]))
        add(period, SCHEMA.endDate, typed_date(dataset["temporal_end"]))


def distribution_head(g: Graph, ds: URIRef, node: URIRef, dist: DistributionRecord) -> None:
    """What every mapping writes alike for a distribution: its link from the dataset, type,
    title, description and access / download URLs."""
    add = adder(g)
    g.add((ds, DCAT.distribution, node))
    g.add((node, RDF.type, DCAT.Distribution))
    add(node, DCTERMS.title, lit(dist["title"]))
    add(node, DCTERMS.description, lit(dist["description"]))
    for prop, url in ((DCAT.accessURL, dist["access_url"]), (DCAT.downloadURL, dist["download_url"])):  # fmt: skip
        if is_iri(url):
            add(node, prop, iri(url))


def ckan_graph(
    pkg: dict,
    portal_url: str,
    dataset: DatasetRecord,
    distributions: list[DistributionRecord],
) -> DatasetGraph:
    """One CKAN package (and its parsed records, for the ids) -> its DatasetGraph."""
    ex = _extras(pkg)
    base = portal_url.rstrip("/")
    dataset_id = dataset["dataset_id"]
    ds = URIRef(text(ex.get("uri")) or text(pkg.get("uri")) or f"{base}/dataset/{dataset_id}")
    g = bind(Graph())

    add = adder(g)
    dataset_head(g, ds, dataset)
    add(ds, DCTERMS.identifier, lit(ex.get("identifier")) or lit(dataset_id))
    add(ds, OWL.versionInfo, lit(dataset["version"]))
    for theme in dataset["themes"]:
        if is_iri(theme):
            add(ds, DCAT.theme, iri(theme))
        elif theme.upper() in EU_THEMES:
            add(ds, DCAT.theme, URIRef(EU_THEME + theme.upper()))
    if is_iri(dataset["source_url"]):
        add(ds, DCAT.landingPage, iri(dataset["source_url"]))
    frequency(g, ds, dataset["frequency_raw"])
    add(ds, DCTERMS.accessRights, iri_or_literal(dataset["access_rights"]))
    add(ds, DCTERMS.conformsTo, iri_or_literal(ex.get("conforms_to")))

    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    publisher_uri = text(ex.get("publisher_uri"))
    if publisher_uri or dataset["publisher"]:
        if publisher_uri and is_iri(publisher_uri):
            pub: URIRef | BNode = iri(publisher_uri)
        elif text(org.get("id")) and not text(ex.get("publisher_name")):
            pub = URIRef(f"{base}/organization/{org['id']}")
        else:
            pub = BNode()
        g.add((ds, DCTERMS.publisher, pub))
        agent(g, pub, dataset["publisher"], text(ex.get("publisher_email")))
    if dataset["contact_name"] or dataset["contact_email"] or dataset["contact_url"]:
        point = contact(
            g, dataset["contact_name"], dataset["contact_email"], dataset["contact_url"]
        )
        g.add((ds, DCAT.contactPoint, point))
    for prop, name, email in (
        (DCTERMS.creator, pkg.get("author"), pkg.get("author_email")),
        (DCATDE.maintainer, pkg.get("maintainer"), pkg.get("maintainer_email")),
    ):
        if text(name):
            node = BNode()
            g.add((ds, prop, node))
            agent(g, node, text(name), text(email))

    contributors = as_list(ex.get("contributorID"))
    for value in contributors:
        add(ds, DCATDE.contributorID, iri_or_literal(value))
    for value in as_list(ex.get("politicalGeocodingURI")):
        add(ds, DCATDE.politicalGeocodingURI, iri_or_literal(value))
    add(ds, DCATDE.politicalGeocodingLevelURI, iri_or_literal(ex.get("politicalGeocodingLevelURI")))
    add(ds, DCATDE.geocodingDescription, lit(ex.get("geocodingText")))
    add(ds, DCATDE.legalBasis, lit(ex.get("legalbasisText")))
    coverage(g, ds, dataset)

    resources = [r for r in pkg.get("resources") or [] if isinstance(r, dict)]
    nodes: dict[str, str] = {}
    dataset_licence = (text(pkg.get("license_id")), text(pkg.get("license_url")))
    for dist, res in zip(distributions, resources, strict=True):
        res_id = text(res.get("id"))
        node = URIRef(text(res.get("uri")) or f"{ds}/resource/{res_id or dist['position']}")
        nodes[str(node)] = dist["distribution_id"]
        distribution_head(g, ds, node, dist)
        add(node, DCTERMS.format, iri_or_literal(dist["format_raw"]))
        add(node, DCAT.mediaType, iri_or_literal(dist["media_type_raw"]))
        if dist["byte_size"] is not None:
            add(node, DCAT.byteSize, Literal(dist["byte_size"], datatype=XSD.decimal))
        add(node, DCTERMS.issued, typed_date(dist["issued"]))
        add(node, DCTERMS.modified, typed_date(dist["modified"]))
        add(node, DCTERMS.license, license_iri(dist["license_raw"], *dataset_licence))
        add(
            node,
            DCATDE.licenseAttributionByText,
            lit(res.get("licenseAttributionByText")) or lit(ex.get("licenseAttributionByText")),
        )
        add(node, DCATDE.plannedAvailability, iri_or_literal(res.get("plannedAvailability")))
    unknowable = frozenset() if contributors else frozenset({"dcatde:contributorID"})
    return DatasetGraph(dataset_id, ds, g, nodes, unknowable)
