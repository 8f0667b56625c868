"""5-star openness per distribution (ckanext-qa's rule) and per dataset."""

from __future__ import annotations

import pytest

from checks.stars import StarRating, dataset_stars, distribution_stars


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        # the link: only a dead one costs the stars; unverified ones do not
        (dict(link_outcome="dead", format_raw="CSV"), (0, None, None, "link-dead")),
        (dict(link_outcome="blocked", format_raw="CSV"), (3, "CSV", "declared", "format")),
        (dict(link_outcome="timeout", format_raw="RDF"), (5, "RDF", "declared", "format")),
        (dict(link_outcome=None, format_raw="XLSX"), (2, "XLSX", "declared", "format")),
        # sniffed beats the URL extension beats the declared format
        (
            dict(
                link_outcome="ok", sniffed_format="PDF", url="https://x.de/a.csv", format_raw="CSV"
            ),
            (1, "PDF", "sniffed", "format"),
        ),
        (
            dict(link_outcome="ok", url="https://x.de/a.xlsx", format_raw="CSV"),
            (2, "XLSX", "url", "format"),
        ),
        (
            dict(link_outcome="ok", url="https://x.de/download?id=7", format_raw="GeoJSON"),
            (3, "GEOJSON", "declared", "format"),
        ),
        (dict(link_outcome="ok", media_type_raw="text/turtle"), (5, "TTL", "declared", "format")),
        # an archive is scored by the payload its record or URL names
        (
            dict(link_outcome="ok", sniffed_format="ZIP", format_raw="zip+csv"),
            (3, "CSV", "sniffed", "format"),
        ),
        (
            dict(link_outcome="ok", sniffed_format="ZIP", url="https://x.de/roads.shp.zip"),
            (2, "SHP", "sniffed", "format"),
        ),
        (
            dict(link_outcome="ok", sniffed_format="ZIP", format_raw="ZIP"),
            (1, "ZIP", "sniffed", "format"),
        ),
        (
            dict(link_outcome="ok", sniffed_format="HTML", format_raw="CSV"),
            (1, "HTML", "sniffed", "format"),
        ),
        # nothing tells the format: obtainable and open, so 1
        (dict(link_outcome="ok", format_raw="Sonstiges"), (1, None, None, "format-unknown")),
    ],
)
def test_distribution_stars(kw: dict, expected: tuple) -> None:
    assert distribution_stars(license_open=True, **kw) == StarRating(*expected)


@pytest.mark.parametrize("license_open", [False, None])
def test_no_open_licence_no_stars(license_open: bool | None) -> None:
    assert distribution_stars(
        license_open=license_open, link_outcome="ok", sniffed_format="CSV"
    ) == StarRating(0, None, None, "license-not-open")


def test_dead_link_wins_over_licence() -> None:
    assert distribution_stars(license_open=False, link_outcome="dead").reason == "link-dead"


def test_dataset_has_the_stars_of_its_best_distribution() -> None:
    assert dataset_stars([1, 3, 0]) == 3
    assert dataset_stars([]) == 0
