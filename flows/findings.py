"""``odwatch findings --portal ID``: a portal's fix list from its latest assessment.

The warehouse is opened read-only (it never writes); the rows come from
:mod:`warehouse.findings` (the ranking rule: :func:`checks.scoring.fix_order_sql`) and are
printed as a table, CSV (spreadsheet-safe, see :mod:`checks.export`) or JSON (rendering:
:mod:`dashboards.fixlist`), one row per dataset and finding code with the dataset's portal
link, the evidence and the fix hint.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC

import duckdb

from checks.export import write_csv
from dashboards.fixlist import FINDING_KEYS, csv_row, render_json, render_table
from flows.adapters.errors import printable
from warehouse import dashboard, findings
from warehouse.site import has_table
from warehouse.store import AssessError, connect

FIX_COLUMNS = (
    "rank",
    "dataset_id",
    "dataset_title",
    "landing_page",
    "dataset_points_gain",
    "dataset_released",
    *FINDING_KEYS,  # then one finding's fields, in the order of the page and the JSON
)


def _not_harvested(con: duckdb.DuckDBPyConnection, portal_id: str) -> str | None:
    """Why a portal has nothing to assess (never harvested, or its harvests failed), or None
    when it has a complete snapshot (then assessing it is the fix)."""
    state = findings.harvest_state(con, portal_id)
    if state["snapshot"]:
        return None
    if state["last"] is None:
        return (
            f"portal '{portal_id}' was never harvested into this warehouse "
            f"(harvested: {', '.join(state['harvested']) or 'none'}); "
            f"run 'odwatch run --only {portal_id}'"
        )
    status, error, when = state["last"]
    at = f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if when else "at an unknown time"
    return (
        f"portal '{portal_id}' has no snapshot to assess: its last harvest {status} at {at}: "
        f"{printable(error or 'no error recorded')}; fix the portal entry or wait until it "
        f"answers, then 'odwatch run --only {portal_id}'"
    )


def fix_list(
    con: duckdb.DuckDBPyConnection, portal_id: str, run_id: str | None = None
) -> tuple[dict, list[dict]]:
    """Flagged datasets of a portal's latest assessment (or of `run_id` under the newest method
    that assessed it), ranked as :func:`warehouse.findings.fix_ranks_sql` ranks them (what
    keeps a dataset from being released first, then points to gain); one row per dataset and
    code, a dataset's release fixes first. Returns (assessment row, rows); AssessError, saying
    why, when there is no assessment."""
    assessment = findings.latest_assessment(con, portal_id, run_id)
    if assessment is None:
        known = findings.assessed_portals(con)
        if not run_id and (why := _not_harvested(con, portal_id)):
            raise AssessError(why)
        what = f"run '{run_id}'" if run_id else f"portal '{portal_id}'"
        raise AssessError(
            f"no assessment of {what} in the warehouse; run 'odwatch assess' "
            f"(assessed portals: {', '.join(known) or 'none'})"
        )
    # the GovData dashboard profile beside MQA (None when the assessment did not judge it)
    assessment["govdata_dashboard"] = dashboard.portal_scores(con, [assessment["run_id"]]).get(
        assessment["run_id"]
    )
    rows = findings.fix_rows(con, assessment)
    flagged = [r["dataset_id"] for r in rows if r["code"] == "dcat-ap-violation"]
    if flagged:  # the SHACL Violations behind the finding, each with its field and message
        violations = findings.shacl_violations(con, assessment["run_id"], flagged)
        for r in rows:
            if r["code"] == "dcat-ap-violation":
                r["violations"] = violations.get(r["dataset_id"], [])
    return assessment, rows


def cmd_findings(args: argparse.Namespace) -> int:
    con = connect(args.warehouse, read_only=True)
    try:
        if not has_table(con, "latest_assessments"):
            raise AssessError(f"{args.warehouse}: no assessments yet; run 'odwatch assess' first")
        try:
            assessment, rows = fix_list(con, args.portal, args.run)
        except AssessError as exc:
            raise AssessError(f"{args.warehouse}: {exc}") from None
    finally:
        con.close()
    if args.limit is not None:
        keep = {r["dataset_id"] for r in rows if r["rank"] <= args.limit}
        rows = [r for r in rows if r["dataset_id"] in keep]
    if args.format == "csv":
        write_csv([csv_row(r) for r in rows], (*FIX_COLUMNS, "violations"), sys.stdout)
    elif args.format == "json":
        sys.stdout.write(render_json(assessment, rows))
    else:
        sys.stdout.write(render_table(assessment, rows))
    return 0
