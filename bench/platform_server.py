"""Opendatasoft and paged DCAT catalogues of N datasets cloned from recorded ones, for benchmarks.

Runs as its own process (so the server does not share the harvester's CPU accounting), builds
every answer before it listens, and prints `ready <port>`.

    python bench/platform_server.py {opendatasoft,dcat} N [CORPUS_DIR]

opendatasoft: the Explore API v2.1 endpoints the adapter asks (`catalog/datasets` with
`order_by=dataset_id`, `limit` (at most 100) and `offset`, refusing `offset + limit >= 10000`
with the API's 400 as the reference says; `catalog/datasets/{id}/exports`). The datasets are
Potsdam's 10 recorded ones (its 2019 DCAT export, ../shared/corpus/opendatasoft/potsdam.ttl;
no recorded Explore JSON exists) laid out in the documented v2.1 shape, as
tests/test_opendatasoft_adapter.py does, cloned under new ids `00042-<id>` (so
`order_by=dataset_id` keeps clone order).

dcat: Rostock's recorded ckanext-dcat `catalog.rdf` page 1 (100 datasets, 1.9 MB of RDF/XML,
Hydra `PagedCollection` with `itemsPerPage` 100) as every page of a catalogue of N datasets
(N a multiple of 100): page k gets new dataset and distribution IRIs and identifiers
(`.../dataset/p<k>-<uuid>`), `totalItems` N, and `nextPage`/`lastPage` links on this server.

Bench hooks: `GET /_bench/plan` is the JSON list of the paths (with query) a harvester asks,
in order, by the rules the adapter documents; `GET /_bench/log` the paths asked since the
last `GET /_bench/reset`. A bench fetches the plan for its fetch floor and compares the log
of odwatch's harvest with it, so both fetched the same pages in the same order.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ODS_API = "/api/explore/v2.1/catalog/datasets"
ODS_LIMIT, ODS_WINDOW = 100, 10_000
ODS_PLAIN = ["csv", "json", "jsonl", "jsonld", "n3", "parquet", "rdfxml", "turtle", "xlsx"]
ODS_GEO = sorted(ODS_PLAIN + ["fgb", "geojson", "gpx", "kml", "ov2", "shp"])
DCAT_PATH = "/catalog.rdf"
DCAT_PAGE = 100  # Rostock's itemsPerPage
ROSTOCK = "dcat/rostock/rostock-catalog-original-input.rdf"
ROSTOCK_SITE = b"https://www.opendata-hro.de"


# ---------------------------------------------------------------- Opendatasoft


def potsdam_as_explore(corpus: Path) -> list[dict]:
    """Potsdam's 10 recorded datasets as Explore API v2.1 dataset objects (recorded ids,
    titles, descriptions, keywords, themes, publisher, licence; geo if it exports geojson)."""
    from rdflib import Graph
    from rdflib import namespace as rns

    g = Graph()
    g.parse(corpus / "opendatasoft" / "potsdam.ttl", format="turtle")
    dct, dcat = rns.DCTERMS, rns.DCAT
    out = []
    for s in sorted(g.subjects(rns.RDF.type, dcat.Dataset)):
        ident = str(g.value(s, dct.identifier))
        dists = list(g.objects(s, dcat.distribution))
        formats = sorted(str(g.value(d, dct.format)) for d in dists)
        publisher = g.value(g.value(s, dct.publisher), rns.RDFS.label)
        themes = sorted(unquote(str(t).rsplit("/", 1)[1]) for t in g.objects(s, dcat.theme))
        geo = "geojson" in formats
        out.append(
            {
                "dataset_id": ident,
                "dataset_uid": "",
                "attachments": [],
                "has_records": True,
                "data_visible": True,
                "features": ["analyze", "geo"] if geo else ["analyze"],
                "fields": [],
                "metas": {
                    "default": {
                        "title": str(g.value(s, dct.title)),
                        "description": str(g.value(s, dct.description)),
                        "keyword": sorted(str(k) for k in g.objects(s, dcat.keyword)) or None,
                        "theme": themes,
                        "publisher": str(publisher),
                        "license": str(g.value(dists[0], dct.license)),
                    }
                },
            }
        )
    return out


class Opendatasoft:
    def __init__(self, n: int, corpus: Path):
        bases = potsdam_as_explore(corpus)
        self.n = n
        self.datasets: list[dict] = []
        for i in range(n):
            ds = json.loads(json.dumps(bases[i % len(bases)]))
            ds["dataset_id"] = f"{i:05d}-{ds['dataset_id']}"
            ds["dataset_uid"] = f"da_{i:06x}"
            self.datasets.append(ds)
        self.encoded = [json.dumps(ds, ensure_ascii=False).encode() for ds in self.datasets]
        self.by_id = {ds["dataset_id"]: ds for ds in self.datasets}

    def plan(self) -> list[str]:
        """What fetch_opendatasoft asks for a full harvest: pages of 100 by dataset_id below
        the 10,000 window, and one exports request per kind (plain, geo) at the first dataset
        of that kind."""
        out, kinds, offset = [], set(), 0
        while offset < self.n:
            size = min(ODS_LIMIT, ODS_WINDOW - 1 - offset)
            if size <= 0:
                break
            out.append(f"{ODS_API}?order_by=dataset_id&limit={size}&offset={offset}")
            for ds in self.datasets[offset : offset + size]:
                geo = "geo" in ds["features"]
                if ds["has_records"] and geo not in kinds:
                    kinds.add(geo)
                    out.append(f"{ODS_API}/{ds['dataset_id']}/exports")
            offset += size
        return out

    def answer(self, path: str, q: dict[str, str], base: str) -> tuple[int, str, bytes]:
        if path == ODS_API:
            limit, offset = int(q.get("limit", 10)), int(q.get("offset", 0))
            if limit > ODS_LIMIT or offset + limit >= ODS_WINDOW:
                return _json(400, {"error_code": "InvalidRESTParameterError", "message": "limit"})
            rows = b",".join(self.encoded[offset : offset + limit])
            body = b'{"total_count": %d, "results": [%s]}' % (self.n, rows)
            return 200, "application/json; charset=utf-8", body
        m = re.fullmatch(re.escape(ODS_API) + r"/([^/]+)/exports", path)
        ds = self.by_id.get(unquote(m.group(1))) if m else None
        if ds is None:
            return _json(404, {"error_code": "DatasetNotFound", "message": "Unknown dataset"})
        href = f"{base}{ODS_API}/{ds['dataset_id']}/exports"
        formats = ODS_GEO if "geo" in ds["features"] else ODS_PLAIN
        links = [{"rel": "self", "href": href}] + [
            {"rel": f, "href": f"{href}/{f}"} for f in formats
        ]
        return _json(200, {"links": links})


def _json(status: int, doc) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(doc).encode()


# ---------------------------------------------------------------- DCAT, Hydra-paged


def dcat_page(page1: bytes, number: int, last: int, total: int, base: str) -> bytes:
    """Rostock's page 1 as page `number` of `last`: new dataset IRIs and identifiers, the
    Hydra counts and links of this catalogue on this server."""
    body = page1.replace(ROSTOCK_SITE + b"/dataset/", ROSTOCK_SITE + b"/dataset/p%d-" % number)
    body = body.replace(b"<dct:identifier>", b"<dct:identifier>p%d-" % number)
    body = re.sub(rb"(<hydra:totalItems[^>]*>)\d+<", rb"\g<1>%d<" % total, body)
    here = f"{base}{DCAT_PATH}?page=".encode()
    body = body.replace(ROSTOCK_SITE + b"/catalog.rdf?page=", here)
    body = body.replace(here + b"1", here + b"%d" % number)  # rdf:about and firstPage
    body = body.replace(b"%s%d</hydra:firstPage>" % (here, number), here + b"1</hydra:firstPage>")
    body = body.replace(here + b"3</hydra:lastPage>", here + b"%d</hydra:lastPage>" % last)
    if number < last:
        return body.replace(
            here + b"2</hydra:nextPage>", here + b"%d</hydra:nextPage>" % (number + 1)
        )
    return re.sub(rb"\s*<hydra:nextPage>[^<]*</hydra:nextPage>", b"", body)


class Dcat:
    def __init__(self, n: int, corpus: Path):
        if n % DCAT_PAGE:
            raise SystemExit(f"dcat: N must be a multiple of {DCAT_PAGE} (the recorded page)")
        self.page1 = (corpus / ROSTOCK).read_bytes()
        self.n, self.last = n, n // DCAT_PAGE
        self.pages: list[bytes] = []

    def build(self, base: str) -> None:
        self.pages = [
            dcat_page(self.page1, k, self.last, self.n, base) for k in range(1, self.last + 1)
        ]

    def plan(self) -> list[str]:
        """What fetch_dcat asks: the catalogue URL, then each hydra:nextPage."""
        return [DCAT_PATH] + [f"{DCAT_PATH}?page={k}" for k in range(2, self.last + 1)]

    def answer(self, path: str, q: dict[str, str], base: str) -> tuple[int, str, bytes]:
        number = int(q.get("page", 1))
        if path != DCAT_PATH or not 1 <= number <= self.last:
            return 404, "text/html", b"<html><body>Not Found</body></html>"
        return 200, "application/rdf+xml; charset=utf-8", self.pages[number - 1]


# ---------------------------------------------------------------- the server


def serve(platform: str, n: int, corpus: Path) -> None:
    catalogue = Opendatasoft(n, corpus) if platform == "opendatasoft" else Dcat(n, corpus)
    log: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # headers and body go out in two writes: without this, Nagle + delayed ACK
            # add ~40 ms to every keep-alive request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self):  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path == "/_bench/plan":
                status, ctype, body = _json(200, catalogue.plan())
            elif parts.path == "/_bench/log":
                with lock:
                    status, ctype, body = _json(200, log)
            elif parts.path == "/_bench/reset":
                with lock:
                    log.clear()
                status, ctype, body = _json(200, [])
            else:
                with lock:
                    log.append(self.path)
                q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status, ctype, body = catalogue.answer(parts.path, q, base)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    if isinstance(catalogue, Dcat):
        catalogue.build(base)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("opendatasoft", "dcat"):
        raise SystemExit(__doc__.split("\n\n")[2])
    serve(
        sys.argv[1],
        int(sys.argv[2]),
        Path(sys.argv[3] if len(sys.argv) > 3 else "../shared/corpus"),
    )
