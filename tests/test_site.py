"""The scorecard site, built from a real warehouse: two harvests of the demo portals (one
mutated in between), a link check, the real assessment, then publish_site. Exact numbers on
the ranking and a city page, in both languages; downloads that parse back to the same numbers;
hostile titles and URLs rendered as text; the DCAT description of the downloads."""

from __future__ import annotations

import copy
import csv
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest
from faultserver import FaultServer

from checks.scoring import CURRENT
from flows import demo
from flows.assess import assess_runs
from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.links.check import LinkCheckOptions, check_links
from flows.publish import PublishError, build_site, publish_site, summary_lines
from warehouse.assessments import pending_runs
from warehouse.records import Warehouse
from warehouse.store import connect

SAMPLES = demo.SAMPLES
HOSTILE = "<script>alert(1)</script> Wahlergebnisse"
FORMULA = '=HYPERLINK("http://evil.example","Klick")'


def _packages(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _round_two(packages: list[dict], files: str) -> list[dict]:
    """Musterstadt a week later: Spielplätze gets an open licence, Parkhausbelegung is gone,
    a new dataset (titled like a spreadsheet formula) arrives without licence or keywords."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")  # changed: modified now
    out = copy.deepcopy(packages)
    out = [p for p in out if p["name"] != "parkhaeuser"]
    for p in out:
        if p["name"] == "spielplaetze":
            p["license_id"] = "cc-by-4.0"
            p["metadata_modified"] = now
    out.append(
        {
            "id": "00000000-0000-4000-8000-000000000099",
            "name": "radwege",
            "title": FORMULA,
            "notes": "Radwege",
            "organization": {"name": "tiefbauamt", "title": "Tiefbauamt"},
            "license_id": "",
            "metadata_created": now,
            "metadata_modified": now,
            "resources": [
                {"id": "radwege-r1", "format": "CSV", "url": f"{files}/file/radwege.csv"}
            ],
        }
    )
    return out


def _point_at(packages: list[dict], files: str) -> list[dict]:
    """Two of Musterstadt's files on a local server: one reachable, one gone (404); the budget
    (annual) updated a month ago, so it is on time and really released."""
    out = copy.deepcopy(packages)
    recent = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    for p in out:
        if p["name"] == "haushalt-2024":
            p["metadata_modified"] = recent
        for r in p.get("resources", []):
            if r["url"].endswith("/haushalt-2024.csv"):
                r["url"] = f"{files}/file/haushalt.csv"
            elif r["url"].endswith("/luft.json"):
                r["url"] = f"{files}/status/404"
    return out


@dataclass
class Built:
    warehouse: Path
    site: Path
    portals: list[Portal]


def build_warehouse(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Built:
    """Two snapshots of Musterstadt and Beispielhausen, a failing Kaputtdorf, two link checks
    a day apart before the assessment. Returns the warehouse path and the portals (as portals.yaml)."""
    monkeypatch.setenv("ODWATCH_OFFLINE", "1")  # *.example hosts: not looked up
    muster, beispiel = _packages("musterstadt"), _packages("beispielhausen")
    csv_bytes = b"jahr,betrag\n2024,1\n"
    path = tmp / "site.duckdb"
    with (
        FaultServer({"haushalt.csv": csv_bytes, "radwege.csv": csv_bytes}) as files,
        LocalPortal(_point_at(muster["packages"], files.url)) as lp_m,
        LocalPortal(beispiel["packages"], platform="dkan") as lp_b,
        LocalPortal([], fault=demo._broken) as lp_k,
    ):
        portals = [
            Portal("musterstadt", muster["title"], "Musterstadt", "ckan", lp_m.url,
                   population=250_000, allow_private_urls=True),
            Portal("beispielhausen", beispiel["title"], "Beispielhausen", "dkan", lp_b.url,
                   population=120_000, allow_private_urls=True),
            Portal("kaputtdorf", "Kaputtdorf (answers HTML)", "Kaputtdorf", "ckan", lp_k.url,
                   allow_private_urls=True),
        ]  # fmt: skip
        with Warehouse(path) as wh:
            for p in portals:
                harvest_portal(p, wh)
            lp_m.packages = _round_two(lp_m.packages, files.url)
            for p in portals:
                harvest_portal(p, wh)
            opts = LinkCheckOptions(rate=0, concurrency=4, timeout=(2.0, 2.0), content_sample=0)
            check_links(wh, portals, opts)
            # a day later: the 404 fails again and is confirmed dead (one failure is only
            # failing); the healthy links are not due again
            check_links(wh, portals, opts, now=datetime.now(UTC) + timedelta(hours=25))
            cur = wh.cursor()
            try:
                assess_runs(cur, pending_runs(cur), expectations=False)
            finally:
                cur.close()
    return Built(path, tmp / "site", portals)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    with pytest.MonkeyPatch.context() as mp:
        b = build_warehouse(tmp_path_factory.mktemp("site"), mp)
    con = connect(b.warehouse, read_only=True)
    try:
        publish_site(con, b.portals, b.site)
    finally:
        con.close()
    return b


@pytest.fixture(scope="module")
def wh(built: Built):
    con = duckdb.connect(str(built.warehouse), read_only=True)
    yield con
    con.close()


# ---------------------------------------------------------------- reading pages


class Page(HTMLParser):
    """Collects what the tests read: data-* attributes, text per element id, links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []  # <tr data-portal> with their cells' data-key/data-value
        self.cells: dict[str, str] = {}  # data-key -> data-value outside table rows (cards)
        self.links: list[tuple[str, str]] = []  # (attribute, value) of href/src
        self.lang = ""
        self.text_parts: list[str] = []
        self._row: dict | None = None
        self._cell: list | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        for name in ("href", "src"):
            if a.get(name) is not None:
                self.links.append((name, a[name] or ""))
        if tag == "tr" and "data-portal" in a:
            self._row = {"portal_id": a["data-portal"], "_n": []}
            self.rows.append(self._row)
        if tag == "td" and self._row is not None:
            self._cell = [a.get("data-key"), a.get("data-value"), a.get("class"), ""]
        elif "data-key" in a and self._row is None:
            self.cells[a["data-key"]] = a.get("data-value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            key, value, cls, text = self._cell
            if key:
                self._row[key] = value
                self._row[key + ":text"] = " ".join(text.split())
            elif cls == "n":
                self._row["_n"].append(" ".join(text.split()))
            self._cell = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell[3] += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def page(built: Built, rel: str) -> Page:
    return Page((built.site / rel).read_text(encoding="utf-8"))


def f(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


# ---------------------------------------------------------------- the ranking


def test_ranking_exact(built: Built, wh) -> None:
    root = page(built, "index.html")
    en = page(built, "en/index.html")
    assert root.rows == en.rows  # the root page is the English ranking
    assert root.lang == "en"
    assert [r["portal_id"] for r in en.rows] == ["musterstadt", "beispielhausen", "kaputtdorf"]
    m, b, k = en.rows
    # ranked by the 'really released' share, shown with its base: Musterstadt's budget (open
    # CSV, reachable, on time) of its 5 judged datasets; the sixth's link is unverified
    assert (m["rank"], m["share_released:text"], m["share_released"]) == (
        "1", "20.0 %" "1 of 5 judged; 1 unverified", "0.2")  # fmt: skip
    # Beispielhausen: 0 of 2 judged (3 datasets) is below the threshold (5, or all of a smaller
    # catalogue): a dash, never a bare 0.0 %, and no rank
    assert (b["rank"], b["share_released:text"], b["share_released"]) == (
        "", "–" "not verifiable yet: 0 of 2 judged; 1 unverified", "")  # fmt: skip
    assert (k["rank"], k["share_released:text"]) == ("", "–")
    # points scaled to 405 over what could be judged: Musterstadt 198.3 of 345 (the link
    # check made the reachability indicators judgeable), Beispielhausen 150 of 295
    assert (m["scaled:text"], m["band:text"], m["_n"], m["datasets_per_100k:text"]) == (
        "232.8", "good", ["6"], "2.4")  # fmt: skip
    # per 100,000 inhabitants: released datasets (1 of 250,000) beside all datasets
    assert (m["released_per_100k:text"], f(m["released_per_100k"])) == ("0.4", 0.4)
    assert (b["released_per_100k:text"], k["released_per_100k:text"]) == ("–", "–")
    assert f(m["scaled"]) == pytest.approx(595 / 3 * 405 / 345)
    assert (b["scaled:text"], b["band:text"], b["_n"], b["datasets_per_100k:text"]) == (
        "205.9", "sufficient", ["3"], "2.5")  # fmt: skip
    assert f(b["scaled"]) == pytest.approx(150 * 405 / 295)
    # change since the previous snapshot under the same method: points of 405, share in pp
    assert m["scaled_change:text"] == "\u221219.8+20.0 pp"
    assert f(m["scaled_change"]) == pytest.approx(595 / 3 * 405 / 345 - 184 * 405 / 295)
    assert b["scaled_change:text"] == "±0"  # no change of a share that is not shown
    # Kaputtdorf: never harvested successfully, listed last without a score
    assert (k["scaled:text"], k["band:text"], k["_n"]) == ("–", "not scored yet", ["–"])
    assert k["last_status:text"].startswith("failed 20")
    assert k["last_status:text"].endswith("expected CKAN JSO…")  # in full on hover
    # every value shown is the warehouse's own
    for row in en.rows:
        got = wh.execute(
            "SELECT scaled, share_released FROM latest_scores "
            "WHERE level = 'portal' AND portal_id = ?",
            [row["portal_id"]],
        ).fetchall()
        scaled, share = got[0] if got else (None, None)
        shown = None if row["portal_id"] == "beispielhausen" else share  # below the threshold
        assert (f(row["scaled"]), f(row["share_released"])) == (scaled, shown)
    html = (built.site / "en" / "index.html").read_text()
    assert '<span class="failed">failed</span>' in html and '<td class="n">6</td>' in html
    assert re.search(r'<div class="err" title="http://[^"]+expected CKAN JSON, got text/html', html)
    assert 'data-released="absent"' not in html


def test_ranking_in_german(built: Built) -> None:
    de = page(built, "de/index.html")
    assert de.lang == "de"
    m, b, k = de.rows
    assert (m["scaled:text"], m["band:text"], m["share_released:text"]) == (
        "232,8",
        "gut",
        "20,0 %1 von 5 beurteilt; 1 nicht geprüft",
    )
    assert de.rows[1]["share_released:text"] == (
        "–noch nicht überprüfbar: 0 von 2 beurteilt; 1 nicht geprüft"
    )
    assert (b["band:text"], m["datasets_per_100k:text"]) == ("ausreichend", "2,4")
    assert k["last_status:text"].startswith("fehlgeschlagen")
    assert ("href", "../en/index.html") in de.links
    assert "Welche Städte ihre Daten wirklich veröffentlichen" in de.text


# ---------------------------------------------------------------- a city page


def test_city_page_exact(built: Built, wh) -> None:
    html = (built.site / "en" / "city" / "musterstadt.html").read_text()
    p = Page(html)
    assert p.lang == "en"
    assert {k: p.cells[k] for k in ("share_released", "released_datasets", "released_unverified",
                                    "datasets", "findings", "harvests_ok")} == {
        "share_released": "0.2", "released_datasets": "1", "released_unverified": "1",
        "datasets": "6", "findings": "73", "harvests_ok": "2",
    }  # fmt: skip
    assert f(p.cells["points"]) == pytest.approx(595 / 3)
    assert f(p.cells["scaled"]) == pytest.approx(595 / 3 * 405 / 345)
    assert f(p.cells["datasets_per_100k"]) == 2.4
    assert (
        'Really released · <span data-key="released_datasets" data-value="1">1 of 5 judged</span>; '
        '<span data-key="released_unverified" data-value="1">1 unverified</span>' in html
    )
    # link health: the reachable file and the radwege CSV, the 404, javascript:, and the
    # *.example hosts that were not looked up (ODWATCH_OFFLINE)
    outcomes = re.findall(
        r'<tr data-outcome="([^"]+)"><td>[^<]*</td><td class="num" data-value="(\d+)"', html
    )
    assert outcomes == [("error", "5"), ("ok", "2"), ("dead", "1"), ("invalid-url", "1")]
    # what changed since the previous snapshot, (dataset, code) pairs
    changes = re.findall(r'data-change="(\w+)" data-value="(\d+)"', html)
    assert changes == [("new", "13"), ("resolved", "9"), ("recurring", "50")]
    assert (
        'Parkhausbelegung</a> <span class="muted">(dataset no longer listed)</span>: '
        "<code>missing-access-rights</code>" in html
    )
    assert "Spielplätze</a>: <code>non-open-license</code></li>" in html
    # the fix list: organisations by datasets a fix would release, then points to gain
    orgs = re.findall(
        r'<tr data-org="(\d+)">\s*<td data-value="([^"]*)">.*?data-value="(\d+)".*?data-value="(\d+)".*?data-value="([^"]+)"',
        html,
        re.S,
    )
    assert [(key, name, n, r, float(g)) for key, name, n, r, g in orgs] == [
        ("1", "Grünflächenamt", "2", "1", 260.0),
        ("2", "Tiefbauamt", "1", "1", 205.0),
        ("3", "Wahlamt", "1", "1", 145.0),
        ("4", "Umweltamt", "1", "1", 135.0),
        ("5", "Kämmerei", "1", "0", 85.0),  # its budget is released: nothing to release first
    ]
    top = re.findall(r'<tr data-dataset="[^"]+" data-rank="(\d+)">', html)
    assert top == ["1", "2", "3", "4", "5", "6"]
    assert re.findall(r'data-late-total="(\d+)"', html) == ["2"]
    # indicators: each one's points are weight x passed / judged; together the city's points
    rows = wh.execute(
        "SELECT indicator, weight, passed, failed, share, points FROM score_indicators "
        "JOIN latest_assessments a USING (assessment_id) WHERE a.portal_id = 'musterstadt'"
    ).fetchall()
    assert len(rows) == len(CURRENT.indicators)
    total = 0.0
    for ind, weight, passed, failed, share, points in rows:
        assert f'<tr data-indicator="{ind}">' in html
        if share is not None:
            assert points == pytest.approx(weight * passed / (passed + failed))
            total += points
    assert total == pytest.approx(595 / 3)


def test_city_pages_of_a_failed_portal_and_in_german(built: Built) -> None:
    k = page(built, "en/city/kaputtdorf.html")
    assert "not scored yet" in k.text and "expected CKAN JSON" in k.text
    de = page(built, "de/city/musterstadt.html")
    assert de.lang == "de" and ("href", "../../en/city/musterstadt.html") in de.links
    assert "Korrekturliste" in de.text and "Grünflächenamt" in de.text
    assert "Nicht so oft aktualisiert wie angegeben" not in de.text  # titles: in the hints
    org = page(built, "de/city/musterstadt/org-1.html")
    assert "Räumlichen Bezug" not in org.text and "Kein räumlicher Bezug" in org.text


# ---------------------------------------------------------------- safety


def _site_files(site: Path, suffix: str) -> list[Path]:
    return sorted(site.rglob(f"*{suffix}"))


def test_hostile_titles_and_urls_render_as_text(built: Built) -> None:
    pages = _site_files(built.site, ".html")
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    shown = [
        p for p, t in texts.items() if "&lt;script&gt;alert(1)&lt;/script&gt; Wahlergebnisse" in t
    ]
    assert {str(p.relative_to(built.site)) for p in shown} >= {
        "en/city/musterstadt.html", "de/city/musterstadt.html",
        "en/city/musterstadt/org-3.html", "de/city/musterstadt/org-3.html",
    }  # fmt: skip
    for path, text in texts.items():
        assert "<script>alert" not in text, path
        assert not re.search(r'(?:href|src)="\s*(?:javascript|vbscript):', text, re.I), path
        assert re.findall(r'(?:href|src)="\s*data:[^"]*"', text, re.I) == ['href="data:,"'], path
        # one script element per page: our own sorting code
        assert re.findall(r"<script\b[^>]*>", text) == [
            re.search(r'<script src="[./]*static/odwatch\.js" defer>', text).group(0)
        ], path
    org = texts[built.site / "en" / "city" / "musterstadt" / "org-3.html"]
    assert '<td class="evidence">javascript:alert(1)</td>' in org  # the value, as text
    for svg in _site_files(built.site, ".svg"):
        assert "<script" not in svg.read_text()


def test_csv_downloads_neutralise_formulas(built: Built) -> None:
    with open(built.site / "downloads" / "findings" / "musterstadt.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    titles = {r["dataset_title"] for r in rows}
    assert "'" + FORMULA in titles and FORMULA not in titles
    assert HOSTILE in titles  # text, not a formula: unchanged
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values())


# ---------------------------------------------------------------- downloads


def test_downloads_parse_back_to_the_numbers_on_the_pages(built: Built) -> None:
    site = built.site / "downloads"
    shown = {r["portal_id"]: r for r in page(built, "en/index.html").rows}
    with open(site / "scores.csv", encoding="utf-8") as fh:
        from_csv = {r["portal_id"]: r for r in csv.DictReader(fh)}
    from_json = {r["portal_id"]: r for r in json.loads((site / "scores.json").read_text())}
    con = duckdb.connect()
    parquet = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT portal_id, rank, scaled, CASE WHEN share_shown THEN share_released END, "
            f"datasets, datasets_per_100k, "
            f"scaled_change FROM '{site / 'scores.parquet'}'"
        ).fetchall()
    }
    assert list(from_csv) == list(from_json) == list(parquet) == list(shown)
    for pid, row in shown.items():
        page_values = (
            int(row["rank"]) if row["rank"] else None,
            f(row["scaled"]),
            f(row["share_released"]),
            int(row["_n"][0]) if row["_n"][0] != "–" else None,
            f(row["datasets_per_100k"]),
            f(row["scaled_change"]),
        )
        c = from_csv[pid]
        # the downloads keep the share below the threshold, flagged share_shown = false
        assert c["share_shown"] == ("True" if pid == "musterstadt" else "False"), pid
        csv_values = (
            int(c["rank"]) if c["rank"] else None,
            f(c["scaled"]),
            f(c["share_released"]) if c["share_shown"] == "True" else None,
            int(c["datasets"]) if c["datasets"] else None,
            f(c["datasets_per_100k"]),
            f(c["scaled_change"]),
        )
        j = from_json[pid]
        json_values = tuple(
            j[k] if k != "share_released" or j["share_shown"] else None
            for k in ("rank", "scaled", "share_released", "datasets", "datasets_per_100k", "scaled_change")
        )  # fmt: skip
        assert page_values == csv_values == json_values == parquet[pid], pid
    # findings: the city page's count in each format
    n_page = int(page(built, "en/city/musterstadt.html").cells["findings"])
    with open(site / "findings" / "musterstadt.csv", encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == n_page
    nested = json.loads((site / "findings" / "musterstadt.json").read_text())
    assert sum(len(d["findings"]) for d in nested) == n_page
    assert len(nested) == 6  # every dataset of the snapshot has a finding
    per_portal = dict(
        con.execute(
            f"SELECT portal_id, count(*) FROM '{site / 'findings.parquet'}' GROUP BY ALL"
        ).fetchall()
    )
    assert per_portal == {"musterstadt": n_page, "beispielhausen": 32}
    # history: two snapshots per scored city; indicators: the method's, per city
    with open(site / "score_history.csv", encoding="utf-8") as fh:
        history = list(csv.DictReader(fh))
    assert [(r["portal_id"], r["band"]) for r in history] == [
        ("musterstadt", "good"), ("musterstadt", "good"),
        ("beispielhausen", "sufficient"), ("beispielhausen", "sufficient"),
    ]  # fmt: skip
    assert f(history[1]["scaled"]) == f(shown["musterstadt"]["scaled"])
    indicators = con.execute(
        f"SELECT portal_id, sum(points) FROM '{site / 'indicators.parquet'}' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [(p, round(x, 6)) for p, x in indicators] == [
        ("beispielhausen", 150.0),
        ("musterstadt", round(595 / 3, 6)),
    ]


def test_dcat_description_of_the_downloads(built: Built) -> None:
    rdflib = pytest.importorskip("rdflib")
    path = built.site / "downloads" / "catalog.jsonld"
    g = rdflib.Graph().parse(path.as_uri(), format="json-ld")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    datasets = list(g.subjects(rdflib.RDF.type, dcat.Dataset))
    # scores, history, indicators, Musterdatenkatalog coverage and its datasets, high-value
    # marks and their datasets, all findings, one per city
    assert len(datasets) == 10
    dists = list(g.subjects(rdflib.RDF.type, dcat.Distribution))
    assert len(dists) == 7 * 3 + 1 + 2 * 2
    for d in dists:
        url = g.value(d, dcat.downloadURL)
        local = Path(unquote(urlsplit(str(url)).path))
        assert local.is_file(), url
        assert int(g.value(d, dcat.byteSize)) == local.stat().st_size
        assert str(g.value(d, dct.license)) == "https://creativecommons.org/licenses/by/4.0/"
    listed = {str(p.relative_to(built.site)) for p in (built.site / "downloads").rglob("*")
              if p.is_file() and p.name != "catalog.jsonld"}  # fmt: skip
    described = {str(Path(unquote(urlsplit(str(g.value(d, dcat.downloadURL))).path)).relative_to(built.site))
                 for d in dists}  # fmt: skip
    assert described == listed


# ---------------------------------------------------------------- method, links, layout


def test_method_page_is_the_code_s_own_table(built: Built) -> None:
    html = (built.site / "en" / "method.html").read_text()
    for ind in CURRENT.indicators:
        assert f'<tr data-indicator="{ind.id}" data-weight="{ind.weight}">' in html
    for chk in CURRENT.checks:
        assert f'<tr data-code="{chk.code}">' in html
    assert f'data-method="{CURRENT.version}"' in html and 'data-total="405"' in html
    assert f'<tr data-method="{CURRENT.version}">' in html  # the warehouse's method table
    de = page(built, "de/method.html")
    assert "Auffindbarkeit" in de.text and "Schlagwörter" in de.text


def test_every_link_within_the_site_resolves(built: Built) -> None:
    for path in _site_files(built.site, ".html"):
        p = page(built, str(path.relative_to(built.site)))
        assert p.lang in ("en", "de")
        assert any(attr == "href" and "data-lang-switch" for attr, _ in p.links)
        for attr, target in p.links:
            if target.startswith(("http://", "https://", "data:", "#")):
                continue
            local = (path.parent / urlsplit(target).path).resolve()
            assert local.is_file(), f"{path.relative_to(built.site)}: {attr}={target}"


def test_fix_lists_are_split_into_pages(built: Built, tmp_path: Path) -> None:
    from flows.findings import fix_list

    con = connect(built.warehouse, read_only=True)
    try:
        build_site(con, built.portals, tmp_path / "site", fix_page_size=1)
        _, rows = fix_list(con, "musterstadt")
    finally:
        con.close()
    city = tmp_path / "site" / "en" / "city" / "musterstadt"
    first, second = (city / "org-1.html").read_text(), (city / "org-1-2.html").read_text()
    assert 'data-page="1" data-pages="2"' in first and 'href="org-1-2.html"' in first
    assert 'data-page="2" data-pages="2"' in second and 'href="org-1.html"' in second
    seen = []
    for org in sorted(city.glob("org-*.html")):
        seen += re.findall(
            r'class="dataset" id="d\d+" data-dataset="([^"]+)" data-rank="(\d+)"', org.read_text()
        )
    ranked = list(dict.fromkeys((r["dataset_id"], str(r["rank"])) for r in rows))
    assert sorted(seen, key=lambda x: int(x[1])) == ranked  # each dataset once, same ranks


def test_publish_replaces_its_own_site_and_refuses_other_folders(
    built: Built, tmp_path: Path
) -> None:
    con = connect(built.warehouse, read_only=True)
    try:
        site = tmp_path / "site"
        publish_site(con, built.portals, site)
        (site / "en" / "city" / "gone.html").write_text("stale")
        publish_site(con, built.portals, site)
        assert not (site / "en" / "city" / "gone.html").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]
        other = tmp_path / "home"
        other.mkdir()
        (other / "notes.txt").write_text("mine")
        with pytest.raises(PublishError, match="not an odwatch site"):
            publish_site(con, built.portals, other)
        assert (other / "notes.txt").read_text() == "mine"
    finally:
        con.close()


def _copy_of(built: Built, tmp_path: Path) -> Path:
    """A copy of the built warehouse to change."""
    import shutil

    path = tmp_path / "w.duckdb"
    shutil.copyfile(built.warehouse, path)
    return path


def _fix_one_finding(path: Path) -> tuple[str, str]:
    """Delete one of Musterstadt's latest findings, as after the city fixed something;
    returns its (dataset_id, code)."""
    con = duckdb.connect(str(path))
    try:
        gone = con.execute(
            "SELECT dataset_id, code FROM latest_findings WHERE portal_id = 'musterstadt' "
            "ORDER BY dataset_id, code LIMIT 1"
        ).fetchone()
        con.execute(
            "DELETE FROM findings WHERE assessment_id = (SELECT assessment_id FROM "
            "latest_assessments WHERE portal_id = 'musterstadt') AND dataset_id = ? AND code = ?",
            list(gone),
        )
    finally:
        con.close()
    return gone


def test_a_republish_reuses_the_findings_files_of_cities_whose_findings_did_not_change(
    built: Built, tmp_path: Path
) -> None:
    path, site = _copy_of(built, tmp_path), tmp_path / "site"
    findings = site / "downloads" / "findings"
    con = connect(path, read_only=True)
    try:
        publish_site(con, built.portals, site)
    finally:
        con.close()
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in findings.glob("*.*")}
    assert {"musterstadt.csv", "beispielhausen.csv", "beispielhausen.json"} <= set(before)
    _fix_one_finding(path)  # as after a city fixed something
    con = connect(path, read_only=True)
    try:
        publish_site(con, built.portals, site)
        publish_site(con, built.portals, tmp_path / "fresh")  # no earlier site to reuse
    finally:
        con.close()
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in findings.glob("*.*")}
    fresh = tmp_path / "fresh" / "downloads" / "findings"
    for name in ("beispielhausen.csv", "beispielhausen.json"):
        assert after[name] == before[name]  # the same file, linked into the new site
    for name in ("musterstadt.csv", "musterstadt.json"):
        assert after[name][0] != before[name][0]  # written anew
        assert len(after[name][1]) < len(before[name][1])
    for name, (_ino, content) in after.items():
        assert content == (fresh / name).read_bytes(), name  # as a first publish writes them


