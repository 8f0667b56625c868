"""Link checks split by host (checks.links.Shard): a portal whose files lie on several local
servers (one host each, the real corpus CSVs among them) is checked once whole and once in
two shards that each read what is due, check into a staging file and are imported; the two
shards never touch one host, together check every URL once, and reach the same verdicts and
5-star levels as the whole check. Then the same through the flow `odwatch deploy
--link-shards 2` schedules (flows.scheduled.scheduled_links), on the shared Prefect server."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faultserver import FaultServer

from checks.links import Shard, host_key
from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.links.check import LinkCheckOptions, check_links, import_checks, read_inputs
from warehouse.records import Warehouse

FAST = dict(rate=0, concurrency=4, timeout=(1.0, 1.0), content_max_bytes=1_000_000)
PATHS = ("/file/sports.csv", "/file/2012.csv", "/status/404", "/status/410", "/head-405")


@pytest.fixture
def hosts(corpus: Path):
    """Local file servers, as many as it takes for each of two shards to hold at least two
    (which server lands in which shard depends on its port)."""
    f = corpus / "files"
    files = {
        "sports.csv": (f / "bochum" / "bochum_sports_facilities.csv").read_bytes(),
        "2012.csv": (f / "berlin-vornamen" / "cleaned-2012-marzahn-hellersdorf.csv").read_bytes(),
    }
    with ExitStack() as stack:
        servers: list[FaultServer] = []
        while (
            any(sum(Shard(i, 2).holds(s.url) for s in servers) < 2 for i in (1, 2))
            and len(servers) < 40
        ):
            servers.append(stack.enter_context(FaultServer(files)))
        yield servers


def _packages(servers: list[FaultServer]) -> list[dict]:
    return [
        {
            "id": f"d{n}",
            "name": f"d{n}",
            "title": f"Datensatz {n}",
            "license_id": "dl-de-by-2.0",
            "resources": [
                {"id": f"r{n}-{i}", "url": s.url + path, "format": "CSV"}
                for i, path in enumerate(PATHS)
            ],
        }
        for n, s in enumerate(servers)
    ]


def _portal(url: str) -> Portal:
    return Portal("shardtown", "S", "S", "ckan", url, allow_private_urls=True)


def _rows(wh: Warehouse, sql: str) -> list[tuple]:
    return wh.con.execute(sql).fetchall()


def test_two_shards_check_disjoint_hosts_and_equal_one_whole_check(hosts, tmp_path) -> None:
    options = LinkCheckOptions(**FAST)
    with LocalPortal(_packages(hosts)) as lp:
        portal = _portal(lp.url)
        whole, sharded = Warehouse(tmp_path / "whole.duckdb"), Warehouse(tmp_path / "s.duckdb")
        for wh in (whole, sharded):
            assert harvest_portal(portal, wh).status == "ok"
    try:
        done = check_links(whole, [portal], options)
        summaries = []
        for i in (1, 2):
            part = Shard(i, 2)
            inputs = read_inputs(sharded, [portal], options, datetime.now(UTC), part)
            with Warehouse(tmp_path / f"stage{i}.duckdb") as stage:
                summaries.append(check_links(stage, [portal], options, shard=part, inputs=inputs))
            assert summaries[-1].stars == 0  # left to the import, where the distributions are
            assert import_checks(sharded, tmp_path / f"stage{i}.duckdb", [portal.id]) > 0
        runs = dict(_rows(sharded, "SELECT check_run_id, status FROM link_check_runs"))
        assert sorted(runs) == sorted(s.check_run_id for s in summaries)
        assert set(runs.values()) == {"ok"}
        by_run: dict[str, set[str]] = {}
        for run, url in _rows(sharded, "SELECT check_run_id, url FROM link_checks"):
            by_run.setdefault(run, set()).add(url)
        for s, i in zip(summaries, (1, 2), strict=True):
            mine = {host_key(h.url) for h in hosts if Shard(i, 2).holds(h.url)}
            assert {host_key(u) for u in by_run[s.check_run_id]} == mine
            assert s.urls_due == len(by_run[s.check_run_id]) == len(mine) * len(PATHS)
        first, second = (by_run[s.check_run_id] for s in summaries)
        assert not first & second
        verdicts = "SELECT url, outcome, reason, http_status FROM link_checks ORDER BY url"
        assert _rows(sharded, verdicts) == _rows(whole, verdicts)
        assert len(first | second) == done.urls_due == len(hosts) * len(PATHS)
        outcomes = dict(
            _rows(sharded, "SELECT outcome, count(*) FROM link_checks GROUP BY outcome")
        )
        assert outcomes == {"ok": 3 * len(hosts), "failing": len(hosts), "dead": len(hosts)}
        stars = "SELECT distribution_id, stars, format, reason FROM distribution_stars ORDER BY 1"
        assert _rows(sharded, stars) == _rows(whole, stars)
        assert len(_rows(sharded, stars)) == len(hosts) * len(PATHS)
        # content samples: each shard sampled files on its own hosts only, none twice
        sampled = _rows(sharded, "SELECT check_run_id, url, outcome FROM content_checks")
        assert sampled and len({u for _, u, _ in sampled}) == len(sampled)
        shard_of_run = {s.check_run_id: i for s, i in zip(summaries, (1, 2), strict=True)}
        assert all(Shard(shard_of_run[r], 2).holds(u) for r, u, _ in sampled)
        assert {u for _, u, o in sampled if o == "ok"} <= {
            u for u, o, *_ in _rows(whole, verdicts) if o == "ok"
        }
    finally:
        whole.close()
        sharded.close()


@pytest.mark.prefect
def test_scheduled_link_shards_import_like_harvests(hosts, tmp_path, prefect_harness) -> None:
    """The deployments `--link-shards 2` makes: each run checks its hosts into staging, then
    imports under the writer slot; the staging folder is empty afterwards."""
    from flows.scheduled import deployment_specs, scheduled_links

    warehouse = tmp_path / "w.duckdb"
    with LocalPortal(_packages(hosts)) as lp:
        portal, url = _portal(lp.url), lp.url
        with Warehouse(warehouse) as wh:
            assert harvest_portal(portal, wh).status == "ok"
    yaml = tmp_path / "portals.yaml"
    yaml.write_text(
        "portals:\n  - {id: shardtown, title: S, city: S, platform: ckan, "
        f"url: '{url}', allow_private_urls: true}}\n"
    )
    specs = deployment_specs([portal], yaml, warehouse, tmp_path / "site", "0 5 * * *", 2)
    links = [(name, params) for flow, name, _, params in specs if "links" in flow]
    assert [name for name, _ in links] == ["check-links-1of2", "check-links-2of2"]
    lines = [scheduled_links(**params) for _, params in links]
    assert lines[0].startswith("shard 1/2: ") and lines[1].startswith("shard 2/2: ")
    with Warehouse(warehouse) as wh:
        assert _rows(wh, "SELECT count(*), count(DISTINCT url) FROM link_checks") == [
            (len(hosts) * len(PATHS), len(hosts) * len(PATHS))
        ]
        assert _rows(wh, "SELECT status, count(*) FROM link_check_runs GROUP BY 1") == [("ok", 2)]
        assert _rows(wh, "SELECT count(*) FROM distribution_stars") == [(len(hosts) * len(PATHS),)]
    assert (tmp_path / "site" / "index.html").exists()
    assert not list((tmp_path / "staging").glob("*.duckdb"))
