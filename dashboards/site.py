"""The scorecard's pages from rows (pure apart from writing files: rows in, files out).

:func:`site_data` turns :func:`warehouse.site.site_rows` into :class:`SiteData`;
:func:`write_front_pages` writes each language's ranking, method and downloads pages,
:func:`write_city` one city's page, its fix-list pages and its badges, all through
:func:`dashboards.render.render_page` (the templates). The orchestration (which warehouse,
which folder, the swap): flows/publish.py.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.fingerprint import method_fingerprint
from checks.scoring import (
    CURRENT,
    DIMENSIONS,
    RELEASED_MIN_JUDGED,
    RELEASED_MIN_JUDGED_SHARE,
)
from dashboards import i18n, render, reuse
from dashboards.coverage import Coverage, HvdCoverage, coverage_chart
from dashboards.fixlist import group_by_dataset
from dashboards.ranking import ranking

TOP_FIXES = 10  # datasets with most to gain shown on the city page
LACKS_SHOWN = 30  # Musterdatensätze a city lacks listed on its page (all in the downloads)


@dataclass
class SiteData:
    """Everything the site shows, as rows."""

    ranking: list[dict]
    has_released: bool
    current_method: str | None  # the newest method among the latest assessments
    methods: list[dict]
    history: dict[str, list[dict]] = field(default_factory=dict)
    harvests: dict[str, list[dict]] = field(default_factory=dict)
    indicators: dict[str, list[dict]] = field(default_factory=dict)
    licenses: dict[str, list[dict]] = field(default_factory=dict)
    formats: dict[str, list[dict]] = field(default_factory=dict)
    links: dict[str, list[dict]] | None = None  # None: no link checks in this warehouse
    stars: dict[str, dict] | None = None
    late: dict[str, list[dict]] = field(default_factory=dict)
    coverage: dict[str, Coverage] = field(default_factory=dict)  # Musterdatenkatalog, by city
    classified: list[dict] = field(default_factory=list)  # datasets given a Musterdatensatz
    copies: dict[str, list[dict]] = field(default_factory=dict)  # per other portal, by portal
    disagree: dict[str, list[dict]] = field(default_factory=dict)  # copies that differ
    copy_rows: list[dict] = field(default_factory=list)  # every pair of copies (download)
    hvd: dict[str, HvdCoverage] = field(default_factory=dict)  # High-Value Dataset marks, by city
    hvd_rows: list[dict] = field(default_factory=list)  # every marked dataset (download, fixes)


def site_data(
    portals: Sequence[Any],
    *,
    overview: dict[str, dict],
    scores: dict[str, dict],
    has_released: bool,
    current_method: str | None,
    **per_portal: Any,
) -> SiteData:
    """The site's rows (warehouse.site.site_rows) with the portals ranked."""
    ranked = ranking(portals, overview, scores, has_released)
    return SiteData(ranked, has_released, current_method, **per_portal)


# ---------------------------------------------------------------- fix list


def group_fix_list(fix_rows: list[dict], orgs: dict[str, str | None]) -> list[dict]:
    """Rows of flows.findings.fix_list (one per dataset and code, ranked) -> datasets, each
    with its findings, in rank order, tagged with the organisation."""
    return group_by_dataset(fix_rows, gain="gain", orgs=orgs)


def by_organization(datasets: list[dict]) -> list[dict]:
    """Organisations in the fix list's own order: most datasets a fix would make released
    first, then most points to gain; each keeps its datasets in rank order."""
    groups: dict[str | None, dict] = {}
    for d in datasets:
        g = groups.setdefault(
            d["organization"],
            {"organization": d["organization"], "datasets": [], "gain": 0.0, "to_release": 0},
        )
        g["datasets"].append(d)
        g["gain"] += d["gain"] or 0.0
        g["to_release"] += 1 if d["release_fixes"] else 0
    out = sorted(
        groups.values(),
        key=lambda g: (
            -g["to_release"],
            -round(g["gain"], 6),
            (g["organization"] or "\uffff").casefold(),
        ),
    )
    for i, g in enumerate(out, start=1):
        g["key"] = i
        g["gain"] = round(g["gain"], 2)
    return out


@dataclass
class City:
    """What one city's pages need beyond its ranking row (language-independent)."""

    row: dict
    orgs: list[dict]
    changes: dict | None
    digests: dict[tuple[int, int], str] = field(default_factory=dict)  # per fix-list page


def city(row: dict, fix_rows: list[dict], orgs: dict[str, str | None], found: dict | None) -> City:
    """A city's fix list (rows of flows.findings.fix_list, dataset -> organisation) grouped by
    organisation, and its changes since the previous snapshot (or None)."""
    return City(row, by_organization(group_fix_list(fix_rows, orgs)), found)


