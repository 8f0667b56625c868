"""Warehouse reads and writes of the link and content checks (tables in schema_links.sql).

Writes hold `wh.lock` (the pipeline's threads share one connection); bulk inserts go through
Warehouse.add_records (NDJSON + read_json, the fast path in DuckDB).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from checks.links import LinkState, Observation
from warehouse.records import Warehouse

# what a link check writes: a staged check (flows/scheduled.py) brings these over
TABLES = ("link_check_runs", "link_checks", "content_checks", "content_findings")

_TRIM = "trim({col}, ' ' || chr(9) || chr(10) || chr(13))"


def insert(wh: Warehouse, table: str, records: Iterable[dict]) -> int:
    """Bulk-insert dicts keyed by column name (missing keys are NULL)."""
    return wh.add_records(table, records)


def _rows(wh: Warehouse, sql: str, params: list | None = None) -> list[dict]:
    with wh.lock:
        cur = wh.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# ------------------------------------------------------------------ runs


def begin_run(wh: Warehouse, check_run_id: str, started_at: datetime, portals: list[str]) -> None:
    with wh.lock:
        wh.con.execute(
            "INSERT INTO link_check_runs (check_run_id, started_at, status, portals) "
            "VALUES (?, ?, 'running', ?)",
            [check_run_id, started_at, portals],
        )


def finish_run(wh: Warehouse, check_run_id: str, status: str, **values: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    with wh.lock:
        wh.con.execute(
            f"UPDATE link_check_runs SET status = ?, finished_at = now(){', ' if sets else ''}{sets} "
            "WHERE check_run_id = ?",
            [status, *values.values(), check_run_id],
        )


# ------------------------------------------------------------------ reading


def snapshot_portals(wh: Warehouse, portal_ids: list[str]) -> dict[str, str]:
    """portal_id -> run_id of its latest complete snapshot."""
    rows = _rows(
        wh,
        "SELECT portal_id, run_id FROM latest_runs WHERE list_contains(?, portal_id)",
        [portal_ids],
    )
    return {r["portal_id"]: r["run_id"] for r in rows}


def snapshot_urls(wh: Warehouse, portal_ids: list[str]) -> dict[str, set[str]]:
    """Every distinct URL (access and download) of the latest snapshots -> its portals."""
    rows = _rows(
        wh,
        f"""
        SELECT DISTINCT portal_id, u AS url FROM (
            SELECT portal_id, {_TRIM.format(col="access_url")} AS u FROM latest_distributions
            WHERE list_contains(?, portal_id)
            UNION ALL
            SELECT portal_id, {_TRIM.format(col="download_url")} FROM latest_distributions
            WHERE list_contains(?, portal_id)
        ) WHERE u IS NOT NULL AND u <> ''
        """,
        [portal_ids, portal_ids],
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["url"], set()).add(r["portal_id"])
    return out


def link_states(wh: Warehouse) -> dict[str, LinkState]:
    rows = _rows(
        wh,
        "SELECT url, outcome, checked_at, failure_count, retry_after_s FROM latest_link_status",
    )
    return {
        r["url"]: LinkState(r["outcome"], r["checked_at"], r["failure_count"], r["retry_after_s"])
        for r in rows
    }


def failure_histories(wh: Warehouse, urls: Iterable[str]) -> dict[str, list[Observation]]:
    """Per URL whose newest check was not ok: its checks since its last ok one, each as it was
    observed on its own (what checks.links.judge weighs). URLs without failures are absent."""
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    rows = _rows(
        wh,
        """
        SELECT c.url, c.checked_at, coalesce(c.observed, c.outcome) AS observed, c.reason
        FROM link_checks c JOIN latest_link_status s USING (url)
        WHERE list_contains(?, c.url) AND s.outcome <> 'ok'
          AND (s.last_success IS NULL OR c.checked_at > s.last_success)
        ORDER BY c.url, c.checked_at
        """,
        [wanted],
    )
    out: dict[str, list[Observation]] = {}
    for r in rows:
        out.setdefault(r["url"], []).append(
            Observation(r["checked_at"], r["observed"], r["reason"])
        )
    return out


def sample_candidates(wh: Warehouse, portal_id: str, since: datetime | None = None) -> list[dict]:
    """Distributions of a portal's latest snapshot whose content was not checked since
    `since` (None: whenever), each with its URL's newest link outcome (the caller leaves out
    those not ok, after its own link checks)."""
    return _rows(
        wh,
        f"""
        SELECT d.run_id, d.portal_id, d.dataset_id, d.distribution_id, d.position, d.title,
               {_TRIM.format(col="d.url")} AS url, d.format_raw, d.media_type_raw,
               s.outcome AS link_outcome
        FROM latest_distributions d
        LEFT JOIN latest_link_status s ON s.url = {_TRIM.format(col="d.url")}
        WHERE d.portal_id = ? AND d.url IS NOT NULL AND {_TRIM.format(col="d.url")} <> ''
          AND NOT EXISTS (
              SELECT 1 FROM content_checks c
              WHERE c.portal_id = d.portal_id AND c.distribution_id = d.distribution_id
                AND c.url = {_TRIM.format(col="d.url")} AND c.checked_at >= ?
          )
        ORDER BY d.dataset_id, d.position
        """,
        [portal_id, since or datetime.max.replace(tzinfo=UTC)],
    )


def previous_shapes(wh: Warehouse, portal_id: str) -> dict[str, dict]:
    """distribution_id -> columns, delimiter, checked_at of its newest earlier content check."""
    rows = _rows(
        wh,
        """
        SELECT distribution_id, columns, delimiter, checked_at FROM (
            SELECT *, row_number() OVER (
                PARTITION BY distribution_id ORDER BY checked_at DESC, check_run_id DESC) AS rn
            FROM content_checks WHERE portal_id = ? AND columns IS NOT NULL
        ) WHERE rn = 1
        """,
        [portal_id],
    )
    return {r["distribution_id"]: r for r in rows}


def star_inputs(wh: Warehouse, portal_ids: list[str]) -> list[dict]:
    """Every distribution of the latest snapshots with what its 5-star level depends on.

    ``license_status`` is the stored licence verdict of the run's newest ok assessment
    (``verdicts``), NULL where the run has not been assessed yet: the licence is judged once,
    by the assessment, never again here."""
    return _rows(
        wh,
        f"""
        WITH judged AS (
            SELECT a.run_id, a.assessment_id FROM assessments a
            WHERE a.status = 'ok'
              AND EXISTS (SELECT 1 FROM verdicts v WHERE v.assessment_id = a.assessment_id)
            QUALIFY row_number() OVER (PARTITION BY a.run_id ORDER BY a.assessed_at DESC) = 1
        )
        SELECT d.run_id, d.portal_id, d.dataset_id, d.distribution_id, d.url, d.format_raw,
               d.media_type_raw, coalesce(d.generated, false) AS generated,
               v.license_status, s.outcome AS link_outcome, c.sniffed_format
        FROM latest_distributions d
        LEFT JOIN judged j ON j.run_id = d.run_id
        LEFT JOIN verdicts v
               ON v.assessment_id = j.assessment_id AND v.dataset_id = d.dataset_id
              AND v.distribution_id = d.distribution_id
        LEFT JOIN latest_link_status s ON s.url = {_TRIM.format(col="d.url")}
        LEFT JOIN latest_content_checks c
               ON c.portal_id = d.portal_id AND c.distribution_id = d.distribution_id
              AND c.url = {_TRIM.format(col="d.url")}
        WHERE list_contains(?, d.portal_id)
        """,
        [portal_ids],
    )


def replace_stars(wh: Warehouse, run_ids: list[str], records: list[dict]) -> int:
    with wh.lock:
        wh.con.execute("DELETE FROM distribution_stars WHERE list_contains(?, run_id)", [run_ids])
    return insert(wh, "distribution_stars", records)
