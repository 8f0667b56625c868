"""Opendatasoft (Explore API v2.1) dataset -> DCAT-AP.de graph (issue 16), as Opendatasoft's
own DCAT export lays it out (checked against Potsdam's recorded export in the corpus), with
the DCAT-AP.de names where the export has its own:

- dataset node ``{portal}/api/v2/catalog/datasets/{id}``; from ``metas.default``: title ->
  dct:title, description -> dct:description, keyword -> dcat:keyword, theme -> dcat:theme
  (``{portal}/id/theme/{theme}``, the portal's own theme IRIs), modified -> dct:modified,
  publisher -> dct:publisher foaf:Agent foaf:name, references -> dcat:landingPage, language
  -> dct:language, attributions -> dcatde:licenseAttributionByText;
- from ``metas.dcat`` (a ``dcat_ap_*`` template fills what it lacks): issued/created ->
  dct:issued, contact_name/contact_email -> dcat:contactPoint vcard:Organization,
  accrualperiodicity -> dct:accrualPeriodicity, spatial -> dct:spatial, temporal coverage ->
  dct:temporal, accessRights -> dct:accessRights, and the DCAT-AP.de template's
  contributorID, politicalGeocodingURI / LevelURI, geocodingDescription;
- per export format one dcat:Distribution ``{dataset}-{format}`` (the platform makes them
  from the records): dct:title, dct:format (the format name, as the export writes it),
  dcat:mediaType, dcat:accessURL = dcat:downloadURL the export URL, dct:modified
  (data_processed); per attachment one ``{dataset}/attachments/{id}``;
- dct:license on every distribution: the dataset's license_url as written, else the licence
  name's DCAT-AP.de IRI, else the name as a literal (what the export writes).

What the Explore API cannot know unless the portal's DCAT-AP.de template carries it:
dcatde:contributorID and the political geocoding -> unknowable.
"""

from __future__ import annotations

from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from checks.dcat_graph import DatasetGraph
from flows.adapters.ckan_dcat import (
    DCATDE,
    adder,
    as_list,
    bind,
    contact,
    coverage,
    dataset_head,
    frequency,
    iri,
    iri_or_literal,
    is_iri,
    license_iri,
    lit,
    typed_date,
)
from flows.adapters.fields import joined_text
from flows.adapters.opendatasoft_parse import _dcat_lookup
from flows.adapters.records import DatasetRecord, DistributionRecord

LANGUAGE = "http://id.loc.gov/vocabulary/iso639-1/"


def opendatasoft_graph(
    raw: dict,
    portal_url: str,
    dataset: DatasetRecord,
    distributions: list[DistributionRecord],
) -> DatasetGraph:
    """One Explore API dataset object (and its parsed records) -> its DatasetGraph."""
    base = portal_url.rstrip("/")
    dataset_id = dataset["dataset_id"]
    metas = raw.get("metas") if isinstance(raw.get("metas"), dict) else {}
    default = metas.get("default") if isinstance(metas.get("default"), dict) else {}
    dcat = _dcat_lookup(metas)
    ds = URIRef(f"{base}/api/v2/catalog/datasets/{quote(dataset_id, safe='')}")
    g = bind(Graph())

    add = adder(g)
    dataset_head(g, ds, dataset)
    add(ds, DCTERMS.identifier, Literal(dataset_id))
    for theme in dataset["themes"]:
        add(
            ds,
            DCAT.theme,
            iri(theme) if is_iri(theme) else URIRef(f"{base}/id/theme/{quote(theme)}"),
        )
    if is_iri(dataset["source_url"]):
        add(ds, DCAT.landingPage, iri(dataset["source_url"]))
    language = joined_text(default.get("language"))
    if language and len(language) == 2:
        add(ds, DCTERMS.language, URIRef(LANGUAGE + language.lower()))
    frequency(g, ds, dataset["frequency_raw"])
    add(ds, DCTERMS.accessRights, iri_or_literal(dataset["access_rights"]))
    if dataset["publisher"]:
        pub = BNode()
        g.add((ds, DCTERMS.publisher, pub))
        g.add((pub, RDF.type, FOAF.Agent))
        g.add((pub, FOAF.name, Literal(dataset["publisher"])))
    if dataset["contact_name"] or dataset["contact_email"]:
        point = contact(g, dataset["contact_name"], dataset["contact_email"], None)
        g.add((ds, DCAT.contactPoint, point))
    coverage(g, ds, dataset)
    contributors = as_list(dcat("contributorID", "contributor_id"))
    for value in contributors:
        add(ds, DCATDE.contributorID, iri_or_literal(value))
    geocoding = as_list(dcat("politicalGeocodingURI"))
    for value in geocoding:
        add(ds, DCATDE.politicalGeocodingURI, iri_or_literal(value))
    add(ds, DCATDE.politicalGeocodingLevelURI, iri_or_literal(dcat("politicalGeocodingLevelURI")))
    add(ds, DCATDE.geocodingDescription, lit(dcat("geocodingDescription", "geocodingText")))

    name, url = dataset["license_raw"], dataset["license_url_raw"]
    licence = (iri(url) if is_iri(url) else None) or license_iri(name) or lit(name)
    attribution = lit(joined_text(default.get("attributions")))
    nodes: dict[str, str] = {}
    for dist in distributions:
        fmt = dist["format_raw"]
        if dist.get("generated"):
            node = URIRef(f"{ds}-{quote(fmt or str(dist['position']))}")
        else:
            node = iri(dist["access_url"] or f"{ds}/attachments/{dist['position']}")
        nodes[str(node)] = dist["distribution_id"]
        g.add((ds, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        add(node, DCTERMS.title, lit(dist["title"]))
        add(node, DCTERMS.format, lit(fmt))
        add(node, DCAT.mediaType, iri_or_literal(dist["media_type_raw"]))
        for prop, value in ((DCAT.accessURL, dist["access_url"]), (DCAT.downloadURL, dist["download_url"])):  # fmt: skip
            if is_iri(value):
                add(node, prop, iri(value))
        add(node, DCTERMS.modified, typed_date(dist["modified"]))
        add(node, DCTERMS.license, licence)
        add(node, DCATDE.licenseAttributionByText, attribution)
    unknowable = set()
    if not contributors:
        unknowable.add("dcatde:contributorID")
    if not geocoding:
        unknowable |= {"dcatde:politicalGeocodingURI", "dcatde:politicalGeocodingLevelURI"}
    return DatasetGraph(dataset_id, ds, g, nodes, frozenset(unknowable))
