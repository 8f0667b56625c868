"""The assessment as DuckDB SQL text, first half: facts, rules and counts (pure).

``flows/assess.py`` runs these statements in order over one snapshot, then those of
``checks/assess_sql_scores.py`` (findings and scores). They read temp tables it prepares:
``_ds`` / ``_di`` (the run's datasets and distributions, ``_di`` with a ``url_sig`` column
from :func:`url_signature_select`) and the lookups the pure classifiers filled from the
distinct raw values: ``_lk_fmt``, ``_lk_lic``, ``_lk_lic3``, ``_lk_date``, ``_lk_freq``,
``_lk_stars(dataset_id, stars)`` (5-star openness computed by the link checker for this run,
possibly empty), when link checks exist, ``_lk_links``, and when the snapshot was validated,
``_lk_shacl(dataset_id, shacl_profile, shacl_status, shacl_violations)`` (its SHACL verdicts:
:mod:`checks.compliance`). Statements:

1. ``_dsf0`` dataset facts, ``_difa`` distribution facts (a dataset without distributions
   gets one stand-in row), ``_dif`` the distributions scores count (a dataset's generated
   exports once: :func:`checks.facts.counted_units`), ``_dsf`` dataset facts with openness,
   freshness and ``released`` (the headline: :func:`checks.metadata.released`).
2. ``_evd`` / ``_evu``: one column per rule (``r_<indicator>``, ``c_<code>``) holding the
   finding code, NULL (passes) or ``'~'`` (not judged); ``_evu`` also marks each dataset's
   best distribution.
3. ``_cnt``: per dataset and indicator, units passed (``p_*``) and failed (``f_*``).
"""

from __future__ import annotations

from datetime import datetime

from checks.facts import (
    ACCESS_RIGHTS_PATTERN,
    CONTACT_URL_PATTERN,
    EMAIL_PATTERN,
    GENERATED_ORDER_SQL,
    URL_PATTERN,
    present_sql,
    regex_sql,
)
from checks.licenses import license_rank_sql
from checks.metadata import (
    CHECK_RULES,
    INDICATOR_RULES,
    NA,
    RELEASE_UNIT_SQL,
    RELEASED_SQL,
)
from checks.scoring import Method


def ident(key: str) -> str:
    """SQL column-name part of an indicator id or check code: dashes -> underscores."""
    return key.replace("-", "_")


