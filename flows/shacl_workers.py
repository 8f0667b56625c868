"""SHACL validation of a snapshot on several cores (issue 16): batches of datasets validated
in worker processes, each with the shapes parsed once.

pyshacl is pure Python, so one process validates at one core's speed (~12 ms per dataset
here). :func:`validate_parallel` hands the batches :func:`checks.shacl.validate_datasets`
would validate one after another to ``ODWATCH_SHACL_WORKERS`` processes (default: the
machine's cores, at most 4) and gives the results back in the order of the graphs. The
batches are cut exactly as in one process, so the results are the same rows
(tests/test_shacl_workers.py). A snapshot of one batch or less is validated here, since
starting a worker (importing pyshacl, parsing the shapes: ~2 s) costs more than it saves.

Workers are started with ``spawn`` (the parent has threads: Prefect's, DuckDB's), end when
the parent's generator is closed, and end by themselves when the parent dies (each watches
its parent's process sentinel), so a killed ``odwatch run`` leaves no validator behind. A
worker that dies (out of memory, killed) does not lose the snapshot: its batches and the rest
are validated in this process.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from pathlib import Path

from checks.dcat_graph import DatasetGraph
from checks.shacl import BATCH, Shapes, batches, load_shapes, validate_datasets
from flows.workers import spawn_pool

MAX_WORKERS = 4
Result = tuple[dict, list[dict]]


class WorkersError(ValueError):
    """ODWATCH_SHACL_WORKERS is not a count; str() is one line naming it and the fix."""


def worker_count() -> int:
    """``ODWATCH_SHACL_WORKERS`` (1 validates in this process), default the cores, at most 4."""
    raw = os.environ.get("ODWATCH_SHACL_WORKERS", "").strip()
    if not raw:
        return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    if not raw.isdigit() or int(raw) < 1:
        raise WorkersError(
            f"ODWATCH_SHACL_WORKERS={raw!r} is not a number of processes; use e.g. 2 (1: no workers)"
        )
    return int(raw)


_SHAPES: Shapes | None = None


def _start(root: str, profile: str) -> None:
    """A worker's initializer: parse the shapes once."""
    global _SHAPES
    _SHAPES = load_shapes(Path(root), profile)


def _validate(chunk: list[DatasetGraph]) -> list[Result]:
    assert _SHAPES is not None, "worker started without shapes"
    return list(validate_datasets(chunk, _SHAPES, batch=len(chunk)))


def validate_parallel(
    graphs: Iterable[DatasetGraph],
    shapes: Shapes,
    root: Path,
    workers: int | None = None,
    batch: int = BATCH,
) -> Iterator[Result]:
    """validate_datasets(graphs, shapes, batch) on `workers` processes (each parsing the profile
    `shapes.profile` under `root` itself): the same results, in the same order."""
    workers = worker_count() if workers is None else workers
    chunks = batches(graphs, batch)
    first = [c for _, c in zip(range(2), chunks, strict=False)]
    if workers < 2 or len(first) < 2:
        for chunk in chain(first, chunks):
            yield from validate_datasets(chunk, shapes, batch=batch)
        return
    pool = spawn_pool(workers, _start, (str(root), shapes.profile))
    rest = chain(first, chunks)
    pending: deque[tuple[list[DatasetGraph], Future | None]] = deque()
    try:
        while True:
            for chunk in islice(rest, max(0, 2 * workers - len(pending))):
                try:
                    pending.append((chunk, pool.submit(_validate, chunk)))
                except BrokenProcessPool:
                    pending.append((chunk, None))
            if not pending:
                return
            chunk, future = pending.popleft()
            try:
                got = None if future is None else future.result()
            except BrokenProcessPool:  # a worker died: this batch here, and every one after
                got = None
            if got is None:
                yield from validate_datasets(chunk, shapes, batch=batch)
            else:
                yield from got
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
