"""SHACL validation of DCAT-AP.de graphs with pyshacl, against GovData's own shapes (issue 16).

One idea: judge each dataset on its own graph, but run pyshacl once per batch of datasets and
give every result to the datasets that own the target it was reached from.

The shapes are read at run time from GovData's validator checkout (``$ODWATCH_SHACL_SHAPES``,
default ``../shared/corpus/shacl/govdata-dcat-ap-de-validator`` beside the repository; AGPL,
never copied here). A profile is the file set the validator's own
``validator/resources/config.properties`` lists for one of its validation types, so odwatch
validates with exactly what GovData's validator loads locally:

- ``dcat-ap-de-2.0`` (default): ``v20_de_spec_implr``, DCAT-AP.de 2.0 specification + Konventionen;
- ``dcat-ap-de-3.0``: ``v30_de_spec``;
- ``govdata-dashboard``: ``dashboard_live``, the quality dashboard's shapes.

Not loaded: the remote DCAT-AP base shapes the validator fetches from GitHub
(``...remote.0.url``); there is no network here, so those constraints are not judged.

Each dataset is judged on its own graph (its triples, its distributions', the nodes they
point at), the shapes parsed once per profile and reused (:class:`Shapes`); pyshacl runs on
the union of a batch of such graphs (:func:`validate_datasets`, results per dataset equal to
validating each alone and, per focus node, to pyshacl on the whole catalogue). Every result
becomes a row of ``shacl_results`` (``warehouse/schema_shacl.sql``) with the shape's own
message in German and English where the shape gives both. Severity is sh:Violation, sh:Warning
or sh:Info by local name; the dashboard profile's shapes use severities of their own
(``govdata:no_license``, ``govdata:no_correct_contributorID`` ...), stored by local name and
counted as violations.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import BNode, Node

from checks.compliance import DEFAULT_PROFILE, PROFILES
from checks.dcat_graph import DatasetGraph
from checks.rdf_split import owned_nodes

RESOURCES = Path("validator") / "resources"
MAX_TRIPLES = 50_000  # one dataset's graph; past this it is reported, not validated
MAX_VALUE = 500


class ShapesError(Exception):
    """The shapes of a profile cannot be read; str() is one line naming the file and the fix."""


# owl:imports of the profiles' import files, as local files. GovData's validator loads these
# before validating: without the FOAF and vCard ontologies a foaf:Organization is no foaf:Agent
# and a vcard:Organization no vcard:Kind (every publisher and contact point failed), and
# without the vocabularies every licence, format and theme IRI failed its skos:inScheme test.
MIRROR = "https://raw.githubusercontent.com/GovDataOfficial/DCAT-AP.de-SHACL-Validation/master/validator/resources/"
LOCAL_IMPORTS = {  # import IRI prefix -> file under the vocabulary folder or the shapes root
    "https://www.dcat-ap.de/def/licenses/20210721": "vocab:dcat-ap-de/licenses-20210721.rdf",
    "http://publications.europa.eu/resource/authority/file-type": "vocab:dcat-ap-de/filetypes-skos.rdf",
    "https://www.dcat-ap.de/def/contributors/": f"shapes:{RESOURCES}/dashboard-live/shapes/dcat-ap-de-contributors.rdf",
}  # fmt: skip


def vocabulary_root() -> Path:
    """Where the controlled vocabularies are (``$ODWATCH_VOCABULARIES``, default
    ``../shared/corpus/vocab`` beside the repository)."""
    env = os.environ.get("ODWATCH_VOCABULARIES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "vocab"


def shapes_root() -> Path:
    env = os.environ.get("ODWATCH_SHACL_SHAPES")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "corpus" / "shacl" / "govdata-dcat-ap-de-validator"


def profile_files(root: Path, profile: str) -> list[Path]:
    """The shapes files GovData's validator loads for `profile`, from its config.properties."""
    if profile not in PROFILES:
        raise ShapesError(f"unknown SHACL profile {profile!r}; use one of {', '.join(PROFILES)}")
    config = root / RESOURCES / "config.properties"
    key = f"validator.shaclFile.{PROFILES[profile]}"
    try:
        lines = config.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ShapesError(
            f"{config}: cannot read GovData's validator configuration ({exc.strerror or exc}); "
            "set ODWATCH_SHACL_SHAPES to a checkout of GovData's DCAT-AP.de validator"
        ) from None
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return [root / RESOURCES / f.strip() for f in value.split(",") if f.strip()]
    raise ShapesError(f"{config}: no '{key}' line; is this GovData's DCAT-AP.de validator?")


