"""Hand-written SHACL verdicts for tests of the readers (MQA dcat-ap-compliance, the GovData
dashboard score, findings) on cases real validation of the corpus does not produce (only
unknowable Violations, an unbuildable graph, a failed validation, hostile values), stored
through the validator's own writer (warehouse/shacl.store_validation)."""

from __future__ import annotations

from datetime import UTC, datetime

from warehouse.shacl import store_validation


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
    rows = []
    for ds, conforms in datasets.items():
        mine = [r for r in results if r["dataset_id"] == ds]
        count = {s: sum(r["severity"] == s for r in mine) for s in ("Violation", "Warning", "Info")}
        rows.append(
            {
                "dataset_id": ds,
                "conforms": conforms,
                "violations": count["Violation"],
                "warnings": count["Warning"],
                "infos": count["Info"],
                "unknowable": sum(r["unknowable"] for r in mine),
                "error": errors.get(ds),
            }
        )
    store_validation(
        con,
        run_id,
        profile,
        shapes_sha256="0" * 64,
        validated_at=validated_at or datetime.now(UTC),
        seconds=0.0,
        datasets=rows,
        results=list(results),
        error=error,
    )
