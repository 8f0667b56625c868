"""Two scheduled harvests at once, each in its own process as `odwatch serve` runs them, on
the session's shared Prefect server (tests/conftest.py: prefect_api; no deployments here, so
it needs no server of its own). A file of its own so that it runs beside tests/test_schedule.py
on another worker: the two are the suite's longest chains."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
import requests
from test_schedule import SCHEDULED, _env

from flows.demo.portals import LocalPortal

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.schedule


def test_scheduled_harvests_fetch_in_parallel_and_write_one_after_another(
    prefect_api, br_packages, tmp_path
):
    """Two portals' scheduled harvests at the same time, each in its own process as
    `odwatch serve` runs them: their fetches overlap,
    the writer slot on the Prefect server lets one write at a time, and both snapshots
    land whole."""
    from flows.scheduled import writer_limit_name

    api = prefect_api
    warehouse = tmp_path / "w.duckdb"
    # each portal holds its first answer until the other portal has been asked too: only
    # harvests that fetch at the same time get past this without the 90 s timeout
    asked = {"a": threading.Event(), "b": threading.Event()}
    waited_out: list[str] = []

    def meet(name: str, other: str):
        def fault(req, portal):
            asked[name].set()
            if not asked[other].wait(90):
                waited_out.append(name)
            return None

        return fault

    env = _env(
        PREFECT_API_URL=api,
        PREFECT_HOME=str(tmp_path / "client-home"),
        PREFECT_LOGGING_LEVEL="INFO",
    )
    # what `odwatch serve` does first: the writer slot, on the server the flows report to
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from flows.scheduled import writer_limit, writer_limit_name; "
            "writer_limit(writer_limit_name(sys.argv[1]))",
            str(warehouse),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    site = tmp_path / "site"
    with (
        LocalPortal(br_packages[:60], fault=meet("a", "b")) as a,
        LocalPortal(br_packages[100:150], fault=meet("b", "a")) as b,
    ):
        (tmp_path / "portals.yaml").write_text(
            "portals:\n"
            f"  - {{id: a, title: A, city: A, platform: ckan, url: '{a.url}', page_size: 10}}\n"
            f"  - {{id: b, title: B, city: B, platform: ckan, url: '{b.url}', page_size: 10}}\n"
        )
        # the site as an operator's first `odwatch publish` leaves it: published, no snapshot
        from flows.config import load_portals
        from flows.publish import publish_site
        from warehouse.records import Warehouse

        with Warehouse(warehouse) as w:
            publish_site(w.con, load_portals(tmp_path / "portals.yaml"), site)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SCHEDULED, pid, str(tmp_path / "portals.yaml")]
                + [str(warehouse), str(site)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for pid in ("a", "b")
        ]
        outs = [p.communicate(timeout=240) for p in procs]
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert "skipping acquisition" not in err  # the writer slot was really taken
    assert outs[0][0].strip().startswith("a: ok, 60 datasets")
    assert outs[1][0].strip().startswith("b: ok, 50 datasets")
    assert waited_out == []  # the fetches ran at the same time
    # the two were one batch: the first to import left the publish to the other, which was
    # still on its way (staged); the last import published the site with both
    said = [
        re.findall(r"publish: (left to the next import \(\d+ more|scorecard)", err)
        for _, err in outs
    ]
    assert sorted(said) == [["left to the next import (1 more"], ["scorecard"]], said
    ranking = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert 'data-portal="a"' in ranking and 'data-portal="b"' in ranking
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        counts = con.execute(
            "SELECT portal_id, count(*), count(DISTINCT dataset_id) FROM latest_datasets "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        runs = con.execute("SELECT portal_id, status FROM harvest_runs ORDER BY ALL").fetchall()
        assessed = con.execute("SELECT count(DISTINCT run_id) FROM scores").fetchone()[0]
        # each harvest checked the URLs it brought in at once, bounded (QUICK_LINK_CHECK)
        per_check = con.execute(
            "SELECT count(*), count(DISTINCT url) FROM link_checks GROUP BY check_run_id"
        ).fetchall()
        known = con.execute(
            "SELECT portal_id, count(DISTINCT url) FROM latest_distributions GROUP BY ALL "
            "ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert counts == [("a", 60, 60), ("b", 50, 50)]
    assert runs == [("a", "ok"), ("b", "ok")]
    assert assessed == 2
    from flows.scheduled import QUICK_LINK_CHECK

    assert [n for _, n in known] == [386, 133]  # more URLs than one quick check takes
    assert per_check == [(QUICK_LINK_CHECK, QUICK_LINK_CHECK)] * 2
    assert not list((tmp_path / "staging").glob("*.duckdb"))
    # the writer slot is Prefect's: its limit exists on the server, and is free again
    limit = requests.get(f"{api}/v2/concurrency_limits/{writer_limit_name(warehouse)}", timeout=10)
    assert limit.status_code == 200, limit.text
    assert (limit.json()["limit"], limit.json()["active_slots"]) == (1, 0)
