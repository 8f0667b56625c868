"""Harvest of a large CKAN catalogue: `odwatch harvest` vs `ckanapi dump datasets --all` and the
fetch floor (one requests.Session fetching the same pages, bodies discarded), side by side.

All three run as child processes against the same local catalogue server (bench/catalogue_server.py,
its own process); wall time and peak RSS of each child are reported: the peak of the sum over
the child's whole process tree (odwatch's parse worker, ckanapi's -p workers), sampled every
20 ms with psutil, and the largest single process's peak (os.wait4) beside it.

    python bench/bench_harvest.py [--sizes 10000 100000] [--corpus ../shared/corpus] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

FLOOR = """
import sys, requests
url, n, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = requests.Session()
for start in range(0, n, rows):  # the pages odwatch asks for, in its order; bodies discarded
    r = s.get(url + "/api/3/action/package_search", params={"q": "*:*", "sort":
              "metadata_created asc, name asc", "start": start, "rows": rows}, timeout=120)
    r.raise_for_status()
    r.content
"""


def odwatch_cmd(py: str, url: str, tmp: Path, page_size: int = 1000) -> list[str]:
    """`odwatch harvest` as a user runs it, the portal's rate limit lifted (`api_rate: 0`;
    ckanapi has none for 127.0.0.1 either): measures odwatch, not the gate."""
    portals = tmp / "portals.yaml"
    portals.write_text(
        f"portals:\n  - {{id: big, title: b, city: b, platform: ckan, url: '{url}', api_rate: 0, "
        f"page_size: {page_size}}}\n"
    )
    return [py, "-m", "flows.cli", "harvest", "--portals", str(portals)] + [
        "--warehouse", str(tmp / "w.duckdb"), "--retries", "0"
    ]  # fmt: skip


def tree_rss(proc: psutil.Process) -> int:
    """Bytes resident in `proc` and every process below it now (gone ones count 0)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_child(cmd: list[str], cwd: Path = ROOT, env_extra: dict[str, str] | None = None) -> Run:
    """Run `cmd` in `cwd` (another source tree, for a side-by-side run) until it exits."""
    start = time.perf_counter()
    env = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env_extra or {}),
    )
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    watched = psutil.Process(proc.pid)
    peak = 0
    while True:  # a benchmark's sampler: poll the tree until the child is gone
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(watched))
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err[-2000:]}")
    return Run(elapsed, peak / 2**20, usage.ru_maxrss / 1024)


@dataclass(frozen=True)
class Run:
    seconds: float
    tree_mb: float  # peak of the summed RSS of the child's process tree
    largest_mb: float  # peak RSS of the largest single process (os.wait4)


def row(n: int, tool: str, run: Run) -> None:
    print(
        f"| {n:,} | {tool} | {run.seconds:.1f} | {run.tree_mb:,.0f} | {run.largest_mb:,.0f} "
        f"| {n / run.seconds:,.0f} |",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--ckanapi-processes", type=int, default=2)
    ap.add_argument(
        "--page-size", type=int, default=1000, help="package_search rows (odwatch, floor)"
    )
    args = ap.parse_args()
    py = sys.executable
    ckanapi = str(Path(py).with_name("ckanapi"))
    print("| datasets | tool | wall s | peak RSS MB, tree | largest process MB | datasets/s |")
    print("|---:|---|---:|---:|---:|---:|")
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
                floor = run_child([py, "-c", FLOOR, url, str(n), str(args.page_size)])
                row(n, "fetch floor (one requests.Session, same pages)", floor)
                ours = run_child(odwatch_cmd(py, url, Path(tmp), args.page_size))
                size = sum(f.stat().st_size for f in Path(tmp).glob("w.duckdb*"))
                row(n, f"odwatch harvest -> DuckDB ({size / 2**20:,.0f} MB warehouse)", ours)
                theirs = run_child(
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
                row(n, f"ckanapi dump datasets --all -p {args.ckanapi_processes}", theirs)
                print(
                    f"|  | ratios: ckanapi/odwatch {theirs.seconds / ours.seconds:.1f}x, "
                    f"odwatch/floor {ours.seconds / floor.seconds:.1f}x "
                    f"| | {theirs.tree_mb / ours.tree_mb:.2f}x | | |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
