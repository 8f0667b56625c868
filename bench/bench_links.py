"""Benchmark the link checker: 20,000 URLs over 200 local hosts (ports on 127.0.0.1).

    .venv/bin/python bench/bench_links.py                 # the numbers in bench/README_links.md
    .venv/bin/python bench/bench_links.py --urls 2000     # a quicker run

1. Politeness lifted (no per-host rate): `odwatch check-links` end to end (plan, HEAD requests
   through the host pool, results into DuckDB) against a plain sequential `requests` loop
   over the same URLs, each in its own process so peak memory (max RSS) is its own.
2. Default politeness (2 requests/s and 2 at a time per host): the run time is bound by the
   limit, URLs per host / rate, not by odwatch.

The 200 hosts are one asyncio process answering HTTP/1.1 keep-alive on 200 ports, so the
server costs little CPU beside the client (the machine has 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# ------------------------------------------------------------------ the 200 hosts


async def _serve(n_hosts: int, delay: float = 0.0) -> None:
    body = b"a,b\n1,2\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method = head.split(b" ", 1)[0]
                if delay:
                    await asyncio.sleep(delay)
                payload = body if method == b"GET" else b""
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b'\r\nETag: "v1"\r\n\r\n'
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    servers = [
        await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256) for _ in range(n_hosts)
    ]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print(json.dumps(ports), flush=True)
    await asyncio.Event().wait()


def start_hosts(n_hosts: int, delay_ms: float = 0.0) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(n_hosts), "--delay-ms", str(delay_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ports = json.loads(proc.stdout.readline())
    return proc, ports


def make_urls(ports: list[int], n_urls: int) -> list[str]:
    """URLs interleaved over the hosts' ports: url i on host i % hosts."""
    return [f"http://127.0.0.1:{ports[i % len(ports)]}/files/{i}.csv" for i in range(n_urls)]


# ------------------------------------------------------------------ the two contenders


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_sequential(urls: list[str]) -> dict:
    import requests

    base = max_rss_mb()
    session = requests.Session()
    ok = 0
    t = time.perf_counter()
    for url in urls:
        r = session.head(url, timeout=10, allow_redirects=True)
        ok += r.status_code == 200
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "ok": ok, "rss_base_mb": base, "rss_peak_mb": max_rss_mb()}


def _snapshot(wh, urls: list[str]) -> None:
    """A harvested snapshot holding one distribution per URL (written directly)."""
    from datetime import UTC, datetime

    run_id = "bench-run"
    now = datetime.now(UTC)
    wh.con.execute(
        "INSERT INTO harvest_runs (run_id, portal_id, platform, api_url, started_at, finished_at, status) "
        "VALUES (?, 'bench', 'ckan', 'http://127.0.0.1', ?, ?, 'ok')",
        [run_id, now, now],
    )
    wh.add_records(
        "dataset_rows",
        [{"run_id": run_id, "portal_id": "bench", "dataset_id": "d", "license_raw": "cc-by"}],
    )
    wh.add_records(
        "distribution_rows",
        (
            {
                "run_id": run_id,
                "portal_id": "bench",
                "dataset_id": "d",
                "distribution_id": f"r{i}",
                "position": i,
                "url": u,
                "access_url": u,
                "format_raw": "CSV",
            }
            for i, u in enumerate(urls)
        ),
    )
    wh.con.execute("INSERT INTO snapshot_members VALUES (?, 'bench', 'd', ?)", [run_id, run_id])


def run_odwatch(urls: list[str], rate: float, concurrency: int, workers: int) -> dict:
    from flows.config import Portal
    from flows.links.check import LinkCheckOptions, check_links
    from warehouse.records import Warehouse

    os.environ["ODWATCH_ALLOW_PRIVATE_URLS"] = "1"
    with tempfile.TemporaryDirectory(prefix="odwatch-bench-") as tmp:
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        _snapshot(wh, urls)
        base = max_rss_mb()
        portal = Portal(
            id="bench", title="bench", city="-", platform="ckan", url="http://127.0.0.1"
        )
        opts = LinkCheckOptions(
            rate=rate, concurrency=concurrency, workers=workers, content_sample=0
        )
        t = time.perf_counter()
        summary = check_links(wh, [portal], opts)
        seconds = time.perf_counter() - t
        rows = wh.con.execute("SELECT count(*) FROM link_checks WHERE outcome = 'ok'").fetchone()[0]
        wh.close()
    return {
        "seconds": seconds,
        "ok": rows,
        "requests": summary.requests,
        "rss_base_mb": base,
        "rss_peak_mb": max_rss_mb(),
    }


