"""The assessment as DuckDB SQL text, second half: findings and scores (pure).

Run by ``flows/assess.py`` (``_fu``) and ``warehouse/assessments.py`` (the SELECTs) after the
statements of ``checks/assess_sql_facts.py``, whose tables they read (``_dsf``, ``_dif``,
``_evd``, ``_evu``, ``_cnt``, and the lookup ``_lk_stars``):

4. ``_fu``: one row per unit and finding code with the points lost; then SELECTs that give
   the findings (with evidence), dataset and portal scores and per-indicator portal rows.
"""

from __future__ import annotations

from checks.assess_sql_facts import ident, levels
from checks.facts import sql_literal
from checks.metadata import CHECK_RULES, EVIDENCE, NA
from checks.scoring import MAX_POINTS, Method, band_sql


def _checks_values(method: Method) -> str:
    rows = ", ".join(
        f"({sql_literal(c.code)}, {sql_literal(c.severity)}, {sql_literal(c.title)})"
        for c in method.checks
    )
    return f"(VALUES {rows}) AS m(code, severity, title)"


def finding_units_sql(method: Method) -> str:
    """Statement building ``_fu(dk, uk, code, points_lost)``: one row per unit and code.

    A distribution-level failure costs ``weight / units judged in the dataset``; a
    best-distribution failure costs the weight on the best distribution and nothing on the
    others (they are reported, but fixing them alone does not raise the score). The
    stand-in of a dataset without distributions reports ``no-distributions``.
    """
    ds_ind, di_ind, best_ind = levels(method)
    parts = []
    for i in ds_ind:
        r = f"r_{ident(i.id)}"
        parts.append(
            f"SELECT dk, NULL::BIGINT AS uk, {r} AS code, {float(i.weight)} AS pts FROM _evd "
            f"WHERE {r} IS NOT NULL AND {r} <> '{NA}'"
        )
    for c in method.checks:
        if c.code in CHECK_RULES and c.level == "dataset":
            col = f"c_{ident(c.code)}"
            parts.append(f"SELECT dk, NULL::BIGINT, {col}, 0.0 FROM _evd WHERE {col} IS NOT NULL")
    unit = "CASE WHEN e.is_virtual THEN NULL ELSE e.uk END"
    unit_code = "CASE WHEN e.is_virtual THEN 'no-distributions' ELSE {col} END"
    for i in di_ind:
        r, n = f"e.r_{ident(i.id)}", ident(i.id)
        parts.append(
            f"SELECT e.dk, {unit}, {unit_code.format(col=r)}, "
            f"{float(i.weight)} / (c.p_{n} + c.f_{n}) FROM _evu e JOIN _cnt c USING (dk) "
            f"WHERE {r} IS NOT NULL AND {r} <> '{NA}'"
        )
    for i in best_ind:
        r = f"e.r_{ident(i.id)}"
        parts.append(
            f"SELECT e.dk, {unit}, {unit_code.format(col=r)}, "
            f"CASE WHEN e.is_best THEN {float(i.weight)} ELSE 0.0 END FROM _evu e "
            f"WHERE {r} IS NOT NULL AND {r} <> '{NA}'"
        )
    for c in method.checks:
        if c.code in CHECK_RULES and c.level == "distribution":
            col = f"e.c_{ident(c.code)}"
            parts.append(
                f"SELECT e.dk, {unit}, {unit_code.format(col=col)}, 0.0 FROM _evu e WHERE {col} IS NOT NULL"
            )
    union = "\n    UNION ALL ".join(parts)
    return f"""
CREATE OR REPLACE TEMP TABLE _fu AS
SELECT dk, uk, code, sum(pts) AS points_lost FROM (
    {union}
) GROUP BY dk, uk, code
"""


def findings_sql(method: Method) -> str:
    """SELECT of the findings (without assessment columns) from ``_fu``, with the evidence
    from the facts tables. The message is the check's title (a one-liner that compresses to
    a few dozen distinct values); the value seen is in ``evidence``. Rows come ordered by
    dataset, which keeps the stored table compact and quick to write."""
    evidence = " ".join(
        f"WHEN {sql_literal(code)} THEN {sql}" for code, (_, sql) in EVIDENCE.items()
    )
    return f"""
SELECT s.dataset_id, u.distribution_id, g.code, m.severity, m.title AS message,
       CAST(CASE g.code {evidence} END AS VARCHAR) AS evidence, g.points_lost
FROM _fu g
JOIN _dsf s ON s.dk = g.dk
LEFT JOIN _dif u ON u.uk = g.uk
JOIN {_checks_values(method)} ON m.code = g.code
ORDER BY g.dk, g.uk NULLS FIRST, g.code
"""


