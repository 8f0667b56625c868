"""Every SQL statement the scorecard site runs on the warehouse (read-only: SELECTs only).

Each function returns plain rows (dicts) for :mod:`dashboards.site`; :func:`site_rows` reads
all a site build needs at once. The warehouse may be older or newer than this code: optional
tables and columns (link checks, 5-star ratings, the ``share_released`` score) are looked up
first and left out when absent. The fix list and the findings downloads: :mod:`warehouse.findings`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from checks.scoring import DIMENSIONS
from warehouse.store import portal_overview

# portal-level counts behind share_released (warehouse/schema_assess.sql), when present
RELEASED_COUNTS = ("released_datasets", "released_unverified")
LATE_CODE = "stale-vs-declared-frequency"
HISTORY_LIMIT = 104  # snapshots per city on its trend chart (two years of weekly runs)
HARVEST_LIMIT = 52  # harvest attempts per city in API health
LIST_LIMIT = 20  # late datasets, new and resolved findings listed on a city page


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> list[dict]:
    cur = con.execute(sql, params if isinstance(params, dict) else list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Tables and views of the warehouse's main schema -> their column names."""
    out: dict[str, set[str]] = defaultdict(set)
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall():
        out[table].add(column)
    return dict(out)


# ---------------------------------------------------------------- scores


def latest_scores(
    con: duckdb.DuckDBPyConnection, rel: dict[str, set[str]]
) -> tuple[dict[str, dict], bool, str | None]:
    """Each portal's latest portal-level score with its change since the previous snapshot
    (same method) and its findings count, keyed by portal id; whether the warehouse has the
    ``share_released`` score; the newest method among the latest assessments."""
    score_cols = rel.get("scores", set())
    has_released = "share_released" in score_cols
    if "latest_scores" not in rel:
        return {}, has_released, None
    released = "s.share_released" if has_released else "CAST(NULL AS DOUBLE)"
    prev_released = "p.share_released" if has_released else "CAST(NULL AS DOUBLE)"
    counts = ", ".join(
        f"s.{c} AS {c}" if c in score_cols else f"CAST(NULL AS BIGINT) AS {c}"
        for c in RELEASED_COUNTS
    )
    scores = {
        r["portal_id"]: r
        for r in rows(
            con,
            f"""
            SELECT s.portal_id, s.assessment_id, s.run_id, s.method_version, a.snapshot_at, s.points,
                   s.max_assessable, s.max_points, s.scaled, s.band,
                   {", ".join("s." + d for d in DIMENSIONS)},
                   {released} AS share_released, s.share_open_license, s.share_machine_readable,
                   s.share_non_proprietary, s.share_on_time, s.datasets, s.distributions,
                   {counts}, c.previous_run_id, c.previous_points, c.city_change, c.method_change,
                   c.previous_method_version, p.scaled AS previous_scaled,
                   {prev_released} AS previous_share_released,
                   s.scaled - p.scaled AS scaled_change,
                   {released} - {prev_released} AS released_change,
                   coalesce(f.findings, 0) AS findings, coalesce(f.flagged, 0) AS flagged
            FROM latest_scores s
            JOIN latest_assessments a USING (assessment_id)
            LEFT JOIN score_changes c ON c.portal_id = s.portal_id AND c.run_id = s.run_id
            LEFT JOIN (
                SELECT s2.* FROM scores s2 JOIN assessments a2 USING (assessment_id)
                WHERE s2.level = 'portal' AND a2.status = 'ok'
            ) p ON p.run_id = c.previous_run_id AND p.method_version = s.method_version
            LEFT JOIN (
                SELECT assessment_id, count(*) AS findings, count(DISTINCT dataset_id) AS flagged
                FROM latest_findings GROUP BY ALL
            ) f USING (assessment_id)
            WHERE s.level = 'portal'
            """,
        )
    }
    r = con.execute(
        "SELECT a.method_version FROM latest_assessments a JOIN methods m USING (method_version) "
        "ORDER BY m.first_used_at DESC LIMIT 1"
    ).fetchone()
    return scores, has_released, r[0] if r else None


# ---------------------------------------------------------------- per city


def _in(ids: Iterable[str]) -> str:
    """A SQL IN list of portal ids (slugs, quoted anyway)."""
    quoted = ["'" + i.replace("'", "''") + "'" for i in ids]
    return "(" + (", ".join(quoted) or "''") + ")"


