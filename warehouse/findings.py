"""The fix list and the findings downloads: every SQL statement on the findings tables.

The fix list is a portal's flagged datasets, those a fix would make really released first,
then by the points fixing them would gain (the rule: :func:`checks.scoring.fix_order_sql`);
:func:`fix_ranks_sql` ranks them once for the city pages, the per-city downloads and
``odwatch findings`` (flows/findings.py). :class:`FindingsExport` streams the latest findings
into the site's downloads (rendering: :mod:`dashboards.downloads`). Read-only: SELECTs and
COPY ... TO only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from checks.scoring import fix_order_sql, release_fix_sql
from warehouse.assess_inputs import shacl_profile
from warehouse.site import LIST_LIMIT, rows

FINDING_COLUMNS = (
    "portal_id", "run_id", "method_version", "dataset_id", "dataset_title", "organization",
    "landing_page", "distribution_id", "code", "severity", "message", "evidence", "points_lost",
)  # fmt: skip
# a city's findings (CSV, JSON) in its fix list's order: fix_ranks_sql
CITY_FINDING_COLUMNS = ("fix_rank", *FINDING_COLUMNS, "dataset_released", "blocks_release")


def _findings_sql(portal_ids: Sequence[str]) -> str:
    listed = ", ".join(_sql_text(p) for p in portal_ids) or "''"
    return f"""
        SELECT f.portal_id, f.run_id, f.method_version, f.dataset_id, d.title AS dataset_title,
               d.organization, d.landing_page, f.distribution_id, f.code, f.severity, f.message,
               f.evidence, f.points_lost
        FROM latest_findings f
        LEFT JOIN (
            SELECT run_id, dataset_id, any_value(title) AS title,
                   any_value(coalesce(organization_title, organization)) AS organization,
                   any_value(landing_page) AS landing_page
            FROM latest_datasets WHERE portal_id IN ({listed}) GROUP BY ALL
        ) d USING (run_id, dataset_id)
        WHERE f.portal_id IN ({listed})
    """


def _city_findings_sql(con: duckdb.DuckDBPyConnection, portal_id: str) -> str:
    """One city's findings with the fix list's rank of their dataset, in fix-list order."""
    where = (
        "f.assessment_id IN (SELECT assessment_id FROM latest_assessments "
        f"WHERE portal_id = {_sql_text(portal_id)})"
    )
    return f"""
        SELECT r.rank AS fix_rank, x.*, r.released AS dataset_released,
               (r.release_fixes > 0 AND {release_fix_sql("x.code")} > 0) AS blocks_release
        FROM ({_findings_sql([portal_id])}) x
        JOIN ({fix_ranks_sql(con, where)}) r USING (dataset_id)
        ORDER BY fix_rank, blocks_release DESC, {release_fix_sql("x.code")},
                 x.distribution_id NULLS FIRST, x.code
    """


def _nested_findings_sql(con: duckdb.DuckDBPyConnection, portal_id: str) -> str:
    """One JSON object per dataset with its findings (the CSV's rows, without repeating the
    dataset's title, organisation and link on each), in fix-list order."""
    return f"""
        SELECT fix_rank, portal_id, run_id, method_version, dataset_id,
               any_value(dataset_title) AS dataset_title,
               any_value(organization) AS organization, any_value(landing_page) AS landing_page,
               any_value(dataset_released) AS dataset_released,
               list({{'distribution_id': distribution_id, 'code': code, 'severity': severity,
                      'message': message, 'evidence': evidence, 'points_lost': points_lost,
                      'blocks_release': blocks_release}}
                    ORDER BY blocks_release DESC, distribution_id NULLS FIRST, code) AS findings
        FROM ({_city_findings_sql(con, portal_id)})
        GROUP BY fix_rank, portal_id, run_id, method_version, dataset_id
        ORDER BY fix_rank
    """


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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


def latest_assessment(
    con: duckdb.DuckDBPyConnection, portal_id: str, run_id: str | None = None
) -> dict | None:
    """A portal's latest ok assessment (or `run_id`'s under the newest method that assessed
    it): assessment_id, run_id, portal_id, method_version, snapshot_at; None when there is none."""
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
        return None
    return dict(
        zip(
            ("assessment_id", "run_id", "portal_id", "method_version", "snapshot_at"),
            head,
            strict=True,
        )
    )


def assessed_portals(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT portal_id FROM latest_assessments ORDER BY 1"
        ).fetchall()
    ]


