"""A large portal's pages parsed on a second core (issue 15): each fetched page is parsed and
encoded to the NDJSON the writer loads in a worker process, while this process fetches and
decodes the next page.

The harvest's fetch thread did everything under one GIL: HTTP, JSON decoding, compressing the
raw page, parsing every package and encoding its rows (py-spy, 30,000 datasets: parse and
encode ~54 % of that thread, which was the harvest's critical path; the DuckDB writer thread
was idle most of the time). A portal that announces at least ``ODWATCH_PARSE_WORKER_MIN``
datasets (default 20,000; ``off``: never) gets one spawned worker; a smaller one is parsed
in the fetch thread as before, since starting a worker (~1 s of imports) would cost more
than it saves. The pages come back in fetch order, encoded exactly as in this process
(:func:`encode_page` is the one spelling of both; tests/test_parse_workers.py compares the
stored rows). A worker that dies (out of memory, killed) loses nothing: its page and every
later one are parsed here.
"""

from __future__ import annotations

import json
import marshal
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from flows.adapters.registry import ADAPTERS
from flows.workers import spawn_pool
from warehouse.records import Encoded, encode_records

DEFAULT_MIN = 20_000
Page = tuple[Encoded, Encoded, "str | None"]  # datasets, distributions, newest metadata_modified


class ParseWorkerSetting(ValueError):
    """ODWATCH_PARSE_WORKER_MIN is not a count; str() is one line naming it and the fix."""


def worker_min() -> int | None:
    """Datasets a portal must announce to be parsed in a worker process; None: never (the
    setting is ``off``, or this machine has one core)."""
    raw = os.environ.get("ODWATCH_PARSE_WORKER_MIN", "").strip().lower()
    if raw == "off":
        return None
    if raw and not raw.isdigit():
        raise ParseWorkerSetting(
            f"ODWATCH_PARSE_WORKER_MIN={raw!r} is not a number of datasets; use e.g. 20000 "
            "(0: every portal, off: none)"
        )
    if (os.cpu_count() or 1) < 2:
        return None
    return int(raw) if raw else DEFAULT_MIN


def encode_page(
    platform: str, batch: list[dict], portal_id: str, portal_url: str, run_id: str
) -> Page:
    """One fetched page parsed by the platform's adapter and encoded as the NDJSON the writer
    loads, with the page's largest raw metadata_modified (CKAN's incremental mark)."""
    parse = ADAPTERS[platform].parse
    datasets: list = []
    distributions: list = []
    newest: str | None = None
    for raw in batch:
        dataset, dists = parse(raw, portal_id, portal_url, run_id)
        datasets.append(dataset)
        distributions.extend(dists)
        modified = _metadata_modified(dataset)
        if modified is not None and (newest is None or modified > newest):
            newest = modified
    return encode_records(datasets), encode_records(distributions), newest


def _metadata_modified(dataset: dict) -> str | None:
    """The record's raw CKAN metadata_modified (as `raw->>'metadata_modified'` read it when
    the rows kept their raw JSON), or None."""
    raw = dataset.get("raw")
    value = raw.get("metadata_modified") if isinstance(raw, dict) else None
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def encoded_pages(
    platform: str,
    portal_id: str,
    portal_url: str,
    run_id: str,
    batches: Iterator[list[dict]],
    expected: Callable[[], int | None],
    minimum: int | None,
) -> Iterator[Page]:
    """encode_page of each of `batches`, in order. Once `expected()` (the portal's announced
    count) reaches `minimum`, pages go to a worker process: page k is parsed there while the
    next one is fetched here. Closing the generator ends the worker."""
    args = (portal_id, portal_url, run_id)
    pool = None
    pending: deque[tuple[list[dict], Future | None]] = deque()
    try:
        for batch in batches:
            if pool is None and minimum is not None and (expected() or 0) >= minimum:
                pool = spawn_pool(1)
            if pool is None:
                yield encode_page(platform, batch, *args)
                continue
            try:
                future: Future | None = pool.submit(_encode_sent, platform, _sent(batch), *args)
            except BrokenProcessPool:
                future = None
            pending.append((batch, future))
            del batch  # held in `pending` only, to be parsed here if the worker dies
            if len(pending) > 1:
                yield _result(platform, args, *pending.popleft())
        while pending:
            yield _result(platform, args, *pending.popleft())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _sent(batch: list[dict]) -> bytes | list[dict]:
    """A page as it goes to the worker: marshal's bytes (exact for what JSON decodes to, and
    half pickle's time on a 1000-package page, 30 against 63 ms), or the list itself when
    marshal cannot hold it (an adapter's batch of other objects)."""
    try:
        return marshal.dumps(batch)
    except ValueError:
        return batch


def _encode_sent(
    platform: str, sent: bytes | list[dict], portal_id: str, portal_url: str, run_id: str
) -> Page:
    """encode_page in the worker, of a page as _sent() sent it."""
    batch = marshal.loads(sent) if isinstance(sent, bytes) else sent
    return encode_page(platform, batch, portal_id, portal_url, run_id)


def _result(platform: str, args: tuple, batch: list[dict], future: Future | None) -> Page:
    try:
        if future is not None:
            return future.result()
    except BrokenProcessPool:  # the worker died: this page here (and the later ones)
        pass
    return encode_page(platform, batch, *args)
