"""A CKAN catalogue of N datasets cloned from the 800 real corpus records, for benchmarks.

Runs as its own process (so the server does not share the harvester's CPU core or memory
accounting). Datasets are pre-encoded JSON strings; package_search pages, package_list and
package_show are answered by joining them. Prints `ready <port>` when it listens.

    python bench/catalogue_server.py N [CORPUS_DIR] [--spread-modified] [--latency-ms MS]

With --spread-modified, dataset i was last modified i minutes after 2020-01-01 (instead of
its corpus record's date) and package_search honours fq=metadata_modified:[T TO *], as an
incremental harvest asks. With --latency-ms, every answer waits that long first (a server
far away; requests in parallel wait side by side). Any path prefix before the action is
the portal: one server stands in for many portals (http://host:port/p01, /p02 ...), each
with datasets of its own (ids, names and titles begin "p01-", URLs' hosts "p01."), as
different cities' portals hold different datasets. Without a prefix the catalogue is the
plain clone.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def modified_at(i: int) -> str:
    return (datetime(2020, 1, 1) + timedelta(minutes=i)).isoformat()


def clone_catalogue(n: int, corpus: Path, spread_modified: bool = False) -> list[tuple[str, str]]:
    page = json.loads(
        (corpus / "ckan/dados-gov-br/catalog_check_ignore_packages__0.json").read_text()
    )
    bases = [json.dumps(p) for p in page["result"]["results"]]
    out = []
    for i in range(n):
        pkg = json.loads(bases[i % len(bases)])
        pkg["id"] = f"{ID}{i:08d}-{pkg['id'][9:]}"
        pkg["name"] = f"{ID}{pkg['name']}-{i}"
        if isinstance(pkg.get("title"), str):
            pkg["title"] = ID + pkg["title"]
        if isinstance(pkg.get("url"), str):
            pkg["url"] = pkg["url"].replace("://", f"://{HOST}", 1)
        pkg["metadata_created"] = f"2020-01-01T00:00:00.{i:06d}"
        if spread_modified:
            pkg["metadata_modified"] = modified_at(i)
        for r in pkg.get("resources", []):
            r["id"] = f"{ID}{i:08d}-{r['id'][9:]}"
            r["package_id"] = pkg["id"]
            if isinstance(r.get("url"), str):
                r["url"] = r["url"].replace("://", f"://{HOST}", 1)
        out.append((pkg["name"], json.dumps(pkg)))
    return out


# stand-ins in the encoded datasets for the portal's prefix (see portal_text)
ID, HOST = "~I~", "~H~"


def portal_text(text: str, prefix: str) -> str:
    """The encoded datasets as the portal at `prefix` ("p01", or "" for none) serves them."""
    return text.replace(ID, f"{prefix}-" if prefix else "").replace(
        HOST, f"{prefix}." if prefix else ""
    )


def serve(n: int, corpus: Path, spread_modified: bool = False, latency: float = 0.0) -> None:
    items = clone_catalogue(n, corpus, spread_modified)
    modified = [modified_at(i) for i in range(n)] if spread_modified else None
    by_name = {name: body for name, body in items}
    bodies = [body for _, body in items]
    names = json.dumps([name for name, _ in items])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # headers and body go out in two writes: without this, Nagle + delayed ACK
            # add ~40 ms to every keep-alive request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):  # noqa: N802  (ckanapi's default: JSON body)
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length) or b"{}")
            self.answer(urlsplit(self.path), {k: str(v) for k, v in data.items()})

        def do_GET(self):  # noqa: N802
            parts = urlsplit(self.path)
            self.answer(parts, {k: v[-1] for k, v in parse_qs(parts.query).items()})

        def answer(self, parts, q):
            if latency:
                time.sleep(latency)
            action = parts.path.rsplit("/", 1)[-1]
            prefix = parts.path.split("/api/", 1)[0].strip("/").replace("/", "-")
            status = 200
            if action == "package_search":
                start, rows = int(q.get("start", 0)), min(1000, int(q.get("rows", 10)))
                m = re.search(r"metadata_modified:\[(\S+) TO \*\]", q.get("fq", ""))
                chosen = bodies
                if m and modified is not None:
                    since = m.group(1).rstrip("Z")
                    chosen = [b for b, t in zip(bodies, modified, strict=True) if t >= since]
                page = ",".join(chosen[start : start + rows])
                body = f'{{"help": "", "success": true, "result": {{"count": {len(chosen)}, "sort": "", "results": [{portal_text(page, prefix)}]}}}}'

            elif action == "package_list":
                body = f'{{"help": "", "success": true, "result": {portal_text(names, prefix)}}}'
            elif (
                action == "package_show"
                and (key := ID + str(q.get("id")).removeprefix(f"{prefix}-" if prefix else ""))
                in by_name
            ):
                body = f'{{"help": "", "success": true, "result": {portal_text(by_name[key], prefix)}}}'

            else:
                status, body = (
                    404,
                    '{"success": false, "error": {"__type": "Not Found Error", "message": "nf"}}',
                )
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    argv = sys.argv[1:]
    latency_ms = 0.0
    if "--latency-ms" in argv:
        at = argv.index("--latency-ms")
        latency_ms = float(argv[at + 1])
        del argv[at : at + 2]
    args = [a for a in argv if not a.startswith("--")]
    serve(
        int(args[0]),
        Path(args[1] if len(args) > 1 else "../shared/corpus"),
        spread_modified="--spread-modified" in argv,
        latency=latency_ms / 1000,
    )
