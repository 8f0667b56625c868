"""The one HTTP session factory: timeouts, a User-Agent with a contact URL, TLS on, politeness.

Every request odwatch makes goes through `make_session()`. The session
- names odwatch and a contact URL in its User-Agent (override with ODWATCH_CONTACT_URL);
- keeps TLS verification on (requests' default; nothing here turns it off);
- applies a default timeout to every request that does not pass one;
- retries 429 and 503 answers a few times, honouring Retry-After (capped, so a hostile
  portal cannot park a run for a day) through urllib3's own Retry;
- limits each host to `per_host_concurrency` requests at a time and `per_host_rate` per second,
  shared by all sessions in the process, so parallel tasks stay polite together.
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from flows import __version__

CONTACT_URL = os.environ.get("ODWATCH_CONTACT_URL", "https://github.com/odwatch/odwatch")
USER_AGENT = f"odwatch/{__version__} (+{CONTACT_URL}; open-data quality monitor)"
DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read
MAX_RETRY_AFTER = 120.0  # seconds; longer waits are cut to this


class CappedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never sleeps longer than MAX_RETRY_AFTER."""

    max_retry_after = MAX_RETRY_AFTER

    def get_retry_after(self, response):  # type: ignore[override]
        value = super().get_retry_after(response)
        if value is None:
            return None
        return min(value, self.max_retry_after)


class _HostGate:
    """Per-host concurrency and minimum spacing between request starts."""

    def __init__(self, concurrency: int, rate: float) -> None:
        self.slots = threading.BoundedSemaphore(concurrency)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.lock = threading.Lock()
        self.next_start = 0.0

    def __enter__(self) -> None:
        self.slots.acquire()
        if self.interval:
            with self.lock:
                now = time.monotonic()
                start = max(now, self.next_start)
                self.next_start = start + self.interval
            if start > now:
                time.sleep(start - now)

    def __exit__(self, *exc: object) -> None:
        self.slots.release()


_gates: dict[tuple[str, int, float], _HostGate] = {}
_gates_lock = threading.Lock()


def _gate(host: str, concurrency: int, rate: float) -> _HostGate:
    key = (host, concurrency, rate)
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = _HostGate(concurrency, rate)
        return gate


class PoliteAdapter(HTTPAdapter):
    """HTTPAdapter with a default timeout and a per-host gate."""

    def __init__(
        self, *, timeout, per_host_concurrency: int, per_host_rate: float, **kwargs
    ) -> None:
        self.default_timeout = timeout
        self.per_host_concurrency = per_host_concurrency
        self.per_host_rate = per_host_rate
        super().__init__(**kwargs)

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        host = urlsplit(request.url).netloc.lower()
        with _gate(host, self.per_host_concurrency, self.per_host_rate):
            return super().send(request, **kwargs)


def make_session(
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    per_host_concurrency: int = 2,
    per_host_rate: float = 5.0,
    max_retry_after: float = MAX_RETRY_AFTER,
) -> requests.Session:
    """A requests.Session configured for talking to portals politely."""
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=0,  # a read timeout on a big page is handled by the caller (smaller page)
        status=retries,
        status_forcelist=(429, 503),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        backoff_factor=0.5,
        raise_on_status=False,
    )
    retry.max_retry_after = max_retry_after
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.verify = True
    adapter = PoliteAdapter(
        timeout=timeout,
        per_host_concurrency=per_host_concurrency,
        per_host_rate=per_host_rate,
        max_retries=retry,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
