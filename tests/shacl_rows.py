"""Write SHACL verdicts into a warehouse's shacl_* tables (warehouse/schema_shacl.sql) for
tests of the readers (MQA dcat-ap-compliance, the GovData dashboard score, findings), until
the validator's own writer is used instead: the rows the schema asks for, nothing more."""

from __future__ import annotations

from datetime import UTC, datetime


def result(
    dataset_id: str,
    path: str,
    severity: str = "Violation",
    *,
    focus: str | None = None,
    distribution_id: str | None = None,
    unknowable: bool = False,
    message_de: str | None = None,
    message_en: str | None = None,
    component: str = "MinCountConstraintComponent",
    value: str | None = None,
    shape: str | None = None,
) -> dict:
    return {
        "dataset_id": dataset_id,
        "distribution_id": distribution_id,
        "focus": focus or distribution_id or dataset_id,
        "path": path,
        "value": value,
        "severity": severity,
        "source_shape": shape,
        "constraint_component": component,
        "message_de": message_de,
        "message_en": message_en,
        "unknowable": unknowable,
    }


def write(
    con,
    run_id: str,
    profile: str,
    datasets: dict[str, bool | None],
    results: list[dict] = (),
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    validated_at: datetime | None = None,
) -> None:
    """One validation of `run_id` under `profile`: ``datasets`` dataset_id -> conforms (None:
    its graph could not be built, with ``errors[dataset_id]``), ``results`` from :func:`result`."""
    errors = errors or {}
    con.execute(
        "INSERT OR REPLACE INTO shacl_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            profile,
            "0" * 64,
            validated_at or datetime.now(UTC),
            len(datasets),
            sum(1 for c in datasets.values() if c),
            0.0,
            error,
        ],
    )
    for ds, conforms in datasets.items():
        mine = [r for r in results if r["dataset_id"] == ds]
        count = {s: sum(r["severity"] == s for r in mine) for s in ("Violation", "Warning", "Info")}
        con.execute(
            "INSERT OR REPLACE INTO shacl_datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                profile,
                ds,
                conforms,
                count["Violation"],
                count["Warning"],
                count["Info"],
                sum(r["unknowable"] for r in mine),
                errors.get(ds),
            ],
        )
    for r in results:
        con.execute(
            "INSERT INTO shacl_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                profile,
                r["dataset_id"],
                r["distribution_id"],
                r["focus"],
                r["path"],
                r["value"],
                r["severity"],
                r["source_shape"],
                r["constraint_component"],
                r["message_de"],
                r["message_en"],
                r["unknowable"],
            ],
        )