def in_subprocess(kind: str, urls: list[str], **kw) -> dict:
    """Run one contender in a fresh interpreter, so max RSS is its own."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"kind": kind, "urls": urls, "kw": kw}, fh)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", fh.name],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(fh.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(path: str) -> None:
    spec = json.loads(Path(path).read_text())
    fn = run_sequential if spec["kind"] == "sequential" else run_odwatch
    print(json.dumps(fn(spec["urls"], **spec["kw"])))


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--urls", type=int, default=20000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--lifted-concurrency", type=int, default=4)
    ap.add_argument("--polite-per-host", type=int, nargs="+", default=[10, 20])
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--latency-urls", type=int, default=2000)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--delay-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.delay_ms / 1000))
        return
    if args.child:
        child(args.child)
        return

    proc, ports = start_hosts(args.hosts)
    try:
        urls = make_urls(ports, args.urls)
        print(f"{len(urls)} URLs over {len(ports)} local hosts; {os.cpu_count()} CPUs", flush=True)
        print("\n1. politeness lifted (no rate limit)")
        print(f"{'':34} {'seconds':>8} {'URLs/s':>8} {'peak RSS MB':>12} {'(after imports)':>16}")
        rows = [
            ("sequential requests.Session loop", in_subprocess("sequential", urls)),
            (
                f"odwatch check-links, {args.workers} workers",
                in_subprocess(
                    "odwatch",
                    urls,
                    rate=0,
                    concurrency=args.lifted_concurrency,
                    workers=args.workers,
                ),
            ),
        ]
        for name, r in rows:
            assert r["ok"] == len(urls), r
            print(
                f"{name:34} {r['seconds']:8.1f} {len(urls) / r['seconds']:8.0f} "
                f"{r['rss_peak_mb']:12.0f} {r['rss_base_mb']:16.0f}"
            )

        print("\n2. default politeness: 2 requests/s and 2 at a time per host")
        print(
            f"{'URLs':>6} {'per host':>9} {'bound (s)':>10} {'seconds':>8} {'URLs/s':>8} {'limit URLs/s':>13}"
        )
        for per_host in args.polite_per_host:
            n = per_host * len(ports)
            sub = make_urls(ports, n)
            r = in_subprocess("odwatch", sub, rate=2.0, concurrency=2, workers=args.workers)
            assert r["ok"] == n, r
            bound = (per_host - 1) / 2.0  # first request at once, then one every 0.5 s
            print(
                f"{n:6} {per_host:9} {bound:10.1f} {r['seconds']:8.1f} {n / r['seconds']:8.0f} "
                f"{len(ports) * 2.0:13.0f}"
            )
    finally:
        proc.terminate()
        proc.wait()

    if args.latency_urls:
        print(
            f"\n3. politeness lifted, every answer {args.latency_ms:g} ms late (like a real network)"
        )
        print(f"{'':34} {'seconds':>8} {'URLs/s':>8}")
        proc, ports = start_hosts(args.hosts, args.latency_ms)
        try:
            urls = make_urls(ports, args.latency_urls)
            for name, r in (
                ("sequential requests.Session loop", in_subprocess("sequential", urls)),
                (
                    f"odwatch check-links, {args.workers} workers",
                    in_subprocess(
                        "odwatch",
                        urls,
                        rate=0,
                        concurrency=args.lifted_concurrency,
                        workers=args.workers,
                    ),
                ),
            ):
                assert r["ok"] == len(urls), r
                print(f"{name:34} {r['seconds']:8.1f} {len(urls) / r['seconds']:8.0f}")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
