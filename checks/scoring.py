"""The scoring method in one table: indicators (what earns points) and checks (finding codes).

An **indicator** is one of data.europa.eu's MQA indicators (405 points in five dimensions). It
is judged on a *unit*: a dataset (``level="dataset"``), each distribution
(``"distribution"``) or each dataset's best distribution (``"best-distribution"``: the one
with the most interoperability points, as MQA does for interoperability). Points are
``weight x share of units that pass``, for a portal over all its units and for one dataset over
its own units (a dataset's score is the MQA score of a catalogue holding only that dataset).

An indicator that cannot be judged is *not checked*: it counts neither for nor against, and
scores say how many points were assessable. ``requires="link-checks"`` indicators are judged
only for distributions whose URL has a link-check result (ok or dead); ``requires="shacl"``
(``dcat-ap-compliance``) only for datasets the snapshot's SHACL validation judged (the
``shacl_datasets`` of its DCAT-AP.de profile, ``warehouse/schema_shacl.sql``): a dataset passes
when it has no Violation, fails when a Violation is on a field its platform can supply, and is
not judged when its only Violations are on fields the platform's API cannot supply
(``unknowable``), when its graph could not be built, or when no validation ran.

A **check** is a finding code: a stable kebab-case name, a title, a severity, a fix hint, and
the indicators whose points it can cost (none for the conformance, openness and freshness
checks, which are reported and summarised as shares but not scored). The ``content`` checks
are found by ``odwatch check-links`` on a sample of each file (:mod:`checks.content`); an
assessment copies the latest content check's findings of each of the run's distributions made
before the portal's next snapshot, at no points.

**5-star openness** (:mod:`checks.stars`, computed by ``odwatch check-links`` per distribution
of a snapshot): a dataset's ``stars`` is its best distribution's; a portal's is the average
over the datasets that have one, with ``stars_0`` .. ``stars_5`` counting datasets per level
(on a dataset row 1 for its level, 0 for the others). NULL where no stars were computed for the
assessed snapshot. Read from the warehouse, not judged by the rules: no points.

The scorecard's headline is **really released**: the share of a portal's datasets that are
released, of those that can be decided (rules in :mod:`checks.metadata`, :func:`released`).
A distribution *qualifies* when it is a real distribution with a URL, its declared format is
machine-readable (as the ``machine-readable`` indicator reads it) and its effective licence
(its own, else the dataset's) is open. Its *link* is the latest link-check outcome for its
download URL if it has one, else for its access URL. A dataset is

- not released when it is late against its declared frequency (exempt frequencies, none or
  one that cannot be judged do not count against it);
- else released when a qualifying distribution's link is ``ok``;
- else undetermined when a qualifying distribution's link is unverified (no result yet,
  ``failing`` (one failure, not confirmed yet), ``blocked``, ``timeout``, ``server-error``, ``error``, ``refused-private-address``);
- else not released: no distribution qualifies, or each that does is ``dead`` or
  ``invalid-url`` (a dataset without distributions is not released).

A portal's ``share_released`` = released / (released + not released); the undetermined are
counted apart (``released_unverified``), as the reachability indicators leave unverified
links out. The released + not released datasets are the share's *base* ("judged"); the share
is shown only with its base, and not at all (a dash, "not verifiable yet") when the base is
too small (:func:`released_verifiable`: at least :data:`RELEASED_MIN_JUDGED` datasets, or all
of a smaller catalogue, and at least :data:`RELEASED_MIN_JUDGED_SHARE` of the datasets).
Cities below it are listed after the ranked ones, unranked.

The **fix list** orders a portal's flagged datasets by what most improves the headline first:
a dataset that is not released (or undetermined) and has a finding of
:data:`RELEASE_FIXES` (a closed or unknown licence, a dead or invalid link, a web page or an
empty file instead of data, a format that is not machine-readable, a late dataset) comes
before every other, then by the MQA points fixing it would gain (:func:`fix_order_sql`, read
by the fix-list page, the per-city findings CSV and ``odwatch findings``).

Any change to a weight, a check or a rule is a new method: bump :data:`METHOD_VERSION`. The
:func:`checks.fingerprint.method_fingerprint` (a hash of this table and the rules' SQL) is
stored with every assessment, and ``tests/test_scoring.py`` pins it per version, so a change
without a bump fails the tests and a warehouse refuses to mix two definitions under one
version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from checks.method_notes import notes

METHOD_VERSION = "2026.12-2"

Level = Literal["dataset", "distribution", "best-distribution"]
Severity = Literal["error", "warning", "info"]
Kind = Literal["mqa", "conformance", "open-data", "freshness", "catalogue", "content"]

DIMENSIONS: tuple[str, ...] = (
    "findability",
    "accessibility",
    "interoperability",
    "reusability",
    "contextuality",
)
MAX_POINTS = 405
# MQA rating bands, best first: (band, lowest score in it) on the 405-point scale.
BANDS: tuple[tuple[str, int], ...] = (
    ("excellent", 351),
    ("good", 221),
    ("sufficient", 121),
    ("bad", 0),
)


# The headline's base: the "really released" share is shown only when enough datasets could be
# judged (released or not released; the undetermined do not count): at least this many, or all
# of a catalogue that has fewer ...
RELEASED_MIN_JUDGED = 5
# ... and at least this share of the portal's datasets. Below: a dash and "not verifiable yet".
RELEASED_MIN_JUDGED_SHARE = 0.1

# Finding codes that can keep a dataset from being really released, in the order the fix list
# shows them: licence, link, what the file is, format, freshness (see the module docstring).
RELEASE_FIXES: tuple[str, ...] = (
    "non-open-license",
    "missing-license",
    "unknown-license",
    "broken-download-url",
    "broken-access-url",
    "invalid-download-url",
    "invalid-access-url",
    "missing-access-url",
    "no-distributions",
    "html-instead-of-data",
    "empty-file",
    "not-machine-readable",
    "unknown-format",
    "missing-format",
    "stale-vs-declared-frequency",
)


@dataclass(frozen=True)
class Indicator:
    id: str
    dimension: str
    label: str  # MQA's name for it
    weight: int
    level: Level
    passes_when: str  # one line for the method page
    requires: Literal["", "link-checks", "shacl"] = ""


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    severity: Severity
    level: Literal["dataset", "distribution"]
    kind: Kind
    fix: str
    indicators: tuple[str, ...] = ()  # MQA indicators whose points this finding can cost


_INTEROP = ("format", "media-type", "format-vocabulary", "non-proprietary", "machine-readable")
# what a dataset without distributions misses (reachability: nothing to check, not failed)
_PER_DISTRIBUTION = (
    "download-url",
    "license",
    "license-vocabulary",
    "rights",
    "byte-size",
)

INDICATORS: tuple[Indicator, ...] = (
    # Findability (100)
    Indicator("keywords", "findability", "Keyword usage", 30, "dataset", "at least one keyword (dcat:keyword, CKAN tags)"),
    Indicator("themes", "findability", "Categories", 30, "dataset", "at least one theme (dcat:theme, CKAN groups)"),
    Indicator("spatial", "findability", "Geo search", 20, "dataset", "a spatial coverage (dct:spatial)"),
    Indicator("temporal", "findability", "Time-based search", 20, "dataset", "a temporal coverage start or end (dct:temporal)"),
    # Accessibility (100)
    Indicator("access-url-reachable", "accessibility", "AccessURL accessibility", 50, "distribution", "the access URL's latest link check is ok (dead fails: gone on two checks 24 h apart, or 410; failing, blocked, timeout and unchecked are not judged)", "link-checks"),
    Indicator("download-url", "accessibility", "DownloadURL", 20, "distribution", "a download URL (dcat:downloadURL; CKAN: an uploaded file)"),
    Indicator("download-url-reachable", "accessibility", "DownloadURL accessibility", 30, "distribution", "the download URL's latest link check is ok (judged only where a download URL exists)", "link-checks"),
    # Interoperability (110)
    Indicator("format", "interoperability", "Format", 20, "best-distribution", "a declared format (dct:format)"),
    Indicator("media-type", "interoperability", "Media type", 10, "best-distribution", "a declared media type (dcat:mediaType)"),
    Indicator("format-vocabulary", "interoperability", "Format / media type from vocabulary", 10, "best-distribution", "the declared format or media type is an EU file type or IANA media type, or a label that maps to one"),
    Indicator("non-proprietary", "interoperability", "Non-proprietary", 20, "best-distribution", "the format (declared, else media type, else URL extension) is an open format"),
    Indicator("machine-readable", "interoperability", "Machine readable", 20, "best-distribution", "the format is machine-readable"),
    Indicator("dcat-ap-compliance", "interoperability", "DCAT-AP compliance", 30, "dataset", "no SHACL Violation against the snapshot's DCAT-AP.de profile (default 2.0 + Konventionen; GovData's shapes); only Violations on fields the platform cannot supply: not judged", "shacl"),
    # Reusability (75)
    Indicator("license", "reusability", "Licence information", 20, "distribution", "a licence on the distribution, else on the dataset"),
    Indicator("license-vocabulary", "reusability", "Licence vocabulary", 10, "distribution", "that licence is one our licence table knows and has a DCAT-AP.de or EU vocabulary URI"),
    Indicator("access-rights", "reusability", "Access restrictions", 10, "dataset", "an access-rights statement (dct:accessRights)"),
    Indicator("access-rights-vocabulary", "reusability", "Access restrictions vocabulary", 5, "dataset", "access rights given as an EU access-right URI (PUBLIC, RESTRICTED, NON_PUBLIC ...)"),
    Indicator("contact-point", "reusability", "Contact point", 20, "dataset", "a contact name, email or URL (dcat:contactPoint; CKAN maintainer/author)"),
    Indicator("publisher", "reusability", "Publisher", 10, "dataset", "a publisher (dct:publisher; CKAN: the organisation)"),
    # Contextuality (20)
    Indicator("rights", "contextuality", "Rights", 5, "distribution", "a rights statement (dct:rights)"),
    Indicator("byte-size", "contextuality", "File size", 5, "distribution", "a byte size (dcat:byteSize; CKAN size)"),
    Indicator("issued", "contextuality", "Date of issue", 5, "dataset", "an issue date (dct:issued; CKAN metadata_created)"),
    Indicator("modified", "contextuality", "Modification date", 5, "dataset", "a modification date (dct:modified; CKAN metadata_modified)"),
)  # fmt: skip

CHECKS: tuple[Check, ...] = (
    # --- MQA: findings that cost points
    Check("missing-keywords", "No keywords", "warning", "dataset", "mqa", "Add a few keywords (tags) people would search for.", ("keywords",)),
    Check("missing-themes", "No theme", "warning", "dataset", "mqa", "Assign at least one category (DCAT theme / CKAN group).", ("themes",)),
    Check("missing-spatial", "No spatial coverage", "warning", "dataset", "mqa", "State the area the data covers (place name, regional key or geometry).", ("spatial",)),
    Check("missing-temporal", "No temporal coverage", "warning", "dataset", "mqa", "State the period the data covers (start and end date).", ("temporal",)),
    Check("no-distributions", "No distributions", "error", "dataset", "mqa", "Add at least one resource with a download or access URL.", _PER_DISTRIBUTION + _INTEROP),

    Check("broken-access-url", "Access URL is dead", "error", "distribution", "mqa", "Fix or replace the access URL: the link check found it gone (404, no such host, refused) on two checks a day apart, or 410 Gone.", ("access-url-reachable",)),
    Check("missing-download-url", "No download URL", "warning", "distribution", "mqa", "Declare the file's direct address as its download URL: in CKAN, enter it as the resource's download link or upload the file; if the URL given is a page about the data, add the file's own URL.", ("download-url",)),
    Check("broken-download-url", "Download URL is dead", "error", "distribution", "mqa", "Fix or replace the download URL: the link check found it gone on two checks a day apart.", ("download-url-reachable",)),
    Check("missing-format", "No format", "warning", "distribution", "mqa", "Set the resource's format (e.g. CSV, GeoJSON).", ("format", "format-vocabulary", "non-proprietary", "machine-readable")),
    Check("missing-media-type", "No media type", "info", "distribution", "mqa", "Set the resource's media type (e.g. text/csv).", ("media-type",)),
    Check("format-not-in-vocabulary", "Format not from a vocabulary", "info", "distribution", "mqa", "Use a standard format name or EU file type (CSV, JSON, XLSX ...) instead of free text.", ("format-vocabulary",)),
    Check("unknown-format", "Format not recognised", "warning", "distribution", "mqa", "Declare what the file is with a standard format name; odwatch does not recognise this value.", ("non-proprietary", "machine-readable")),
    Check("proprietary-format", "Proprietary format", "warning", "distribution", "mqa", "Also publish the data in an open format (CSV instead of XLSX, GeoJSON/GPKG instead of SHP).", ("non-proprietary",)),
    Check("not-machine-readable", "Not machine-readable", "warning", "distribution", "mqa", "Publish the data itself in a structured format (CSV, JSON, XML), not a PDF or web page.", ("machine-readable",)),
    Check("missing-license", "No licence", "error", "distribution", "mqa", "State a licence, ideally an open one such as CC BY 4.0 or dl-de/by-2.0.", ("license", "license-vocabulary")),
    Check("unknown-license", "Licence not recognised", "warning", "distribution", "mqa", "Use a standard licence id or URI; odwatch cannot tell what this value allows.", ("license-vocabulary",)),
    Check("license-not-in-vocabulary", "Licence has no vocabulary URI", "info", "distribution", "mqa", "Use a licence from the DCAT-AP.de / EU licence vocabulary.", ("license-vocabulary",)),
    Check("missing-access-rights", "No access rights", "info", "dataset", "mqa", "State the access rights (e.g. .../access-right/PUBLIC).", ("access-rights", "access-rights-vocabulary")),
    Check("access-rights-not-in-vocabulary", "Access rights not from the EU vocabulary", "info", "dataset", "mqa", "Use an EU access-right URI such as http://publications.europa.eu/resource/authority/access-right/PUBLIC.", ("access-rights-vocabulary",)),
    Check("missing-contact-point", "No contact point", "warning", "dataset", "mqa", "Name a contact (maintainer) with an email address.", ("contact-point",)),
    Check("missing-publisher", "No publisher", "warning", "dataset", "mqa", "Name the publishing body.", ("publisher",)),
    Check("dcat-ap-violation", "Not DCAT-AP.de conformant", "warning", "dataset", "mqa", "Fix the fields GovData's validator rejects: each violation is listed with the field and what to change.", ("dcat-ap-compliance",)),
    Check("missing-rights", "No rights statement", "info", "distribution", "mqa", "Add a rights statement (dct:rights) to the resource.", ("rights",)),
    Check("missing-byte-size", "No file size", "info", "distribution", "mqa", "Record the file size of the resource.", ("byte-size",)),
    Check("missing-issued", "No issue date", "info", "dataset", "mqa", "Record when the dataset was first published.", ("issued",)),
    Check("missing-modified", "No modification date", "warning", "dataset", "mqa", "Record when the dataset was last changed.", ("modified",)),
    # --- Open Data Portal Watch conformance (judged only where the field exists; no points)
    Check("missing-title", "No title", "error", "dataset", "catalogue", "Give the dataset a title."),
    Check("missing-access-url", "No access URL", "error", "distribution", "catalogue", "Give the resource a URL where the data can be reached."),
    Check("missing-description", "No description", "warning", "dataset", "catalogue", "Describe what the data contains and how it was made."),
    Check("invalid-access-url", "Access URL is not a valid http(s) URL", "error", "distribution", "conformance", "Correct the URL: it must start with http:// or https:// and name a host."),
    Check("invalid-download-url", "Download URL is not a valid http(s) URL", "error", "distribution", "conformance", "Correct the URL: it must start with http:// or https:// and name a host."),
    Check("invalid-contact-email", "Contact email is not a valid address", "warning", "dataset", "conformance", "Enter one plain email address (name@example.org) in the contact email field."),
    Check("invalid-contact-url", "Contact URL is not a valid URL", "warning", "dataset", "conformance", "Enter an http(s) or mailto: URL in the contact URL field."),
    Check("unparseable-date", "Date does not parse", "warning", "dataset", "conformance", "Write dates as ISO 8601 (2024-05-31 or 2024-05-31T12:00:00Z)."),
    Check("future-modified-date", "Modification date in the future", "warning", "dataset", "conformance", "Correct the modification date: it lies after the harvest."),
    Check("unregistered-media-type", "Media type not registered", "info", "distribution", "conformance", "Use an IANA-registered media type (e.g. text/csv, application/json)."),
    # --- openness (no points; shares in the scores)
    Check("non-open-license", "Licence is not open", "error", "dataset", "open-data", "Publish under an open licence (CC BY 4.0, CC0, dl-de/by-2.0, dl-de/zero-2.0); NC and ND licences are not open."),
    # --- freshness against the declared frequency (no points; share on time in the scores)
    Check("stale-vs-declared-frequency", "Not updated as often as declared", "warning", "dataset", "freshness", "Update the data (and its modification date), or correct the declared update frequency."),
    Check("missing-frequency", "No update frequency declared", "info", "dataset", "freshness", "Declare how often the data is updated (e.g. monthly, annual, irregular)."),
    Check("unknown-frequency", "Update frequency not recognised", "info", "dataset", "freshness", "Use an EU frequency term (DAILY, WEEKLY, MONTHLY, ANNUAL, IRREG ...)."),
    # --- file contents (checks/content.py on a sample of the file; no points): copied from the
    # latest content check of each distribution made before the portal's next snapshot
    Check("empty-file", "File is empty", "error", "distribution", "content", "Upload the data: the file has no bytes, or only whitespace."),
    Check("html-instead-of-data", "Web page instead of the data", "error", "distribution", "content", "Link the data file itself, not a web page about it."),
    Check("format-mismatch", "File is another format than declared", "warning", "distribution", "content", "Correct the format field to what the file is, or upload the declared file."),
    Check("invalid-json", "JSON does not parse", "error", "distribution", "content", "Fix the JSON syntax so that a standard parser reads the whole file."),
    Check("not-utf8", "Text is not UTF-8", "warning", "distribution", "content", "Publish the text encoded as UTF-8."),
    Check("utf8-bom", "UTF-8 with a byte-order mark", "info", "distribution", "content", "Save the file as UTF-8 without a byte-order mark; some tools read it as data."),
    Check("no-rows", "Header but no data rows", "warning", "distribution", "content", "Upload the data rows, or remove the empty table."),
    Check("blank-header", "Column without a name", "warning", "distribution", "content", "Give every column a name in the header row."),
    Check("duplicate-header", "Column name used twice", "warning", "distribution", "content", "Make the column names unique."),
    Check("multiline-header", "Line break in a column name", "warning", "distribution", "content", "Put each column name on one line."),
    Check("empty-rows", "Empty rows", "warning", "distribution", "content", "Remove the rows without any value (only delimiters, or blank lines)."),
    Check("mixed-line-endings", "Mixed line endings", "info", "distribution", "content", "End all records the same way (all CRLF or all LF)."),
    Check("unparseable-csv", "CSV does not parse", "error", "distribution", "content", "Fix the quoting so that a standard CSV reader reads the whole file."),
    Check("delimiter-changed", "Delimiter changed within a series", "warning", "distribution", "content", "Keep the delimiter of the earlier files of the same series."),
    Check("column-order-changed", "Column order changed within a series", "warning", "distribution", "content", "Keep the column order of the earlier files of the same series."),
    Check("ragged-rows", "Rows of uneven width", "warning", "distribution", "content", "Give every row as many values as the header has columns."),
    Check("empty-column", "Empty column", "warning", "distribution", "content", "Fill the column or remove it."),
    Check("columns-changed", "Columns changed within a series", "warning", "distribution", "content", "Keep the columns of the earlier files of the same series, or start a new series."),
)  # fmt: skip


@dataclass(frozen=True)
class Method:
    """A versioned scoring method: the tables above plus the few numbers the rules use."""

    version: str
    indicators: tuple[Indicator, ...]
    checks: tuple[Check, ...]
    grace_days: int = 1  # freshness: late when modified + period + grace is past
    skew_days: int = 1  # a modification date this far after the harvest is "in the future"
    notes: tuple[str, ...] = field(default=())

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def check(self, code: str) -> Check:
        for chk in self.checks:
            if chk.code == code:
                return chk
        raise KeyError(code)

    def max_points(self) -> int:
        return sum(ind.weight for ind in self.indicators)

    def definition(self) -> dict:
        """The method as plain data (stored in the warehouse, rendered on the method page)."""
        return {
            "version": self.version,
            "grace_days": self.grace_days,
            "skew_days": self.skew_days,
            "bands": [list(b) for b in BANDS],
            "released_min_judged": RELEASED_MIN_JUDGED,
            "released_min_judged_share": RELEASED_MIN_JUDGED_SHARE,
            "release_fixes": list(RELEASE_FIXES),
            "indicators": [asdict(i) for i in self.indicators],
            "checks": [asdict(c) | {"indicators": list(c.indicators)} for c in self.checks],
            "notes": list(self.notes),
        }


NOTES = notes(RELEASED_MIN_JUDGED, RELEASED_MIN_JUDGED_SHARE)

CURRENT = Method(version=METHOD_VERSION, indicators=INDICATORS, checks=CHECKS, notes=NOTES)


def released_verifiable(judged: int | None, datasets: int | None) -> bool:
    """Is the really-released share worth showing? ``judged`` = released + not released
    datasets (the share's base), ``datasets`` = all of the portal's."""
    if not judged or not datasets:
        return False
    return judged >= min(RELEASED_MIN_JUDGED, datasets) and (
        judged >= RELEASED_MIN_JUDGED_SHARE * datasets
    )


def release_fix_sql(code: str) -> str:
    """DuckDB: the position (1..) of finding code expression `code` in :data:`RELEASE_FIXES`,
    0 when it is not one of them."""
    listed = ", ".join(f"'{c}'" for c in RELEASE_FIXES)
    return f"coalesce(list_position([{listed}], {code}), 0)"


def fix_order_sql(release_fixes: str, gain: str, findings: str, title: str, dataset: str) -> str:
    """DuckDB ORDER BY of the fix list, over per-dataset expressions: the number of release
    fixes of a dataset that is not released (0 otherwise), its points to gain, its number of
    finding codes, its title and id. Release fixes first, then the points."""
    return (
        f"({release_fixes} > 0) DESC, round({gain}, 6) DESC, {release_fixes} ASC, "
        f"{findings} DESC, {title}, {dataset}"
    )


def band(
    points: float | None, assessable: float | None, max_points: int = MAX_POINTS
) -> str | None:
    """The MQA band of a score scaled to ``max_points`` (None when nothing was assessable)."""
    if points is None or not assessable:
        return None
    scaled = points * max_points / assessable
    for name, lowest in BANDS:
        if scaled >= lowest:
            return name
    return BANDS[-1][0]


def band_sql(scaled: str) -> str:
    """DuckDB CASE for the band of a scaled score expression (same cut-offs as :func:`band`)."""
    whens = " ".join(f"WHEN {scaled} >= {lowest} THEN '{name}'" for name, lowest in BANDS)
    return f"(CASE WHEN {scaled} IS NULL THEN NULL {whens} ELSE '{BANDS[-1][0]}' END)"


def validate(method: Method) -> None:
    """Raise ValueError when the tables contradict each other (run by the tests)."""
    ids = [i.id for i in method.indicators]
    codes = [c.code for c in method.checks]
    for name, values in (("indicator", ids), ("check", codes)):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"duplicate {name} ids: {dupes}")
    for ind in method.indicators:
        if ind.dimension not in DIMENSIONS:
            raise ValueError(f"{ind.id}: unknown dimension {ind.dimension!r}")
    for chk in method.checks:
        unknown = set(chk.indicators) - set(ids)
        if unknown:
            raise ValueError(f"{chk.code}: unknown indicators {sorted(unknown)}")
