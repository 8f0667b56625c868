"""Per-portal politeness in portals.yaml (issue 17): api_rate / api_concurrency for the
portal's API, link_rate / link_concurrency for its distributions' hosts; validated like every
key, honoured by the harvest and the link check. Pacing is asserted on recorded request start
times (lower bounds), a lifted concurrency by requests that can only finish together."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import pytest
from faultserver import FaultServer

from flows.config import ConfigError, Portal, parse_portals
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.links.check import LinkCheckOptions, check_links
from flows.links.hostpool import HostPool, host_limits
from warehouse.records import Warehouse

BASE = {"id": "p", "title": "P", "city": "P", "platform": "ckan", "url": "https://p.example"}


def _one(**keys) -> Portal:
    return parse_portals({"portals": [{**BASE, **keys}]}, Path("portals.yaml"))[0]


def test_the_keys_are_read_and_default_to_none() -> None:
    p = _one(api_rate=0.5, api_concurrency=1, link_rate=0, link_concurrency=8)
    assert (p.api_rate, p.api_concurrency, p.link_rate, p.link_concurrency) == (0.5, 1, 0.0, 8)
    q = _one()
    assert (q.api_rate, q.api_concurrency, q.link_rate, q.link_concurrency) == (None,) * 4


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("api_rate", -1, "api_rate -1 is not a number of requests per second (0 or more)"),
        ("link_rate", "fast", "link_rate 'fast' is not a number of requests per second"),
        ("link_rate", True, "link_rate True is not a number"),
        ("api_concurrency", 0, "api_concurrency 0 is not a whole number from 1 to 64"),
        ("link_concurrency", 2.5, "link_concurrency 2.5 is not a whole number from 1 to 64"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_portal_and_fix(key, value, says) -> None:
    with pytest.raises(ConfigError) as err:
        _one(**{key: value})
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith("portals.yaml: portal 'p' (#1): ")
    assert says in line
    assert f"write e.g. '{key}: " in line


def test_a_shared_host_gets_the_strictest_of_its_portals() -> None:
    def key(url: str) -> str:
        return url.split("/")[2]

    urls = {
        "http://own.example/a": {"mine"},
        "http://own.example/b": {"mine"},
        "http://cdn.example/x": {"mine", "other"},
        "http://slow.example/y": {"careful"},
        "http://plain.example/z": {"other"},
    }
    per_portal = {"mine": (0.0, 8), "other": (None, None), "careful": (0.5, None)}
    assert host_limits(urls, per_portal, (2.0, 2), key) == {
        "own.example": (0.0, 8),  # only the portal that lifted its limits lists it
        "cdn.example": (2.0, 2),  # another portal with the default lists it too
        "slow.example": (0.5, 2),  # stricter than the default, the concurrency kept
    }  # plain.example: no portal of its own settings -> the pool's default
    assert host_limits(urls, {"other": (None, None)}, (2.0, 2), key) == {}


def test_a_lifted_concurrency_lets_more_requests_run_on_one_host_than_the_default() -> None:
    # four jobs on one host that can only finish together: with the default of 2 at a time
    # the barrier breaks (after the deadline) instead of releasing them
    together = threading.Barrier(4, timeout=60)

    def work(item: tuple[str, int]) -> int:
        if item[0] == "lifted":
            together.wait()
        return item[1]

    done: list[tuple[str, int]] = []
    pool = HostPool(
        work,
        key=lambda item: item[0],
        rate=0,
        concurrency=2,
        workers=8,
        limits={"lifted": (0.0, 0)},
        on_result=lambda item, _r: done.append(item),
    )
    stats = pool.run([("lifted", i) for i in range(4)] + [("default", i) for i in range(3)])
    assert sorted(done) == [("default", 0), ("default", 1), ("default", 2)] + [
        ("lifted", i) for i in range(4)
    ]
    assert stats.max_in_flight >= 4


def test_api_rate_paces_the_harvest_of_a_real_catalogue(br_packages, tmp_path) -> None:
    with LocalPortal(br_packages[:12]) as lp:
        portal = Portal(
            id="br", title="BR", city="BR", platform="ckan", url=lp.url, page_size=4, api_rate=2
        )
        wh = Warehouse(tmp_path / "w.duckdb")
        try:
            result = harvest_portal(portal, wh)
            assert (result.status, result.datasets) == ("ok", 12)
        finally:
            wh.close()
        starts = [r.at for r in lp.log]
    assert len(starts) >= 3  # 3 pages of 4
    # 2 requests/s: the span of all starts cannot be shorter than the gaps demand
    assert starts[-1] - starts[0] >= (len(starts) - 1) * 0.5 - 0.15


def test_link_rate_of_a_portal_paces_its_hosts_below_the_commands_default(
    br_packages, corpus, tmp_path
) -> None:
    sports = (corpus / "files" / "bochum" / "bochum_sports_facilities.csv").read_bytes()
    with FaultServer({"sports.csv": sports}, {"sports.csv": "text/csv"}) as fs:
        packages = copy.deepcopy(br_packages[:3])
        for i, pkg in enumerate(packages):
            pkg["resources"] = [
                {**pkg["resources"][0], "url": f"{fs.url}/file/sports.csv?copy={i}-{j}"}
                for j in range(2)
            ]
        with LocalPortal(packages) as lp:
            portal = Portal(
                id="br",
                title="BR",
                city="BR",
                platform="ckan",
                url=lp.url,
                allow_private_urls=True,
                link_rate=1,
            )
            wh = Warehouse(tmp_path / "w.duckdb")
            try:
                assert harvest_portal(portal, wh).status == "ok"
                before = len(fs.log)
                # the command's own default lifts the rate; the portal asks for 1/s
                options = LinkCheckOptions(rate=0, concurrency=4, content_sample=0)
                summary = check_links(wh, [portal], options)
            finally:
                wh.close()
        starts = sorted(t for _, _, t in fs.log[before:])
    assert summary.urls_due == 6
    assert summary.outcomes["ok"] == 6
    assert starts[-1] - starts[0] >= (len(starts) - 1) * 1.0 - 0.15
