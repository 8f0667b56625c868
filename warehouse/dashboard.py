"""The GovData dashboard profile's verdicts: every SQL statement on ``dashboard_*``.

:func:`judge` runs inside an assessment (``flows/assess.py``), over its temp tables (``_dsf``
dataset facts, ``_dif`` the units scores count) and the snapshot's ``govdata-dashboard`` SHACL
results, and replaces the snapshot's rows of ``dashboard_verdicts``
(``warehouse/schema_dashboard.sql``; the criteria: ``checks/dashboard.py``). :func:`portal_scores`
and :func:`dataset_verdicts` are what the pages and downloads read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from checks.compliance import DASHBOARD_PROFILE
from checks.dashboard import DASHBOARD_SCORE_SQL, LicenseList, ids_to_uris, license_verdict
from warehouse.store import insert_rows

# Per dataset of the run's dashboard validation: contributorID (ok / missing / aggregator /
# unknown) and whether a distribution has several licences. The dashboard shapes use severities
# of their own (govdata:no_correct_contributorID ...): matched by path, whatever the severity.
_SHACL_SQL = f"""
    SELECT d.dataset_id,
           CASE WHEN d.conforms IS NULL THEN 'unknown'
                WHEN count(r.focus) FILTER (WHERE r.path LIKE '%contributorID' AND NOT r.unknowable) > 0
                THEN 'missing'
                WHEN count(r.focus) FILTER (WHERE r.path LIKE '%contributorID') > 0 THEN 'aggregator'
                ELSE 'ok' END AS contributor,
           count(r.focus) FILTER (WHERE r.path IN ('dct:license', 'dcterms:license')
                                  AND r.constraint_component = 'MaxCountConstraintComponent') > 0
               AS multi
    FROM shacl_datasets d
    LEFT JOIN shacl_results r USING (run_id, profile, dataset_id)
    WHERE d.run_id = $run AND d.profile = '{DASHBOARD_PROFILE}'
      AND EXISTS (SELECT 1 FROM shacl_runs s WHERE s.run_id = $run
                  AND s.profile = '{DASHBOARD_PROFILE}' AND s.error IS NULL)
    GROUP BY d.dataset_id, d.conforms
"""

_VERDICTS_SQL = f"""
    WITH u AS (
        SELECT x.dk, x.license_raw, x.license_status <> 'missing' AS has_license,
               l.listed, l.open, l.listed_normalised, l.open_normalised
        FROM _dif x LEFT JOIN _lk_dash_lic l ON l.raw = x.license_raw
    ),
    sh AS ({_SHACL_SQL}),
    v AS (
        SELECT s.dataset_id, count(*) AS distributions,
               bool_and(u.has_license) AND NOT coalesce(any_value(sh.multi), false) AS license_once,
               bool_and(coalesce(u.listed, false)) AS license_listed,
               bool_or(coalesce(u.open, false)) AS license_open,
               bool_and(coalesce(u.listed_normalised, false)) AS license_listed_normalised,
               bool_or(coalesce(u.open_normalised, false)) AS license_open_normalised,
               any_value(s.has_keywords) AS keywords, any_value(s.has_publisher) AS publisher,
               coalesce(any_value(sh.contributor), 'unknown') AS contributor,
               string_agg(DISTINCT u.license_raw, ' | ' ORDER BY u.license_raw) AS licenses
        FROM _dsf s JOIN u USING (dk) LEFT JOIN sh USING (dataset_id)
        GROUP BY s.dataset_id
    )
    SELECT $run, $portal, *, {DASHBOARD_SCORE_SQL} AS score FROM v
"""


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def judge(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    portal_id: str,
    licenses: LicenseList | None,
    error: str | None = None,
) -> None:
    """Replace the snapshot's dashboard verdicts (inside an assessment: reads ``_dsf``,
    ``_dif``). Without a licence list, only a ``dashboard_runs`` row with the error."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM dashboard_verdicts WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM dashboard_runs WHERE run_id = ?", [run_id])
        judged = None
        if licenses is not None:
            raws = [r[0] for r in con.execute("SELECT DISTINCT license_raw FROM _dif WHERE license_raw IS NOT NULL").fetchall()]  # fmt: skip
            by_id = ids_to_uris(licenses)
            rows = []
            for raw in raws:
                v = license_verdict(raw, licenses, by_id)
                rows.append((raw, v.listed, v.open, v.listed_normalised, v.open_normalised))
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _lk_dash_lic (raw VARCHAR, listed BOOLEAN, "
                "open BOOLEAN, listed_normalised BOOLEAN, open_normalised BOOLEAN)"
            )
            insert_rows(con, "_lk_dash_lic", rows)
            params = {"run": run_id, "portal": portal_id}
            con.execute(f"INSERT INTO dashboard_verdicts {_VERDICTS_SQL}", params)
            judged = con.execute(
                f"SELECT count(*) > 0 FROM ({_SHACL_SQL}) WHERE contributor <> 'unknown'",
                {"run": run_id},
            ).fetchone()[0]
            con.execute("DROP TABLE _lk_dash_lic")
        con.execute(
            "INSERT INTO dashboard_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                portal_id,
                datetime.now(UTC),
                str(licenses.source) if licenses else None,
                _sha(licenses.source) if licenses else None,
                judged,
                error,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# A snapshot's dashboard score and the share of datasets meeting each criterion.
_PORTAL_SQL = """
    SELECT r.run_id, r.portal_id, r.error, r.contributor_judged,
           count(v.dataset_id) AS datasets,
           100 * avg(v.score) AS score,
           avg(v.license_once::INTEGER) AS license_once,
           avg(v.license_listed::INTEGER) AS license_listed,
           avg(v.license_open::INTEGER) AS license_open,
           avg(v.license_listed_normalised::INTEGER) AS license_listed_normalised,
           avg(v.license_open_normalised::INTEGER) AS license_open_normalised,
           avg(v.keywords::INTEGER) AS keywords,
           avg(v.publisher::INTEGER) AS publisher,
           avg((v.contributor = 'ok')::INTEGER) FILTER (WHERE v.contributor IN ('ok', 'missing'))
               AS contributor,
           count(*) FILTER (WHERE v.contributor = 'aggregator') AS contributor_aggregator,
           count(*) FILTER (WHERE v.contributor = 'unknown') AS contributor_unknown
    FROM dashboard_runs r LEFT JOIN dashboard_verdicts v USING (run_id)
    WHERE list_contains($runs, r.run_id)
    GROUP BY r.run_id, r.portal_id, r.error, r.contributor_judged
"""


def portal_scores(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> dict[str, dict]:
    """Per run id: its dashboard score (percent, None without verdicts) and criterion shares."""
    cur = con.execute(_PORTAL_SQL, {"runs": list(run_ids)})
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def dataset_verdicts(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The snapshot's verdicts, one dict per dataset, by dataset_id."""
    cur = con.execute(
        "SELECT * FROM dashboard_verdicts WHERE run_id = ? ORDER BY dataset_id", [run_id]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
