"""The scorecard's words and numbers in both languages; charts and badges escape labels."""

from __future__ import annotations

from datetime import UTC, datetime

from checks.scoring import CURRENT
from dashboards import charts, i18n
from dashboards.render import badge_svg, safe_href


def test_every_check_and_indicator_has_german_words() -> None:
    codes = {c.code for c in CURRENT.checks}
    missing = sorted(codes - set(i18n.CHECKS_DE))
    assert not missing, f"add German title and fix hint to dashboards/i18n.py CHECKS_DE: {missing}"
    assert not sorted(set(i18n.CHECKS_DE) - codes), "CHECKS_DE lists codes the method lacks"
    ids = {i.id for i in CURRENT.indicators}
    assert set(i18n.INDICATORS_DE) == ids, "dashboards/i18n.py INDICATORS_DE vs checks.scoring"
    assert set(i18n.UI["de"]) == set(i18n.UI["en"])
    words = {c.kind for c in CURRENT.checks} | {c.level for c in CURRENT.checks}
    words |= {i.level for i in CURRENT.indicators} | {i.requires for i in CURRENT.indicators}
    for lang in i18n.LANGS:
        assert not sorted(words - {""} - set(i18n.TERMS[lang])), (
            f"dashboards/i18n.py TERMS[{lang!r}]"
        )
    for lang in i18n.LANGS:
        assert set(i18n.DIMENSIONS[lang]) == {i.dimension for i in CURRENT.indicators}


def test_numbers_dates_and_signs() -> None:
    assert [i18n.number(1234.56, "en", 1), i18n.number(1234.56, "de", 1)] == [
        "1\u202f234.6",
        "1\u202f234,6",
    ]
    assert [i18n.percent(0.2, "en"), i18n.percent(0.2, "de"), i18n.percent(None, "de")] == [
        "20.0\u202f%",
        "20,0\u202f%",
        "–",
    ]
    assert [i18n.delta(-19.78, "en"), i18n.delta(0.04, "en"), i18n.delta(3, "de", 1, " pp")] == [
        "\u221219.8",
        "±0",
        "+3,0 pp",
    ]
    when = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert (i18n.day(when), i18n.moment(when)) == ("2026-11-22", "2026-11-22 23:30 UTC")


def test_only_http_urls_become_links() -> None:
    assert safe_href(" https://a.example/x ") == "https://a.example/x"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "//evil", "", None,
                "https://a.example/\nx"):  # fmt: skip
        assert safe_href(bad) is None


def test_charts_and_badges_escape_their_labels() -> None:
    svg = charts.line_chart(
        ["<b>"],
        [charts.Series("v", "<script>x</script>", "#000")],
        [{"v": 1.0}],
        y_max=2,
        title='"><script>',
    )
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    bar = charts.stacked_bar([("<i>", 1, "#000")], title="t", value_format=lambda n, t: "1")
    assert "<i>" not in bar and "&lt;i&gt;" in bar
    badge = badge_svg("de", {"band": "good", "scaled": 232.8, "share_released": 0.2})
    assert "gut · 20\u202f% wirklich veröffentlicht" in badge
    assert badge.startswith("<?xml") and "<script" not in badge
    assert "not scored yet" in badge_svg("en", {"band": None, "scaled": None})
