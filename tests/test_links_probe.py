"""The link checker against a local fault server: every fault lands in its category."""

from __future__ import annotations

import socket
import time
from urllib.parse import quote

import pytest
from faultserver import FaultServer

from flows.adapters.http import USER_AGENT
from flows.links.hostpool import run_per_host
from flows.links.probe import Prober, Resolver

TIMEOUT = (1.0, 1.0)


@pytest.fixture(scope="module")
def server():
    with FaultServer() as s:
        yield s


@pytest.fixture
def prober():
    with Prober(timeout=TIMEOUT, per_host_rate=0, per_host_concurrency=8) as p:
        yield p


CASES = [
    # path, outcome, reason, status, method, redirects
    ("/ok", "ok", "http-200", 200, "HEAD", 0),
    ("/redirect/3", "ok", "http-200", 200, "HEAD", 3),
    ("/loop/a", "dead", "redirect-loop", 302, "HEAD", 1),
    ("/redirect/12", "dead", "too-many-redirects", 301, "HEAD", 10),
    ("/status/404", "dead", "http-404", 404, "HEAD", 0),
    ("/status/410", "dead", "http-410", 410, "HEAD", 0),
    ("/challenge", "blocked", "bot-challenge", 403, "GET", 0),
    ("/status/403", "blocked", "http-403", 403, "GET", 0),
    ("/status/401", "blocked", "http-401", 401, "HEAD", 0),
    ("/always-429/1", "blocked", "rate-limited", 429, "HEAD", 0),
    ("/status/500", "server-error", "http-500", 500, "HEAD", 0),
    ("/status/502", "server-error", "http-502", 502, "HEAD", 0),
    ("/slow/2", "timeout", "read-timeout", None, "HEAD", 0),
    ("/head-405", "ok", "http-200", 200, "GET", 0),
    ("/big/64", "ok", "http-200", 200, "HEAD", 0),
]


@pytest.mark.parametrize(("path", "outcome", "reason", "status", "method", "redirects"), CASES)
def test_each_fault_lands_in_its_category(
    server: FaultServer, prober: Prober, path, outcome, reason, status, method, redirects
) -> None:
    r = prober.check(server.url + path, allow_private=True)
    assert (r.outcome, r.reason, r.http_status, r.method, r.redirects) == (
        outcome,
        reason,
        status,
        method,
        redirects,
    )


def test_ok_records_final_url_and_headers(server: FaultServer, prober: Prober) -> None:
    r = prober.check(server.url + "/redirect/2", allow_private=True)
    assert r.final_url == server.url + "/ok"
    assert (r.content_type, r.content_length, r.last_modified, r.etag) == (
        "text/csv",
        8,
        "Tue, 01 Oct 2024 08:00:00 GMT",
        '"v1"',
    )
    assert r.requests == 3


def test_head_refused_then_get_reads_only_the_first_bytes(
    server: FaultServer, prober: Prober
) -> None:
    r = prober.check(server.url + "/head-405", allow_private=True)
    assert [m for m, _ in server.requests_to("/head-405")][-2:] == ["HEAD", "GET"]
    assert r.requests == 2


def test_big_body_is_capped_and_timeouts_are_bounded(server: FaultServer, prober: Prober) -> None:
    r = prober.fetch(server.url + "/big/64", allow_private=True, max_bytes=1_000_000)
    assert (r.outcome, len(r.body or b""), r.truncated, r.content_length) == (
        "ok",
        1_000_000,
        True,
        64 * 1024 * 1024,
    )
    r = prober.check(server.url + "/slow/2", allow_private=True)
    # the 2 s answer is cut off by the read timeout (bounded, not waited out: that would be ok)
    assert r.outcome == "timeout"


def test_user_agent_names_odwatch_and_a_contact(server: FaultServer, prober: Prober) -> None:
    seen = {}

    class Spy(FaultServer):
        def _handle(self, h, method):
            seen["ua"] = h.headers.get("User-Agent")
            super()._handle(h, method)

    with Spy() as spy:
        prober.check(spy.url + "/ok", allow_private=True)
    assert seen["ua"] == USER_AGENT
    assert seen["ua"].startswith("odwatch/") and "+http" in seen["ua"]


def test_dns_failure_is_dead_without_a_request(prober: Prober) -> None:
    def lookup(host, port, *args):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    prober.resolver = Resolver(lookup=lookup)
    r = prober.check("https://no-such-host.invalid/data.csv", allow_private=False)
    assert (r.outcome, r.reason, r.requests) == ("dead", "dns-failure", 0)
    assert r.error == "cannot resolve no-such-host.invalid: Name or service not known"


