"""Every SQL statement on the shacl_* tables that the validation writes (warehouse/schema_shacl.sql).

One validation of one snapshot under one profile replaces that (run_id, profile)'s rows in
one transaction, so a re-validation never doubles them and a failed one leaves the old rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import duckdb

_DATASET_COLUMNS = (
    "dataset_id", "conforms", "violations", "warnings", "infos", "unknowable", "error",
)  # fmt: skip
_RESULT_COLUMNS = (
    "dataset_id", "distribution_id", "focus", "path", "value", "severity", "source_shape",
    "constraint_component", "message_de", "message_en", "unknowable",
)  # fmt: skip


def reusable(
    con: duckdb.DuckDBPyConnection, run_id: str, profile: str, shapes_sha256: str, fingerprint: str
) -> dict[str, str]:
    """dataset_id -> the earlier snapshot whose verdict on it the snapshot can keep: one that
    holds the same stored dataset (the same origin run, carried forward by an incremental
    harvest) and validated it under `profile` with the same shapes and fingerprint; the
    newest such validation."""
    rows = con.execute(
        """
        SELECT m.dataset_id, r.run_id
        FROM snapshot_members m
        JOIN snapshot_members e
          ON e.portal_id = m.portal_id AND e.dataset_id = m.dataset_id
         AND e.origin_run = m.origin_run AND e.run_id <> m.run_id
        JOIN shacl_runs r
          ON r.run_id = e.run_id AND r.profile = $profile AND r.error IS NULL
         AND r.shapes_sha256 = $sha AND r.fingerprint = $fp
        JOIN shacl_datasets d
          ON d.run_id = r.run_id AND d.profile = r.profile AND d.dataset_id = m.dataset_id
        WHERE m.run_id = $run
        QUALIFY row_number() OVER (PARTITION BY m.dataset_id
                                   ORDER BY r.validated_at DESC, r.run_id DESC) = 1
        """,
        {"run": run_id, "profile": profile, "sha": shapes_sha256, "fp": fingerprint},
    ).fetchall()
    return dict(rows)


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
    fingerprint: str | None = None,
    kept: Mapping[str, str] | None = None,
) -> tuple[int, int, int]:
    """Replace the validation of `run_id` under `profile` with these rows and, for each
    dataset in `kept`, the rows of the earlier snapshot named there (:func:`reusable`).
    Returns (datasets, conforming, violations) of the whole validation."""
    import pandas as pd

    ds = pd.DataFrame(list(datasets), columns=list(_DATASET_COLUMNS))
    rs = pd.DataFrame(list(results), columns=list(_RESULT_COLUMNS))
    ks = pd.DataFrame(list((kept or {}).items()), columns=["dataset_id", "source_run"])
    names = {"_shacl_ds": ds, "_shacl_rs": rs, "_shacl_kept": ks}
    args = {"run": run_id, "profile": profile}
    dcols, rcols = ", ".join(_DATASET_COLUMNS), ", ".join(_RESULT_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("shacl_results", "shacl_datasets", "shacl_runs"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ? AND profile = ?", [run_id, profile])
        for name, frame in names.items():
            con.register(name, frame)
        con.execute(
            f"INSERT INTO shacl_datasets (run_id, profile, {dcols}) "
            f"SELECT $run, $profile, {dcols} FROM _shacl_ds",
            args,
        )
        con.execute(
            f"INSERT INTO shacl_results (run_id, profile, {rcols}) "
            f"SELECT $run, $profile, {rcols} FROM _shacl_rs",
            args,
        )
        for table, cols in (("shacl_datasets", _DATASET_COLUMNS), ("shacl_results", _RESULT_COLUMNS)):  # fmt: skip
            con.execute(
                f"INSERT INTO {table} (run_id, profile, {', '.join(cols)}) "
                f"SELECT $run, $profile, {', '.join('t.' + c for c in cols)} FROM {table} t "
                "JOIN _shacl_kept k ON t.run_id = k.source_run AND t.dataset_id = k.dataset_id "
                "WHERE t.profile = $profile",
                args,
            )
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE conforms), coalesce(sum(violations), 0) "
            "FROM shacl_datasets WHERE run_id = $run AND profile = $profile",
            args,
        ).fetchone()
        con.execute(
            "INSERT INTO shacl_runs (run_id, profile, shapes_sha256, validated_at, datasets, "
            "conforming, seconds, error, fingerprint, kept) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id, profile, shapes_sha256, validated_at, counts[0], counts[1], seconds,
                error, fingerprint, len(ks),
            ],
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in names:
            try:
                con.unregister(name)
            except duckdb.Error:
                pass
    return int(counts[0]), int(counts[1]), int(counts[2])


def snapshot_platform(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, str] | None:
    """(portal_id, platform) of a snapshot, or None when the run is unknown."""
    return con.execute(
        "SELECT portal_id, platform FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone()
