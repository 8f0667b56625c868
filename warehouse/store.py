"""The DuckDB warehouse: connect, write snapshots atomically, read the latest ones.

A snapshot is written under its own run id while its harvest_runs row says 'running'; the
latest_* views only show runs marked 'ok', so a failed or killed harvest never replaces the
previous snapshot. Rows are streamed in page by page (NDJSON -> read_json, the fastest bulk
path in DuckDB), so memory does not grow with the catalogue.

Rows are stored once, under the run that fetched them (dataset_rows, distribution_rows);
snapshot_members lists each snapshot's datasets and the run holding their rows, so an
incremental harvest carries unchanged datasets forward by adding small membership rows
instead of copying their rows. Readers see whole snapshots through the datasets /
distributions views.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import orjson

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
        _drop_rows(con, run_id)
        con.execute(
            "UPDATE harvest_runs SET status = 'abandoned', finished_at = now(), "
            "error = coalesce(error, 'the harvest process ended before it finished') WHERE run_id = ?",
            [run_id],
        )
    return len(stale)


def _drop_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Drop an unfinished run's rows. Only complete ('ok') runs are ever carried forward,
    so no other snapshot's members point at these rows."""
    con.execute("DELETE FROM snapshot_members WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM dataset_rows WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM distribution_rows WHERE run_id = ?", [run_id])


