"""DCAT-AP.de compliance of a dataset, read from its stored SHACL verdict (issue 16).

The snapshot's SHACL validation (``flows/shacl.py``) stores one row per dataset and profile
in ``shacl_datasets`` and every result behind it in ``shacl_results``
(``warehouse/schema_shacl.sql``). The MQA indicator ``dcat-ap-compliance`` reads them through
one status per dataset:

- ``conforms``: no Violation (warnings and infos do not count, as in GovData's validator);
- ``violates``: at least one Violation on a field the platform can supply;
- ``unknowable``: Violations, but each on a field the platform's API cannot supply or only an
  aggregator sets (``shacl_results.unknowable``): not judged, neither for nor against the city;
- None: the dataset's graph could not be built (``shacl_datasets.error``) or it was not
  validated: not judged.

Decision: a dataset whose only Violations are unknowable stays unjudged rather than passing.
Passing it would credit a city for fields nobody has seen; failing it would blame the city
for what its platform's API does not expose. As with unverified links, it counts neither way.

:func:`shacl_facts` is the per-record reference (``checks/reference.py``);
:data:`SHACL_STATUS_SQL` is the same over the columns ``conforms`` and ``violations`` (the
count of Violations not marked unknowable), which ``warehouse/assess_inputs.shacl_lookup``
computes set-based. Both are part of the method fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The MQA indicator reads the DCAT-AP.de profiles; the dashboard profile is scored apart.
# Profile name -> GovData's validation type in its validator's config.properties.
PROFILES = {
    "dcat-ap-de-2.0": "v20_de_spec_implr",
    "dcat-ap-de-3.0": "v30_de_spec",
    "govdata-dashboard": "dashboard_live",
}
DASHBOARD_PROFILE = "govdata-dashboard"
DCAT_PROFILES = tuple(p for p in PROFILES if p != DASHBOARD_PROFILE)  # portals.yaml: shacl_profile
DEFAULT_PROFILE = "dcat-ap-de-2.0"

SHACL_STATUS_SQL = (
    "(CASE WHEN conforms THEN 'conforms' WHEN NOT conforms AND violations > 0 THEN 'violates' "
    "WHEN NOT conforms THEN 'unknowable' END)"
)


def shacl_status(conforms: bool | None, violations: int) -> str | None:
    """``conforms`` / ``violates`` / ``unknowable`` / None (see the module docstring);
    ``violations`` counts the dataset's Violations not marked unknowable."""
    if conforms is None:
        return None
    if conforms:
        return "conforms"
    return "violates" if violations > 0 else "unknowable"


def shacl_facts(
    datasets: Iterable[Mapping[str, Any]], results: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per dataset_id: ``shacl_profile``, ``shacl_status``, ``shacl_violations`` from the rows
    of ``shacl_datasets`` and ``shacl_results`` of one snapshot and one profile."""
    counted: dict[str, int] = {}
    for r in results:
        if r["severity"] == "Violation" and not r["unknowable"]:
            counted[r["dataset_id"]] = counted.get(r["dataset_id"], 0) + 1
    out: dict[str, dict[str, Any]] = {}
    for d in datasets:
        n = counted.get(d["dataset_id"], 0)
        out[d["dataset_id"]] = {
            "shacl_profile": d["profile"],
            "shacl_status": shacl_status(d["conforms"], n),
            "shacl_violations": n,
        }
    return out


def violation_evidence(s: Mapping[str, Any]) -> str:
    """The evidence of a ``dcat-ap-violation`` finding: "3 violations of dcat-ap-de-2.0"."""
    n = s["shacl_violations"]
    return f"{n} {'violation' if n == 1 else 'violations'} of {s['shacl_profile']}"


VIOLATION_EVIDENCE_SQL = (
    "s.shacl_violations || CASE WHEN s.shacl_violations = 1 THEN ' violation' "
    "ELSE ' violations' END || ' of ' || s.shacl_profile"
)

NO_SHACL: dict[str, Any] = {"shacl_profile": None, "shacl_status": None, "shacl_violations": None}