def test_resolver_that_does_not_answer_is_not_dead(prober: Prober) -> None:
    def lookup(host, port, *args):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    prober.resolver = Resolver(lookup=lookup)
    r = prober.check("https://flaky-dns.invalid/data.csv", allow_private=False)
    assert (r.outcome, r.reason) == ("error", "dns-temporary")


def test_connection_refused_is_dead(prober: Prober) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = prober.check(f"http://127.0.0.1:{port}/a.csv", allow_private=True)
    assert (r.outcome, r.reason) == ("dead", "connection-refused")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://ftp.example.org/a.csv", "unsupported-scheme-ftp"),
        ("javascript:alert(1)", "unsupported-scheme-javascript"),
        ("file:///etc/passwd", "unsupported-scheme-file"),
        ("www.example.org/a.csv", "no-scheme"),
        ("http://example.org:99999/a", "bad-port"),
    ],
)
def test_invalid_urls_are_not_requested(prober: Prober, url: str, reason: str) -> None:
    r = prober.check(url, allow_private=False)
    assert (r.outcome, r.reason, r.requests) == ("invalid-url", reason, 0)


def test_redirect_to_another_scheme_is_invalid(server: FaultServer, prober: Prober) -> None:
    r = prober.check(server.url + "/to/" + quote("file:///etc/passwd", safe=""), allow_private=True)
    assert (r.outcome, r.reason, r.final_url) == (
        "invalid-url",
        "bad-redirect",
        "file:///etc/passwd",
    )


# ---------------------------------------------------------------- private addresses


