"""Assess stored snapshots: findings, scores and Great Expectations results, from the warehouse.

Nothing here touches the network, so a new check or weight can be replayed over every past
snapshot (``odwatch assess --all``). Per run:

1. the run's datasets and distributions go into temp tables; the pure classifiers of
   ``checks/`` (licences, formats, dates, frequencies) run once per *distinct* raw value and
   their answers are loaded as lookup tables;
2. the SQL of ``checks/assess_sql.py`` computes facts, rules, findings and scores set-based;
3. the Great Expectations suites of ``checks/expectations.py`` validate the snapshot's tables;
4. findings, scores and the assessment row are written in one transaction, replacing an
   earlier assessment of the same run under the same method version.

"Now" is the snapshot's harvest time (``harvest_runs.started_at``), never the wall clock: an
old snapshot re-assessed today gives the same freshness verdicts as on the day it was taken.

Link checks (issue 4, ``warehouse/schema_links.sql``): each URL's latest result in
``link_checks(url, outcome, checked_at)`` before the portal's next snapshot decides the
reachability indicators (``ok`` reachable, ``dead`` not, anything else not judged); a URL
without a result, or a warehouse without that table, leaves them "not checked". That lookup
(:func:`_link_lookup`) is the whole integration.

Content checks and 5-star openness (same schema): each of the run's distributions' latest
content check before the portal's next snapshot gives its findings, copied into the fix list
at no points (:func:`_content_lookup`; codes of kind ``content`` in the method table only);
``distribution_stars`` of the run gives the ``stars`` columns of the scores
(:func:`_stars_lookup`), NULL when the link checker has not rated this snapshot.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from checks.assess_sql import (
    dataset_scores_sql,
    evaluate_sql,
    facts_sql,
    finding_units_sql,
    findings_sql,
    portal_indicators_sql,
    portal_scores_sql,
    url_signature_select,
)
from checks.expectations import Thresholds
from checks.facts import (
    dataset_license,
    date_facts,
    format_facts,
    frequency_facts,
    license_facts,
)
from checks.freshness import as_utc
from checks.licenses import classify_license
from checks.metadata import method_fingerprint
from checks.scoring import (
    CURRENT,
    MAX_POINTS,
    Method,
    vocabulary_fingerprint,
)
from checks.stars import STARS_REASON_SQL, STARS_SQL
from warehouse.store import AssessError

_TEMP_TABLES = (
    "_ds _di _lk_fmt _lk_lic _lk_lic3 _lk_date _lk_freq _lk_links _lk_content _lk_stars "
    "_dsf0 _difa _dif _dsf _evd _evu _cnt _fu _f"
).split()


@dataclass
class AssessResult:
    assessment_id: str
    run_id: str
    portal_id: str
    method_version: str
    status: str  # ok | failed
    datasets: int = 0
    distributions: int = 0
    findings: int = 0
    points: float | None = None
    max_assessable: int | None = None
    band: str | None = None
    max_points: int = MAX_POINTS
    gx_success: bool | None = None
    seconds: float = 0.0
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    def line(self) -> str:
        if self.status != "ok":
            return f"{self.run_id}\t{self.portal_id}\t{self.method_version}\tFAILED: {self.error}"
        score = f"{self.points:.1f}/{self.max_assessable}" if self.points is not None else "-"
        gx = {True: "gx ok", False: "gx FAILED", None: "gx skipped"}[self.gx_success]
        return (
            f"{self.run_id}\t{self.portal_id}\t{self.method_version}\t{self.datasets} datasets\t"
            f"{score} points ({self.max_points} max)\t{self.band or '-'}\t{self.findings} findings\t{gx}"
        )


# ---------------------------------------------------------------- methods


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


def _load(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: Iterable[Sequence]
) -> int:
    """Load rows into temp table `name` through NDJSON + read_json (fast, typed)."""
    names = list(columns)
    fd, tmp = tempfile.mkstemp(prefix=f"odwatch{name}-", suffix=".ndjson")
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(
                    json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=str)
                )
                fh.write("\n")
                n += 1
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
        if n:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_json(?, "
                f"format = 'newline_delimited', columns = {spec}, maximum_object_size = 134217728)",
                [tmp],
            )
        else:
            cols = ", ".join(f"{c} {t}" for c, t in columns.items())
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
    finally:
        os.unlink(tmp)
    return n


def _distinct(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _build_lookups(con: duckdb.DuckDBPyConnection) -> None:
    fmt = _distinct(con, "SELECT DISTINCT format_raw, media_type_raw, url_sig FROM _di")
    _load(
        con,
        "_lk_fmt",
        {
            "format_raw": "VARCHAR",
            "media_type_raw": "VARCHAR",
            "url_sig": "VARCHAR",
            "fmt_format": "VARCHAR",
            "fmt_known": "BOOLEAN",
            "fmt_in_vocab": "BOOLEAN",
            "fmt_mr": "BOOLEAN",
            "fmt_np": "BOOLEAN",
            "media_registered": "BOOLEAN",
        },
        ((f, m, s, *format_facts(f, m, s).values()) for f, m, s in fmt),
    )
    lic = _distinct(con, "SELECT DISTINCT license_raw FROM _di WHERE license_raw IS NOT NULL")
    _load(
        con,
        "_lk_lic",
        {"raw": "VARCHAR", "status": "VARCHAR", "vocab": "BOOLEAN", "license_id": "VARCHAR"},
        (license_facts(classify_license(r)) for (r,) in lic),
    )
    lic3 = _distinct(
        con, "SELECT DISTINCT license_raw, license_url_raw, license_title_raw FROM _ds"
    )
    _load(
        con,
        "_lk_lic3",
        {
            "license_raw": "VARCHAR",
            "license_url_raw": "VARCHAR",
            "license_title_raw": "VARCHAR",
            "raw": "VARCHAR",
            "status": "VARCHAR",
            "vocab": "BOOLEAN",
            "license_id": "VARCHAR",
        },
        ((a, b, c, *license_facts(dataset_license(a, b, c))) for a, b, c in lic3),
    )
    dates = _distinct(
        con,
        "SELECT issued FROM _ds WHERE issued IS NOT NULL "
        "UNION SELECT modified FROM _ds WHERE modified IS NOT NULL",
    )
    _load(
        con,
        "_lk_date",
        {"raw": "VARCHAR", "utc": "TIMESTAMP", "status": "VARCHAR"},
        ((r, *date_facts(r)) for (r,) in dates),
    )
    freq = _distinct(con, "SELECT DISTINCT frequency_raw FROM _ds WHERE frequency_raw IS NOT NULL")
    _load(
        con,
        "_lk_freq",
        {
            "raw": "VARCHAR",
            "code": "VARCHAR",
            "period_days": "INTEGER",
            "exempt": "VARCHAR",
            "known": "BOOLEAN",
        },
        ((r, *frequency_facts(r)) for (r,) in freq),
    )


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = 'main'",
            [table],
        ).fetchall()
    }


# The start of the portal's next ok snapshot after `run_id` (NULL for its latest): link and
# content results from then on belong to that snapshot. Parameters: run_id, portal_id.
_CUTOFF = """
    SELECT min(n.started_at) AS t FROM harvest_runs n, harvest_runs r
    WHERE r.run_id = ? AND n.portal_id = ? AND n.status = 'ok' AND n.started_at > r.started_at
