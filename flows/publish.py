"""Write the static scorecard from the warehouse: pages, downloads, badges; the artifacts' rows.

``publish_site(con, portals, site_dir)`` reads with SELECTs only (a read-only connection or a
cursor will do), renders with :mod:`dashboards.render` (pure) and writes the whole site into a
temporary folder beside ``site_dir``, then swaps it in, so a visitor or a static host never sees
half a site. Layout::

    index.html                 the ranking (English), same as en/index.html
    en/ de/                    index.html, method.html, downloads.html,
                               city/<portal>.html, city/<portal>/org-<k>[-<page>].html
    badges/<portal>.svg        band and share, English; <portal>.de.svg German
    downloads/                 scores, score_history, indicators (.csv .json .parquet),
                               findings.parquet, findings/<portal>.csv|.json, catalog.jsonld
    static/                    odwatch.css, odwatch.js (no CDN, nothing fetched)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from checks.metadata import method_fingerprint
from checks.scoring import (
    CURRENT,
    DIMENSIONS,
    MAX_POINTS,
    RELEASED_MIN_JUDGED,
    RELEASED_MIN_JUDGED_SHARE,
)
from dashboards import i18n, render
from flows import __version__
from flows.config import SLUG, Portal
from flows.publish_data import (
    SiteData,
    by_organization,
    changes,
    group_fix_list,
    organizations,
    previous_assessment,
    site_data,
)
from flows.publish_downloads import LICENSE_NAME, LICENSE_URL, dcat_catalog, write_downloads
from warehouse.store import WarehouseError

MARKER = ".odwatch-site"
FIX_PAGE_SIZE = 50  # datasets per fix-list page
TOP_FIXES = 10  # datasets with most to gain shown on the city page
SITE_URL_ENV = "ODWATCH_SITE_URL"  # where the site will be served: absolute URLs in DCAT, badges


class PublishError(WarehouseError):
    """The site cannot be written where asked; str() is one line."""


# ---------------------------------------------------------------- pages


def _human(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _api(harvests: list[dict]) -> dict[str, Any]:
    ok = [h for h in harvests if h["status"] == "ok"]
    secs = [h["seconds"] for h in ok if h["seconds"] is not None]
    return {
        "ok": len(ok),
        "total": len(harvests),
        "median_seconds": statistics.median(secs) if secs else None,
        "last_requests": harvests[-1]["request_count"] if harvests else None,
    }


def _dimensions(row: dict, indicators: list[dict]) -> list[dict]:
    out = []
    for d in DIMENSIONS:
        mine = [i for i in indicators if i["dimension"] == d]
        out.append(
            {
                "dimension": d,
                "points": row.get(d),
                "assessable": sum(i["weight"] for i in mine if i["share"] is not None),
                "max": sum(i["weight"] for i in mine),
            }
        )
    return out


_LABELS = {i.id: (i.label, i.passes_when) for i in CURRENT.indicators}


@dataclass
class City:
    """What one city's pages need beyond its ranking row (language-independent)."""

    row: dict
    orgs: list[dict]
    changes: dict | None


def city_data(con: duckdb.DuckDBPyConnection, row: dict) -> City:
    from flows.findings import fix_list

    if not row["assessment_id"]:
        return City(row, [], None)
    _, fix_rows = fix_list(con, row["portal_id"])
    datasets = group_fix_list(fix_rows, organizations(con, row["run_id"]))
    orgs = by_organization(datasets)
    found = None
    prev = previous_assessment(con, row["previous_run_id"], row["method_version"])
    if prev:
        found = changes(con, row["assessment_id"], prev, row["run_id"], row["previous_run_id"])
        found["previous_at"] = con.execute(
            "SELECT started_at FROM harvest_runs WHERE run_id = ?", [row["previous_run_id"]]
        ).fetchone()[0]
    return City(row, orgs, found)