def timestamp_sql(value: datetime) -> str:
    """A naive UTC timestamp literal (the caller converts to UTC)."""
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def facts_sql(now: datetime, method: Method, links: bool, shacl: bool = False) -> list[str]:
    """Statements building ``_dsf0``, ``_dif`` and ``_dsf``. ``now``: naive UTC harvest time."""
    now_sql = timestamp_sql(now)
    p = present_sql
    shacl_cols = (
        "sh.shacl_profile, sh.shacl_status, sh.shacl_violations"
        if shacl
        else "NULL::VARCHAR AS shacl_profile, NULL::VARCHAR AS shacl_status, "
        "NULL::BIGINT AS shacl_violations"
    )
    shacl_join = "LEFT JOIN _lk_shacl sh ON sh.dataset_id = d.dataset_id" if shacl else ""
    dataset = f"""
CREATE OR REPLACE TEMP TABLE _dsf0 AS
SELECT
    row_number() OVER (ORDER BY d.dataset_id) AS dk,
    d.dataset_id, d.title, d.landing_page,
    {p("d.title")} AS has_title,
    {p("d.description")} AS has_description,
    coalesce(len(d.keywords), 0) > 0 AS has_keywords,
    coalesce(len(d.themes), 0) > 0 AS has_themes,
    {p("d.spatial")} AS has_spatial,
    ({p("d.temporal_start")} OR {p("d.temporal_end")}) AS has_temporal,
    d.access_rights,
    {p("d.access_rights")} AS has_access_rights,
    coalesce({regex_sql("d.access_rights", ACCESS_RIGHTS_PATTERN)}, false) AS access_rights_vocab,
    ({p("d.contact_name")} OR {p("d.contact_email")} OR {p("d.contact_url")}) AS has_contact,
    d.contact_email,
    {regex_sql("d.contact_email", EMAIL_PATTERN)} AS contact_email_valid,
    d.contact_url,
    {regex_sql("d.contact_url", CONTACT_URL_PATTERN)} AS contact_url_valid,
    {p("d.publisher")} AS has_publisher,
    d.issued, coalesce(di.status, 'missing') AS issued_status,
    d.modified, coalesce(dm.status, 'missing') AS modified_status, dm.utc AS modified_utc,
    coalesce(dm.utc > {now_sql} + to_days({method.skew_days}), false) AS modified_future,
    d.frequency_raw, {p("d.frequency_raw")} AS has_frequency,
    fq.code AS frequency_code, coalesce(fq.known, false) AS frequency_known,
    fq.period_days, fq.exempt AS frequency_exempt,
    l.raw AS license_raw, coalesce(l.status, 'missing') AS license_status,
    coalesce(l.vocab, false) AS license_vocab, l.license_id,
    {shacl_cols}
FROM _ds d
LEFT JOIN _lk_date di ON di.raw = d.issued
LEFT JOIN _lk_date dm ON dm.raw = d.modified
LEFT JOIN _lk_freq fq ON fq.raw = d.frequency_raw
LEFT JOIN _lk_lic3 l
       ON l.license_raw IS NOT DISTINCT FROM d.license_raw
      AND l.license_url_raw IS NOT DISTINCT FROM d.license_url_raw
      AND l.license_title_raw IS NOT DISTINCT FROM d.license_title_raw
{shacl_join}
"""
    own_present = "(ol.status IS NOT NULL AND ol.status <> 'missing')"
    link_cols = (
        "la.outcome AS access_link, ld.outcome AS download_link"
        if links
        else "NULL::VARCHAR AS access_link, NULL::VARCHAR AS download_link"
    )
    link_joins = (
        "LEFT JOIN _lk_links la ON la.url = x.access_url\nLEFT JOIN _lk_links ld ON ld.url = x.download_url"
        if links
        else ""
    )
    units = f"""
CREATE OR REPLACE TEMP TABLE _difa AS
SELECT
    row_number() OVER () AS uk,
    s.dk,
    x.distribution_id, x.distribution_id IS NULL AS is_virtual,
    x.position, x.title, x.url, x.access_url, x.download_url,
    {p("x.access_url")} AS has_access_url,
    {regex_sql("x.access_url", URL_PATTERN)} AS access_url_valid,
    {p("x.download_url")} AS has_download_url,
    {regex_sql("x.download_url", URL_PATTERN)} AS download_url_valid,
    x.format_raw, x.media_type_raw,
    {p("x.format_raw")} AS has_format,
    {p("x.media_type_raw")} AS has_media_type,
    f.fmt_format, coalesce(f.fmt_known, false) AS fmt_known,
    coalesce(f.fmt_in_vocab, false) AS fmt_in_vocab,
    coalesce(f.fmt_mr, false) AS fmt_mr, coalesce(f.fmt_np, false) AS fmt_np,
    f.media_registered,
    CASE WHEN {own_present} THEN ol.raw ELSE s.license_raw END AS license_raw,
    CASE WHEN {own_present} THEN ol.status ELSE s.license_status END AS license_status,
    CASE WHEN {own_present} THEN ol.vocab ELSE s.license_vocab END AS license_vocab,
    CASE WHEN {own_present} THEN ol.license_id ELSE s.license_id END AS license_id,
    coalesce(x.generated, false) AS generated,
    {p("x.rights")} AS has_rights,
    x.byte_size IS NOT NULL AS has_byte_size,
    {link_cols}
FROM _dsf0 s
LEFT JOIN _di x ON x.dataset_id = s.dataset_id
LEFT JOIN _lk_fmt f
       ON f.format_raw IS NOT DISTINCT FROM x.format_raw
      AND f.media_type_raw IS NOT DISTINCT FROM x.media_type_raw
      AND f.url_sig IS NOT DISTINCT FROM x.url_sig
LEFT JOIN _lk_lic ol ON ol.raw = x.license_raw
{link_joins}
"""
    # the units scores count: every distribution the publisher made, and of the generated
    # ones (an Opendatasoft export per format) one per dataset (checks.facts.counted_units)
    counted = f"""
CREATE OR REPLACE TEMP TABLE _dif AS
SELECT * FROM _difa
WHERE NOT generated
   OR uk IN (SELECT first(uk ORDER BY {GENERATED_ORDER_SQL}) FROM _difa WHERE generated GROUP BY dk)
"""
    grace = f"to_days(CAST(period_days + {method.grace_days} AS INTEGER))"
    freshness = f"""CASE
        WHEN NOT frequency_known THEN 'no-frequency'
        WHEN frequency_exempt IS NOT NULL THEN 'exempt'
        WHEN modified_status = 'missing' THEN 'no-date'
        WHEN modified_status = 'unparseable' THEN 'bad-date'
        WHEN modified_utc > {now_sql} + to_days({method.skew_days}) THEN 'future-date'
        WHEN {now_sql} > modified_utc + {grace} THEN 'late'
        ELSE 'on-time' END"""
    rank = license_rank_sql()  # least open wins: checks.licenses.effective_license
    datasets = f"""
CREATE OR REPLACE TEMP TABLE _dsf AS
WITH fr AS (SELECT dk, {freshness} AS freshness FROM _dsf0),
op AS (
    SELECT dk,
           first(license_status ORDER BY {rank}, position NULLS LAST, distribution_id) AS open_status,
           first(license_raw ORDER BY {rank}, position NULLS LAST, distribution_id) AS open_raw,
           first(license_id ORDER BY {rank}, position NULLS LAST, distribution_id) AS open_license_id,
           count(*) FILTER (WHERE release_state = 'released') > 0 AS any_released,
           count(*) FILTER (WHERE release_state = 'unverified') > 0 AS any_unverified
    FROM (SELECT *, {RELEASE_UNIT_SQL} AS release_state FROM _dif) GROUP BY dk
)
SELECT s.*, fr.freshness,
       CASE WHEN fr.freshness IN ('late', 'on-time') THEN s.modified_utc + {grace} END AS due,
       CASE WHEN fr.freshness = 'late'
            THEN CAST(ceil(date_diff('microsecond', s.modified_utc + {grace}, {now_sql}) / 86400000000.0) AS INTEGER)
       END AS days_late,
       op.open_status, op.open_raw, op.open_license_id, {RELEASED_SQL} AS released
FROM _dsf0 s JOIN fr USING (dk) JOIN op USING (dk)
"""
    return [dataset, units, counted, datasets]


