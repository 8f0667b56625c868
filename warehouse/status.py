"""What `odwatch status` and the alerts after a run read: each portal's last harvest
attempts, its latest snapshot and score (flows/status.py, flows/alerts.py)."""

from __future__ import annotations

import duckdb


def portal_status_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[tuple]:
    """Per portal with a finished attempt: (portal_id, started_at, status, mode,
    changed_count, request_count, error, failing, run_id, finished_at, dataset_count,
    distribution_count, scaled, band, max_points) - the last attempt, how many in a row
    failed, the latest snapshot and its portal score."""
    return con.execute(
        """
        WITH attempts AS (
            SELECT *, row_number() OVER (
                PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC) AS k
            FROM harvest_runs WHERE status <> 'running' AND portal_id IN (SELECT unnest($ids))
        ),
        last_ok AS (
            SELECT portal_id, min(k) AS k FROM attempts WHERE status = 'ok' GROUP BY portal_id
        ),
        score AS (
            SELECT s.portal_id, s.scaled, s.band, s.max_points
            FROM scores s JOIN latest_assessments a USING (assessment_id)
            WHERE s.level = 'portal'
        )
        SELECT a.portal_id, a.started_at, a.status, a.mode, a.changed_count, a.request_count,
               a.error, coalesce(o.k, (SELECT count(*) + 1 FROM attempts x
                                       WHERE x.portal_id = a.portal_id)) - 1 AS failing,
               l.run_id, l.finished_at, l.dataset_count, l.distribution_count,
               s.scaled, s.band, s.max_points
        FROM attempts a
        LEFT JOIN last_ok o USING (portal_id)
        LEFT JOIN latest_runs l USING (portal_id)
        LEFT JOIN score s USING (portal_id)
        WHERE a.k = 1
        """,
        {"ids": ids},
    ).fetchall()


def finished_statuses(con: duckdb.DuckDBPyConnection, portal_id: str) -> list[tuple]:
    """The portal's finished harvests, newest first (at most 100): (ok | failed, error)."""
    return con.execute(
        "SELECT status, error FROM harvest_runs WHERE portal_id = ? "
        "AND status IN ('ok', 'failed') ORDER BY started_at DESC, run_id DESC LIMIT 100",
        [portal_id],
    ).fetchall()


def score_change(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[float | None, float | None]:
    """(city_change, points) of the run's assessment; (None, None) without one, or without
    the assessment tables (yet)."""
    try:
        row = con.execute(
            "SELECT city_change, points FROM score_changes WHERE run_id = ?", [run_id]
        ).fetchone()
    except duckdb.Error:  # no assessment tables (yet): no score alerts
        return None, None
    return (row[0], row[1]) if row else (None, None)
