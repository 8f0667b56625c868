"""The production setting of the README: `odwatch server` with Prefect's database in PostgreSQL.

Starts a throwaway PostgreSQL cluster (Debian's postgresql package, which `make test`
installs when missing) on a free loopback port, points `odwatch server` at it with
PREFECT_SERVER_DATABASE_CONNECTION_URL, runs one scheduled harvest against it and reads the
flow run back from PostgreSQL itself.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from test_schedule import SCHEDULED, _env, _free_port, _stop

from flows.demo.portals import LocalPortal

ROOT = Path(__file__).resolve().parents[1]
BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
pytestmark = [
    pytest.mark.schedule,
    pytest.mark.skipif(
        not BINS, reason="PostgreSQL is not installed (make test installs Debian's postgresql)"
    ),
]


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)


@pytest.fixture(scope="module")
def postgres():
    bindir = Path(BINS[-1]).parent
    top = Path(tempfile.mkdtemp(prefix="odwatch-pg-"))
    if os.geteuid() == 0:
        shutil.chown(top, "postgres")
    data, port = top / "data", _free_port()
    _as_postgres(
        [str(bindir / "initdb"), "-D", str(data), "-U", "odwatch", "--auth=trust", "-E", "UTF8"]
    )
    _as_postgres(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(top / "log"),
            "-w",
            "start",
            "-o",
            f"-p {port} -k {top} -c listen_addresses=127.0.0.1",
        ]  # fmt: skip
    )
    try:
        _as_postgres(
            [
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "odwatch",
                "prefect",
            ]
        )
        yield bindir, port
    finally:
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
        shutil.rmtree(top, ignore_errors=True)


def test_prefect_server_on_postgresql_runs_a_scheduled_harvest(postgres, br_packages, tmp_path):
    bindir, pg_port = postgres
    url = f"postgresql+asyncpg://odwatch@127.0.0.1:{pg_port}/prefect"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "server", "--port", str(port)]
        + ["--prefect-home", str(tmp_path / "home"), "-q"],
        cwd=ROOT,
        env=_env(PREFECT_SERVER_DATABASE_CONNECTION_URL=url),
        stderr=subprocess.PIPE,
        text=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        first = server.stderr.readline()
        assert first.strip() == (
            f"odwatch: starting the Prefect server (database 127.0.0.1:{pg_port}/prefect)"
        )
        ready = server.stderr.readline()
        assert ready.startswith(f"odwatch: Prefect server ready, UI at http://127.0.0.1:{port}")
        assert not (tmp_path / "home" / "prefect.db").exists()  # no SQLite on the side
        with LocalPortal(br_packages[:30]) as portal:
            (tmp_path / "portals.yaml").write_text(
                "portals:\n"
                f"  - {{id: pg, title: P, city: P, platform: ckan, url: '{portal.url}'}}\n"
            )
            run = subprocess.run(
                [sys.executable, "-c", SCHEDULED, "pg", str(tmp_path / "portals.yaml")]
                + [str(tmp_path / "w.duckdb"), str(tmp_path / "site")],
                cwd=ROOT,
                env=_env(PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "client-home")),
                capture_output=True,
                text=True,
                timeout=240,
            )
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.stdout.strip().startswith("pg: ok, 30 datasets")
    finally:
        assert _stop(server) == 0
    runs = _as_postgres(
        [
            str(bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(pg_port),
            "-U",
            "odwatch",
            "-At",
            "-c",
            "SELECT f.name, r.state_type FROM flow_run r JOIN flow f ON f.id = r.flow_id",
            "prefect",
        ]  # fmt: skip
    ).stdout.split()
    assert runs == ["odwatch-scheduled-harvest|COMPLETED"]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM latest_datasets").fetchone() == (30,)
    finally:
        con.close()
