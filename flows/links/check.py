"""Check that the data really is there: `odwatch check-links` and the link step of `odwatch run`.

1. Every distinct access and download URL of the latest snapshots that is due (see
   `checks.links.is_due`: healthy URLs rest for a week, failures come back sooner) is checked
   with `flows.links.probe.Prober` (HEAD, GET fallback, redirects validated hop by hop), through
   `flows.links.hostpool` (per-host concurrency and rate, hosts interleaved, Retry-After honoured
   once per URL by pausing the host). Hosts whose names do not resolve, URLs that are not
   http(s) and refused private addresses cost no request and no waiting (flows/links/triage.py).
2. A sample of distributions per portal is fetched and its content judged (flows/links/content.py).
3. 5-star openness is recomputed for every distribution of those snapshots.

Offline, nothing is called dead: when not one host name resolves, the run's URLs are `error`
(dns-unavailable); ODWATCH_OFFLINE=1 skips name lookups altogether (tests, offline demos).

Per host, `LinkCheckOptions.rate` / `concurrency` (the command's flags) hold unless a portal
sets `link_rate` / `link_concurrency` in portals.yaml: then the hosts its URLs are on get the
strictest of what the portals listing URLs there ask for (`flows.links.hostpool.host_limits`).

Private addresses are refused unless the distribution's portal says `allow_private_urls: true`
(all portals listing a URL must allow it) or ODWATCH_ALLOW_PRIVATE_URLS=1 is set.

Plain network I/O, no Prefect: `odwatch run` calls `check_links` in its task "check-links"
(flows/pipeline.py), `odwatch check-links` runs it as the flow "odwatch-check-links"
(flows.pipeline.run_check_links_flow).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from checks.links import (
    DEFAULT_SCHEDULE,
    OUTCOMES,
    RETRY_AFTER_STATUSES,
    Observation,
    Schedule,
    Shard,
    host_key,
    is_due,
    judge,
)
from flows.links.content import SamplePlan, check_samples, plan_samples, score_stars
from flows.links.hostpool import host_limits, run_per_host
from flows.links.probe import DEFAULT_TIMEOUT, Prober, ProbeResult, Resolver
from flows.links.triage import triage
from warehouse import links as linkstore
from warehouse.records import Warehouse

WHOLE = Shard()  # every host: an unsharded check
ALLOW_ENV = "ODWATCH_ALLOW_PRIVATE_URLS"
FLUSH_EVERY = 500


class Portal(Protocol):
    """What a link check needs of a portal (flows.config.Portal has it): the room does
    network I/O and knows no orchestration."""

    id: str
    allow_private_urls: bool
    link_rate: float | None  # requests/s per host for this portal's URLs; None: the default
    link_concurrency: int | None


def env_allows_private() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass
class LinkCheckOptions:
    rate: float = 2.0  # requests per second per host
    concurrency: int = 2  # requests at a time per host
    workers: int = 32
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    max_retry_after: float = 30.0  # wait this long at most for a 429/503's Retry-After
    force: bool = False  # check every URL, not only the due ones
    max_urls: int | None = None  # check at most this many due URLs (oldest results first)
    content_sample: int = 20  # distributions per portal whose content is sampled
    content_max_bytes: int = 5 * 1024 * 1024
    content_interval: timedelta = timedelta(days=7)  # a file's content is sampled again after
    schedule: Schedule = field(default_factory=lambda: DEFAULT_SCHEDULE)


@dataclass
class LinkCheckSummary:
    check_run_id: str
    urls_known: int = 0
    urls_due: int = 0
    outcomes: Counter = field(default_factory=Counter)
    requests: int = 0
    content_checks: int = 0
    content_findings: int = 0
    stars: int = 0
    seconds: float = 0.0

    def counts(self) -> str:
        return ", ".join(f"{o} {self.outcomes[o]}" for o in OUTCOMES if self.outcomes[o]) or "none"

    def line(self) -> str:
        return (
            f"{self.urls_due} of {self.urls_known} URLs checked ({self.counts()}), "
            f"{self.requests} requests; {self.content_checks} content samples, "
            f"{self.content_findings} findings; 5-star levels for {self.stars} distributions; "
            f"{self.seconds:.1f}s"
        )


def new_check_run_id(now: datetime) -> str:
    return f"links-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def plan(
    urls: dict[str, set[str]],
    states: dict,
    now: datetime,
    options: LinkCheckOptions,
    allow: dict[str, bool],
) -> list[tuple[str, bool]]:
    """The URLs due in this run, each with whether private addresses are allowed for it."""
    due = [u for u in urls if options.force or is_due(u, states.get(u), now, options.schedule)]
    # never checked first, then the oldest results
    epoch = datetime.min.replace(tzinfo=UTC)
    due.sort(key=lambda u: (states[u].checked_at if u in states else epoch, u))
    if options.max_urls is not None:
        due = due[: options.max_urls]
    return [(u, all(allow.get(p, False) for p in urls[u])) for u in due]


class _Progress:
    def __init__(self, total: int, quiet: bool, every: float = 2.0) -> None:
        self.total, self.quiet, self.every = total, quiet, every
        self.done = 0
        self.started = self.last = time.monotonic()
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            now = time.monotonic()
            if self.quiet or now - self.last < self.every:
                return
            self.last = now
            rate = self.done / max(now - self.started, 1e-9)
        print(
            f"check-links: {self.done}/{self.total} URLs, {rate:.0f}/s", file=sys.stderr, flush=True
        )


@dataclass
class LinkInputs:
    """Everything a link check reads from the warehouse, read in one go before the first
    request: a sharded run (flows/scheduled.py) reads it from the warehouse in a moment and
    then checks into its staging file while other runs write."""

    urls: dict[str, set[str]]  # URL -> its portals (this shard's hosts only)
    targets: list[tuple[str, bool]]  # the due URLs, each with whether private is allowed
    histories: dict[str, list[Observation]]
    samples: SamplePlan
    allow: dict[str, bool]


def read_inputs(
    wh: Warehouse,
    portals: list[Portal],
    options: LinkCheckOptions,
    now: datetime,
    shard: Shard = WHOLE,
) -> LinkInputs:
    """What is due now among the URLs of the latest snapshots of `portals` on `shard`'s hosts."""
    ids = [p.id for p in portals]
    allow = {p.id: p.allow_private_urls or env_allows_private() for p in portals}
    urls = {u: ps for u, ps in linkstore.snapshot_urls(wh, ids).items() if shard.holds(u)}
    targets = plan(urls, linkstore.link_states(wh), now, options, allow)
    samples = plan_samples(
        wh,
        portals,
        sample_size=options.content_sample,
        since=None if options.force else now - options.content_interval,
        allow_private=lambda pid: allow.get(pid, False),
        keep=shard.holds,
    )
    histories = linkstore.failure_histories(wh, [u for u, _ in targets])
    return LinkInputs(urls, targets, histories, samples, allow)


