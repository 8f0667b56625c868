"""What `odwatch reparse` reads and writes (the run's stored raw pages come from
warehouse.store.stored_pages): the run's row, and the one transaction
that replaces a run's own dataset_rows and distribution_rows (flows/reparse.py replays the
pages through the current adapters inside it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb

from warehouse.store import CODE_VERSION


def previous_ids(con: duckdb.DuckDBPyConnection, portal_id: str, started_at: datetime) -> list[str]:
    """The dataset ids of the portal's ok snapshot before this run (what `known` was)."""
    rows = con.execute(
        """
        SELECT DISTINCT m.dataset_id FROM snapshot_members m WHERE m.run_id = (
            SELECT run_id FROM harvest_runs WHERE portal_id = ? AND status = 'ok'
              AND started_at < ? ORDER BY started_at DESC, run_id DESC LIMIT 1)
        ORDER BY 1
        """,
        [portal_id, started_at],
    ).fetchall()
    return [r[0] for r in rows]


def run_row(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple | None:
    """(portal_id, platform, api_url, organization, status, started_at) of a run, or None."""
    return con.execute(
        "SELECT portal_id, platform, api_url, organization, status, started_at "
        "FROM harvest_runs WHERE run_id = ?",
        [run_id],
    ).fetchone()


def own_row_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[int, int]:
    """How many dataset_rows and distribution_rows the run itself holds."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM dataset_rows WHERE run_id = $r), "
        "(SELECT count(*) FROM distribution_rows WHERE run_id = $r)",
        {"r": run_id},
    ).fetchone()
    return row[0], row[1]


@contextmanager
def replacing_run_rows(
    con: duckdb.DuckDBPyConnection, run_id: str, portal_id: str
) -> Iterator[None]:
    """One transaction: delete the run's own rows, let the body add the new ones, then
    rebuild its own snapshot_members and counts and commit. Any exception (from the body
    too) rolls it all back and is raised again."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM dataset_rows WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM distribution_rows WHERE run_id = ?", [run_id])
        yield
        own = (
            "SELECT DISTINCT dataset_id FROM (SELECT dataset_id FROM dataset_rows WHERE run_id = $r "
            "UNION ALL SELECT dataset_id FROM distribution_rows WHERE run_id = $r)"
        )
        con.execute(
            f"DELETE FROM snapshot_members WHERE run_id = $r AND (origin_run = $r "
            f"OR dataset_id IN ({own}))",
            {"r": run_id},
        )
        con.execute(
            f"INSERT INTO snapshot_members SELECT $r, $p, dataset_id, $r FROM ({own})",
            {"r": run_id, "p": portal_id},
        )
        con.execute(
            "UPDATE harvest_runs SET dataset_count = (SELECT count(*) FROM datasets WHERE run_id = $r), "
            "distribution_count = (SELECT count(*) FROM distributions WHERE run_id = $r), "
            "reparsed_at = now(), reparsed_by = $v WHERE run_id = $r",
            {"r": run_id, "v": CODE_VERSION},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def latest_portals(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> set[str]:
    """The portals for which one of these runs is the latest snapshot."""
    return {
        r[0]
        for r in con.execute(
            "SELECT portal_id FROM latest_runs WHERE list_contains(?, run_id)", [run_ids]
        ).fetchall()
    }


def reparsable_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every complete snapshot with stored raw pages, oldest first."""
    return [
        r[0]
        for r in con.execute(
            "SELECT run_id FROM harvest_runs WHERE status = 'ok' "
            "AND EXISTS (SELECT 1 FROM raw_pages p WHERE p.run_id = harvest_runs.run_id) "
            "ORDER BY started_at, run_id"
        ).fetchall()
    ]


def known_runs(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> set[str]:
    """Which of these run ids are in harvest_runs."""
    return {
        r[0]
        for r in con.execute(
            "SELECT run_id FROM harvest_runs WHERE list_contains(?, run_id)", [run_ids]
        ).fetchall()
    }