def history(con: duckdb.DuckDBPyConnection, ids: list[str], has_released: bool) -> dict:
    """Per portal, each ok snapshot's portal score: under the method of its latest assessment
    when that method assessed it, else under the newest method that did."""
    released = "s.share_released" if has_released else "CAST(NULL AS DOUBLE)"
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT * FROM (
            SELECT r.portal_id, r.run_id, r.started_at AS snapshot_at, s.method_version,
                   s.points, s.max_assessable, s.max_points, s.scaled, s.band,
                   {", ".join("s." + d for d in DIMENSIONS)},
                   {released} AS share_released, s.share_open_license, s.share_machine_readable,
                   s.share_non_proprietary, s.share_on_time, s.datasets, s.distributions
            FROM harvest_runs r
            JOIN assessments a ON a.run_id = r.run_id AND a.status = 'ok'
            JOIN methods m ON m.method_version = a.method_version
            JOIN scores s ON s.assessment_id = a.assessment_id AND s.level = 'portal'
            LEFT JOIN latest_assessments la ON la.portal_id = r.portal_id
            WHERE r.status = 'ok' AND r.portal_id IN {_in(ids)}
            QUALIFY row_number() OVER (
                PARTITION BY r.run_id
                ORDER BY (a.method_version = la.method_version) DESC, m.first_used_at DESC,
                         a.assessed_at DESC) = 1
        )
        QUALIFY row_number() OVER (PARTITION BY portal_id ORDER BY snapshot_at DESC, run_id DESC)
                <= {HISTORY_LIMIT}
        ORDER BY portal_id, snapshot_at, run_id
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def harvests(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Per portal, its last harvest attempts (API health): status, seconds, requests."""
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT portal_id, run_id, started_at, finished_at, status, error, method,
               request_count, dataset_count, expected_count,
               epoch(finished_at) - epoch(started_at) AS seconds
        FROM harvest_runs
        WHERE status <> 'running' AND portal_id IN {_in(ids)}
        QUALIFY row_number() OVER (PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC)
                <= {HARVEST_LIMIT}
        ORDER BY portal_id, started_at, run_id
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def indicators(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT i.portal_id, i.run_id, i.method_version, i.indicator, i.dimension, i.weight,
               i.level, i.passed, i.failed, i.share, i.points
        FROM score_indicators i JOIN latest_assessments a USING (assessment_id)
        WHERE i.portal_id IN {_in(ids)}
        ORDER BY i.portal_id, i.rowid
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def license_mix(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Datasets per licence, each dataset counted under its least open licence (its own, or
    its distributions' where they state one): the assessment's stored verdict, the same one
    the open-licence share counts."""
    groups = con.execute(
        f"""
        SELECT v.portal_id, v.license_id, v.license_raw, v.license_status, count(*) AS n
        FROM verdicts v JOIN latest_assessments a USING (assessment_id)
        WHERE v.portal_id IN {_in(ids)} AND v.distribution_id IS NULL
        GROUP BY ALL
        """
    ).fetchall()
    counts: dict[str, Counter] = defaultdict(Counter)
    for pid, license_id, raw, status, n in groups:
        label = license_id or (raw.strip()[:60] if raw else "")
        counts[pid][(label, status)] += n
    return {pid: _top(c, ("license", "status")) for pid, c in counts.items()}


def _top(counter: Counter, names: tuple[str, str], keep: int = 9) -> list[dict]:
    """The `keep` largest groups, the rest summed as one group of kind 'rest' (label None)."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    head, tail = items[:keep], items[keep:]
    out = [{names[0]: k[0], names[1]: k[1], "count": n} for k, n in head]
    if tail:
        out.append({names[0]: None, names[1]: "rest", "count": sum(n for _, n in tail)})
    return out


def format_mix(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Distributions per format as the assessment judged it (checks.formats: declared > media
    type > URL), read from its stored verdicts."""
    groups = con.execute(
        f"""
        SELECT v.portal_id, coalesce(v.format, '') AS format,
               CASE WHEN v.format IS NULL THEN 'unknown'
                    WHEN v.machine_readable AND v.non_proprietary THEN 'open'
                    WHEN v.machine_readable THEN 'machine-readable'
                    ELSE 'other' END AS kind,
               count(*) AS n
        FROM verdicts v JOIN latest_assessments a USING (assessment_id)
        WHERE v.portal_id IN {_in(ids)} AND v.distribution_id IS NOT NULL
        GROUP BY ALL
        """
    ).fetchall()
    counts: dict[str, Counter] = defaultdict(Counter)
    for pid, fmt, kind, n in groups:
        counts[pid][(fmt, kind)] += n
    return {pid: _top(c, ("format", "kind")) for pid, c in counts.items()}


def link_health(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Distributions of the latest snapshots by the newest outcome of their URL (the
    ``url_outcome`` of warehouse/schema_links.sql's latest_distribution_links, joined the same
    way; only that one URL, which needs a third of the memory)."""
    ws = "' ' || chr(9) || chr(10) || chr(13)"
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT d.portal_id, coalesce(s.outcome, 'unchecked') AS outcome, count(*) AS count
        FROM latest_distributions d
        LEFT JOIN latest_link_status s ON s.url = trim(d.url, {ws})
        WHERE d.portal_id IN {_in(ids)}
        GROUP BY ALL ORDER BY d.portal_id, count DESC, outcome
        """,
    ):
        out[r.pop("portal_id")].append(r)
    return dict(out)


def star_mix(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict]:
    return {
        r["portal_id"]: r
        for r in rows(con, f"SELECT * FROM portal_stars WHERE portal_id IN {_in(ids)}")
    }


def late_datasets(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT f.portal_id, f.dataset_id, d.title, d.landing_page, d.organization, f.evidence,
               TRY_CAST(regexp_extract(f.evidence, '(\\d+) days? late', 1) AS INTEGER) AS days_late,
               count(*) OVER (PARTITION BY f.portal_id) AS total
        FROM latest_findings f
        LEFT JOIN (
            SELECT run_id, dataset_id, any_value(title) AS title,
                   any_value(landing_page) AS landing_page,
                   any_value(coalesce(organization_title, organization)) AS organization
            FROM latest_datasets WHERE portal_id IN {_in(ids)} GROUP BY ALL
        ) d USING (run_id, dataset_id)
        WHERE f.code = '{LATE_CODE}' AND f.portal_id IN {_in(ids)}
        QUALIFY row_number() OVER (
            PARTITION BY f.portal_id ORDER BY days_late DESC NULLS LAST, d.title, f.dataset_id)
            <= {LIST_LIMIT}
        ORDER BY f.portal_id, days_late DESC NULLS LAST, d.title, f.dataset_id
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def methods(con: duckdb.DuckDBPyConnection, rel: dict[str, set[str]]) -> list[dict]:
    if "methods" not in rel:
        return []
    return rows(
        con,
        """
        SELECT m.method_version, m.method_fingerprint, m.first_used_at,
               count(DISTINCT a.portal_id) AS portals
        FROM methods m LEFT JOIN latest_assessments a USING (method_version)
        GROUP BY ALL ORDER BY m.first_used_at
        """,
    )


def site_rows(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> dict[str, Any]:
    """Everything the site shows for these portals, as rows: the keyword arguments of
    :func:`dashboards.site.site_data` (``overview``, ``scores``, ``has_released``,
    ``current_method``, ``methods`` and the per-portal ``harvests``, ``licenses``, ``formats``,
    ``history``, ``indicators``, ``late``, ``links`` (None without link checks), ``stars``)."""
    rel = relations(con)
    scores, has_released, current = latest_scores(con, rel)
    ids = list(portal_ids) or [""]
    out: dict[str, Any] = {
        "overview": {r["portal_id"]: r for r in portal_overview(con)},
        "scores": scores,
        "has_released": has_released,
        "current_method": current,
        "methods": methods(con, rel),
        "harvests": harvests(con, ids),
        "licenses": license_mix(con, ids),
        "formats": format_mix(con, ids),
    }
    if "latest_scores" in rel:
        out["history"] = history(con, ids, has_released)
        out["indicators"] = indicators(con, ids)
        out["late"] = late_datasets(con, ids)
    if "latest_link_status" in rel:
        out["links"] = link_health(con, ids)
    if "portal_stars" in rel:
        out["stars"] = star_mix(con, ids)
    return out


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse has this table or view (any schema, as the site always asked)."""
    return name in {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