"""


def _content_lookup(con: duckdb.DuckDBPyConnection, run_id: str, portal_id: str) -> None:
    """Fill ``_lk_content(dataset_id, distribution_id, code, severity, message, evidence)``.

    Per distribution of the run, matched on (portal_id, distribution_id): the findings of its
    latest content check before the portal's next ok snapshot started (the time bound of
    :func:`_link_lookup`). A later clean check leaves none. Empty without the tables.
    """
    check_cols = {"check_run_id", "portal_id", "distribution_id", "checked_at"}
    if not (
        check_cols <= _columns(con, "content_checks")
        and check_cols | {"code", "severity", "message", "evidence"}
        <= _columns(con, "content_findings")
    ):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _lk_content (dataset_id VARCHAR, distribution_id "
            "VARCHAR, code VARCHAR, severity VARCHAR, message VARCHAR, evidence VARCHAR)"
        )
        return
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _lk_content AS
        WITH cutoff AS ({_CUTOFF}),
        dists AS (
            SELECT DISTINCT dataset_id, distribution_id FROM _di WHERE distribution_id IS NOT NULL
        ),
        checks AS (  -- a check with findings is a check even if its content_checks row is gone
            SELECT check_run_id, distribution_id, checked_at FROM content_checks WHERE portal_id = ?
            UNION
            SELECT check_run_id, distribution_id, checked_at FROM content_findings WHERE portal_id = ?
        ),
        latest AS (
            SELECT c.check_run_id, c.distribution_id FROM checks c, cutoff
            WHERE (cutoff.t IS NULL OR c.checked_at < cutoff.t)
              AND c.distribution_id IN (SELECT distribution_id FROM dists)
            QUALIFY row_number() OVER (
                PARTITION BY c.distribution_id ORDER BY c.checked_at DESC, c.check_run_id DESC) = 1
        )
        SELECT d.dataset_id, f.distribution_id, f.code, f.severity, f.message, f.evidence
        FROM content_findings f
        JOIN latest l USING (check_run_id, distribution_id)
        JOIN dists d USING (distribution_id)
        WHERE f.portal_id = ?
        ORDER BY d.dataset_id, f.distribution_id, f.code, f.evidence
        """,
        [run_id, portal_id, portal_id, portal_id, portal_id],
    )


