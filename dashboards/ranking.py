"""The ranking: one row per configured portal, its latest score merged in, ranked (pure).

The rows come from :func:`warehouse.site.site_rows`; the portals are ``flows.config.Portal``
objects (read by attribute: id, kind, organization, city, title, url, platform, state,
population). The ranking rule: :func:`_rank`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from checks.scoring import DIMENSIONS, released_verifiable

SHARES = (
    "share_released",
    "share_open_license",
    "share_machine_readable",
    "share_non_proprietary",
    "share_on_time",
)
# the keys a ranking row has whether or not the portal has a score
SCORE_KEYS = (
    "assessment_id", "run_id", "method_version", "snapshot_at", "points", "max_assessable",
    "max_points", "scaled", "band", *DIMENSIONS, *SHARES, "datasets", "distributions",
    "released_datasets", "released_unverified",
    "previous_run_id", "previous_points", "city_change", "method_change",
    "previous_method_version", "previous_scaled", "previous_share_released", "scaled_change",
    "released_change", "findings", "flagged",
)  # fmt: skip


def _rank(ranking: list[dict], has_released: bool) -> None:
    """Standard competition ranking (1, 2, 2, 4) of the cities (``kind: city``) by the 'really
    released' share where it is verifiable (checks.scoring.released_verifiable), then points;
    by points when the warehouse has no share. Cities whose share is not verifiable yet, cities
    without a score and the regional and national catalogues stay unranked; the list is sorted
    ranked cities, unranked cities (by points), then catalogues."""

    def key(r: dict) -> tuple:
        share = r.get("share_released") if has_released else None
        return (-(share if share is not None else -1.0), -(r["scaled"] or 0.0))

    def rankable(r: dict) -> bool:
        if r["kind"] != "city" or r.get("scaled") is None:
            return False
        return r["share_shown"] if has_released else True

    scored = sorted((r for r in ranking if rankable(r)), key=key)
    previous, rank = None, 0
    for i, r in enumerate(scored, start=1):
        k = key(r)
        if k != previous:
            rank, previous = i, k
        r["rank"] = rank
    order = {id(r): i for i, r in enumerate(scored)}

    def place(r: dict) -> tuple:
        return (
            r["kind"] != "city",
            order.get(id(r), len(order)),
            r.get("scaled") is None,
            -(r.get("scaled") or 0.0),
            r["city"].casefold(),
            r["portal_id"],
        )

    ranking.sort(key=place)


def _released_base(row: dict) -> None:
    """The headline's base on a ranking row: ``released_judged`` (released + not released),
    ``share_shown`` (enough judged to show the share: checks.scoring.released_verifiable)."""
    datasets, released = row.get("datasets"), row.get("released_datasets")
    judged = (
        datasets - (row.get("released_unverified") or 0)
        if datasets is not None and released is not None
        else None
    )
    row["released_judged"] = judged
    row["share_shown"] = released_verifiable(judged, datasets)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _overlaps(out: list[dict]) -> None:
    """Which rows share a portal: a city's ``also_in`` (the regional or national catalogues
    harvested from the same host, which hold its datasets too, unranked) and a catalogue's
    ``contains`` (the cities ranked through their organisation on it)."""
    for r in out:
        same = [o for o in out if o is not r and _host(o["url"]) == _host(r["url"])]
        r["also_in"] = [
            {"portal_id": o["portal_id"], "city": o["city"], "title": o["title"]}
            for o in same
            if r["kind"] == "city" and o["kind"] != "city"
        ]
        r["contains"] = [
            {"portal_id": o["portal_id"], "city": o["city"], "organization": o["organization"]}
            for o in same
            if r["kind"] != "city" and o["kind"] == "city" and o["organization"]
        ]


def ranking(
    portals: Sequence[Any], overview: dict[str, dict], scores: dict[str, dict], has_released: bool
) -> list[dict]:
    """One row per configured portal: last harvest (`overview`, by portal id), latest score,
    change since the previous snapshot (same method), findings count (`scores`, by portal id),
    datasets per 100,000 inhabitants, rank."""
    out = []
    for p in portals:
        o = overview.get(p.id, {})
        s = scores.get(p.id, {})
        row: dict[str, Any] = {
            "portal_id": p.id,
            "kind": p.kind,
            "organization": p.organization,
            "city": p.city,
            "title": p.title,
            "url": p.url,
            "platform": p.platform,
            "state": p.state,
            "population": p.population,
            "last_status": o.get("last_status"),
            "last_error": o.get("last_error"),
            "last_started": o.get("last_started"),
            "warnings": o.get("warnings"),
            "dataset_count": o.get("dataset_count"),
            "distribution_count": o.get("distribution_count"),
            "rank": None,
        }
        row.update(dict.fromkeys(SCORE_KEYS))
        row.update(s)
        datasets = s.get("datasets", o.get("dataset_count"))
        row["datasets"] = datasets
        row["datasets_per_100k"] = (
            datasets * 100_000 / p.population if datasets is not None and p.population else None
        )
        _released_base(row)
        row["released_per_100k"] = (
            row["released_datasets"] * 100_000 / p.population
            if row["share_shown"] and p.population
            else None
        )
        out.append(row)
    _overlaps(out)
    _rank(out, has_released)
    return out
