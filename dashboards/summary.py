"""What a site build says about itself: the run's summary lines and the Prefect artifacts'
rows and Markdown table (pure: a :class:`SiteResult` in, text out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks.scoring import MAX_POINTS
from dashboards import i18n, render
from dashboards.site import human


@dataclass
class SiteResult:
    site: Path
    index: Path
    rows: list[dict]
    has_released: bool
    files: int
    bytes: int
    largest_page: int
    seconds: float
    kept: int = 0  # files taken unchanged from the previous publish (dashboards.reuse)

    def summary(self) -> str:
        return "\n".join(summary_lines(self))


def _line(r: dict) -> str:
    city = f"{r['city']} ({r['portal_id']})"
    if r["scaled"] is None:
        error = " ".join(str(r["last_error"] or "").split())
        error = error if len(error) <= 100 else error[:99] + "…"
        why = (
            f"last harvest {r['last_status']}: {error}"
            if r.get("last_status") and r["last_status"] != "ok"
            else "no assessed snapshot"
        )
        return f"   -  {city}: not scored; {why}"
    released = ""
    if r["share_released"] is not None:
        base = render.released_base("en", r)
        share = render.released_share("en", r)
        released = f"released {share} ({base}), " if share != "–" else f"released {base}, "
    change = (
        f" ({i18n.delta(r['scaled_change'], 'en').replace(chr(0x2212), '-')})"
        if r["scaled_change"] is not None
        else ""
    )
    rank = f"{r['rank']:>4}." if r["rank"] else "   - "
    return (
        f"{rank} {city}: {released}{r['band']} {r['scaled']:.1f}/{MAX_POINTS}{change}, "
        f"{i18n.count(r['datasets'], 'en', 'dataset')}, {r['findings']} findings"
    ).replace("\u202f", " ")


def summary_lines(result: SiteResult) -> list[str]:
    """Where the scorecard is, then one line per city in rank order, then the regional and
    national catalogues (not ranked)."""
    cities = [r for r in result.rows if r["kind"] == "city"]
    catalogues = [r for r in result.rows if r["kind"] != "city"]
    counted = i18n.count(len(cities), "en", "city")
    if catalogues:
        counted += ", " + i18n.count(len(catalogues), "en", "catalogue")
    kept = f", {result.kept} kept from the last publish" if result.kept else ""
    lines = [
        f"scorecard: {result.index} ({counted}, {result.files} files{kept}, {human(result.bytes)})",
        *(_line(r) for r in cities),
    ]
    if catalogues:
        lines.append("  regional and national catalogues (not ranked):")
        lines += [_line(r) for r in catalogues]
    return lines


def _md(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def artifact_rows(rows: Sequence[dict]) -> list[dict]:
    def r1(v: float | None) -> float | None:
        return round(v, 1) if v is not None else None

    return [
        {
            "rank": r["rank"],
            "kind": r["kind"],
            "city": r["city"],
            "portal": r["portal_id"],
            "really_released_pct": r1(r["share_released"] * 100) if r["share_released"] is not None and r["share_shown"] else None,
            "released_of_judged": f"{r['released_datasets']} of {r['released_judged']}" if r["released_judged"] is not None else None,
            "unverified": r["released_unverified"],
            f"points_of_{MAX_POINTS}": r1(r["scaled"]),
            "band": r["band"],
            "change": r1(r["scaled_change"]),
            "datasets": r["datasets"],
            "findings": r["findings"],
            "last_harvest": r["last_status"],
        }
        for r in rows
    ]  # fmt: skip


def scorecard_markdown(result: SiteResult) -> str:
    rows = artifact_rows(result.rows)
    cities = [r for r in rows if r["kind"] == "city"]
    scored = [r for r in cities if r[f"points_of_{MAX_POINTS}"] is not None]
    head = [
        "# odwatch scorecard",
        "",
        f"{len(scored)} of {i18n.count(len(cities), 'en', 'city')} scored (regional and national "
        f"catalogues listed apart, unranked); site written to `{result.index}` "
        f"({result.files} files, {human(result.bytes)}, {result.seconds:.1f} s).",
        "",
        f"| # | City | Kind | Really released | Of judged | Unverified | Points (of {MAX_POINTS}) | Band | Change | Datasets | Findings | Last harvest |",
        "|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]

    def cell(v: Any, unit: str = "") -> str:
        return "–" if v is None else _md(f"{v}{unit}")

    body = [
        f"| {cell(r['rank'])} | {_md(r['city'])} | {r['kind']} | {cell(r['really_released_pct'], ' %')} | "
        f"{cell(r['released_of_judged'])} | {cell(r['unverified'])} | "
        f"{cell(r[f'points_of_{MAX_POINTS}'])} | {cell(r['band'])} | {cell(r['change'])} | "
        f"{cell(r['datasets'])} | {cell(r['findings'])} | {cell(r['last_harvest'])} |"
        for r in sorted(rows, key=lambda r: r["kind"] != "city")
    ]
    return "\n".join(head + body) + "\n"
