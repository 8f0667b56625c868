"""MQA points and findings on real catalogues, computed by hand from the recorded records.

Hand computations (no link checks: the reachability indicators, 80 points, and DCAT-AP SHACL,
30, are not checked, so 295 of 405 points are assessable; bands use points x 405 / 295):

Rostock "Drogerien" (7 distributions: WMS, CSV, WFS, KML, XLSX, GeoJSON, GML)
  findability      keywords 30 + themes 30 + spatial 20 + temporal 0 (none)      = 80
  accessibility    downloadURL on 5 of 7 (not WMS, WFS): 20 x 5/7                = 100/7
  interoperability best distribution CSV (EU CSV, text/csv): 20+10+10+20+20      = 80
  reusability      licence 7/7 20 + cc-zero URI 10 + rights "public" 10
                   + not an EU access-right URI 0 + contact 20 + publisher 10    = 70
  contextuality    rights 7/7 5 + byteSize 5 of 7: 25/7 + issued 5 + modified 5  = 15 + 25/7
  total 245 + 125/7 = 262.857..., scaled 360.9: excellent
Destatis "Erwerbstätige" (one HTML distribution, dl-by-de/2.0)
  60 (no spatial, no temporal) + 0 (no downloadURL) + 50 (HTML: no media type, not
  machine-readable) + 60 (no access rights) + 10 (no rights, no byteSize) = 180: good (247.1)
Bremen "Vornamen (TOP 100) in Bremen 2007" (one CSV distribution, cc-by)
  70 (no theme) + 0 + 70 (no media type) + 60 (no access rights) + 5 (only issued) = 205
GovData staging "LGB: HGW Chrom" (CKAN: cc-nc; Kartenviewer, WMS, HTML resources)
  100 + 0 (no upload) + 70 (best: WMS, no media type) + 60 (no access rights)
  + 10 (issued, modified from metadata_created/modified) = 240
Bochum "Smarte Bänke - Wetterstation Buschey-Platz" (CKAN: CC0-1.0, no resources at all)
  60 (no spatial, no temporal) + 0 + 0 + 60 (licence inherited by the stand-in
  distribution; no access rights) + 0 (no dates, nothing to size) = 120: sufficient
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from assess_helpers import harvest, load_dcat, store_snapshot

from checks.reference import assess_records
from flows.assess import assess_run
from warehouse.records import Warehouse

SNAPSHOT_AT = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
ROSTOCK = "https://www.opendata-hro.de/dataset/305d5bb9-28cb-496f-ad29-09838c5dcdbc"
DESTATIS = "https://www.destatis.de/DE/Themen/Wirtschaft/Konjunkturindikatoren/Arbeitsmarkt/arb510a"
BREMEN = "https://www.transparenz.bremen.de/de/datensatz/bremen248.c.9559.de"
GOVDATA = "352a646f-e170-49c7-9d1e-53bdef9392fc"
BOCHUM = "bochum-smarte-banke-wetterstation-943cc64265d3"
SCORE_COLUMNS = (
    "findability, accessibility, interoperability, reusability, contextuality, points, "
    "max_assessable, band"
)


def _pkg(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("result", data) if isinstance(data, dict) and "success" in data else data


@pytest.fixture(scope="module")
def wh(corpus, tmp_path_factory):
    """One warehouse: the DCAT catalogues (hand-mapped) and the CKAN corpus (harvested)."""
    w = Warehouse(tmp_path_factory.mktemp("mqa") / "w.duckdb")
    runs = {}
    dcat = corpus / "dcat"
    for pid, rel in (
        ("rostock", "rostock/rostock-catalog-original-input.rdf"),
        ("bremen", "bremen/bremen-catalog-original-input.rdf"),
        ("destatis", "destatis/destatis-catalog-original-input.rdf"),
    ):
        datasets, distributions = load_dcat(dcat / rel, pid)
        runs[pid] = store_snapshot(w, pid, datasets, distributions, SNAPSHOT_AT)
    ckan = corpus / "ckan"
    runs["dados-gov-br"] = harvest(
        w,
        "dados-gov-br",
        _pkg(ckan / "dados-gov-br" / "catalog_check_ignore_packages__0.json")["results"],
    )
    govdata = [
        _pkg(ckan / "govdata-staging" / n)
        for n in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json")
    ]
    runs["govdata"] = harvest(w, "govdata", list({p["id"]: p for p in govdata}.values()))
    bochum = []
    for path in sorted((ckan / "bochum-opendata-ruhr").glob("*.json")):
        pkg = _pkg(path)
        pkg.setdefault("organization", {"name": "stadt-bochum", "title": "Stadt Bochum"})
        bochum.append(pkg)
    runs["bochum"] = harvest(w, "bochum", bochum, organization="stadt-bochum")
    for run_id in runs.values():
        assess_run(w.con, run_id, expectations=False)
    w.runs = runs
    yield w
    w.close()


def score(wh, dataset_id):
    return wh.con.execute(
        f"SELECT {SCORE_COLUMNS} FROM scores WHERE level = 'dataset' AND dataset_id = ?",
        [dataset_id],
    ).fetchone()


def findings(wh, dataset_id):
    rows = wh.con.execute(
        "SELECT distribution_id, code, severity, round(points_lost, 4), evidence FROM findings "
        "WHERE dataset_id = ? ORDER BY distribution_id NULLS FIRST, code",
        [dataset_id],
    ).fetchall()
    return [(d.rsplit("/", 1)[-1] if d else None, *rest) for d, *rest in rows]


def test_rostock_drogerien(wh):
    assert score(wh, ROSTOCK) == pytest.approx(
        (80.0, 100 / 7, 80.0, 70.0, 15 + 25 / 7, 245 + 125 / 7, 295, "excellent")
    )
    wms = "https://geo.sv.rostock.de/geodienste/drogerien/wms"
    wfs = "https://geo.sv.rostock.de/geodienste/drogerien/wfs"
    eu = "http://publications.europa.eu/resource/authority/file-type/"
    assert findings(wh, ROSTOCK) == [
        (None, "access-rights-not-in-vocabulary", "info", 5.0, "public"),
        (None, "missing-frequency", "info", 0.0, None),
        (None, "missing-temporal", "warning", 20.0, None),
        ("2bcd0750-6f13-4f8b-9ceb-9f683eb0d431", "proprietary-format", "warning", 0.0, "XLSX"),
        (
            "5e551891-2327-45c7-9e81-c799a0314151",
            "format-not-in-vocabulary",
            "info",
            0.0,
            eu + "WMS",
        ),
        ("5e551891-2327-45c7-9e81-c799a0314151", "missing-byte-size", "info", 0.7143, wms),
        ("5e551891-2327-45c7-9e81-c799a0314151", "missing-download-url", "warning", 2.8571, wms),
        ("5e551891-2327-45c7-9e81-c799a0314151", "missing-media-type", "info", 0.0, eu + "WMS"),
        (
            "9a4b6f3e-6ddf-4202-ae2e-0951e201477a",
            "format-not-in-vocabulary",
            "info",
            0.0,
            eu + "WFS",
        ),
        ("9a4b6f3e-6ddf-4202-ae2e-0951e201477a", "missing-byte-size", "info", 0.7143, wfs),
        ("9a4b6f3e-6ddf-4202-ae2e-0951e201477a", "missing-download-url", "warning", 2.8571, wfs),
        ("9a4b6f3e-6ddf-4202-ae2e-0951e201477a", "missing-media-type", "info", 0.0, eu + "WFS"),
    ]


def test_destatis_erwerbstaetige(wh):
    assert score(wh, DESTATIS) == pytest.approx((60.0, 0.0, 50.0, 60.0, 10.0, 180.0, 295, "good"))
    page = "https://www.destatis.de/DE/Themen/Wirtschaft/Konjunkturindikatoren/Arbeitsmarkt/arb510a.html"
    html = "http://publications.europa.eu/resource/authority/file-type/HTML"
    assert findings(wh, DESTATIS) == [
        (None, "missing-access-rights", "info", 15.0, None),
        (None, "missing-frequency", "info", 0.0, None),
        (None, "missing-spatial", "warning", 20.0, None),
        (None, "missing-temporal", "warning", 20.0, None),
        ("arb510a#distribution", "missing-byte-size", "info", 5.0, page),
        ("arb510a#distribution", "missing-download-url", "warning", 20.0, page),
        ("arb510a#distribution", "missing-media-type", "info", 10.0, html),
        ("arb510a#distribution", "missing-rights", "info", 5.0, page),
        ("arb510a#distribution", "not-machine-readable", "warning", 20.0, "HTML"),
    ]


def test_bremen_vornamen(wh):
    assert score(wh, BREMEN) == pytest.approx((70.0, 0.0, 70.0, 60.0, 5.0, 205.0, 295, "good"))
    csv = "http://transparenz.bremen.de/sixcms/media.php/bremen02.a.13.de/download/Vornamen%202007.csv"
    dist = "bremen248.c.9559.de#distribution_9557"
    assert findings(wh, BREMEN) == [
        (None, "missing-access-rights", "info", 15.0, None),
        (None, "missing-modified", "warning", 5.0, None),
        (None, "missing-themes", "warning", 30.0, None),
        (dist, "missing-byte-size", "info", 5.0, csv),
        (dist, "missing-download-url", "warning", 20.0, csv),
        (
            dist,
            "missing-media-type",
            "info",
            10.0,
            "http://publications.europa.eu/resource/authority/file-type/CSV",
        ),
        (dist, "missing-rights", "info", 5.0, csv),
    ]


def test_bremen_non_commercial_licences_are_not_open(wh):
    rows = wh.con.execute(
        "SELECT evidence, count(*) FROM findings WHERE portal_id = 'bremen' AND code = 'non-open-license' "
        "GROUP BY ALL"
    ).fetchall()
    # 60 distributions of 15 datasets carry the old underscore URI of CC BY-NC 4.0: one
    # finding per dataset, with the licence that makes it not open
    assert rows == [("http://dcat-ap.de/def/licenses/cc-by-nc-de/4_0", 15)]


def test_govdata_lgb_hgw_chrom_through_the_ckan_harvest(wh):
    assert score(wh, GOVDATA) == pytest.approx((100.0, 0.0, 70.0, 60.0, 10.0, 240.0, 295, "good"))
    third = pytest.approx(20 / 3, abs=1e-4)
    sixth = pytest.approx(5 / 3, abs=1e-4)
    kv, wms, html = (
        "b4db736e-46ae-406d-91a4-99d45942a700",
        "eadc92ac-dfd3-4860-a508-7ada3a4c6aaf",
        "c6323b2d-544f-4c3a-a8d9-c6b9f794ba5b",
    )
    kv_url = "http://www.geoportal.rlp.de:80/portal/karten.html?LAYER[zoom]=1&LAYER[id]=26253"
    wms_url = "http://www.geoportal.rlp.de/mapbender/php/wms.php?layer_id=26253&REQUEST=GetCapabilities&VERSION=1.1.1&SERVICE=WMS"
    html_url = "http://www.geoportal.rlp.de/mapbender/php/mod_showMetadata.php?languageCode=de&resource=layer&layout=tabs&id=26253"
    assert findings(wh, GOVDATA) == [
        (None, "missing-access-rights", "info", 15.0, None),
        (None, "missing-frequency", "info", 0.0, None),
        (None, "non-open-license", "error", 0.0, "cc-nc"),
        (kv, "missing-byte-size", "info", sixth, kv_url),
        (kv, "missing-download-url", "warning", third, kv_url),
        (kv, "missing-media-type", "info", 0.0, "Kartenviewer"),
        (kv, "missing-rights", "info", sixth, kv_url),
        (kv, "not-machine-readable", "warning", 0.0, "HTML"),
        (html, "missing-byte-size", "info", sixth, html_url),
        (html, "missing-download-url", "warning", third, html_url),
        (html, "missing-media-type", "info", 0.0, "HTML"),
        (html, "missing-rights", "info", sixth, html_url),
        (html, "not-machine-readable", "warning", 0.0, "HTML"),
        (wms, "missing-byte-size", "info", sixth, wms_url),
        (wms, "missing-download-url", "warning", third, wms_url),
        (wms, "missing-media-type", "info", 10.0, "WMS"),
        (wms, "missing-rights", "info", sixth, wms_url),
    ]


def test_bochum_dataset_without_distributions(wh):
    assert score(wh, BOCHUM) == pytest.approx((60.0, 0.0, 0.0, 60.0, 0.0, 120.0, 295, "sufficient"))
    assert findings(wh, BOCHUM) == [
        (None, "missing-access-rights", "info", 15.0, None),
        (None, "missing-frequency", "info", 0.0, None),
        (None, "missing-issued", "info", 5.0, None),
        (None, "missing-modified", "warning", 5.0, None),
        (None, "missing-spatial", "warning", 20.0, None),
        (None, "missing-temporal", "warning", 20.0, None),
        # download URL 20, format 20, media type 10, vocabulary 10, open 20, machine-readable
        # 20, rights 5, byte size 5: everything a distribution would have earned
        (None, "no-distributions", "error", 110.0, None),
    ]


def test_portal_scores_and_not_checked_indicators(wh):
    # regression values (the per-record Python below recomputes them independently)
    rows = wh.con.execute(
        "SELECT portal_id, round(points, 2), max_assessable, band, not_checked, datasets, distributions, "
        "round(share_open_license, 4), round(share_machine_readable, 4) "
        "FROM scores WHERE level = 'portal' ORDER BY portal_id"
    ).fetchall()
    not_checked = ["access-url-reachable", "download-url-reachable", "dcat-ap-compliance"]
    assert rows == [
        ("bochum", 120.0, 295, "sufficient", not_checked, 2, 0, 1.0, 0.0),
        ("bremen", 214.44, 295, "good", not_checked, 153, 237, 0.8758, 0.8174),
        ("dados-gov-br", 167.19, 295, "good", not_checked, 800, 8006, 0.9913, 0.783),
        ("destatis", 180.0, 295, "good", not_checked, 135, 135, 1.0, 0.0),
        ("govdata", 250.83, 295, "good", not_checked, 3, 8, 0.6667, 0.375),
        ("rostock", 261.85, 295, "excellent", not_checked, 100, 773, 1.0, 0.9301),
    ]


def test_points_lost_add_up_to_what_each_dataset_misses(wh):
    gaps = wh.con.execute(
        """
        SELECT s.portal_id, s.dataset_id, s.max_assessable - s.points AS gap,
               coalesce(sum(f.points_lost), 0) AS lost
        FROM scores s LEFT JOIN findings f USING (assessment_id, dataset_id)
        WHERE s.level = 'dataset' GROUP BY ALL HAVING abs(gap - lost) > 1e-9
        """
    ).fetchall()
    assert gaps == []


def _rows(wh, table, run_id):
    cur = wh.con.execute(f"SELECT * EXCLUDE (raw) FROM {table} WHERE run_id = ?", [run_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.mark.parametrize(
    "portal_id", ["rostock", "bremen", "destatis", "dados-gov-br", "govdata", "bochum"]
)
def test_set_based_sql_equals_the_per_record_python(wh, portal_id):
    run_id = wh.runs[portal_id]
    snapshot_at = wh.con.execute(
        "SELECT started_at FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    ref = assess_records(
        _rows(wh, "datasets", run_id), _rows(wh, "distributions", run_id), snapshot_at
    )

    def key(f):
        return (
            f["dataset_id"],
            f["distribution_id"],
            f["code"],
            round(f["points_lost"], 9),
            f["evidence"],
        )

    # content findings and the stars columns are copied from the link checker's tables, not
    # computed by rules: not in the reference (these warehouses have no content checks), and
    # the score comparison below names its columns, leaving stars, stars_0 .. stars_5 out
    sql_findings = wh.con.execute(
        "SELECT dataset_id, distribution_id, code, points_lost, evidence FROM findings WHERE run_id = ?",
        [run_id],
    ).fetchall()
    assert Counter(key(dict(zip(("dataset_id", "distribution_id", "code", "points_lost", "evidence"), r, strict=True))) for r in sql_findings) == Counter(key(f) for f in ref.findings)  # fmt: skip
    sql_scores = {
        r[0]: r[1:]
        for r in wh.con.execute(
            f"SELECT coalesce(dataset_id, '*'), {SCORE_COLUMNS}, share_machine_readable, "
            "share_non_proprietary, share_on_time, share_released, released_datasets, "
            "released_unverified, released FROM scores WHERE run_id = ?",
            [run_id],
        ).fetchall()
    }
    dims = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
    fields = (*dims, "points", "max_assessable", "band", "share_machine_readable", "share_non_proprietary", "share_on_time", "share_released", "released_datasets", "released_unverified")  # fmt: skip
    for row in ref.dataset_scores:
        got = sql_scores[row["dataset_id"]]
        assert got[:-1] == pytest.approx(tuple(row[f] for f in fields))
        assert got[-1] is row["released"]
    portal = {"findability": None, **ref.portal}
    portal_fields = ("points", "max_assessable", "band", "share_released", "released_datasets", "released_unverified")  # fmt: skip
    assert (*sql_scores["*"][5:8], *sql_scores["*"][-4:-1]) == pytest.approx(
        tuple(portal[f] for f in portal_fields)
    )
    assert sql_scores["*"][-1] is None
