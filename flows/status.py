"""`odwatch status`: what an operator looks at first.

One row per enabled portal of portals.yaml: its schedule and when it is next due, the last
harvest attempt (when, how it ended, full or incremental, requests, error), how many
attempts in a row failed, the latest complete snapshot (its age and size) and its score;
plus the harvests fetching right now (their staging files). Read-only: it never writes the
warehouse, and waits a little while a run is writing it. Exit status 0 when every portal's
last attempt succeeded, 3 when one failed or a portal was never harvested (for monitoring).
The query is in ``warehouse/status.py``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import duckdb

from flows.adapters.errors import printable
from flows.config import Portal
from warehouse.status import portal_status_rows
from warehouse.store import WarehouseLocked, connect

COLUMNS = (
    "portal",
    "schedule",
    "next_due",
    "last_attempt",
    "result",
    "mode",
    "datasets",
    "changed",
    "requests",
    "failing",
    "snapshot_age",
    "score",
)


def next_due(cron: str, now: datetime) -> datetime | None:
    """The next time `cron` fires after `now` (UTC, as `odwatch serve` deploys it)."""
    from cronsim import CronSim, CronSimError  # Prefect's own cron parser

    try:
        return next(CronSim(cron, now.astimezone(UTC).replace(tzinfo=None))).replace(tzinfo=UTC)
    except (CronSimError, StopIteration):
        return None


def age(since: datetime | None, now: datetime) -> str | None:
    """'3 d 4 h', '5 h 10 min', '42 min' - how long ago, roughly."""
    if since is None:
        return None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def portal_status(
    con: duckdb.DuckDBPyConnection, portals: list[Portal], now: datetime
) -> list[dict]:
    """The status row of each portal (in the order given)."""
    ids = [p.id for p in portals]
    rows = portal_status_rows(con, ids)
    found = {r[0]: r for r in rows}
    out = []
    for p in portals:
        row = {
            "portal": p.id,
            "schedule": p.schedule,
            "next_due": next_due(p.schedule, now),
            "full_every": p.full_every,
        }
        r = found.get(p.id)
        if r is None:
            row.update(result="never harvested")
        else:
            (_, started, status, mode, changed, requests, error, failing, run_id, finished,
             n_ds, n_di, scaled, band, max_points) = r  # fmt: skip
            row.update(
                last_attempt=started,
                result=status,
                mode=mode or ("full" if status == "ok" else None),  # NULL: before modes
                changed=changed,
                requests=requests,
                error=error,
                failing=int(failing),
                snapshot=run_id,
                snapshot_at=finished,
                snapshot_age=age(finished, now),
                datasets=n_ds,
                distributions=n_di,
                score=None if scaled is None else f"{scaled:.0f}/{max_points} {band}",
            )
        out.append(row)
    return out


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return str(value)


def render_table(rows: list[dict]) -> str:
    cells = [[_cell(r.get(c)) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    for r in rows:
        if r.get("result") == "failed" and r.get("error"):
            lines.append(f"{r['portal']}: {printable(r['error'])}")  # stored before escaping too
    return "\n".join(lines)


def _open(path: str, wait: float) -> duckdb.DuckDBPyConnection:
    """Open read-only; while a run is writing, retry for up to `wait` seconds."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return connect(path, read_only=True)
        except WarehouseLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
