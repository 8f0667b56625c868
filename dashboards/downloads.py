"""The scorecard's downloads: our results as open data, with a DCAT description.

Scores, score history and indicator points (small: CSV, JSON and Parquet each), every city's
findings as CSV (formula cells neutralised by :func:`checks.export.write_csv`) and JSON (one
object per dataset), all findings as one Parquet file, and ``catalog.jsonld`` (DCAT-AP) listing
them with sizes. Everything is written from the same rows the pages show.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from checks.export import write_csv
from checks.scoring import DIMENSIONS, release_fix_sql
from dashboards import i18n
from flows.config import Portal
from flows.findings import fix_ranks_sql
from flows.publish_data import SiteData

LICENSE_NAME = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"


_T = "TIMESTAMPTZ"
SCORE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "INTEGER"), ("portal_id", "VARCHAR"), ("kind", "VARCHAR"), ("city", "VARCHAR"),
    ("title", "VARCHAR"),
    ("population", "BIGINT"), ("run_id", "VARCHAR"), ("snapshot_at", _T),
    ("method_version", "VARCHAR"), ("share_released", "DOUBLE"), ("points", "DOUBLE"),
    ("max_assessable", "INTEGER"), ("max_points", "INTEGER"), ("scaled", "DOUBLE"),
    ("band", "VARCHAR"), *((d, "DOUBLE") for d in DIMENSIONS),
    ("share_open_license", "DOUBLE"), ("share_machine_readable", "DOUBLE"),
    ("share_non_proprietary", "DOUBLE"), ("share_on_time", "DOUBLE"), ("datasets", "BIGINT"),
    ("distributions", "BIGINT"), ("released_datasets", "BIGINT"),
    ("released_unverified", "BIGINT"), ("released_judged", "BIGINT"),
    ("share_shown", "BOOLEAN"), ("released_per_100k", "DOUBLE"),
    ("datasets_per_100k", "DOUBLE"), ("findings", "BIGINT"),
    ("flagged", "BIGINT"), ("previous_run_id", "VARCHAR"), ("previous_scaled", "DOUBLE"),
    ("scaled_change", "DOUBLE"), ("previous_share_released", "DOUBLE"),
    ("released_change", "DOUBLE"), ("previous_points", "DOUBLE"), ("city_change", "DOUBLE"),
    ("method_change", "DOUBLE"), ("previous_method_version", "VARCHAR"),
    ("last_status", "VARCHAR"), ("last_started", _T),
)  # fmt: skip
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("run_id", "VARCHAR"), ("snapshot_at", _T),
    ("method_version", "VARCHAR"), ("share_released", "DOUBLE"), ("points", "DOUBLE"),
    ("max_assessable", "INTEGER"), ("max_points", "INTEGER"), ("scaled", "DOUBLE"),
    ("band", "VARCHAR"), *((d, "DOUBLE") for d in DIMENSIONS),
    ("share_open_license", "DOUBLE"), ("share_machine_readable", "DOUBLE"),
    ("share_non_proprietary", "DOUBLE"), ("share_on_time", "DOUBLE"), ("datasets", "BIGINT"),
    ("distributions", "BIGINT"),
)  # fmt: skip
INDICATOR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("run_id", "VARCHAR"), ("method_version", "VARCHAR"),
    ("indicator", "VARCHAR"), ("dimension", "VARCHAR"), ("weight", "INTEGER"),
    ("level", "VARCHAR"), ("passed", "BIGINT"), ("failed", "BIGINT"), ("share", "DOUBLE"),
    ("points", "DOUBLE"),
)  # fmt: skip
FINDING_COLUMNS = (
    "portal_id", "run_id", "method_version", "dataset_id", "dataset_title", "organization",
    "landing_page", "distribution_id", "code", "severity", "message", "evidence", "points_lost",
)  # fmt: skip
# a city's findings (CSV, JSON) in its fix list's order: flows.findings.fix_ranks_sql
CITY_FINDING_COLUMNS = ("fix_rank", *FINDING_COLUMNS, "dataset_released", "blocks_release")


def _findings_sql(portal_ids: Sequence[str]) -> str:
    listed = ", ".join(_sql_text(p) for p in portal_ids) or "''"
    return f"""
        SELECT f.portal_id, f.run_id, f.method_version, f.dataset_id, d.title AS dataset_title,
               d.organization, d.landing_page, f.distribution_id, f.code, f.severity, f.message,
               f.evidence, f.points_lost
        FROM latest_findings f
        LEFT JOIN (
            SELECT run_id, dataset_id, any_value(title) AS title,
                   any_value(coalesce(organization_title, organization)) AS organization,
                   any_value(landing_page) AS landing_page
            FROM latest_datasets WHERE portal_id IN ({listed}) GROUP BY ALL
        ) d USING (run_id, dataset_id)
        WHERE f.portal_id IN ({listed})
    """


def _city_findings_sql(con: duckdb.DuckDBPyConnection, portal_id: str) -> str:
    """One city's findings with the fix list's rank of their dataset, in fix-list order."""
    where = (
        "f.assessment_id IN (SELECT assessment_id FROM latest_assessments "
        f"WHERE portal_id = {_sql_text(portal_id)})"
    )
    return f"""
        SELECT r.rank AS fix_rank, x.*, r.released AS dataset_released,
               (r.release_fixes > 0 AND {release_fix_sql("x.code")} > 0) AS blocks_release
        FROM ({_findings_sql([portal_id])}) x
        JOIN ({fix_ranks_sql(con, where)}) r USING (dataset_id)
        ORDER BY fix_rank, blocks_release DESC, {release_fix_sql("x.code")},
                 x.distribution_id NULLS FIRST, x.code
    """


def _stream(
    result: duckdb.DuckDBPyConnection, columns: Sequence[str], counted: list[int]
) -> Iterable[dict]:
    """A query's rows as dicts, fetched in chunks; counted[0] holds how many so far."""
    while chunk := result.fetchmany(10_000):
        counted[0] += len(chunk)
        for r in chunk:
            yield dict(zip(columns, r, strict=True))