def check_links(
    wh: Warehouse,
    portals: list[Portal],
    options: LinkCheckOptions | None = None,
    *,
    now: datetime | None = None,
    resolver: Resolver | None = None,
    quiet: bool = True,
    shard: Shard = WHOLE,
    inputs: LinkInputs | None = None,
) -> LinkCheckSummary:
    """Check the URLs of the latest snapshots of `portals`; store results; return a summary.

    Each result is stored with what it observed and the verdict `checks.links.judge` gives it
    over the URL's earlier failures (a 404 is `failing` until a check a day later confirms
    it). `now` replaces the clock (tests): results are stamped as if the run started then.
    `shard`: only the URLs on its hosts. `inputs`: read before (`read_inputs`, from another
    warehouse): `wh` is then a staging file that receives the results, and the 5-star levels
    are left to the import (`import_checks`), where the distributions are.
    """
    options = options or LinkCheckOptions()
    shift = timedelta(0) if now is None else now - datetime.now(UTC)
    now = now or datetime.now(UTC)
    started = time.monotonic()
    summary = LinkCheckSummary(new_check_run_id(now))
    ids = [p.id for p in portals]
    staged = inputs is not None
    linkstore.begin_run(wh, summary.check_run_id, now, ids)
    try:
        inputs = inputs or read_inputs(wh, portals, options, now, shard)
        urls, targets, histories = inputs.urls, inputs.targets, inputs.histories
        summary.urls_known, summary.urls_due = len(urls), len(targets)
        limits = host_limits(
            urls,
            {p.id: (p.link_rate, p.link_concurrency) for p in portals},
            (options.rate, options.concurrency),
            host_key,
        )
        prober = Prober(
            timeout=options.timeout,
            per_host_concurrency=options.concurrency if options.concurrency > 0 else 1024,
            per_host_rate=max(0.0, options.rate),
            pool_connections=256,
            resolver=resolver,
            host_limits=limits,
        )
        with prober:
            network, local = triage(targets, prober.resolver, options.workers)
            buffer: list[dict] = []
            outcomes: dict[str, str] = {}  # this run's verdicts: the content sample skips failures
            lock = threading.Lock()
            progress = _Progress(len(targets), quiet)

            def keep(target: tuple[str, bool], res: ProbeResult) -> None:
                res.checked_at += shift
                rec = res.record()
                seen = Observation(res.checked_at, res.outcome, res.reason)
                rec["observed"] = res.outcome
                rec["outcome"] = judge([*histories.get(rec["url"], ()), seen])
                rec["check_run_id"] = summary.check_run_id
                with lock:
                    buffer.append(rec)
                    outcomes[rec["url"]] = rec["outcome"]
                    summary.outcomes[rec["outcome"]] += 1
                    summary.requests += res.requests
                    batch = buffer[:] if len(buffer) >= FLUSH_EVERY else None
                    if batch:
                        buffer.clear()
                if batch:
                    linkstore.insert(wh, "link_checks", batch)
                progress.tick()

            for target, decided in local:
                keep(target, decided or prober.check(*target))

            def retry(target: tuple[str, bool], res: ProbeResult) -> float | None:
                if res.http_status in RETRY_AFTER_STATUSES and res.retry_after_s is not None:
                    if res.retry_after_s <= options.max_retry_after:
                        return res.retry_after_s
                return None

            run_per_host(
                network,
                lambda t: prober.check(*t),
                key=lambda t: host_key(t[0]),
                rate=options.rate,
                concurrency=options.concurrency,
                workers=options.workers,
                limits=limits,
                retry=retry,
                on_result=keep,
            )
            linkstore.insert(wh, "link_checks", buffer)
            summary.content_checks, summary.content_findings = check_samples(
                wh,
                inputs.samples,
                outcomes,
                summary.check_run_id,
                prober,
                max_bytes=options.content_max_bytes,
                shift=shift,
                rate=options.rate,
                concurrency=options.concurrency,
                workers=options.workers,
                limits=limits,
            )
        if not staged:
            summary.stars = score_stars(wh, ids, now)
        summary.seconds = time.monotonic() - started
        linkstore.finish_run(
            wh,
            summary.check_run_id,
            "ok",
            urls_known=summary.urls_known,
            urls_due=summary.urls_due,
            requests=summary.requests,
            content_checks=summary.content_checks,
            seconds=summary.seconds,
            summary=summary.counts(),
        )
        return summary
    except BaseException as exc:
        reason = (
            "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        )
        linkstore.finish_run(wh, summary.check_run_id, "failed", error=reason[:500])
        raise


def import_checks(wh: Warehouse, staging: str | Path, portal_ids: list[str]) -> int:
    """Bring a staged link check's runs, results and content samples into `wh` (one
    transaction), then recompute the 5-star levels of the portals; returns how many."""
    wh.import_tables(staging, linkstore.TABLES)
    return score_stars(wh, portal_ids)


# ---------------------------------------------------------------- the command


def check_links_flow_fn(
    portals: list, warehouse_path: str, options: LinkCheckOptions, quiet: bool = True
) -> LinkCheckSummary:
    """The body of the flow "odwatch-check-links" (flows.pipeline.run_check_links_flow runs it).

    `portals` is a list of Portal (the protocol above); the annotation stays bare because
    Prefect builds a pydantic schema of a flow's parameters, and pydantic cannot check
    against a Protocol."""
    with Warehouse(warehouse_path) as wh:
        return check_links(wh, portals, options, quiet=quiet)
