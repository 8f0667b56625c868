"""The DuckDB warehouse: connect (one writer, WarehouseLocked), the schema and its upgrades,
and the snapshot bookkeeping: abandoned runs, the previous snapshot, the portals' overview.

A snapshot is written under its own run id while its harvest_runs row says 'running'; the
latest_* views only show runs marked 'ok', so a failed or killed harvest never replaces the
previous snapshot. The harvest's writer (warehouse/records.py, Warehouse) streams the rows in.

Rows are stored once, under the run that fetched them (dataset_rows, distribution_rows);
snapshot_members lists each snapshot's datasets and the run holding their rows, so an
incremental harvest carries unchanged datasets forward by adding small membership rows
instead of copying their rows. Readers see whole snapshots through the datasets /
distributions views.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

CODE_VERSION = version("odwatch")  # recorded with every run: the code that wrote it

SCHEMA = Path(__file__).with_name("schema.sql")
DEFAULT_PATH = Path("warehouse") / "odwatch.duckdb"


class WarehouseError(Exception):
    """A warehouse problem the operator can fix; str() is one line."""


class WarehouseLocked(WarehouseError):
    pass


class AssessError(WarehouseError):
    """An assessment that cannot run or be read (unknown run, method clash, GX error, nothing
    assessed yet); one line. flows/assess.py raises it, flows/findings.py too."""


@dataclass(frozen=True)
class PreviousSnapshot:
    """What an incremental harvest needs to know about the portal's latest snapshot."""

    run_id: str
    started_at: datetime
    api_url: str
    organization: str | None
    max_modified: str | None  # the largest CKAN metadata_modified in it (raw string)
    incremental_since_full: int  # ok incremental runs since the last full one
    # the snapshot's dataset ids, for platforms whose change filter cannot show deletions
    # (DCAT): loaded only when asked for
    dataset_ids: tuple[str, ...] | None = None


def connect(path: str | Path = DEFAULT_PATH, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating it and its schema if needed).

    A second process that finds the file locked gets WarehouseLocked with a one-line message.
    Opening for writing also closes out runs a killed process left 'running'.
    """
    path = Path(path)
    if read_only and not path.exists():
        demo = path.with_name("demo.duckdb")  # what `odwatch demo` writes by default
        hint = f" (after 'make demo': --warehouse {demo})" if demo.is_file() else ""
        raise WarehouseError(
            f"{path}: no warehouse here yet; run 'odwatch run' first or pass --warehouse PATH{hint}"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            who = f"process {pid.group(1)}" if pid else "another process"
            raise WarehouseLocked(
                f"{path}: the warehouse is in use by {who} (DuckDB allows one writer); "
                "wait for that run to finish, or pass --warehouse OTHER.duckdb"
            ) from None
        raise WarehouseError(
            f"{path}: cannot open the warehouse ({text.splitlines()[0]})"
        ) from None
    except duckdb.Error as exc:
        raise WarehouseError(
            f"{path}: not a DuckDB warehouse ({str(exc).splitlines()[0]})"
        ) from None
    if read_only:
        if _table_type(con, "datasets") == "BASE TABLE":
            con.close()
            raise WarehouseError(
                f"{path}: written by an older odwatch; open it for writing once to upgrade it "
                "(e.g. 'odwatch assess --warehouse PATH')"
            )
        return con
    upgrade = _table_type(con, "datasets") == "BASE TABLE"
    if upgrade:  # before snapshot_members: rows were stored once per snapshot
        con.execute("ALTER TABLE datasets RENAME TO dataset_rows")
        con.execute("ALTER TABLE distributions RENAME TO distribution_rows")
    for sql in schema_files():
        con.execute(sql.read_text())
    if upgrade:
        con.execute(
            "INSERT INTO snapshot_members SELECT DISTINCT run_id, portal_id, dataset_id, run_id "
            "FROM (SELECT run_id, portal_id, dataset_id FROM dataset_rows "
            "UNION ALL SELECT run_id, portal_id, dataset_id FROM distribution_rows)"
        )
    close_abandoned_runs(con)
    return con


def _table_type(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = ?",
        [name],
    ).fetchone()
    return row[0] if row else None


def connect_waiting(
    path: str | Path,
    wait: float,
    on_wait: Callable[[str], None] | None = None,
    poll: float = 0.5,
    every: float = 10.0,
) -> duckdb.DuckDBPyConnection:
    """connect() for writing; while another process holds the warehouse, retry for up to
    `wait` seconds, calling `on_wait(message)` at once and then every `every` seconds.
    Gives up with WarehouseLocked. Nothing is lost by waiting: the other process's snapshot
    is written atomically, and this one starts after it."""
    deadline = time.monotonic() + max(0.0, wait)
    next_note = 0.0
    while True:
        try:
            return connect(path)
        except WarehouseLocked as exc:
            now = time.monotonic()
            if wait <= 0:
                raise
            if now >= deadline:
                raise WarehouseLocked(
                    f"{exc} (gave up after waiting {wait:g} s; pass --wait SECONDS to wait longer)"
                ) from None
            if on_wait is not None and now >= next_note:
                left = deadline - now
                on_wait(f"{str(exc).split(' (DuckDB')[0]}; waiting (up to {left:.0f} s more)")
                next_note = now + every
            time.sleep(min(poll, max(0.0, deadline - now)))


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows (tuples in the table's column order) in one statement: each column bound
    as one list, the lists unnested side by side. executemany runs one statement per row
    (~0.8 ms each: 4 s for a 5,000-dataset snapshot's classes); this takes ~10 ms."""
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    terms = ", ".join(f"unnest(${i})" for i in range(1, len(columns) + 1))
    con.execute(f"INSERT INTO {table} SELECT {terms}", columns)