def test_private_address_refused_with_allowance_off(
    server: FaultServer, prober: Prober, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ODWATCH_ALLOW_PRIVATE_URLS", raising=False)
    before = len(server.log)
    r = prober.check(server.url + "/ok", allow_private=False)
    assert (r.outcome, r.reason, r.requests) == ("refused-private-address", "loopback", 0)
    assert r.error == "127.0.0.1 resolves to a loopback address 127.0.0.1"
    assert len(server.log) == before  # not a single byte went out


class _PublicLocalhost(Resolver):
    """Pretends the name 'localhost' is a public host (the first hop of a redirect)."""

    def resolve(self, host: str, port: int) -> list[str]:
        return ["93.184.216.34"] if host == "localhost" else super().resolve(host, port)


def test_public_url_redirecting_to_a_private_address_is_refused(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ODWATCH_ALLOW_PRIVATE_URLS", raising=False)
    with Prober(timeout=TIMEOUT, per_host_rate=0, resolver=_PublicLocalhost()) as p:
        # the first hop must really be reachable: let the strict session connect to it
        p.sessions[False] = p.sessions[True]
        target = quote(f"http://127.0.0.1:{server.port}/ok?via-redirect", safe="")
        r = p.check(f"http://localhost:{server.port}/to/{target}", allow_private=False)
    assert (r.outcome, r.reason, r.redirects, r.final_url) == (
        "refused-private-address",
        "loopback",
        1,
        f"http://127.0.0.1:{server.port}/ok?via-redirect",
    )
    assert r.error == "127.0.0.1 resolves to a loopback address 127.0.0.1 (reached by a redirect)"
    assert server.requests_to("/ok?via-redirect") == []  # the private target was never asked


def test_rebinding_is_caught_when_connecting(server: FaultServer, monkeypatch) -> None:
    """The name looked public when checked, but resolves to 127.0.0.1 when connecting."""
    monkeypatch.delenv("ODWATCH_ALLOW_PRIVATE_URLS", raising=False)
    before = len(server.log)
    with Prober(timeout=TIMEOUT, per_host_rate=0, resolver=_PublicLocalhost()) as p:
        r = p.check(f"http://localhost:{server.port}/ok", allow_private=False)
    assert (r.outcome, r.reason, r.requests) == ("refused-private-address", "loopback", 1)
    assert r.error in (
        "localhost resolves to a loopback address 127.0.0.1",
        "localhost resolves to a loopback address ::1",
    )
    assert len(server.log) == before


# ---------------------------------------------------------------- the host pool


def test_retry_after_is_honoured_once_by_pausing_the_host(server: FaultServer, prober) -> None:
    url = server.url + "/retry-after/1"
    results = {}
    run_per_host(
        [url],
        lambda u: prober.check(u, True),
        key=lambda u: "h",
        rate=0,
        retry=lambda u, r: r.retry_after_s if r.http_status == 429 else None,
        on_result=lambda u, r: results.__setitem__(u, r),
    )
    times = [t for _, t in server.requests_to("/retry-after/1")]
    assert len(times) == 2 and times[1] - times[0] >= 0.95
    assert (results[url].outcome, results[url].http_status) == ("ok", 200)


def test_per_host_rate_and_interleaving() -> None:
    """2 requests/s per host: a host's starts are 0.5 s apart; a slow host does not hold up
    the others, which go on at their own pace."""
    starts: dict[str, list[float]] = {}
    ends: dict[str, list[float]] = {}

    def work(item: tuple[str, int]) -> None:
        host, _ = item
        starts.setdefault(host, []).append(time.monotonic())
        if host == "slow":
            time.sleep(1.2)
        ends.setdefault(host, []).append(time.monotonic())

    items = [(h, i) for h in ("slow", "a", "b") for i in range(3)]
    stats = run_per_host(items, work, key=lambda x: x[0], rate=2, concurrency=1, workers=8)
    gaps = {h: [b - a for a, b in zip(ts, ts[1:], strict=False)] for h, ts in starts.items()}
    # the politeness guarantee is a lower bound on the recorded starts; no upper bounds on
    # elapsed time (a loaded machine may run any of this late)
    assert all(g >= 0.45 for g in gaps["a"] + gaps["b"]) and len(gaps["a"]) == 2
    # one at a time on the slow host: each job starts after the previous one ended
    assert all(s >= e for s, e in zip(starts["slow"][1:], ends["slow"], strict=False))
    # a and b went on while slow was still busy: they were done before slow's last job began
    assert max(ends["a"] + ends["b"]) < starts["slow"][-1]
    assert (stats.jobs, stats.hosts, stats.retries) == (9, 3, 0)


def test_a_bug_in_a_job_surfaces() -> None:
    def work(x: int) -> int:
        if x == 3:
            raise ZeroDivisionError("boom")
        return x

    with pytest.raises(ZeroDivisionError):
        run_per_host(range(10), work, key=lambda x: str(x % 2), rate=0, workers=2)


# ---------------------------------------------------------------- triage before requests


def _fake_dns(names: dict[str, str]):
    asked: list[str] = []

    names = {**names, "127.0.0.1": "127.0.0.1"}

    def lookup(host, port, *args):
        asked.append(host)
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    return lookup, asked


def _decided(local) -> dict[str, tuple[str, str] | None]:
    return {t[0]: (r.outcome, r.reason) if r else None for t, r in local}


def test_triage_resolves_each_host_once(monkeypatch) -> None:
    from flows.links.triage import triage

    monkeypatch.delenv("ODWATCH_OFFLINE", raising=False)
    lookup, asked = _fake_dns({"good.test": "93.184.216.34"})
    targets = [
        ("https://good.test/a.csv", False),
        ("https://good.test/b.csv", False),
        ("https://gone.test/c.csv", False),
        ("ftp://ftp.example.org/d.csv", False),
        ("http://127.0.0.1:1/e.csv", True),
        ("http://127.0.0.1:1/f.csv", False),
    ]
    network, local = triage(targets, Resolver(lookup=lookup), 4)
    assert network == [
        ("https://good.test/a.csv", False),
        ("https://good.test/b.csv", False),
        ("http://127.0.0.1:1/e.csv", True),
    ]
    # decided by the prober at once, without a request: a dead name, ftp, a refused address
    assert _decided(local) == {
        "https://gone.test/c.csv": None,
        "ftp://ftp.example.org/d.csv": None,
        "http://127.0.0.1:1/f.csv": None,
    }
    assert sorted(asked) == ["127.0.0.1", "gone.test", "good.test"]


def test_no_name_resolving_means_our_network_is_down_not_the_links(monkeypatch) -> None:
    from flows.links.triage import triage

    monkeypatch.delenv("ODWATCH_OFFLINE", raising=False)
    lookup, _ = _fake_dns({})
    targets = [("https://a.test/1.csv", False), ("https://b.test/2.csv", False)]
    network, local = triage(targets, Resolver(lookup=lookup), 4)
    assert network == []
    assert _decided(local) == {
        "https://a.test/1.csv": ("error", "dns-unavailable"),
        "https://b.test/2.csv": ("error", "dns-unavailable"),
    }


def test_offline_mode_looks_up_no_names(monkeypatch) -> None:
    from flows.links.triage import triage

    monkeypatch.setenv("ODWATCH_OFFLINE", "1")
    lookup, asked = _fake_dns({"good.test": "93.184.216.34"})
    targets = [("https://good.test/a.csv", False), ("http://127.0.0.1:1/b.csv", True)]
    network, local = triage(targets, Resolver(lookup=lookup), 4)
    assert network == [("http://127.0.0.1:1/b.csv", True)]
    assert _decided(local) == {"https://good.test/a.csv": ("error", "offline")}
    assert asked == ["127.0.0.1"]
