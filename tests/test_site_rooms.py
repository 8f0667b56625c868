"""Site building in its rooms (issue 12): warehouse/ asks, dashboards/ shows, flows/ connects.

The ranking and the pages work on plain rows with no warehouse; the city page's charts come
from one table that names exactly the charts city.html shows; the badge embed code is written
by the template; and no SQL runs in flows/publish.py, flows/findings.py or dashboards/, nor
in any module of flows/ but flows/assess.py (which runs SQL on its own TEMP tables only).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from assess_helpers import portal

from dashboards import render
from dashboards.ranking import ranking
from dashboards.site import CITY_CHARTS, City, SiteData, Writer, city_charts, render_city_pages

ROOT = Path(__file__).resolve().parents[1]


def _score(scaled: float, share: float | None, released: int = 3, datasets: int = 10) -> dict:
    return {
        "assessment_id": "a",
        "scaled": scaled,
        "share_released": share,
        "datasets": datasets,
        "released_datasets": released,
        "released_unverified": 0,
    }


def test_ranking_from_plain_rows_ties_share_a_rank_catalogues_stay_unranked():
    portals = [
        portal("a"),
        portal("b", url="https://b.example.org"),
        portal("c", url="https://c.example.org"),
        portal("d", url="https://d.example.org"),
        portal("none", url="https://n.example.org"),
    ]
    land = replace(portal("land", url="https://example.org"), kind="state")
    scores = {
        "a": _score(200.0, 0.5),
        "b": _score(300.0, 0.3),
        "c": _score(300.0, 0.3),
        "d": _score(100.0, 0.1),
        "land": _score(400.0, 0.9),
    }
    out = ranking([*portals, land], {}, scores, has_released=True)
    assert [(r["portal_id"], r["rank"]) for r in out] == [
        ("a", 1),
        ("b", 2),
        ("c", 2),
        ("d", 4),
        ("none", None),
        ("land", None),
    ]
    # the catalogue on the same host holds city a's datasets too
    assert out[0]["also_in"] == [{"portal_id": "land", "city": "land", "title": "land"}]
    assert out[0]["released_judged"] == 10 and out[0]["share_shown"] is True


def test_the_chart_table_names_exactly_the_charts_city_html_shows():
    template = (ROOT / "dashboards" / "templates" / "city.html").read_text(encoding="utf-8")
    shown = set(re.findall(r"\{\{ charts\.(\w+) \}\}", template))
    names = [n for names, _ in CITY_CHARTS for n in names]
    assert sorted(names) == sorted(shown)
    assert len(names) == len(set(names)) == 8
    empty = {k: [] for k in ("history", "dims", "licenses", "formats", "links", "harvests")}
    empty["coverage"] = None
    assert set(city_charts("en", empty)) == shown


def test_a_city_page_from_plain_rows_with_its_badge_embed_code(tmp_path):
    row = ranking([portal("stadt")], {}, {}, has_released=True)[0]
    data = SiteData(ranking=[row], has_released=True, current_method=None, methods=[])
    out = Writer(tmp_path)
    common = {
        "generated_at": datetime(2026, 1, 2, tzinfo=UTC),
        "version": "x",
        "method_version": "m",
    }
    pages = render_city_pages(
        out, data, City(row, [], None), "de", common, "https://s.example/", 50
    )
    assert pages == 1 and out.files == 1
    html = (tmp_path / "de" / "city" / "stadt.html").read_text(encoding="utf-8")
    alt = render.badge_message("de", row)[0]
    assert (
        '<p class="badge-embed">&lt;a href=&#34;https://s.example/de/city/stadt.html&#34;&gt;'
        "&lt;img src=&#34;https://s.example/badges/stadt.de.svg&#34; "
        f"alt=&#34;odwatch: {alt}&#34;&gt;&lt;/a&gt;</p>"
    ) in html


def _executes(path: Path) -> list[str]:
    """Calls of .execute/.sql/.query in a module, as 'receiver.method' (line)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "sql", "query", "fetchall", "fetchone")
        ):
            found.append(f"{ast.unparse(node.func)} ({path.name}:{node.lineno})")
    return found


def test_no_sql_outside_the_warehouse_in_site_building():
    modules = [ROOT / "flows" / "publish.py", ROOT / "flows" / "findings.py"]
    modules += sorted((ROOT / "dashboards").glob("*.py"))
    found = [c for m in modules for c in _executes(m)]
    # the one exception: downloads.write_table types a small table through an in-memory DuckDB
    assert [c.split(" ")[0] for c in found] == ["mem.execute", "mem.execute"]


# flows/assess.py runs the rules' SQL on the run's own TEMP tables (its working space); every
# statement on the warehouse's tables is in warehouse/.
FLOWS_SQL_ALLOWED = {"flows/assess.py"}


def _flows_executes(root: Path) -> list[str]:
    return [
        f"{m.relative_to(root).as_posix()}: {c.rsplit(' (', 1)[0]}"
        for m in sorted((root / "flows").rglob("*.py"))
        if m.relative_to(root).as_posix() not in FLOWS_SQL_ALLOWED
        for c in _executes(m)
    ]


def test_no_sql_in_flows_but_the_assessment_temp_tables():
    assert _flows_executes(ROOT) == []


def test_the_flows_sql_check_sees_a_statement(tmp_path):
    (tmp_path / "flows" / "cli").mkdir(parents=True)
    (tmp_path / "flows" / "assess.py").write_text('con.execute("CREATE TEMP TABLE _x (a INT)")\n')
    (tmp_path / "flows" / "cli" / "x.py").write_text(
        'def f(wh, cur):\n    wh.con.execute("SELECT 1").fetchall()\n    cur.sql("SELECT 2")\n'
    )
    assert sorted(_flows_executes(tmp_path)) == [  # flows/assess.py is not named
        "flows/cli/x.py: cur.sql",
        "flows/cli/x.py: wh.con.execute",
        "flows/cli/x.py: wh.con.execute('SELECT 1').fetchall",
    ]
