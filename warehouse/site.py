"""Read what the scorecard shows from the warehouse (read-only: SELECTs only).

Everything here returns plain rows (dicts) for :mod:`dashboards.render`. The warehouse may be
older or newer than this code: optional tables and columns (link checks, 5-star ratings, the
``share_released`` score) are looked up first and left out when absent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import duckdb

from checks.scoring import DIMENSIONS, released_verifiable
from dashboards.fixlist import group_by_dataset
from flows.config import Portal
from warehouse.store import portal_overview

SHARES = (
    "share_released",
    "share_open_license",
    "share_machine_readable",
    "share_non_proprietary",
    "share_on_time",
)
# portal-level counts behind share_released (warehouse/schema_assess.sql), when present
RELEASED_COUNTS = ("released_datasets", "released_unverified")
# the keys a ranking row has whether or not the portal has a score
SCORE_KEYS = (
    "assessment_id", "run_id", "method_version", "snapshot_at", "points", "max_assessable",
    "max_points", "scaled", "band", *DIMENSIONS, *SHARES, "datasets", "distributions",
    *RELEASED_COUNTS,
    "previous_run_id", "previous_points", "city_change", "method_change",
    "previous_method_version", "previous_scaled", "previous_share_released", "scaled_change",
    "released_change", "findings", "flagged",
)  # fmt: skip
LATE_CODE = "stale-vs-declared-frequency"
HISTORY_LIMIT = 104  # snapshots per city on its trend chart (two years of weekly runs)
HARVEST_LIMIT = 52  # harvest attempts per city in API health
LIST_LIMIT = 20  # late datasets, new and resolved findings listed on a city page


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> list[dict]:
    cur = con.execute(sql, params if isinstance(params, dict) else list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Tables and views of the warehouse's main schema -> their column names."""
    out: dict[str, set[str]] = defaultdict(set)
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall():
        out[table].add(column)
    return dict(out)


@dataclass
class SiteData:
    """Everything the site shows, as rows."""

    ranking: list[dict]
    has_released: bool
    current_method: str | None  # the newest method among the latest assessments
    methods: list[dict]
    history: dict[str, list[dict]] = field(default_factory=dict)
    harvests: dict[str, list[dict]] = field(default_factory=dict)
    indicators: dict[str, list[dict]] = field(default_factory=dict)
    licenses: dict[str, list[dict]] = field(default_factory=dict)
    formats: dict[str, list[dict]] = field(default_factory=dict)
    links: dict[str, list[dict]] | None = None  # None: no link checks in this warehouse
    stars: dict[str, dict] | None = None
    late: dict[str, list[dict]] = field(default_factory=dict)


# ---------------------------------------------------------------- ranking


def _rank(ranking: list[dict], has_released: bool) -> None:
    """Standard competition ranking (1, 2, 2, 4) of the cities (``kind: city``) by the 'really
    released' share where it is verifiable (checks.scoring.released_verifiable), then points;
    by points when the warehouse has no share. Cities whose share is not verifiable yet, cities
    without a score and the regional and national catalogues stay unranked; the list is sorted
    ranked cities, unranked cities (by points), then catalogues."""

    def key(r: dict) -> tuple:
        share = r.get("share_released") if has_released else None
        return (-(share if share is not None else -1.0), -(r["scaled"] or 0.0))

    def rankable(r: dict) -> bool:
        if r["kind"] != "city" or r.get("scaled") is None:
            return False
        return r["share_shown"] if has_released else True

    scored = sorted((r for r in ranking if rankable(r)), key=key)
    previous, rank = None, 0
    for i, r in enumerate(scored, start=1):
        k = key(r)
        if k != previous:
            rank, previous = i, k
        r["rank"] = rank
    order = {id(r): i for i, r in enumerate(scored)}

    def place(r: dict) -> tuple:
        return (
            r["kind"] != "city",
            order.get(id(r), len(order)),
            r.get("scaled") is None,
            -(r.get("scaled") or 0.0),
            r["city"].casefold(),
            r["portal_id"],
        )

    ranking.sort(key=place)