def levels(method: Method) -> tuple[list, list, list]:
    ds = [i for i in method.indicators if i.level == "dataset"]
    di = [i for i in method.indicators if i.level == "distribution"]
    best = [i for i in method.indicators if i.level == "best-distribution"]
    return ds, di, best


def evaluate_sql(method: Method) -> list[str]:
    """Statements building ``_evd``, ``_evu`` and ``_cnt``."""
    ds_ind, di_ind, best_ind = levels(method)
    ds_checks = [c for c in method.checks if c.code in CHECK_RULES and c.level == "dataset"]
    di_checks = [c for c in method.checks if c.code in CHECK_RULES and c.level == "distribution"]

    def cols(items, prefix, rules, key) -> str:
        return "".join(f",\n    {rules[key(x)].sql} AS {prefix}{ident(key(x))}" for x in items)

    evd = (
        "CREATE OR REPLACE TEMP TABLE _evd AS\nSELECT *"
        + cols(ds_ind, "r_", INDICATOR_RULES, lambda i: i.id)
        + cols(ds_checks, "c_", CHECK_RULES, lambda c: c.code)
        + "\nFROM _dsf"
    )
    interop = (
        " + ".join(
            f"CASE WHEN r_{ident(i.id)} IS NULL THEN {i.weight} ELSE 0 END" for i in best_ind
        )
        or "0"
    )
    # only what scoring and findings read: the facts stay in _dif (joined back by uk)
    keep = ", ".join(
        ["r.uk", "r.dk", "r.is_virtual", "r.fmt_mr", "r.fmt_np", "r.interop_points"]
        + [f"r.r_{ident(i.id)}" for i in di_ind + best_ind]
        + [f"r.c_{ident(c.code)}" for c in di_checks]
    )
    # the best distribution: most interoperability points, then lowest position, then id
    evu = f"""
CREATE OR REPLACE TEMP TABLE _evu AS
WITH r AS (
    SELECT *, {interop} AS interop_points FROM (
        SELECT *{cols(di_ind + best_ind, "r_", INDICATOR_RULES, lambda i: i.id)}{cols(di_checks, "c_", CHECK_RULES, lambda c: c.code)}
        FROM _dif
    )
),
b AS (
    SELECT dk, arg_min(uk, struct_pack(
        p := -interop_points, pos := coalesce(position, 2147483647), id := distribution_id)) AS best_uk
    FROM r GROUP BY dk
)
SELECT {keep}, r.uk = b.best_uk AS is_best FROM r JOIN b USING (dk)
"""

    def pf(col: str, agg: str = "") -> str:
        passed = f"({col} IS NULL)::INTEGER"
        failed = f"({col} IS NOT NULL AND {col} <> '{NA}')::INTEGER"
        if agg:
            passed, failed = f"{agg}({passed})", f"{agg}({failed})"
        name = col[2:]
        return f"{passed} AS p_{name}, {failed} AS f_{name}"

    ds_pf = ", ".join(pf(f"r_{ident(i.id)}") for i in ds_ind)
    di_pf = ", ".join(pf(f"r_{ident(i.id)}", "sum") for i in di_ind)
    best_pf = ", ".join(pf(f"r_{ident(i.id)}") for i in best_ind)
    cnt = f"""
CREATE OR REPLACE TEMP TABLE _cnt AS
SELECT s.dk, s.dataset_id, s.open_status, s.freshness, s.released, a.*, b.*{", " + ds_pf if ds_pf else ""}
FROM _evd s
JOIN (
    SELECT dk AS a_dk, count(*) AS n_units,
           count(*) FILTER (WHERE NOT is_virtual) AS n_distributions,
           sum(fmt_mr::INTEGER) AS mr_units, sum(fmt_np::INTEGER) AS np_units
           {", " + di_pf if di_pf else ""}
    FROM _evu GROUP BY dk
) a ON a.a_dk = s.dk
JOIN (SELECT dk AS b_dk{", " + best_pf if best_pf else ""} FROM _evu WHERE is_best) b ON b.b_dk = s.dk
"""
    return [evd, evu, cnt]