def _stars_lookup(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Fill ``_lk_stars(dataset_id, stars)``: the most stars of a dataset's distributions,
    from the link checker's level before the licence (``distribution_stars.format_stars``) and
    this assessment's own licence verdict of each distribution (``_difa``); rows only for the
    datasets the link checker rated. Rows written before that column existed keep their
    stars. Returns whether ``distribution_stars`` can be updated with the verdicts."""
    cols = _columns(con, "distribution_stars")
    if not {"run_id", "dataset_id", "distribution_id", "stars"} <= cols:
        con.execute("CREATE OR REPLACE TEMP TABLE _lk_stars (dataset_id VARCHAR, stars INTEGER)")
        return False
    levelled = "format_stars" in cols
    stars = (
        STARS_SQL.format(license_status="v.license_status", format_stars="ds.format_stars")
        if levelled
        else "ds.stars"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _lk_stars AS
        WITH v AS (
            SELECT s.dataset_id, u.distribution_id, u.license_status
            FROM _difa u JOIN _dsf0 s USING (dk) WHERE NOT u.is_virtual
        )
        SELECT ds.dataset_id,
               max(CASE WHEN ds.format_stars IS NULL OR v.license_status IS NULL THEN ds.stars
                        ELSE {stars} END) AS stars
        FROM distribution_stars ds
        LEFT JOIN v ON v.dataset_id = ds.dataset_id AND v.distribution_id = ds.distribution_id
        WHERE ds.run_id = ?
        GROUP BY ds.dataset_id
        """
        if levelled
        else "CREATE OR REPLACE TEMP TABLE _lk_stars AS SELECT dataset_id, max(stars) AS stars "
        "FROM distribution_stars WHERE run_id = ? GROUP BY dataset_id",
        [run_id],
    )
    return levelled and "format_reason" in cols


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


