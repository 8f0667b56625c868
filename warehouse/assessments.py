"""The assessment's keeping: every SQL statement writing or reading the assessment tables.

``methods``/``method_checks`` (:func:`register_method`), ``findings``, ``verdicts``, ``scores``,
``score_indicators`` and ``assessments`` (:func:`write_ok`, :func:`write_failed`), the stars
the link checker rated (``distribution_stars``, updated from this assessment's licence
verdicts) and the snapshots still to assess (:func:`pending_runs`). ``flows/assess.py`` builds
the run's temp tables (``_f``, ``_dsf``, ``_difa``, ...) with the SQL of ``checks/``; the
functions here copy them into the warehouse in one transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb

from checks.assess_sql_scores import dataset_scores_sql, portal_indicators_sql, portal_scores_sql
from checks.fingerprint import method_fingerprint, vocabulary_fingerprint
from checks.scoring import CURRENT, Method
from checks.stars import STARS_REASON_SQL, STARS_SQL
from warehouse.store import CODE_VERSION, AssessError


def register_method(con: duckdb.DuckDBPyConnection, method: Method = CURRENT) -> str:
    """Record the method (once); refuse a changed definition under a known version."""
    fingerprint = method_fingerprint(method)
    row = con.execute(
        "SELECT method_fingerprint FROM methods WHERE method_version = ?", [method.version]
    ).fetchone()
    if row is not None:
        if row[0] != fingerprint:
            raise AssessError(
                f"method {method.version} is recorded with fingerprint {row[0]} but this code's "
                f"is {fingerprint}: the checks or weights changed; bump METHOD_VERSION in "
                "checks/scoring.py"
            )
        return fingerprint
    con.execute(
        "INSERT INTO methods VALUES (?, ?, ?, ?)",
        [method.version, fingerprint, datetime.now(UTC), json.dumps(method.definition())],
    )
    con.executemany(
        "INSERT INTO method_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                method.version,
                c.code,
                c.title,
                c.severity,
                c.level,
                c.kind,
                c.fix,
                list(c.indicators),
            ]
            for c in method.checks
        ],
    )
    return fingerprint


# ---------------------------------------------------------------- lookups


# The link checker's star rows of the run take this assessment's licence verdicts (judged
# once, here): stars, reason and licence status follow from format_stars and the verdict.
_STARS_UPDATE_SQL = f"""
UPDATE distribution_stars SET
    stars = {STARS_SQL.format(license_status="v.license_status", format_stars="distribution_stars.format_stars")},
    reason = {STARS_REASON_SQL.format(license_status="v.license_status", format_reason="distribution_stars.format_reason")},
    license_status = v.license_status
FROM (SELECT s.dataset_id, u.distribution_id, u.license_status
      FROM _difa u JOIN _dsf0 s USING (dk) WHERE NOT u.is_virtual) v
WHERE distribution_stars.run_id = ? AND distribution_stars.format_stars IS NOT NULL
  AND v.dataset_id = distribution_stars.dataset_id
  AND v.distribution_id = distribution_stars.distribution_id