# ---------------------------------------------------------------- pages


PAGE_DIGESTS = ".odwatch-pages.json"  # at the site's root: what each kept page was made from


class Writer:
    """Writes files below the build folder and counts them. `previous`: the site being
    replaced, written by the same odwatch version: :meth:`page` takes its pages from there
    when they would come out the same (dashboards.reuse)."""

    def __init__(self, root: Path, previous: Path | None = None):
        self.root = root
        self.previous = previous
        self.files = 0
        self.bytes = 0
        self.largest_page = 0
        self.reused = 0  # pages taken from the previous site
        self.before = reuse.read_digests(previous, PAGE_DIGESTS)
        self.digests: dict[str, str] = {}

    def _count(self, path: str, size: int) -> None:
        self.files += 1
        self.bytes += size
        if path.endswith(".html"):
            self.largest_page = max(self.largest_page, size)

    def text(self, path: str, content: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        target.write_bytes(data)
        self._count(path, len(data))

    def page(self, path: str, made_from: str, render: Callable[[], str]) -> None:
        """The page `render()` makes from inputs whose digest is `made_from`; the previous
        site's page when it was made from the same (it keeps the time it was generated)."""
        self.digests[path] = made_from
        old = None if self.previous is None else self.previous / path
        if old is not None and self.before.get(path) == made_from and old.is_file():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            reuse.link_or_copy(old, target)
            self._count(path, target.stat().st_size)
            self.reused += 1
        else:
            self.text(path, render())

    def save_digests(self) -> None:
        reuse.write_digests(self.root, PAGE_DIGESTS, self.digests)


def human(n: int) -> str:
    """A byte count for people: 512 B, 1.5 kB, 2.0 MB."""
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


def _hints(datasets: list[dict]) -> list[dict]:
    """The checks found on one fix-list page, once each (title, severity, fix hint)."""
    seen: dict[str, dict] = {}
    for d in datasets:
        for f in d["findings"]:
            seen.setdefault(f["code"], f)
    return [seen[c] for c in sorted(seen)]


def _org_page(key: int, k: int) -> str:
    return f"org-{key}.html" if k == 1 else f"org-{key}-{k}.html"


def _badge(lang: str, pid: str) -> str:
    return f"badges/{pid}{'' if lang == 'en' else '.de'}.svg"


# The city page's charts, in a table: the names a template shows them by, and the charts of
# (lang, the page's rows) under those names. The three mixes are one stacked bar each.
ChartSpec = tuple[tuple[str, ...], Callable[[str, dict], tuple[Any, ...]]]


def _mix(key: str, parts: Callable, title: str) -> ChartSpec:
    return (key,), lambda lang, page: (render.mix_chart(lang, parts(lang, page[key]), title),)


CITY_CHARTS: tuple[ChartSpec, ...] = (
    (("trend_points", "trend_shares"), lambda lang, page: render.trend_charts(lang, page["history"])),
    (("dimensions",), lambda lang, page: (render.dimension_chart(lang, page["dims"]) if page["dims"] else "",)),
    _mix("licenses", render.license_parts, "licence_mix"),
    _mix("formats", render.format_parts, "format_mix"),
    _mix("links", render.link_parts, "link_health"),
    (("harvests",), lambda lang, page: (render.harvest_chart(lang, page["harvests"]),)),
    (("coverage",), lambda lang, page: (coverage_chart(lang, page["coverage"]),)),
)  # fmt: skip


def city_charts(lang: str, page: dict) -> dict[str, Any]:
    """Every chart of CITY_CHARTS for one city page, by name."""
    return {
        name: chart
        for names, make in CITY_CHARTS
        for name, chart in zip(names, make(lang, page), strict=True)
    }


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
    indicators = [
        {**i, "label": i18n.indicator_text(lang, i["indicator"], *_LABELS.get(i["indicator"], (i["indicator"], "")))[0]}
        for i in data.indicators.get(pid, [])
    ]  # fmt: skip
    harvests = data.harvests.get(pid, [])
    late = data.late.get(pid, [])
    page = {
        "history": data.history.get(pid, []),
        "indicators": indicators,
        "dims": _dimensions(row, indicators) if indicators else [],
        "licenses": data.licenses.get(pid, []),
        "formats": data.formats.get(pid, []),
        "links": (data.links or {}).get(pid, []),
        "harvests": harvests,
        "coverage": data.coverage.get(pid),
    }
    charts = city_charts(lang, page)
    paged = []
    for org in city.orgs:
        chunks = [
            org["datasets"][i : i + page_size] for i in range(0, len(org["datasets"]), page_size)
        ]
        for k, chunk in enumerate(chunks, start=1):
            for d in chunk:
                d["page"] = _org_page(org["key"], k)
        paged.append((org, chunks))
    out.text(
        f"{lang}/city/{pid}.html",
        render.render_page(
            "city.html", lang, "../../", f"city/{pid}.html", **common, **page,
            p=row, charts=charts, stars=(data.stars or {}).get(pid), late=late,
            late_total=late[0]["total"] if late else 0, api=_api(harvests),
            orgs=city.orgs, top=sorted((d for o in city.orgs for d in o["datasets"]), key=lambda d: d["rank"])[:TOP_FIXES],
            changes=city.changes, badge=_badge(lang, pid), lacks_shown=LACKS_SHOWN,
            copies=data.copies.get(pid, []), disagree=data.disagree.get(pid, []),
            hvd=data.hvd.get(pid), hvd_fixes=[d for d in data.hvd_rows if d["portal_id"] == pid and d["problem"]][:LACKS_SHOWN],
            names={r["portal_id"]: r["title"] for r in data.ranking},
            site_url=(base_url or "https://SITE").rstrip("/"),
            badge_alt=render.badge_message(lang, row)[0],
            mix_label=lambda label, kind: render.mix_label(lang, label, kind),
        ),
    )  # fmt: skip
    pages = 1
    shown = {k: v for k, v in common.items() if k != "generated_at"}
    who = {"city": row["city"], "portal_id": pid}  # all a fix-list page shows of the city row
    for org, chunks in paged:
        head = {k: v for k, v in org.items() if k != "datasets"} | {"n": len(org["datasets"])}
        for k, chunk in enumerate(chunks, start=1):
            name = _org_page(org["key"], k)
            if (org["key"], k) not in city.digests:  # once for both languages
                city.digests[org["key"], k] = reuse.digest(head, chunk, k, len(chunks))
            made_from = reuse.digest(
                reuse.sources_digest(), lang, shown, who, city.digests[org["key"], k]
            )
            out.page(
                f"{lang}/city/{pid}/{name}",
                made_from,
                lambda org=org, chunk=chunk, k=k, chunks=chunks, name=name: render.render_page(
                    "fixes.html", lang, "../../../", f"city/{pid}/{name}", **common,
                    p=who, org=org, datasets=chunk, page=k, pages=len(chunks),
                    page_href=lambda k, key=org["key"]: _org_page(key, k), hints=_hints(chunk),
                ),
            )  # fmt: skip
            pages += 1
    return pages


def write_city(
    out: Writer,
    data: SiteData,
    city: City,
    common: dict[str, Any],
    base_url: str | None,
    page_size: int,
) -> None:
    """One city's pages and badge in every language."""
    for lang in i18n.LANGS:
        render_city_pages(out, data, city, lang, common, base_url, page_size)
        out.text(_badge(lang, city.row["portal_id"]), render.badge_svg(lang, city.row))


def write_front_pages(
    out: Writer,
    data: SiteData,
    groups: Sequence[Any],
    common: dict[str, Any],
    license_name: str,
    license_url: str,
) -> None:
    """Each language's ranking (the English one also as the site's index.html), method and
    downloads pages. groups: the dashboards.downloads.DownloadGroup rows written."""
    current = CURRENT.version
    mismatch = (
        (data.current_method, current)
        if data.current_method and data.current_method != current
        else None
    )
    cities = [r for r in data.ranking if r["kind"] == "city"]
    catalogues = [r for r in data.ranking if r["kind"] != "city"]
    threshold = {"min": RELEASED_MIN_JUDGED, "share": RELEASED_MIN_JUDGED_SHARE}
    for lang in i18n.LANGS:
        ranking_page = {
            "cities": cities, "catalogues": catalogues, "has_released": data.has_released,
            "mismatch": mismatch, "threshold": threshold,
            "chart": render.released_chart(lang, cities) if data.has_released else "",
        }  # fmt: skip
        pages = [
            (f"{lang}/index.html", "ranking.html", "../", "index.html", ranking_page),
            (f"{lang}/method.html", "method.html", "../", "method.html", {
                "method": CURRENT.definition(), "fingerprint": method_fingerprint(CURRENT),
                "tables": render.method_tables(CURRENT.definition(), lang),
                "methods": data.methods, "mismatch": mismatch,
            }),
            (f"{lang}/downloads.html", "downloads.html", "../", "downloads.html", {
                "groups": [{"title": g.titles[lang], "files": g.files} for g in groups],
                "license_name": license_name, "license_url": license_url, "human": human,
            }),
        ]  # fmt: skip
        if lang == "en":
            pages.insert(1, ("index.html", "ranking.html", "", "index.html", ranking_page))
        for target, template, root, path, ctx in pages:
            out.text(target, render.render_page(template, lang, root, path, **common, **ctx))
