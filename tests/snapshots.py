"""How tests compare snapshots: every column but run_id, from the datasets/distributions views."""

from __future__ import annotations

from pathlib import Path

import duckdb


def snapshot_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list, list]:
    """A snapshot's dataset and distribution rows in a fixed order, without run_id, so a
    snapshot of one warehouse can be compared with one of another."""
    ds = con.execute(
        "SELECT * EXCLUDE (run_id) FROM datasets WHERE run_id = ? ORDER BY dataset_id", [run_id]
    ).fetchall()
    di = con.execute(
        "SELECT * EXCLUDE (run_id) FROM distributions WHERE run_id = ? "
        "ORDER BY dataset_id, position, distribution_id",
        [run_id],
    ).fetchall()
    return ds, di


def snapshot_file(path: str | Path, run_id: str) -> tuple[list, list]:
    """snapshot_rows() of a warehouse file no process holds, opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return snapshot_rows(con, run_id)
    finally:
        con.close()