def harvest_state(con: duckdb.DuckDBPyConnection, portal_id: str) -> dict[str, Any]:
    """Whether a portal has a complete snapshot (``snapshot``), else its last finished harvest
    (``last``: status, error, when; None if never harvested) and the portals that were
    (``harvested``)."""
    snapshot = con.execute(
        "SELECT count(*) FROM harvest_runs WHERE portal_id = ? AND status = 'ok'", [portal_id]
    ).fetchone()[0]
    if snapshot:
        return {"snapshot": True, "last": None, "harvested": []}
    last = con.execute(
        "SELECT status, error, coalesce(finished_at, started_at) FROM harvest_runs "
        "WHERE portal_id = ? AND status <> 'running' ORDER BY started_at DESC, run_id DESC LIMIT 1",
        [portal_id],
    ).fetchone()
    harvested = []
    if last is None:
        harvested = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT portal_id FROM harvest_runs ORDER BY 1"
            ).fetchall()
        ]
    return {"snapshot": False, "last": last, "harvested": harvested}


def fix_rows(con: duckdb.DuckDBPyConnection, assessment: dict) -> list[dict]:
    """The fix list of one assessment (a :func:`latest_assessment` row), ranked as
    :func:`fix_ranks_sql` ranks it; one row per dataset and code, a dataset's release fixes
    first."""
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
    return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


SHACL_VIOLATION_COLUMNS = (
    "distribution_id", "focus", "path", "value", "source_shape", "constraint_component",
    "message_de", "message_en",
)  # fmt: skip


def shacl_violations(
    con: duckdb.DuckDBPyConnection, run_id: str, dataset_ids: Sequence[str]
) -> dict[str, list[dict]]:
    """The Violations behind each ``dcat-ap-violation`` finding of `run_id`: per dataset, the
    results of the profile the assessment read (:func:`warehouse.assess_inputs.shacl_profile`)
    that count (severity Violation, not unknowable), the dataset's own first."""
    profile = shacl_profile(con, run_id)
    if profile is None or not dataset_ids:
        return {}
    cur = con.execute(
        f"SELECT dataset_id, {', '.join(SHACL_VIOLATION_COLUMNS)} FROM shacl_results "
        "WHERE run_id = ? AND profile = ? AND severity = 'Violation' AND NOT unknowable "
        "AND list_contains(?, dataset_id) "
        "ORDER BY dataset_id, distribution_id NULLS FIRST, path, focus, message_en",
        [run_id, profile, list(dataset_ids)],
    )
    out: dict[str, list[dict]] = defaultdict(list)
    for row in cur.fetchall():
        out[row[0]].append(dict(zip(SHACL_VIOLATION_COLUMNS, row[1:], strict=True)))
    return dict(out)


class FindingsExport:
    """The latest findings for the site's downloads, written by DuckDB or streamed in chunks
    (memory stays that of the largest city)."""

    columns = CITY_FINDING_COLUMNS  # of city_rows()

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def all_to_parquet(self, portal_ids: Sequence[str], path: Path) -> None:
        self.con.execute(  # unsorted: sorting half a million rows doubled the peak memory
            f"COPY ({_findings_sql(portal_ids)}) "
            f"TO {_sql_text(str(path))} (FORMAT parquet, COMPRESSION zstd)"
        )

    def city_rows(self, portal_id: str) -> Iterator[dict]:
        """One city's findings (`columns`) in its fix list's order, fetched in chunks."""
        result = self.con.execute(_city_findings_sql(self.con, portal_id))
        while chunk := result.fetchmany(10_000):
            for r in chunk:
                yield dict(zip(self.columns, r, strict=True))

    def city_fingerprint(self, portal_id: str) -> str:
        """What city_rows would give, in one line: the row count and the sum of the rows'
        hashes (equal rows give equal files; DuckDB hashes 40k rows in milliseconds)."""
        n, h = self.con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR "
            f"FROM ({_city_findings_sql(self.con, portal_id)}) t"
        ).fetchone()
        return f"{n}:{h}"

    def city_to_json(self, portal_id: str, path: Path) -> None:
        self.con.execute(
            f"COPY ({_nested_findings_sql(self.con, portal_id)}) "
            f"TO {_sql_text(str(path))} (FORMAT json, ARRAY true)"
        )


# ---------------------------------------------------------------- changes (a city page)


