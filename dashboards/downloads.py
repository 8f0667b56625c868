"""The scorecard's downloads: our results as open data, with a DCAT description.

One idea: every download is written from the same rows the pages show, and a city's
findings files already written for the same rows are reused, not written again.

Scores, score history and indicator points, the Musterdatenkatalog coverage per city, the
datasets given a kind of data and the copies of datasets across portals (small: CSV, JSON and Parquet each), every city's
findings as CSV (formula cells neutralised by :func:`checks.export.write_csv`) and JSON (one
object per dataset), all findings as one Parquet file, and ``catalog.jsonld`` (DCAT-AP) listing
them with sizes. Everything is written from the same rows the pages show (rows in, files out:
the findings come through a :class:`FindingsSource`, warehouse.findings.FindingsExport).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from checks.export import write_csv
from checks.scoring import DIMENSIONS
from dashboards import i18n, reuse
from dashboards.site import SiteData

LICENSE_NAME = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"


_T = "TIMESTAMPTZ"
# the GovData dashboard profile's portal figures in the scores table (score in percent, the
# rest shares of datasets): licences as written and after normalising
DASHBOARD_DOWNLOAD = ("score", "license_listed", "license_open", "license_open_normalised")
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
    *((f"govdata_dashboard_{k}", "DOUBLE") for k in DASHBOARD_DOWNLOAD),
    ("musterdaten_kinds", "INTEGER"), ("musterdaten_seen", "INTEGER"),
    ("hvd_categories_marked", "INTEGER"), ("hvd_marked", "BIGINT"),
    ("copies_of_city_datasets", "BIGINT"),
)  # fmt: skip
# every pair of copies of a dataset across the harvested portals (warehouse/schema_copies.sql)
COPY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("dataset_id", "VARCHAR"), ("title", "VARCHAR"),
    ("copy_portal_id", "VARCHAR"), ("copy_dataset_id", "VARCHAR"), ("copy_title", "VARCHAR"),
    ("matched_by", "VARCHAR"), ("differs", "VARCHAR"), ("license", "VARCHAR"),
    ("copy_license", "VARCHAR"), ("modified", "VARCHAR"), ("copy_modified", "VARCHAR"),
    ("distributions", "BIGINT"), ("copy_distributions", "BIGINT"),
)  # fmt: skip
# Musterdatenkatalog coverage (dashboards/coverage.py): one row per city and kind of data any
# compared city publishes; and every dataset given a kind, with the evidence
COVERAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("city", "VARCHAR"), ("run_id", "VARCHAR"),
    ("musterdatensatz", "VARCHAR"), ("thema", "VARCHAR"), ("bezeichnung", "VARCHAR"),
    ("has", "BOOLEAN"), ("datasets", "INTEGER"), ("cities_with", "INTEGER"),
    ("cities_compared", "INTEGER"),
)  # fmt: skip
CLASSIFIED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("run_id", "VARCHAR"), ("dataset_id", "VARCHAR"),
    ("title", "VARCHAR"), ("landing_page", "VARCHAR"), ("musterdatensatz", "VARCHAR"),
    ("thema", "VARCHAR"), ("bezeichnung", "VARCHAR"), ("score", "DOUBLE"),
    ("evidence", "VARCHAR"), ("matched", "VARCHAR"),
)  # fmt: skip
# High-value dataset marks (dashboards/coverage.compare_hvd): one row per city and category
# expected of a city or marked there; and every marked dataset, its marks as given and judged
HVD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("city", "VARCHAR"), ("run_id", "VARCHAR"),
    ("category", "VARCHAR"), ("category_iri", "VARCHAR"), ("name_en", "VARCHAR"),
    ("name_de", "VARCHAR"), ("expected_of_city", "BOOLEAN"), ("datasets_marked", "BIGINT"),
    ("marked_complete", "BIGINT"), ("cities_marking", "INTEGER"), ("cities_compared", "INTEGER"),
)  # fmt: skip
HVD_DATASET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("portal_id", "VARCHAR"), ("run_id", "VARCHAR"), ("dataset_id", "VARCHAR"),
    ("title", "VARCHAR"), ("landing_page", "VARCHAR"), ("categories", "VARCHAR"),
    ("unknown", "VARCHAR"), ("regulation", "BOOLEAN"), ("problem", "VARCHAR"),
    ("hvd_categories", "VARCHAR"), ("applicable_legislation", "VARCHAR"),
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


def _plain(value: Any) -> Any:
    """A value as it goes into CSV and JSON: instants as ISO 8601 in UTC, lists joined."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


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