class Writer:
    """Writes files below the build folder and counts them."""

    def __init__(self, root: Path):
        self.root = root
        self.files = 0
        self.bytes = 0
        self.largest_page = 0

    def text(self, path: str, content: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        target.write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        if path.endswith(".html"):
            self.largest_page = max(self.largest_page, len(data))


def _hints(datasets: list[dict]) -> list[dict]:
    """The checks found on one fix-list page, once each (title, severity, fix hint)."""
    seen: dict[str, dict] = {}
    for d in datasets:
        for f in d["findings"]:
            seen.setdefault(f["code"], f)
    return [seen[c] for c in sorted(seen)]


def _org_page(key: int, k: int) -> str:
    return f"org-{key}.html" if k == 1 else f"org-{key}-{k}.html"


def render_city_pages(
    out: Writer,
    data: SiteData,
    city: City,
    lang: str,
    common: dict[str, Any],
    base_url: str | None,
    page_size: int,
) -> int:
    row = city.row
    pid = row["portal_id"]
    root = "../../"
    history = data.history.get(pid, [])
    indicators = [
        {**i, "label": i18n.indicator_text(lang, i["indicator"], *_LABELS.get(i["indicator"], (i["indicator"], "")))[0]}
        for i in data.indicators.get(pid, [])
    ]  # fmt: skip
    trend_points, trend_shares = render.trend_charts(lang, history)
    dims = _dimensions(row, indicators) if indicators else []
    licenses = data.licenses.get(pid, [])
    formats = data.formats.get(pid, [])
    links = (data.links or {}).get(pid, [])
    harvests = data.harvests.get(pid, [])
    late = data.late.get(pid, [])
    charts = {
        "trend_points": trend_points,
        "trend_shares": trend_shares,
        "dimensions": render.dimension_chart(lang, dims) if dims else "",
        "licenses": render.mix_chart(lang, render.license_parts(lang, licenses), "licence_mix"),
        "formats": render.mix_chart(lang, render.format_parts(lang, formats), "format_mix"),
        "links": render.mix_chart(lang, render.link_parts(lang, links), "link_health"),
        "harvests": render.harvest_chart(lang, harvests),
    }
    paged = []
    for org in city.orgs:
        chunks = [
            org["datasets"][i : i + page_size] for i in range(0, len(org["datasets"]), page_size)
        ]
        for k, chunk in enumerate(chunks, start=1):
            for d in chunk:
                d["page"] = _org_page(org["key"], k)
        paged.append((org, chunks))
    suffix = "" if lang == "en" else ".de"
    badge = f"badges/{pid}{suffix}.svg"
    site = (base_url or "https://SITE").rstrip("/")
    embed = (
        f'<a href="{site}/{lang}/city/{pid}.html"><img src="{site}/{badge}" '
        f'alt="odwatch: {render.badge_message(lang, row)[0]}"></a>'
    )
    out.text(
        f"{lang}/city/{pid}.html",
        render.render_page(
            "city.html", lang, root, f"city/{pid}.html", **common,
            p=row, history=history, indicators=indicators, dims=dims, charts=charts,
            licenses=licenses, formats=formats, links=links,
            stars=(data.stars or {}).get(pid), late=late,
            late_total=late[0]["total"] if late else 0, harvests=harvests, api=_api(harvests),
            orgs=city.orgs, top=sorted((d for o in city.orgs for d in o["datasets"]), key=lambda d: d["rank"])[:TOP_FIXES],
            changes=city.changes,
            badge=badge, badge_embed=embed, badge_alt=render.badge_message(lang, row)[0],
            mix_label=lambda label, kind: render.mix_label(lang, label, kind),
        ),
    )  # fmt: skip
    pages = 1
    for org, chunks in paged:
        for k, chunk in enumerate(chunks, start=1):
            name = _org_page(org["key"], k)
            out.text(
                f"{lang}/city/{pid}/{name}",
                render.render_page(
                    "fixes.html", lang, "../../../", f"city/{pid}/{name}", **common,
                    p=row, org=org, datasets=chunk, page=k, pages=len(chunks),
                    page_href=lambda k, key=org["key"]: _org_page(key, k), hints=_hints(chunk),
                ),
            )  # fmt: skip
            pages += 1
    return pages


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

    def summary(self) -> str:
        return "\n".join(summary_lines(self))


def _check_target(site: Path) -> None:
    if site.exists():
        if not site.is_dir():
            raise PublishError(f"{site}: not a folder; pass --site DIR")
        entries = {p.name for p in site.iterdir()}
        if entries and MARKER not in entries and not entries <= {"index.html"}:
            raise PublishError(
                f"{site}: this folder holds other files and no {MARKER}, so it is not an odwatch "
                "site; pass an empty or new folder with --site DIR"
            )


def _swap_in(build: Path, site: Path) -> None:
    """Replace the site folder by the finished build (two renames; the old one removed after)."""
    if site.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{site.name}.old-", dir=site.parent))
        os.replace(site, old / site.name)
        os.replace(build, site)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(build, site)


def build_site(
    con: duckdb.DuckDBPyConnection,
    portals: list[Portal],
    site_dir: str | Path,
    *,
    base_url: str | None = None,
    generated_at: datetime | None = None,
    fix_page_size: int = FIX_PAGE_SIZE,
    progress: Callable[[str], None] | None = None,
) -> SiteResult:
    """Build the whole site in a temporary folder beside `site_dir`, then swap it in.

    base_url: where the site will be served (default $ODWATCH_SITE_URL): makes the DCAT
    catalogue's IRIs and the badge embed code absolute; without it they are relative.
    generated_at: the time printed on every page (default now). fix_page_size: datasets per
    fix-list page. progress: called with one line per city written.
    """
    started = time.monotonic()
    site = Path(site_dir)
    _check_target(site)
    base_url = base_url or os.environ.get(SITE_URL_ENV) or None
    portals = [p for p in portals if SLUG.match(p.id)]  # ids become file names
    generated_at = generated_at or datetime.now(UTC)
    site.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{site.name}.build-", dir=site.parent))
    try:
        data = site_data(con, portals)
        out = Writer(build)
        (build / "downloads").mkdir()
        (build / "static").mkdir()
        for f in render.static_files():
            shutil.copyfile(f, build / "static" / f.name)
        (build / MARKER).write_text(f"odwatch {__version__}\n", encoding="utf-8")
        groups = write_downloads(con, build, data, portals)
        (build / "downloads" / "catalog.jsonld").write_text(
            json.dumps(dcat_catalog(groups, generated_at, base_url), ensure_ascii=False, indent=1)
            + "\n",
            encoding="utf-8",
        )
        mismatch = (
            (data.current_method, CURRENT.version)
            if data.current_method and data.current_method != CURRENT.version
            else None
        )
        common = {
            "generated_at": generated_at,
            "version": __version__,
            "method_version": data.current_method or CURRENT.version,
        }
        cities = [r for r in data.ranking if r["kind"] == "city"]
        catalogues = [r for r in data.ranking if r["kind"] != "city"]
        threshold = {"min": RELEASED_MIN_JUDGED, "share": RELEASED_MIN_JUDGED_SHARE}
        for lang in i18n.LANGS:
            ranking = {
                "cities": cities, "catalogues": catalogues, "has_released": data.has_released,
                "mismatch": mismatch, "threshold": threshold,
                "chart": render.released_chart(lang, cities) if data.has_released else "",
            }  # fmt: skip
            out.text(
                f"{lang}/index.html",
                render.render_page("ranking.html", lang, "../", "index.html", **common, **ranking),
            )
            if lang == "en":
                out.text(
                    "index.html",
                    render.render_page("ranking.html", lang, "", "index.html", **common, **ranking),
                )
            out.text(
                f"{lang}/method.html",
                render.render_page(
                    "method.html", lang, "../", "method.html", **common,
                    method=CURRENT.definition(), fingerprint=method_fingerprint(CURRENT),
                    tables=render.method_tables(CURRENT.definition(), lang),
                    methods=data.methods, mismatch=mismatch,
                ),
            )  # fmt: skip
            out.text(
                f"{lang}/downloads.html",
                render.render_page(
                    "downloads.html", lang, "../", "downloads.html", **common,
                    groups=[{"title": g.titles[lang], "files": g.files} for g in groups],
                    license_name=LICENSE_NAME, license_url=LICENSE_URL, human=_human,
                ),
            )  # fmt: skip
        for n, row in enumerate(data.ranking, start=1):
            city = city_data(con, row)  # one city's fix list in memory at a time
            for lang in i18n.LANGS:
                render_city_pages(out, data, city, lang, common, base_url, fix_page_size)
                suffix = "" if lang == "en" else ".de"
                out.text(f"badges/{row['portal_id']}{suffix}.svg", render.badge_svg(lang, row))
            if progress:
                progress(f"publish: {row['portal_id']} ({n}/{len(data.ranking)})")
        files, size = 0, 0
        for path in build.rglob("*"):
            if path.is_file():
                files += 1
                size += path.stat().st_size
        _swap_in(build, site)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return SiteResult(
        site=site,
        index=site / "index.html",
        rows=data.ranking,
        has_released=data.has_released,
        files=files,
        bytes=size,
        largest_page=out.largest_page,
        seconds=time.monotonic() - started,
    )


def publish_site(
    con: duckdb.DuckDBPyConnection,
    portals: list[Portal],
    site_dir: str | Path,
    *,
    report: Callable[[SiteResult], None] | None = None,
    **options: Any,
) -> Path:
    """Write the scorecard into site_dir (replacing it whole) and return its index.html.

    `report` receives the :class:`SiteResult` (rows, sizes, timing: the run summary and the
    Prefect artifacts are made from it); other options go to :func:`build_site` (base_url,
    generated_at, fix_page_size, progress).
    """
    result = build_site(con, portals, site_dir, **options)
    if report is not None:
        report(result)
    return result.index


# ---------------------------------------------------------------- summaries


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
    lines = [
        f"scorecard: {result.index} ({counted}, {result.files} files, {_human(result.bytes)})",
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
            "points_of_405": r1(r["scaled"]),
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
    scored = [r for r in cities if r["points_of_405"] is not None]
    head = [
        "# odwatch scorecard",
        "",
        f"{len(scored)} of {i18n.count(len(cities), 'en', 'city')} scored (regional and national "
        f"catalogues listed apart, unranked); site written to `{result.index}` "
        f"({result.files} files, {_human(result.bytes)}, {result.seconds:.1f} s).",
        "",
        f"| # | City | Kind | Really released | Of judged | Unverified | Points (of {MAX_POINTS}) | Band | Change | Datasets | Findings | Last harvest |",
        "|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]

    def cell(v: Any, unit: str = "") -> str:
        return "–" if v is None else _md(f"{v}{unit}")

    body = [
        f"| {cell(r['rank'])} | {_md(r['city'])} | {r['kind']} | {cell(r['really_released_pct'], ' %')} | "
        f"{cell(r['released_of_judged'])} | {cell(r['unverified'])} | "
        f"{cell(r['points_of_405'])} | {cell(r['band'])} | {cell(r['change'])} | "
        f"{cell(r['datasets'])} | {cell(r['findings'])} | {cell(r['last_harvest'])} |"
        for r in sorted(rows, key=lambda r: r["kind"] != "city")
    ]
    return "\n".join(head + body) + "\n"
