"""A fast reader for the RDF/XML that DCAT catalogues are written in. Pure.

rdflib's RDF/XML parser is pure Python on SAX; a catalogue page of 100 datasets (Rostock,
1.9 MB, 17,700 triples) takes it about a second. This reader walks the tree that the C
ElementTree parser builds and produces the same triples several times faster. It covers
the RDF/XML grammar catalogues use: rdf:Description and typed node elements, rdf:about,
rdf:nodeID, rdf:ID, property attributes, rdf:resource, rdf:datatype, xml:lang and xml:base
(inherited), rdf:parseType="Resource", nested node elements and empty property elements
with attributes. Anything else (parseType Literal or Collection, rdf:li, reification with
rdf:ID on a property) raises `Unsupported`, and the caller falls back to rdflib.

Triples land in an `Index`: subject -> ordered set of (predicate, object). Subjects and node
objects are strings (URIs; blank nodes as "_:" + id), literals are `Lit` tuples with their
lexical form as written (rdflib would normalise some typed ones, e.g. integers).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import NamedTuple
from urllib.parse import urljoin

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
RDF_TYPE = RDF + "type"
_ABOUT, _NODEID, _ID, _RESOURCE = (f"{{{RDF}}}{n}" for n in ("about", "nodeID", "ID", "resource"))
_DATATYPE, _PARSETYPE, _TYPE = (f"{{{RDF}}}{n}" for n in ("datatype", "parseType", "type"))
_LANG, _BASE = f"{{{XML}}}lang", f"{{{XML}}}base"
_SYNTAX = {_ABOUT, _NODEID, _ID, _RESOURCE, _DATATYPE, _PARSETYPE}
_UNSUPPORTED_ATTRS = {f"{{{RDF}}}{n}" for n in ("bagID", "aboutEach", "aboutEachPrefix", "li")}
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class Unsupported(Exception):
    """RDF/XML this reader does not handle; use a full parser."""


class Lit(NamedTuple):
    value: str
    lang: str | None = None
    datatype: str | None = None


Obj = str | Lit
Index = dict[str, dict[tuple[str, Obj], None]]


def _uri(tag: str) -> str:
    if tag[0] != "{":
        raise Unsupported(f"element without a namespace: {tag}")
    ns, local = tag[1:].split("}", 1)
    return ns + local


class _Reader:
    def __init__(self, base: str):
        self.index: Index = {}
        self.base = base
        self.fresh = 0
        self.joined: dict[tuple[str, str], str] = {}
        self.predicates: dict[str, str] = {}

    def join(self, base: str, ref: str) -> str:
        """urljoin(base, ref), remembered: a page repeats the same datatype and vocabulary
        IRIs thousands of times, and urljoin was a fifth of reading a Rostock page."""
        key = (base, ref)
        iri = self.joined.get(key)
        if iri is None:
            iri = self.joined[key] = urljoin(base, ref)
        return iri

    def add(self, s: str, p: str, o: Obj) -> None:
        props = self.index.get(s)
        if props is None:
            props = self.index[s] = {}
        props[(p, o)] = None

    def bnode(self) -> str:
        self.fresh += 1
        return f"_:#{self.fresh}"  # '#' never occurs in an rdf:nodeID (an XML name)

    def node(self, el: ET.Element, base: str, lang: str | None) -> str:
        """A node element: its subject, with its type and properties added."""
        base = self.join(base, el.get(_BASE)) if el.get(_BASE) else base
        lang = el.get(_LANG, lang)
        if el.get(_ABOUT) is not None:
            subject = self.join(base, el.get(_ABOUT))
        elif el.get(_NODEID) is not None:
            subject = "_:" + el.get(_NODEID, "")
        elif el.get(_ID) is not None:
            subject = self.join(base, "#" + el.get(_ID, ""))
        else:
            subject = self.bnode()
        tag = _uri(el.tag)
        if tag != RDF + "Description":
            self.add(subject, RDF_TYPE, tag)
        self.attributes(subject, el, base, lang, skip=_SYNTAX)
        for child in el:
            self.property(subject, child, base, lang)
        return subject

    def attributes(self, subject: str, el: ET.Element, base: str, lang, skip) -> None:
        for name, value in el.attrib.items():
            if name in skip or name.startswith(f"{{{XML}}}"):
                continue
            if name in _UNSUPPORTED_ATTRS:
                raise Unsupported(f"attribute {name}")
            if name == _TYPE:
                self.add(subject, RDF_TYPE, self.join(base, value))
            else:
                self.add(subject, _uri(name), Lit(value, lang or None))

    def predicate(self, tag: str) -> str:
        """A property element's tag -> its predicate IRI (remembered per tag)."""
        predicate = self.predicates.get(tag)
        if predicate is None:
            predicate = _uri(tag)
            if predicate.startswith(RDF) and predicate[len(RDF) :] in ("li", "Description", "RDF"):
                raise Unsupported(f"property element {predicate}")
            self.predicates[tag] = predicate
        return predicate

    def property(self, subject: str, el: ET.Element, base: str, lang: str | None) -> None:
        if not isinstance(el.tag, str):  # a comment or processing instruction
            return
        predicate = self.predicate(el.tag)
        attrib = el.attrib  # most property elements have none: skip their lookups
        if attrib:
            base = self.join(base, attrib[_BASE]) if attrib.get(_BASE) else base
            lang = attrib.get(_LANG, lang)
            if _ID in attrib:
                raise Unsupported("rdf:ID on a property element (reification)")
            parse_type = attrib.get(_PARSETYPE)
            if parse_type is not None:
                if parse_type != "Resource":
                    raise Unsupported(f'rdf:parseType="{parse_type}"')
                obj = self.bnode()
                self.add(subject, predicate, obj)
                for child in el:
                    self.property(obj, child, base, lang)
                return
        if len(el):
            children = [c for c in el if isinstance(c.tag, str)]
            if children:
                if len(children) > 1 or (el.text and el.text.strip()):
                    raise Unsupported("property element with mixed content")
                self.add(subject, predicate, self.node(children[0], base, lang))
                return
        if attrib:
            resource, node_id = attrib.get(_RESOURCE), attrib.get(_NODEID)
            extra = [n for n in attrib if n not in _SYNTAX and not n.startswith(f"{{{XML}}}")]
            if resource is not None or node_id is not None or extra:
                if resource is not None:
                    obj = self.join(base, resource)
                elif node_id is not None:
                    obj = "_:" + node_id
                else:
                    obj = self.bnode()
                if _DATATYPE in attrib:
                    raise Unsupported("rdf:datatype on a resource property")
                self.add(subject, predicate, obj)
                self.attributes(obj, el, base, lang, skip=_SYNTAX)
                return
            datatype = attrib.get(_DATATYPE)
            if datatype is not None:
                self.add(subject, predicate, Lit(el.text or "", None, self.join(base, datatype)))
                return
        self.add(subject, predicate, Lit(el.text or "", lang or None))


def read_rdfxml(content: bytes | str, base: str) -> Index:
    """Parse RDF/XML into an Index; raise Unsupported or ValueError (not well-formed)."""
    if isinstance(content, str):
        content = _DECLARATION.sub("", content, count=1).encode("utf-8")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise ValueError(f"ParseError: {exc}") from None
    reader = _Reader(base)
    lang = root.get(_LANG)
    doc_base = urljoin(base, root.get(_BASE)) if root.get(_BASE) else base
    if root.tag == f"{{{RDF}}}RDF":
        for el in root:
            if isinstance(el.tag, str):
                reader.node(el, doc_base, lang)
    else:  # a single node element as the document
        reader.node(root, doc_base, lang)
    return reader.index
