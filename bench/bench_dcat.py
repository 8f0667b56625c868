"""DCAT catalogue pages: odwatch's parse vs plain rdflib (load into a graph, query it).

1. Parse throughput, in process, pages in memory (no HTTP): for each recorded catalogue page,
   odwatch's `read_page` + `parse_dcat_dataset` (RDF/XML by its own reader, Turtle by rdflib)
   against rdflib's `Graph.parse` plus one SPARQL query for the fields the checks use, and
   against odwatch forced through rdflib (what the fast reader buys). Best of --repeat runs.
2. Memory across many pages: child processes harvest K synthetic Rostock pages (page 1's
   100 datasets again under new URIs, 1.9 MB each, generated on request by a local server)
   through `fetch_dcat` with Hydra paging, against plain rdflib loading the same K pages into
   one graph. Peak RSS of each child (os.wait4).

    python bench/bench_dcat.py [--corpus ../shared/corpus] [--repeat 3] [--pages 5 20 50]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.adapters import rdfpage  # noqa: E402
from flows.adapters.dcat_parse import parse_dcat_dataset  # noqa: E402

PAGES = [
    ("Rostock p.1 (RDF/XML)", "dcat/rostock/rostock-catalog-original-input.rdf", "xml"),
    ("Bremen (RDF/XML)", "dcat/bremen/bremen-catalog-original-input.rdf", "xml"),
    ("Destatis (RDF/XML)", "dcat/destatis/destatis-catalog-original-input.rdf", "xml"),
    ("opendata.swiss (Turtle)", "dcat/swiss/dcatap-ch_catalog.ttl", "turtle"),
]

QUERY = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX vcard: <http://www.w3.org/2006/vcard/ns#>
SELECT ?ds ?id ?title ?modified ?issued ?freq ?publisher ?email ?dist ?format ?license ?url
WHERE {
  ?ds a dcat:Dataset .
  OPTIONAL { ?ds dct:identifier ?id }
  OPTIONAL { ?ds dct:title ?title }
  OPTIONAL { ?ds dct:modified ?modified }
  OPTIONAL { ?ds dct:issued ?issued }
  OPTIONAL { ?ds dct:accrualPeriodicity ?freq }
  OPTIONAL { ?ds dct:publisher/foaf:name ?publisher }
  OPTIONAL { ?ds dcat:contactPoint/vcard:hasEmail ?email }
  OPTIONAL { ?ds dcat:distribution ?dist .
             OPTIONAL { ?dist dct:format ?format }
             OPTIONAL { ?dist dct:license ?license }
             OPTIONAL { ?dist dcat:accessURL ?url } }
}
"""


def odwatch(data: bytes, fmt: str) -> tuple[int, int]:
    page = rdfpage.read_page(data, fmt, "https://catalog.example/catalog")
    out = [parse_dcat_dataset(r, "p", "https://catalog.example", "r") for r in page.datasets]
    return len(out), sum(len(d) for _, d in out)


def odwatch_via_rdflib(data: bytes, fmt: str) -> tuple[int, int]:
    real = rdfpage.read_rdfxml

    def refuse(*a, **k):
        raise rdfpage.Unsupported("bench: use rdflib")

    rdfpage.read_rdfxml = refuse
    try:
        return odwatch(data, fmt)
    finally:
        rdfpage.read_rdfxml = real


def plain_rdflib(data: bytes, fmt: str) -> tuple[int, int]:
    from rdflib import Graph

    g = Graph()
    g.parse(data=data, format=fmt, publicID="https://catalog.example/catalog")
    datasets, dists = set(), set()
    for row in g.query(QUERY):
        datasets.add(row.ds)
        if row.dist is not None:
            dists.add(row.dist)
    return len(datasets), len(dists)


def best(fn, data, fmt, repeat) -> tuple[float, tuple[int, int]]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(data, fmt)
        times.append(time.perf_counter() - start)
    return min(times), result


