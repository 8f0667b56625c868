"""Harvest of a large CKAN catalogue: `odwatch harvest` vs `ckanapi dump datasets --all` and the
fetch floor (one requests.Session fetching the same pages, bodies discarded), side by side.

All three run as child processes against the same local catalogue server (bench/catalogue_server.py,
its own process); wall time and peak RSS (os.wait4) of each child are reported.

    python bench/bench_harvest.py [--sizes 10000 100000] [--corpus ../shared/corpus] [--page-size 1000]
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


def run_child(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float, int]:
    """Run `cmd` in `cwd` (another source tree, for a side-by-side run); wall s, peak RSS MB, exit code."""
    start = time.perf_counter()
    env = dict(
        os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def row(n: int, tool: str, t: float, rss: float) -> None:
    print(f"| {n:,} | {tool} | {t:.1f} | {rss:.0f} | {n / t:,.0f} |", flush=True)


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
                tf, rssf, _ = run_child([py, "-c", FLOOR, url, str(n), str(args.page_size)])
                row(n, "fetch floor (one requests.Session, same pages)", tf, rssf)
                t, rss, _ = run_child(odwatch_cmd(py, url, Path(tmp), args.page_size))
                size = sum(f.stat().st_size for f in Path(tmp).glob("w.duckdb*"))
                row(n, f"odwatch harvest -> DuckDB ({size / 2**20:,.0f} MB warehouse)", t, rss)
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
                row(n, f"ckanapi dump datasets --all -p {args.ckanapi_processes}", t2, rss2)
                print(
                    f"|  | ratios: ckanapi/odwatch {t2 / t:.1f}x, odwatch/floor {t / tf:.1f}x "
                    f"| | {rss2 / rss:.2f}x | |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
