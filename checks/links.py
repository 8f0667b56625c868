"""Link checking, the pure half: URL and address rules, outcome classes, re-check schedule.

The I/O half (`flows/links/check.py`, `flows/links/probe.py`) makes the requests; this module only
judges what came back, so every rule here is testable without a network.

Outcomes (``link_checks.outcome``), kept apart as data.gov.uk and GOV.UK do:

``ok``                       2xx or 3xx after following redirects: the file is there.
``dead``                     gone for every user, and confirmed: a 410 Gone, or a 404, DNS
                             name not found, connection refused, a redirect loop or chain
                             longer than the cap seen on two checks at least 24 h apart with
                             no success in between (:func:`judge`). The only outcome a score
                             counts as broken.
``failing``                  such a failure seen, not confirmed yet (one check, or checks
                             less than 24 h apart): could not verify, not scored; re-checked
                             a day later.
``blocked``                  401, 403, 407, 451, 429, a bot challenge (``cf-mitigated:
                             challenge``, AWS WAF ``x-amzn-waf-action``): could not verify.
``server-error``             5xx: could not verify (often passing).
``timeout``                  connect or read timeout, 408: could not verify.
``invalid-url``              not an http(s) URL we can request (``ftp:``, no host, bad port).
``refused-private-address``  the host resolves to a loopback, private, link-local, multicast
                             or otherwise non-global address and the operator did not allow it.
``error``                    anything else (TLS failure, connection reset, an odd 4xx such as
                             400 after the GET fallback): could not verify.

``reason`` refines the outcome with a stable kebab-case word (``http-404``, ``dns-failure``,
``bot-challenge``, ``rate-limited``, ``redirect-loop`` ...).

Each check's own classification (``classify_status``, ``classify_error``; ``dead`` for any
gone-looking answer) is kept as ``link_checks.observed``; ``link_checks.outcome`` is the
verdict :func:`judge` gives it over the URL's history (``dead`` only when confirmed), which is
what scores, stars and pages read. This is the practice of data.gov.uk and ckanext-archiver
(a failure count and the first failure, a link reported broken only after repeated failures).

One idea: what a link check decides without the network (which URL, on which shard, is due;
what its answer means; which addresses may be asked).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

Outcome = Literal[
    "ok",
    "dead",
    "failing",
    "blocked",
    "server-error",
    "timeout",
    "invalid-url",
    "refused-private-address",
    "error",
]
OUTCOMES: tuple[Outcome, ...] = (
    "ok",
    "dead",
    "failing",
    "blocked",
    "server-error",
    "timeout",
    "invalid-url",
    "refused-private-address",
    "error",
)
# Only these count in a score: ok = reachable, dead = broken (confirmed, see judge()).
# Everything else, failing included, is "could not verify" and not held against the publisher.
VERIFIED: frozenset[str] = frozenset({"ok", "dead"})

# A failure is confirmed (dead) when it is seen again at least this long after the first one.
CONFIRM_AFTER = timedelta(hours=24)
# Answers that are final at once: the server says the resource is gone for good.
GONE_AT_ONCE = frozenset({"http-410"})

SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# HEAD answered with one of these: ask again with a GET that reads only the first bytes.
HEAD_FALLBACK_STATUSES = frozenset({400, 403, 405, 501})
# 429 / 503 with a Retry-After we are willing to wait for: try once more after it.
RETRY_AFTER_STATUSES = frozenset({429, 503})

# Failures that happened before any HTTP status (the I/O half names them; see flows/links/probe.py).
ERROR_OUTCOMES: dict[str, Outcome] = {
    "dns-failure": "dead",  # the name does not exist (EAI_NONAME / EAI_NODATA)
    "connection-refused": "dead",
    "redirect-loop": "dead",
    "too-many-redirects": "dead",
    "connect-timeout": "timeout",
    "read-timeout": "timeout",
    "dns-temporary": "error",  # the resolver did not answer (EAI_AGAIN): try again later
    "dns-unavailable": "error",  # no host name of the run resolved: our network is down
    "offline": "error",  # ODWATCH_OFFLINE=1: names were not looked up
    "tls-error": "error",
    "connection-error": "error",  # reset, closed without an answer, protocol error
    "bad-redirect": "invalid-url",  # a Location header we cannot follow
}


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    reason: str


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup on any mapping (requests' headers already are)."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None


def bot_challenge(headers: Mapping[str, str]) -> str | None:
    """The name of the bot wall that answered, or None.

    Cloudflare marks its managed challenge with ``cf-mitigated: challenge`` (on a 403, and on
    the 503 of the older "I'm under attack" mode); AWS WAF answers a challenge or CAPTCHA with
    ``x-amzn-waf-action: challenge|captcha`` (status 202 or 405).
    """
    if (header(headers, "cf-mitigated") or "").strip().lower() == "challenge":
        return "cloudflare"
    if (header(headers, "x-amzn-waf-action") or "").strip().lower() in ("challenge", "captcha"):
        return "aws-waf"
    return None


def classify_status(status: int, headers: Mapping[str, str]) -> Classified:
    """The outcome of a final HTTP answer (redirects already followed)."""
    if bot_challenge(headers):
        return Classified("blocked", "bot-challenge")
    if status == 429:
        return Classified("blocked", "rate-limited")
    if status in (401, 403, 407, 451):
        return Classified("blocked", f"http-{status}")
    if status in (404, 410):
        return Classified("dead", f"http-{status}")
    if status == 408:
        return Classified("timeout", "http-408")
    if 200 <= status < 400:
        return Classified("ok", f"http-{status}")
    if 500 <= status < 600:
        return Classified("server-error", f"http-{status}")
    return Classified("error", f"http-{status}")


def classify_error(kind: str) -> Classified:
    """The outcome of a failure before any HTTP answer; unknown kinds are ``error``."""
    return Classified(ERROR_OUTCOMES.get(kind, "error"), kind)


# ------------------------------------------------------------------ URLs and addresses

_BAD_HOST_CHARS = frozenset('<>"{}|\\^`')


def url_problem(url: str | None) -> str | None:
    """Why a URL cannot be link-checked (a kebab-case reason), or None when it can.

    Only http and https URLs with a host are checked. Spaces inside the path are allowed
    (clients percent-encode them, as browsers do); spaces around the URL are ignored.
    """
    if url is None or not url.strip():
        return "empty-url"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "malformed-url"
    scheme = parts.scheme.lower()
    if not scheme:
        return "no-scheme"
    if scheme not in SCHEMES:
        if re.fullmatch(r"[a-z][a-z0-9+.-]{0,19}", scheme):
            return f"unsupported-scheme-{scheme}"
        return "malformed-url"
    host = parts.hostname
    if not host:
        return "no-host"
    if any(ord(c) < 33 or c in _BAD_HOST_CHARS for c in parts.netloc):
        return "bad-host"
    try:
        host.encode("idna")  # also catches empty labels ("a..b") and labels over 63 letters
    except UnicodeError:
        return "bad-host"
    try:
        port = parts.port
    except ValueError:
        return "bad-port"
    if port == 0:
        return "bad-port"
    return None


def clean_url(url: str) -> str:
    return url.strip()


def host_key(url: str) -> str:
    """The politeness unit: scheme-less ``host:port`` in lower case."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{host}:{port}"


