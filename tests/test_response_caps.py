"""Response caps: a hostile or broken portal cannot exhaust memory (issue 14).

A local server answers every request with one fault: a gzip bomb (1 GB of spaces, ~1 MB on
the wire), an oversized plain JSON page, an endless chunked stream, JSON nested 100,000
deep. Each harvest runs in a child process (a wrapper around `harvest_portal`, the function
`odwatch run`'s task calls) that prints every result line and its own peak RSS
(`resource.getrusage`), and exits as `odwatch run` does: 3 when a portal failed. The test
then checks the one-line message, the exit code, the peak RSS, the raw evidence (at most the
cap) and that the earlier good snapshot of the portal is still its latest.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from flows.adapters.http import MB, make_session
from flows.adapters.rdfpage import load_index, read_page
from flows.cli import EXIT_PORTAL_FAILED
from flows.config import DEFAULT_MAX_RESPONSE_MB, Portal
from flows.demo.httpserve import LocalServer
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse
from warehouse.store import stored_pages

ROOT = Path(__file__).resolve().parents[1]
MAX_RSS_MB = 400
PACKAGE = {"id": "p1", "name": "p1", "title": "One", "resources": []}
JSON_HEAD = b'{"success": true, "result": {"count": 1, "results": [{"name": "x", "notes": "'

CHILD = r"""
import resource, sys
from flows.adapters.http import make_session
from flows.cli import EXIT_OK, EXIT_PORTAL_FAILED
from flows.config import load_portals
from flows.harvest import harvest_portal
from warehouse.records import Warehouse

portals = load_portals(sys.argv[1])
with Warehouse(sys.argv[2]) as wh:
    results = [harvest_portal(p, wh, make_session(per_host_rate=0)) for p in portals]
for r in results:
    print(r.line(), flush=True)
print("ru_maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
try:  # this process image's own peak: ru_maxrss keeps the forking parent's peak across exec
    with open("/proc/self/status") as f:
        print("maxrss_kb", next(l.split()[1] for l in f if l.startswith("VmHWM:")), flush=True)
except (OSError, StopIteration):
    print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
sys.exit(EXIT_OK if all(r.status == "ok" for r in results) else EXIT_PORTAL_FAILED)
"""


class Hostile(LocalServer):
    """Answers every GET with `self.mode`'s fault, streamed: never held in memory."""

    methods = ("GET",)
    poll_interval = 0.05

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        h.close_connection = True
        try:
            getattr(self, f"_{self.mode}")(h)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: good
            pass

    @staticmethod
    def _start(h: BaseHTTPRequestHandler, content_type: str, headers: dict[str, str]) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()

    def _bomb(self, h: BaseHTTPRequestHandler) -> None:
        # 1024 gzip members of 1 MiB of spaces each (a valid gzip stream: members concatenate)
        member = gzip.compress(b" " * MB, 9)
        first = gzip.compress(JSON_HEAD, 9)
        n = 1024
        self._start(
            h,
            "application/json",
            {"Content-Encoding": "gzip", "Content-Length": str(len(first) + n * len(member))},
        )
        h.wfile.write(first)
        for _ in range(n):
            h.wfile.write(member)

    def _big(self, h: BaseHTTPRequestHandler) -> None:
        # several hundred MB of valid JSON, declared up front
        chunk, n = b"a" * MB, 400
        tail = b'"}]}}'
        self._start(
            h,
            "application/json",
            {"Content-Length": str(len(JSON_HEAD) + n * len(chunk) + len(tail))},
        )
        h.wfile.write(JSON_HEAD)
        for _ in range(n):
            h.wfile.write(chunk)
        h.wfile.write(tail)

    def _endless(self, h: BaseHTTPRequestHandler) -> None:
        self._start(h, "application/json", {"Transfer-Encoding": "chunked"})
        h.wfile.write(b"%x\r\n%s\r\n" % (len(JSON_HEAD), JSON_HEAD))
        chunk = b"a" * (256 * 1024)
        frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        for _ in range(100_000):  # ~25 GB; the client must stop long before
            h.wfile.write(frame)

    def _laughs(self, h: BaseHTTPRequestHandler) -> None:
        # "billion laughs": 10 levels of 10 references, ~3 GB once expanded, 1 KB here
        dtd = b'<!ENTITY lol0 "lollollollollollollollollollol">\n'
        for i in range(1, 11):
            dtd += b'<!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10)
        body = (
            b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + dtd + b"]>\n"
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="http://www.w3.org/ns/dcat#">'
            b'<dcat:Catalog rdf:about="http://x/c"><dct:title>&lol10;</dct:title></dcat:Catalog>'
            b"</rdf:RDF>"
        )
        self._start(h, "application/rdf+xml", {"Content-Length": str(len(body))})
        h.wfile.write(body)

    def _deep(self, h: BaseHTTPRequestHandler) -> None:
        body = b"[" * 100_000 + b"]" * 100_000
        self._start(h, "application/json", {"Content-Length": str(len(body))})
        h.wfile.write(body)


def _portal_yaml(url: str, extra: str = "", platform: str = "ckan") -> str:
    return (
        "portals:\n  - id: hostile\n    title: Hostile\n    city: Nowhere\n"
        f"    platform: {platform}\n    url: {url}\n    full_every: 1\n{extra}"
    )


def _good_snapshot(path: Path) -> str:
    """A good harvest of the portal id first, in this process: its run id."""
    with LocalPortal([PACKAGE]) as server, Warehouse(path) as wh:
        portal = Portal(
            id="hostile", title="Hostile", city="Nowhere", platform="ckan", url=server.url
        )
        result = harvest_portal(portal, wh, make_session(per_host_rate=0))
    assert result.status == "ok", result.line()
    return result.run_id


def _harvest_child(
    tmp_path: Path, mode: str, extra: str = "", platform: str = "ckan"
) -> tuple[int, str, float, Path]:
    """Good snapshot, then the hostile harvest in a child: (exit code, output, peak RSS MB)."""
    warehouse = tmp_path / "w.duckdb"
    good = _good_snapshot(warehouse)
    with Hostile(mode) as server:
        portals = tmp_path / "portals.yaml"
        portals.write_text(_portal_yaml(server.url, extra, platform), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(portals), str(warehouse)],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
            cwd=ROOT,
        )
    out = proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    rss = [line for line in out.splitlines() if line.startswith("maxrss_kb ")]
    assert rss, (out, proc.stderr[-3000:])
    peak_mb = int(rss[0].split()[1]) / 1024
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        latest = con.execute(
            "SELECT run_id FROM harvest_runs WHERE portal_id = 'hostile' AND status = 'ok' "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        failed = con.execute(
            "SELECT run_id, error FROM harvest_runs WHERE portal_id = 'hostile' "
            "AND status = 'failed'"
        ).fetchall()
        pages = [row[4] for row in stored_pages(con, failed[0][0])]
    finally:
        con.close()
    assert latest == (good,), "the earlier good snapshot must stay the latest"
    assert len(failed) == 1
    message = failed[0][1]
    assert "\n" not in message
    tmp_path.joinpath("evidence.txt").write_text(
        "\n".join(str(len(body.encode())) for body in pages)
    )
    print(f"{mode}: exit {proc.returncode}, peak RSS {peak_mb:.0f} MB; {message}")
    return proc.returncode, out, peak_mb, tmp_path / "evidence.txt"


def _one_failed_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith("hostile: ")]
    assert len(lines) == 1, out
    assert "FAILED" in lines[0], lines[0]
    return lines[0]


