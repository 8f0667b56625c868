"""Validate a snapshot's DCAT-AP.de graphs with GovData's SHACL shapes and store the verdicts.

`validate_snapshot` builds each member dataset's graph (flows/dcat_graphs.py), validates it
with pyshacl under each profile (checks/shacl.py: the shapes parsed once per profile) and
replaces that (run, profile)'s rows of the shacl_* tables (warehouse/shacl.py). What cannot be
validated is stored as data and the rest goes on: missing or broken shapes -> one line in
``shacl_runs.error`` (no results); a dataset whose graph cannot be built, is too large or
breaks pyshacl -> one line in its ``shacl_datasets.error``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from checks.shacl import DEFAULT_PROFILE, ShapesError, load_shapes, shapes_root, validate_dataset
from flows.dcat_graphs import snapshot_graphs
from warehouse.shacl import store_validation

DASHBOARD = "govdata-dashboard"


def validate_snapshot(
    con,
    run_id: str,
    profiles: Iterable[str] = (DEFAULT_PROFILE, DASHBOARD),
    root: Path | None = None,
) -> list[str]:
    """Validate snapshot `run_id` under each profile; one summary line per profile."""
    root = root or shapes_root()
    lines = []
    graphs = None
    for profile in profiles:
        started, now = time.monotonic(), datetime.now(UTC)
        try:
            shapes = load_shapes(root, profile)
        except ShapesError as exc:
            store_validation(
                con, run_id, profile, shapes_sha256="", validated_at=now, seconds=0.0,
                datasets=[], results=[], error=str(exc),
            )  # fmt: skip
            lines.append(f"{profile}: not validated: {exc}")
            continue
        if graphs is None:
            graphs = list(snapshot_graphs(con, run_id))
        rows, results = [], []
        for dg in graphs:
            row, found = validate_dataset(dg, shapes)
            rows.append(row)
            results.extend(found)
        seconds = time.monotonic() - started
        store_validation(
            con, run_id, profile, shapes_sha256=shapes.sha256, validated_at=now,
            seconds=seconds, datasets=rows, results=results,
        )  # fmt: skip
        conforming = sum(1 for r in rows if r["conforms"])
        lines.append(
            f"{profile}: {conforming} of {len(rows)} datasets conform, "
            f"{sum(r['violations'] for r in rows)} violations, {seconds:.1f}s"
        )
    return lines
