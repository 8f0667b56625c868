"""Harvests on a Prefect work pool with 1, 2 and 4 workers, side by side in one run.

20 local CKAN portals of 5,000 datasets each (one bench/catalogue_server.py process with a
simulated latency per answer, 50 ms by default; each portal a path prefix of it), deployed
with `odwatch deploy --pool`, one flow run per portal started at once, and N `prefect worker
start --limit 1` processes (tests/fleet.py) taking them. Each worker count gets a fresh
warehouse, staging folder and Prefect server. Reported per count: wall time from the runs
created to the last one finished, the time the writer slot was held (sum over runs of their
import + assess + publish, from the flow-run logs' task runs), and the speed-up over 1 worker.

    python bench/bench_fleet.py [--portals 20] [--datasets 5000] [--latency-ms 50] [--workers 1 2 4]

SHACL validation is off (`shacl_profile: false`): it has its own bench (bench_shacl.py), and
under the writer slot it would only add the same seconds to every column.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fleet import Fleet  # noqa: E402


def _portals_yaml(path: Path, base: str, n: int, page_size: int) -> list[str]:
    ids = [f"p{i:02d}" for i in range(1, n + 1)]
    lines = ["portals:"]
    for pid in ids:
        lines.append(
            f"  - {{id: {pid}, title: P {pid}, city: City {pid}, platform: ckan, "
            f"url: '{base}/{pid}', page_size: {page_size}, shacl_profile: false}}"
        )
    path.write_text("\n".join(lines) + "\n")
    return ids


def _seconds(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def one(workers: int, base: str, args: argparse.Namespace, tmp: Path) -> dict:
    tmp.mkdir(parents=True)
    portals = tmp / "portals.yaml"
    ids = _portals_yaml(portals, base, args.portals, args.page_size)
    env = {"ODWATCH_OFFLINE": "1", "PREFECT_LOGGING_LEVEL": "WARNING"}
    with Fleet(tmp, env) as fleet:
        fleet.deploy(
            "--portals", str(portals), "--warehouse", str(tmp / "w.duckdb"),
            "--site", str(tmp / "site"), "--lost-after", "0",
        )  # fmt: skip
        for w in range(workers):
            fleet.start_worker(f"w{w + 1}")
        started = time.monotonic()
        run_ids = fleet.run_now(ids)
        runs = fleet.wait_finished(run_ids, timeout=4 * 3600, poll=5)
        wall = time.monotonic() - started
        tasks = fleet.post(
            "/task_runs/filter", {"flow_runs": {"id": {"any_": run_ids}}, "limit": 200}
        )
        for r in runs:  # a run that did not complete: its last log lines, to find out why
            if r["state_type"] != "COMPLETED":
                logs = fleet.post(
                    "/logs/filter",
                    {"logs": {"flow_run_id": {"any_": [r["id"]]}}, "limit": 30,
                     "sort": "TIMESTAMP_DESC"},
                )  # fmt: skip
                print(f"--- {r['name']} ({r['state_name']}), last log lines:", flush=True)
                for line in reversed(logs):
                    print(f"    {line['timestamp']} {line['name']}: {line['message'][:500]}")
    bad = [
        (
            r["name"],
            r["state_name"],
            " ".join(str((r.get("state") or {}).get("message")).split())[:300],
        )
        for r in runs
        if r["state_type"] != "COMPLETED"
    ]
    publishes = sum(1 for t in tasks if t["name"].startswith("publish"))
    fetch = sum(
        _seconds(t["start_time"], t["end_time"]) for t in tasks if t["name"].startswith("fetch-")
    )
    busy = sum(_seconds(r["start_time"], r["end_time"]) for r in runs)
    kinds: dict[str, float] = {}  # task seconds by kind (fetch, check-links, assess, publish ...)
    for t in tasks:
        # "assess-1b0", "check-links-b9f", "fetch-p20": the kind without the run's suffix
        kind = t["name"].rsplit("-", 1)[0] if "-" in t["name"] else t["name"]
        kinds[kind] = kinds.get(kind, 0.0) + _seconds(t["start_time"], t["end_time"])
    return {"workers": workers, "wall": wall, "fetch": fetch, "busy": busy, "bad": bad,
            "publishes": publishes, "kinds": kinds}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--portals", type=int, default=20)
    ap.add_argument("--datasets", type=int, default=5000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = ap.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "catalogue_server.py"), str(args.datasets)]
        + [args.corpus, "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline().split()[1])
        base = f"http://127.0.0.1:{port}"
        results = []
        with tempfile.TemporaryDirectory(prefix="odwatch-fleet-") as tmp:
            for n in args.workers:
                got = one(n, base, args, Path(tmp) / f"w{n}")
                results.append(got)
                print(
                    f"{n} worker(s): {got['wall']:.1f} s wall; fetch tasks {got['fetch']:.1f} s "
                    f"in all; flow runs {got['busy']:.1f} s in all; site published {got['publishes']} "
                    f"times; not completed: {got['bad']}; task seconds by kind: "
                    + ", ".join(f"{k} {v:.1f}" for k, v in sorted(got["kinds"].items())),
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()
    first = results[0]["wall"]
    print(f"\n{args.portals} portals x {args.datasets} datasets, {args.latency_ms:g} ms latency")
    print("| workers | wall s | speed-up vs 1 | fetch s (sum) | flow runs s (sum) | publishes |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['workers']} | {r['wall']:.1f} | {first / r['wall']:.2f}x | {r['fetch']:.1f} "
            f"| {r['busy']:.1f} | {r['publishes']} |"
        )
    return 1 if any(r["bad"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
