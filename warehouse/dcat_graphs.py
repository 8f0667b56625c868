"""What `flows/dcat_graphs.py` reads to build a snapshot's DCAT-AP.de graphs (issue 16): the
snapshot's member datasets with the run whose harvest fetched each (its stored raw pages are
replayed; the pages themselves come from warehouse/store.stored_pages)."""

from __future__ import annotations

import duckdb


def snapshot_origins(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str]]:
    """(dataset_id, origin_run) of every member dataset of the snapshot, by dataset_id."""
    return con.execute(
        "SELECT DISTINCT dataset_id, origin_run FROM snapshot_members WHERE run_id = ? "
        "ORDER BY dataset_id",
        [run_id],
    ).fetchall()
