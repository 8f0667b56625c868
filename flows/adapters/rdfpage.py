"""One page of an RDF catalogue -> self-contained JSON records, one per dcat:Dataset. Pure.

`rdf_format()` names the syntax of an answer (Content-Type, then the URL's extension, then the
first bytes; None for HTML). `read_page()` parses the page into a triple index (RDF/XML with
the fast reader in `rdfxml.py`, falling back to rdflib; Turtle, N-Triples, N3 and JSON-LD with
rdflib), finds the datasets (typed dcat:Dataset or linked by dcat:dataset) and the Hydra
paging (`hydra:nextPage`/`next`, `lastPage`/`last`, `totalItems`, `itemsPerPage`), and
describes each dataset as JSON in the shape of expanded, embedded JSON-LD with compact keys:
`{"@id": uri, "@type": ["dcat:Dataset"], "dct:title": [{"@value": "...", "@language": "de"}],
"dcat:distribution": [{...}], ...}`. Described nodes (distributions, contact points,
publishers, periods) are embedded up to MAX_DEPTH levels, other references are
`{"@id": uri}`; blank nodes carry no id. JSON-LD's remote @context documents are never
fetched (that would be a request outside the session).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal

from flows.adapters.pages import looks_like_html, snippet
from flows.adapters.rdfxml import RDF_TYPE, Index, Lit, Obj, Unsupported, read_rdfxml

MAX_DEPTH = 4  # how deep described nodes are embedded below a dataset

NAMESPACES = {
    "http://www.w3.org/ns/dcat#": "dcat",
    "http://purl.org/dc/terms/": "dct",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://xmlns.com/foaf/0.1/": "foaf",
    "http://www.w3.org/2006/vcard/ns#": "vcard",
    "http://dcat-ap.de/def/dcatde/": "dcatde",
    "https://www.dcat-ap.de/def/dcatde/1.1/": "dcatde",  # DCAT-AP.de 1.x (Rostock, GovData)
    "http://dcat-ap.de/def/dcatde/1_0/": "dcatde",
    "http://www.w3.org/ns/adms#": "adms",
    "http://data.europa.eu/r5r/": "dcatap",  # DCAT-AP's own terms (hvdCategory ...)
    "http://www.w3.org/ns/hydra/core#": "hydra",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs",
    "http://www.w3.org/2004/02/skos/core#": "skos",
    "http://schema.org/": "schema",
    "https://schema.org/": "schema",
    "http://spdx.org/rdf/terms#": "spdx",
    "http://www.w3.org/2002/07/owl#": "owl",
    "http://www.w3.org/ns/locn#": "locn",
    "http://www.w3.org/ns/prov#": "prov",
    "http://www.w3.org/2001/XMLSchema#": "xsd",
    "http://www.w3.org/ns/odrl/2/": "odrl",
}
HYDRA = "http://www.w3.org/ns/hydra/core#"
_NS_SORTED = sorted(NAMESPACES.items(), key=lambda kv: -len(kv[0]))
DCAT_NS = "http://www.w3.org/ns/dcat#"
DCAT_DATASET, DCAT_CATALOG = DCAT_NS + "Dataset", DCAT_NS + "Catalog"
DCAT_DATASET_LINK, DCAT_DISTRIBUTION = DCAT_NS + "dataset", DCAT_NS + "distribution"
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY = re.compile(rb"<!ENTITY", re.I)
_CONTAINERS = {DCAT_DATASET, DCAT_CATALOG, DCAT_NS + "DatasetSeries"}

# Content-Type -> rdflib parser; then the URL's extension; then the first bytes.
_BY_MEDIA_TYPE = {
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "n3",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
_BY_EXTENSION = {
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".ttl": "turtle",
    ".n3": "n3",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}


def rdf_format(content_type: str | None, url: str, content: bytes | str) -> str | None:
    """The rdflib parser for an answer, or None if it is no RDF (an HTML page ...)."""
    if looks_like_html(content):
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[media]
    path = urlsplit(url).path.lower()
    for ext, fmt in _BY_EXTENSION.items():
        if path.endswith(ext):
            return fmt
    head = content[:300]
    if isinstance(head, bytes):
        head = head.decode("utf-8", errors="replace")
    head = head.lstrip("\ufeff \t\r\n")
    if head.startswith(("<?xml", "<rdf:RDF", "<RDF")):
        return "xml"
    if head.startswith(("{", "[")):
        return "json-ld"
    if head.lower().startswith(("@prefix", "@base", "prefix", "base")):
        return "turtle"
    return None


@lru_cache(maxsize=4096)
def curie(uri: str) -> str:
    for ns, prefix in _NS_SORTED:
        if uri.startswith(ns):
            return f"{prefix}:{uri[len(ns) :]}"
    return uri


@dataclass
class HydraInfo:
    next: str | None = None
    last: str | None = None
    total: int | None = None
    per_page: int | None = None


@dataclass
class DcatPage:
    datasets: list[dict]
    hydra: HydraInfo
    has_catalog: bool
    triples: int
    remote_contexts: list[str]
    parser: str  # which parser read the page: "odwatch-rdfxml" or "rdflib-<format>"


@contextmanager
def _quiet_rdflib():
    """rdflib logs a warning per literal whose datatype it cannot convert (dates such as
    '2021-01-28 GMT 01:51:03'); the lexical form is kept either way, so hush it."""
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _strip_remote_contexts(doc: Any, found: list[str]) -> Any:
    """Drop string @context entries: rdflib would fetch them over the network, outside
    the session (no User-Agent, no timeout, no politeness)."""
    if isinstance(doc, list):
        return [_strip_remote_contexts(x, found) for x in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key == "@context":
            items = value if isinstance(value, list) else [value]
            kept = []
            for item in items:
                if isinstance(item, str):
                    found.append(item)
                else:
                    kept.append(item)
            if kept:
                out[key] = kept if isinstance(value, list) else kept[0]
            continue
        out[key] = _strip_remote_contexts(value, found)
    return out


def graph_index(g: Graph) -> Index:
    def key(term) -> str:
        return f"_:{term}" if isinstance(term, BNode) else str(term)

    index: Index = {}
    for s, p, o in g:
        if isinstance(o, Literal):
            obj: Obj = Lit(str(o), o.language or None, str(o.datatype) if o.datatype else None)
        else:
            obj = key(o)
        index.setdefault(key(s), {})[(str(p), obj)] = None
    return index


def refuse_xml_entities(content: bytes | str) -> None:
    """ValueError if an XML page declares entities (a DOCTYPE with <!ENTITY ...>).

    odwatch never resolves XML entities: external ones could read local files or URLs,
    internal ones can expand a small page into gigabytes ("billion laughs"). No recorded
    catalogue declares any, so a page that does is refused, before either XML parser."""
    data = content.encode("utf-8", "replace") if isinstance(content, str) else content
    if _DOCTYPE.search(data[:65536]) and _ENTITY.search(data):
        raise ValueError(
            "the page declares XML entities (<!DOCTYPE ... <!ENTITY ...>); odwatch never "
            "expands XML entities (entity-expansion and external-entity attacks)"
        )


def load_index(content: bytes | str, fmt: str, base: str) -> tuple[Index, list[str], str]:
    """Parse one page into an Index; raise ValueError (with the reason) if it is not what it
    claims. RDF/XML goes through the fast reader, falling back to rdflib where it must; a
    page declaring XML entities is refused (refuse_xml_entities)."""
    if fmt == "xml":
        refuse_xml_entities(content)
        try:
            return read_rdfxml(content, base), [], "odwatch-rdfxml"
        except Unsupported:
            pass
    g = Graph()
    remote: list[str] = []
    with _quiet_rdflib():
        try:
            if fmt == "json-ld":
                doc = json.loads(content)
                doc = _strip_remote_contexts(doc, remote)
                with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own
                    warnings.simplefilter("ignore", DeprecationWarning)  # deprecated classes
                    g.parse(data=json.dumps(doc), format="json-ld", publicID=base)
            else:
                g.parse(data=content, format=fmt, publicID=base)
        except RecursionError:  # json.loads or rdflib's recursive walk on a hostile nesting
            raise ValueError(
                f"{fmt} nested too deeply to parse (more than {sys.getrecursionlimit()} levels)"
            ) from None
        except Exception as exc:  # rdflib raises many types (SAXParseException, BadSyntax ...)
            raise ValueError(snippet(f"{type(exc).__name__}: {exc}", 160)) from None
    return graph_index(g), remote, f"rdflib-{fmt}"


def _literal(o: Lit) -> dict:
    out: dict[str, str] = {"@value": o.value}
    if o.lang:
        out["@language"] = o.lang
    elif o.datatype is not None:
        out["@type"] = curie(o.datatype)
    return out


def describe(index: Index, node: str, containers: set[str], depth: int = 0, path=()) -> dict:
    """The node's outgoing properties as compact JSON; described nodes embedded."""
    out: dict[str, Any] = {}
    if not node.startswith("_:"):
        out["@id"] = node
    path = path + (node,)
    for p, o in index.get(node, {}):
        if p == RDF_TYPE:
            out.setdefault("@type", []).append(curie(o) if isinstance(o, str) else o.value)
            continue
        key = curie(p)
        if isinstance(o, Lit):
            value: dict = _literal(o)
        elif p == DCAT_DISTRIBUTION and o == node and depth == 0:
            value = describe(index, o, containers, 1)  # its own distribution (Destatis does this)
        elif depth < MAX_DEPTH and o not in path and o in index and o not in containers:
            value = describe(index, o, containers, depth + 1, path)
        elif not o.startswith("_:"):
            value = {"@id": o}
        else:
            value = {}
        out.setdefault(key, []).append(value)
    return out