"""


_SCORE_COLUMNS = (
    "findability, accessibility, interoperability, reusability, contextuality, points, "
    "max_assessable, max_points, scaled, band, not_checked, share_open_license, "
    "share_machine_readable, share_non_proprietary, share_on_time, datasets, distributions, "
    "released, share_released, released_datasets, released_unverified, "
    "stars, stars_0, stars_1, stars_2, stars_3, stars_4, stars_5"
)


# The licence and format verdicts of the assessed datasets (_dsf) and of every distribution
# (_difa: generated ones too, which the scores count once but the stars rate one by one).
_VERDICTS_SQL = (
    "INSERT INTO verdicts SELECT ?, ?, ?, ?, dataset_id, NULL, open_raw, open_license_id, "
    "open_status, open_status = 'open', NULL, NULL, NULL FROM _dsf "
    "UNION ALL SELECT ?, ?, ?, ?, s.dataset_id, u.distribution_id, u.license_raw, u.license_id, "
    "u.license_status, u.license_status = 'open', u.fmt_format, u.fmt_mr, u.fmt_np "
    "FROM _difa u JOIN _dsf0 s USING (dk) WHERE NOT u.is_virtual"
)


def _delete(con: duckdb.DuckDBPyConnection, assessment_id: str) -> None:
    for table in ("findings", "verdicts", "scores", "score_indicators", "assessments"):
        con.execute(f"DELETE FROM {table} WHERE assessment_id = ?", [assessment_id])


def write_ok(
    con: duckdb.DuckDBPyConnection,
    result: Any,
    method: Method,
    fingerprint: str,
    snapshot_at: datetime,
    links: bool,
    gx_success: bool | None,
    gx_results: list | None,
    started: float,
    update_stars: bool = False,
) -> None:
    """Replace the assessment ``result.assessment_id`` by the run's temp tables, in one
    transaction; ``result`` (flows/assess.py's AssessResult) gets its counts and score."""
    key = [result.assessment_id, result.run_id, result.portal_id, method.version]
    con.execute("BEGIN TRANSACTION")
    try:
        _delete(con, result.assessment_id)
        con.execute(
            "INSERT INTO findings (assessment_id, run_id, portal_id, method_version, dataset_id, "
            "distribution_id, code, severity, message, evidence, points_lost) "
            "SELECT ?, ?, ?, ?, * FROM _f",
            key,
        )
        con.execute(_VERDICTS_SQL, key * 2)
        if update_stars and method is CURRENT:  # an older method's replay leaves them alone
            con.execute(_STARS_UPDATE_SQL, [result.run_id])
        content_codes = [c.code for c in method.checks if c.kind == "content"]
        if content_codes:  # reported at no points; codes the method does not know are left out
            con.execute(
                "INSERT INTO findings (assessment_id, run_id, portal_id, method_version, dataset_id, "
                "distribution_id, code, severity, message, evidence, points_lost) "
                "SELECT ?, ?, ?, ?, dataset_id, distribution_id, code, severity, message, evidence, 0.0 "
                "FROM _lk_content WHERE list_contains(?, code)",
                [*key, content_codes],
            )
        con.execute(
            f"INSERT INTO scores (assessment_id, run_id, portal_id, method_version, level, dataset_id, {_SCORE_COLUMNS}) "
            f"SELECT ?, ?, ?, ?, 'dataset', * FROM ({dataset_scores_sql(method)})",
            key,
        )
        con.execute(
            f"INSERT INTO scores (assessment_id, run_id, portal_id, method_version, level, dataset_id, {_SCORE_COLUMNS}) "
            f"SELECT ?, ?, ?, ?, 'portal', NULL, * FROM ({portal_scores_sql(method)})",
            key,
        )
        con.execute(
            "INSERT INTO score_indicators (assessment_id, run_id, portal_id, method_version, indicator, "
            "dimension, weight, level, passed, failed, share, points) "
            f"SELECT ?, ?, ?, ?, * FROM ({portal_indicators_sql(method)})",
            key,
        )
        result.findings = con.execute(
            "SELECT count(*) FROM findings WHERE assessment_id = ?", [result.assessment_id]
        ).fetchone()[0]
        portal = con.execute(
            "SELECT points, max_assessable, band, datasets, distributions FROM scores "
            "WHERE assessment_id = ? AND level = 'portal'",
            [result.assessment_id],
        ).fetchone()
        result.points, result.max_assessable, result.band, result.datasets, result.distributions = (
            portal
        )
        result.gx_success = gx_success
        result.seconds = time.monotonic() - started
        con.execute(
            "INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ok', NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                *key[:3],
                method.version,
                fingerprint,
                vocabulary_fingerprint(),
                snapshot_at,
                datetime.now(UTC),
                links,
                result.datasets,
                result.distributions,
                result.findings,
                result.seconds,
                gx_success,
                json.dumps(gx_results) if gx_results is not None else None,
                CODE_VERSION,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def write_failed(
    con: duckdb.DuckDBPyConnection, result: Any, fingerprint: str, snapshot_at: datetime
) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        _delete(con, result.assessment_id)
        con.execute(
            "INSERT INTO assessments (assessment_id, run_id, portal_id, method_version, method_fingerprint, "
            "vocab_fingerprint, snapshot_at, assessed_at, status, error, seconds, odwatch_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'failed', ?, ?, ?)",
            [
                result.assessment_id,
                result.run_id,
                result.portal_id,
                result.method_version,
                fingerprint,
                vocabulary_fingerprint(),
                snapshot_at,
                datetime.now(UTC),
                result.error,
                result.seconds,
                CODE_VERSION,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def pending_runs(
    con: duckdb.DuckDBPyConnection, method: Method = CURRENT, include: Iterable[str] = ()
) -> list[str]:
    """`include` plus each portal's latest and previous ok snapshots that have no ok assessment
    under `method` (the previous one, so score_changes can tell city from method); an
    assessment without its stored verdicts (made before they were) counts as none."""
    rows = con.execute(
        """
        SELECT run_id FROM (
            SELECT run_id, started_at,
                   row_number() OVER (PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC) AS k
            FROM harvest_runs WHERE status = 'ok'
        ) r
        WHERE k <= 2 AND NOT EXISTS (
            SELECT 1 FROM assessments a
            WHERE a.run_id = r.run_id AND a.method_version = ? AND a.status = 'ok'
              -- assessed before verdicts were stored: again, so the mixes have rows to read
              AND (a.dataset_count = 0
                   OR EXISTS (SELECT 1 FROM verdicts v WHERE v.assessment_id = a.assessment_id)))
        ORDER BY started_at, run_id
        """,
        [method.version],
    ).fetchall()
    out = list(dict.fromkeys(include))
    return out + [r[0] for r in rows if r[0] not in out]