def url_signature_select(table: str, col: str = "url") -> str:
    """SQL selecting ``table``'s rows plus ``url_sig``: what ``normalize_format`` reads of a URL.

    That is the last two file extensions of the path's last segment and an OGC ``service=``
    query value, rebuilt as ``http://h/x.<ext>.<ext>?service=WMS``. The distinct signatures
    are few, so the format of a million distributions is judged from a few hundred Python
    calls. It follows ``urllib.parse.urlsplit`` and ``unquote`` step by step with plain string
    functions (regular expressions only where a row needs them: surrounding whitespace, a
    ``%`` in the path, a ``service=`` in the query), each step computed once per row.
    """
    ws = r"[ \t\n\r\f\v]"
    cleaned = (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN ascii({col}) <= 32 OR ascii(right({col}, 1)) <= 32 OR contains({col}, chr(9)) "
        f"OR contains({col}, chr(10)) OR contains({col}, chr(13)) "
        f"THEN regexp_replace(regexp_replace({col}, '^{ws}+|{ws}+$', '', 'g'), '[\\t\\r\\n]', '', 'g') "
        f"ELSE {col} END"
    )
    # urlsplit: fragment at the first '#', query at the first '?', scheme, then //netloc
    head = "split_part(split_part(_u, '#', 1), '?', 1)"
    query = "CASE WHEN contains(split_part(_u, '#', 1), '?') THEN lower(substr(split_part(_u, '#', 1), strpos(_u, '?') + 1)) ELSE '' END"
    no_scheme = (
        "CASE WHEN regexp_matches(_h, '^[A-Za-z][A-Za-z0-9+.-]*:') "
        "THEN substr(_h, strpos(_h, ':') + 1) ELSE _h END"
    )
    path = (
        "CASE WHEN NOT starts_with(_r, '//') THEN _r "
        "WHEN strpos(substr(_r, 3), '/') > 0 THEN substr(_r, 2 + strpos(substr(_r, 3), '/')) "
        "ELSE '' END"
    )
    # url_decode rejects percent-encoded bytes that are not UTF-8 (Latin-1 "%E4"), where Python
    # writes U+FFFD; no listed extension has a non-ASCII letter, so those bytes become "_".
    decoded = "url_decode(regexp_replace(_p, '%[89A-Fa-f][0-9A-Fa-f]', '_', 'g'))"
    segment = f"lower(split_part(rtrim(CASE WHEN contains(_p, '%') THEN {decoded} ELSE _p END, '/'), '/', -1))"
    dots = "(length(_s) - length(replace(_s, '.', '')))"
    tail = (
        f"CASE WHEN {dots} >= 2 THEN '.' || split_part(_s, '.', -2) || '.' || split_part(_s, '.', -1) "
        f"WHEN {dots} = 1 THEN '.' || split_part(_s, '.', -1) ELSE '' END"
    )
    escaped = f"replace(replace(replace({tail}, '%', '%25'), '?', '%3F'), '#', '%23')"
    service = (
        "CASE WHEN contains(_q, 'service=') "
        "THEN regexp_extract(_q, '(?:^|&)service=(wms|wfs|wcs|wmts)(?:&|$)', 1) ELSE '' END"
    )
    return f"""
SELECT * EXCLUDE (_u, _h, _q, _r, _p, _s),
       CASE WHEN _u IS NULL OR _u = '' THEN NULL
            ELSE 'http://h/x' || {escaped} || CASE WHEN {service} <> '' THEN '?service=' || {service} ELSE '' END
       END AS url_sig
FROM (SELECT *, {segment} AS _s FROM (
      SELECT *, {path} AS _p FROM (
      SELECT *, {no_scheme} AS _r FROM (
      SELECT *, {head} AS _h, {query} AS _q FROM (
      SELECT *, {cleaned} AS _u FROM {table})))))
"""
