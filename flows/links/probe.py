"""Probe one URL safely: HEAD (GET fallback), redirects followed by hand, bytes capped.

`probe()` is the I/O half of link checking: it makes the requests and turns whatever happens
into a `ProbeResult`; `checks.links` judges it. Every hop of a redirect chain is validated
again (http/https only, the host resolved and its addresses checked), so a public URL that
redirects to 127.0.0.1 is refused like one that points there directly. Bodies are streamed
and read only up to a cap; TLS verification stays on (the session's default).

One idea: probing one URL safely. The resolver's cache, the naming of a failure and the hop
loop are the parts of that one probe, kept together so every request goes through them.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies

import requests
import urllib3.exceptions as urllib3_exc
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar

from checks.links import (
    HEAD_FALLBACK_STATUSES,
    REDIRECT_STATUSES,
    addresses_refusal,
    classify_error,
    classify_status,
    retry_after_seconds,
    url_problem,
)
from flows.adapters.http import make_session, refused_reason

DEFAULT_TIMEOUT = (5.0, 10.0)  # connect, read (seconds)
MAX_REDIRECTS = 10
FIRST_BYTES = 8192  # what the GET fallback of a link check reads
CHUNK = 65536


@dataclass
class ProbeResult:
    """Everything one link check saw, as plain values (one row of link_checks)."""

    url: str
    outcome: str
    reason: str
    checked_at: datetime
    http_status: int | None = None
    method: str | None = None  # HEAD | GET: the method of the final answer
    final_url: str | None = None
    redirects: int = 0
    content_type: str | None = None
    content_length: int | None = None
    last_modified: str | None = None
    etag: str | None = None
    retry_after_s: float | None = None
    elapsed_ms: float = 0.0
    requests: int = 0
    error: str | None = None
    # only for fetches (content samples):
    body: bytes | None = field(default=None, repr=False)
    truncated: bool = False

    def record(self) -> dict:
        rec = {k: v for k, v in self.__dict__.items() if k not in ("body", "truncated")}
        return rec


class Resolver:
    """getaddrinfo with a short per-run cache (many URLs share a host)."""

    def __init__(self, ttl: float = 300.0, lookup: Callable | None = None) -> None:
        self.ttl = ttl
        self.lookup = lookup or socket.getaddrinfo
        self._cache: dict[tuple[str, int], tuple[float, list[str] | socket.gaierror]] = {}
        self._lock = threading.Lock()

    def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses; raises socket.gaierror as getaddrinfo does."""
        key = (host, port)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is None or hit[0] < now:
            try:
                infos = self.lookup(host, port, 0, socket.SOCK_STREAM)
                value: list[str] | socket.gaierror = list(
                    dict.fromkeys(str(info[4][0]) for info in infos)
                )
            except socket.gaierror as exc:
                value = exc
            except (UnicodeError, ValueError) as exc:  # a name no resolver would accept
                value = socket.gaierror(socket.EAI_NONAME, f"invalid host name ({exc})")
            with self._lock:
                self._cache[key] = (now + self.ttl, value)
        else:
            value = hit[1]
        if isinstance(value, socket.gaierror):  # a fresh one per caller (threads share the cache)
            raise socket.gaierror(value.errno, value.strerror)
        return value


