"""The scorecard's words and numbers in both languages; charts and badges escape labels."""

from __future__ import annotations

from datetime import UTC, datetime

from checks.scoring import CURRENT
from dashboards import charts, i18n
from dashboards.render import badge_svg, safe_href


def test_every_check_and_indicator_has_german_words() -> None:
    codes = {c.code for c in CURRENT.checks}
    missing = sorted(codes - set(i18n.CHECKS_DE))
    assert not missing, (
        f"add German title and fix hint to dashboards/words/de.json checks: {missing}"
    )
    assert not sorted(set(i18n.CHECKS_DE) - codes), "CHECKS_DE lists codes the method lacks"
    ids = {i.id for i in CURRENT.indicators}
    assert set(i18n.INDICATORS_DE) == ids, "dashboards/words/de.json indicators vs checks.scoring"
    assert set(i18n.UI["de"]) == set(i18n.UI["en"])
    words = {c.kind for c in CURRENT.checks} | {c.level for c in CURRENT.checks}
    words |= {i.level for i in CURRENT.indicators} | {i.requires for i in CURRENT.indicators}
    for lang in i18n.LANGS:
        assert not sorted(words - {""} - set(i18n.TERMS[lang])), (
            f"dashboards/words/{lang}.json terms"
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
    row = {"band": "good", "scaled": 232.8, "share_released": 0.2, "released_datasets": 1,
           "released_judged": 5, "released_unverified": 1, "share_shown": True}  # fmt: skip
    badge = badge_svg("de", row)
    assert "20\u202f% wirklich veröffentlicht (1/5) · MQA gut" in badge
    assert badge.startswith("<?xml") and "<script" not in badge
    assert "not scored yet" in badge_svg("en", {"band": None, "scaled": None})
    bars = charts.share_bars([("<b>Stadt</b>", 0.5, "50 % · 1 of 2 judged")], title="<t>", desc="d")
    assert "<b>" not in bars and "&lt;b&gt;Stadt&lt;/b&gt;" in bars


def _fill(svg: str) -> str:
    return svg.split('<rect x="')[2].split('fill="')[1].split('"')[0]  # the message's colour


def test_badge_leads_with_the_headline_and_takes_its_colour() -> None:
    """A 'good' MQA band beside 0 % really released: the badge says 0 % first and is red, not
    the band's green; a share that is not verifiable yet is grey and shows no percentage."""
    zero = {"band": "good", "scaled": 250.0, "share_released": 0.0, "released_datasets": 0,
            "released_judged": 101, "released_unverified": 699, "share_shown": True}  # fmt: skip
    svg = badge_svg("en", zero)
    assert "open data: 0\u202f% really released (0/101) · MQA good" in svg
    assert _fill(svg) == charts.SHARE_STEPS[-1][1] != charts.BAND_COLORS["good"]
    unknown = {**zero, "released_judged": 2, "share_shown": False}
    svg = badge_svg("en", unknown)
    assert "open data: not verifiable yet · MQA good" in svg and "%" not in svg
    assert _fill(svg) == charts.NO_BAND
    high = {**zero, "share_released": 0.8, "released_datasets": 80}
    assert _fill(badge_svg("de", high)) == charts.SHARE_STEPS[0][1]


def test_plural_forms_in_both_languages() -> None:
    assert [i18n.count(n, "en", "day") for n in (1, 2, 0)] == ["1 day", "2 days", "0 days"]
    assert [i18n.count(n, "de", "day") for n in (1, 2)] == ["1 Tag", "2 Tage"]
    assert [i18n.count(1, "en", "city"), i18n.count(3, "en", "city")] == ["1 city", "3 cities"]
    assert [i18n.count(1, "de", "city"), i18n.count(3, "de", "city")] == ["1 Stadt", "3 Städte"]
    assert [i18n.count(1, "en", "snapshot"), i18n.count(23, "de", "indicator")] == [
        "1 snapshot",
        "23 Indikatoren",
    ]
    assert i18n.count(1200, "de", "dataset") == "1\u202f200 Datensätze"
    assert set(i18n.PLURALS["de"]) == set(i18n.PLURALS["en"])