def test_a_republish_keeps_the_fix_list_pages_that_would_come_out_the_same(
    built: Built, tmp_path: Path
) -> None:
    import re

    path, site = _copy_of(built, tmp_path), tmp_path / "site"
    first, later = datetime(2026, 3, 1, 8, 0, tzinfo=UTC), datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def fix_pages(root: Path) -> dict[str, tuple[int, str]]:
        return {
            p.relative_to(root).as_posix(): (p.stat().st_ino, p.read_text(encoding="utf-8"))
            for p in root.glob("*/city/*/org-*.html")
        }

    con = connect(path, read_only=True)
    try:
        publish_site(con, built.portals, site, generated_at=first)
    finally:
        con.close()
    before = fix_pages(site)
    assert any("/beispielhausen/" in k for k in before) and any(
        "/musterstadt/" in k for k in before
    )
    gone = _fix_one_finding(path)
    results: list = []
    con = connect(path, read_only=True)
    try:
        publish_site(con, built.portals, site, generated_at=later, report=results.append)
        publish_site(con, built.portals, tmp_path / "fresh", generated_at=later)
    finally:
        con.close()
    after, fresh = fix_pages(site), fix_pages(tmp_path / "fresh")
    assert after.keys() == fresh.keys() == before.keys()

    def footless(html: str) -> str:
        return re.sub(r"<footer.*?</footer>", "", html, flags=re.S)

    kept = {k for k in after if after[k][0] == before[k][0]}
    assert {k for k in after if "/beispielhausen/" in k} <= kept  # nothing of theirs changed
    holding = {k for k in after if f'data-dataset="{gone[0]}"' in after[k][1]}
    assert holding and not holding & kept  # the page with the fixed dataset is new
    for k, (_ino, html) in after.items():
        if k in kept:  # as a fresh publish shows it, with the time it was first generated
            assert html == before[k][1]
            assert footless(html) == footless(fresh[k][1]), k
        else:
            assert html == fresh[k][1], k
    assert results[0].kept >= len(kept)
    assert f"{results[0].kept} kept from the last publish" in results[0].summary()
    # the city pages are always made anew (their ranking and time)
    for lang in ("en", "de"):
        page = (site / lang / "city" / "beispielhausen.html").read_text(encoding="utf-8")
        assert page == (tmp_path / "fresh" / lang / "city" / "beispielhausen.html").read_text(
            encoding="utf-8"
        )


