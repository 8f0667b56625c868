"""Datasets that stand on more than one harvested portal: every SQL statement reading the
``dataset_copies`` view (``warehouse/schema_copies.sql``, over each portal's latest snapshot).

:func:`copy_counts` and :func:`disagreeing` are what the city pages read; :func:`all_copies`
the download.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import duckdb

DISAGREE_LIMIT = 50  # disagreeing copies per portal on its page (all in the download)


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def copy_counts(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> dict[str, list[dict]]:
    """Per portal: per other portal holding copies of its datasets, ``datasets`` (with a copy
    there) and ``disagree`` (of those, how many differ in licence, date or distributions)."""
    out: dict[str, list[dict]] = defaultdict(list)
    for r in _rows(
        con.execute(
            """
            SELECT portal_id, copy_portal_id, count(DISTINCT dataset_id) AS datasets,
                   count(DISTINCT dataset_id) FILTER (WHERE len(differs) > 0) AS disagree
            FROM dataset_copies WHERE list_contains($ids, portal_id)
            GROUP BY ALL ORDER BY portal_id, datasets DESC, copy_portal_id
            """,
            {"ids": list(portal_ids)},
        )
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def disagreeing(
    con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str], limit: int = DISAGREE_LIMIT
) -> dict[str, list[dict]]:
    """Per portal: its copies that differ from the other layer, at most ``limit``, with a
    ``total`` on each row."""
    out: dict[str, list[dict]] = defaultdict(list)
    for r in _rows(
        con.execute(
            """
            SELECT *, count(*) OVER (PARTITION BY portal_id) AS total FROM dataset_copies
            WHERE list_contains($ids, portal_id) AND len(differs) > 0
            QUALIFY row_number() OVER (PARTITION BY portal_id
                                       ORDER BY len(differs) DESC, title, dataset_id,
                                                copy_portal_id) <= $limit
            ORDER BY portal_id, len(differs) DESC, title, dataset_id, copy_portal_id
            """,
            {"ids": list(portal_ids), "limit": limit},
        )
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def all_copies(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> list[dict]:
    """Every pair of copies with a portal of ``portal_ids`` on the first side."""
    return _rows(
        con.execute(
            "SELECT * FROM dataset_copies WHERE list_contains($ids, portal_id) "
            "ORDER BY portal_id, dataset_id, copy_portal_id",
            {"ids": list(portal_ids)},
        )
    )


def copied_from(
    con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str], sources: Sequence[str]
) -> dict[str, int]:
    """Per portal: how many of its datasets have a copy on one of ``sources`` (the city
    portals: a catalogue's datasets counted there, not again)."""
    return {
        pid: n
        for pid, n in con.execute(
            "SELECT portal_id, count(DISTINCT dataset_id) FROM dataset_copies "
            "WHERE list_contains($ids, portal_id) AND list_contains($src, copy_portal_id) "
            "GROUP BY portal_id",
            {"ids": list(portal_ids), "src": list(sources)},
        ).fetchall()
    }