@dataclass
class Shapes:
    profile: str
    graph: Graph
    sha256: str
    files: list[Path]
    _compiled: Any = field(default=None, repr=False)
    # the profile's files that hold no shape (the dashboard's contributor list): merged into
    # every data graph, as the shapes expect; passed as an ontology graph without inference,
    # pyshacl would not see them and every contributorID would fail
    vocabulary: Graph = field(default_factory=Graph, repr=False)
    # owl:imports that could not be loaded here (no local copy): a result of a shape asking
    # for a concept of a scheme no loaded vocabulary has is stored, marked unknowable
    missing: tuple[str, ...] = ()
    blind: frozenset = frozenset()  # those shapes (sh:path skos:inScheme, sh:hasValue <scheme>)
    read: tuple[Path, ...] = ()  # every file looked at (a cache knows when to parse again)
    # blank-node shapes and paths by their content (:func:`_bnode_names`): a stored sh:sourceShape names
    # the same shape in every run and every worker process, not a label of one parse
    names: dict = field(default_factory=dict, repr=False)

    def compiled(self) -> Any:
        """pyshacl's ShapesGraph, built once and reused for every dataset."""
        if self._compiled is None:
            from pyshacl.shapes_graph import ShapesGraph

            self._compiled = ShapesGraph(self.graph)
        return self._compiled


def load_shapes(root: Path, profile: str = DEFAULT_PROFILE) -> Shapes:
    """Parse the profile's shapes files into one graph; a missing or broken file is a
    ShapesError naming it."""
    files = profile_files(root, profile)
    graph, vocabulary, digest = Graph(), Graph(), hashlib.sha256()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ShapesError(
                f"{path}: cannot read shapes file ({exc.strerror or exc}); "
                "set ODWATCH_SHACL_SHAPES to a complete checkout of GovData's validator"
            ) from None
        digest.update(path.name.encode() + b"\0" + data)
        fmt = "xml" if path.suffix in (".rdf", ".owl", ".xml") else "turtle"
        part = Graph()
        try:
            part.parse(data=data, format=fmt, publicID=path.as_uri())
        except Exception as exc:  # noqa: BLE001 - any parser error is the file's fault
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ShapesError(
                f"{path}: not valid {fmt} ({first}); restore the file from GovData's validator"
            ) from None
        if (None, RDF.type, SH.NodeShape) in part or (None, RDF.type, SH.PropertyShape) in part:
            graph.parse(data=data, format=fmt, publicID=path.as_uri())
        else:
            vocabulary += part
    missing, read = [], [root / RESOURCES / "config.properties", *files]
    for iri in sorted({str(o) for o in vocabulary.objects(None, OWL.imports)}):
        local = _local_import(root, iri)
        if local is not None:
            read.append(local)
        if local is None or not local.is_file():
            missing.append(iri)
            continue
        data = local.read_bytes()
        digest.update(local.name.encode() + b"\0" + data)
        fmt = "xml" if local.suffix in (".rdf", ".owl", ".xml") else "turtle"
        try:
            vocabulary.parse(data=data, format=fmt, publicID=local.as_uri())
        except Exception as exc:  # noqa: BLE001 - any parser error is the file's fault
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ShapesError(f"{local}: not valid {fmt} ({first}); restore the file") from None
    schemes = set(vocabulary.objects(None, SKOS.inScheme))
    blind = frozenset(
        shape
        for shape in graph.subjects(SH.path, SKOS.inScheme)
        if any(v not in schemes for v in graph.objects(shape, SH.hasValue))
    )
    return Shapes(
        profile, graph, digest.hexdigest(), files, vocabulary=vocabulary,
        missing=tuple(missing), blind=blind, read=tuple(read), names=_bnode_names(graph),
    )  # fmt: skip


