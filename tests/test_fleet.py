"""Issue 17 end to end on loopback: a real Prefect server, a process work pool, two `prefect
worker` processes, staging on a local S3 endpoint (moto), local portals serving real
recorded CKAN packages: 6 in `make test` (about 150 s here), the 20 of the issue with
`ODWATCH_FLEET_PORTALS=20` (about 330 s). One worker is killed with SIGKILL while it fetches; the lost-worker
automation (`odwatch deploy --lost-after`) hands its run back to the pool, the other worker
runs it again, and every snapshot lands whole and once.

Waits end on events (the held request arriving, states seen in the API); the one fixed
wait is Prefect's own: a killed run is only known lost after `--lost-after` seconds without
heartbeats (60 s here, the least `odwatch deploy` allows)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest
from fleet import Fleet
from s3server import BUCKET, local_s3, objects

from flows.demo.portals import LocalPortal

pytestmark = pytest.mark.schedule

PORTALS = int(os.environ.get("ODWATCH_FLEET_PORTALS", "6"))
PER_PORTAL = 9  # datasets; page_size 4: three package_search pages each
VICTIM = "p05"  # its run is the fifth one created: the killed worker has finished others


def test_a_worker_killed_mid_fetch_loses_nothing_and_its_portal_is_run_again(
    br_packages, tmp_path: Path
):
    held, release = threading.Event(), threading.Event()

    def hold_first_search(req, portal):
        """The victim portal's first package_search waits until its worker is dead."""
        if req.action == "package_search" and not held.is_set():
            held.set()
            release.wait(300)
        return None

    ids = [f"p{i:02d}" for i in range(1, PORTALS + 1)]
    servers = [
        LocalPortal(
            br_packages[i * PER_PORTAL : (i + 1) * PER_PORTAL],
            fault=hold_first_search if pid == VICTIM else None,
        )
        for i, pid in enumerate(ids)
    ]
    for s in servers:
        s.__enter__()
    try:
        with local_s3() as s3env:
            env = {
                **s3env,
                "ODWATCH_OFFLINE": "1",
                "ODWATCH_STAGING_URL": f"s3://{BUCKET}/staging",
                "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
                "PREFECT_LOGGING_LEVEL": "INFO",
            }
            portals = tmp_path / "portals.yaml"
            portals.write_text(
                "portals:\n"
                + "".join(
                    f"  - {{id: {pid}, title: P {pid}, city: City {pid}, platform: ckan, "
                    f"url: '{s.url}', page_size: 4, shacl_profile: false}}\n"
                    for pid, s in zip(ids, servers, strict=True)
                )
            )
            with Fleet(tmp_path, env) as fleet:
                said = fleet.deploy(
                    "--portals", str(portals), "--warehouse", str(tmp_path / "w.duckdb"),
                    "--site", str(tmp_path / "site"), "--lost-after", "60",
                )  # fmt: skip
                assert "automation 'odwatch-lost-worker'" in said
                fleet.start_worker("w1")
                fleet.start_worker("w2")
                run_ids = fleet.run_now(ids)
                victim_run = run_ids[ids.index(VICTIM)]

                assert held.wait(300), "the victim portal was never asked for package_search"
                (running,) = fleet.runs([victim_run])
                victim = running["labels"]["prefect.worker.name"]
                survivor = ({"w1", "w2"} - {victim}).pop()
                # the killed run's staging object is there while it fetches
                claims = [k for k in objects("staging/") if k.startswith(f"staging/{VICTIM}-")]
                assert len(claims) == 1, claims
                tree = fleet.process_tree(victim)
                assert len(tree) >= 2, tree  # the worker and the flow run it started
                fleet.kill(victim)
                release.set()
                assert not [p for p in tree if p.is_running()], "a killed run lives on"

                runs = fleet.wait_finished(run_ids, timeout=600)
                history = fleet.get(f"/flow_run_states/?flow_run_id={victim_run}")
                publishes = fleet.post(
                    "/task_runs/filter",
                    {"flow_runs": {"id": {"any_": run_ids}}, "task_runs": {"name": {"like_": "publish"}}, "limit": 200},
                )  # fmt: skip
                left = objects("staging/")
    finally:
        release.set()
        for s in servers:
            s.__exit__(None, None, None)

    by_id = {r["id"]: r for r in runs}
    names = [(s["name"], s["message"]) for s in sorted(history, key=lambda s: s["timestamp"])]
    assert {r["state_type"] for r in runs} == {"COMPLETED"}, names
    # which worker ran what: every run names a worker of the pool; the victim's portal was
    # run again by the other, and the killed worker had finished runs of its own before
    workers = {r["id"]: r["labels"]["prefect.worker.name"] for r in runs}
    assert set(workers.values()) == {"w1", "w2"}
    assert workers[victim_run] == survivor
    assert by_id[victim_run]["run_count"] == 2
    assert "AwaitingRetry" in [n for n, _ in names] and names[-1][0] == "Completed", names
    lost = next(s for s in history if s["name"] == "AwaitingRetry")
    assert "no heartbeat for 60 s" in lost["message"]
    # the warehouse: every snapshot whole, one each, every dataset once
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        harvests = con.execute(
            "SELECT portal_id, status, dataset_count FROM harvest_runs ORDER BY portal_id"
        ).fetchall()
        counts = con.execute(
            "SELECT portal_id, count(*), count(DISTINCT dataset_id) FROM latest_datasets "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert harvests == [(pid, "ok", PER_PORTAL) for pid in ids]
    assert counts == [(pid, PER_PORTAL, PER_PORTAL) for pid in ids]
    # staging: only the killed run's claim is left, for a later harvest to sweep once stale
    assert list(left) == claims
    # one batch, two publishes: the first run's (no site yet) and the last import's, by the
    # victim's second run, which knows the claim left behind as its own; the others left
    # it to the runs still on their way
    assert len([t for t in publishes if t["name"].startswith("publish-")]) == 2, publishes
    ranking = (tmp_path / "site" / "en" / "index.html").read_text(encoding="utf-8")
    assert all(f'data-portal="{pid}"' in ranking for pid in ids)
