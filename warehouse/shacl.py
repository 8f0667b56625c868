"""Every SQL statement on the shacl_* tables that the validation writes (warehouse/schema_shacl.sql).

One validation of one snapshot under one profile replaces that (run_id, profile)'s rows in
one transaction, so a re-validation never doubles them and a failed one leaves the old rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

_DATASET_COLUMNS = (
    "dataset_id", "conforms", "violations", "warnings", "infos", "unknowable", "error",
)  # fmt: skip
_RESULT_COLUMNS = (
    "dataset_id", "distribution_id", "focus", "path", "value", "severity", "source_shape",
    "constraint_component", "message_de", "message_en", "unknowable",
)  # fmt: skip


def store_validation(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    profile: str,
    *,
    shapes_sha256: str,
    validated_at: datetime,
    seconds: float,
    datasets: Sequence[dict],
    results: Sequence[dict],
    error: str | None = None,
) -> None:
    """Replace the validation of `run_id` under `profile` with these rows."""
    import pandas as pd

    ds = pd.DataFrame(list(datasets), columns=list(_DATASET_COLUMNS))
    rs = pd.DataFrame(list(results), columns=list(_RESULT_COLUMNS))
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("shacl_results", "shacl_datasets", "shacl_runs"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ? AND profile = ?", [run_id, profile])
        con.execute(
            "INSERT INTO shacl_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                profile,
                shapes_sha256,
                validated_at,
                len(ds),
                int((ds["conforms"] == True).sum()),  # noqa: E712 - pandas' element-wise ==
                seconds,
                error,
            ],
        )
        con.register("_shacl_ds", ds)
        con.register("_shacl_rs", rs)
        con.execute(
            f"INSERT INTO shacl_datasets (run_id, profile, {', '.join(_DATASET_COLUMNS)}) "
            f"SELECT $run, $profile, {', '.join(_DATASET_COLUMNS)} FROM _shacl_ds",
            {"run": run_id, "profile": profile},
        )
        con.execute(
            f"INSERT INTO shacl_results (run_id, profile, {', '.join(_RESULT_COLUMNS)}) "
            f"SELECT $run, $profile, {', '.join(_RESULT_COLUMNS)} FROM _shacl_rs",
            {"run": run_id, "profile": profile},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("_shacl_ds", "_shacl_rs"):
            try:
                con.unregister(name)
            except duckdb.Error:
                pass


def snapshot_platform(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, str] | None:
    """(portal_id, platform) of a snapshot, or None when the run is unknown."""
    return con.execute(
        "SELECT portal_id, platform FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone()