def _score_columns(method: Method, agg: str) -> str:
    """Points per dimension, total, assessable maximum, band, not-checked list.

    With ``agg=''`` over one ``_cnt`` row (a dataset); with ``agg='sum'`` over all rows (the
    portal: shares over all units).
    """
    dims: dict[str, list[str]] = {}
    maxes, not_checked = [], []
    for i in method.indicators:
        n = ident(i.id)
        p, f = f"{agg}(p_{n})", f"{agg}(f_{n})"
        judged = f"({p} + {f})"
        dims.setdefault(i.dimension, []).append(
            f"CASE WHEN {judged} > 0 THEN {i.weight} * {p} / {judged} ELSE 0 END"
        )
        maxes.append(f"CASE WHEN {judged} > 0 THEN {i.weight} ELSE 0 END")
        not_checked.append(f"CASE WHEN {judged} = 0 THEN {sql_literal(i.id)} END")
    from checks.scoring import DIMENSIONS

    dim_cols = [
        f"CAST({' + '.join(dims[d]) if d in dims else '0'} AS DOUBLE) AS {d}" for d in DIMENSIONS
    ]
    points = " + ".join(f"({' + '.join(dims[d])})" for d in DIMENSIONS if d in dims) or "0"
    max_assessable = " + ".join(maxes) or "0"
    scaled = f"(CASE WHEN ({max_assessable}) > 0 THEN ({points}) * {MAX_POINTS} / ({max_assessable}) END)"
    return ",\n    ".join(
        dim_cols
        + [
            f"CAST({points} AS DOUBLE) AS points",
            f"CAST({max_assessable} AS INTEGER) AS max_assessable",
            f"{method.max_points()} AS max_points",
            f"{scaled} AS scaled",
            f"{band_sql(scaled)} AS band",
            f"list_filter([{', '.join(not_checked)}], lambda x: x IS NOT NULL) AS not_checked",
        ]
    )


def _stars_columns(agg: str) -> str:
    """``stars`` and ``stars_0`` .. ``stars_5`` from ``_lk_stars`` (joined as ``st``).

    A dataset (``agg=''``): its best distribution's stars, 1 for its level and 0 for the
    others. The portal (``agg='count'``): the average over the datasets that have stars and
    the number of datasets per level. NULL throughout where no stars were computed.
    """
    if agg:
        known = "count(st.stars) > 0"
        cols = ["avg(st.stars)::DOUBLE AS stars"] + [
            f"CASE WHEN {known} THEN count(*) FILTER (WHERE st.stars = {k}) END AS stars_{k}"
            for k in range(6)
        ]
    else:
        cols = ["st.stars::DOUBLE AS stars"] + [
            f"(st.stars = {k})::BIGINT AS stars_{k}" for k in range(6)
        ]
    return ",\n    ".join(cols)


def dataset_scores_sql(method: Method) -> str:
    return f"""
SELECT dataset_id,
    {_score_columns(method, "")},
    CASE WHEN open_status = 'open' THEN 1.0 ELSE 0.0 END AS share_open_license,
    mr_units / n_units AS share_machine_readable,
    np_units / n_units AS share_non_proprietary,
    CASE freshness WHEN 'on-time' THEN 1.0 WHEN 'late' THEN 0.0 END AS share_on_time,
    1 AS datasets, n_distributions AS distributions,
    released,
    CASE WHEN released THEN 1.0 WHEN NOT released THEN 0.0 END AS share_released,
    coalesce(released, false)::BIGINT AS released_datasets,
    (released IS NULL)::BIGINT AS released_unverified,
    {_stars_columns("")}
FROM _cnt LEFT JOIN _lk_stars st USING (dataset_id)
"""


def portal_scores_sql(method: Method) -> str:
    return f"""
SELECT
    {_score_columns(method, "sum")},
    avg(CASE WHEN open_status = 'open' THEN 1.0 ELSE 0.0 END) AS share_open_license,
    sum(mr_units) / sum(n_units) AS share_machine_readable,
    sum(np_units) / sum(n_units) AS share_non_proprietary,
    count(*) FILTER (WHERE freshness = 'on-time')
        / nullif(count(*) FILTER (WHERE freshness IN ('on-time', 'late')), 0) AS share_on_time,
    count(*) AS datasets, coalesce(sum(n_distributions), 0) AS distributions,
    NULL::BOOLEAN AS released,
    count(*) FILTER (WHERE released)
        / nullif(count(*) FILTER (WHERE released IS NOT NULL), 0) AS share_released,
    count(*) FILTER (WHERE released) AS released_datasets,
    count(*) FILTER (WHERE released IS NULL) AS released_unverified,
    {_stars_columns("count")}
FROM _cnt LEFT JOIN _lk_stars st USING (dataset_id)
"""


def portal_indicators_sql(method: Method) -> str:
    parts = []
    for i in method.indicators:
        n = ident(i.id)
        parts.append(
            f"SELECT {sql_literal(i.id)} AS indicator, {sql_literal(i.dimension)} AS dimension, "
            f"{i.weight} AS weight, {sql_literal(i.level)} AS level, "
            f"coalesce(sum(p_{n}), 0) AS passed, coalesce(sum(f_{n}), 0) AS failed FROM _cnt"
        )
    union = "\nUNION ALL ".join(parts)
    return f"""
SELECT indicator, dimension, weight, level, passed, failed,
       CASE WHEN passed + failed > 0 THEN passed / (passed + failed) END AS share,
       CASE WHEN passed + failed > 0 THEN weight * passed / (passed + failed) END AS points
FROM ({union})
"""