def test_summary_lines(built: Built) -> None:
    from flows.publish import SiteResult

    con = connect(built.warehouse, read_only=True)
    try:
        result = build_site(con, built.portals, built.site)
    finally:
        con.close()
    assert isinstance(result, SiteResult)
    lines = summary_lines(result)
    assert lines[0].startswith(f"scorecard: {built.site / 'index.html'} (3 cities, ")
    assert lines[1:] == [
        "   1. Musterstadt (musterstadt): released 20.0 % (1 of 5 judged; 1 unverified), good 232.8/405 (-19.8), 6 datasets, 73 findings",
        "   -  Beispielhausen (beispielhausen): released not verifiable yet: 0 of 2 judged; 1 unverified, sufficient 205.9/405 (±0), 3 datasets, 32 findings",
        lines[3],
    ]
    assert lines[3].startswith("   -  Kaputtdorf (kaputtdorf): not scored; last harvest failed: ")


def test_cli_publish_from_a_read_only_warehouse(built: Built, tmp_path: Path, capsys) -> None:
    from flows.cli import main

    portals = tmp_path / "portals.yaml"
    portals.write_text(demo.portals_yaml(built.portals), encoding="utf-8")
    site = tmp_path / "out"
    assert main(["publish", "--portals", str(portals), "--warehouse", str(built.warehouse),
                 "--site", str(site)]) == 0  # fmt: skip
    said = capsys.readouterr()
    assert said.out.strip() == str(site / "index.html")
    assert said.err.startswith(f"scorecard: {site / 'index.html'} (3 cities, ")
    assert "kept from the last publish" not in said.err  # a first publish
    assert (site / "de" / "city" / "beispielhausen.html").is_file()
    assert main(["publish", "--portals", str(portals), "--warehouse", str(built.warehouse),
                 "--site", str(site)]) == 0  # fmt: skip
    assert " kept from the last publish, " in capsys.readouterr().err