def _released_base(row: dict) -> None:
    """The headline's base on a ranking row: ``released_judged`` (released + not released),
    ``share_shown`` (enough judged to show the share: checks.scoring.released_verifiable)."""
    datasets, released = row.get("datasets"), row.get("released_datasets")
    judged = (
        datasets - (row.get("released_unverified") or 0)
        if datasets is not None and released is not None
        else None
    )
    row["released_judged"] = judged
    row["share_shown"] = released_verifiable(judged, datasets)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _overlaps(out: list[dict]) -> None:
    """Which rows share a portal: a city's ``also_in`` (the regional or national catalogues
    harvested from the same host, which hold its datasets too, unranked) and a catalogue's
    ``contains`` (the cities ranked through their organisation on it)."""
    for r in out:
        same = [o for o in out if o is not r and _host(o["url"]) == _host(r["url"])]
        r["also_in"] = [
            {"portal_id": o["portal_id"], "city": o["city"], "title": o["title"]}
            for o in same
            if r["kind"] == "city" and o["kind"] != "city"
        ]
        r["contains"] = [
            {"portal_id": o["portal_id"], "city": o["city"], "organization": o["organization"]}
            for o in same
            if r["kind"] != "city" and o["kind"] == "city" and o["organization"]
        ]


def ranking(
    con: duckdb.DuckDBPyConnection, portals: Sequence[Portal], rel: dict[str, set[str]]
) -> tuple[list[dict], bool, str | None]:
    """One row per configured portal: last harvest, latest score, change since the previous
    snapshot (same method), findings count, datasets per 100,000 inhabitants, rank."""
    overview = {r["portal_id"]: r for r in portal_overview(con)}
    has_scores = "latest_scores" in rel
    score_cols = rel.get("scores", set())
    has_released = "share_released" in score_cols
    released = "s.share_released" if has_released else "CAST(NULL AS DOUBLE)"
    prev_released = "p.share_released" if has_released else "CAST(NULL AS DOUBLE)"
    counts = ", ".join(
        f"s.{c} AS {c}" if c in score_cols else f"CAST(NULL AS BIGINT) AS {c}"
        for c in RELEASED_COUNTS
    )
    scores: dict[str, dict] = {}
    if has_scores:
        for r in rows(
            con,
            f"""
            SELECT s.portal_id, s.assessment_id, s.run_id, s.method_version, a.snapshot_at, s.points,
                   s.max_assessable, s.max_points, s.scaled, s.band,
                   {", ".join("s." + d for d in DIMENSIONS)},
                   {released} AS share_released, s.share_open_license, s.share_machine_readable,
                   s.share_non_proprietary, s.share_on_time, s.datasets, s.distributions,
                   {counts}, c.previous_run_id, c.previous_points, c.city_change, c.method_change,
                   c.previous_method_version, p.scaled AS previous_scaled,
                   {prev_released} AS previous_share_released,
                   s.scaled - p.scaled AS scaled_change,
                   {released} - {prev_released} AS released_change,
                   coalesce(f.findings, 0) AS findings, coalesce(f.flagged, 0) AS flagged
            FROM latest_scores s
            JOIN latest_assessments a USING (assessment_id)
            LEFT JOIN score_changes c ON c.portal_id = s.portal_id AND c.run_id = s.run_id
            LEFT JOIN (
                SELECT s2.* FROM scores s2 JOIN assessments a2 USING (assessment_id)
                WHERE s2.level = 'portal' AND a2.status = 'ok'
            ) p ON p.run_id = c.previous_run_id AND p.method_version = s.method_version
            LEFT JOIN (
                SELECT assessment_id, count(*) AS findings, count(DISTINCT dataset_id) AS flagged
                FROM latest_findings GROUP BY ALL
            ) f USING (assessment_id)
            WHERE s.level = 'portal'
            """,
        ):
            scores[r["portal_id"]] = r
    out = []
    for p in portals:
        o = overview.get(p.id, {})
        s = scores.get(p.id, {})
        row: dict[str, Any] = {
            "portal_id": p.id,
            "kind": p.kind,
            "organization": p.organization,
            "city": p.city,
            "title": p.title,
            "url": p.url,
            "platform": p.platform,
            "state": p.state,
            "population": p.population,
            "last_status": o.get("last_status"),
            "last_error": o.get("last_error"),
            "last_started": o.get("last_started"),
            "warnings": o.get("warnings"),
            "dataset_count": o.get("dataset_count"),
            "distribution_count": o.get("distribution_count"),
            "rank": None,
        }
        row.update(dict.fromkeys(SCORE_KEYS))
        row.update(s)
        datasets = s.get("datasets", o.get("dataset_count"))
        row["datasets"] = datasets
        row["datasets_per_100k"] = (
            datasets * 100_000 / p.population if datasets is not None and p.population else None
        )
        _released_base(row)
        row["released_per_100k"] = (
            row["released_datasets"] * 100_000 / p.population
            if row["share_shown"] and p.population
            else None
        )
        out.append(row)
    _overlaps(out)
    _rank(out, has_released)
    current = None
    if has_scores:
        r = con.execute(
            "SELECT a.method_version FROM latest_assessments a JOIN methods m USING (method_version) "
            "ORDER BY m.first_used_at DESC LIMIT 1"
        ).fetchone()
        current = r[0] if r else None
    return out, has_released, current


