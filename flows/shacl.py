"""Validate a snapshot's DCAT-AP.de graphs with GovData's SHACL shapes and store the verdicts.

`validate_snapshot` builds each member dataset's graph (flows/dcat_graphs.py), validates it
with pyshacl under each profile (checks/shacl.py: the shapes parsed once per profile, a few
hundred datasets per pyshacl run; flows/shacl_workers.py: those runs on every core) and replaces that (run, profile)'s rows of the shacl_* tables (warehouse/shacl.py). What cannot be
validated is stored as data and the rest goes on: missing or broken shapes -> one line in
``shacl_runs.error`` (no results); a dataset whose graph cannot be built, is too large or
breaks pyshacl -> one line in its ``shacl_datasets.error``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from checks.compliance import DEFAULT_PROFILE
from checks.shacl import Shapes, ShapesError, load_shapes, shapes_root
from flows.config import Portal
from flows.dcat_graphs import snapshot_graphs
from flows.shacl_workers import WorkersError, validate_parallel, worker_count
from warehouse.assess_inputs import harvest_run
from warehouse.shacl import reusable, store_validation

DASHBOARD = "govdata-dashboard"


_LOADED: dict[tuple[Path, str], tuple[tuple, Shapes]] = {}


def _shapes(root: Path, profile: str) -> Shapes:
    """load_shapes, parsed again only when a file it read has changed (a long-running
    `odwatch serve` validates many snapshots; parsing the shapes and vocabularies takes ~0.5 s)."""
    got = _LOADED.get((root, profile))
    if got is not None and got[0] == _stamp(got[1].read):
        return got[1]
    shapes = load_shapes(root, profile)
    _LOADED[(root, profile)] = (_stamp(shapes.read), shapes)
    return shapes


def _stamp(paths: Iterable[Path]) -> tuple:
    out = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            out.append((str(path), None))
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def validate_snapshot(
    con,
    run_id: str,
    profiles: Iterable[str] = (DEFAULT_PROFILE, DASHBOARD),
    root: Path | None = None,
) -> list[str]:
    """Validate snapshot `run_id` under each profile; one summary line per profile. A
    dataset an earlier snapshot holds as the same stored row (carried forward by an
    incremental harvest), validated there with the same shapes and code, keeps that verdict
    and its results (warehouse.shacl.reusable); only the others are validated."""
    root = root or shapes_root()
    lines: dict[str, str] = {}
    notes = []
    try:
        workers = worker_count()
    except WorkersError as exc:  # a bad setting: said once, validated in this process
        notes.append(f"{exc}; validating in one process")
        workers = 1
    todo = []
    for profile in profiles:
        try:
            shapes = _shapes(root, profile)
        except ShapesError as exc:
            store_validation(
                con, run_id, profile, shapes_sha256="", validated_at=datetime.now(UTC),
                seconds=0.0, datasets=[], results=[], error=str(exc),
            )  # fmt: skip
            lines[profile] = f"{profile}: not validated: {exc}"
            continue
        fingerprint = _fingerprint()
        kept = reusable(con, run_id, profile, shapes.sha256, fingerprint)
        todo.append((profile, shapes, fingerprint, kept))
    # the graphs every profile keeps a verdict for are not built at all
    everywhere = frozenset.intersection(*(frozenset(t[3]) for t in todo)) if todo else frozenset()
    graphs = None
    for profile, shapes, fingerprint, kept in todo:
        started, now = time.monotonic(), datetime.now(UTC)
        if graphs is None:  # built while the workers validate the first profile, then kept
            graphs = []
            source: Iterable = _kept(snapshot_graphs(con, run_id, everywhere), graphs)
        else:
            source = graphs
        rows, results = [], []
        for row, found in validate_parallel(
            (g for g in source if g.dataset_id not in kept), shapes, root, workers
        ):
            rows.append(row)
            results.extend(found)
        seconds = time.monotonic() - started
        total, conforming, violations = store_validation(
            con, run_id, profile, shapes_sha256=shapes.sha256, validated_at=now,
            seconds=seconds, datasets=rows, results=results, fingerprint=fingerprint,
            kept=kept,
        )  # fmt: skip
        again = f" ({len(kept)} kept from an earlier snapshot)" if kept else ""
        lines[profile] = (
            f"{profile}: {conforming} of {total} datasets conform{again}, "
            f"{violations} violations, {seconds:.1f}s"
        )
    return notes + [lines[p] for p in profiles if p in lines]


_FINGERPRINT: list[str] = []


def _fingerprint() -> str:
    """What judges a dataset besides the shapes: odwatch's code that builds the graphs and
    validates them (checks/, the adapters and their DCAT mappings, the graph and replay
    flows) and the pyshacl and rdflib versions. A verdict is kept only under the same one."""
    if not _FINGERPRINT:
        from importlib.metadata import version

        here = Path(__file__).resolve().parent
        files = sorted(
            [*(here.parent / "checks").glob("*.py"), *(here / "adapters").glob("*.py")]
            + [here / "dcat_graphs.py", here / "reparse.py", here / "shacl_workers.py"]
        )
        digest = hashlib.sha256(f"pyshacl {version('pyshacl')} rdflib {version('rdflib')}".encode())
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _FINGERPRINT.append(digest.hexdigest())
    return _FINGERPRINT[0]


def _kept(items: Iterable, into: list) -> Iterable:
    for item in items:
        into.append(item)
        yield item


def validate_new_snapshots(con, portals: Iterable[Portal], run_ids: Iterable[str]) -> list[str]:
    """Validate each new snapshot under its portal's ``shacl_profile`` (portals.yaml) and the
    dashboard profile, before it is assessed (``odwatch run``, ``serve``); a portal with
    ``shacl_profile: false`` is skipped. One line per snapshot and profile."""
    by_id = {p.id: p for p in portals}
    lines = []
    for run_id in run_ids:
        row = harvest_run(con, run_id)
        portal = by_id.get(row[0]) if row else None
        if portal is None or portal.shacl_profile is None:
            continue
        for line in validate_snapshot(con, run_id, (portal.shacl_profile, DASHBOARD)):
            lines.append(f"{portal.id} {line}")
    return lines
