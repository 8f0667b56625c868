"""The SQL of checks/assess_sql_facts.py against the Python rules it is generated from."""

from __future__ import annotations

import itertools

import duckdb

from checks.assess_sql_facts import facts_sql
from checks.licenses import LICENSE_RANK, License, effective_license, license_rank_sql


def _lic(status: str) -> License:
    raw = None if status == "missing" else status
    is_open = {"open": True, "not-open": False}.get(status)
    return License(raw, status, None, None, status, is_open, None, None, None, None, False, None)


def test_least_open_wins_in_sql_as_in_python():
    con = duckdb.connect()
    statuses = list(LICENSE_RANK)
    for combo in itertools.product(statuses, repeat=3):
        # a dataset without a licence: each distribution's own status is what the SQL ranks
        python = effective_license(_lic("missing"), [_lic(s) for s in combo]).status
        sql = con.execute(
            f"SELECT first(license_status ORDER BY {license_rank_sql()}, position) "
            "FROM (SELECT unnest(?) AS license_status, generate_subscripts(?, 1) AS position)",
            [list(combo), list(combo)],
        ).fetchone()[0]
        assert sql == python, combo


def test_the_assessment_sql_uses_the_generated_ranking():
    from datetime import datetime

    from checks.scoring import CURRENT

    text = "\n".join(facts_sql(datetime(2026, 1, 1), CURRENT, False))
    assert license_rank_sql() in text
