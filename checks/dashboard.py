"""The GovData metadata-quality dashboard profile, as its own score beside MQA (issue 16).

GovData's dashboard (the ``dashboard-live`` shapes of its validator) asks five things of a
dataset; odwatch judges each once per snapshot, in the assessment, and stores the verdicts in
``dashboard_verdicts`` (``warehouse/schema_dashboard.sql``), which every page and download reads:

1. **licence, three stages** over the dataset's distributions (a dataset without any: its
   stand-in, carrying the dataset's licence, as the MQA units do):
   stage 1 ``license_once``: every distribution has exactly one licence (none, or a
   ``dct:license`` maxCount Violation of the dashboard shapes, fails);
   stage 2 ``license_listed``: every distribution's licence, *as written*, is a URI of the
   DCAT-AP.de licence list (``http://dcat-ap.de/def/licenses/...``);
   stage 3 ``license_open``: at least one distribution's licence, as written, is on the list
   and marked open there (``govdata:isOpenLicense true``).
   Every real spelling is reported a second time after normalising (``*_normalised``:
   http/https, ``www.``, case, a trailing slash, ``4_0`` for ``4.0``, GovData's own
   ``govdata.de/dl-de/...`` pages and CKAN ids such as ``dl-de-by-2.0`` through odwatch's
   licence table): "conformant as written" is what GovData counts, "open after normalising"
   is what the city meant.
2. ``keywords``: at least one keyword.
3. ``publisher``: a publisher is named.
4. ``contributor``: the dataset's ``dcatde:contributorID`` from the contributors list, read from
   the snapshot's SHACL validation under the ``govdata-dashboard`` profile: ``ok`` (no
   Violation on it), ``missing`` (a Violation on a field the platform supplies),
   ``aggregator`` (the Violation is on a field only the aggregator sets, ``unknowable``: the
   city delivers through a Land or regional portal, which sets it on the way to GovData; shown,
   not counted against the city) or ``unknown`` (no dashboard validation: not judged).

The licence list is read at run time from the shapes directory
(``dashboard-live/shapes/dcat-ap-de-licenses-open.rdf``: AGPL, never copied here):
:func:`load_license_list`. A dataset's dashboard **score** is the share of its judged criteria
it meets (licence stages 1-3 as written, keywords, publisher, contributor unless not judged);
a portal's is the mean of its datasets' scores, in percent (:data:`DASHBOARD_SCORE_SQL`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from checks.licenses import classify_license

LICENSE_LIST = "validator/resources/dashboard-live/shapes/dcat-ap-de-licenses-open.rdf"
_LIST_PREFIX = "http://dcat-ap.de/def/licenses/"
_OPEN = "http://govdata.de/mqa/#isOpenLicense"


def shapes_dir() -> Path:
    """GovData's validator checkout: ``$ODWATCH_SHACL_SHAPES``, else
    ``../shared/corpus/shacl/govdata-dcat-ap-de-validator`` beside the repository."""
    env = os.environ.get("ODWATCH_SHACL_SHAPES")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "corpus" / "shacl" / "govdata-dcat-ap-de-validator"


class LicenseListError(Exception):
    """The licence list could not be read: one line naming the file."""


@dataclass(frozen=True)
class LicenseList:
    open: dict[str, bool]  # list URI -> open (govdata:isOpenLicense)
    source: Path

    def normalised(self) -> dict[str, str]:
        return {normalise_uri(u): u for u in self.open}


def load_license_list(root: Path | None = None) -> LicenseList:
    """The DCAT-AP.de licence list with GovData's openness marks, parsed from the shapes."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF, SKOS

    path = (root or shapes_dir()) / LICENSE_LIST
    if not path.is_file():
        raise LicenseListError(
            f"{path}: GovData's licence list not found; set ODWATCH_SHACL_SHAPES"
        )
    g = Graph()
    try:
        g.parse(path, format="xml")
    except Exception as exc:  # noqa: BLE001 - any parse failure is one line
        raise LicenseListError(f"{path}: cannot parse the licence list: {exc}") from None
    concepts = {
        str(s) for s in g.subjects(RDF.type, SKOS.Concept) if str(s).startswith(_LIST_PREFIX)
    }
    marks = {str(s): str(o).lower() == "true" for s, o in g.subject_objects(URIRef(_OPEN))}
    if not concepts:
        raise LicenseListError(f"{path}: no licences of {_LIST_PREFIX} in it")
    return LicenseList({u: marks.get(u, False) for u in sorted(concepts)}, path)


_VERSION_UNDERSCORE = re.compile(r"(\d)_(\d)")


def normalise_uri(raw: str) -> str:
    """A licence URI in the form the list's URIs are compared in: http, no ``www.``, lower
    case, no trailing slash or fragment, ``4.0`` for ``4_0``."""
    text = raw.strip().lower().split("#", 1)[0].rstrip("/")
    text = re.sub(r"^https?://(www\.)?", "http://", text)
    return _VERSION_UNDERSCORE.sub(r"\1.\2", text)


@dataclass(frozen=True)
class LicenseVerdict:
    listed: bool  # as written: a URI of the list
    open: bool  # as written: on the list and open
    listed_normalised: bool
    open_normalised: bool
    uri: str | None  # the list URI it names after normalising


def license_verdict(
    raw: str | None, lst: LicenseList, by_id: dict[str, str] | None = None
) -> LicenseVerdict:
    """How the dashboard reads one licence value, as written and after normalising.
    ``by_id``: :func:`ids_to_uris` of the list (computed once per list)."""
    if raw is None or not raw.strip():
        return LicenseVerdict(False, False, False, False, None)
    listed = raw in lst.open
    uri = (
        lst.normalised().get(normalise_uri(raw))
        if raw.strip().lower().startswith(("http", "www"))
        else None
    )
    if uri is None:
        lic = classify_license(raw)
        uri = (by_id if by_id is not None else ids_to_uris(lst)).get(lic.license_id or "")
    return LicenseVerdict(
        listed,
        listed and lst.open[raw],
        uri is not None,
        uri is not None and lst.open[uri],
        uri,
    )


def ids_to_uris(lst: LicenseList) -> dict[str, str]:
    """odwatch licence id -> the list URI it stands for, where exactly one URI has that id."""
    seen: dict[str, list[str]] = {}
    for uri in lst.open:
        lic = classify_license(uri)
        if lic.license_id:
            seen.setdefault(lic.license_id, []).append(uri)
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


CRITERIA = (
    "license_once",
    "license_listed",
    "license_open",
    "keywords",
    "publisher",
    "contributor",
)

#: Per dataset over a row of ``dashboard_verdicts``: the share of its judged criteria it meets
#: (contributor counts only when ok or missing).
DASHBOARD_SCORE_SQL = (
    "((license_once::INTEGER + license_listed::INTEGER + license_open::INTEGER "
    "+ keywords::INTEGER + publisher::INTEGER + (contributor = 'ok')::INTEGER) "
    "/ (5 + (contributor IN ('ok', 'missing'))::INTEGER))"
)


def dataset_score(v: dict) -> float:
    """The Python twin of :data:`DASHBOARD_SCORE_SQL`."""
    met = sum(bool(v[c]) for c in CRITERIA[:5]) + (v["contributor"] == "ok")
    return met / (5 + (v["contributor"] in ("ok", "missing")))
