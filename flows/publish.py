"""Write the static scorecard from the warehouse: pages, downloads, badges; the artifacts' rows.

``publish_site(con, portals, site_dir)`` asks :mod:`warehouse.site` and
:mod:`warehouse.findings` for rows (SELECTs only: a read-only connection or a cursor will do),
hands them to :mod:`dashboards.site` and :mod:`dashboards.downloads` (rows in, files out) and
writes the whole site into a temporary folder beside ``site_dir``, then swaps it in, so a
visitor or a static host never sees half a site. Layout::

    index.html                 the ranking (English), same as en/index.html
    en/ de/                    index.html, method.html, downloads.html,
                               city/<portal>.html, city/<portal>/org-<k>[-<page>].html
    badges/<portal>.svg        band and share, English; <portal>.de.svg German
    downloads/                 scores, score_history, indicators, musterdaten,
                               musterdaten_datasets, copies (.csv .json .parquet),
                               findings.parquet, findings/<portal>.csv|.json, catalog.jsonld
    static/                    odwatch.css, odwatch.js (no CDN, nothing fetched)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from checks.scoring import CURRENT
from dashboards import downloads, render
from dashboards import site as pages
from dashboards.coverage import compare, compare_hvd
from dashboards.downloads import DASHBOARD_DOWNLOAD
from dashboards.site import City, SiteData
from dashboards.summary import SiteResult, artifact_rows, scorecard_markdown, summary_lines
from flows import __version__
from flows.config import SLUG, Portal
from flows.findings import fix_list
from warehouse import copies, dashboard, hvd, musterdaten
from warehouse import findings as fixes
from warehouse import site as rows
from warehouse.store import WarehouseError

__all__ = [
    "FIX_PAGE_SIZE",
    "PublishError",
    "SiteResult",
    "artifact_rows",
    "build_site",
    "publish_site",
    "scorecard_markdown",
    "summary_lines",
]

MARKER = ".odwatch-site"
FIX_PAGE_SIZE = 50  # datasets per fix-list page
SITE_URL_ENV = "ODWATCH_SITE_URL"  # where the site will be served: absolute URLs in DCAT, badges


class PublishError(WarehouseError):
    """The site cannot be written where asked; str() is one line."""


def site_data(con: duckdb.DuckDBPyConnection, portals: Sequence[Portal]) -> SiteData:
    """Everything the site shows, as rows, the portals ranked; each row with its GovData
    dashboard score (``dashboard``: the verdicts the assessment stored, None without) and its
    Musterdatenkatalog coverage against the other cities (``data.coverage``, by portal id;
    ``musterdaten_kinds`` / ``musterdaten_seen`` on the row, None without), its EU High-Value
    Dataset marks (``data.hvd``; ``hvd_categories_marked`` / ``hvd_marked`` on the row), and the copies
    of its datasets on the other harvested portals (``data.copies``, ``data.disagree``; a
    catalogue's row counts its ``copies_of_city_datasets``, which the cities count)."""
    data = pages.site_data(portals, **rows.site_rows(con, [p.id for p in portals]))
    scores = dashboard.portal_scores(con, [r["run_id"] for r in data.ranking if r.get("run_id")])
    for r in data.ranking:
        g = r["dashboard"] = scores.get(r.get("run_id"))
        for key in DASHBOARD_DOWNLOAD:
            r[f"govdata_dashboard_{key}"] = g[key] if g else None
    found = musterdaten.coverage(con, [p.id for p in portals])
    cities = [r["portal_id"] for r in data.ranking if r["kind"] == "city"]
    data.coverage = compare(found, cities)
    for r in data.ranking:
        cov = data.coverage.get(r["portal_id"])
        r["musterdaten_kinds"] = cov.kinds if cov else None
        r["musterdaten_seen"] = cov.seen if cov else None
    data.classified = musterdaten.classified_datasets(con, list(data.coverage))
    data.hvd = compare_hvd(hvd.coverage(con, [p.id for p in portals]), cities)
    for r in data.ranking:
        h = data.hvd.get(r["portal_id"])
        judged = h is not None and h.can_mark > 0  # a platform without the fields: not judged
        r["hvd_categories_marked"] = h.categories if judged else None
        r["hvd_marked"] = h.marked if judged else None
        r["hvd_expected"] = h.expected if judged else None
    data.hvd_rows = hvd.marked_datasets(con, list(data.hvd))
    ids = [r["portal_id"] for r in data.ranking]
    pairs = copies.Copies.read(con, ids)
    data.copies = pairs.counts()
    data.disagree = pairs.disagreeing()
    data.copy_rows = pairs.rows
    copied = pairs.copied_from(cities)
    for r in data.ranking:  # a city's datasets count on its own portal, not again elsewhere
        r["copies_of_city_datasets"] = 0 if r["kind"] == "city" else copied.get(r["portal_id"], 0)
    return data


def city_data(con: duckdb.DuckDBPyConnection, row: dict) -> City:
    """One city's fix list and its changes since the previous snapshot (same method)."""
    if not row["assessment_id"]:
        return City(row, [], None)
    _, fix_rows = fix_list(con, row["portal_id"])
    found = None
    prev = fixes.previous_assessment(con, row["previous_run_id"], row["method_version"])
    if prev:
        found = fixes.changes(
            con, row["assessment_id"], prev, row["run_id"], row["previous_run_id"]
        )
        found["previous_at"] = fixes.run_started(con, row["previous_run_id"])
    return pages.city(row, fix_rows, fixes.organizations(con, row["run_id"]), found)


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


def _same_version(site: Path) -> Path | None:
    """The site being replaced, if this odwatch version wrote it (its unchanged findings
    downloads can be reused); else None."""
    try:
        said = (site / MARKER).read_text(encoding="utf-8")
    except OSError:
        return None
    return site if said == f"odwatch {__version__}\n" else None


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
        previous = _same_version(site)  # its unchanged pages and findings files are kept
        out = pages.Writer(build, previous)
        (build / "downloads").mkdir()
        (build / "static").mkdir()
        for f in render.static_files():
            shutil.copyfile(f, build / "static" / f.name)
        (build / MARKER).write_text(f"odwatch {__version__}\n", encoding="utf-8")
        export = fixes.FindingsExport(con) if rows.has_table(con, "latest_findings") else None
        groups = downloads.write_downloads(build, data, portals, export, previous)
        downloads.write_catalog(build, groups, generated_at, base_url)
        common = {
            "generated_at": generated_at,
            "version": __version__,
            "method_version": data.current_method or CURRENT.version,
        }
        pages.write_front_pages(
            out, data, groups, common, downloads.LICENSE_NAME, downloads.LICENSE_URL
        )
        for n, row in enumerate(data.ranking, start=1):
            city = city_data(con, row)  # one city's fix list in memory at a time
            pages.write_city(out, data, city, common, base_url, fix_page_size)
            if progress:
                progress(f"publish: {row['portal_id']} ({n}/{len(data.ranking)})")
        out.save_digests()
        files, size, kept = 0, 0, 0
        for path in build.rglob("*"):
            if path.is_file():
                st = path.stat()
                files += 1
                size += st.st_size
                kept += st.st_nlink > 1  # hard-linked from the site being replaced
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
        kept=kept,
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