def run_started(con: duckdb.DuckDBPyConnection, run_id: str) -> Any:
    """When a harvest run started."""
    return con.execute("SELECT started_at FROM harvest_runs WHERE run_id = ?", [run_id]).fetchone()[
        0
    ]


def organizations(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str | None]:
    """dataset_id -> its organisation's title (else its id) in one snapshot."""
    return dict(
        con.execute(
            "SELECT dataset_id, any_value(coalesce(organization_title, organization)) "
            "FROM datasets WHERE run_id = ? GROUP BY dataset_id",
            [run_id],
        ).fetchall()
    )


def previous_assessment(
    con: duckdb.DuckDBPyConnection, run_id: str | None, method_version: str
) -> str | None:
    """The previous snapshot's assessment: under the same method if it has one."""
    if not run_id:
        return None
    r = con.execute(
        """
        SELECT a.assessment_id FROM assessments a JOIN methods m USING (method_version)
        WHERE a.run_id = ? AND a.status = 'ok'
        ORDER BY (a.method_version = ?) DESC, m.first_used_at DESC, a.assessed_at DESC LIMIT 1
        """,
        [run_id, method_version],
    ).fetchone()
    return r[0] if r else None


def changes(
    con: duckdb.DuckDBPyConnection,
    assessment_id: str,
    previous_id: str,
    run_id: str,
    previous_run_id: str,
) -> dict:
    """Findings (dataset, code) new, resolved or recurring since the previous snapshot:
    counts per code, and the datasets with most new and most resolved findings (their codes)."""
    base = """
        WITH cur AS (SELECT DISTINCT dataset_id, code FROM findings WHERE assessment_id = $cur),
        prev AS (SELECT DISTINCT dataset_id, code FROM findings WHERE assessment_id = $prev),
        j AS (
            SELECT coalesce(c.dataset_id, p.dataset_id) AS dataset_id,
                   coalesce(c.code, p.code) AS code,
                   CASE WHEN p.code IS NULL THEN 'new' WHEN c.code IS NULL THEN 'resolved'
                        ELSE 'recurring' END AS change
            FROM cur c FULL JOIN prev p USING (dataset_id, code)
        )
    """
    params = {"cur": assessment_id, "prev": previous_id}
    counts = rows(
        con,
        base + "SELECT code, change, count(*) AS n FROM j GROUP BY ALL ORDER BY code, change",
        params,
    )
    per_code: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("new", "resolved", "recurring"), 0)
    )
    for r in counts:
        per_code[r["code"]][r["change"]] = r["n"]
    totals = {k: sum(v[k] for v in per_code.values()) for k in ("new", "resolved", "recurring")}
    items = rows(
        con,
        base
        + f"""
        SELECT * FROM (
            SELECT j.change, j.dataset_id, list(j.code ORDER BY j.code) AS codes,
                   any_value(coalesce(dc.title, dp.title)) AS title,
                   any_value(coalesce(dc.landing_page, dp.landing_page)) AS landing_page,
                   bool_and(dc.dataset_id IS NULL) AS gone
            FROM j
            LEFT JOIN (SELECT dataset_id, any_value(title) AS title, any_value(landing_page) AS landing_page
                       FROM datasets WHERE run_id = $run GROUP BY ALL) dc USING (dataset_id)
            LEFT JOIN (SELECT dataset_id, any_value(title) AS title, any_value(landing_page) AS landing_page
                       FROM datasets WHERE run_id = $prun GROUP BY ALL) dp USING (dataset_id)
            WHERE j.change IN ('new', 'resolved')
            GROUP BY j.change, j.dataset_id
        )
        QUALIFY row_number() OVER (PARTITION BY change ORDER BY len(codes) DESC, title, dataset_id)
                <= {LIST_LIMIT}
        ORDER BY change, len(codes) DESC, title, dataset_id
        """,
        params | {"run": run_id, "prun": previous_run_id},
    )
    return {
        "totals": totals,
        "per_code": [{"code": c, **v} for c, v in sorted(per_code.items())],
        "new": [i for i in items if i["change"] == "new"],
        "resolved": [i for i in items if i["change"] == "resolved"],
        "datasets": {
            k: con.execute(
                base + "SELECT count(DISTINCT dataset_id) FROM j WHERE change = $k",
                params | {"k": k},
            ).fetchone()[0]
            for k in ("new", "resolved")
        },
    }