def _hydra(index: Index) -> HydraInfo:
    found: dict[str, str] = {}
    for props in index.values():
        for p, o in props:
            if p.startswith(HYDRA):
                text = (o.value if isinstance(o, Lit) else o).strip()
                if text:
                    found.setdefault(p[len(HYDRA) :], text)

    def number(name: str) -> int | None:
        try:
            return int(float(found[name])) if name in found else None
        except ValueError:
            return None

    return HydraInfo(
        next=found.get("nextPage") or found.get("next"),
        last=found.get("lastPage") or found.get("last"),
        total=number("totalItems"),
        per_page=number("itemsPerPage"),
    )


def read_page(content: bytes | str, fmt: str, base: str) -> DcatPage:
    """One catalogue page -> its dataset records and its Hydra paging. Pure."""
    index, remote, parser = load_index(content, fmt, base)
    datasets: dict[str, None] = {}
    catalogs: set[str] = set()
    containers: set[str] = set()
    triples = 0
    for s, props in index.items():
        triples += len(props)
        for p, o in props:
            if p == RDF_TYPE and o in _CONTAINERS:
                containers.add(s)
                if o == DCAT_CATALOG:
                    catalogs.add(s)
                elif o == DCAT_DATASET:
                    datasets[s] = None
            elif p == DCAT_DATASET_LINK and isinstance(o, str):
                datasets[o] = None
    # RDF has no order: datasets by URI (blank nodes last), so runs compare
    ordered = sorted((s for s in datasets if s not in catalogs), key=lambda s: (s[:2] == "_:", s))
    records = [describe(index, s, containers) for s in ordered]
    return DcatPage(records, _hydra(index), bool(catalogs), triples, remote, parser)
