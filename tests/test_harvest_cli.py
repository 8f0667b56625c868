"""`odwatch harvest` (issue 15): harvests and stores, nothing else; the exit codes and the one
line per portal of `odwatch run`; on a terminal, a progress bar per portal. Real recorded
CKAN packages (dados.gov.br) served from 127.0.0.1."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.cli import EXIT_OK, EXIT_PORTAL_FAILED, EXIT_USAGE, main
from flows.demo.portals import LocalPortal

ROOT = Path(__file__).resolve().parents[1]


def _yaml(path: Path, portals: dict[str, str]) -> Path:
    lines = ["portals:"]
    for pid, url in portals.items():
        lines.append(f"  - {{id: {pid}, title: {pid}, city: {pid}, platform: ckan, url: '{url}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _closed_port_url() -> str:
    server = LocalPortal([]).start()
    url = server.url
    server.stop()  # nothing listens there any more: connection refused
    return url


def _resources(packages: list[dict]) -> int:
    return sum(len([r for r in p.get("resources") or [] if isinstance(r, dict)]) for p in packages)


LINE = re.compile(r"^br: ok, (\d+) datasets, (\d+) distributions, (\d+) requests, [\d.]+s$")


def test_harvest_stores_the_snapshot_and_nothing_else(br_packages, tmp_path, capfd) -> None:
    wh = tmp_path / "w.duckdb"
    with LocalPortal(br_packages) as server:
        portals = _yaml(tmp_path / "portals.yaml", {"br": server.url})
        code = main(["harvest", "--portals", str(portals), "--warehouse", str(wh)])
    err = capfd.readouterr().err.splitlines()
    assert code == EXIT_OK
    assert err[0] == f"odwatch 0.1.0: harvesting 1 portal(s) into {wh}"
    m = LINE.match(err[1])
    assert m, err
    assert m.groups() == (str(len(br_packages)), str(_resources(br_packages)), "1")
    assert err[2:] == ["done: 1 ok, 0 failed"]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT status, dataset_count, mode FROM harvest_runs").fetchall() == [
            ("ok", len(br_packages), "full")
        ]
        assert con.execute("SELECT count(*) FROM latest_datasets").fetchone()[0] == len(br_packages)
        assert con.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 1
        # harvest only: no link checks, no assessment
        for table in ("link_checks", "assessments", "scores", "findings"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    finally:
        con.close()


def test_a_failing_portal_is_its_line_and_exit_code_3(br_packages, tmp_path, capfd) -> None:
    wh = tmp_path / "w.duckdb"
    down = _closed_port_url()
    with LocalPortal(br_packages[:50]) as server:
        portals = _yaml(tmp_path / "portals.yaml", {"br": server.url, "down": down})
        code = main(
            ["harvest", "--portals", str(portals), "--warehouse", str(wh)]
            + ["--retries", "1", "--retry-delay", "0"]
        )
    err = capfd.readouterr().err
    lines = err.splitlines()
    assert code == EXIT_PORTAL_FAILED
    assert lines[-1] == "done: 1 ok, 1 failed"
    assert [ln for ln in lines if ln.startswith("down:")] == [
        next(ln for ln in lines if ln.startswith("down: FAILED after"))
    ]
    assert "cannot connect" in err
    for noise in ("urllib3", "Retrying", "Traceback"):
        assert noise not in err, f"{noise!r} on stderr:\n{err}"
    con = duckdb.connect(str(wh), read_only=True)
    try:
        # two attempts of the portal that is down (one retry), each a failed run
        assert con.execute(
            "SELECT portal_id, status, count(*) FROM harvest_runs GROUP BY ALL ORDER BY ALL"
        ).fetchall() == [("br", "ok", 1), ("down", "failed", 2)]
        assert con.execute("SELECT DISTINCT portal_id FROM latest_runs").fetchall() == [("br",)]
    finally:
        con.close()


def test_only_picks_one_portal_and_an_unknown_option_is_usage(br_packages, tmp_path, capfd):
    wh = tmp_path / "w.duckdb"
    with LocalPortal(br_packages[:5]) as server:
        portals = _yaml(tmp_path / "portals.yaml", {"br": server.url, "down": _closed_port_url()})
        assert main(["harvest", "--portals", str(portals), "--warehouse", str(wh)]
                    + ["--only", "br"]) == EXIT_OK  # fmt: skip
        assert capfd.readouterr().err.splitlines()[-1] == "done: 1 ok, 0 failed"
        with pytest.raises(SystemExit) as exc:
            main(["harvest", "--portals", str(portals), "--site", "x"])
        assert exc.value.code == EXIT_USAGE  # harvest writes no site
        assert "unrecognized arguments: --site" in capfd.readouterr().err


def test_on_a_terminal_each_portal_has_a_progress_bar(br_packages, tmp_path) -> None:
    """stderr on a pseudo-terminal: rich draws the portal's bar (datasets of its count,
    pages, rate); the finished portal's line and the summary still follow."""
    packages = br_packages * 3  # 2,400 datasets: three pages of 1000 with distinct ids
    packages = [dict(p, id=f"{p['id']}-{i // 800}", name=f"{p['name']}-{i // 800}")
                for i, p in enumerate(packages)]  # fmt: skip
    wh = tmp_path / "w.duckdb"
    with LocalPortal(packages) as server:
        portals = _yaml(tmp_path / "portals.yaml", {"br": server.url})
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="xterm", COLUMNS="160")
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "harvest", "--portals", str(portals)]
            + ["--warehouse", str(wh)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env=env,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert proc.wait(timeout=300) == EXIT_OK
    out = b"".join(chunks).decode("utf-8", "replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert re.search(
        r"\bbr\b.*\b(1000|2000|2400)/2400 datasets, [123] pages fetched, [\d,]+/s", text
    ), text
    assert "br: ok, 2400 datasets" in text
    assert "done: 1 ok, 0 failed" in text


def test_the_raw_json_is_stored_once_in_the_pages(br_packages, tmp_path, capfd) -> None:
    """Issue 15: the rows' `raw` columns stay NULL; the page in raw_pages holds every package
    as the portal sent it, and the next incremental harvest still starts from the newest
    metadata_modified fetched."""
    import json

    from warehouse.store import raw_page_text

    wh = tmp_path / "w.duckdb"
    with LocalPortal(br_packages) as server:
        portals = _yaml(tmp_path / "portals.yaml", {"br": server.url})
        assert main(["harvest", "--portals", str(portals), "--warehouse", str(wh)]) == EXIT_OK
    con = duckdb.connect(str(wh), read_only=True)
    try:
        run_id, newest = con.execute("SELECT run_id, max_modified FROM harvest_runs").fetchone()
        for table in ("dataset_rows", "distribution_rows"):
            assert con.execute(f"SELECT count(*), count(raw) FROM {table}").fetchone()[1] == 0, (
                table
            )
        page = json.loads(raw_page_text(con, run_id, 0))
        # the page's zlib stream is in parts below DuckDB's 4 KB string block, in order
        assert con.execute(
            "SELECT count(body_zlib), bool_and(body_bytes > 0) FROM raw_pages"
        ).fetchone() == (0, True)
        parts, largest, gaps = con.execute(
            "SELECT count(*), max(octet_length(bytes)), count(*) - count(DISTINCT (seq, part)) "
            "FROM raw_page_parts WHERE run_id = ?",
            [run_id],
        ).fetchone()
        assert parts > 10 and largest <= 4000 and gaps == 0
        by_id = {p["id"]: p for p in br_packages}  # the server sends them sorted by creation
        assert {p["id"]: p for p in page["result"]["results"]} == by_id
        ids = {r[0] for r in con.execute("SELECT dataset_id FROM dataset_rows").fetchall()}
        assert ids == set(by_id)
        assert newest == max(p["metadata_modified"] for p in br_packages)
    finally:
        con.close()


def test_a_harvest_runs_under_a_small_duckdb_memory_limit(
    br_packages, tmp_path, capfd, monkeypatch
):
    """read_json's buffers are sized to the rows written, not a fixed 128 MB object size
    (which alone took 256 MB): the recorded page harvests under a 256MB limit."""
    monkeypatch.setenv("ODWATCH_DUCKDB_MEMORY_LIMIT", "256MB")
    with LocalPortal(br_packages) as server:
        portals = _yaml(tmp_path / "portals.yaml", {"br": server.url})
        code = main(
            ["harvest", "--portals", str(portals), "--warehouse", str(tmp_path / "w.duckdb")]
        )
    err = capfd.readouterr().err
    assert code == EXIT_OK, err
    assert LINE.match(err.splitlines()[1]), err
