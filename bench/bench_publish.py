"""Publish the scorecard of 80 cities x 12 weekly snapshots with 100,000 datasets in the latest.

    .venv/bin/python bench/bench_publish.py                    # the numbers in bench/README_publish.md
    .venv/bin/python bench/bench_publish.py --datasets 10000   # quicker

1. build: the warehouse tables are synthesised with SQL (no harvest, no assessment): 80 portals
   with skewed sizes (the largest holds ~16 % of all datasets), 12 weekly ok snapshots each
   plus a few failed harvests, portal-level scores and per-indicator points for every
   snapshot, and for the latest two snapshots of every portal the datasets, ~2.5
   distributions per dataset, dataset-level scores and ~7 findings per dataset (the previous
   snapshot's findings differ a little, so there is something new and resolved), plus one
   link check per latest URL.
2. publish: `flows.publish.build_site` on a read-only connection, in its own process: wall
   time, peak RSS, files and bytes written (pages, downloads), the largest HTML page.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PORTALS = 80
SNAPSHOTS = 12
FORMATS = ("CSV", "CSV", "PDF", "XLSX", "JSON", "GeoJSON", None, "zip+csv", "WMS", "HTML")
LICENSES = ("dl-de-by-2.0", "dl-de-by-2.0", "cc-by-4.0", "cc-zero", None, "other-closed", "Nutzungsbestimmungen der Stadt")  # fmt: skip
# (code, severity, points lost, % of datasets with it in the latest snapshot, in the previous)
CODES = (
    ("missing-spatial", "warning", 20.0, 80, 82),
    ("missing-temporal", "warning", 20.0, 75, 76),
    ("missing-access-rights", "info", 15.0, 95, 95),
    ("missing-byte-size", "info", 5.0, 60, 60),
    ("missing-rights", "info", 5.0, 90, 90),
    ("missing-download-url", "warning", 20.0, 40, 45),
    ("missing-themes", "warning", 30.0, 20, 25),
    ("proprietary-format", "warning", 20.0, 30, 30),
    ("not-machine-readable", "warning", 20.0, 15, 16),
    ("missing-license", "error", 30.0, 8, 10),
    ("non-open-license", "error", 0.0, 10, 10),
    ("stale-vs-declared-frequency", "warning", 0.0, 12, 9),
    ("broken-download-url", "error", 30.0, 4, 3),
    ("missing-description", "warning", 0.0, 5, 6),
)


def portal_sizes(total: int) -> list[int]:
    weights = [1 / (i + 1) ** 0.9 for i in range(PORTALS)]
    sizes = [max(5, int(total * w / sum(weights))) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def build(path: str, total: int) -> dict:
    import duckdb

    from checks.scoring import CURRENT
    from warehouse.assessments import register_method
    from warehouse.store import connect

    started = time.monotonic()
    con = connect(path)
    register_method(con, CURRENT)
    sizes = portal_sizes(total)
    con.execute(
        "CREATE TEMP TABLE p AS SELECT * FROM (VALUES "
        + ", ".join(f"({i}, 'city-{i:03d}', {n})" for i, n in enumerate(sizes))
        + ") t(i, portal_id, n)"
    )
    # 12 ok snapshots a week apart, plus a failed attempt every 5th portal in week 7
    con.execute(
        """
        INSERT INTO harvest_runs (run_id, portal_id, platform, api_url, started_at, finished_at,
            status, error, method, expected_count, dataset_count, distribution_count,
            request_count, odwatch_version)
        SELECT portal_id || '-w' || lpad(k::VARCHAR, 2, '0'), portal_id, 'ckan',
               'https://' || portal_id || '.example', ts, ts + to_seconds(5 + n / 200 + CAST(hash(portal_id, k) % 20 AS BIGINT)),
               'ok', NULL, 'package_search', n, n - (11 - k) * (n // 200), (n - (11 - k) * (n // 200)) * 5 // 2,
               1 + n // 1000, '0.1.0'
        FROM p, range(12) w(k),
             LATERAL (SELECT TIMESTAMPTZ '2026-08-31 06:00:00+00' + to_days(7 * k) + to_minutes(i) AS ts)
        UNION ALL
        SELECT portal_id || '-fail', portal_id, 'ckan', 'https://' || portal_id || '.example',
               TIMESTAMPTZ '2026-10-12 07:00:00+00' + to_minutes(i),
               TIMESTAMPTZ '2026-10-12 07:00:30+00' + to_minutes(i), 'failed',
               'package_search: HTTP 502; before that, package_search failed 9 times', NULL, NULL,
               NULL, NULL, 10, '0.1.0'
        FROM p WHERE i % 5 = 0
        """
    )
    con.execute(
        f"""
        INSERT INTO assessments (assessment_id, run_id, portal_id, method_version,
            method_fingerprint, vocab_fingerprint, snapshot_at, assessed_at, status, link_checks,
            dataset_count, distribution_count, finding_count, seconds, odwatch_version)
        SELECT run_id || '/{CURRENT.version}', run_id, portal_id, '{CURRENT.version}',
               'bench', 'bench', started_at, finished_at + to_minutes(1), 'ok', true,
               dataset_count, distribution_count, 0, 1.0, '0.1.0'
        FROM harvest_runs WHERE status = 'ok'
        """
    )
    dims = {d: sum(i.weight for i in CURRENT.indicators if i.dimension == d) for d in ("findability", "accessibility", "interoperability", "reusability", "contextuality")}  # fmt: skip
    # portal scores drifting upwards week by week, different per city
    frac = "(0.35 + (hash(a.portal_id) % 40) / 100.0 + k / 100.0 + (hash(a.run_id, '{d}') % 5) / 100.0)"
    dim_sql = ", ".join(f"least({w} * {frac.format(d=d)}, {w}) AS {d}" for d, w in dims.items())
    con.execute(
        f"""
        CREATE TEMP TABLE ps AS
        SELECT a.assessment_id, a.run_id, a.portal_id, a.method_version, {dim_sql},
               a.dataset_count AS datasets, a.distribution_count AS distributions, k
        FROM assessments a
        JOIN (SELECT run_id, CAST(right(run_id, 2) AS INTEGER) AS k FROM harvest_runs
              WHERE status = 'ok') USING (run_id)
        """
    )
    con.execute(
        """
        INSERT INTO scores (assessment_id, run_id, portal_id, method_version, level, dataset_id,
            findability, accessibility, interoperability, reusability, contextuality, points,
            max_assessable, max_points, scaled, band, not_checked, share_open_license,
            share_machine_readable, share_non_proprietary, share_on_time, datasets, distributions,
            share_released, released_datasets, released_unverified)
        SELECT assessment_id, run_id, portal_id, method_version, 'portal', NULL,
               findability, accessibility, interoperability, reusability, contextuality,
               findability + accessibility + interoperability + reusability + contextuality,
               375, 405,
               (findability + accessibility + interoperability + reusability + contextuality) * 405 / 375,
               CASE WHEN (findability + accessibility + interoperability + reusability + contextuality) * 405 / 375 >= 351 THEN 'excellent'
                    WHEN (findability + accessibility + interoperability + reusability + contextuality) * 405 / 375 >= 221 THEN 'good'
                    WHEN (findability + accessibility + interoperability + reusability + contextuality) * 405 / 375 >= 121 THEN 'sufficient'
                    ELSE 'bad' END,
               ['dcat-ap-compliance'], 0.5 + (hash(portal_id) % 40) / 100.0, 0.6 + k / 100.0,
               0.55, 0.7 - k / 200.0, datasets, distributions,
               (0.1 + (hash(portal_id) % 50) / 100.0 + k / 200.0) * 0.9,
               CAST(datasets * 0.9 * (0.1 + (hash(portal_id) % 50) / 100.0 + k / 200.0) AS BIGINT),
               datasets // 10
        FROM ps
        """
    )
    ind_rows = ", ".join(
        f"('{i.id}', '{i.dimension}', {i.weight}, '{i.level}')" for i in CURRENT.indicators
    )
    con.execute(
        f"""
        INSERT INTO score_indicators
        SELECT ps.assessment_id, ps.run_id, ps.portal_id, ps.method_version, ind.id, ind.dimension,
               ind.weight, ind.level, p, f, CASE WHEN p + f > 0 THEN p / (p + f) END,
               CASE WHEN p + f > 0 THEN ind.weight * p / (p + f) END
        FROM ps, (VALUES {ind_rows}) ind(id, dimension, weight, level),
             LATERAL (SELECT CASE WHEN ind.id = 'dcat-ap-compliance' THEN 0
                                  ELSE ps.datasets * (30 + hash(ps.run_id, ind.id) % 70) // 100 END AS p,
                             CASE WHEN ind.id = 'dcat-ap-compliance' THEN 0
                                  ELSE ps.datasets - ps.datasets * (30 + hash(ps.run_id, ind.id) % 70) // 100 END AS f)
        """
    )
    # the latest two snapshots: datasets, distributions, dataset scores, findings
    con.execute(
        """
        CREATE TEMP TABLE snap AS
        SELECT portal_id, run_id, k, dataset_count FROM (
            SELECT *, CAST(right(run_id, 2) AS INTEGER) AS k FROM harvest_runs WHERE status = 'ok')
        WHERE k >= 10
        """
    )
    con.execute(
        """
        INSERT INTO dataset_rows (run_id, portal_id, dataset_id, name, title, description,
            landing_page, organization, organization_title, publisher, license_raw, modified,
            frequency_raw, num_distributions)
        SELECT s.run_id, s.portal_id, s.portal_id || '-d' || d, 'd' || d,
               'Datensatz ' || d || ' der Stadt ' || s.portal_id, 'Beschreibung',
               'https://' || s.portal_id || '.example/dataset/d' || d,
               'org-' || (hash(s.portal_id, d) % 15), 'Amt ' || (hash(s.portal_id, d) % 15),
               'Stadt', (['dl-de-by-2.0', 'dl-de-by-2.0', 'cc-by-4.0', 'cc-zero', NULL, 'other-closed', 'Nutzungsbestimmungen der Stadt'])[CAST(1 + hash(s.portal_id, d) % 7 AS BIGINT)],
               '2025-01-01', 'MONTHLY', 2 + d % 2
        FROM snap s, range(s.dataset_count) r(d)
        """
    )
    con.execute(
        """
        INSERT INTO distribution_rows (run_id, portal_id, dataset_id, distribution_id, position,
            url, access_url, download_url, format_raw, license_raw)
        SELECT d.run_id, d.portal_id, d.dataset_id, d.dataset_id || '-r' || j, j,
               'https://files.' || d.portal_id || '.example/' || d.name || '/' || j || '.dat',
               'https://files.' || d.portal_id || '.example/' || d.name || '/' || j || '.dat', NULL,
               (['CSV', 'CSV', 'PDF', 'XLSX', 'JSON', 'GeoJSON', NULL, 'zip+csv', 'WMS', 'HTML'])[CAST(1 + hash(d.dataset_id, j) % 10 AS BIGINT)],
               NULL
        FROM dataset_rows d, range(d.num_distributions) r(j)
        """
    )
    con.execute(
        "INSERT INTO snapshot_members SELECT run_id, portal_id, dataset_id, run_id FROM dataset_rows"
    )
    con.execute(
        f"""
        INSERT INTO scores (assessment_id, run_id, portal_id, method_version, level, dataset_id,
            points, max_assessable, max_points, scaled, band, datasets, distributions)
        SELECT d.run_id || '/{CURRENT.version}', d.run_id, d.portal_id, '{CURRENT.version}',
               'dataset', d.dataset_id, 150 + hash(d.dataset_id) % 150, 375, 405,
               (150 + hash(d.dataset_id) % 150) * 405 / 375, 'good', 1, d.num_distributions
        FROM datasets d
        """
    )
    codes = ", ".join(f"('{c}', '{s}', {pts}, {now}, {before})" for c, s, pts, now, before in CODES)
    con.execute(
        f"""
        INSERT INTO findings
        SELECT d.run_id || '/{CURRENT.version}', d.run_id, d.portal_id, '{CURRENT.version}',
               d.dataset_id, NULL, c.code, c.severity, c.code, c.code || ' evidence for ' || d.name,
               c.points
        FROM datasets d JOIN snap s USING (run_id),
             (VALUES {codes}) c(code, severity, points, now, before)
        WHERE hash(d.dataset_id, c.code) % 100 < CASE WHEN s.k = 11 THEN c.now ELSE c.before END
        """
    )
    con.execute(
        """
        INSERT INTO link_check_runs (check_run_id, started_at, finished_at, status)
        VALUES ('bench-links', TIMESTAMPTZ '2026-11-16 09:00:00+00', TIMESTAMPTZ '2026-11-16 10:00:00+00', 'ok')
        """
    )
    con.execute(
        """
        INSERT INTO link_checks (check_run_id, url, checked_at, outcome, reason, http_status, method)
        SELECT 'bench-links', url, TIMESTAMPTZ '2026-11-16 09:30:00+00',
               (['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'dead', 'blocked', 'timeout', 'server-error'])[CAST(1 + hash(url) % 12 AS BIGINT)],
               NULL, NULL, 'HEAD'
        FROM (SELECT DISTINCT url FROM latest_distributions)
        """
    )
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("harvest_runs", "scores", "score_indicators", "datasets", "distributions", "findings", "link_checks")
    }  # fmt: skip
    counts["latest_datasets"] = con.execute("SELECT count(*) FROM latest_datasets").fetchone()[0]
    counts["latest_findings"] = con.execute("SELECT count(*) FROM latest_findings").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    counts["seconds"] = round(time.monotonic() - started, 1)
    assert isinstance(duckdb.__version__, str)
    return counts


def publish(path: str, site: str, page_size: int) -> dict:
    """Runs in a child process: publish, report time and sizes as JSON."""
    from flows.config import Portal
    from flows.publish import build_site
    from warehouse.store import connect

    sizes = portal_sizes(0)
    portals = [
        Portal(
            id=f"city-{i:03d}",
            title=f"Open Data City {i}",
            city=f"City {i:03d}",
            platform="ckan",
            url=f"https://city-{i:03d}.example",
            population=60_000 + (i * 37_123) % 900_000,
        )
        for i in range(len(sizes))
    ]
    con = connect(path, read_only=True)
    started = time.monotonic()
    result = build_site(con, portals, site, fix_page_size=page_size)
    seconds = time.monotonic() - started
    con.close()
    kinds: dict[str, list[int]] = {}
    for f in Path(site).rglob("*"):
        if f.is_file():
            kind = "downloads" if "downloads" in f.parts else f.suffix.lstrip(".") or "other"
            entry = kinds.setdefault(kind, [0, 0])
            entry[0] += 1
            entry[1] += f.stat().st_size
    html = sorted((f.stat().st_size, str(f.relative_to(site))) for f in Path(site).rglob("*.html"))
    return {
        "seconds": round(seconds, 1),
        "files": result.files,
        "bytes": result.bytes,
        "kinds": kinds,
        "largest_html": html[-3:],
        "median_html": html[len(html) // 2][0],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--datasets", type=int, default=100_000, help="datasets in the latest snapshots"
    )
    ap.add_argument("--page-size", type=int, default=None, help="datasets per fix-list page")
    ap.add_argument("--keep", metavar="DIR", help="build in DIR and keep the warehouse and site")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(publish(args.child[0], args.child[1], int(args.child[2]))))
        return
    from flows.publish import FIX_PAGE_SIZE

    page_size = args.page_size or FIX_PAGE_SIZE
    with tempfile.TemporaryDirectory(prefix="odwatch-bench-publish-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        wh, site = base / "bench.duckdb", base / "site"
        if wh.exists():
            wh.unlink()
        counts = build(str(wh), args.datasets)
        print(f"build: {json.dumps(counts)}", file=sys.stderr)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(wh), str(site), str(page_size)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
        )
        report = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps({"warehouse": counts, "page_size": page_size, **report}, indent=1))


if __name__ == "__main__":
    main()