class FindingsSource(Protocol):
    """Where the findings downloads come from (warehouse.findings.FindingsExport)."""

    columns: Sequence[str]

    def all_to_parquet(self, portal_ids: Sequence[str], path: Path) -> None: ...

    def city_rows(self, portal_id: str) -> Iterable[dict]: ...

    def city_to_json(self, portal_id: str, path: Path) -> None: ...

    def city_fingerprint(self, portal_id: str) -> str: ...


def _counted(rows: Iterable[dict], counted: list[int]) -> Iterator[dict]:
    for r in rows:
        counted[0] += 1
        yield r


# at the site's root (not a download): what each city's findings files hold
FINGERPRINTS = ".odwatch-findings.json"


def write_findings(
    source: FindingsSource,
    site: Path,
    portal_ids: Sequence[str],
    previous: Path | None = None,
) -> tuple[Download, dict[str, list[Download]]]:
    """All latest findings as one Parquet file; each city's as CSV (formulas neutralised)
    and JSON. `previous`: the site being replaced (written by the same odwatch version): a
    city whose findings are what they were there (same fingerprint) gets those files again
    (dashboards.reuse) instead of being written anew, so a publish after one city's harvest
    costs that city's export, not every city's."""
    base = site / "downloads"
    (base / "findings").mkdir(parents=True, exist_ok=True)
    source.all_to_parquet(portal_ids, base / "findings.parquet")
    total = 0
    per_city: dict[str, list[Download]] = {}
    before, now = reuse.read_digests(previous, FINGERPRINTS), {}
    key = ",".join(source.columns)
    for pid in portal_ids:  # one city at a time: memory stays that of the largest city
        csv_path, json_path = base / "findings" / f"{pid}.csv", base / "findings" / f"{pid}.json"
        fingerprint = f"{key}|{source.city_fingerprint(pid)}"
        old = before.get(pid)
        old_dir = None if previous is None else previous / "downloads" / "findings"
        files = [] if old_dir is None else [old_dir / f"{pid}.csv", old_dir / f"{pid}.json"]
        if (
            isinstance(old, dict)
            and old.get("fingerprint") == fingerprint
            and isinstance(old.get("rows"), int)
            and all(f.is_file() for f in files)
        ):
            reuse.link_or_copy(files[0], csv_path)
            reuse.link_or_copy(files[1], json_path)
            rows = old["rows"]
        else:
            counted = [0]
            with open(csv_path, "w", encoding="utf-8", newline="") as fh:
                write_csv(_counted(source.city_rows(pid), counted), source.columns, fh)
            source.city_to_json(pid, json_path)
            rows = counted[0]
        now[pid] = {"fingerprint": fingerprint, "rows": rows}
        total += rows
        per_city[pid] = [
            _download(site, f"downloads/findings/{pid}.{ext}", rows) for ext in ("csv", "json")
        ]
    reuse.write_digests(site, FINGERPRINTS, now)
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
    build: Path,
    data: SiteData,
    portals: Sequence[Any],
    findings: FindingsSource | None,
    previous: Path | None = None,
) -> list[DownloadGroup]:
    """Every download into build/downloads/ (which exists); the groups the downloads page and
    the DCAT catalogue list. `findings` None: the warehouse has no findings to offer.
    `previous`: the site being replaced, when the same odwatch version wrote it (its findings
    files are reused where unchanged: :func:`write_findings`)."""

    def titles(key: str, **kw: str) -> dict[str, str]:
        return {lang: i18n.text(lang, key).format(**kw) for lang in i18n.LANGS}

    history = [h for p in portals for h in data.history.get(p.id, [])]
    indicators = [i for p in portals for i in data.indicators.get(p.id, [])]
    groups = [
        DownloadGroup("scores", titles("table_scores"), write_table(build, "scores", SCORE_COLUMNS, data.ranking)),
        DownloadGroup("score-history", titles("table_history"), write_table(build, "score_history", HISTORY_COLUMNS, history)),
        DownloadGroup("indicators", titles("table_indicators"), write_table(build, "indicators", INDICATOR_COLUMNS, indicators)),
    ]  # fmt: skip
    if data.coverage:
        cities = {r["portal_id"]: r["city"] for r in data.ranking}
        table = [
            {"portal_id": pid, "city": cities.get(pid), "run_id": c.run_id,
             "musterdatensatz": i.musterdatensatz, "thema": i.thema, "bezeichnung": i.bezeichnung,
             "has": i.datasets > 0, "datasets": i.datasets, "cities_with": i.cities,
             "cities_compared": c.compared}
            for pid, c in data.coverage.items() for i in (*c.has, *c.lacks)
        ]  # fmt: skip
        groups.append(DownloadGroup("musterdaten", titles("table_musterdaten"), write_table(build, "musterdaten", COVERAGE_COLUMNS, table)))  # fmt: skip
        groups.append(DownloadGroup("musterdaten-datasets", titles("table_musterdaten_datasets"), write_table(build, "musterdaten_datasets", CLASSIFIED_COLUMNS, data.classified)))  # fmt: skip
    if data.hvd:
        cities = {r["portal_id"]: r["city"] for r in data.ranking}
        table = [
            {"portal_id": pid, "city": cities.get(pid), "run_id": h.run_id,
             "category": i.category.key, "category_iri": i.category.iri, "name_en": i.category.en,
             "name_de": i.category.de, "expected_of_city": i.category.municipal,
             "datasets_marked": i.datasets, "marked_complete": i.complete,
             "cities_marking": i.cities, "cities_compared": h.compared}
            for pid, h in data.hvd.items() if h.can_mark for i in h.items
        ]  # fmt: skip
        groups.append(DownloadGroup("hvd", titles("table_hvd"), write_table(build, "hvd", HVD_COLUMNS, table)))  # fmt: skip
        groups.append(DownloadGroup("hvd-datasets", titles("table_hvd_datasets"), write_table(build, "hvd_datasets", HVD_DATASET_COLUMNS, data.hvd_rows)))  # fmt: skip
    if data.copy_rows:
        groups.append(DownloadGroup("copies", titles("table_copies"), write_table(build, "copies", COPY_COLUMNS, data.copy_rows)))  # fmt: skip
    if findings is not None:
        scored = [r["portal_id"] for r in data.ranking if r["assessment_id"]]
        everything, per_city = write_findings(findings, build, scored, previous)
        groups.append(DownloadGroup("findings", titles("table_findings"), [everything]))
        cities = {r["portal_id"]: r["city"] for r in data.ranking}
        for pid, files in per_city.items():
            groups.append(
                DownloadGroup(
                    f"findings-{pid}", titles("table_findings_city", city=cities[pid]), files, pid
                )
            )
    return groups


def write_catalog(
    build: Path, groups: Sequence[DownloadGroup], generated_at: datetime, base_url: str | None
) -> None:
    """downloads/catalog.jsonld: :func:`dcat_catalog` of the groups written."""
    (build / "downloads" / "catalog.jsonld").write_text(
        json.dumps(dcat_catalog(groups, generated_at, base_url), ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )
