"""Generated exports (issue 13, item 7): an Opendatasoft dataset's 9-15 automatic exports count
once in the scores and earn at most 3 stars; 4 and 5 stars are for linked data the publisher
made. On Potsdam's recorded Opendatasoft datasets (corpus/opendatasoft/potsdam.ttl, served as
the Explore API v2.1 answers them, with the export formats the API documents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_opendatasoft_adapter import GEO, PLAIN, Explore, potsdam_as_explore, serve

from checks.facts import counted_units
from checks.stars import distribution_stars, level_if_open
from flows.assess import assess_runs
from flows.config import Portal
from flows.harvest import harvest_portal
from flows.links.content import score_stars
from warehouse.records import Warehouse

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not (CORPUS / "opendatasoft" / "potsdam.ttl").is_file():
        pytest.skip(f"recorded Opendatasoft export not found under {CORPUS}")
    return CORPUS


@pytest.fixture
def potsdam(corpus, tmp_path):
    datasets, _ = potsdam_as_explore(corpus)
    for ds in datasets:  # an open licence, so the formats decide the stars
        ds["metas"]["default"]["license"] = "dl-de/by-2-0"
    with serve(Explore(datasets)) as server:
        portal = Portal(
            id="potsdam", title="Potsdam", city="Potsdam", platform="opendatasoft", url=server.url
        )
        wh = Warehouse(tmp_path / "w.duckdb")
        try:
            assert harvest_portal(portal, wh).status == "ok"
            yield wh
        finally:
            wh.close()


def _rows(wh: Warehouse, sql: str) -> list[tuple]:
    return wh.con.execute(sql).fetchall()


def test_generated_exports_count_once_and_earn_at_most_three_stars(potsdam):
    wh = potsdam
    (run_id,) = wh.con.execute("SELECT run_id FROM latest_runs").fetchone()
    # stored: every export, marked generated (10 datasets, 5 with geometry: 5 x 9 + 5 x 15)
    assert _rows(wh, "SELECT count(*), count(*) FILTER (WHERE generated) FROM distributions") == [
        (120, 120)
    ]
    assert (len(PLAIN), len(GEO)) == (9, 15)

    # before issue 13: every export a distribution of its own, and rdfxml / turtle / jsonld / n3
    # gave each dataset 5 stars
    rows = _rows(wh, "SELECT dataset_id, url, format_raw, media_type_raw FROM distributions")
    before: dict[str, int] = {}
    for ds, url, fmt, media in rows:
        old = distribution_stars(
            license_open=True, link_outcome=None, url=url, format_raw=fmt, media_type_raw=media
        )
        before[ds] = max(before.get(ds, 0), old.stars)
    assert set(before.values()) == {5}

    # now: assess (licence verdicts), rate the stars from them, assess again (scores' stars)
    assess_runs(wh.con, [run_id], expectations=False)
    assert score_stars(wh, ["potsdam"]) == 120
    assess_runs(wh.con, [run_id], expectations=False)
    assert _rows(
        wh,
        "SELECT stars, reason, format, count(*) FROM distribution_stars GROUP BY ALL ORDER BY ALL",
    ) == [
        (1, "format-unknown", None, 25),  # fgb, gpx, jsonl, ov2: not in our format table
        (2, "format", "SHP", 5),
        (2, "format", "XLSX", 10),
        (3, "format", "CSV", 10),
        (3, "format", "GEOJSON", 5),
        (3, "format", "JSON", 10),
        (3, "format", "KML", 5),
        (3, "format", "PARQUET", 10),
        # the platform's RDF serialisations of the records: not linked data the city made
        (3, "generated-export", "JSONLD", 10),
        (3, "generated-export", "N3", 10),
        (3, "generated-export", "RDF", 10),
        (3, "generated-export", "TTL", 10),
    ]
    assert _rows(wh, "SELECT DISTINCT stars FROM dataset_stars") == [(3,)]
    portal = _rows(
        wh,
        "SELECT datasets, distributions, share_machine_readable, stars, stars_3, stars_5 "
        "FROM latest_scores WHERE level = 'portal'",
    )
    # one distribution per dataset counted (its CSV export), 3 stars each
    assert portal == [(10, 10, 1.0, 3.0, 10, 0)]
    counted = _rows(
        wh,
        "SELECT f.dataset_id, count(*) FROM latest_scores f WHERE level = 'dataset' "
        "AND distributions = 1 GROUP BY ALL",
    )
    assert len(counted) == 10
    after = _rows(wh, "SELECT points FROM latest_scores WHERE level = 'portal'")

    # the same snapshot with the flag cleared: what the scores were before (120 distributions
    # counted, 5 stars for every dataset)
    wh.con.execute("UPDATE distribution_rows SET generated = false")
    assess_runs(wh.con, [run_id], expectations=False)
    score_stars(wh, ["potsdam"])
    assess_runs(wh.con, [run_id], expectations=False)
    assert _rows(
        wh,
        "SELECT datasets, distributions, share_machine_readable, stars, stars_3, stars_5 "
        "FROM latest_scores WHERE level = 'portal'",
    ) == [(10, 120, 0.7916666666666666, 5.0, 0, 10)]  # 25 of 120 in formats we do not know
    assert after == [(194.0,)]


def test_publisher_made_linked_data_keeps_five_stars():
    kw = {"link_outcome": "ok", "url": "https://example.org/d.ttl", "format_raw": "TTL"}
    assert distribution_stars(license_open=True, **kw).stars == 5
    generated = distribution_stars(license_open=True, generated=True, **kw)
    assert (generated.stars, generated.format, generated.reason) == (3, "TTL", "generated-export")
    assert level_if_open(link_outcome="dead", generated=True).reason == "link-dead"


def test_counted_units_keep_the_publishers_files_and_the_best_export():
    def unit(i, generated, mr=True, np=True):
        return {"distribution_id": i, "position": int(i[1:]), "generated": generated,
                "fmt_mr": mr, "fmt_np": np}  # fmt: skip

    units = [unit("u0", True, np=False), unit("u1", False, mr=False), unit("u2", True),
             unit("u3", True)]  # fmt: skip
    assert [u["distribution_id"] for u in counted_units(units)] == ["u1", "u2"]
    assert counted_units([unit("u0", False)]) == [unit("u0", False)]
