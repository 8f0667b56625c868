"""The EU High-Value Dataset marks: every SQL statement on ``hvd_*``.

:func:`judge` runs inside an assessment (``flows/assess.py``): it reads the snapshot's marks
from the ``datasets`` view, judges each with :func:`checks.hvd.mark` and replaces the
snapshot's rows (``warehouse/schema_hvd.sql``). :func:`coverage` and :func:`marked_datasets`
are what the pages and downloads read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from checks.hvd import mark
from warehouse.store import insert_rows


def judge(con: duckdb.DuckDBPyConnection, run_id: str, portal_id: str) -> int:
    """Replace the snapshot's HVD verdicts. Returns the datasets with any mark."""
    datasets, can_mark = con.execute(
        "SELECT count(*), count(hvd_categories) FROM datasets WHERE run_id = ?", [run_id]
    ).fetchone()
    found = con.execute(
        "SELECT dataset_id, hvd_categories, applicable_legislation FROM datasets "
        "WHERE run_id = ? AND (len(hvd_categories) > 0 OR len(applicable_legislation) > 0) "
        "ORDER BY dataset_id",
        [run_id],
    ).fetchall()
    rows = {}
    for dataset_id, cats, laws in found:
        m = mark(cats, laws)
        if m.marked and dataset_id not in rows:
            rows[dataset_id] = (run_id, portal_id, dataset_id, list(m.categories),
                                list(m.unknown), m.regulation, m.problem)  # fmt: skip
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM hvd_marks WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM hvd_runs WHERE run_id = ?", [run_id])
        insert_rows(con, "hvd_marks", list(rows.values()))
        con.execute(
            "INSERT INTO hvd_runs VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, portal_id, datetime.now(UTC), datasets, can_mark, len(rows)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def _present(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the tables (an older one opened read-only may not)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}  # fmt: skip
    return {"hvd_runs", "hvd_marks", "hvd_coverage"} <= names


def coverage(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> dict[str, dict]:
    """Per portal with a judged latest snapshot: ``run_id``, ``datasets``, ``can_mark``,
    ``marked``, ``problems`` (marks DCAT-AP's HVD rules find incomplete) and ``categories``
    (category key -> datasets marked with it, and how many of those are complete)."""
    ids = list(portal_ids)
    out: dict[str, dict] = {}
    if not _present(con):
        return out
    for pid, run_id, n, can, marked, problems in con.execute(
        """
        WITH latest AS (
            SELECT r.* FROM hvd_runs r JOIN harvest_runs h USING (run_id)
            WHERE list_contains($ids, r.portal_id)
            QUALIFY row_number() OVER (PARTITION BY r.portal_id
                                       ORDER BY h.started_at DESC, r.run_id DESC) = 1
        )
        SELECT l.portal_id, l.run_id, l.datasets, l.can_mark, l.marked,
               count(m.problem) AS problems
        FROM latest l LEFT JOIN hvd_marks m USING (run_id)
        GROUP BY ALL
        """,
        {"ids": ids},
    ).fetchall():
        out[pid] = {"run_id": run_id, "datasets": n, "can_mark": can, "marked": marked,
                    "problems": problems, "categories": {}}  # fmt: skip
    cats: dict[str, dict] = defaultdict(dict)
    for pid, category, n, complete in con.execute(
        "SELECT portal_id, category, datasets, complete FROM hvd_coverage "
        "WHERE list_contains($ids, portal_id) ORDER BY portal_id, category",
        {"ids": ids},
    ).fetchall():
        cats[pid][category] = {"datasets": n, "complete": complete}
    for pid, c in cats.items():
        if pid in out:
            out[pid]["categories"] = c
    return out


def marked_datasets(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> list[dict]:
    """Every marked dataset of each portal's latest judged snapshot, with its mark as given
    and as judged: the scorecard's per-dataset download and the city page's fix hints."""
    if not _present(con):
        return []
    cur = con.execute(
        """
        WITH latest AS (
            SELECT r.run_id, r.portal_id FROM hvd_runs r JOIN harvest_runs h USING (run_id)
            WHERE list_contains($ids, r.portal_id)
            QUALIFY row_number() OVER (PARTITION BY r.portal_id
                                       ORDER BY h.started_at DESC, r.run_id DESC) = 1
        )
        SELECT l.portal_id, l.run_id, m.dataset_id, d.title, d.landing_page, m.categories,
               m.unknown, m.regulation, m.problem, d.hvd_categories, d.applicable_legislation
        FROM latest l JOIN hvd_marks m USING (run_id)
        LEFT JOIN (
            SELECT run_id, dataset_id, any_value(title) AS title,
                   any_value(landing_page) AS landing_page,
                   any_value(hvd_categories) AS hvd_categories,
                   any_value(applicable_legislation) AS applicable_legislation
            FROM datasets WHERE run_id IN (SELECT run_id FROM latest)
              AND (len(hvd_categories) > 0 OR len(applicable_legislation) > 0)
            GROUP BY run_id, dataset_id
        ) d ON d.run_id = m.run_id AND d.dataset_id = m.dataset_id
        ORDER BY l.portal_id, m.problem NULLS LAST, m.dataset_id
        """,
        {"ids": list(portal_ids)},
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