# ---------------------------------------------------------------- what is ranked, and on what


def test_regional_and_national_catalogues_are_not_ranked_as_cities(
    built: Built, tmp_path: Path
) -> None:
    """Beispielhausen declared a national catalogue on Musterstadt's host, Musterstadt as its
    organisation there (like Bochum on opendata.ruhr): the ranking holds the cities only, the
    catalogue has its own table, and both pages say where their numbers come from."""
    import dataclasses

    m, b, k = built.portals
    portals = [
        dataclasses.replace(m, organization="stadt-musterstadt"),
        dataclasses.replace(b, kind="national", city="Beispielland", url=m.url),
        k,
    ]
    con = connect(built.warehouse, read_only=True)
    try:
        result = build_site(con, portals, tmp_path / "site")
    finally:
        con.close()
    site = tmp_path / "site"
    en = Page((site / "en" / "index.html").read_text())
    assert [(r["portal_id"], r["rank"]) for r in en.rows] == [
        ("musterstadt", "1"),
        ("kaputtdorf", ""),
    ]
    html = (site / "en" / "index.html").read_text()
    table = html[html.index('<table id="catalogue-table"') :]
    assert re.findall(r'<tr data-catalogue="([^"]+)">', table) == ["beispielhausen"]
    assert '<td data-key="kind" data-value="national">national catalogue</td>' in table
    assert '<a href="../en/city/musterstadt.html">Musterstadt</a>' in table  # cities in it
    assert "Regional and national catalogues (not ranked)" in html
    de = (site / "de" / "index.html").read_text()
    assert "Regionale und nationale Kataloge (ohne Rang)" in de and "nationaler Katalog" in de
    city = (site / "en" / "city" / "musterstadt.html").read_text()
    assert 'data-also-in="beispielhausen"' in city
    assert "only the datasets of the organisation stadt-musterstadt (6 datasets" in city
    assert "they count once: for this city" in city
    catalogue = (site / "en" / "city" / "beispielhausen.html").read_text()
    assert 'data-kind="national"' in catalogue and 'data-contains="musterstadt"' in catalogue
    assert "Ranking #" not in catalogue
    lines = summary_lines(result)
    assert "(2 cities, 1 catalogue, " in lines[0]
    assert lines[-2:] == [
        "  regional and national catalogues (not ranked):",
        lines[-1],
    ] and lines[-1].startswith("   -  Beispielland (beispielhausen): ")
    with open(site / "downloads" / "scores.csv", encoding="utf-8") as fh:
        kinds = [(r["portal_id"], r["kind"], r["rank"]) for r in csv.DictReader(fh)]
    assert kinds == [
        ("musterstadt", "city", "1"),
        ("kaputtdorf", "city", ""),
        ("beispielhausen", "national", ""),
    ]


