"""Re-harvest of an unchanged CKAN catalogue: incremental vs full, side by side.

One catalogue server (bench/catalogue_server.py --spread-modified, its own process), one
warehouse. Child 1 harvests in full; child 2 harvests again incrementally (package_search
with fq=metadata_modified:[T TO *] + package_list, the rest carried forward as
snapshot_members rows pointing at child 1's stored rows);
child 3 harvests in full again (full_every=1), for the time an operator would otherwise pay.
Wall time and peak RSS (os.wait4) per child; requests and datasets from the harvest itself.

    python bench/bench_incremental.py [--size 100000] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time
from flows.adapters.http import make_session
from flows.config import Portal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse
url, path, full_every = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Warehouse(path) as wh:
    portal = Portal(id="big", title="b", city="b", platform="ckan", url=url, full_every=full_every)
    t = time.perf_counter()
    r = harvest_portal(portal, wh, make_session(per_host_rate=0))
    t = time.perf_counter() - t
assert r.status == "ok", r.error
print(r.mode, r.datasets, r.distributions, r.requests, r.changed, f"{t:.3f}")
"""


def run_child(args: list[str]) -> tuple[float, float, list[str]]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"harvest failed: {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out.split()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = ap.parse_args()
    server = subprocess.Popen(
        [sys.executable, "bench/catalogue_server.py", str(args.size), args.corpus]
        + ["--spread-modified"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{int(server.stdout.readline().split()[1])}"
        print(
            "| harvest | mode | datasets | distributions | requests | fetched | "
            "harvest s | wall s | peak RSS MB | warehouse MB after |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = {}
        with tempfile.TemporaryDirectory() as tmp:
            wh = str(Path(tmp) / "w.duckdb")
            for label, full_every in (("1st", "7"), ("2nd, unchanged", "7"), ("3rd", "1")):
                wall, rss, (mode, ds, di, req, changed, secs) = run_child([url, wh, full_every])
                fetched = ds if changed == "None" else changed
                rows[label] = float(secs), int(req)
                print(
                    f"| {label} | {mode} | {int(ds):,} | {int(di):,} | {int(req):,} | "
                    f"{int(fetched):,} | {float(secs):.1f} | {wall:.1f} | {rss:.0f} | "
                    f"{os.path.getsize(wh) / 2**20:,.0f} |",
                    flush=True,
                )
        inc, full = rows["2nd, unchanged"], rows["3rd"]
        print(
            f"\nincremental / full re-harvest: time {inc[0] / full[0]:.1%}, "
            f"requests {inc[1]} / {full[1]} ({inc[1] / full[1]:.1%})"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
