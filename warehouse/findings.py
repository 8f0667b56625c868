"""The fix list: a portal's flagged datasets, those a fix would make really released first,
then by the points fixing them would gain (the rule: :func:`checks.scoring.fix_order_sql`).

``odwatch findings --portal ID`` reads the portal's latest assessment (the warehouse opened
read-only: it never writes) and prints one row per dataset and finding code with the
dataset's portal link, the evidence and the fix hint, as a table, CSV (spreadsheet-safe, see
:mod:`checks.export`) or JSON (rendering: :mod:`dashboards.fixlist`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC

import duckdb

from checks.export import write_csv
from checks.scoring import fix_order_sql, release_fix_sql
from dashboards.fixlist import FINDING_KEYS, render_json, render_table
from flows.adapters.errors import printable
from warehouse.store import AssessError, connect

FIX_COLUMNS = (
    "rank",
    "dataset_id",
    "dataset_title",
    "landing_page",
    "dataset_points_gain",
    "dataset_released",
    *FINDING_KEYS,  # then one finding's fields, in the order of the page and the JSON
)


def fix_ranks_sql(con: duckdb.DuckDBPyConnection, where: str) -> str:
    """A query over the findings that `where` selects (a condition on ``findings f``): one row
    per assessment and flagged dataset with its points to ``gain``, its number of finding
    codes ``n``, ``released`` (its headline verdict), ``release_fixes`` (how many of its codes
    keep it from being released; 0 when it is released) and its fix-list ``rank`` within the
    assessment, ordered by :func:`checks.scoring.fix_order_sql`; with the dataset's ``title``
    and ``landing_page`` in the assessed snapshot. The page, the per-city CSV download and
    ``odwatch findings`` all rank with this one query."""
    has_released = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'scores' "
        "AND column_name = 'released' AND table_catalog = current_database()"
    ).fetchone()[0]
    released = "s.released" if has_released else "CAST(NULL AS BOOLEAN)"
    order = fix_order_sql("d.release_fixes", "d.gain", "d.n", "ds.title", "d.dataset_id")
    return f"""
        SELECT d.*, ds.title, ds.landing_page,
               row_number() OVER (PARTITION BY d.assessment_id ORDER BY {order}) AS rank
        FROM (
            SELECT f.assessment_id, any_value(a.run_id) AS run_id, f.dataset_id,
                   sum(f.points_lost) AS gain, count(DISTINCT f.code) AS n,
                   any_value({released}) AS released,
                   CASE WHEN coalesce(any_value({released}), false) THEN 0
                        ELSE count(DISTINCT f.code) FILTER (WHERE {release_fix_sql("f.code")} > 0)
                   END AS release_fixes
            FROM findings f JOIN assessments a USING (assessment_id)
            LEFT JOIN scores s ON s.assessment_id = f.assessment_id AND s.level = 'dataset'
                 AND s.dataset_id = f.dataset_id
            WHERE {where}
            GROUP BY f.assessment_id, f.dataset_id
        ) d
        JOIN (
            SELECT m.run_id, r.dataset_id, arg_min(r.title, r.rowid) AS title,
                   arg_min(r.landing_page, r.rowid) AS landing_page
            FROM snapshot_members m JOIN dataset_rows r
                 ON r.run_id = m.origin_run AND r.dataset_id = m.dataset_id
            WHERE m.run_id IN (SELECT a.run_id FROM findings f JOIN assessments a
                               USING (assessment_id) WHERE {where})
            GROUP BY ALL
        ) ds ON ds.run_id = d.run_id AND ds.dataset_id = d.dataset_id
    """


def _not_harvested(con: duckdb.DuckDBPyConnection, portal_id: str) -> str | None:
    """Why a portal has nothing to assess (never harvested, or its harvests failed), or None
    when it has a complete snapshot (then assessing it is the fix)."""
    snapshot = con.execute(
        "SELECT count(*) FROM harvest_runs WHERE portal_id = ? AND status = 'ok'", [portal_id]
    ).fetchone()[0]
    if snapshot:
        return None
    last = con.execute(
        "SELECT status, error, coalesce(finished_at, started_at) FROM harvest_runs "
        "WHERE portal_id = ? AND status <> 'running' ORDER BY started_at DESC, run_id DESC LIMIT 1",
        [portal_id],
    ).fetchone()
    if last is None:
        harvested = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT portal_id FROM harvest_runs ORDER BY 1"
            ).fetchall()
        ]
        return (
            f"portal '{portal_id}' was never harvested into this warehouse "
            f"(harvested: {', '.join(harvested) or 'none'}); run 'odwatch run --only {portal_id}'"
        )
    status, error, when = last
    at = f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if when else "at an unknown time"
    return (
        f"portal '{portal_id}' has no snapshot to assess: its last harvest {status} at {at}: "
        f"{printable(error or 'no error recorded')}; fix the portal entry or wait until it "
        f"answers, then 'odwatch run --only {portal_id}'"
    )


def fix_list(
    con: duckdb.DuckDBPyConnection, portal_id: str, run_id: str | None = None
) -> tuple[dict, list[dict]]:
    """Flagged datasets of a portal's latest assessment (or of `run_id` under the newest method
    that assessed it), ranked as :func:`fix_ranks_sql` ranks them (what keeps a dataset from
    being released first, then points to gain); one row per dataset and code, a dataset's
    release fixes first. Returns (assessment row, rows)."""
    where = "a.run_id = ?" if run_id else "a.portal_id = ?"
    source = "assessments" if run_id else "latest_assessments"
    head = con.execute(
        f"""
        SELECT a.assessment_id, a.run_id, a.portal_id, a.method_version, a.snapshot_at
        FROM {source} a JOIN methods m USING (method_version)
        WHERE {where} AND a.status = 'ok'
        ORDER BY m.first_used_at DESC, a.assessed_at DESC LIMIT 1
        """,
        [run_id or portal_id],
    ).fetchone()
    if head is None:
        known = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT portal_id FROM latest_assessments ORDER BY 1"
            ).fetchall()
        ]
        if not run_id and (why := _not_harvested(con, portal_id)):
            raise AssessError(why)
        what = f"run '{run_id}'" if run_id else f"portal '{portal_id}'"
        raise AssessError(
            f"no assessment of {what} in the warehouse; run 'odwatch assess' "
            f"(assessed portals: {', '.join(known) or 'none'})"
        )
    assessment = dict(
        zip(
            ("assessment_id", "run_id", "portal_id", "method_version", "snapshot_at"),
            head,
            strict=True,
        )
    )
    rows = con.execute(
        f"""
        WITH f AS (
            SELECT dataset_id, code, any_value(severity) AS severity, sum(points_lost) AS points_lost,
                   count(distribution_id) AS distributions,
                   string_agg(DISTINCT evidence, ' | ' ORDER BY evidence) AS evidence
            FROM findings WHERE assessment_id = $aid GROUP BY dataset_id, code
        ),
        ranked AS ({fix_ranks_sql(con, "f.assessment_id = $aid")})
        SELECT r.rank, r.dataset_id, r.title AS dataset_title, r.landing_page,
               round(r.gain, 2) AS dataset_points_gain, r.released AS dataset_released,
               r.release_fixes, f.code,
               (r.release_fixes > 0 AND {release_fix_sql("f.code")} > 0) AS blocks_release,
               f.severity, mc.title,
               round(f.points_lost, 2) AS points_lost, f.distributions, f.evidence, mc.fix
        FROM f JOIN ranked r USING (dataset_id)
        LEFT JOIN method_checks mc ON mc.method_version = $method AND mc.code = f.code
        ORDER BY r.rank, blocks_release DESC, {release_fix_sql("f.code")},
                 round(f.points_lost, 6) DESC,
                 CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.code
        """,
        {"aid": assessment["assessment_id"], "method": assessment["method_version"]},
    )
    names = [d[0] for d in rows.description]
    return assessment, [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


def cmd_findings(args: argparse.Namespace) -> int:
    con = connect(args.warehouse, read_only=True)
    try:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if "latest_assessments" not in tables:
            raise AssessError(f"{args.warehouse}: no assessments yet; run 'odwatch assess' first")
        try:
            assessment, rows = fix_list(con, args.portal, args.run)
        except AssessError as exc:
            raise AssessError(f"{args.warehouse}: {exc}") from None
    finally:
        con.close()
    if args.limit is not None:
        keep = {r["dataset_id"] for r in rows if r["rank"] <= args.limit}
        rows = [r for r in rows if r["dataset_id"] in keep]
    if args.format == "csv":
        write_csv(rows, FIX_COLUMNS, sys.stdout)
    elif args.format == "json":
        sys.stdout.write(render_json(assessment, rows))
    else:
        sys.stdout.write(render_table(assessment, rows))
    return 0