def test_ranking_chart_shows_each_share_with_its_base(built: Built) -> None:
    html = (built.site / "en" / "index.html").read_text()
    svg = re.search(r'<svg class="chart"[^>]*aria-labelledby="released-chart-title released-chart-desc".*?</svg>', html, re.S).group(0)  # fmt: skip
    assert (
        '<title id="released-chart-title">Really released share per city, with its base</title>'
        in svg
    )
    desc = re.search(r'<desc id="released-chart-desc">([^<]*)</desc>', svg).group(1)
    assert desc.endswith(
        "Musterstadt: 20\u202f% · 1 of 5 judged; 1 unverified; "
        "Beispielhausen: not verifiable yet: 0 of 2 judged; 1 unverified"
    )
    # one bar (with its tooltip) for the verifiable share; none where there is no share
    assert re.findall(r"<rect [^>]*><title>([^<]*)</title></rect>", svg) == [
        "Musterstadt: 20\u202f% · 1 of 5 judged; 1 unverified"
    ]
    assert "<script" not in svg
    de = (built.site / "de" / "index.html").read_text()
    assert "Anteil wirklich veröffentlicht je Stadt, mit seiner Basis" in de


def test_city_page_shows_one_total_and_counts_in_words(built: Built) -> None:
    html = (built.site / "en" / "city" / "musterstadt.html").read_text()
    # one total (scaled to 405), the other explained beside it
    assert (
        len(re.findall(r'<div class="big">[^<]*</div><div class="label">Points \(of 405\)', html))
        == 1
    )
    assert "/ 345" not in html
    assert re.search(
        r'id="points-explained" data-key="points" data-value="[^"]+">198.3 points over the 345 '
        r"that could be judged \(60 not checked\), scaled to 405: the band uses this number.</p>",
        html,
    )
    summaries = re.findall(r"<summary>([^<]*)</summary>", html)
    assert summaries == ["As a table: 2 snapshots", summaries[1], "As a table: 23 indicators", summaries[3]]  # fmt: skip
    assert re.fullmatch(r"Found here \(\d+\)", summaries[1])  # the Musterdatenkatalog's kinds
    assert re.fullmatch(r"As a table: \d+ finding codes", summaries[3])
    de = (built.site / "de" / "city" / "musterstadt.html").read_text()
    assert re.findall(r"<summary>([^<]*)</summary>", de)[:3] == [
        "Als Tabelle: 2 Stände",
        summaries[1].replace("Found here", "Hier gefunden"),
        "Als Tabelle: 23 Indikatoren",
    ]
    late = re.findall(r'<td class="num" data-value="(\d+)">(\d+) (days?)</td>', html)
    assert late and all((n == "1") == (word == "day") and v == n for v, n, word in late)
    late_de = re.findall(r'<td class="num" data-value="(\d+)">(\d+) (Tage?)</td>', de)
    assert [(v, n) for v, n, _ in late_de] == [(v, n) for v, n, _ in late]
    assert all((n == "1") == (word == "Tag") for _, n, word in late_de)