@dataclass(frozen=True)
class Shard:
    """Part `index` (1-based) of `count` of a link check: the URLs whose host hashes to it.

    Every URL of one host lands in the same part, so runs of different parts, on different
    workers, never share a host and per-host politeness holds across the fleet. The hash is
    SHA-1 of :func:`host_key`: the same on every machine and Python (``hash()`` is salted)."""

    index: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: use I/N with 1 <= I <= N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'2/4' -> Shard(2, 4); ValueError with the expected form otherwise."""
        index, sep, count = text.strip().partition("/")
        try:
            return cls(int(index), int(count))
        except ValueError:
            raise ValueError(
                f"shard {text!r}: use I/N, e.g. 2/4 (part 2 of 4, 1 <= I <= N)"
            ) from None

    def holds(self, url: str) -> bool:
        if self.count == 1:
            return True
        digest = hashlib.sha1(host_key(url).encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    @property
    def label(self) -> str:
        return f"{self.index}of{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def address_refusal(address: str) -> str | None:
    """Why connecting to this IP address is refused by default, or None when it is public.

    Everything that is not globally routable is refused: loopback, private (RFC 1918, ULA),
    link-local (incl. cloud metadata at 169.254.169.254), multicast, unspecified (0.0.0.0
    reaches the local host on Linux), reserved, shared (100.64/10). IPv4 addresses written as
    IPv6 (``::ffff:127.0.0.1``) are judged as IPv4.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not-an-address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return label
    if not ip.is_global:
        return "non-global"
    return None