def throughput(corpus: Path, repeat: int) -> None:
    print("| page | datasets | distributions | MB | odwatch ds/s | odwatch via rdflib ds/s "
          "| rdflib + SPARQL ds/s | speed-up |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, rel, fmt in PAGES:
        data = (corpus / rel).read_bytes()
        t_ow, (n, nd) = best(odwatch, data, fmt, repeat)
        t_via, _ = best(odwatch_via_rdflib, data, fmt, repeat)
        t_rdf, (n2, _) = best(plain_rdflib, data, fmt, repeat)
        assert n == n2, (label, n, n2)
        print(
            f"| {label} | {n} | {nd} | {len(data) / 1e6:.1f} | {n / t_ow:,.0f} | {n / t_via:,.0f} "
            f"| {n / t_rdf:,.0f} | {t_rdf / t_ow:.1f}x |",
            flush=True,
        )


# ---------------------------------------------------------------- many pages, memory


def synthetic_page(page1: bytes, number: int, last: int) -> bytes:
    """Rostock page 1 as page `number` of `last`: new dataset URIs and identifiers."""
    body = page1.replace(
        b"https://www.opendata-hro.de/dataset/",
        f"https://www.opendata-hro.de/dataset/p{number}-".encode(),
    )
    body = body.replace(b"<dct:identifier>", f"<dct:identifier>p{number}-".encode())
    body = re.sub(
        rb"<hydra:totalItems([^>]*)>\d+<", rb"<hydra:totalItems\1>%d<" % (last * 100), body
    )
    body = body.replace(
        b"catalog.rdf?page=3</hydra:lastPage>", b"catalog.rdf?page=%d</hydra:lastPage>" % last
    )
    if number < last:
        return body.replace(
            b"catalog.rdf?page=2</hydra:nextPage>",
            b"catalog.rdf?page=%d</hydra:nextPage>" % (number + 1),
        )
    return re.sub(rb"\s*<hydra:nextPage>[^<]*</hydra:nextPage>", b"", body)


def serve(page1: bytes, last: int) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            number = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            body = synthetic_page(page1, number, last)
            self.send_response(200)
            self.send_header("Content-Type", "application/rdf+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/catalog.rdf"


def child(kind: str, corpus: Path, pages: int) -> None:
    page1 = (corpus / "dcat/rostock/rostock-catalog-original-input.rdf").read_bytes()
    server, url = serve(page1, pages)
    import requests

    from flows.adapters.dcat import fetch_dcat
    from flows.adapters.http import make_session
    from flows.config import Portal

    start = time.perf_counter()
    if kind == "odwatch":
        portal = Portal(id="b", title="b", city="b", platform="dcat", url=url)
        n = nd = 0
        for batch in fetch_dcat(portal, make_session(per_host_rate=0), lambda r: None):
            for record in batch:
                _, dists = parse_dcat_dataset(record, "b", url, "r")
                n, nd = n + 1, nd + len(dists)
    else:  # the naive way: every page into one graph, then query
        from rdflib import Graph

        g = Graph()
        session = requests.Session()
        for number in range(1, pages + 1):
            g.parse(data=session.get(f"{url}?page={number}").content, format="xml")
        rows = {(r.ds, r.dist) for r in g.query(QUERY)}
        n, nd = len({ds for ds, _ in rows}), len({d for _, d in rows if d is not None})
    print(f"{n} {nd} {time.perf_counter() - start:.2f}")
    server.shutdown()


def run_child(kind: str, corpus: Path, pages: int) -> tuple[float, float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, "--corpus", str(corpus), "--pages", str(pages)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{kind} {pages} failed: {err[-2000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out.strip()


def memory(corpus: Path, page_counts: list[int], rdflib_max: int) -> None:
    print("| pages | datasets | tool | wall s | peak RSS MB |")
    print("|---:|---:|---|---:|---:|")
    for pages in page_counts:
        for kind in ("odwatch", "rdflib"):
            if kind == "rdflib" and pages > rdflib_max:
                continue
            wall, rss, out = run_child(kind, corpus, pages)
            n = int(out.split()[0])
            label = (
                "odwatch fetch_dcat + parse, page by page"
                if kind == "odwatch"
                else "rdflib: all pages in one graph + SPARQL"
            )
            print(f"| {pages} | {n:,} | {label} | {wall:.1f} | {rss:.0f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pages", type=int, nargs="+", default=[5, 20, 50])
    ap.add_argument("--rdflib-max-pages", type=int, default=20, help="rdflib's graph grows")
    ap.add_argument("--child", choices=["odwatch", "rdflib"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    # rdflib logs a traceback per literal it cannot convert (Bremen's dates): not measured
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)
    if args.child:
        child(args.child, corpus, args.pages[0])
        return
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    throughput(corpus, args.repeat)
    print()
    memory(corpus, args.pages, args.rdflib_max_pages)


if __name__ == "__main__":
    main()
