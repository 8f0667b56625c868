"""Per-portal politeness from portals.yaml: how hard odwatch may press one portal's hosts.

Four optional keys, honoured wherever a portal is harvested or its links are checked (`odwatch
run`, `harvest`, `check-links`, `serve`; they all read the same Portal):

- ``api_rate`` / ``api_concurrency``: requests per second and at a time to the portal's API
  (default 5/s, 2 at a time);
- ``link_rate`` / ``link_concurrency``: the same per host for its distributions' URLs (default:
  the link check's, 2/s and 2 at a time, or what `check-links --max-per-host-rate` /
  `--per-host-concurrency` say). A host that several portals' URLs are on gets the strictest
  of theirs (`flows.links.hostpool.host_limits`).

A rate of 0 lifts the rate limit (an operator checking their own portal, a CDN-backed host).
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from flows.adapters.http import make_session

KEYS = ("api_rate", "api_concurrency", "link_rate", "link_concurrency")
DEFAULT_API_RATE = 5.0
DEFAULT_API_CONCURRENCY = 2
MAX_CONCURRENCY = 64


def validate(entry: dict, fail: Callable[[str, str], Exception]) -> dict:
    """The politeness keys of one portals.yaml entry as Portal keyword arguments; raise
    `fail(problem, fix)` (a one-line ConfigError) for the first bad value."""
    out: dict = {}
    for key in ("api_rate", "link_rate"):
        if key in entry:
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise fail(
                    f"{key} {value!r} is not a number of requests per second (0 or more)",
                    f"write e.g. '{key}: 1' or '{key}: 0.5'; '{key}: 0' lifts the limit",
                )
            out[key] = float(value)
    for key in ("api_concurrency", "link_concurrency"):
        if key in entry:
            value = entry[key]
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 1 <= value <= MAX_CONCURRENCY
            ):
                raise fail(
                    f"{key} {value!r} is not a whole number from 1 to {MAX_CONCURRENCY}",
                    f"write e.g. '{key}: 4' (requests at a time per host)",
                )
            out[key] = value
    return out


def api_session(api_rate: float | None, api_concurrency: int | None) -> requests.Session:
    """The session a portal's harvest talks to its API with."""
    return make_session(
        per_host_rate=DEFAULT_API_RATE if api_rate is None else api_rate,
        per_host_concurrency=api_concurrency or DEFAULT_API_CONCURRENCY,
    )
