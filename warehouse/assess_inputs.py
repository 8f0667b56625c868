"""What an assessment reads from the warehouse: the snapshot and the evidence of its time.

:func:`load_snapshot` copies the columns the checks read of a run's datasets and distributions
into the temp tables ``_ds`` and ``_di``; :func:`link_lookup`, :func:`content_lookup` and
:func:`stars_lookup` fill ``_lk_links``, ``_lk_content`` and ``_lk_stars`` from the link
checker's tables, each result bounded by the start of the portal's next ok snapshot (so an old
snapshot replays with the link state of its day); :func:`shacl_lookup` fills ``_lk_shacl``
from the snapshot's SHACL verdicts (``shacl_*``); :func:`expectation_frames` gives the stored
tables the Great Expectations suites validate. The orchestration is ``flows/assess.py``.
"""

from __future__ import annotations

import duckdb

from checks.assess_sql_facts import url_signature_select
from checks.compliance import DASHBOARD_PROFILE, SHACL_STATUS_SQL
from checks.stars import STARS_SQL


def harvest_run(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple | None:
    """``(portal_id, started_at, status)`` of a harvest run, None if there is none."""
    return con.execute(
        "SELECT portal_id, started_at, status FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone()


def ok_run_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every complete snapshot, oldest first (``odwatch assess --all``)."""
    return [
        r[0]
        for r in con.execute(
            "SELECT run_id FROM harvest_runs WHERE status = 'ok' ORDER BY started_at, run_id"
        ).fetchall()
    ]


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


def content_lookup(con: duckdb.DuckDBPyConnection, run_id: str, portal_id: str) -> None:
    """Fill ``_lk_content(dataset_id, distribution_id, code, severity, message, evidence)``.

    Per distribution of the run, matched on (portal_id, distribution_id): the findings of its
    latest content check before the portal's next ok snapshot started (the time bound of
    :func:`link_lookup`). A later clean check leaves none. Empty without the tables.
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


def stars_lookup(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
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


def link_lookup(con: duckdb.DuckDBPyConnection, run_id: str, portal_id: str) -> bool:
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


def shacl_profile(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The DCAT-AP.de profile the snapshot was validated against without error (the latest
    such validation if there are several; the dashboard profile is scored apart), or None."""
    row = con.execute(
        "SELECT profile FROM shacl_runs WHERE run_id = ? AND error IS NULL AND profile <> ? "
        "ORDER BY validated_at DESC, profile LIMIT 1",
        [run_id, DASHBOARD_PROFILE],
    ).fetchone()
    return row[0] if row else None


def shacl_lookup(
    con: duckdb.DuckDBPyConnection, run_id: str, profile: str | None = None
) -> str | None:
    """Fill ``_lk_shacl(dataset_id, shacl_profile, shacl_status, shacl_violations)`` from the
    run's ``shacl_datasets`` / ``shacl_results`` of `profile` (default :func:`shacl_profile`):
    :mod:`checks.compliance` says what each status means. Returns the profile read, None
    when the snapshot has no validation (then the indicator stays "not checked")."""
    if profile is None:
        profile = shacl_profile(con, run_id)
    if profile is None:
        return None
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _lk_shacl AS
        WITH v AS (
            SELECT dataset_id,
                   count(*) FILTER (WHERE severity = 'Violation' AND NOT unknowable) AS violations
            FROM shacl_results WHERE run_id = $run AND profile = $profile GROUP BY dataset_id
        ),
        d AS (
            SELECT s.dataset_id, s.profile, s.conforms, coalesce(v.violations, 0) AS violations
            FROM shacl_datasets s LEFT JOIN v USING (dataset_id)
            WHERE s.run_id = $run AND s.profile = $profile
        )
        SELECT dataset_id, profile AS shacl_profile, {SHACL_STATUS_SQL} AS shacl_status,
               violations AS shacl_violations
        FROM d
        """,
        {"run": run_id, "profile": profile},
    )
    return profile


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


def load_snapshot(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
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


def expectation_frames(con: duckdb.DuckDBPyConnection, run_id: str):
    """The run's datasets (with their date and licence verdicts from ``_dsf``) and
    distributions as data frames, for the Great Expectations suites."""
    # from the stored tables, not the de-duplicated _ds: duplicates must reach the suite
    datasets = con.execute(
        "SELECT d.dataset_id, d.title, f.modified_status, f.modified_utc, f.open_status AS license_status "
        "FROM datasets d LEFT JOIN _dsf f USING (dataset_id) WHERE d.run_id = ?",
        [run_id],
    ).df()
    distributions = con.execute(
        "SELECT distribution_id, dataset_id, url FROM distributions WHERE run_id = ?", [run_id]
    ).df()
    return datasets, distributions
