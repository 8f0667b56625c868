"""Run many small network jobs over many hosts, politely and without head-of-line blocking.

Jobs are grouped by host. Worker threads take the next job from the next host that may start
one: fewer than `concurrency` of its jobs running and at least 1/`rate` seconds since its last
start. Hosts take turns (round robin), so 5,000 URLs on one slow portal do not hold up the
other 200 hosts: that host only ever occupies `concurrency` workers. No worker sleeps on a
host's rate limit; an idle worker waits for the earliest host that becomes ready.

A job may be tried once more after a pause (`retry` returns seconds, e.g. a 429's
Retry-After); the whole host pauses for that long, not just the one job.

`rate` and `concurrency` hold for every host; `limits` gives some hosts their own (a portal's
`link_rate` / `link_concurrency` in portals.yaml, see :func:`host_limits`).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Job(Generic[T]):
    item: T
    host: _Host
    attempt: int = 0


@dataclass(eq=False)
class _Host:
    key: str
    interval: float  # seconds between two starts (0: no rate limit)
    concurrency: int  # jobs running at once
    queue: deque = field(default_factory=deque)
    in_flight: int = 0
    next_start: float = 0.0
    queued: bool = False  # waiting in the ready line or on the timer heap


@dataclass
class PoolStats:
    jobs: int = 0
    hosts: int = 0
    retries: int = 0
    seconds: float = 0.0
    max_in_flight: int = 0


class HostPool(Generic[T, R]):
    def __init__(
        self,
        work: Callable[[T], R],
        key: Callable[[T], str],
        *,
        rate: float = 2.0,
        concurrency: int = 2,
        workers: int = 32,
        retry: Callable[[T, R], float | None] | None = None,
        on_result: Callable[[T, R], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        limits: Mapping[str, tuple[float, int]] | None = None,
    ) -> None:
        self.work = work
        self.key = key
        self.default = _pace(rate, concurrency)
        self.limits = {k: _pace(r, c) for k, (r, c) in (limits or {}).items()}
        self.workers = max(1, workers)
        self.retry = retry
        self.on_result = on_result
        self.clock = clock
        self.cond = threading.Condition()
        self.hosts: dict[str, _Host] = {}
        self.ready: deque[_Host] = deque()
        self.timers: list[tuple[float, int, _Host]] = []
        self.seq = itertools.count()
        self.pending = 0
        self.in_flight = 0
        self.error: BaseException | None = None
        self.stopped = False
        self.stats = PoolStats()

    # ------------------------------------------------------------ scheduling (under cond)

    def _enqueue(self, host: _Host, now: float) -> None:
        if host.queued or not host.queue or host.in_flight >= host.concurrency:
            return
        host.queued = True
        if host.next_start <= now:
            self.ready.append(host)
        else:
            heapq.heappush(self.timers, (host.next_start, next(self.seq), host))

    def _take(self) -> _Job | None:
        with self.cond:
            while True:
                if self.pending == 0 or self.error is not None or self.stopped:
                    return None
                now = self.clock()
                while self.timers and self.timers[0][0] <= now:
                    self.ready.append(heapq.heappop(self.timers)[2])
                while self.ready:
                    host = self.ready.popleft()
                    host.queued = False
                    if not host.queue or host.in_flight >= host.concurrency:
                        continue
                    if host.next_start > now:  # paused since it joined the line
                        self._enqueue(host, now)
                        continue
                    job = host.queue.popleft()
                    host.in_flight += 1
                    host.next_start = now + host.interval
                    self.in_flight += 1
                    self.stats.max_in_flight = max(self.stats.max_in_flight, self.in_flight)
                    self._enqueue(host, now)  # back of the line: hosts take turns
                    return job
                self.cond.wait(self.timers[0][0] - now if self.timers else None)

    def _done(self, job: _Job, result: R) -> bool:
        """Record a finished job; True when it is final (not to be retried)."""
        with self.cond:
            host = job.host
            host.in_flight -= 1
            self.in_flight -= 1
            now = self.clock()
            wait = self.retry(job.item, result) if self.retry and job.attempt == 0 else None
            final = wait is None
            if final:
                self.pending -= 1
            else:
                job.attempt += 1
                self.stats.retries += 1
                host.queue.appendleft(job)
                host.next_start = max(host.next_start, now + wait)
            self._enqueue(host, now)
            self.cond.notify_all()
            return final

    # ------------------------------------------------------------ running

    def _worker(self) -> None:
        while True:
            job = self._take()
            if job is None:
                return
            try:
                result = self.work(job.item)
                if self._done(job, result) and self.on_result is not None:
                    self.on_result(job.item, result)
            except BaseException as exc:  # a bug: stop everything, re-raise in run()
                with self.cond:
                    if self.error is None:
                        self.error = exc
                    self.cond.notify_all()
                return

    def run(self, items: Iterable[T]) -> PoolStats:
        started = self.clock()
        now = started
        for item in items:
            k = self.key(item)
            host = self.hosts.get(k)
            if host is None:
                host = self.hosts[k] = _Host(k, *self.limits.get(k, self.default))
            host.queue.append(_Job(item, host))
            self.pending += 1
        self.stats.jobs = self.pending
        self.stats.hosts = len(self.hosts)
        for host in self.hosts.values():
            self._enqueue(host, now)
        threads = [
            threading.Thread(target=self._worker, name=f"hostpool-{i}", daemon=True)
            for i in range(min(self.workers, max(1, self.pending)))
        ]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.5)
        except BaseException:
            with self.cond:
                self.stopped = True
                self.cond.notify_all()
            raise
        if self.error is not None:
            raise self.error
        self.stats.seconds = self.clock() - started
        return self.stats


def _pace(rate: float, concurrency: int) -> tuple[float, int]:
    """(seconds between starts, jobs at once) for a rate and a concurrency; 0 lifts either."""
    interval = 1.0 / rate if rate and rate > 0 else 0.0
    return interval, concurrency if concurrency and concurrency > 0 else 1 << 30


def strictest(limits: Iterable[tuple[float, int]]) -> tuple[float, int]:
    """The one (rate, concurrency) a host gets when several portals list URLs on it: the
    lowest rate and the lowest concurrency asked for, 0 ("lifted") counting as no limit."""
    rates, concurrencies = zip(*limits, strict=True)
    live = [r for r in rates if r > 0]
    conc = [c for c in concurrencies if c > 0]
    return (min(live) if live else 0.0), (min(conc) if conc else 0)


def host_limits(
    urls: Mapping[str, Iterable[str]],
    per_portal: Mapping[str, tuple[float | None, int | None]],
    default: tuple[float, int],
    key: Callable[[str], str],
) -> dict[str, tuple[float, int]]:
    """Each host's (rate, concurrency) where a portal of `per_portal` sets its own.

    `urls` maps a URL to the ids of the portals listing it, `per_portal` a portal id to its
    (link_rate, link_concurrency), None where it keeps the default. A host that no portal with
    its own setting lists keeps `default` (and is left out). A host listed by several portals
    gets the strictest of theirs, the default counting for those without a setting: an
    operator lifting the limits for their own portal lifts them only for hosts nobody else links.
    """

    def of(pid: str) -> tuple[float, int]:
        rate, conc = per_portal.get(pid, (None, None))
        return (default[0] if rate is None else rate, default[1] if conc is None else conc)

    own = {pid for pid, lim in per_portal.items() if lim != (None, None)}
    listed: dict[str, set[str]] = {}  # host -> every portal listing a URL on it
    for url, pids in urls.items():
        listed.setdefault(key(url), set()).update(pids)
    return {h: strictest(of(p) for p in pids) for h, pids in listed.items() if own & pids}


def run_per_host(
    items: Iterable[T],
    work: Callable[[T], R],
    key: Callable[[T], str],
    **kw: Any,
) -> PoolStats:
    """Run `work` over `items` with per-host limits; see HostPool for the keywords."""
    return HostPool(work, key, **kw).run(items)