def schema_files() -> list[Path]:
    """schema.sql first, then each topic's own schema_<topic>.sql (links, findings ...)."""
    return [SCHEMA, *sorted(SCHEMA.parent.glob("schema_*.sql"))]


def close_abandoned_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Mark runs left 'running' by a process that died as 'abandoned' and drop their rows.

    Only a writer calls this, and DuckDB admits one writer process, so nothing else can be
    writing those runs.
    """
    stale = [
        r[0]
        for r in con.execute("SELECT run_id FROM harvest_runs WHERE status = 'running'").fetchall()
    ]
    for run_id in stale:
        drop_run_rows(con, run_id)
        con.execute(
            "UPDATE harvest_runs SET status = 'abandoned', finished_at = now(), "
            "error = coalesce(error, 'the harvest process ended before it finished') WHERE run_id = ?",
            [run_id],
        )
    return len(stale)


def drop_run_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Drop an unfinished run's rows. Only complete ('ok') runs are ever carried forward,
    so no other snapshot's members point at these rows."""
    con.execute("DELETE FROM snapshot_members WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM dataset_rows WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM distribution_rows WHERE run_id = ?", [run_id])


# ---------------------------------------------------------------- reading


def previous_snapshot(
    con: duckdb.DuckDBPyConnection, portal_id: str, with_ids: bool = False
) -> PreviousSnapshot | None:
    """The portal's latest complete snapshot and how many incremental runs followed its last
    full one (and, `with_ids`, its dataset ids); None if it has none yet."""
    row = con.execute(
        "SELECT run_id, started_at, api_url, organization, max_modified FROM latest_runs "
        "WHERE portal_id = ?",
        [portal_id],
    ).fetchone()
    if row is None:
        return None
    run_id, started_at, api_url, organization, max_modified = row
    if max_modified is None:  # a run stored before harvest_runs.max_modified existed
        max_modified = con.execute(
            "SELECT max(raw->>'metadata_modified') FROM datasets WHERE run_id = ?", [run_id]
        ).fetchone()[0]
    since_full = con.execute(
        "SELECT count(*) FROM harvest_runs WHERE portal_id = ? AND status = 'ok' "
        "AND mode = 'incremental' AND started_at > coalesce((SELECT max(started_at) "
        "FROM harvest_runs WHERE portal_id = ? AND status = 'ok' "
        "AND coalesce(mode, 'full') = 'full'), '-infinity'::TIMESTAMPTZ)",
        [portal_id, portal_id],
    ).fetchone()[0]
    ids = None
    if with_ids:
        ids = tuple(
            r[0]
            for r in con.execute(
                "SELECT DISTINCT dataset_id FROM snapshot_members WHERE run_id = ? ORDER BY 1",
                [run_id],
            ).fetchall()
        )
    return PreviousSnapshot(
        run_id, started_at, api_url, organization, max_modified, since_full, ids
    )


