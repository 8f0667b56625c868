"""What odwatch's worker processes share: they are spawned (the parent has threads: Prefect's,
DuckDB's) and end by themselves when the parent dies, however it died, so a killed
``odwatch run`` leaves no worker behind."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait
from typing import Any


def watch_parent() -> None:
    """In a worker: exit as soon as the parent process has ended."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    wait([sentinel])  # readable when the parent has ended, however it ended
    os._exit(1)


def spawn_pool(workers: int, initializer: Any = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes, each watching its parent and then running
    `initializer(*initargs)`."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, initargs),
    )


def _start(initializer: Any, initargs: tuple) -> None:
    watch_parent()
    if initializer is not None:
        initializer(*initargs)
