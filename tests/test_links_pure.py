"""checks.links: outcome classes, URL and address rules, Retry-After, the re-check schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from checks.links import (
    LinkState,
    address_refusal,
    addresses_refusal,
    bot_challenge,
    classify_error,
    classify_status,
    host_key,
    is_due,
    recheck_after,
    retry_after_seconds,
    url_problem,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {}, ("ok", "http-200")),
        (204, {}, ("ok", "http-204")),
        (304, {}, ("ok", "http-304")),
        (404, {}, ("dead", "http-404")),
        (410, {}, ("dead", "http-410")),
        (401, {}, ("blocked", "http-401")),
        (403, {}, ("blocked", "http-403")),
        (451, {}, ("blocked", "http-451")),
        (429, {"Retry-After": "5"}, ("blocked", "rate-limited")),
        (403, {"CF-Mitigated": "challenge"}, ("blocked", "bot-challenge")),
        (503, {"cf-mitigated": "challenge"}, ("blocked", "bot-challenge")),
        (202, {"x-amzn-waf-action": "challenge"}, ("blocked", "bot-challenge")),
        (500, {}, ("server-error", "http-500")),
        (503, {"Retry-After": "5"}, ("server-error", "http-503")),
        (408, {}, ("timeout", "http-408")),
        (400, {}, ("error", "http-400")),
        (418, {}, ("error", "http-418")),
    ],
)
def test_classify_status(status: int, headers: dict, expected: tuple[str, str]) -> None:
    c = classify_status(status, headers)
    assert (c.outcome, c.reason) == expected


def test_bot_challenge_names_the_wall() -> None:
    assert bot_challenge({"cf-mitigated": " Challenge "}) == "cloudflare"
    assert bot_challenge({"X-Amzn-Waf-Action": "captcha"}) == "aws-waf"
    assert bot_challenge({"server": "cloudflare"}) is None


def test_classify_error_kinds() -> None:
    got = {
        k: classify_error(k).outcome
        for k in (
            "dns-failure",
            "connection-refused",
            "redirect-loop",
            "too-many-redirects",
            "connect-timeout",
            "read-timeout",
            "dns-temporary",
            "tls-error",
            "connection-error",
            "bad-redirect",
            "something-new",
        )
    }
    assert got == {
        "dns-failure": "dead",
        "connection-refused": "dead",
        "redirect-loop": "dead",
        "too-many-redirects": "dead",
        "connect-timeout": "timeout",
        "read-timeout": "timeout",
        "dns-temporary": "error",
        "tls-error": "error",
        "connection-error": "error",
        "bad-redirect": "invalid-url",
        "something-new": "error",
    }


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://opendata.bochum.de/a.csv", None),
        ("  http://example.org/Daten 2020.csv \n", None),
        ("HTTPS://EXAMPLE.ORG", None),
        ("http://[2001:db8::1]:8080/x", None),
        ("http://bücher.example/x", None),
        (None, "empty-url"),
        ("   ", "empty-url"),
        ("www.example.org/a.csv", "no-scheme"),
        ("ftp://ftp.example.org/a.csv", "unsupported-scheme-ftp"),
        ("javascript:alert(1)", "unsupported-scheme-javascript"),
        ("file:///etc/passwd", "unsupported-scheme-file"),
        ("mailto:daten@example.org", "unsupported-scheme-mailto"),
        ("http://", "no-host"),
        ("http:///a.csv", "no-host"),
        ("http://exa mple.org/a", "bad-host"),
        ("http://daten..example.org/a", "bad-host"),
        ("http://" + "x" * 64 + ".example.org/a", "bad-host"),
        ("http://example.org:99999/", "bad-port"),
        ("http://example.org:0/", "bad-port"),
        ("http://[::1/", "malformed-url"),
    ],
)
def test_url_problem(url: str | None, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_host_key_is_the_politeness_unit() -> None:
    assert host_key("https://Data.Example.org/a") == "data.example.org:443"
    assert host_key("http://data.example.org/b") == "data.example.org:80"
    assert host_key("http://127.0.0.1:8080/c") == "127.0.0.1:8080"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.178.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "non-global"),
        ("240.0.0.1", "private"),
        ("fe80::1%eth0", "link-local"),
        ("not-an-ip", "not-an-address"),
    ],
)
def test_address_refusal(address: str, why: str | None) -> None:
    assert address_refusal(address) == why


def test_a_host_with_one_private_address_is_refused() -> None:
    assert addresses_refusal(["93.184.216.34", "10.0.0.5"]) == ("private", "10.0.0.5")
    assert addresses_refusal(["93.184.216.34", "2606:4700:4700::1111"]) is None


def test_retry_after_seconds() -> None:
    assert retry_after_seconds("120", NOW) == 120.0
    assert retry_after_seconds("Mon, 02 Mar 2026 12:00:30 GMT", NOW) == 30.0
    assert retry_after_seconds("Mon, 02 Mar 2026 11:00:00 GMT", NOW) == 0.0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def _state(outcome: str, hours_ago: float, failures: int = 0, retry_after: float | None = None):
    return LinkState(outcome, NOW - timedelta(hours=hours_ago), failures, retry_after)


def test_schedule_healthy_urls_rest_for_a_week() -> None:
    url = "https://example.org/a.csv"
    assert is_due(url, None, NOW)
    assert not is_due(url, _state("ok", 24), NOW)
    assert not is_due(url, _state("ok", 24 * 7 - 1), NOW)
    assert is_due(url, _state("ok", 24 * 8.5), NOW)  # 7 days plus at most 20 % spread
    wait = recheck_after(url, _state("ok", 0))
    assert timedelta(days=7) <= wait <= timedelta(days=7 * 1.2)


def test_schedule_failures_come_back_sooner_and_back_off() -> None:
    url = "https://example.org/gone.csv"
    waits = {n: recheck_after(url, _state("dead", 0, failures=n)) for n in (1, 2, 3, 5)}
    assert waits == {
        1: timedelta(days=1),
        2: timedelta(days=2),
        3: timedelta(days=3),  # capped
        5: timedelta(days=3),
    }
    assert recheck_after(url, _state("timeout", 0, failures=1)) == timedelta(hours=6)
    assert recheck_after(url, _state("server-error", 0, failures=2)) == timedelta(hours=12)
    assert recheck_after(url, _state("blocked", 0, 1, retry_after=86400 * 2)) == timedelta(days=2)
    assert is_due(url, _state("timeout", 7, failures=1), NOW)
    assert not is_due(url, _state("dead", 7, failures=1), NOW)
    # a refusal costs no request and the operator may have allowed it since
    assert is_due(url, _state("refused-private-address", 0, failures=4), NOW)
    assert recheck_after(url, _state("invalid-url", 0, failures=4)) == timedelta(days=7)
