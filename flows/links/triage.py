"""Which link-check URLs need a request: each host resolved once, up front.

Hosts that need no request (not http(s), a name that does not resolve, a refused private
address) never wait for a rate limit. Offline, nothing is called dead: when not one host name
of the run resolves, its URLs are `error` (dns-unavailable); ODWATCH_OFFLINE=1 skips name
lookups altogether (tests, offline demos).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlsplit

from checks.links import addresses_refusal, classify_error, url_problem
from flows.links.probe import ProbeResult, Resolver

OFFLINE_ENV = "ODWATCH_OFFLINE"


def offline() -> bool:
    """ODWATCH_OFFLINE=1: resolve no host names (tests, demos on a machine without network)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80)


def _is_literal(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _unverified(url: str, reason: str, error: str) -> ProbeResult:
    c = classify_error(reason)
    return ProbeResult(url, c.outcome, c.reason, datetime.now(UTC), final_url=url, error=error)


def triage(
    targets: list[tuple[str, bool]], resolver: Resolver, workers: int
) -> tuple[list[tuple[str, bool]], list[tuple[tuple[str, bool], ProbeResult | None]]]:
    """Split targets into those to request and those decided without a request.

    Each host is resolved once, up front, so hosts that need no request (not http(s), a name
    that does not resolve, a refused private address) never wait for a rate limit; those get
    None (the prober decides them at once, without a request). When not one host name of the
    run resolves, our own resolver or network is down, not the publishers' servers: those
    URLs are `error` / dns-unavailable, never dead. With ODWATCH_OFFLINE=1 no name is looked up.
    """
    hosts = {_host_port(url) for url, _ in targets if url_problem(url) is None}
    names = {hp for hp in hosts if not _is_literal(hp[0])}
    skip = offline()

    def resolve(hp: tuple[str, int]) -> tuple[tuple[str, int], list[str] | None]:
        if skip and hp in names:
            return hp, None
        try:
            return hp, resolver.resolve(*hp)
        except socket.gaierror:
            return hp, None

    with ThreadPoolExecutor(max_workers=max(1, min(32, workers))) as pool:
        resolved = dict(pool.map(resolve, hosts))
    resolver_down = len(names) >= 2 and all(resolved[hp] is None for hp in names)
    network: list[tuple[str, bool]] = []
    local: list[tuple[tuple[str, bool], ProbeResult | None]] = []
    for url, allowed in targets:
        if url_problem(url) is not None:
            local.append(((url, allowed), None))
            continue
        hp = _host_port(url)
        addresses = resolved.get(hp)
        if hp in names and addresses is None and (skip or resolver_down):
            reason = "offline" if skip else "dns-unavailable"
            why = (
                f"{OFFLINE_ENV} is set: {hp[0]} not looked up"
                if skip
                else "no host name of this run resolved: the network or resolver is down"
            )
            local.append(((url, allowed), _unverified(url, reason, why)))
        elif addresses is None or (not allowed and addresses_refusal(addresses)):
            local.append(((url, allowed), None))
        else:
            network.append((url, allowed))
    return network, local