def new_run_id(portal_id: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{portal_id}-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _ndjson_line(rec: dict) -> bytes:
    """One record as an NDJSON line; orjson is ~5x faster than json here (the hot path of a
    harvest), json is the fallback for what orjson refuses (integers over 64 bits ...)."""
    try:
        return orjson.dumps(rec, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(rec, ensure_ascii=False, default=_json_default) + "\n").encode("utf-8")


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Warehouse:
    """One writer connection shared by the harvest threads of one process."""

    def __init__(self, path: str | Path = DEFAULT_PATH):
        self.path = Path(path)
        self.con = connect(self.path)
        # Bounded memory, whatever the catalogue size: DuckDB keeps blocks cached up to its
        # memory limit (default 80 % of RAM), so cap it. Checkpoint less often than the
        # default 16 MB of WAL: every checkpoint costs more as tables grow, and at the default
        # a 100,000-dataset harvest took 2.4x as long (bench/README.md).
        limit = os.environ.get("ODWATCH_DUCKDB_MEMORY_LIMIT", "1GB")
        try:
            self.con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except duckdb.Error:
            self.con.close()
            raise WarehouseError(
                f"ODWATCH_DUCKDB_MEMORY_LIMIT={limit!r} is not a size DuckDB understands; use e.g. 1GB or 512MB"
            ) from None
        self.con.execute("SET checkpoint_threshold = '512MB'")
        self.lock = threading.Lock()
        self._columns = {t: self._describe(t) for t in ("dataset_rows", "distribution_rows")}

    def close(self) -> None:
        with self.lock:
            self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def _describe(self, table: str) -> dict[str, str]:
        rows = self.con.execute(f"DESCRIBE {table}").fetchall()
        return {name: typ for name, typ, *_ in rows}

    def columns(self, table: str) -> dict[str, str]:
        """Column names and types of any warehouse table (looked up once)."""
        if table not in self._columns:
            with self.lock:
                self._columns[table] = self._describe(table)
        return self._columns[table]

    # ------------------------------------------------------------ snapshot writing

    def begin_run(self, portal, started_at: datetime | None = None) -> str:
        started_at = started_at or datetime.now(UTC)
        run_id = new_run_id(portal.id, started_at)
        with self.lock:
            self.con.execute(
                "INSERT INTO harvest_runs (run_id, portal_id, platform, api_url, organization, started_at, "
                "status, odwatch_version) VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
                [
                    run_id,
                    portal.id,
                    portal.platform,
                    portal.url,
                    portal.organization,
                    started_at,
                    CODE_VERSION,
                ],
            )
        return run_id

    def add_page(self, run_id: str, seq: int, resp) -> None:
        body = resp.body.encode("utf-8", "replace")
        with self.lock:
            self.con.execute(
                "INSERT INTO raw_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    seq,
                    resp.url,
                    resp.status,
                    resp.content_type,
                    resp.fetched_at,
                    resp.elapsed_ms,
                    len(body),
                    zlib.compress(body, 1),
                ],
            )

    def add_records(self, table: str, records: Iterable[dict]) -> int:
        """Bulk-insert records (dicts keyed by column) through an NDJSON temp file.

        A harvest writes its parsed rows to dataset_rows / distribution_rows; they become
        the run's snapshot when finish_run() records their membership."""
        columns = self.columns(table)
        n = 0
        fd, tmp = tempfile.mkstemp(prefix=f"odwatch-{table}-", suffix=".ndjson")
        try:
            with os.fdopen(fd, "wb") as fh:
                for rec in records:
                    fh.write(_ndjson_line(rec))
                    n += 1
            if n:
                spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
                cols = ", ".join(f'"{c}"' for c in columns)
                with self.lock:
                    self.con.execute(
                        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_json(?, "
                        f"format = 'newline_delimited', columns = {spec}, maximum_object_size = 134217728)",
                        [tmp],
                    )
        finally:
            os.unlink(tmp)
        return n

    def finish_run(
        self,
        run_id: str,
        *,
        method: str | None,
        expected_count: int | None,
        request_count: int,
        warnings: list[str],
    ) -> tuple[int, int]:
        """Record the run's own rows as members of its snapshot (next to any carried
        forward) and mark it complete: from now on it is the portal's latest snapshot."""
        with self.lock:
            con = self.con
            con.execute(
                "INSERT INTO snapshot_members SELECT DISTINCT run_id, portal_id, dataset_id, run_id "
                "FROM (SELECT run_id, portal_id, dataset_id FROM dataset_rows WHERE run_id = $run "
                "UNION ALL SELECT run_id, portal_id, dataset_id FROM distribution_rows WHERE run_id = $run)",
                {"run": run_id},
            )
            n_ds, n_di, newest = con.execute(
                "SELECT (SELECT count(*) FROM datasets WHERE run_id = $run), "
                "(SELECT count(*) FROM distributions WHERE run_id = $run), "
                "(SELECT max(raw->>'metadata_modified') FROM dataset_rows WHERE run_id = $run)",
                {"run": run_id},
            ).fetchone()
            con.execute(
                "UPDATE harvest_runs SET status = 'ok', finished_at = now(), method = ?, expected_count = ?, "
                "dataset_count = ?, distribution_count = ?, request_count = ?, warnings = ?, "
                "max_modified = coalesce(greatest(max_modified, ?), max_modified, ?) "
                "WHERE run_id = ?",
                [
                    method,
                    expected_count,
                    n_ds,
                    n_di,
                    request_count,
                    "; ".join(warnings) or None,
                    newest,
                    newest,
                    run_id,
                ],
            )
        return n_ds, n_di

    def previous_snapshot(self, portal_id: str, with_ids: bool = False) -> PreviousSnapshot | None:
        """The portal's latest complete snapshot and how many incremental runs followed
        its last full one (and, `with_ids`, its dataset ids); None if it has none yet."""
        with self.lock:
            return previous_snapshot(self.con, portal_id, with_ids)

    def import_runs(self, staging: str | Path) -> None:
        """Bring the runs fetched into a staging warehouse file over, in one transaction:
        their harvest_runs rows (still 'running', or 'failed' where a bug stopped the
        fetch), raw pages and rows. complete_run() then carries the unchanged datasets
        forward and marks each ok or failed here."""
        where = str(staging).replace("'", "''")
        with self.lock:
            con = self.con
            con.execute(f"ATTACH '{where}' AS odw_stage (READ_ONLY)")
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    for table in ("harvest_runs", "raw_pages", "dataset_rows", "distribution_rows"):
                        theirs = {
                            r[0]
                            for r in con.execute(
                                "SELECT column_name FROM information_schema.columns "
                                "WHERE table_catalog = 'odw_stage' AND table_name = ?",
                                [table],
                            ).fetchall()
                        }
                        mine = [
                            r[0]
                            for r in con.execute(
                                "SELECT column_name FROM information_schema.columns "
                                "WHERE table_catalog = current_database() AND table_schema = 'main' "
                                "AND table_name = ? ORDER BY ordinal_position",
                                [table],
                            ).fetchall()
                        ]
                        cols = ", ".join(f'"{c}"' for c in mine if c in theirs)
                        con.execute(
                            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM odw_stage.main.{table}"
                        )
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            finally:
                con.execute("DETACH odw_stage")

    def carry_forward(self, prev_run_id: str, run_id: str, current: Iterable[str]) -> int:
        """Make the datasets of `prev_run_id` that the portal still lists (`current`: names
        or ids) and that this run did not fetch again members of `run_id`'s snapshot too,
        pointing at the rows where they are already stored (nothing is copied). Together
        with the changed datasets fetched, the new snapshot is complete."""
        names = sorted({str(n) for n in current})
        with self.lock:
            cur = self.con.cursor()
            try:
                cur.execute("CREATE OR REPLACE TEMP TABLE odw_current (key VARCHAR)")
                cur.execute("INSERT INTO odw_current SELECT unnest(?::VARCHAR[])", [names])
                cur.execute(
                    "CREATE OR REPLACE TEMP TABLE odw_carry AS SELECT DISTINCT dataset_id FROM datasets p "
                    "WHERE p.run_id = ? AND (p.name IN (SELECT key FROM odw_current) "
                    "OR p.dataset_id IN (SELECT key FROM odw_current)) "
                    "AND p.dataset_id NOT IN (SELECT dataset_id FROM dataset_rows WHERE run_id = ?)",
                    [prev_run_id, run_id],
                )
                cur.execute(
                    "INSERT INTO snapshot_members SELECT ?, portal_id, dataset_id, origin_run "
                    "FROM snapshot_members WHERE run_id = ? "
                    "AND dataset_id IN (SELECT dataset_id FROM odw_carry)",
                    [run_id, prev_run_id],
                )
                # where the next incremental harvest starts: the newest change seen so far
                # (read from the raw JSON only for a run stored before max_modified existed:
                # in one SQL statement DuckDB would read every raw document regardless)
                newest = cur.execute(
                    "SELECT max_modified FROM harvest_runs WHERE run_id = ?", [prev_run_id]
                ).fetchone()[0]
                if newest is None:
                    newest = cur.execute(
                        "SELECT max(raw->>'metadata_modified') FROM datasets WHERE run_id = ?",
                        [prev_run_id],
                    ).fetchone()[0]
                cur.execute(
                    "UPDATE harvest_runs SET max_modified = ? WHERE run_id = ?", [newest, run_id]
                )
                n = cur.execute("SELECT count(*) FROM odw_carry").fetchone()[0]
                cur.execute("DROP TABLE odw_carry")
                cur.execute("DROP TABLE odw_current")
            finally:
                cur.close()
        return n

    def set_mode(
        self,
        run_id: str,
        mode: str,
        changed: int | None = None,
        carried: int | None = None,
    ) -> None:
        with self.lock:
            self.con.execute(
                "UPDATE harvest_runs SET mode = ?, changed_count = ?, carried_count = ? "
                "WHERE run_id = ?",
                [mode, changed, carried, run_id],
            )

    def fail_run(
        self,
        run_id: str,
        error: str,
        *,
        request_count: int | None = None,
        method: str | None = None,
    ) -> None:
        """Record the failure; drop the partial rows; keep the raw pages as evidence."""
        with self.lock:
            _drop_rows(self.con, run_id)
            self.con.execute(
                "UPDATE harvest_runs SET status = 'failed', finished_at = now(), error = ?, "
                "request_count = ?, method = ? WHERE run_id = ?",
                [error, request_count, method, run_id],
            )


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


def raw_page_text(con: duckdb.DuckDBPyConnection, run_id: str, seq: int) -> str:
    """The stored body of one API response, decompressed."""
    row = con.execute(
        "SELECT body_zlib FROM raw_pages WHERE run_id = ? AND seq = ?", [run_id, seq]
    ).fetchone()
    if row is None:
        raise WarehouseError(f"no raw page {seq} for run {run_id}")
    return zlib.decompress(row[0]).decode("utf-8")
