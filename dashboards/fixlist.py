"""The fix list as text: a table for a terminal and a JSON document (pure: rows -> str).

Rows come from :func:`flows.findings.fix_list`: one per dataset and finding code, ordered by
the dataset's rank, with ``rank``, ``dataset_id``, ``dataset_title``, ``landing_page``,
``dataset_points_gain``, ``dataset_released``, ``release_fixes``, ``code``,
``blocks_release``, ``severity``, ``title``, ``points_lost``, ``distributions``, ``evidence``
and ``fix``; a ``dcat-ap-violation`` row also has ``violations``: the SHACL results behind it
(``path``, ``distribution_id``, ``focus``, ``value``, ``constraint_component``, the shape's
``message_en`` / ``message_de``), each shown with a plain-words fix hint
(:func:`dashboards.i18n.shacl_fix`).
"""

from __future__ import annotations

import json

from dashboards.i18n import shacl_texts

#: The fields of one finding in a row, in output order.
FINDING_KEYS = (
    "code",
    "blocks_release",
    "severity",
    "title",
    "points_lost",
    "distributions",
    "evidence",
    "fix",
)
#: The order, said once for the table, the pages and the README.
ORDER_NOTE = "those a fix would make really released first, then by points to gain"


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def release_note(released: bool | None, fixes: int) -> str:
    """What the dataset's release fixes do, for the table: '' when it has none."""
    if not fixes:
        return ""
    state = "undetermined" if released is None else "not released"
    return f"  ({state}; {plural(fixes, 'fix', 'fixes')} marked * for really released)"


def _evidence_short(text: str | None, n: int = 70) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_table(assessment: dict, rows: list[dict]) -> str:
    lines = [
        f"{assessment['portal_id']}: snapshot {assessment['run_id']}, method {assessment['method_version']}; "
        f"{plural(len({r['dataset_id'] for r in rows}), 'dataset', 'datasets')} flagged, "
        f"ranked {ORDER_NOTE}"
    ]
    if line := dashboard_line(assessment.get("govdata_dashboard")):
        lines.append(line)
    current = None
    for r in rows:
        if r["dataset_id"] != current:
            current = r["dataset_id"]
            lines.append("")
            lines.append(
                f"{r['rank']:>4}. +{r['dataset_points_gain']:g} points  {r['dataset_title'] or r['dataset_id']}"
                + release_note(r.get("dataset_released"), r.get("release_fixes") or 0)
            )
            lines.append(f"      {r['landing_page']}")
        count = f" x{r['distributions']}" if r["distributions"] > 1 else ""
        evidence = _evidence_short(r["evidence"])
        mark = "*" if r.get("blocks_release") else " "
        lines.append(
            f"    {mark} {r['points_lost']:>6g}  {r['severity']:<7} {r['code']}{count}"
            + (f"  [{evidence}]" if evidence else "")
        )
        lines.append(f"              fix: {r['fix']}")
        for v in r.get("violations") or ():
            message, hint = shacl_texts("en", v)
            where = f" (distribution {v['distribution_id']})" if v.get("distribution_id") else ""
            lines.append(
                f"              - {v['path'] or '?'}{where}: {_evidence_short(message, 90)}"
            )
            lines.append(f"                fix: {hint}")
    return "\n".join(lines) + "\n"


def violation_texts(violations: list[dict] | None, lang: str = "en") -> list[dict]:
    """Each SHACL violation with its ``message`` and plain-words ``fix`` in `lang`."""
    out = []
    for v in violations or ():
        message, hint = shacl_texts(lang, v)
        out.append({**v, "message": message, "fix": hint})
    return out


def csv_row(r: dict) -> dict:
    """A fix-list row for the CSV: the violations as one text cell ("path: message | ...")."""
    texts = violation_texts(r.get("violations"))
    cell = " | ".join(f"{v['path'] or '?'}: {v['message']} (fix: {v['fix']})" for v in texts)
    return {**r, "violations": cell or None}


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f} %"


def dashboard_line(g: dict | None) -> str:
    """The GovData dashboard profile in one line ('' when it was not judged at all)."""
    if not g:
        return ""
    if g.get("error"):
        return f"GovData dashboard: not judged: {g['error']}"
    if g.get("score") is None:
        return ""
    parts = [
        f"licence on the DCAT-AP.de list as written {_pct(g['license_listed'])}",
        f"open as written {_pct(g['license_open'])}, after normalising "
        f"{_pct(g['license_open_normalised'])}",
        f"keywords {_pct(g['keywords'])}",
        f"publisher {_pct(g['publisher'])}",
        f"contributorID {_pct(g['contributor'])}",
    ]
    extra = [
        f"{n} {what}"
        for n, what in (
            (g.get("contributor_aggregator"), "set by the aggregator"),
            (g.get("contributor_unknown"), "not judged"),
        )
        if n
    ]
    tail = f" (contributorID: {', '.join(extra)})" if extra else ""
    return f"GovData dashboard: {g['score']:.0f} % ({'; '.join(parts)}){tail}"


def group_by_dataset(
    rows: list[dict], gain: str = "points_gain", orgs: dict[str, str | None] | None = None
) -> list[dict]:
    """Rows -> one dict per dataset, in rank order, with its ``findings``; the dataset's gain
    is stored under ``gain``, and with ``orgs`` (dataset_id -> title) its ``organization``."""
    datasets: dict[str, dict] = {}
    for r in rows:
        d = datasets.get(r["dataset_id"])
        if d is None:
            d = datasets[r["dataset_id"]] = {
                "rank": r["rank"],
                "dataset_id": r["dataset_id"],
                "title": r["dataset_title"],
                "landing_page": r["landing_page"],
                gain: r["dataset_points_gain"],
                "released": r.get("dataset_released"),
                "release_fixes": r.get("release_fixes") or 0,
            }
            if orgs is not None:
                d["organization"] = orgs.get(r["dataset_id"])
            d["findings"] = []
        finding = {k: r[k] for k in FINDING_KEYS}
        if "violations" in r:
            finding["violations"] = violation_texts(r["violations"])
        d["findings"].append(finding)
    return list(datasets.values())


def render_json(assessment: dict, rows: list[dict]) -> str:
    doc = {
        **assessment,
        "snapshot_at": str(assessment["snapshot_at"]),
        "datasets": group_by_dataset(rows),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
