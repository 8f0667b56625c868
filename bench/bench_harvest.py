"""Harvest of a large CKAN catalogue: odwatch vs `ckanapi dump datasets --all`, side by side.

Both run as child processes against the same local catalogue server (bench/catalogue_server.py,
its own process); wall time and peak RSS (os.wait4) of each child are reported.

    python bench/bench_harvest.py [--sizes 10000 100000] [--corpus ../shared/corpus]
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

ODWATCH = """
import sys
from flows.adapters.http import make_session
from flows.config import Portal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse
url, path = sys.argv[1], sys.argv[2]
with Warehouse(path) as wh:
    # politeness lifted (ckanapi has none for localhost either): measures odwatch, not the gate
    r = harvest_portal(Portal(id="big", title="b", city="b", platform="ckan", url=url), wh,
                       make_session(per_host_rate=0))
print(r.line(), file=sys.stderr)
assert r.status == "ok", r.error
"""


def run_child(cmd: list[str]) -> tuple[float, float, int]:
    start = time.perf_counter()
    env = dict(
        os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--ckanapi-processes", type=int, default=1)
    args = ap.parse_args()
    py = sys.executable
    ckanapi = str(Path(py).with_name("ckanapi"))
    print("| datasets | tool | wall s | peak RSS MB | datasets/s |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        server = subprocess.Popen(
            [py, "bench/catalogue_server.py", str(n), args.corpus],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(server.stdout.readline().split()[1])
            url = f"http://127.0.0.1:{port}"
            with tempfile.TemporaryDirectory() as tmp:
                t, rss, _ = run_child([py, "-c", ODWATCH, url, str(Path(tmp) / "w.duckdb")])
                print(
                    f"| {n:,} | odwatch harvest -> DuckDB | {t:.1f} | {rss:.0f} | {n / t:,.0f} |",
                    flush=True,
                )
                t2, rss2, _ = run_child(
                    [
                        ckanapi,
                        "dump",
                        "datasets",
                        "--all",
                        "-q",
                        "-p",
                        str(args.ckanapi_processes),
                        "-O",
                        str(Path(tmp) / "dump.jsonl"),
                        "-r",
                        url,
                    ]
                )
                print(
                    f"| {n:,} | ckanapi dump datasets --all -p {args.ckanapi_processes} | {t2:.1f} | {rss2:.0f} "
                    f"| {n / t2:,.0f} |",
                    flush=True,
                )
                print(
                    f"|  | ratio ckanapi/odwatch | {t2 / t:.1f}x | {rss2 / rss:.2f}x | |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