# ---------------------------------------------------------------- per city


def _in(ids: Iterable[str]) -> str:
    """A SQL IN list of portal ids (slugs, quoted anyway)."""
    quoted = ["'" + i.replace("'", "''") + "'" for i in ids]
    return "(" + (", ".join(quoted) or "''") + ")"


def history(con: duckdb.DuckDBPyConnection, ids: list[str], has_released: bool) -> dict:
    """Per portal, each ok snapshot's portal score: under the method of its latest assessment
    when that method assessed it, else under the newest method that did."""
    released = "s.share_released" if has_released else "CAST(NULL AS DOUBLE)"
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT * FROM (
            SELECT r.portal_id, r.run_id, r.started_at AS snapshot_at, s.method_version,
                   s.points, s.max_assessable, s.max_points, s.scaled, s.band,
                   {", ".join("s." + d for d in DIMENSIONS)},
                   {released} AS share_released, s.share_open_license, s.share_machine_readable,
                   s.share_non_proprietary, s.share_on_time, s.datasets, s.distributions
            FROM harvest_runs r
            JOIN assessments a ON a.run_id = r.run_id AND a.status = 'ok'
            JOIN methods m ON m.method_version = a.method_version
            JOIN scores s ON s.assessment_id = a.assessment_id AND s.level = 'portal'
            LEFT JOIN latest_assessments la ON la.portal_id = r.portal_id
            WHERE r.status = 'ok' AND r.portal_id IN {_in(ids)}
            QUALIFY row_number() OVER (
                PARTITION BY r.run_id
                ORDER BY (a.method_version = la.method_version) DESC, m.first_used_at DESC,
                         a.assessed_at DESC) = 1
        )
        QUALIFY row_number() OVER (PARTITION BY portal_id ORDER BY snapshot_at DESC, run_id DESC)
                <= {HISTORY_LIMIT}
        ORDER BY portal_id, snapshot_at, run_id
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def harvests(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Per portal, its last harvest attempts (API health): status, seconds, requests."""
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT portal_id, run_id, started_at, finished_at, status, error, method,
               request_count, dataset_count, expected_count,
               epoch(finished_at) - epoch(started_at) AS seconds
        FROM harvest_runs
        WHERE status <> 'running' AND portal_id IN {_in(ids)}
        QUALIFY row_number() OVER (PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC)
                <= {HARVEST_LIMIT}
        ORDER BY portal_id, started_at, run_id
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def indicators(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT i.portal_id, i.run_id, i.method_version, i.indicator, i.dimension, i.weight,
               i.level, i.passed, i.failed, i.share, i.points
        FROM score_indicators i JOIN latest_assessments a USING (assessment_id)
        WHERE i.portal_id IN {_in(ids)}
        ORDER BY i.portal_id, i.rowid
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def license_mix(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Datasets per licence, each dataset counted under its least open licence (its own, or
    its distributions' where they state one): the assessment's stored verdict, the same one
    the open-licence share counts."""
    groups = con.execute(
        f"""
        SELECT v.portal_id, v.license_id, v.license_raw, v.license_status, count(*) AS n
        FROM verdicts v JOIN latest_assessments a USING (assessment_id)
        WHERE v.portal_id IN {_in(ids)} AND v.distribution_id IS NULL
        GROUP BY ALL
        """
    ).fetchall()
    counts: dict[str, Counter] = defaultdict(Counter)
    for pid, license_id, raw, status, n in groups:
        label = license_id or (raw.strip()[:60] if raw else "")
        counts[pid][(label, status)] += n
    return {pid: _top(c, ("license", "status")) for pid, c in counts.items()}


def _top(counter: Counter, names: tuple[str, str], keep: int = 9) -> list[dict]:
    """The `keep` largest groups, the rest summed as one group of kind 'rest' (label None)."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    head, tail = items[:keep], items[keep:]
    out = [{names[0]: k[0], names[1]: k[1], "count": n} for k, n in head]
    if tail:
        out.append({names[0]: None, names[1]: "rest", "count": sum(n for _, n in tail)})
    return out


def format_mix(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Distributions per format as the assessment judged it (checks.formats: declared > media
    type > URL), read from its stored verdicts."""
    groups = con.execute(
        f"""
        SELECT v.portal_id, coalesce(v.format, '') AS format,
               CASE WHEN v.format IS NULL THEN 'unknown'
                    WHEN v.machine_readable AND v.non_proprietary THEN 'open'
                    WHEN v.machine_readable THEN 'machine-readable'
                    ELSE 'other' END AS kind,
               count(*) AS n
        FROM verdicts v JOIN latest_assessments a USING (assessment_id)
        WHERE v.portal_id IN {_in(ids)} AND v.distribution_id IS NOT NULL
        GROUP BY ALL
        """
    ).fetchall()
    counts: dict[str, Counter] = defaultdict(Counter)
    for pid, fmt, kind, n in groups:
        counts[pid][(fmt, kind)] += n
    return {pid: _top(c, ("format", "kind")) for pid, c in counts.items()}


def link_health(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    """Distributions of the latest snapshots by the newest outcome of their URL (the
    ``url_outcome`` of warehouse/schema_links.sql's latest_distribution_links, joined the same
    way; only that one URL, which needs a third of the memory)."""
    ws = "' ' || chr(9) || chr(10) || chr(13)"
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT d.portal_id, coalesce(s.outcome, 'unchecked') AS outcome, count(*) AS count
        FROM latest_distributions d
        LEFT JOIN latest_link_status s ON s.url = trim(d.url, {ws})
        WHERE d.portal_id IN {_in(ids)}
        GROUP BY ALL ORDER BY d.portal_id, count DESC, outcome
        """,
    ):
        out[r.pop("portal_id")].append(r)
    return dict(out)


def star_mix(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict]:
    return {
        r["portal_id"]: r
        for r in rows(con, f"SELECT * FROM portal_stars WHERE portal_id IN {_in(ids)}")
    }


def late_datasets(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        con,
        f"""
        SELECT f.portal_id, f.dataset_id, d.title, d.landing_page, d.organization, f.evidence,
               TRY_CAST(regexp_extract(f.evidence, '(\\d+) days? late', 1) AS INTEGER) AS days_late,
               count(*) OVER (PARTITION BY f.portal_id) AS total
        FROM latest_findings f
        LEFT JOIN (
            SELECT run_id, dataset_id, any_value(title) AS title,
                   any_value(landing_page) AS landing_page,
                   any_value(coalesce(organization_title, organization)) AS organization
            FROM latest_datasets WHERE portal_id IN {_in(ids)} GROUP BY ALL
        ) d USING (run_id, dataset_id)
        WHERE f.code = '{LATE_CODE}' AND f.portal_id IN {_in(ids)}
        QUALIFY row_number() OVER (
            PARTITION BY f.portal_id ORDER BY days_late DESC NULLS LAST, d.title, f.dataset_id)
            <= {LIST_LIMIT}
        ORDER BY f.portal_id, days_late DESC NULLS LAST, d.title, f.dataset_id
        """,
    ):
        out[r["portal_id"]].append(r)
    return dict(out)


def methods(con: duckdb.DuckDBPyConnection, rel: dict[str, set[str]]) -> list[dict]:
    if "methods" not in rel:
        return []
    return rows(
        con,
        """
        SELECT m.method_version, m.method_fingerprint, m.first_used_at,
               count(DISTINCT a.portal_id) AS portals
        FROM methods m LEFT JOIN latest_assessments a USING (method_version)
        GROUP BY ALL ORDER BY m.first_used_at
        """,
    )


def site_data(con: duckdb.DuckDBPyConnection, portals: Sequence[Portal]) -> SiteData:
    rel = relations(con)
    ranked, has_released, current = ranking(con, portals, rel)
    ids = [p.id for p in portals] or [""]
    data = SiteData(ranked, has_released, current, methods(con, rel))
    data.harvests = harvests(con, ids)
    data.licenses = license_mix(con, ids)
    data.formats = format_mix(con, ids)
    if "latest_scores" in rel:
        data.history = history(con, ids, has_released)
        data.indicators = indicators(con, ids)
        data.late = late_datasets(con, ids)
    if "latest_link_status" in rel:
        data.links = link_health(con, ids)
    if "portal_stars" in rel:
        data.stars = star_mix(con, ids)
    return data


# ---------------------------------------------------------------- fix list and changes


def organizations(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str | None]:
    """dataset_id -> its organisation's title (else its id) in one snapshot."""
    return dict(
        con.execute(
            "SELECT dataset_id, any_value(coalesce(organization_title, organization)) "
            "FROM datasets WHERE run_id = ? GROUP BY dataset_id",
            [run_id],
        ).fetchall()
    )


def group_fix_list(fix_rows: list[dict], orgs: dict[str, str | None]) -> list[dict]:
    """Rows of flows.findings.fix_list (one per dataset and code, ranked) -> datasets, each
    with its findings, in rank order, tagged with the organisation."""
    return group_by_dataset(fix_rows, gain="gain", orgs=orgs)


def by_organization(datasets: list[dict]) -> list[dict]:
    """Organisations in the fix list's own order: most datasets a fix would make released
    first, then most points to gain; each keeps its datasets in rank order."""
    groups: dict[str | None, dict] = {}
    for d in datasets:
        g = groups.setdefault(
            d["organization"],
            {"organization": d["organization"], "datasets": [], "gain": 0.0, "to_release": 0},
        )
        g["datasets"].append(d)
        g["gain"] += d["gain"] or 0.0
        g["to_release"] += 1 if d["release_fixes"] else 0
    out = sorted(
        groups.values(),
        key=lambda g: (
            -g["to_release"],
            -round(g["gain"], 6),
            (g["organization"] or "\uffff").casefold(),
        ),
    )
    for i, g in enumerate(out, start=1):
        g["key"] = i
        g["gain"] = round(g["gain"], 2)
    return out


def previous_assessment(
    con: duckdb.DuckDBPyConnection, run_id: str | None, method_version: str
) -> str | None:
    """The previous snapshot's assessment: under the same method if it has one."""
    if not run_id:
        return None
    r = con.execute(
        """
        SELECT a.assessment_id FROM assessments a JOIN methods m USING (method_version)
        WHERE a.run_id = ? AND a.status = 'ok'
        ORDER BY (a.method_version = ?) DESC, m.first_used_at DESC, a.assessed_at DESC LIMIT 1
        """,
        [run_id, method_version],
    ).fetchone()
    return r[0] if r else None


def changes(
    con: duckdb.DuckDBPyConnection,
    assessment_id: str,
    previous_id: str,
    run_id: str,
    previous_run_id: str,
) -> dict:
    """Findings (dataset, code) new, resolved or recurring since the previous snapshot:
    counts per code, and the datasets with most new and most resolved findings (their codes)."""
    base = """
        WITH cur AS (SELECT DISTINCT dataset_id, code FROM findings WHERE assessment_id = $cur),
        prev AS (SELECT DISTINCT dataset_id, code FROM findings WHERE assessment_id = $prev),
        j AS (
            SELECT coalesce(c.dataset_id, p.dataset_id) AS dataset_id,
                   coalesce(c.code, p.code) AS code,
                   CASE WHEN p.code IS NULL THEN 'new' WHEN c.code IS NULL THEN 'resolved'
                        ELSE 'recurring' END AS change
            FROM cur c FULL JOIN prev p USING (dataset_id, code)
        )
    """
    params = {"cur": assessment_id, "prev": previous_id}
    counts = rows(
        con,
        base + "SELECT code, change, count(*) AS n FROM j GROUP BY ALL ORDER BY code, change",
        params,
    )
    per_code: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("new", "resolved", "recurring"), 0)
    )
    for r in counts:
        per_code[r["code"]][r["change"]] = r["n"]
    totals = {k: sum(v[k] for v in per_code.values()) for k in ("new", "resolved", "recurring")}
    items = rows(
        con,
        base
        + f"""
        SELECT * FROM (
            SELECT j.change, j.dataset_id, list(j.code ORDER BY j.code) AS codes,
                   any_value(coalesce(dc.title, dp.title)) AS title,
                   any_value(coalesce(dc.landing_page, dp.landing_page)) AS landing_page,
                   bool_and(dc.dataset_id IS NULL) AS gone
            FROM j
            LEFT JOIN (SELECT dataset_id, any_value(title) AS title, any_value(landing_page) AS landing_page
                       FROM datasets WHERE run_id = $run GROUP BY ALL) dc USING (dataset_id)
            LEFT JOIN (SELECT dataset_id, any_value(title) AS title, any_value(landing_page) AS landing_page
                       FROM datasets WHERE run_id = $prun GROUP BY ALL) dp USING (dataset_id)
            WHERE j.change IN ('new', 'resolved')
            GROUP BY j.change, j.dataset_id
        )
        QUALIFY row_number() OVER (PARTITION BY change ORDER BY len(codes) DESC, title, dataset_id)
                <= {LIST_LIMIT}
        ORDER BY change, len(codes) DESC, title, dataset_id
        """,
        params | {"run": run_id, "prun": previous_run_id},
    )
    return {
        "totals": totals,
        "per_code": [{"code": c, **v} for c, v in sorted(per_code.items())],
        "new": [i for i in items if i["change"] == "new"],
        "resolved": [i for i in items if i["change"] == "resolved"],
        "datasets": {
            k: con.execute(
                base + "SELECT count(DISTINCT dataset_id) FROM j WHERE change = $k",
                params | {"k": k},
            ).fetchone()[0]
            for k in ("new", "resolved")
        },
    }
