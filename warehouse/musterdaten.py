"""The Musterdatensatz of each dataset: every SQL statement on ``musterdaten_*``.

:func:`judge` runs inside an assessment (``flows/assess.py``), over its temp table ``_ds`` (the
snapshot's datasets), classifies them with :class:`checks.musterdaten.Classifier` and replaces
the snapshot's rows of ``musterdaten_classes`` (``warehouse/schema_musterdaten.sql``).
:func:`coverage` and :func:`dataset_classes` are what the pages and downloads read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from checks.musterdaten import DESCRIPTION_CHARS, Classifier
from warehouse.store import insert_rows

_BATCH = 20_000  # datasets read from _ds, classified and inserted at a time


def _keep(con: duckdb.DuckDBPyConnection, run_id: str, fingerprint: str) -> int:
    """Give the snapshot's datasets that an earlier snapshot holds as the same stored row
    (carried forward by an incremental harvest: the same text) the class that snapshot's
    judgement gave them, when it was made by the same model (fingerprint). Returns how many."""
    before = con.execute(
        "SELECT count(*) FROM musterdaten_classes WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    con.execute(
        """
        INSERT INTO musterdaten_classes
        SELECT $run, c.portal_id, c.dataset_id, c.musterdatensatz, c.thema, c.bezeichnung,
               c.score, c.evidence, c.matched
        FROM snapshot_members m
        JOIN snapshot_members e
          ON e.portal_id = m.portal_id AND e.dataset_id = m.dataset_id
         AND e.origin_run = m.origin_run AND e.run_id <> m.run_id
        JOIN musterdaten_runs r
          ON r.run_id = e.run_id AND r.fingerprint = $fp AND r.error IS NULL
        JOIN musterdaten_classes c ON c.run_id = e.run_id AND c.dataset_id = m.dataset_id
        WHERE m.run_id = $run AND m.dataset_id IN (SELECT dataset_id FROM _ds)
        QUALIFY row_number() OVER (PARTITION BY c.dataset_id ORDER BY r.judged_at DESC,
                                   r.run_id DESC) = 1
        """,
        {"run": run_id, "fp": fingerprint},
    )
    return (
        con.execute(
            "SELECT count(*) FROM musterdaten_classes WHERE run_id = ?", [run_id]
        ).fetchone()[0]
        - before
    )


def judge(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    portal_id: str,
    classifier: Classifier | None,
    error: str | None = None,
) -> int:
    """Replace the snapshot's classes (inside an assessment: reads ``_ds``): those of datasets
    carried forward unchanged are kept from the snapshot that judged them (:func:`_keep`), the
    rest classified. Without a classifier, only a ``musterdaten_runs`` row with the error.
    Returns datasets classified or kept."""
    n = 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM musterdaten_classes WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM musterdaten_runs WHERE run_id = ?", [run_id])
        last = None
        if classifier is not None:
            n += _keep(con, run_id, classifier.fingerprint)
        while classifier is not None:
            # keyset pages: an insert on the connection would end an open result set
            batch = con.execute(
                "SELECT dataset_id, title, substr(description, 1, $chars), keywords, themes "
                "FROM _ds WHERE ($last IS NULL OR dataset_id > $last) AND dataset_id NOT IN "
                "(SELECT dataset_id FROM musterdaten_classes WHERE run_id = $run) "
                "ORDER BY dataset_id LIMIT $n",
                {"chars": DESCRIPTION_CHARS, "last": last, "n": _BATCH, "run": run_id},
            ).fetchall()
            if not batch:
                break
            fields = [tuple(r[1:]) for r in batch]
            rows = []
            for (dataset_id, *_), v in zip(batch, classifier.classify(fields), strict=True):
                thema, bez = classifier.meta.get(v.label, (None, None)) if v.label else (None, None)
                rows.append(
                    (run_id, portal_id, dataset_id, v.label, thema, bez, v.score,
                     list(v.evidence), v.like)
                )  # fmt: skip
            insert_rows(con, "musterdaten_classes", rows)
            n += len(rows)
            last = batch[-1][0]
        ref = classifier.reference if classifier else None
        con.execute(
            "INSERT INTO musterdaten_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                portal_id,
                datetime.now(UTC),
                str(ref.source) if ref and ref.source else None,
                ref.sha256 if ref else None,
                classifier.fingerprint if classifier else None,
                classifier.threshold if classifier else None,
                error,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return n


def coverage(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> dict[str, dict]:
    """Per portal with a classified latest snapshot: ``run_id``, ``datasets`` (classified),
    ``classified`` (given a class), ``fingerprint``, ``threshold`` and ``has``, its
    Musterdatensätze (``musterdatensatz``, ``thema``, ``bezeichnung``, ``datasets``,
    ``best_score``), most datasets first."""
    ids = list(portal_ids)
    out: dict[str, dict] = {}
    if not _present(con):
        return out
    for r in con.execute(
        """
        WITH latest AS (
            SELECT r.* FROM musterdaten_runs r JOIN harvest_runs h USING (run_id)
            WHERE r.error IS NULL AND list_contains($ids, r.portal_id)
            QUALIFY row_number() OVER (PARTITION BY r.portal_id
                                       ORDER BY h.started_at DESC, r.run_id DESC) = 1
        )
        SELECT l.portal_id, l.run_id, l.fingerprint, l.threshold, l.reference_sha256,
               count(c.dataset_id) AS datasets,
               count(c.musterdatensatz) AS classified
        FROM latest l LEFT JOIN musterdaten_classes c USING (run_id)
        GROUP BY ALL
        """,
        {"ids": ids},
    ).fetchall():
        pid, run_id, fp, th, sha, n, k = r
        out[pid] = {
            "run_id": run_id, "fingerprint": fp, "threshold": th, "reference_sha256": sha,
            "datasets": n, "classified": k, "has": [],
        }  # fmt: skip
    has: dict[str, list[dict]] = defaultdict(list)
    for pid, label, thema, bez, n, best in con.execute(
        "SELECT portal_id, musterdatensatz, thema, bezeichnung, datasets, best_score "
        "FROM musterdaten_coverage WHERE list_contains($ids, portal_id) "
        "ORDER BY portal_id, datasets DESC, musterdatensatz",
        {"ids": ids},
    ).fetchall():
        has[pid].append(
            {"musterdatensatz": label, "thema": thema, "bezeichnung": bez, "datasets": n,
             "best_score": best}
        )  # fmt: skip
    for pid, items in has.items():
        if pid in out:
            out[pid]["has"] = items
    return out


def _present(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the tables (an older one opened read-only may not)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}  # fmt: skip
    return {"musterdaten_runs", "musterdaten_classes", "musterdaten_coverage"} <= names


def classified_datasets(con: duckdb.DuckDBPyConnection, portal_ids: Sequence[str]) -> list[dict]:
    """The datasets given a class in each portal's latest classified snapshot, with the
    evidence: the scorecard's per-dataset download."""
    if not _present(con):
        return []
    cur = con.execute(
        """
        SELECT v.portal_id, v.run_id, c.dataset_id, d.title, d.landing_page, c.musterdatensatz,
               c.thema, c.bezeichnung, c.score, c.evidence, c.matched
        FROM (SELECT DISTINCT portal_id, run_id FROM musterdaten_coverage
              WHERE list_contains($ids, portal_id)) v
        JOIN musterdaten_classes c USING (run_id)
        LEFT JOIN datasets d ON d.run_id = c.run_id AND d.dataset_id = c.dataset_id
        WHERE c.musterdatensatz IS NOT NULL
        ORDER BY v.portal_id, c.musterdatensatz, c.score DESC, c.dataset_id
        """,
        {"ids": list(portal_ids)},
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def dataset_classes(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The snapshot's classes, one dict per dataset (with its title), by dataset_id."""
    cur = con.execute(
        "SELECT c.*, d.title FROM musterdaten_classes c "
        "LEFT JOIN datasets d ON d.run_id = c.run_id AND d.dataset_id = c.dataset_id "
        "WHERE c.run_id = ? ORDER BY c.dataset_id",
        [run_id],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