def _nested_findings_sql(con: duckdb.DuckDBPyConnection, portal_id: str) -> str:
    """One JSON object per dataset with its findings (the CSV's rows, without repeating the
    dataset's title, organisation and link on each), in fix-list order."""
    return f"""
        SELECT fix_rank, portal_id, run_id, method_version, dataset_id,
               any_value(dataset_title) AS dataset_title,
               any_value(organization) AS organization, any_value(landing_page) AS landing_page,
               any_value(dataset_released) AS dataset_released,
               list({{'distribution_id': distribution_id, 'code': code, 'severity': severity,
                      'message': message, 'evidence': evidence, 'points_lost': points_lost,
                      'blocks_release': blocks_release}}
                    ORDER BY blocks_release DESC, distribution_id NULLS FIRST, code) AS findings
        FROM ({_city_findings_sql(con, portal_id)})
        GROUP BY fix_rank, portal_id, run_id, method_version, dataset_id
        ORDER BY fix_rank
    """


def _plain(value: Any) -> Any:
    """A value as it goes into CSV and JSON: instants as ISO 8601 in UTC, lists joined."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class Download:
    path: str  # relative to the site root
    rows: int
    bytes: int = 0
    media_type: str = ""
    file_type: str = ""


@dataclass
class DownloadGroup:
    key: str
    titles: dict[str, str]
    files: list[Download] = field(default_factory=list)
    portal_id: str | None = None


_FORMATS = {
    "csv": ("text/csv", "CSV"),
    "json": ("application/json", "JSON"),
    "parquet": ("application/vnd.apache.parquet", "PARQUET"),
}


def _download(site: Path, path: str, rows: int) -> Download:
    ext = path.rsplit(".", 1)[-1]
    media, file_type = _FORMATS[ext]
    return Download(path, rows, (site / path).stat().st_size, media, file_type)


def write_table(
    site: Path, name: str, columns: Sequence[tuple[str, str]], table: Iterable[dict]
) -> list[Download]:
    """A small table as downloads/<name>.csv, .json and .parquet (typed, via DuckDB)."""
    names = [c for c, _ in columns]
    plain = [{c: _plain(r.get(c)) for c in names} for r in table]
    base = site / "downloads"
    with open(base / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        write_csv(plain, names, fh)
    (base / f"{name}.json").write_text(
        json.dumps(plain, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns) + "}"
    mem = duckdb.connect()
    try:
        mem.execute("SET TimeZone = 'UTC'")
        mem.execute(
            f"COPY (SELECT * FROM read_json(?, format = 'array', columns = {spec})) "
            f"TO '{base / (name + '.parquet')}' (FORMAT parquet)",
            [str(base / f"{name}.json")],
        )
    finally:
        mem.close()
    return [_download(site, f"downloads/{name}.{ext}", len(plain)) for ext in _FORMATS]


def write_findings(
    con: duckdb.DuckDBPyConnection, site: Path, portal_ids: Sequence[str]
) -> tuple[Download, dict[str, list[Download]]]:
    """All latest findings as one Parquet file; each city's as CSV (formulas neutralised)
    and JSON."""
    base = site / "downloads"
    (base / "findings").mkdir(parents=True, exist_ok=True)
    con.execute(  # unsorted: sorting half a million rows doubled the peak memory
        f"COPY ({_findings_sql(portal_ids)}) "
        f"TO {_sql_text(str(base / 'findings.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
    )
    total = 0
    per_city: dict[str, list[Download]] = {}
    for pid in portal_ids:  # one city at a time: memory stays that of the largest city
        counted = [0]
        result = con.execute(_city_findings_sql(con, pid))
        with open(base / "findings" / f"{pid}.csv", "w", encoding="utf-8", newline="") as fh:
            write_csv(_stream(result, CITY_FINDING_COLUMNS, counted), CITY_FINDING_COLUMNS, fh)
        con.execute(
            f"COPY ({_nested_findings_sql(con, pid)}) "
            f"TO {_sql_text(str(base / 'findings' / f'{pid}.json'))} (FORMAT json, ARRAY true)"
        )
        total += counted[0]
        per_city[pid] = [
            _download(site, f"downloads/findings/{pid}.{ext}", counted[0])
            for ext in ("csv", "json")
        ]
    return _download(site, "downloads/findings.parquet", total), per_city


def dcat_catalog(
    groups: Sequence[DownloadGroup], generated_at: datetime, base_url: str | None
) -> dict:
    """A DCAT-AP description of the downloads (JSON-LD). Without base_url the IRIs are
    relative to the catalogue file, which sits in downloads/."""

    def iri(path: str) -> str:
        rel = path.removeprefix("downloads/")
        return f"{base_url.rstrip('/')}/{path}" if base_url else rel

    when = {"@value": generated_at.astimezone(UTC).isoformat(), "@type": "xsd:dateTime"}
    licence = {"@id": LICENSE_URL}
    datasets = []
    for g in groups:
        datasets.append(
            {
                "@id": iri(f"downloads/catalog.jsonld#{g.key}"),
                "@type": "dcat:Dataset",
                "dct:identifier": g.key,
                "dct:title": [{"@value": t, "@language": lang} for lang, t in g.titles.items()],
                "dct:modified": when,
                "dct:license": licence,
                "dcat:keyword": ["open data", "metadata quality", "MQA", "odwatch"],
                "dcat:distribution": [
                    {
                        "@id": iri(f.path) + "#distribution",
                        "@type": "dcat:Distribution",
                        "dct:title": f.path.rsplit("/", 1)[-1],
                        "dcat:downloadURL": {"@id": iri(f.path)},
                        "dcat:accessURL": {"@id": iri(f.path)},
                        "dcat:mediaType": {
                            "@id": f"http://www.iana.org/assignments/media-types/{f.media_type}"
                        },
                        "dct:format": {
                            "@id": "http://publications.europa.eu/resource/authority/file-type/"
                            + f.file_type
                        },
                        "dcat:byteSize": {
                            "@value": str(f.bytes),
                            "@type": "xsd:nonNegativeInteger",
                        },
                        "dct:license": licence,
                        "dct:modified": when,
                    }
                    for f in g.files
                ],
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": iri("downloads/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": [
            {"@value": "odwatch scorecard: results", "@language": "en"},
            {"@value": "odwatch-Scorecard: Ergebnisse", "@language": "de"},
        ],
        "dct:description": [
            {"@value": i18n.text("en", "downloads_help"), "@language": "en"},
            {"@value": i18n.text("de", "downloads_help"), "@language": "de"},
        ],
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "odwatch"},
        "dct:license": licence,
        "dct:modified": when,
        "dcat:dataset": datasets,
    }


def write_downloads(
    con: duckdb.DuckDBPyConnection, build: Path, data: SiteData, portals: list[Portal]
) -> list[DownloadGroup]:
    def titles(key: str, **kw: str) -> dict[str, str]:
        return {lang: i18n.text(lang, key).format(**kw) for lang in i18n.LANGS}

    history = [h for p in portals for h in data.history.get(p.id, [])]
    indicators = [i for p in portals for i in data.indicators.get(p.id, [])]
    groups = [
        DownloadGroup("scores", titles("table_scores"), write_table(build, "scores", SCORE_COLUMNS, data.ranking)),
        DownloadGroup("score-history", titles("table_history"), write_table(build, "score_history", HISTORY_COLUMNS, history)),
        DownloadGroup("indicators", titles("table_indicators"), write_table(build, "indicators", INDICATOR_COLUMNS, indicators)),
    ]  # fmt: skip
    if "latest_findings" in {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}:  # fmt: skip
        scored = [r["portal_id"] for r in data.ranking if r["assessment_id"]]
        everything, per_city = write_findings(con, build, scored)
        groups.append(DownloadGroup("findings", titles("table_findings"), [everything]))
        cities = {r["portal_id"]: r["city"] for r in data.ranking}
        for pid, files in per_city.items():
            groups.append(
                DownloadGroup(
                    f"findings-{pid}", titles("table_findings_city", city=cities[pid]), files, pid
                )
            )
    return groups
