"""Datasets that stand on more than one harvested portal: every SQL statement reading the
``dataset_copies`` view (``warehouse/schema_copies.sql``, over each portal's latest snapshot).

:class:`Copies` reads every pair once; its counts and disagreeing copies are what the city
pages show, its rows the download.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import duckdb

DISAGREE_LIMIT = 50  # disagreeing copies per portal on its page (all in the download)


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


class Copies:
    """Every pair of copies with a portal of ``portal_ids`` on the first side, read once
    (:meth:`read`: the one statement on the view, which recomputes the match keys of every
    latest dataset and distribution each time it is read); the city pages' counts and lists
    are derived from these rows."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> Copies:
        return cls(
            _rows(
                con.execute(
                    "SELECT * FROM dataset_copies WHERE list_contains($ids, portal_id) "
                    "ORDER BY portal_id, dataset_id, copy_portal_id",
                    {"ids": list(portal_ids)},
                )
            )
        )

    def counts(self) -> dict[str, list[dict]]:
        """Per portal: per other portal holding copies of its datasets, ``datasets`` (with a
        copy there) and ``disagree`` (of those, how many differ in licence, date or
        distributions); most datasets first."""
        seen: dict[tuple[str, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
        for r in self.rows:
            both = seen[r["portal_id"], r["copy_portal_id"]]
            both[0].add(r["dataset_id"])
            if r["differs"]:
                both[1].add(r["dataset_id"])
        out: dict[str, list[dict]] = defaultdict(list)
        for (pid, other), (datasets, disagree) in sorted(
            seen.items(), key=lambda kv: (kv[0][0], -len(kv[1][0]), kv[0][1])
        ):
            out[pid].append(
                {"portal_id": pid, "copy_portal_id": other, "datasets": len(datasets),
                 "disagree": len(disagree)}
            )  # fmt: skip
        return dict(out)

    def disagreeing(self, limit: int = DISAGREE_LIMIT) -> dict[str, list[dict]]:
        """Per portal: its copies that differ from the other layer, most differences first,
        at most ``limit``, with a ``total`` on each row."""
        by_portal: dict[str, list[dict]] = defaultdict(list)
        for r in self.rows:
            if r["differs"]:
                by_portal[r["portal_id"]].append(r)
        out = {}
        for pid in sorted(by_portal):
            rows = sorted(
                by_portal[pid],
                key=lambda r: (-len(r["differs"]), r["title"] is None, r["title"] or "",
                               r["dataset_id"], r["copy_portal_id"]),
            )  # fmt: skip
            out[pid] = [{**r, "total": len(rows)} for r in rows[:limit]]
        return out

    def copied_from(self, sources: Sequence[str]) -> dict[str, int]:
        """Per portal: how many of its datasets have a copy on one of ``sources`` (the city
        portals: a catalogue's datasets counted there, not again)."""
        src = set(sources)
        found: dict[str, set] = defaultdict(set)
        for r in self.rows:
            if r["copy_portal_id"] in src:
                found[r["portal_id"]].add(r["dataset_id"])
        return {pid: len(ids) for pid, ids in found.items()}


def copy_counts(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> dict[str, list[dict]]:
    """:meth:`Copies.counts` of these portals."""
    return Copies.read(con, portal_ids).counts()


def disagreeing(
    con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str], limit: int = DISAGREE_LIMIT
) -> dict[str, list[dict]]:
    """:meth:`Copies.disagreeing` of these portals."""
    return Copies.read(con, portal_ids).disagreeing(limit)


def copied_from(
    con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str], sources: Sequence[str]
) -> dict[str, int]:
    """:meth:`Copies.copied_from` of these portals."""
    return Copies.read(con, portal_ids).copied_from(sources)