def dns_failure_kind(exc: socket.gaierror) -> str:
    """A name that does not exist is dead; a resolver that did not answer is not."""
    if exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", -11)):
        return "dns-temporary"
    return "dns-failure"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything behind it (urllib3 wraps causes in `reason` and args)."""
    out: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(out) < 20:
        e = todo.pop(0)
        if any(e is seen for seen in out):
            continue
        out.append(e)
        for nxt in (getattr(e, "reason", None), e.__cause__, e.__context__, *e.args):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return out


def _error_kind(exc: requests.RequestException) -> str:
    """Name a failure before any HTTP answer (see checks.links.ERROR_OUTCOMES).

    The whole cause chain is searched, most telling cause first. (urllib3's
    NewConnectionError subclasses ConnectTimeoutError, so "refused" must win over "timeout".)
    """
    chain = _chain(exc)

    def has(*types: type) -> bool:
        return any(isinstance(e, types) for e in chain)

    if has(ConnectionRefusedError):
        return "connection-refused"
    for e in chain:
        if isinstance(e, socket.gaierror):
            return dns_failure_kind(e)
    if has(requests.exceptions.SSLError, urllib3_exc.SSLError):
        return "tls-error"
    if has(requests.exceptions.ReadTimeout, urllib3_exc.ReadTimeoutError):
        return "read-timeout"
    if has(requests.exceptions.ConnectTimeout, TimeoutError) or any(
        isinstance(e, urllib3_exc.ConnectTimeoutError)
        and not isinstance(e, urllib3_exc.NewConnectionError)
        for e in chain
    ):
        return "connect-timeout"
    if has(requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema):
        return "bad-redirect"
    return "connection-error"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300]


def _int_or_none(value: str | None) -> int | None:
    try:
        n = int(value) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 0 else None


class Prober:
    """Makes the requests of link checks and content samples for one run.

    Two sessions from the one session factory: one that refuses private addresses at connect
    time, one for URLs the operator allowed (a portal with allow_private_urls, or
    ODWATCH_ALLOW_PRIVATE_URLS=1). Neither retries on its own: a 429/503 with Retry-After is
    handed back to the scheduler, which pauses that host and tries once more.
    """

    def __init__(
        self,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        per_host_concurrency: int = 2,
        per_host_rate: float = 2.0,
        pool_connections: int = 64,
        resolver: Resolver | None = None,
        deadline: float | None = None,
        host_limits: Mapping[str, tuple[float, int]] | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.resolver = resolver or Resolver()
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        # a slow drip of bytes must not hold a worker forever: a whole-answer deadline too
        self.deadline = deadline if deadline is not None else 3 * read_timeout
        kw = dict(
            timeout=timeout,
            retries=0,
            per_host_concurrency=per_host_concurrency,
            per_host_rate=per_host_rate,
            pool_connections=pool_connections,
            # a host whose concurrency is lifted (0) may get every worker thread (32 by default)
            pool_maxsize=max(
                2, per_host_concurrency, *(c or 32 for _, c in (host_limits or {}).values())
            ),
            host_limits=host_limits,
        )
        self.sessions = {
            False: make_session(refuse_private_addresses=True, **kw),
            True: make_session(refuse_private_addresses=False, **kw),
        }
        # Proxy settings from the environment are honoured; without any, requests' per-request
        # environment lookups (proxies, ~/.netrc credentials) are skipped: they cost a third of
        # the CPU of a HEAD, and .netrc passwords have no business going to portal hosts.
        use_env = bool(getproxies())
        for s in self.sessions.values():
            s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # none kept across URLs
            s.trust_env = use_env

    def close(self) -> None:
        for s in self.sessions.values():
            s.close()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- one URL

    def check(self, url: str, allow_private: bool) -> ProbeResult:
        """A link check: HEAD, and a GET of the first bytes when HEAD is refused."""
        return self._run(url, allow_private, method="HEAD", max_bytes=FIRST_BYTES)

    def fetch(self, url: str, allow_private: bool, max_bytes: int) -> ProbeResult:
        """A content sample: GET, keeping at most `max_bytes` of the body."""
        return self._run(url, allow_private, method="GET", max_bytes=max_bytes, keep_body=True)

    def _run(
        self,
        url: str,
        allow_private: bool,
        *,
        method: str,
        max_bytes: int,
        keep_body: bool = False,
    ) -> ProbeResult:
        started = time.monotonic()
        res = ProbeResult(url=url, outcome="error", reason="", checked_at=datetime.now(UTC))
        session = self.sessions[allow_private]
        jar = RequestsCookieJar()  # cookies of this one check only (some sites redirect via one)
        current = url.strip()
        seen = {current}
        try:
            while True:
                stop = self._validate(current, res, allow_private, first=res.redirects == 0)
                if stop:
                    break
                res.requests += 1
                res.method = method
                try:
                    resp = session.request(
                        method,
                        current,
                        allow_redirects=False,
                        stream=True,
                        timeout=self.timeout,
                        cookies=jar,
                    )
                except requests.RequestException as exc:
                    refused = refused_reason(exc)
                    if refused is not None:
                        res.outcome, res.reason = "refused-private-address", refused.why
                        res.error = (
                            f"{refused.host} resolves to a {refused.why} address {refused.address}"
                        )
                    else:
                        c = classify_error(_error_kind(exc))
                        res.outcome, res.reason = c.outcome, c.reason
                        res.error = _one_line(exc)
                    res.final_url = current
                    break
                try:
                    extract_cookies_to_jar(jar, resp.request, resp.raw)
                    location = resp.headers.get("Location")
                    if resp.status_code in REDIRECT_STATUSES and location:
                        nxt = urljoin(current, location.strip())
                        if nxt in seen:
                            res.outcome, res.reason = "dead", "redirect-loop"
                            res.http_status, res.final_url = resp.status_code, nxt
                            res.error = f"redirect loop: {current} -> {nxt}"
                            break
                        if res.redirects >= self.max_redirects:
                            res.outcome, res.reason = "dead", "too-many-redirects"
                            res.http_status, res.final_url = resp.status_code, nxt
                            res.error = f"more than {self.max_redirects} redirects"
                            break
                        seen.add(nxt)
                        res.redirects += 1
                        current = nxt
                        continue
                    if method == "HEAD" and resp.status_code in HEAD_FALLBACK_STATUSES:
                        method = "GET"  # ask again where we are, reading only the first bytes
                        continue
                    self._answer(res, resp, current, max_bytes, keep_body, started)
                finally:
                    _release(resp)
                break
        finally:
            res.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        return res

    def _validate(self, url: str, res: ProbeResult, allow_private: bool, first: bool) -> bool:
        """Check one hop before requesting it; True (and res filled in) when it must stop."""
        problem = url_problem(url)
        if problem:
            res.outcome, res.reason = "invalid-url", problem if first else "bad-redirect"
            res.final_url = url
            res.error = None if first else f"redirect to an uncheckable URL ({problem})"
            return True
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        try:
            addresses = self.resolver.resolve(host, port)
        except socket.gaierror as exc:
            c = classify_error(dns_failure_kind(exc))
            res.outcome, res.reason, res.final_url = c.outcome, c.reason, url
            res.error = f"cannot resolve {host}: {exc.strerror or exc}"
            return True
        if not allow_private:
            refusal = addresses_refusal(addresses)
            if refusal:
                why, address = refusal
                res.outcome, res.reason, res.final_url = "refused-private-address", why, url
                res.error = f"{host} resolves to a {why} address {address}" + (
                    "" if first else " (reached by a redirect)"
                )
                return True
        return False

    def _answer(
        self,
        res: ProbeResult,
        resp: requests.Response,
        url: str,
        max_bytes: int,
        keep_body: bool,
        started: float,
    ) -> None:
        h = resp.headers
        res.http_status = resp.status_code
        res.final_url = url
        res.content_type = h.get("Content-Type")
        res.content_length = _int_or_none(h.get("Content-Length"))
        res.last_modified = h.get("Last-Modified")
        res.etag = h.get("ETag")
        res.retry_after_s = retry_after_seconds(h.get("Retry-After"), datetime.now(UTC))
        c = classify_status(resp.status_code, h)
        res.outcome, res.reason = c.outcome, c.reason
        if res.method != "GET":
            return
        # read the first bytes only (link check), or up to the cap (content sample)
        want = max_bytes if keep_body else min(max_bytes, FIRST_BYTES)
        chunks: list[bytes] = []
        got = 0
        try:
            for chunk in resp.iter_content(min(CHUNK, want + 1)):
                chunks.append(chunk)
                got += len(chunk)
                if got > want:
                    res.truncated = True
                    break
                if time.monotonic() - started > self.deadline:
                    res.truncated = True
                    if keep_body:
                        res.outcome, res.reason = "timeout", "slow-body"
                        res.error = f"body not read within {self.deadline:.0f} s"
                    break
        except requests.RequestException as exc:
            if keep_body:
                c = classify_error(_error_kind(exc))
                res.outcome, res.reason, res.error = c.outcome, c.reason, _one_line(exc)
            res.truncated = True
        if keep_body:
            body = b"".join(chunks)
            res.body = body[:want]
            if res.content_length is None and not res.truncated:
                res.content_length = len(res.body)


def _release(resp: requests.Response) -> None:
    """Give the connection back to the pool when the body is empty or already read (HEAD,
    redirects); a body left unread (a cut GET) closes the connection instead."""
    try:
        if resp.request.method == "HEAD" or resp.status_code in REDIRECT_STATUSES:
            length = _int_or_none(resp.headers.get("Content-Length"))
            if resp.request.method == "HEAD" or (length is not None and length <= 65536):
                resp.raw.read(65537, decode_content=False)
                resp.raw.release_conn()
                return
    except Exception:  # noqa: BLE001 - a connection that misbehaves is simply closed
        pass
    resp.close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
