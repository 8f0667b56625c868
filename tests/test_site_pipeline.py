"""`odwatch demo` end to end (one run, its assertions together: each demo run costs ~15 s):
a line per portal on stderr as it finishes, then where the scorecard is and one line per city
on stdout, and a markdown summary and a score table as Prefect artifacts."""

from __future__ import annotations

import json

import pytest

from flows.cli import main

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _artifact(key: str, warehouse: str):
    """The artifact under `key` of the run that wrote `warehouse` (the session's Prefect
    server is shared with other tests' runs, which make artifacts under the same keys)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
    )

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["odwatch-run"])), limit=200
        )
        ours = [r.id for r in runs if r.parameters.get("warehouse_path") == warehouse]
        assert len(ours) == 1, f"{len(ours)} odwatch-run flow runs wrote {warehouse}"
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ours)),
        )
    assert len(found) == 1, f"{len(found)} artifacts {key!r} from the run that wrote {warehouse}"
    return found[0]


def test_run_prints_the_scorecard_and_makes_artifacts(tmp_path, capfd) -> None:
    wh, site = tmp_path / "demo.duckdb", tmp_path / "site"
    assert main(["demo", "--retries", "0", "--warehouse", str(wh), "--site", str(site)]) == 0
    said = capfd.readouterr()
    # stderr: one line per portal as it finishes
    assert "musterstadt: ok, 6 datasets, 10 distributions" in said.err
    assert "beispielhausen: ok, 3 datasets, 3 distributions" in said.err
    assert "kaputtdorf: FAILED" in said.err and "expected CKAN JSON, got text/html" in said.err
    assert (site / "index.html").read_text().count("<tr data-portal=") == 3
    out = said.out.splitlines()
    assert out[0].startswith(f"scorecard: {site / 'index.html'} (3 cities, ")
    assert [line.split(":")[0] for line in out[1:]] == [
        # ranked by the really-released share: the demo serves its files locally (one dead
        # link, one HTML page as CSV), so both shares are determined
        "   1. Beispielhausen (beispielhausen)",
        "   2. Musterstadt (musterstadt)",
        "   -  Kaputtdorf (kaputtdorf)",
    ]
    # DCAT-AP compliance is judged now (odwatch run validates with GovData's shapes): both of
    # Beispielhausen's judged datasets violate (a media type not written as an IANA IRI, a
    # distribution without licence), which takes it from good to sufficient
    assert "released 33.3 % (1 of 3 judged), sufficient " in out[1] and " 3 datasets, " in out[1]
    assert "released 16.7 % (1 of 6 judged), good " in out[2] and " 6 datasets, " in out[2]
    assert "not scored; last harvest failed: " in out[3]
    assert (site / "de" / "city" / "musterstadt.html").is_file()

    md = _artifact("odwatch-scorecard", str(wh))
    assert md.type == "markdown" and "| 1 | Beispielhausen | city | 33.3 % | 1 of 3 |" in md.data
    table = _artifact("odwatch-portal-scores", str(wh))
    assert table.type == "table"
    rows = table.data if isinstance(table.data, list) else json.loads(table.data)
    assert [r["portal"] for r in rows] == ["beispielhausen", "musterstadt", "kaputtdorf"]
    assert (
        rows[0]["band"] == "sufficient"
        and rows[1]["band"] == "good"
        and rows[2]["points_of_405"] is None
    )
    assert (rows[0]["kind"], rows[0]["released_of_judged"]) == ("city", "1 of 3")