def _evidence_sizes(path: Path) -> list[int]:
    return [int(n) for n in path.read_text().split()]


def test_gzip_bomb_stops_at_the_cap_and_is_named(tmp_path):
    code, out, peak_mb, evidence = _harvest_child(tmp_path, "bomb")
    line = _one_failed_line(out)
    cap = DEFAULT_MAX_RESPONSE_MB["ckan"]
    assert code == EXIT_PORTAL_FAILED
    assert "/api/3/action/package_search" in line
    assert f"response too large: more than {cap} MB" in line
    assert "bytes on the wire (ratio " in line and "decompression bomb" in line
    assert f"'max_response_mb: {cap * 2}'" in line and "portals.yaml" in line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"
    sizes = _evidence_sizes(evidence)  # the raw page kept up to the cap, no further
    assert sizes and max(sizes) <= cap * MB and max(sizes) > cap * MB // 2


def test_oversized_plain_page_fails_with_the_setting_to_raise(tmp_path):
    code, out, peak_mb, evidence = _harvest_child(tmp_path, "big", "    max_response_mb: 16\n")
    line = _one_failed_line(out)
    assert code == EXIT_PORTAL_FAILED
    assert "response too large: more than 16 MB" in line
    assert "on the wire" not in line  # plain JSON: no decompression ratio to name
    assert "'max_response_mb: 32' for this portal in portals.yaml" in line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"
    assert max(_evidence_sizes(evidence)) <= 16 * MB


def test_endless_chunked_stream_stops_at_the_cap(tmp_path):
    code, out, peak_mb, _ = _harvest_child(tmp_path, "endless", "    max_response_mb: 8\n")
    line = _one_failed_line(out)
    assert code == EXIT_PORTAL_FAILED
    assert "response too large: more than 8 MB" in line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"


def test_deeply_nested_json_is_named_not_a_recursion_traceback(tmp_path):
    code, out, peak_mb, _ = _harvest_child(tmp_path, "deep")
    line = _one_failed_line(out)
    assert code == EXIT_PORTAL_FAILED
    assert "JSON nested too deeply to parse" in line
    assert "internal error" not in line and "RecursionError" not in line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"


def test_deep_json_in_data_json_is_named(tmp_path):
    code, out, peak_mb, _ = _harvest_child(tmp_path, "deep", platform="datajson")
    line = _one_failed_line(out)
    assert code == EXIT_PORTAL_FAILED
    assert "JSON nested too deeply to parse" in line, line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"


