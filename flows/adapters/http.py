"""The one HTTP session factory: timeouts, a User-Agent with a contact URL, TLS on, politeness.

Every request odwatch makes goes through `make_session()`. The session
- names odwatch and a contact URL in its User-Agent (override with ODWATCH_CONTACT_URL);
- keeps TLS verification on (requests' default; nothing here turns it off);
- applies a default timeout to every request that does not pass one;
- retries 429 and 503 answers a few times, honouring Retry-After (capped, so a hostile
  portal cannot park a run for a day) through urllib3's own Retry;
- limits each host to `per_host_concurrency` requests at a time and `per_host_rate` per second,
  shared by all sessions in the process, so parallel tasks stay polite together;
- optionally (`refuse_private_addresses=True`, used for the URLs portals list) refuses to
  connect to loopback, private, link-local, multicast and other non-global addresses. The check
  runs when a connection is opened, on the very addresses connected to, so a name that
  resolves differently the second time (DNS rebinding) cannot slip through.

Every portal API answer is read through `read_capped()`: streamed, decompressed by urllib3
a chunk at a time, and stopped once the decompressed body passes the portal's cap, so neither
a huge page nor a gzip bomb (small on the wire, huge inflated) can exhaust memory.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection
from urllib3.util.retry import Retry

from checks.links import addresses_refusal, host_key
from flows import __version__
from flows.adapters.errors import ResponseTooLarge
from flows.adapters.source import MB

CONTACT_URL = os.environ.get("ODWATCH_CONTACT_URL", "https://github.com/odwatch/odwatch")
USER_AGENT = f"odwatch/{__version__} (+{CONTACT_URL}; open-data quality monitor)"
DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read
MAX_RETRY_AFTER = 120.0  # seconds; longer waits are cut to this
READ_CHUNK = 64 * 1024  # wire bytes per read of a capped body, and inflated bytes at most
BOMB_RATIO = 100  # decompressed:wire past this on a capped body is named a decompression bomb


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


class AddressRefused(NewConnectionError):
    """The host resolves to an address odwatch does not connect to (see `address_refusal`).

    A NewConnectionError, so it travels through urllib3 and requests like any failed connect;
    `refused_reason(exc)` digs it out of the requests exception.
    """

    def __init__(self, conn: HTTPConnection, host: str, why: str, address: str) -> None:
        self.host = host
        self.why = why  # loopback, private, link-local ... (checks.links.address_refusal)
        self.address = address
        super().__init__(
            conn, f"refused to connect to {host}: it resolves to a {why} address {address}"
        )


def refused_reason(exc: BaseException) -> AddressRefused | None:
    """The AddressRefused behind a requests/urllib3 exception chain, if any."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, AddressRefused):
            return e
        todo.extend([getattr(e, "reason", None), e.__cause__, e.__context__])
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
    return None


