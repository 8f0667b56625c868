"""The scorecard in a real browser: Debian's headless Chromium driven by Playwright.

Loads the ranking from disk (file://) and from a local static server, sorts the table, follows
a city link, finds the fix list, switches language; no console errors, and the dataset titled
<script>alert(1)</script> shows its text and runs nothing. Screenshots go to the test's tmp
folder (or to $ODWATCH_SCREENSHOTS when set). `make test` installs chromium when missing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.publish import publish_site
from warehouse.store import connect

CHROMIUM = Path(os.environ.get("ODWATCH_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = "<script>alert(1)</script> Wahlergebnisse"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} not found: install Debian's chromium (make test does: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_site import build_warehouse

    with pytest.MonkeyPatch.context() as mp:
        built = build_warehouse(tmp_path_factory.mktemp("browser"), mp)
    con = connect(built.warehouse, read_only=True)
    try:
        publish_site(con, built.portals, built.site)
    finally:
        con.close()
    return built.site


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watch:
    """Console errors, uncaught exceptions, dialogs (an alert() would be a script that ran)."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def shots(tmp_path: Path):
    keep = os.environ.get("ODWATCH_SCREENSHOTS")

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take


def _order(page) -> list[str]:
    return page.locator("#ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.portal)")


def test_ranking_city_and_fix_list_from_disk(site: Path, browser, shots) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page)
    page.goto((site / "index.html").as_uri())
    assert page.locator("html").get_attribute("lang") == "en"
    assert _order(page) == ["musterstadt", "beispielhausen", "kaputtdorf"]
    shots(page, "ranking")

    points = page.locator("#ranking thead th", has_text="Points (of 405)")
    points.locator("button").click()  # highest first, unscored last either way
    assert points.get_attribute("aria-sort") == "descending"
    assert _order(page) == ["musterstadt", "beispielhausen", "kaputtdorf"]
    points.locator("button").click()
    assert points.get_attribute("aria-sort") == "ascending"
    assert _order(page) == ["beispielhausen", "musterstadt", "kaputtdorf"]
    page.locator("#ranking thead th", has_text="City").locator("button").click()
    assert _order(page) == ["beispielhausen", "kaputtdorf", "musterstadt"]
    page.locator("#ranking thead th button").filter(has_text=re.compile(r"^Datasets$")).click()
    assert _order(page) == ["musterstadt", "beispielhausen", "kaputtdorf"]  # 6, 3, –

    page.get_by_role("link", name="Musterstadt", exact=True).click()  # click 1
    page.wait_for_url("**/en/city/musterstadt.html")
    assert page.locator("h1").inner_text() == "Musterstadt"
    fix = page.locator("#fix-list")
    assert fix.is_visible()
    orgs = page.locator("#organisations tbody tr td:first-child").all_inner_texts()
    assert orgs == ["Grünflächenamt", "Tiefbauamt", "Wahlamt", "Umweltamt", "Kämmerei"]
    hostile = page.locator("#top-fixes").get_by_text(HOSTILE, exact=True)
    assert hostile.count() == 1 and hostile.evaluate("a => a.tagName") == "A"
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    shots(page, "city")

    page.locator("#organisations").get_by_role("link", name="Wahlamt").click()  # click 2
    page.wait_for_url("**/en/city/musterstadt/org-3.html")
    item = page.locator(".dataset").first
    assert HOSTILE in item.locator("h3").inner_text()
    assert page.locator("#fix-hints").get_by_text("invalid-access-url").count() == 1
    evidence = page.locator(".dataset td.evidence", has_text="javascript:alert(1)")
    assert evidence.count() >= 1 and evidence.locator("a").count() == 0  # text, no link
    assert page.locator("a[href^='javascript' i]").count() == 0
    shots(page, "fix-list")

    page.get_by_role("link", name="Deutsch").click()
    page.wait_for_url("**/de/city/musterstadt/org-3.html")
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Korrekturliste" in page.locator("h1").inner_text()

    assert watch.dialogs == [], "a script from portal data ran"
    assert watch.errors == []
    assert page.evaluate("typeof window.alertCalled") == "undefined"
    page.close()


def test_site_served_over_http(site: Path, browser, shots) -> None:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))

    class Quiet(handler.func):  # type: ignore[name-defined]
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        watch = Watch(page)
        for path in (
            "de/index.html",
            "de/city/musterstadt.html",
            "de/method.html",
            "de/downloads.html",
        ):
            page.goto(f"{base}/{path}")
            assert page.locator("html").get_attribute("lang") == "de"
        page.goto(f"{base}/de/index.html")
        page.locator("#ranking thead th", has_text="Stadt").locator("button").click()
        assert _order(page) == ["beispielhausen", "kaputtdorf", "musterstadt"]
        shots(page, "ranking-de")
        assert watch.errors == [] and watch.dialogs == []
        page.close()
    finally:
        server.shutdown()
        server.server_close()


# every element that could scroll sideways: the page itself and the table wrappers
_WIDTHS = """() => [document.documentElement, ...document.querySelectorAll('.table-scroll')]
    .map(e => [e.id || e.className || e.tagName, e.scrollWidth, e.clientWidth])"""


@pytest.mark.parametrize("lang", ["en", "de"])
def test_no_sideways_scrolling_at_1280_px(site: Path, browser, lang: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        for path in ("index.html", "city/musterstadt.html", "method.html"):
            page.goto((site / lang / path).as_uri())
            widths = page.evaluate(_WIDTHS)
            wide = [w for w in widths if w[1] > w[2]]
            assert wide == [], f"{lang}/{path} scrolls sideways: {wide}"
            assert len(widths) > 1  # the ranking's table wrapper was measured too
    finally:
        page.close()
