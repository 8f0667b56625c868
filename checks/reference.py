"""The assessment one dataset at a time in plain Python: the reference for the set-based SQL.

:func:`assess_records` computes what ``flows/assess.py`` computes in DuckDB (findings with
points lost, per-dataset and portal points, the shares and the "really released" headline)
from the same facts and rules, one record at a time. The tests hold the two to identical
results on the recorded corpus; the benchmark uses it as the "straightforward per-dataset loop".
Not mirrored: the content findings and the ``stars`` columns, which the assessment copies from
the link checker's tables (``content_findings``, ``distribution_stars``) rather than computes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from checks.compliance import NO_SHACL
from checks.facts import Facts, counted_units, dataset_facts, dataset_license, distribution_facts
from checks.licenses import LICENSE_RANK
from checks.metadata import CHECK_RULES, EVIDENCE, INDICATOR_RULES, NA, released
from checks.scoring import CURRENT, Method, band


@dataclass
class RecordAssessment:
    findings: list[dict]  # dataset_id, distribution_id, code, points_lost, evidence
    dataset_scores: list[dict]  # per dataset: per-indicator (passed, failed) and points
    portal: dict  # per indicator (passed, failed), points, max_assessable ...


_RANK = LICENSE_RANK


def _sort_key(d: Mapping[str, Any]) -> tuple:
    pos = d.get("position")
    return (pos is None, pos if pos is not None else 0, d.get("distribution_id") or "")


def assess_dataset(
    ds: Mapping[str, Any],
    dists: Sequence[Mapping[str, Any]],
    now: datetime,
    method: Method = CURRENT,
    links: Mapping[str, str] | None = None,
    shacl: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[dict], dict[str, tuple[int, int]], Facts]:
    """One dataset: its findings and, per indicator, (units passed, units failed).
    ``shacl``: :func:`checks.compliance.shacl_facts` of the snapshot (None: not validated)."""
    s = dataset_facts(ds, now, method)
    s.update((shacl or {}).get(ds.get("dataset_id"), NO_SHACL))
    ds_lic = dataset_license(
        ds.get("license_raw"), ds.get("license_url_raw"), ds.get("license_title_raw")
    )
    ordered = sorted(dists, key=_sort_key)
    units = counted_units([distribution_facts(d, ds_lic, links) for d in ordered]) or [
        distribution_facts(None, ds_lic, links)
    ]
    # openness of the dataset: the least open licence over its distributions
    eff = min(units, key=lambda u: _RANK[u["license_status"]]) if dists else None
    s["open_status"] = eff["license_status"] if eff else s["license_status"]
    s["open_raw"] = eff["license_raw"] if eff else s["license_raw"]
    s["released"] = released(s["freshness"], units)

    best_ids = [i.id for i in method.indicators if i.level == "best-distribution"]
    for u in units:
        u["interop_points"] = sum(
            i.weight
            for i in method.indicators
            if i.id in best_ids and INDICATOR_RULES[i.id].py(u) is None
        )
    best = min(range(len(units)), key=lambda k: (-units[k]["interop_points"], k))

    counts: dict[str, tuple[int, int]] = {}
    raw: list[tuple[int | None, str, float]] = []  # (unit index, code, points)
    for ind in method.indicators:
        rule = INDICATOR_RULES[ind.id]
        if ind.level == "dataset":
            results = [(None, rule.py(s))]
        elif ind.level == "best-distribution":
            results = [(best, rule.py(units[best]))]
        else:
            results = [(k, rule.py(u)) for k, u in enumerate(units)]
        judged = [(k, r) for k, r in results if r != NA]
        failed = [(k, r) for k, r in judged if r is not None]
        counts[ind.id] = (len(judged) - len(failed), len(failed))
        for k, code in failed:
            raw.append((k, code, ind.weight / len(judged)))
        if ind.level == "best-distribution":
            for k, u in enumerate(units):
                code = rule.py(u)
                if k != best and code not in (None, NA):
                    raw.append((k, code, 0.0))
    for chk in method.checks:
        rule = CHECK_RULES.get(chk.code)
        if rule is None:
            continue
        if chk.level == "dataset":
            if rule.py(s) is not None:
                raw.append((None, chk.code, 0.0))
        else:
            for k, u in enumerate(units):
                if rule.py(u) is not None:
                    raw.append((k, chk.code, 0.0))

    merged: dict[tuple[int | None, str], float] = {}
    for k, code, points in raw:
        if k is not None and units[k]["is_virtual"]:
            k, code = None, "no-distributions"
        merged[(k, code)] = merged.get((k, code), 0.0) + points
    findings = []
    for (k, code), points in merged.items():
        u = units[k] if k is not None else {}
        ev = EVIDENCE.get(code)
        findings.append(
            {
                "dataset_id": ds.get("dataset_id"),
                "distribution_id": u.get("distribution_id"),
                "code": code,
                "points_lost": points,
                "evidence": ev[0](s, u) if ev else None,
            }
        )
    s["units"] = units
    return findings, counts, s


def _points(method: Method, counts: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {dim: 0.0 for dim in {i.dimension for i in method.indicators}}
    assessable = 0
    for ind in method.indicators:
        passed, failed = counts[ind.id]
        if passed + failed:
            out[ind.dimension] += ind.weight * passed / (passed + failed)
            assessable += ind.weight
    points = sum(out[d] for d in {i.dimension for i in method.indicators})
    out["points"] = points
    out["max_assessable"] = assessable
    out["band"] = band(points, assessable)
    return out


def assess_records(
    datasets: Iterable[Mapping[str, Any]],
    distributions: Iterable[Mapping[str, Any]],
    now: datetime,
    method: Method = CURRENT,
    links: Mapping[str, str] | None = None,
    shacl: Mapping[str, Mapping[str, Any]] | None = None,
) -> RecordAssessment:
    """Assess a snapshot one dataset at a time (what the set-based SQL computes in bulk)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    by_dataset: dict[str, list[Mapping[str, Any]]] = {}
    for d in distributions:
        by_dataset.setdefault(d["dataset_id"], []).append(d)
    findings: list[dict] = []
    scores: list[dict] = []
    total: dict[str, list[int]] = {i.id: [0, 0] for i in method.indicators}
    shares = {"open": [0, 0], "mr": [0, 0], "np": [0, 0], "on_time": [0, 0], "released": [0, 0]}
    unverified = 0
    for ds in datasets:
        f, counts, s = assess_dataset(
            ds, by_dataset.get(ds["dataset_id"], []), now, method, links, shacl
        )
        findings.extend(f)
        for key, (p, n) in counts.items():
            total[key][0] += p
            total[key][1] += n
        units = s["units"]
        row = {"dataset_id": ds["dataset_id"], "counts": counts, **_points(method, counts)}
        row["share_open_license"] = 1.0 if s["open_status"] == "open" else 0.0
        row["share_machine_readable"] = sum(u["fmt_mr"] for u in units) / len(units)
        row["share_non_proprietary"] = sum(u["fmt_np"] for u in units) / len(units)
        row["share_on_time"] = {"on-time": 1.0, "late": 0.0}.get(s["freshness"])
        row["released"] = s["released"]
        row["share_released"] = {True: 1.0, False: 0.0}.get(s["released"])
        row["released_datasets"] = int(s["released"] is True)
        row["released_unverified"] = int(s["released"] is None)
        scores.append(row)
        shares["open"][0] += s["open_status"] == "open"
        shares["open"][1] += 1
        shares["mr"][0] += sum(u["fmt_mr"] for u in units)
        shares["mr"][1] += len(units)
        shares["np"][0] += sum(u["fmt_np"] for u in units)
        shares["np"][1] += len(units)
        if s["freshness"] in ("on-time", "late"):
            shares["on_time"][0] += s["freshness"] == "on-time"
            shares["on_time"][1] += 1
        if s["released"] is None:
            unverified += 1
        else:
            shares["released"][0] += s["released"]
            shares["released"][1] += 1
    counts = {k: (v[0], v[1]) for k, v in total.items()}
    portal = {"counts": counts, **_points(method, counts)}
    for key, name in (
        ("open", "share_open_license"),
        ("mr", "share_machine_readable"),
        ("np", "share_non_proprietary"),
        ("on_time", "share_on_time"),
        ("released", "share_released"),
    ):
        hit, n = shares[key]
        portal[name] = hit / n if n else None
    portal["released"] = None
    portal["released_datasets"] = shares["released"][0]
    portal["released_unverified"] = unverified
    return RecordAssessment(findings=findings, dataset_scores=scores, portal=portal)