def _link_lookup(con: duckdb.DuckDBPyConnection, run_id: str, portal_id: str) -> bool:
    """Fill ``_lk_links(url, outcome)`` from ``link_checks`` if it exists (issue 4).

    A URL's result is its latest check before the portal's next ok snapshot started (no bound
    for the latest snapshot), so replaying an old snapshot uses the link state of its time.
    """
    if not {"url", "outcome", "checked_at"} <= _columns(con, "link_checks"):
        return False
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _lk_links AS
        WITH cutoff AS ({_CUTOFF}),
        urls AS (  -- link_checks keeps URLs trimmed of surrounding whitespace
            SELECT u AS url, trim(u, ' ' || chr(9) || chr(10) || chr(13)) AS checked_url FROM (
                SELECT access_url AS u FROM _di UNION SELECT download_url FROM _di
            ) WHERE u IS NOT NULL
        )
        SELECT urls.url, arg_max(l.outcome, l.checked_at) AS outcome
        FROM link_checks l JOIN urls ON l.url = urls.checked_url, cutoff
        WHERE cutoff.t IS NULL OR l.checked_at < cutoff.t
        GROUP BY urls.url
        """,
        [run_id, portal_id],
    )
    return True


# The columns the checks read (the rest, raw JSON above all, stays on disk).
_DATASET_COLUMNS = (
    "run_id, dataset_id, title, description, landing_page, publisher, contact_name, contact_email, "
    "contact_url, keywords, themes, license_raw, license_title_raw, license_url_raw, access_rights, "
    "spatial, temporal_start, temporal_end, issued, modified, frequency_raw"
)
_DISTRIBUTION_COLUMNS = (
    "dataset_id, distribution_id, position, title, url, access_url, download_url, format_raw, "
    "media_type_raw, license_raw, rights, byte_size, generated"
)


def _prepare(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        # one row per dataset id: the first stored, if the portal sent one twice
        f"CREATE OR REPLACE TEMP TABLE _ds AS SELECT {_DATASET_COLUMNS} FROM ("
        "SELECT r.* REPLACE (m.run_id AS run_id), r.rowid AS stored_row FROM snapshot_members m "
        "JOIN dataset_rows r ON r.run_id = m.origin_run AND r.dataset_id = m.dataset_id "
        "WHERE m.run_id = ?) "
        "QUALIFY row_number() OVER (PARTITION BY dataset_id ORDER BY stored_row) = 1",
        [run_id],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _di AS "
        + url_signature_select(
            f"(SELECT {_DISTRIBUTION_COLUMNS} FROM distributions WHERE run_id = ?)"
        ),
        [run_id],
    )


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for name in _TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")


# ---------------------------------------------------------------- assessing


def _gx(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    now: datetime,
    method: Method,
    thresholds: Thresholds | None,
):
    from checks.expectations import validate_snapshot

    # from the stored tables, not the de-duplicated _ds: duplicates must reach the suite
    datasets = con.execute(
        "SELECT d.dataset_id, d.title, f.modified_status, f.modified_utc, f.open_status AS license_status "
        "FROM datasets d LEFT JOIN _dsf f USING (dataset_id) WHERE d.run_id = ?",
        [run_id],
    ).df()
    distributions = con.execute(
        "SELECT distribution_id, dataset_id, url FROM distributions WHERE run_id = ?", [run_id]
    ).df()
    return validate_snapshot(
        datasets, distributions, now + timedelta(days=method.skew_days), thresholds
    )


def assess_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    method: Method = CURRENT,
    *,
    expectations: bool = True,
    thresholds: Thresholds | None = None,
) -> AssessResult:
    """Assess one ok snapshot under `method`, replacing an earlier assessment of it under the
    same method version. A Great Expectations error is recorded as a failed assessment and
    raised as AssessError."""
    row = con.execute(
        "SELECT portal_id, started_at, status FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None:
        raise AssessError(f"no harvest run '{run_id}' in the warehouse")
    portal_id, started_at, status = row
    if status != "ok":
        raise AssessError(f"run '{run_id}' is {status}, not a complete snapshot; nothing to assess")
    fingerprint = register_method(con, method)
    assessment_id = f"{run_id}/{method.version}"
    result = AssessResult(
        assessment_id, run_id, portal_id, method.version, "ok", max_points=method.max_points()
    )
    started = time.monotonic()
    now = as_utc(started_at).replace(tzinfo=None)
    mark = [started]

    def phase(name: str) -> None:
        t = time.monotonic()
        result.phases[name] = t - mark[0]
        mark[0] = t

    try:
        _prepare(con, run_id)
        links = _link_lookup(con, run_id, portal_id)
        _content_lookup(con, run_id, portal_id)
        phase("load")
        _build_lookups(con)
        phase("lookups")
        for sql in facts_sql(now, method, links):
            con.execute(sql)
        con.execute("DROP TABLE _di")  # its facts are in _dif now: free the memory
        update_stars = _stars_lookup(con, run_id)
        for sql in evaluate_sql(method):
            con.execute(sql)
        phase("checks")
        con.execute(finding_units_sql(method))
        con.execute(f"CREATE OR REPLACE TEMP TABLE _f AS {findings_sql(method)}")
        phase("findings")
        gx_success, gx_results = None, None
        if expectations:
            from checks.expectations import ExpectationsError

            try:
                report = _gx(con, run_id, now, method, thresholds)
            except ExpectationsError as exc:
                result.status, result.error = "failed", str(exc)
                result.seconds = time.monotonic() - started
                _write_failed(con, result, fingerprint, started_at)
                raise AssessError(f"{run_id}: {exc}") from exc
            gx_success, gx_results = report.success, report.results
            phase("expectations")
        _write(
            con,
            result,
            method,
            fingerprint,
            started_at,
            links,
            gx_success,
            gx_results,
            started,
            update_stars,
        )
        phase("write")
    finally:
        _drop_temp(con)
    return result


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


def _write(
    con: duckdb.DuckDBPyConnection,
    result: AssessResult,
    method: Method,
    fingerprint: str,
    snapshot_at: datetime,
    links: bool,
    gx_success: bool | None,
    gx_results: list | None,
    started: float,
    update_stars: bool = False,
) -> None:
    from flows import __version__

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
                __version__,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _write_failed(
    con: duckdb.DuckDBPyConnection, result: AssessResult, fingerprint: str, snapshot_at: datetime
) -> None:
    from flows import __version__

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
                __version__,
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


def assess_runs(
    con: duckdb.DuckDBPyConnection,
    run_ids: Iterable[str],
    method: Method = CURRENT,
    *,
    expectations: bool = True,
    progress=None,
) -> list[AssessResult]:
    """Assess each run; a failing run is reported and the others go on; the first GX error is
    re-raised at the end so it cannot pass unnoticed."""
    results, errors = [], []
    for run_id in run_ids:
        try:
            results.append(assess_run(con, run_id, method, expectations=expectations))
        except AssessError as exc:
            errors.append(exc)
            results.append(
                AssessResult(
                    f"{run_id}/{method.version}",
                    run_id,
                    "?",
                    method.version,
                    "failed",
                    error=str(exc),
                )
            )
        if progress:
            progress(results[-1].line())
    if errors:
        raise errors[0]
    return results