def _bnode_names(graph: Graph) -> dict[BNode, str]:
    """Each blank node of the shapes graph -> ``_:s<digest>``, the digest of what it says
    (its predicates and objects, blank objects by their own digest): the same in every parse."""
    memo: dict[Node, str] = {}

    def digest(node: Node, seen: frozenset) -> str:
        if node in memo:
            return memo[node]
        if node in seen:
            return "cycle"
        parts = sorted(
            f"{p.n3()} {digest(o, seen | {node}) if isinstance(o, BNode) else o.n3()}"
            for p, o in graph.predicate_objects(node)
        )
        memo[node] = hashlib.sha1("\n".join(parts).encode(), usedforsecurity=False).hexdigest()
        return memo[node]

    return {
        b: f"_:shape-{digest(b, frozenset())[:16]}"
        for b in set(graph.subjects())
        if isinstance(b, BNode)
    }


def _local_import(root: Path, iri: str) -> Path | None:
    """The local copy of an owl:imports IRI, None when there is none."""
    if iri.startswith(MIRROR):
        return root / RESOURCES / iri[len(MIRROR) :]
    for prefix, where in LOCAL_IMPORTS.items():
        if iri.startswith(prefix):
            base, _, rel = where.partition(":")
            return (vocabulary_root() if base == "vocab" else root) / rel
    return None


def with_vocabulary(graph: Graph, vocabulary: Graph) -> Graph:
    """A copy of `graph` with :func:`add_vocabulary`."""
    out = Graph()
    out += graph
    return add_vocabulary(out, vocabulary)


def add_vocabulary(out: Graph, vocabulary: Graph) -> Graph:
    """`out` (changed in place) plus the part of `vocabulary` its nodes reach: every triple
    about a node it names (a licence concept's skos:inScheme, a class's superclasses), and on
    from there only along rdf:type and rdfs:subClassOf, as sh:class needs. A concept scheme's
    other concepts stay out, so merging costs what the dataset names, not the 10,000 triples of
    the ontologies and vocabularies (equal results to merging them all:
    tests/test_shacl_engine.py)."""
    todo = {n for n in out.all_nodes() if not isinstance(n, Literal)}
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        seen.add(node)
        for _, p, o in vocabulary.triples((node, None, None)):
            out.add((node, p, o))
            if (p == RDF.type or p == RDFS.subClassOf) and o not in seen:
                todo.add(o)
    return out