def _checked_conn(conn: HTTPConnection) -> socket.socket:
    """HTTPConnection._new_conn with the address check between resolving and connecting.

    Through a proxy the proxy resolves the target, so only the caller's own resolution of the
    target (before the request) can be checked; the proxy itself is the operator's choice.
    """
    if conn.proxy is not None:
        return HTTPConnection._new_conn(conn)
    try:
        infos = socket.getaddrinfo(conn._dns_host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise NameResolutionError(conn.host, conn, e) from e
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refusal = addresses_refusal(addresses)
    if refusal:
        raise AddressRefused(conn, conn.host, *refusal)
    error: OSError | None = None
    for address in addresses:  # connect to exactly the addresses that were checked
        try:
            return urllib3_connection.create_connection(
                (address, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as e:
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from e
        except OSError as e:
            error = e
    raise NewConnectionError(conn, f"Failed to establish a new connection: {error}") from error


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_conn(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_conn(self)


class _CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class PoliteAdapter(HTTPAdapter):
    """HTTPAdapter with a default timeout and a per-host gate."""

    def __init__(
        self,
        *,
        timeout,
        per_host_concurrency: int,
        per_host_rate: float,
        refuse_private_addresses: bool = False,
        host_limits: Mapping[str, tuple[float, int]] | None = None,
        **kwargs,
    ) -> None:
        self.default_timeout = timeout
        self.per_host_concurrency = per_host_concurrency
        self.per_host_rate = per_host_rate
        self.host_limits = dict(host_limits or {})  # host_key -> (rate, concurrency)
        self.refuse_private_addresses = refuse_private_addresses
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[override]
        super().init_poolmanager(*args, **kwargs)
        if self.refuse_private_addresses:
            self.poolmanager.pool_classes_by_scheme = {
                "http": _CheckedHTTPConnectionPool,
                "https": _CheckedHTTPSConnectionPool,
            }

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        host = urlsplit(request.url).netloc.lower()
        concurrency, rate = self.per_host_concurrency, self.per_host_rate
        if self.host_limits and (own := self.host_limits.get(host_key(request.url))):
            rate, concurrency = own[0], own[1] or 1 << 30  # 0: no limit
        with _gate(host, concurrency, rate):
            return super().send(request, **kwargs)


def make_session(
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    per_host_concurrency: int = 2,
    per_host_rate: float = 5.0,
    max_retry_after: float = MAX_RETRY_AFTER,
    refuse_private_addresses: bool = False,
    pool_connections: int = 10,
    pool_maxsize: int = 10,
    host_limits: Mapping[str, tuple[float, int]] | None = None,
) -> requests.Session:
    """A requests.Session configured for talking to portals politely.

    `retries=0` turns urllib3's retrying off (the link checker schedules its own single retry
    after a Retry-After, so no worker thread sleeps). `pool_connections` is how many hosts keep
    their keep-alive connections at once; raise it when talking to many hosts. `host_limits`
    gives some hosts (keys as ``checks.links.host_key``) their own (rate, concurrency).
    """
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
        refuse_private_addresses=refuse_private_addresses,
        host_limits=host_limits,
        max_retries=retry,
        pool_connections=pool_connections,
        pool_maxsize=pool_maxsize,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def read_capped(resp: requests.Response, max_bytes: int, url: str | None = None) -> bytes:
    """The decompressed body of a `stream=True` response, at most `max_bytes` of it.

    urllib3 inflates gzip/deflate/br a chunk at a time (it reads READ_CHUNK bytes off the
    wire and returns at most READ_CHUNK inflated bytes per read, keeping the rest
    compressed), so memory stays near the cap however well the body compresses. Past the
    cap the read stops, the connection is closed and ResponseTooLarge is raised; its
    `partial` holds the first `max_bytes` bytes (the evidence, a bytearray) and its message names the
    URL, the size seen, the wire size and ratio for a decompression bomb, and the
    portals.yaml setting to raise.
    """
    buf = bytearray()
    try:
        for chunk in resp.iter_content(READ_CHUNK):
            buf += chunk
            if len(buf) > max_bytes:
                break
        else:
            return bytes(buf)
        got, wire = len(buf), _wire_bytes(resp)
    finally:
        if len(buf) > max_bytes:
            resp.close()
    where = url or resp.url
    cap_mb = max_bytes / MB
    seen = f"more than {cap_mb:g} MB ({got:,} bytes read, stopped there)"
    if wire and got / wire > BOMB_RATIO:
        seen += (
            f", decompressed from {wire:,} bytes on the wire (ratio {got // wire:,}:1, "
            "a decompression bomb?)"
        )
    raise_to = max(int(cap_mb) * 2, int(got / MB) + 1)
    err = ResponseTooLarge(
        f"{where}: response too large: {seen}; if the portal really serves pages this big, "
        f"raise the cap with 'max_response_mb: {raise_to}' for this portal in portals.yaml"
    )
    del buf[max_bytes:]
    err.partial = buf  # no copy: only decoded, as evidence
    raise err


def _wire_bytes(resp: requests.Response) -> int:
    """Bytes urllib3 took off the connection for this body (before decompression)."""
    try:
        return int(resp.raw.tell())
    except Exception:  # noqa: BLE001 - a raw stream without a position: no ratio
        return 0
