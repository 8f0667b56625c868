"""Harvest of an Opendatasoft portal and a paged DCAT catalogue: `odwatch harvest` beside the
fetch floor of each (one requests.Session fetching the same pages in the same order, bodies
read and discarded), side by side in one run against the same local server.

The server (bench/platform_server.py, its own process) serves N datasets cloned from recorded
ones and lists the requests the adapter makes (`/_bench/plan`); the floor fetches exactly
those, and the requests odwatch made (`/_bench/log`) must equal them, or the bench fails.
Both run as child processes; wall time and peak RSS (summed over the process tree, sampled:
bench_harvest.run_child) are measured. After the harvest the warehouse is opened read-only
and its dataset_rows counted: a harvest that stored fewer datasets than the portal lets it
page fails the bench instead of looking fast.

    python bench/bench_harvest_platforms.py [--datasets 10000] [--platform opendatasoft dcat]
        [--rounds 1] [--also-tree DIR ...] [--corpus ../shared/corpus]

The Explore API pages only `offset + limit < 10000`: of 10,000 datasets the adapter can
page 9,999 (it warns about the rest), so that is the count expected for Opendatasoft.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.request import urlopen

from bench_harvest import run_child  # noqa: E402 - bench/ is the script's own folder

ROOT = Path(__file__).resolve().parents[1]
ODS_WINDOW = 10_000  # flows.adapters.opendatasoft.MAX_WINDOW: offset + limit stays below

FLOOR = """
import json, sys, requests
base, plan = sys.argv[1], json.load(open(sys.argv[2]))
s = requests.Session()
for path in plan:  # the requests odwatch makes, in its order; bodies read and discarded
    r = s.get(base + path, timeout=120)
    r.raise_for_status()
    r.content
"""

PORTAL_URL = {"opendatasoft": "{base}", "dcat": "{base}/catalog.rdf"}


def expected(platform: str, n: int) -> int:
    return min(n, ODS_WINDOW - 1) if platform == "opendatasoft" else n


def odwatch_cmd(py: str, platform: str, url: str, tmp: Path) -> list[str]:
    """`odwatch harvest` as a user runs it, the portal's rate limit lifted (`api_rate: 0`):
    measures odwatch, not the politeness gate."""
    portals = tmp / "portals.yaml"
    portals.write_text(
        f"portals:\n  - {{id: big, title: b, city: b, platform: {platform}, url: '{url}', "
        "api_rate: 0}\n"
    )
    return [py, "-m", "flows.cli", "harvest", "--portals", str(portals)] + [
        "--warehouse", str(tmp / "w.duckdb"), "--retries", "0"
    ]  # fmt: skip


def get_json(url: str):
    with urlopen(url, timeout=60) as r:
        return json.load(r)


STORED = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
one = lambda sql: con.sql(sql).fetchall()[0]
print(json.dumps([*one("SELECT count(*) FROM dataset_rows"),
                  *one("SELECT count(*) FROM distribution_rows"),
                  *one("SELECT status, warnings FROM harvest_runs")]))
"""


def stored(warehouse: Path) -> tuple[int, int, str, str | None]:
    """(datasets, distributions, run status, warnings) read from the warehouse file, in a
    child: DuckDB imported here would raise the next child's peak RSS (a child started with
    vfork inherits its parent's high-water mark at exec)."""
    out = subprocess.run(
        [sys.executable, "-c", STORED, str(warehouse)], capture_output=True, text=True, check=True
    )
    n_ds, n_di, status, warnings = json.loads(out.stdout)
    return n_ds, n_di, status, warnings


def row(platform: str, tool: str, n: int, t: float, rss: float, ratio: str, mb: str) -> None:
    print(
        f"| {platform} | {tool} | {t:.1f} | {rss:.0f} | {n / t:,.0f} | {ratio} | {mb} |", flush=True
    )


def harvest(platform: str, base: str, plan: list[str], want: int, tree: Path, tmp: Path):
    """`odwatch harvest` run from `tree` -> (wall s, peak RSS MB, datasets, distributions,
    warnings, warehouse MB); fails unless it made the plan's requests and stored `want`."""
    get_json(f"{base}/_bench/reset")
    url = PORTAL_URL[platform].format(base=base)
    run = run_child(odwatch_cmd(sys.executable, platform, url, tmp), cwd=tree)
    t, rss = run.seconds, run.tree_mb
    log = get_json(f"{base}/_bench/log")
    if log != plan:
        same = 0
        while same < min(len(log), len(plan)) and log[same] == plan[same]:
            same += 1
        raise SystemExit(
            f"{platform}: odwatch made {len(log)} requests, the plan has "
            f"{len(plan)}; they part at #{same}: {log[same : same + 1]} vs "
            f"{plan[same : same + 1]}"
        )
    n_ds, n_di, status, warnings = stored(tmp / "w.duckdb")
    if (n_ds, status) != (want, "ok"):
        raise SystemExit(
            f"{platform}: harvest stored {n_ds} datasets ({status}), expected {want}; "
            f"warnings: {warnings}"
        )
    size = sum(f.stat().st_size for f in tmp.glob("w.duckdb*")) / 2**20
    return t, rss, n_ds, n_di, warnings, size


def bench(platform: str, n: int, corpus: str, rounds: int, trees: list[Path]) -> None:
    py = sys.executable
    server = subprocess.Popen(
        [py, "bench/platform_server.py", platform, str(n), corpus],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{int(server.stdout.readline().split()[1])}"
        plan = get_json(f"{base}/_bench/plan")
        want = expected(platform, n)
        for number in range(rounds):
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "plan.json").write_text(json.dumps(plan))
                get_json(f"{base}/_bench/reset")
                floor = run_child([py, "-c", FLOOR, base, str(Path(tmp) / "plan.json")])
                tf, rssf = floor.seconds, floor.tree_mb
                if get_json(f"{base}/_bench/log") != plan:
                    raise SystemExit(f"{platform}: the floor did not fetch the plan")
            row(platform, f"fetch floor ({len(plan)} requests)", want, tf, rssf, "", "")
            for tree in trees if number % 2 == 0 else trees[::-1]:  # alternate the order
                with tempfile.TemporaryDirectory() as tmp:
                    t, rss, n_ds, n_di, warnings, size = harvest(
                        platform, base, plan, want, tree, Path(tmp)
                    )
                label = "" if tree == ROOT else f" from {tree}"
                row(
                    platform,
                    f"odwatch harvest{label} ({n_ds:,} datasets, {n_di:,} distributions)",
                    n_ds,
                    t,
                    rss,
                    f"{t / tf:.1f}x time, {rss / rssf:.1f}x RSS",
                    f"{size:,.0f}",
                )
                if warnings:
                    print(f"|  | warnings: {warnings} | | | | | |", flush=True)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument(
        "--platform", nargs="+", choices=["opendatasoft", "dcat"], default=["opendatasoft", "dcat"]
    )
    ap.add_argument("--rounds", type=int, default=1, help="floor + odwatch pairs per platform")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument(
        "--also-tree",
        type=Path,
        nargs="*",
        default=[],
        help="also run `odwatch harvest` from these source trees (e.g. a `git archive` of an "
        "older commit), after this one, against the same server: before/after side by side",
    )
    args = ap.parse_args()
    print(
        "| platform | tool | wall s | peak RSS MB | datasets/s | ratio odwatch/floor "
        "| warehouse MB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for platform in args.platform:
        bench(platform, args.datasets, args.corpus, args.rounds, [ROOT, *args.also_tree])


if __name__ == "__main__":
    main()