def landed_by(con: duckdb.DuckDBPyConnection, flow_run_id: str) -> tuple[str, str] | None:
    """(run_id, status) of the newest complete snapshot imported and assessed by this Prefect
    flow run (one that landed but was not assessed, its run crashed in between, is not)."""
    row = con.execute(
        "SELECT run_id, status FROM harvest_runs h WHERE flow_run_id = ? AND status = 'ok' "
        "AND EXISTS (SELECT 1 FROM scores s WHERE s.run_id = h.run_id) "
        "ORDER BY started_at DESC, run_id DESC LIMIT 1",
        [flow_run_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def portal_overview(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per portal: its last attempt and its latest complete snapshot."""
    rows = con.execute(
        """
        WITH last_attempt AS (
            SELECT * EXCLUDE (rn) FROM (
                SELECT *, row_number() OVER (PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC) AS rn
                FROM harvest_runs WHERE status <> 'running'
            ) WHERE rn = 1
        )
        SELECT a.portal_id, a.status AS last_status, a.error AS last_error, a.started_at AS last_started,
               a.finished_at AS last_finished, l.run_id AS snapshot_run, l.finished_at AS snapshot_at,
               l.dataset_count, l.distribution_count, l.expected_count, l.warnings, l.method
        FROM last_attempt a LEFT JOIN latest_runs l USING (portal_id)
        ORDER BY a.portal_id
        """
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


def stored_pages(
    con: duckdb.DuckDBPyConnection, run_id: str, seq: int | None = None
) -> list[tuple[int, str, int | None, str | None, str]]:
    """The run's raw pages that have a body (or its page `seq`), in the order received:
    (seq, url, status, content_type, body). The body is decompressed and decoded as it was
    parsed: bytes that are not valid UTF-8 become U+FFFD. Its zlib stream is joined from
    raw_page_parts, or read from body_zlib for pages stored before the parts."""
    rows = con.execute(
        """
        SELECT p.seq, p.url, p.status, p.content_type, p.body_zlib, q.parts
        FROM raw_pages p
        LEFT JOIN (SELECT seq, list(bytes ORDER BY part) AS parts FROM raw_page_parts
                   WHERE run_id = $run AND ($seq IS NULL OR seq = $seq) GROUP BY seq) q
          ON q.seq = p.seq
        WHERE p.run_id = $run AND ($seq IS NULL OR p.seq = $seq)
        ORDER BY p.seq
        """,
        {"run": run_id, "seq": seq},
    ).fetchall()
    out = []
    for seq_, url, status, ctype, whole, parts in rows:
        packed = whole if whole is not None else b"".join(parts) if parts else None
        if packed is not None:
            body = zlib.decompress(packed).decode("utf-8", "replace")
            out.append((seq_, url, status, ctype, body))
    return out


def raw_page_text(con: duckdb.DuckDBPyConnection, run_id: str, seq: int) -> str:
    """The stored body of one API response (see stored_pages)."""
    pages = stored_pages(con, run_id, seq)
    if not pages:
        raise WarehouseError(f"no raw page {seq} for run {run_id}")
    return pages[0][4]