def test_dcat_gzip_bomb_is_capped_too(tmp_path):
    code, out, peak_mb, _ = _harvest_child(tmp_path, "bomb", platform="dcat")
    line = _one_failed_line(out)
    assert code == EXIT_PORTAL_FAILED
    assert f"response too large: more than {DEFAULT_MAX_RESPONSE_MB['dcat']} MB" in line
    assert "decompression bomb" in line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"


def test_xml_entity_expansion_fails_the_page_clearly(tmp_path):
    code, out, peak_mb, _ = _harvest_child(tmp_path, "laughs", platform="dcat")
    line = _one_failed_line(out)
    assert code == EXIT_PORTAL_FAILED
    assert "not a readable xml page (the page declares XML entities" in line, line
    assert "never expands XML entities" in line
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"


def test_a_small_internal_entity_is_refused_too():
    """Not only the amplification expat limits: no entity is ever resolved."""
    doc = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY t "Titel">]>\n'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="http://www.w3.org/ns/dcat#">'
        b'<dcat:Dataset rdf:about="http://x/d"><dct:title>&t;</dct:title></dcat:Dataset>'
        b"</rdf:RDF>"
    )
    with pytest.raises(ValueError, match="declares XML entities"):
        read_page(doc, "xml", "http://x/")
    # the same page without the DOCTYPE reads fine
    plain = doc.replace(b'<!DOCTYPE rdf:RDF [<!ENTITY t "Titel">]>\n', b"").replace(
        b"&t;", b"Titel"
    )
    assert len(read_page(plain, "xml", "http://x/").datasets) == 1


@pytest.mark.parametrize("cap_mb", [1])
def test_read_capped_returns_bodies_under_the_cap(tmp_path, cap_mb):
    """Below the cap nothing changes: a normal page is harvested as before."""
    with LocalPortal([PACKAGE]) as server, Warehouse(tmp_path / "w.duckdb") as wh:
        portal = Portal(
            id="small", title="t", city="c", platform="ckan", url=server.url, max_response_mb=cap_mb
        )
        result = harvest_portal(portal, wh, make_session(per_host_rate=0))
    assert result.status == "ok" and result.datasets == 1, result.line()


@pytest.mark.prefect
def test_odwatch_run_against_a_gzip_bomb_says_one_line_and_exits_3(tmp_path, prefect_api):
    """The same through the real command: `odwatch run` in a child, on the session's Prefect
    server; its own exit code, its own one line, the earlier snapshot still the latest."""
    warehouse = tmp_path / "w.duckdb"
    good = _good_snapshot(warehouse)
    with Hostile("bomb") as server:
        portals = tmp_path / "portals.yaml"
        portals.write_text(_portal_yaml(server.url), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        env.update(PREFECT_API_URL=prefect_api, PREFECT_HOME=str(tmp_path / "prefect-home"))
        proc = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "--portals", str(portals)]
            + ["--warehouse", str(warehouse), "--site", str(tmp_path / "site")]
            + ["--retries", "0"],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
            cwd=ROOT,
        )
    assert proc.returncode == EXIT_PORTAL_FAILED, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    said = [line for line in proc.stderr.splitlines() if line.startswith("hostile: ")]
    assert len(said) == 1, proc.stderr[-3000:]
    assert "FAILED" in said[0] and "response too large: more than" in said[0]
    assert "decompression bomb" in said[0] and "max_response_mb" in said[0]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        latest = con.execute(
            "SELECT run_id FROM latest_runs WHERE portal_id = 'hostile'"
        ).fetchone()
    finally:
        con.close()
    assert latest == (good,)


def test_link_check_and_content_sample_of_a_gzip_bomb_stop_at_their_cap():
    """Link checks and content samples read their bodies through the prober, which counts
    decompressed bytes too: a 1 GB gzip bomb behind a resource URL yields at most the cap."""
    from flows.links.probe import FIRST_BYTES, Prober

    with Hostile("bomb") as server, Prober(timeout=30, per_host_rate=0) as prober:
        sample = prober.fetch(server.url + "/data.csv", allow_private=True, max_bytes=MB)
        check = prober.check(server.url + "/data.csv", allow_private=True)
    assert (sample.outcome, sample.truncated, len(sample.body)) == ("ok", True, MB)
    assert sample.content_length < 2 * MB  # what the wire said: the bomb is small there
    assert check.outcome == "ok" and check.truncated and not check.body
    assert FIRST_BYTES < MB


@pytest.mark.parametrize("fmt", ["json-ld", "turtle"])
def test_deeply_nested_rdf_page_is_named(fmt):
    """A JSON-LD page 100,000 arrays deep, a Turtle page 100,000 blank-node lists deep: the
    page fails with a line that says so, not rdflib's RecursionError."""
    n = 100_000
    if fmt == "json-ld":
        page = b"[" * n + b"]" * n
    else:
        page = b"<http://x/s> <http://x/p> " + b"(" * n + b")" * n + b" ."
    with pytest.raises(ValueError) as err:
        load_index(page, fmt, "http://x/")
    assert str(err.value) == f"{fmt} nested too deeply to parse (more than 1000 levels)"
    assert "\n" not in str(err.value)
