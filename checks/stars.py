"""5-star openness per distribution, as ckanext-qa scores it.

0  not obtainable (the link is dead) or the licence is not open;
1  obtainable with an open licence, in any format (PDF, DOC, ZIP, TXT, images, HTML);
2  machine-readable but proprietary (XLS, XLSX, SHP ...);
3  an open standard format (CSV, JSON, GeoJSON, XML, KML, ODS, WMS/WFS ...);
4  uses URIs (not judged: nothing in a file shows it; unused in practice);
5  linked data (RDF, Turtle, N3, JSON-LD, SPARQL) that the publisher made.

The format is judged from the sniffed content where a sample was taken, else from the URL's
file extension, else from the declared format or media type ("don't take the publisher's
word"). The stars of a format come from ``checks/data/formats.csv``. A sniffed archive (ZIP)
whose declared payload is known (``zip+csv``) is scored by its payload, as formats.py does.

Levels 4 and 5 are judged, not given: a distribution the platform generated (an
Opendatasoft export, ``generated`` in the stored rows) serialises the records under the
platform's URIs, not linked data with a URI scheme of the publisher's own, so it earns at
most 3 stars (reason ``generated-export``), whatever its format.

Only a dead link takes stars away (dead = confirmed: two failed checks a day apart, or a 410;
see checks.links.judge); a link we could not verify (failing once, blocked, timeout, 5xx) is
not held against the publisher. A licence that is unknown or missing is not open: 0 stars,
as in ckanext-qa. The licence is not judged here: callers pass the stored licence verdict
(the assessment's), and :func:`level_if_open` gives the level before the licence, which
:data:`STARS_SQL` combines with a verdict in SQL. A dataset has the stars of its best
distribution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from checks.formats import format_from_url, format_row, normalize_format

Source = Literal["sniffed", "url", "declared"]


@dataclass(frozen=True)
class StarRating:
    stars: int
    format: str | None  # the format the stars were given for
    source: Source | None  # where that format came from
    reason: str  # kebab-case: license-not-open, link-dead, format, format-unknown,
    # generated-export


#: The most stars a generated distribution (a platform's automatic export) can earn.
GENERATED_MAX_STARS = 3

#: SQL: the stars of a distribution from its level before the licence and its licence
#: verdict (the twin of :func:`distribution_stars` given :func:`level_if_open`).
STARS_SQL = "(CASE WHEN {license_status} = 'open' THEN {format_stars} ELSE 0 END)"
#: SQL: the reason that goes with :data:`STARS_SQL` (a dead link wins over the licence).
STARS_REASON_SQL = (
    "(CASE WHEN {format_reason} = 'link-dead' OR {license_status} = 'open' "
    "THEN {format_reason} ELSE 'license-not-open' END)"
)


def format_stars(fmt: str | None) -> int | None:
    row = format_row(fmt) if fmt else None
    return row.stars if row is not None else None


def distribution_stars(
    *,
    license_open: bool | None,
    link_outcome: str | None,
    sniffed_format: str | None = None,
    url: str | None = None,
    format_raw: str | None = None,
    media_type_raw: str | None = None,
    generated: bool = False,
) -> StarRating:
    """The 5-star level of one distribution, given its licence verdict."""
    level = level_if_open(
        link_outcome=link_outcome,
        sniffed_format=sniffed_format,
        url=url,
        format_raw=format_raw,
        media_type_raw=media_type_raw,
        generated=generated,
    )
    if level.reason == "link-dead":
        return level
    if license_open is not True:
        return StarRating(0, None, None, "license-not-open")
    return level


def level_if_open(
    *,
    link_outcome: str | None,
    sniffed_format: str | None = None,
    url: str | None = None,
    format_raw: str | None = None,
    media_type_raw: str | None = None,
    generated: bool = False,
) -> StarRating:
    """The level a distribution earns if its licence is open: the link and the format only."""
    if link_outcome == "dead":
        return StarRating(0, None, None, "link-dead")
    rating = _format_level(sniffed_format, url, format_raw, media_type_raw)
    if generated and rating.stars > GENERATED_MAX_STARS:
        return StarRating(GENERATED_MAX_STARS, rating.format, rating.source, "generated-export")
    return rating


def _format_level(
    sniffed_format: str | None, url: str | None, format_raw: str | None, media_type_raw: str | None
) -> StarRating:
    declared = normalize_format(format_raw, media_type_raw, None)
    from_url = format_from_url(url)
    candidates: list[tuple[Source, str | None]] = [
        ("sniffed", sniffed_format),
        ("url", from_url),
        ("declared", declared.format),
    ]
    for source, fmt in candidates:
        stars = format_stars(fmt)
        if stars is None:
            continue
        row = format_row(fmt) if fmt else None
        if source == "sniffed" and row is not None and row.container:
            # an archive: score its payload when the record or URL names it (zip+csv, x.csv.zip)
            payload = _payload(fmt, declared.format, declared.container, url)
            if payload is not None:
                return StarRating(format_stars(payload) or stars, payload, source, "format")
        return StarRating(stars, fmt, source, "format")
    return StarRating(1, None, None, "format-unknown")


def _payload(
    container: str | None, declared: str | None, declared_container: str | None, url: str | None
) -> str | None:
    if declared and declared_container == container and declared != container:
        return declared
    info = normalize_format(None, None, url)
    if info.format and info.container == container and info.format != container:
        return info.format
    return None


def dataset_stars(ratings: Iterable[int]) -> int:
    """A dataset is as open as its best distribution (0 with none)."""
    return max(ratings, default=0)
