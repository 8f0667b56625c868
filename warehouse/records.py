"""The harvest's writer: one connection shared by a process's harvest threads.

One idea: a run's rows reach DuckDB as NDJSON files loaded in bulk, never row by row.

A harvest opens a run (harvest_runs 'running'), stores each API response in raw_pages, loads
its parsed rows into dataset_rows / distribution_rows (NDJSON -> read_json, the fastest bulk
path in DuckDB; a RowSpool gathers pages into bulks of whole row groups), carries an incremental run's
unchanged datasets forward as snapshot_members rows, and marks the run ok or failed. Connecting,
the schema and reading snapshots live in warehouse/store.py.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
from isal import isal_zlib

from warehouse.store import (
    CODE_VERSION,
    DEFAULT_PATH,
    PreviousSnapshot,
    WarehouseError,
    connect,
    drop_run_rows,
    landed_by,
    previous_snapshot,
)

NOT_STORED = frozenset({"raw"})  # record keys add_records leaves out
# A harvest loads its rows in bulks of this many or more: DuckDB writes an INSERT's full row
# groups (122,880 rows) straight to the database file instead of holding them in memory and
# the WAL until a checkpoint (which, past the memory limit, spilled them to temp files first)
SPOOL_ROWS = 2 * 122_880
# A raw page's zlib stream is stored in parts of this many bytes, below DuckDB's 4 KB string
# block (see raw_page_parts in schema.sql)
RAW_PAGE_PART = 4000


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


@dataclass(frozen=True)
class Encoded:
    """Records as the NDJSON lines add_encoded() loads (picklable: a parse worker process
    makes them, the writer loads them)."""

    ndjson: bytes
    count: int
    longest: int  # bytes of the longest line


def _stored(rec: dict) -> dict:
    """`rec` without the keys that are not stored (a C-level copy and a delete: a dict
    comprehension per record was ~6 % of a harvest's fetch thread)."""
    drop = [k for k in NOT_STORED if k in rec]
    if not drop:
        return rec
    rec = rec.copy()
    for key in drop:
        del rec[key]
    return rec


def encode_records(records: Iterable[dict]) -> Encoded:
    """Records -> NDJSON, without what is not stored (the raw package is most of a record)."""
    lines = [_ndjson_line(_stored(rec)) for rec in records]
    return Encoded(b"".join(lines), len(lines), max(map(len, lines), default=0))


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
        body = resp.utf8  # the bytes as read when they are UTF-8: no text, no copy
        # a zlib stream (stdlib zlib reads it), made by ISA-L: 5x zlib's level 1 on a 15 MB
        # page; compressed and cut into parts before taking the lock, so the other thread's
        # inserts go on
        packed = isal_zlib.compress(body, 1)
        import pandas as pd  # here, not at import: only a harvest pays its 0.3 s

        parts = pd.DataFrame(
            {
                "run_id": run_id,
                "seq": seq,
                "part": range((len(packed) + RAW_PAGE_PART - 1) // RAW_PAGE_PART),
                "bytes": [
                    packed[i : i + RAW_PAGE_PART] for i in range(0, len(packed), RAW_PAGE_PART)
                ],
            }
        )
        with self.lock:
            self.con.execute(
                "INSERT INTO raw_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    run_id,
                    seq,
                    resp.url,
                    resp.status,
                    resp.content_type,
                    resp.fetched_at,
                    resp.elapsed_ms,
                    len(body),
                ],
            )
            # a DataFrame scan: one INSERT of ~700 rows, as fast as the single BLOB was
            # (bound list parameters took 4x as long)
            self.con.from_df(parts).insert_into("raw_page_parts")

    def add_records(self, table: str, records: Iterable[dict]) -> int:
        """Bulk-insert records (dicts keyed by column) through an NDJSON temp file.

        A harvest writes its parsed rows to dataset_rows / distribution_rows; they become
        the run's snapshot when finish_run() records their membership."""
        return self.add_encoded(table, encode_records(records))

    def add_encoded(self, table: str, encoded: Encoded) -> int:
        """Bulk-insert records encode_records() made (here or in a parse worker process)."""
        if not encoded.count:
            return 0
        fd, tmp = tempfile.mkstemp(prefix=f"odwatch-{table}-", suffix=".ndjson")
        try:
            # one write, not one per buffer-full: each write releases the GIL, and getting
            # it back from the fetch thread's JSON decoding cost up to 5 ms every time (with
            # ~900 flushes per 1000-package page, the harvest's largest cost)
            with os.fdopen(fd, "wb") as fh:
                fh.write(encoded.ndjson)
            self.load_ndjson(table, tmp, encoded.longest)
        finally:
            os.unlink(tmp)
        return encoded.count

    def spool(self, table: str, rows: int | None = None) -> RowSpool:
        """A spool that loads `table` in bulks of at least `rows` rows (SPOOL_ROWS unless
        given; see RowSpool)."""
        return RowSpool(self, table, SPOOL_ROWS if rows is None else rows)

    def load_ndjson(self, table: str, path: str, longest: int) -> None:
        """INSERT an NDJSON file of records (no line longer than `longest` bytes) into `table`."""
        # the raw JSON is stored once, in raw_pages (compressed): the rows' `raw` column stays
        # NULL (it held a second copy, half the bytes written; `odwatch reparse` rebuilds
        # every row from the pages)
        columns = {c: t for c, t in self.columns(table).items() if c not in NOT_STORED}
        # read_json allocates buffers of twice its maximum_object_size: sized to the
        # longest line written, not a fixed 128 MB (which alone took 256 MB and made
        # a 512MB memory limit fail on the first page)
        max_size = max(1 << 20, 2 * longest)
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
        cols = ", ".join(f'"{c}"' for c in columns)
        with self.lock:
            self.con.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_json(?, "
                f"format = 'newline_delimited', columns = {spec}, maximum_object_size = {max_size})",
                [path],
            )

    def finish_run(
        self,
        run_id: str,
        *,
        method: str | None,
        expected_count: int | None,
        request_count: int,
        warnings: list[str],
        max_modified: str | None = None,
    ) -> tuple[int, int]:
        """Record the run's own rows as members of its snapshot (next to any carried
        forward) and mark it complete: from now on it is the portal's latest snapshot.
        `max_modified`: the largest CKAN metadata_modified the run fetched (where the next
        incremental harvest starts), seen by the harvest as it parsed."""
        with self.lock:
            con = self.con
            con.execute(
                "INSERT INTO snapshot_members SELECT DISTINCT run_id, portal_id, dataset_id, run_id "
                "FROM (SELECT run_id, portal_id, dataset_id FROM dataset_rows WHERE run_id = $run "
                "UNION ALL SELECT run_id, portal_id, dataset_id FROM distribution_rows WHERE run_id = $run)",
                {"run": run_id},
            )
            n_ds, n_di = con.execute(
                "SELECT (SELECT count(*) FROM datasets WHERE run_id = $run), "
                "(SELECT count(*) FROM distributions WHERE run_id = $run)",
                {"run": run_id},
            ).fetchone()
            newest = max_modified
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

    def import_runs(self, staging: str | Path, flow_run_id: str | None = None) -> None:
        """Bring the runs fetched into a staging warehouse file over, in one transaction:
        their harvest_runs rows (still 'running', or 'failed' where a bug stopped the
        fetch), raw pages and rows; `flow_run_id` names the Prefect flow run that imports
        them (see :meth:`landed`). complete_run() then carries the unchanged datasets
        forward and marks each ok or failed here."""
        self.import_tables(
            staging,
            ("harvest_runs", "raw_pages", "raw_page_parts", "dataset_rows", "distribution_rows"),
            {"harvest_runs": {"flow_run_id": flow_run_id}} if flow_run_id else {},
        )

    def landed(self, flow_run_id: str) -> tuple[str, str] | None:
        """(run_id, status) of the newest complete snapshot an attempt of this Prefect flow
        run imported, if one did."""
        with self.lock:
            return landed_by(self.con, flow_run_id)

    def import_tables(
        self,
        staging: str | Path,
        tables: Iterable[str],
        stamps: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        """Append every row of `tables` in the staging warehouse file to the same tables
        here, in one transaction (columns matched by name: a staging file of an older
        schema leaves the newer columns NULL, and has none of the newer tables); `stamps` gives a table's rows column values
        of their own (the same for every row)."""
        where = str(staging).replace("'", "''")
        with self.lock:
            con = self.con
            con.execute(f"ATTACH '{where}' AS odw_stage (READ_ONLY)")
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    for table in tables:
                        theirs = {
                            r[0]
                            for r in con.execute(
                                "SELECT column_name FROM information_schema.columns "
                                "WHERE table_catalog = 'odw_stage' AND table_name = ?",
                                [table],
                            ).fetchall()
                        }
                        if not theirs:
                            continue  # a staging file of a schema without this table
                        mine = [
                            r[0]
                            for r in con.execute(
                                "SELECT column_name FROM information_schema.columns "
                                "WHERE table_catalog = current_database() AND table_schema = 'main' "
                                "AND table_name = ? ORDER BY ordinal_position",
                                [table],
                            ).fetchall()
                        ]
                        given = dict((stamps or {}).get(table, {}))
                        names = [c for c in mine if c in theirs and c not in given]
                        cols = ", ".join(f'"{c}"' for c in names + list(given))
                        values = ", ".join([f'"{c}"' for c in names] + ["?"] * len(given))
                        con.execute(
                            f"INSERT INTO {table} ({cols}) "
                            f"SELECT {values} FROM odw_stage.main.{table}",
                            list(given.values()),
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
            drop_run_rows(self.con, run_id)
            self.con.execute(
                "UPDATE harvest_runs SET status = 'failed', finished_at = now(), error = ?, "
                "request_count = ?, method = ? WHERE run_id = ?",
                [error, request_count, method, run_id],
            )


class RowSpool:
    """Encoded pages of one table gathered in a temp file and loaded in bulks of `rows` or more.

    Page-sized INSERTs (1,000 datasets, ~10,000 distributions) each land in the WAL and stay
    in memory until a checkpoint writes them again: the harvest's memory grew to DuckDB's
    memory limit and spilled. A bulk of whole row groups is written once, to the file. What
    is spooled and not yet loaded is lost with a failed run, as its rows would be anyway
    (drop_run_rows); the raw pages are stored as they come."""

    def __init__(self, wh: Warehouse, table: str, rows: int):
        self.wh, self.table, self.rows = wh, table, rows
        fd, self.path = tempfile.mkstemp(prefix=f"odwatch-{table}-", suffix=".ndjson")
        self.fh = os.fdopen(fd, "wb")
        self.pending = 0
        self.longest = 0

    def add(self, encoded: Encoded) -> int:
        self.fh.write(encoded.ndjson)
        self.pending += encoded.count
        self.longest = max(self.longest, encoded.longest)
        if self.pending >= self.rows:
            self.flush()
        return encoded.count

    def flush(self) -> None:
        if not self.pending:
            return
        self.fh.flush()
        self.wh.load_ndjson(self.table, self.path, self.longest)
        self.fh.seek(0)
        self.fh.truncate()
        self.pending = 0
        self.longest = 0

    def close(self) -> None:
        """Load what is left and remove the file."""
        try:
            self.flush()
        finally:
            self.discard()

    def discard(self) -> None:
        self.fh.close()
        Path(self.path).unlink(missing_ok=True)