def addresses_refusal(addresses: list[str]) -> tuple[str, str] | None:
    """(why, address) for the first refused address of a host, or None when all are public.

    A host is refused when any of its addresses is: a name that resolves to a public and a
    private address is the classic DNS-rebinding trick.
    """
    for address in addresses:
        why = address_refusal(address)
        if why:
            return why, address
    return None


# ------------------------------------------------------------------ Retry-After


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


# ------------------------------------------------------------------ verdict over the history


@dataclass(frozen=True)
class Observation:
    """One check of a URL as it was classified on its own (``link_checks.observed``)."""

    checked_at: datetime
    outcome: str  # an Outcome of classify_status / classify_error: "dead" = looked gone
    reason: str | None = None


def judge(history: Iterable[Observation], confirm_after: timedelta = CONFIRM_AFTER) -> Outcome:
    """The verdict on a URL's newest check, given its history (any order, newest included).

    - The newest check did not look gone: its own outcome (ok, blocked, timeout ...).
    - It looked gone with a 410 Gone: ``dead`` at once.
    - It looked gone otherwise (404, no such host, refused, redirect loop): ``dead`` when a
      check since the last ``ok`` one looked gone too at least ``confirm_after`` earlier;
      else ``failing``. Only a success resets the count; a timeout or a 5xx in between
      neither confirms nor resets.
    """
    checks = sorted(history, key=lambda o: o.checked_at)
    if not checks:
        raise ValueError("judge() needs at least the check to judge")
    newest = checks[-1]
    if newest.outcome != "dead":
        return newest.outcome  # type: ignore[return-value]
    if newest.reason in GONE_AT_ONCE:
        return "dead"
    first_gone = newest.checked_at
    for obs in reversed(checks[:-1]):
        if obs.outcome == "ok":
            break
        if obs.outcome == "dead":
            first_gone = obs.checked_at
    return "dead" if newest.checked_at - first_gone >= confirm_after else "failing"


# ------------------------------------------------------------------ re-check schedule


@dataclass(frozen=True)
class LinkState:
    """What the warehouse knows about one URL (a row of ``latest_link_status``)."""

    outcome: str
    checked_at: datetime
    failure_count: int = 0  # consecutive checks since the last ok
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Schedule:
    """How long to trust a result. Healthy URLs are left alone for a week; failures are
    looked at again sooner (a day, doubling per consecutive failure up to the cap), because a
    dead link should be confirmed before it is reported and a timeout may have been a blip."""

    ok: timedelta = timedelta(days=7)
    dead: timedelta = timedelta(days=1)
    failing: timedelta = CONFIRM_AFTER  # come back when a second failure confirms it
    unverified: timedelta = timedelta(hours=6)  # blocked, server-error, timeout, error
    failure_cap: timedelta = timedelta(days=3)
    spread: float = 0.2  # healthy URLs come due over ok * [1, 1 + spread], by URL hash


DEFAULT_SCHEDULE = Schedule()


def _spread(url: str) -> float:
    digest = hashlib.sha1(url.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def recheck_after(url: str, state: LinkState, schedule: Schedule = DEFAULT_SCHEDULE) -> timedelta:
    """How long after ``state.checked_at`` the URL is due again."""
    if state.outcome == "ok":
        return schedule.ok * (1 + schedule.spread * _spread(url))
    if state.outcome == "invalid-url":
        return schedule.ok  # the text of a URL does not change; a new URL is a new row
    if state.outcome == "refused-private-address":
        return timedelta(0)  # costs no request; the operator may have allowed it since
    if state.outcome == "failing":
        return schedule.failing
    base = schedule.dead if state.outcome == "dead" else schedule.unverified
    n = max(1, state.failure_count)
    wait = min(base * 2 ** min(n - 1, 16), schedule.failure_cap)
    if state.retry_after_s:
        wait = max(wait, timedelta(seconds=state.retry_after_s))
    return wait


def is_due(
    url: str, state: LinkState | None, now: datetime, schedule: Schedule = DEFAULT_SCHEDULE
) -> bool:
    """Should this URL be checked in a run starting at ``now``?"""
    if state is None:
        return True
    return now >= state.checked_at + recheck_after(url, state, schedule)
