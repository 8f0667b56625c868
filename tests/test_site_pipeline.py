"""`odwatch demo` end to end: the run ends with where the scorecard is and one line per city
on stdout, and leaves a markdown summary and a score table as Prefect artifacts."""

from __future__ import annotations

import json

import pytest

from flows.cli import main

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _latest(key: str):
    """The newest artifact under `key` (other tests' runs share the Prefect server)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert found, f"no artifact {key!r}"
    return found[0]


def test_run_prints_the_scorecard_and_makes_artifacts(tmp_path, capfd) -> None:
    wh, site = tmp_path / "demo.duckdb", tmp_path / "site"
    assert main(["demo", "--retries", "0", "--warehouse", str(wh), "--site", str(site)]) == 0
    out = capfd.readouterr().out.splitlines()
    assert out[0].startswith(f"scorecard: {site / 'index.html'} (3 cities, ")
    assert [line.split(":")[0] for line in out[1:]] == [
        # ranked by the really-released share: the demo serves its files locally (one dead
        # link, one HTML page as CSV), so both shares are determined
        "   1. Beispielhausen (beispielhausen)",
        "   2. Musterstadt (musterstadt)",
        "   -  Kaputtdorf (kaputtdorf)",
    ]
    assert "released 33.3 % (1 of 3 judged), good " in out[1] and " 3 datasets, " in out[1]
    assert "released 16.7 % (1 of 6 judged), good " in out[2] and " 6 datasets, " in out[2]
    assert "not scored; last harvest failed: " in out[3]
    assert (site / "de" / "city" / "musterstadt.html").is_file()

    md = _latest("odwatch-scorecard")
    assert md.type == "markdown" and "| 1 | Beispielhausen | city | 33.3 % | 1 of 3 |" in md.data
    table = _latest("odwatch-portal-scores")
    assert table.type == "table"
    rows = table.data if isinstance(table.data, list) else json.loads(table.data)
    assert [r["portal"] for r in rows] == ["beispielhausen", "musterstadt", "kaputtdorf"]
    assert rows[0]["band"] == "good" and rows[2]["points_of_405"] is None
    assert (rows[0]["kind"], rows[0]["released_of_judged"]) == ("city", "1 of 3")
