"""data.json (DCAT-US 1.1) dataset -> DCAT-AP.de graph, by the DCAT-US -> DCAT-AP crosswalk
(issue 16). DCAT-US is DCAT with JSON names, so most fields map one to one:

- dataset node: ``@id``, else the ``identifier`` when it is an IRI, else
  ``{data.json url}#{identifier}``; title -> dct:title, description -> dct:description,
  keyword -> dcat:keyword, identifier -> dct:identifier, issued / modified -> dct:issued /
  dct:modified (typed), landingPage -> dcat:landingPage, theme -> dcat:theme (IRIs only:
  DCAT-US themes are free text), accrualPeriodicity (ISO 8601 ``R/P1D``) -> the EU frequency
  IRI, spatial -> dct:spatial, temporal -> dct:temporal (schema:startDate/endDate), language
  -> dct:language, references -> dct:references, conformsTo -> dct:conformsTo, rights ->
  dct:rights;
- publisher {name} -> dct:publisher foaf:Organization foaf:name; contactPoint {fn, hasEmail}
  -> dcat:contactPoint vcard:Organization (vcard:fn, vcard:hasEmail mailto:);
- accessLevel public / restricted public / non-public -> dct:accessRights the EU
  access-right IRIs PUBLIC / RESTRICTED / NON_PUBLIC;
- license: DCAT-US names it on the dataset, DCAT-AP on each distribution: every
  dcat:Distribution gets the distribution's own licence, else the dataset's, as dct:license
  (an IRI as written, a licence name as its DCAT-AP.de IRI where it has one);
- distribution -> dcat:Distribution (``@id``, else ``{dataset}/distribution/{n}``): title,
  description, accessURL, downloadURL, mediaType (its IANA IRI), format (literal as written), byteSize
  (when given), describedBy -> dct:conformsTo of the schema.

What DCAT-US cannot know: dcatde:contributorID, dcatde:politicalGeocodingURI /
LevelURI and dcatde:licenseAttributionByText have no DCAT-US field -> unknowable.
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, XSD

from checks.dcat_graph import DatasetGraph
from flows.adapters.ckan_dcat import (
    adder,
    agent,
    bind,
    contact,
    coverage,
    dataset_head,
    distribution_head,
    frequency,
    iri,
    iri_or_literal,
    is_iri,
    license_iri,
    lit,
    typed_date,
)
from flows.adapters.fields import text
from flows.adapters.records import DatasetRecord, DistributionRecord

ACCESS_RIGHTS = {
    "public": "PUBLIC",
    "restricted public": "RESTRICTED",
    "non-public": "NON_PUBLIC",
}
IANA = "https://www.iana.org/assignments/media-types/"
EU_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
UNKNOWABLE = frozenset(
    {
        "dcatde:contributorID",
        "dcatde:politicalGeocodingURI",
        "dcatde:politicalGeocodingLevelURI",
        "dcatde:licenseAttributionByText",
    }
)


def _values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if text(v)]
    return [text(value)] if text(value) else []


def datajson_graph(
    item: dict,
    catalogue_url: str,
    dataset: DatasetRecord,
    distributions: list[DistributionRecord],
) -> DatasetGraph:
    """One data.json dataset object (and its parsed records) -> its DatasetGraph."""
    dataset_id = dataset["dataset_id"]
    ident = text(item.get("identifier"))
    own = text(item.get("@id")) or (ident if is_iri(ident) else None)
    ds = iri(own) if own else URIRef(f"{catalogue_url}#{dataset_id}")
    g = bind(Graph())

    add = adder(g)
    dataset_head(g, ds, dataset)
    add(ds, DCTERMS.identifier, lit(ident))
    for theme in dataset["themes"]:
        if is_iri(theme):
            add(ds, DCAT.theme, iri(theme))
    if is_iri(text(item.get("landingPage"))):
        add(ds, DCAT.landingPage, iri(item["landingPage"]))
    frequency(g, ds, dataset["frequency_raw"])
    level = (dataset["access_rights"] or "").strip().lower()
    if level in ACCESS_RIGHTS:
        add(ds, DCTERMS.accessRights, URIRef(EU_ACCESS_RIGHT + ACCESS_RIGHTS[level]))
    for prop, key in (
        (DCTERMS.language, "language"),
        (DCTERMS.references, "references"),
        (DCTERMS.conformsTo, "conformsTo"),
        (DCTERMS.rights, "rights"),
    ):
        for value in _values(item.get(key)):
            add(ds, prop, iri_or_literal(value))
    if dataset["publisher"]:
        pub = BNode()
        g.add((ds, DCTERMS.publisher, pub))
        agent(g, pub, dataset["publisher"], None)
    if dataset["contact_name"] or dataset["contact_email"]:
        g.add(
            (
                ds,
                DCAT.contactPoint,
                contact(g, dataset["contact_name"], dataset["contact_email"], None),
            )
        )
    coverage(g, ds, dataset)

    raws = [d for d in item.get("distribution") or [] if isinstance(d, dict)]
    nodes: dict[str, str] = {}
    for dist, raw in zip(distributions, raws, strict=True):
        own_dist = text(raw.get("@id"))
        node = (
            iri(own_dist) if is_iri(own_dist) else URIRef(f"{ds}/distribution/{dist['position']}")
        )
        nodes[str(node)] = dist["distribution_id"]
        distribution_head(g, ds, node, dist)
        media = text(dist["media_type_raw"])
        if media and not is_iri(media):  # DCAT-US: an IANA media type, DCAT-AP: its IRI
            add(node, DCAT.mediaType, iri(IANA + media))
        else:
            add(node, DCAT.mediaType, iri_or_literal(media))
        add(node, DCTERMS.format, lit(dist["format_raw"]))
        if dist["byte_size"] is not None:
            add(node, DCAT.byteSize, Literal(dist["byte_size"], datatype=XSD.decimal))
        add(node, DCTERMS.issued, typed_date(dist["issued"]))
        add(node, DCTERMS.modified, typed_date(dist["modified"]))
        add(node, DCTERMS.license, license_iri(dist["license_raw"], dataset["license_raw"]))
        if is_iri(text(raw.get("describedBy"))):
            add(node, DCTERMS.conformsTo, iri(raw["describedBy"]))
    return DatasetGraph(dataset_id, ds, g, nodes, UNKNOWABLE)
