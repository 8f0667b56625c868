"""Assess a 100,000-dataset / 1,000,000-distribution snapshot: set-based SQL vs a Python loop.

    .venv/bin/python bench/bench_assess.py                      # the numbers in bench/README_assess.md
    .venv/bin/python bench/bench_assess.py --clones 13          # ~10k datasets, quicker

1. build: the 800 recorded dados.gov.br packages (8,006 resources) go through the real CKAN
   parser, then are cloned `--clones` times with new dataset/distribution ids, a distinct host
   per clone in every URL, modification dates shifted by the clone number (so dates are as
   distinct as in a real catalogue) and a declared frequency from a small mix. Records go in
   as one snapshot through Warehouse.add_records (NDJSON -> read_json), raw JSON left out.
2. assess: `flows.assess.assess_run` on that snapshot in its own process: wall time per phase
   and peak RSS (os.wait4), once without and once with the Great Expectations suites.
3. loop: `checks.metadata.assess_records` (the same checks, one dataset at a time in Python)
   on the first `--loop-datasets` datasets in its own process; its time is extrapolated
   linearly to the whole snapshot, and the records are fetched before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SNAPSHOT_AT = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
FREQUENCIES = (
    None,
    "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
    "MONTHLY",
    "täglich",
    "IRREG",
    "mensal",
    None,
    "R/P1W",
)


def build(path: str, corpus: str, clones: int) -> None:
    from checks.freshness import parse_date
    from flows.adapters.ckan_parse import parse_package
    from flows.config import Portal
    from warehouse.records import Warehouse

    page = json.loads(
        (Path(corpus) / "ckan/dados-gov-br/catalog_check_ignore_packages__0.json").read_text()
    )
    base_ds, base_di = [], []
    for pkg in page["result"]["results"]:
        ds, dists = parse_package(pkg, "big", "https://dados.example", "")
        ds["raw"] = None
        base_ds.append(ds)
        for d in dists:
            d["raw"] = None
            base_di.append(d)
    modified = [parse_date(d["modified"]) for d in base_ds]

    def with_host(url: str | None, i: int) -> str | None:
        return url.replace("://", f"://c{i}.", 1) if url else url

    with Warehouse(path) as wh:
        portal = Portal(
            id="big", title="big", city="big", platform="ckan", url="https://dados.example"
        )
        run_id = wh.begin_run(portal, SNAPSHOT_AT)

        def datasets():
            for i in range(clones):
                for k, d in enumerate(base_ds):
                    m = modified[k]
                    yield d | {
                        "run_id": run_id,
                        "dataset_id": f"{d['dataset_id']}-{i}",
                        "modified": (m + timedelta(minutes=i)).isoformat() if m else d["modified"],
                        "frequency_raw": FREQUENCIES[(k + i) % len(FREQUENCIES)],
                    }

        def distributions():
            for i in range(clones):
                for d in base_di:
                    yield d | {
                        "run_id": run_id,
                        "dataset_id": f"{d['dataset_id']}-{i}",
                        "distribution_id": f"{d['distribution_id']}-{i}",
                        "url": with_host(d["url"], i),
                        "access_url": with_host(d["access_url"], i),
                        "download_url": with_host(d["download_url"], i),
                    }

        n_ds = wh.add_records("dataset_rows", datasets())
        n_di = wh.add_records("distribution_rows", distributions())
        wh.finish_run(run_id, method="bench", expected_count=n_ds, request_count=0, warnings=[])
    print(json.dumps({"run_id": run_id, "datasets": n_ds, "distributions": n_di}))


def assess(path: str, run_id: str, expectations: bool, memory_limit: str) -> None:
    import duckdb

    from flows.assess import assess_run
    from warehouse.store import schema_files

    con = duckdb.connect(path)
    if memory_limit != "default":
        con.execute(f"SET memory_limit = '{memory_limit}'")
    for sql in schema_files():
        con.execute(sql.read_text())
    started = time.perf_counter()
    result = assess_run(con, run_id, expectations=expectations)
    total = time.perf_counter() - started
    con.close()
    print(
        json.dumps(
            {
                "seconds": total,
                "phases": result.phases,
                "findings": result.findings,
                "points": result.points,
                "gx": result.gx_success,
            }
        )
    )


def loop(path: str, run_id: str, n: int) -> None:
    import duckdb

    from checks.reference import assess_records

    con = duckdb.connect(path, read_only=True)
    now = con.execute("SELECT started_at FROM harvest_runs WHERE run_id = ?", [run_id]).fetchone()[
        0
    ]
    ids = [r[0] for r in con.execute(
        "SELECT dataset_id FROM datasets WHERE run_id = ? ORDER BY dataset_id LIMIT ?", [run_id, n]
    ).fetchall()]  # fmt: skip
    con.execute("CREATE TEMP TABLE pick AS SELECT unnest(?::VARCHAR[]) AS dataset_id", [ids])

    def rows(table: str) -> list[dict]:
        cur = con.execute(
            f"SELECT t.* EXCLUDE (raw) FROM {table} t JOIN pick USING (dataset_id) WHERE run_id = ?",
            [run_id],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    started = time.perf_counter()
    datasets, distributions = rows("datasets"), rows("distributions")
    fetched = time.perf_counter() - started
    started = time.perf_counter()
    ref = assess_records(datasets, distributions, now)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "fetch_seconds": fetched,
                "datasets": len(datasets),
                "distributions": len(distributions),
                "findings": len(ref.findings),
            }
        )
    )


def child(args: list[str]) -> tuple[dict, float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{args[0]} failed: {err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--clones", type=int, default=125, help="copies of the 800 datasets (125: 100,000)"
    )
    ap.add_argument("--loop-datasets", type=int, default=10_000)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--write", metavar="FILE", help="also write the Markdown table here")
    ap.add_argument("cmd", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cmd:  # a child process
        name, *rest = args.cmd
        if name == "build":
            build(rest[0], args.corpus, int(rest[1]))
        elif name == "assess":
            assess(rest[0], rest[1], rest[2] == "gx", rest[3])
        elif name == "loop":
            loop(rest[0], rest[1], int(rest[2]))
        return

    lines = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory(prefix="odwatch-bench-") as tmp:
        path = str(Path(tmp) / "big.duckdb")
        info, build_wall, build_rss = child(
            ["build", path, str(args.clones), "--corpus", args.corpus]
        )
        n_ds, n_di = info["datasets"], info["distributions"]
        out(
            f"Snapshot: {n_ds:,} datasets, {n_di:,} distributions (dados.gov.br x {args.clones}); "
            f"built in {build_wall:.0f} s."
        )
        out()
        out("| run | s | peak RSS MB | phases (s) | findings |")
        out("|---|---:|---:|---|---:|")
        runs = {}
        for label, gx, limit in (
            ("set-based SQL", "nogx", "default"),
            ("set-based SQL + GX suites", "gx", "default"),
            ("set-based SQL, DuckDB memory_limit 2GB", "nogx", "2GB"),
            # what `odwatch run` / `odwatch serve` assess with: the writer's 1GB default cap
            ("set-based SQL + GX suites, memory_limit 1GB (odwatch's default)", "gx", "1GB"),
        ):
            res, _, rss = child(["assess", path, info["run_id"], gx, limit])
            runs[label] = res
            phases = ", ".join(f"{k} {v:.1f}" for k, v in res["phases"].items())
            out(f"| {label} | {res['seconds']:.1f} | {rss:.0f} | {phases} | {res['findings']:,} |")
        lp, _, lp_rss = child(["loop", path, info["run_id"], str(args.loop_datasets)])
        scale = n_ds / lp["datasets"]
        out(
            f"| Python loop (checks.reference), {lp['datasets']:,} datasets / "
            f"{lp['distributions']:,} distributions, records already in memory | {lp['seconds']:.1f} | "
            f"{lp_rss:.0f} | fetching them took {lp['fetch_seconds']:.1f}, not counted | {lp['findings']:,} |"
        )
        loop_all = lp["seconds"] * scale
        out(f"| Python loop, x{scale:.0f} to the whole snapshot (linear) | ~{loop_all:.0f} | | | |")
        out()
        sql = runs["set-based SQL"]
        checks = sum(v for k, v in sql["phases"].items() if k != "write")
        out(
            f"Same work (read the snapshot, classify, run every rule, compute the findings with their "
            f"evidence and points lost; no writing): set-based {checks:.1f} s vs per-dataset loop ~{loop_all:.0f} s, "
            f"**{loop_all / checks:.1f}x**. With writing the {sql['findings']:,} findings and the "
            f"scores: {sql['seconds']:.1f} s, {loop_all / sql['seconds']:.1f}x the loop's checks alone."
        )
    if args.write:
        Path(args.write).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