def _curie(graph: Graph, node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.curie(node, generate=False)
        except (ValueError, KeyError):
            return str(node)
    return node.n3() if isinstance(node, BNode) else str(node)


def _name(shapes: Shapes, node: Node | None) -> str | None:
    """A shape or path of the shapes graph as stored: its CURIE, a blank node by its content."""
    return shapes.names.get(node) or _curie(shapes.graph, node)


def _focus(node: Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _empty_row(dg: DatasetGraph) -> dict:
    return {
        "dataset_id": dg.dataset_id,
        "conforms": None,
        "violations": 0,
        "warnings": 0,
        "infos": 0,
        "unknowable": 0,
        "error": dg.error,
    }


_VALIDATOR: Any = None


def _validator_class() -> Any:
    """pyshacl's Validator; odwatch uses its setup (executor, options) and runs the shapes
    itself (:func:`_run`)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        from pyshacl import Validator

        _VALIDATOR = Validator
    return _VALIDATOR


Owners = dict[Node, tuple[int, ...]]


def _run(
    graph: Graph, shapes: Shapes, owners: Owners
) -> Iterator[tuple[tuple[int, ...] | None, list]]:
    """pyshacl's shapes on `graph` (the vocabulary it names added to it), as pyshacl's Validator.run
    does, but each shape's target nodes are evaluated in groups of the same owners (the
    datasets of the batch whose graph owns them) and each group's results come with those
    owners: a result of a node reached from a target (a theme concept under a distribution's
    sh:node) belongs to the datasets of that target, not to every dataset naming the concept.
    Targets no dataset owns come with None. The results are pyshacl's own (text, node,
    triples), without building its report graph (that was ~45 % of validating 400 datasets
    in one run). Raises what pyshacl raises."""
    from pyshacl.graph_abstraction import DataGraph

    if len(shapes.vocabulary):
        graph = add_vocabulary(graph, shapes.vocabulary)
    data = DataGraph.from_rdflib(graph)
    validator = _validator_class()(data, shacl_graph=shapes.graph, options={"allow_warnings": True})
    compiled = validator.shacl_graph = shapes.compiled()
    executor = validator.make_executor()
    for shape in compiled.shapes:
        if shape.deactivated:
            continue
        groups: dict[tuple[int, ...] | None, list[Node]] = {}
        for node in shape.focus_nodes(data):
            groups.setdefault(owners.get(node), []).append(node)
        for who, nodes in groups.items():
            _, results = shape.validate(executor, data, focus=nodes)
            if results:
                yield who, results


def _fields(triples: list) -> Iterator[tuple[dict, list]]:
    """A pyshacl result's triples as {predicate: node} and messages (in pyshacl's order), one
    pair per sh:ValidationResult among them: a result's sh:detail results (an sh:or under an
    sh:node) are results of the report graph of their own."""
    by_node: dict[Node, tuple[dict, list]] = {}
    for s, p, o in triples:
        if isinstance(o, tuple):
            o = o[1]
        fields, messages = by_node.setdefault(s, ({}, []))
        if p == SH.resultMessage:
            messages.append(o)
        else:
            fields[p] = o
    for fields, messages in by_node.values():
        if fields.get(RDF.type) == SH.ValidationResult:
            yield fields, messages


def _message_pair(messages: list) -> tuple[str | None, str | None]:
    de = en = plain = None
    for msg in dict.fromkeys(messages):  # a set in the report graph: duplicates once
        if isinstance(msg, Literal):
            if msg.language == "de":
                de = str(msg)
            elif msg.language == "en":
                en = str(msg)
            else:
                plain = str(msg)
    return de or plain, en or plain


def _messages(report: Graph, result: Node) -> tuple[str | None, str | None]:
    """A report graph's sh:resultMessage pair for `result` (the engine test reads pyshacl's
    whole-graph report with it)."""
    return _message_pair(list(report.objects(result, SH.resultMessage)))


def _result_row(
    shapes: Shapes, fields: dict, messages: list
) -> tuple[Node | None, dict, Node | None]:
    """(focus node, result row without dataset fields, source shape node)."""
    focus = fields.get(SH.focusNode)
    value = fields.get(SH.value)
    severity = _curie(shapes.graph, fields.get(SH.resultSeverity)) or ""
    severity = severity.rpartition(":")[2].rpartition("#")[2]
    component = str(fields.get(SH.sourceConstraintComponent) or "")
    de, en = _message_pair(messages)
    shape = fields.get(SH.sourceShape)
    row = {
        "focus": None if focus is None else _focus(focus),
        "path": _name(shapes, fields.get(SH.resultPath)),
        "value": None if value is None else str(value)[:MAX_VALUE],
        "severity": severity,
        "source_shape": _name(shapes, shape),
        "constraint_component": component.rpartition("#")[2] or None,
        "message_de": de,
        "message_en": en,
    }
    return focus, row, shape


BATCH = 200  # datasets per pyshacl run (tests/test_shacl_engine.py: equal results)


def validate_datasets(
    graphs: Iterable[DatasetGraph], shapes: Shapes, batch: int = BATCH
) -> Iterator[tuple[dict, list[dict]]]:
    """validate_dataset for each of `graphs`, in order, `batch` datasets per pyshacl run: the
    union of their graphs is validated once and each result goes to every dataset of the batch
    that owns its focus node (checks/rdf_split.owned_nodes; a publisher several datasets share
    is reported within each of them, as when validated one by one). The union holds every owned
    node's complete description, as each dataset's graph does, so per focus node the results
    are the whole graph's (tests/test_shacl_engine.py). A batch pyshacl cannot validate is
    validated dataset by dataset, so the error names the dataset."""
    for chunk in batches(graphs, batch):
        yield from _validate_batch(chunk, shapes)


def batches(graphs: Iterable[DatasetGraph], batch: int = BATCH) -> Iterator[list[DatasetGraph]]:
    """`graphs` cut into lists of `batch`, as validate_datasets cuts them."""
    chunk: list[DatasetGraph] = []
    for dg in graphs:
        chunk.append(dg)
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _validate_batch(chunk: list[DatasetGraph], shapes: Shapes) -> list[tuple[dict, list[dict]]]:
    rows = [_empty_row(dg) for dg in chunk]
    found: list[list[dict]] = [[] for _ in chunk]
    owners: dict[Node, list[int]] = {}
    union = Graph()
    for i, dg in enumerate(chunk):
        if dg.error:
            continue
        size = dg.size()
        if size > MAX_TRIPLES:
            rows[i]["error"] = (
                f"its graph has {size:,} triples, more than {MAX_TRIPLES:,}: not validated"
            )
            continue
        for triple in dg.triples():
            union.add(triple)
        for node in owned_nodes(dg):
            owners.setdefault(node, []).append(i)
    if not owners:
        return list(zip(rows, found, strict=True))
    try:
        runs = list(_run(union, shapes, {n: tuple(w) for n, w in owners.items()}))
    except Exception:  # noqa: BLE001 - find the dataset pyshacl fails on
        if len(chunk) == 1:
            raise
        return [validate_dataset(dg, shapes) for dg in chunk]
    for who, results in runs:
        for fields, messages in (f for _text, _node, tr in results for f in _fields(tr)):
            focus, base, shape = _result_row(shapes, fields, messages)
            mine = owners.get(focus, ())
            for i in mine if who is None else (i for i in who if i in mine):
                # a node of none of the batch's datasets: a shape's own sh:targetNode (a
                # vocabulary concept the data never names); the whole graph reports those once
                dg, row = chunk[i], rows[i]
                unknowable = base["path"] in dg.unknowable or shape in shapes.blind
                found[i].append(
                    {
                        "dataset_id": dg.dataset_id,
                        "distribution_id": dg.distributions.get(str(focus)),
                        **base,
                        "unknowable": unknowable,
                    }
                )
                # the dashboard's shapes name their own severities (govdata:no_license ...):
                # failed criteria, counted with the Violations; stored under their local name
                key = {"Warning": "warnings", "Info": "infos"}.get(base["severity"], "violations")
                row[key] += 1
                row["unknowable"] += unknowable
    for i, row in enumerate(rows):
        if row["error"] is None:
            row["conforms"] = row["violations"] == 0
            found[i].sort(key=_order)
    return list(zip(rows, found, strict=True))


def _order(r: dict) -> tuple:
    """Results by focus, path, severity, value, then the rest (a total order: the same rows in
    the same order however the batch was cut)."""
    head = (r["focus"], r["path"] or "", r["severity"], r["value"] or "")
    return head + tuple("" if v is None else str(v) for v in r.values())


def validate_dataset(dg: DatasetGraph, shapes: Shapes) -> tuple[dict, list[dict]]:
    """One dataset: its shacl_datasets row (without run_id/profile) and its result rows."""
    try:
        return _validate_batch([dg], shapes)[0]
    except Exception as exc:  # noqa: BLE001 - pyshacl's own errors: this dataset, not the run
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        row = _empty_row(dg)
        row["error"] = f"pyshacl could not validate its graph: {first}"
        return row, []
