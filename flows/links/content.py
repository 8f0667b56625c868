"""Content samples and 5-star openness: the second and third half of `odwatch check-links`.

For each portal a bounded sample of distributions (tabular and JSON first) is fetched, at most
`max_bytes` each, with the same per-host politeness as the link checks; `checks.content`
sniffs and parses each sample and the GX suite judges the table. Then every distribution of
the latest snapshots gets its 5-star level from its licence, its newest link outcome and the
format (sniffed, else URL extension, else declared).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from checks.content import Finding, check_content, drift_findings
from checks.content_expectations import ExpectationError, validate_table
from checks.formats import normalize_format
from checks.links import host_key
from checks.stars import distribution_stars, level_if_open
from checks.tables import Shape, same_series, shape_of
from flows.links.hostpool import run_per_host
from flows.links.probe import Prober, ProbeResult, sha256
from warehouse import links as linkstore
from warehouse.records import Warehouse

# Sample tabular and JSON files first; services and web pages are not files to open.
PRIORITY: dict[str, int] = {"CSV": 0, "TSV": 0, "JSON": 1, "GEOJSON": 1, "JSONLD": 1}
PRIORITY.update({"XLSX": 2, "XLS": 2, "ODS": 2, "XML": 3, "KML": 3, "GML": 3, "RDF": 3})
NOT_SAMPLED = frozenset(
    {"API", "ESRI_REST", "WMS", "WFS", "WCS", "WMTS", "SPARQL", "ODATA", "HTML"}
)


@dataclass
class Candidate:
    row: dict
    declared: str | None
    container: str | None
    allow_private: bool


def _stable(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def choose_sample(rows: list[dict], n: int) -> list[tuple[dict, str | None, str | None]]:
    """Up to n distributions: by format priority, then datasets in a stable pseudo-random
    order with their distributions together (so a yearly series is sampled as a series)."""
    ranked = []
    for row in rows:
        info = normalize_format(row.get("format_raw"), row.get("media_type_raw"), row.get("url"))
        if info.format in NOT_SAMPLED:
            continue
        prio = PRIORITY.get(info.format or "", 4)
        ranked.append(
            (
                (prio, _stable(row["dataset_id"]), row.get("position") or 0),
                row,
                info.format,
                info.container,
            )
        )
    ranked.sort(key=lambda item: item[0])
    return [(row, fmt, container) for _, row, fmt, container in ranked[: max(0, n)]]


def _finding_record(base: dict, f: Finding) -> dict:
    return {
        **base,
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "evidence": f.evidence,
    }


def analyse(
    cand: Candidate,
    res: ProbeResult,
    check_run_id: str,
    reference: tuple[Shape, str] | None,
    history: Shape | None,
) -> tuple[dict, list[dict], Shape | None]:
    """One fetched sample -> (content_checks record, content_findings records, its shape)."""
    row = cand.row
    base = {
        "check_run_id": check_run_id,
        "run_id": row["run_id"],
        "portal_id": row["portal_id"],
        "dataset_id": row["dataset_id"],
        "distribution_id": row["distribution_id"],
        "url": row["url"],
        "checked_at": res.checked_at,
    }
    record = {
        **base,
        "outcome": res.outcome,
        "http_status": res.http_status,
        "final_url": res.final_url,
        "content_type": res.content_type,
        "last_modified": res.last_modified,
        "etag": res.etag,
        "declared_format": cand.declared,
    }
    if res.outcome != "ok" or res.body is None:
        record["error"] = res.error or res.reason
        return record, [], None
    body = res.body
    report = check_content(body, cand.declared, container=cand.container, truncated=res.truncated)
    findings = list(report.findings)
    table = report.table
    shape = shape_of(table, row.get("title") or row["url"]) if table and table.header else None
    error = None
    if table is not None:
        expected = None
        expected_from = ""
        if shape is not None:
            if reference is not None and same_series(reference[0], shape):
                findings += drift_findings(reference[0], shape)
                expected, expected_from = list(reference[0].columns), reference[1]
            elif history is not None:
                findings += drift_findings(history, shape)
                expected, expected_from = list(history.columns), history.label
        try:
            findings += validate_table(table, expected, expected_from)
        except ExpectationError as exc:
            error = str(exc)
    ragged = sum(1 for w in table.widths if w != table.width) if table else None
    record.update(
        {
            "bytes_read": len(body),
            "truncated": res.truncated,
            "sha256": sha256(body),
            "sniffed_format": report.format,
            "sniffed_how": report.sniffed.how,
            "encoding": report.sniffed.encoding.name,
            "delimiter": table.delimiter if table else None,
            "has_header": table.has_header if table else None,
            "columns": list(table.header) if table else None,
            "column_count": table.width if table else None,
            "row_count": len(table.rows) if table else None,
            "empty_rows": len(table.empty_rows) if table else None,
            "ragged_rows": ragged,
            "finding_count": len(findings),
            "error": error,
        }
    )
    return record, [_finding_record(base, f) for f in findings], shape


@dataclass
class SamplePlan:
    """What a content check reads from the warehouse, read before any request: per portal
    the distributions it may sample (with their URL's newest link outcome) and the earlier
    shape of each distribution's table."""

    sample_size: int = 0
    rows: dict[str, list[dict]] = field(default_factory=dict)
    shapes: dict[str, dict[str, dict]] = field(default_factory=dict)
    allow_private: dict[str, bool] = field(default_factory=dict)
    keep: Callable[[str], bool] = lambda url: True

    def candidates(self, outcomes: Mapping[str, str]) -> list[Candidate]:
        """Each portal's sample (choose_sample) among the distributions whose URL is not
        known to be unreachable, `outcomes` (this run's link checks) before the stored ones;
        of it, the URLs `keep` accepts (a shard's hosts: the sample is chosen over the whole
        portal, so the shards of one run together sample about what one run would)."""
        out = []
        for pid, rows in self.rows.items():
            reachable = [
                r for r in rows if outcomes.get(r["url"], r["link_outcome"]) in (None, "ok")
            ]
            for row, fmt, container in choose_sample(reachable, self.sample_size):
                if self.keep(row["url"]):
                    out.append(Candidate(row, fmt, container, self.allow_private.get(pid, False)))
        return out


def plan_samples(
    wh: Warehouse,
    portals: list,
    *,
    sample_size: int,
    since: datetime | None,
    allow_private: Callable[[str], bool],
    keep: Callable[[str], bool] = lambda url: True,
) -> SamplePlan:
    """Read what sampling `sample_size` distributions per portal needs. Distributions whose
    content was checked since `since` are left out, so successive runs work through a
    catalogue's files instead of fetching the same sample every time."""
    plan = SamplePlan(sample_size, keep=keep)
    if sample_size <= 0:
        return plan
    for portal in portals:
        plan.rows[portal.id] = linkstore.sample_candidates(wh, portal.id, since)
        plan.shapes[portal.id] = linkstore.previous_shapes(wh, portal.id)
        plan.allow_private[portal.id] = allow_private(portal.id)
    return plan


def check_samples(
    wh: Warehouse,
    plan: SamplePlan,
    outcomes: Mapping[str, str],
    check_run_id: str,
    prober: Prober,
    *,
    max_bytes: int,
    shift: timedelta = timedelta(0),
    rate: float,
    concurrency: int,
    workers: int,
    limits: Mapping[str, tuple[float, int]] | None = None,
) -> tuple[int, int]:
    """Fetch and judge the planned sample (`outcomes`: this run's link check results by URL);
    returns (content checks, findings) written."""
    candidates = plan.candidates(outcomes)
    if not candidates:
        return 0, 0
    fetched: dict[int, ProbeResult] = {}

    def fetch(i: int) -> ProbeResult:
        c = candidates[i]
        res = prober.fetch(c.row["url"], c.allow_private, max_bytes)
        res.checked_at += shift  # the run's clock (check_links(now=...))
        return res

    run_per_host(
        range(len(candidates)),
        fetch,
        key=lambda i: host_key(candidates[i].row["url"]),
        rate=rate,
        concurrency=concurrency,
        workers=workers,
        limits=limits,
        on_result=lambda i, r: fetched.__setitem__(i, r),
    )
    checks: list[dict] = []
    findings: list[dict] = []
    histories = plan.shapes
    last: dict[str, tuple[Shape, str]] = {}  # dataset -> the previous sampled table of it
    for i, cand in enumerate(candidates):
        row = cand.row
        prev = histories.get(row["portal_id"], {}).get(row["distribution_id"])
        history = (
            Shape(
                tuple(prev["columns"]),
                prev["delimiter"],
                f"the check of {prev['checked_at']:%Y-%m-%d}",
            )
            if prev
            else None
        )
        key = f"{row['portal_id']}\x00{row['dataset_id']}"
        record, found, shape = analyse(cand, fetched[i], check_run_id, last.get(key), history)
        if shape is not None:
            last[key] = (shape, row.get("title") or row["url"])
        checks.append(record)
        findings.extend(found)
    linkstore.insert(wh, "content_checks", checks)
    linkstore.insert(wh, "content_findings", findings)
    return len(checks), len(findings)


def score_stars(wh: Warehouse, portal_ids: list[str], now: datetime | None = None) -> int:
    """Recompute distribution_stars for the latest snapshots of these portals.

    The licence is the stored verdict of the run's assessment (``verdicts``), not judged
    again here; a run not assessed yet gets its level before the licence (``format_stars``)
    and 0 stars with reason ``license-not-open`` until the assessment sets them from its
    verdict (``flows.assess``)."""
    now = now or datetime.now(UTC)
    records = []
    run_ids: set[str] = set()
    for r in linkstore.star_inputs(wh, portal_ids):
        run_ids.add(r["run_id"])
        inputs = {
            "link_outcome": r["link_outcome"],
            "sniffed_format": r["sniffed_format"],
            "url": r["url"],
            "format_raw": r["format_raw"],
            "media_type_raw": r["media_type_raw"],
            "generated": bool(r["generated"]),
        }
        level = level_if_open(**inputs)
        status = r["license_status"]
        rating = distribution_stars(license_open=status == "open", **inputs)
        records.append(
            {
                "run_id": r["run_id"],
                "portal_id": r["portal_id"],
                "dataset_id": r["dataset_id"],
                "distribution_id": r["distribution_id"],
                "computed_at": now,
                "stars": rating.stars,
                "format": level.format,  # what the file is, whatever its licence
                "format_source": level.source,
                "reason": rating.reason,
                "license_status": status,
                "link_outcome": r["link_outcome"],
                "format_stars": level.stars,
                "format_reason": level.reason,
            }
        )
    return linkstore.replace_stars(wh, sorted(run_ids), records)
