"""Pure rendering: rows in, HTML and SVG out. Everything a portal sent is escaped by Jinja2.

Each page is rendered for one language (``en`` / ``de``) at a path below the site root; links
are relative (``root`` is the way back up: ``""``, ``"../"`` ...), so the site opens from disk
and works on any static host. URLs from portals become links only when they are http(s)
(:func:`safe_href`); numbers carry their exact value in ``data-value`` attributes (what the
table sorting and the tests read), the text shows them rounded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from checks.scoring import BANDS, MAX_POINTS
from dashboards import charts, i18n

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

SHARE_SERIES = (
    ("share_released", "released", "#0b6e4f"),
    ("share_open_license", "open_license", "#0969da"),
    ("share_machine_readable", "machine_readable", "#8250df"),
    ("share_on_time", "on_time", "#bc4c00"),
)
SHARE_LABELS = {
    "en": {"released": "really released", "open_license": "open licence", "machine_readable": "machine-readable", "on_time": "on time"},
    "de": {"released": "wirklich veröffentlicht", "open_license": "offene Lizenz", "machine_readable": "maschinenlesbar", "on_time": "aktuell"},
}  # fmt: skip
STATUS_COLORS = {"open": "#1a7f37", "not-open": "#c62828", "unknown": "#b7791f", "missing": "#8c959f", "rest": "#d0d7de"}  # fmt: skip
FORMAT_COLORS = {"open": "#1a7f37", "machine-readable": "#5a9a2a", "other": "#b7791f", "unknown": "#8c959f", "rest": "#d0d7de"}  # fmt: skip
OUTCOME_COLORS = {"ok": "#1a7f37", "dead": "#c62828", "blocked": "#8250df", "server-error": "#bc4c00", "timeout": "#b7791f", "unchecked": "#d0d7de"}  # fmt: skip


def safe_href(url: str | None) -> str | None:
    """A URL fit for an href: only http(s); anything else (javascript:, data:) gets no link."""
    if not url:
        return None
    text = url.strip()
    if text.lower().startswith(("http://", "https://")) and not any(c in text for c in "\r\n\t"):
        return text
    return None


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters["safe_href"] = safe_href
    env.filters["value"] = data_value
    return env


_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return _ENV


def data_value(value: Any) -> str:
    """The exact value for a data-value attribute: repr of a float, ISO date, '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Words:
    """The helpers every template gets, bound to one language and one place in the site."""

    def __init__(self, lang: str, root: str, path: str) -> None:
        self.lang, self.root, self.path = lang, root, path
        self.other = i18n.OTHER[lang]

    def t(self, key: str, **kw: Any) -> str:
        s = i18n.text(self.lang, key)
        return s.format(**kw) if kw else s

    def num(self, value: float | None, digits: int = 0) -> str:
        return i18n.number(value, self.lang, digits)

    def pct(self, share: float | None, digits: int = 1) -> str:
        return i18n.percent(share, self.lang, digits)

    def delta(self, value: float | None, digits: int = 1, unit: str = "") -> str:
        return i18n.delta(value, self.lang, digits, unit)

    def band(self, band: str | None) -> str:
        return i18n.band_name(self.lang, band)

    def count(self, n: int | None, key: str) -> str:
        return i18n.count(n, self.lang, key)

    def base(self, row: Mapping[str, Any]) -> str:
        return released_base(self.lang, row)

    def share(self, row: Mapping[str, Any], digits: int = 1) -> str:
        return released_share(self.lang, row, digits)

    def step(self, row: Mapping[str, Any]) -> str:
        return share_step(row)

    def term(self, key: str | None) -> str:
        return i18n.term(self.lang, key)

    def dim(self, dimension: str) -> str:
        return i18n.dimension_name(self.lang, dimension)

    def check(self, code: str, title: str | None, fix: str | None) -> tuple[str, str]:
        return i18n.check_text(self.lang, code, title, fix)

    def shacl(self, v: dict) -> tuple[str, str]:  # (the shape's message, a fix hint)
        return i18n.shacl_texts(self.lang, v)

    def day(self, value: datetime | None) -> str:
        return i18n.day(value)

    def moment(self, value: datetime | None) -> str:
        return i18n.moment(value)

    def link(self, path: str) -> str:
        """A page of this language, from here."""
        return f"{self.root}{self.lang}/{path}"

    def top(self, path: str) -> str:
        """A file at the site root (static/, badges/, downloads/), from here."""
        return f"{self.root}{path}"

    def switch(self) -> str:
        return f"{self.root}{self.other}/{self.path}"

    def sign(self, value: float | None) -> str:
        if value is None or round(value, 1) == 0:
            return ""
        return "up" if value > 0 else "down"


def render_page(
    template: str, lang: str, root: str, path: str, generated_at: datetime, **ctx: Any
) -> str:
    w = Words(lang, root, path)
    return _env().get_template(template).render(w=w, lang=lang, generated_at=generated_at, **ctx)


# ---------------------------------------------------------------- charts


def trend_charts(lang: str, history: Sequence[Mapping[str, Any]]) -> tuple[Markup, Markup]:
    """Points (scaled to 405, band zones behind) and shares per snapshot; dashed lines where
    the method changed between two snapshots."""
    if not history:
        return Markup(""), Markup("")
    labels = [i18n.day(h["snapshot_at"]) for h in history]
    marks = [
        i
        for i in range(1, len(history))
        if history[i]["method_version"] != history[i - 1]["method_version"]
    ]
    # one zone per band, from its lowest score up to the next band's (checks/scoring.BANDS)
    tops = [MAX_POINTS, *(lowest for _, lowest in BANDS[:-1])]
    zones = [
        (lowest, top, charts.BAND_COLORS[name])
        for (name, lowest), top in zip(BANDS, tops, strict=True)
    ]
    points = charts.line_chart(
        labels,
        [charts.Series("scaled", i18n.text(lang, "points"), "#24292f")],
        [{"scaled": h["scaled"]} for h in history],
        y_max=MAX_POINTS,
        title=i18n.text(lang, "trend_points"),
        y_format=lambda v: i18n.number(v, lang, 0),
        zones=zones,
        marks=marks,
        mark_label=i18n.text(lang, "method_changed"),
    )
    series = [
        charts.Series(key, SHARE_LABELS[lang][label], color)
        for key, label, color in SHARE_SERIES
        if any(h.get(key) is not None for h in history)
    ]
    shares = charts.line_chart(
        labels,
        series,
        [{s.key: (h.get(s.key) * 100 if h.get(s.key) is not None else None) for s in series} for h in history],
        y_max=100,
        title=i18n.text(lang, "trend_shares"),
        y_format=lambda v: i18n.number(v, lang, 0) + " %",
        marks=marks,
        mark_label=i18n.text(lang, "method_changed"),
    )  # fmt: skip
    return Markup(points), Markup(shares)


def dimension_chart(lang: str, dims: Sequence[Mapping[str, Any]]) -> Markup:
    """dims: dimension, points, assessable, max."""
    return Markup(
        charts.hbars(
            [(i18n.dimension_name(lang, d["dimension"]), d["points"] or 0.0, d["assessable"], d["max"]) for d in dims],
            title=i18n.text(lang, "score_by_dimension"),
            value_format=lambda v, a: f"{i18n.number(v, lang, 1)} / {i18n.number(a, lang, 0)}",
            color="#0969da",
        )
    )  # fmt: skip


def _share_format(lang: str) -> Callable[[float, float], str]:
    return lambda n, total: (
        f"{i18n.number(n, lang, 0)} ({i18n.percent(n / total if total else None, lang, 0)})"
    )


def mix_chart(lang: str, parts: Sequence[tuple[str, float, str]], title_key: str) -> Markup:
    if not parts:
        return Markup("")
    return Markup(
        charts.stacked_bar(
            parts, title=i18n.text(lang, title_key), value_format=_share_format(lang)
        )
    )


def license_parts(lang: str, mix: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, str]]:
    by_status: dict[str, float] = {}
    for m in mix:
        by_status[m["status"]] = by_status.get(m["status"], 0) + m["count"]
    names = {"open": "open", "not-open": "not_open", "unknown": "unknown", "missing": "missing"}
    return [
        (i18n.text(lang, names[s]) if s in names else "…", by_status[s], STATUS_COLORS[s])
        for s in ("open", "not-open", "unknown", "missing", "rest")
        if by_status.get(s)
    ]


def mix_label(lang: str, label: str | None, kind: str) -> str:
    """A licence or format group's name: its canonical id, else what is known of it."""
    if label:
        return label
    if kind == "rest":
        return "…"
    return i18n.text(lang, "missing" if kind == "missing" else "unknown")


def format_parts(lang: str, mix: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, str]]:
    return [
        (
            mix_label(lang, m["format"], m["kind"]),
            m["count"],
            FORMAT_COLORS.get(m["kind"], "#d0d7de"),
        )
        for m in mix
    ]


def link_parts(lang: str, links: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, str]]:
    return [
        (i18n.term(lang, r["outcome"]), r["count"], OUTCOME_COLORS.get(r["outcome"], "#6e7781"))
        for r in links
    ]


def harvest_chart(lang: str, harvests: Sequence[Mapping[str, Any]]) -> Markup:
    if not harvests:
        return Markup("")
    return Markup(
        charts.columns(
            [i18n.day(h["started_at"]) for h in harvests],
            [h["seconds"] for h in harvests],
            ["#1a7f37" if h["status"] == "ok" else "#c62828" for h in harvests],
            title=i18n.text(lang, "harvest_time"),
            y_format=lambda v: i18n.number(v, lang, 1) + " s",
        )
    )


def released_base(lang: str, row: Mapping[str, Any]) -> str:
    """The headline's base in words: '1 of 5 judged; 1 unverified', or why there is no share
    ('not verifiable yet: 2 of 3 judged'); '' when the warehouse has no such counts."""
    judged = row.get("released_judged")
    if judged is None:
        return ""
    base = i18n.text(lang, "judged_base").format(
        released=i18n.number(row.get("released_datasets"), lang),
        judged=i18n.number(judged, lang),
    )
    if row.get("released_unverified"):
        n = i18n.number(row["released_unverified"], lang)
        base += "; " + i18n.text(lang, "unverified_n").format(n=n)
    if not row.get("share_shown"):
        return f"{i18n.text(lang, 'not_verifiable')}: {base}"
    return base


def released_share(lang: str, row: Mapping[str, Any], digits: int = 1) -> str:
    """The share as the headline shows it: a percentage only when it is verifiable."""
    if row.get("released_judged") is not None and not row.get("share_shown"):
        return "–"
    return i18n.percent(row.get("share_released"), lang, digits)


def share_step(row: Mapping[str, Any]) -> str:
    """CSS class suffix of the headline's colour: 0..3 (best first) or 'none'."""
    shown = row.get("share_shown") or row.get("released_judged") is None
    step = charts.share_step(row.get("share_released") if shown else None)
    return "none" if step is None else str(step)


def released_chart(lang: str, rows: Sequence[Mapping[str, Any]]) -> Markup:
    """The ranking's chart: a bar per scored city of its really-released share, with its base."""
    bars = []
    for r in rows:
        if r.get("scaled") is None or r.get("released_judged") is None:
            continue
        shown = r.get("share_shown")
        text = released_base(lang, r)
        if shown:
            text = f"{i18n.percent(r['share_released'], lang, 0)} · {text}"
        bars.append((r["city"], r["share_released"] if shown else None, text))
    if not bars:
        return Markup("")
    return Markup(
        charts.share_bars(
            bars,
            title=i18n.text(lang, "chart_released"),
            desc=i18n.text(lang, "chart_released_desc"),
            chart_id="released-chart",
        )
    )


def badge_message(lang: str, row: Mapping[str, Any]) -> tuple[str, str]:
    """The badge's message and colour: the headline first (really released with its base,
    coloured by it), the MQA band second; points and the band's colour when the warehouse has
    no share; grey when the share is not verifiable yet or nothing is scored."""
    band = row.get("band")
    if row.get("scaled") is None:
        return i18n.text(lang, "not_scored"), charts.NO_BAND
    mqa = f"MQA {i18n.band_name(lang, band)}"
    if row.get("released_judged") is None or row.get("share_released") is None:
        detail = f"{i18n.number(row['scaled'], lang, 0)}/{MAX_POINTS}"
        return f"{mqa} · {detail}", charts.BAND_COLORS.get(band or "", charts.NO_BAND)
    if not row.get("share_shown"):
        return f"{i18n.text(lang, 'not_verifiable')} · {mqa}", charts.NO_BAND
    share = row["share_released"]
    base = "/".join(i18n.number(row[k], lang) for k in ("released_datasets", "released_judged"))
    text = f"{i18n.percent(share, lang, 0)} {SHARE_LABELS[lang]['released']} ({base}) · {mqa}"
    return text, charts.share_color(share)


def badge_svg(lang: str, row: Mapping[str, Any]) -> str:
    """The city's badge (:func:`badge_message`), a standalone SVG."""
    return charts.badge("open data", *badge_message(lang, row))


# ---------------------------------------------------------------- method


def method_tables(definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The method definition (checks.scoring.Method.definition()) arranged for the page:
    indicators by dimension with their maxima, checks by kind, bands."""
    dims: dict[str, dict[str, Any]] = {}
    for ind in definition["indicators"]:
        label, passes = i18n.indicator_text(lang, ind["id"], ind["label"], ind["passes_when"])
        d = dims.setdefault(
            ind["dimension"], {"dimension": ind["dimension"], "max": 0, "indicators": []}
        )
        d["max"] += ind["weight"]
        d["indicators"].append({**ind, "label_l": label, "passes_l": passes})
    checks = []
    for chk in definition["checks"]:
        title, fix = i18n.check_text(lang, chk["code"], chk["title"], chk["fix"])
        checks.append({**chk, "title_l": title, "fix_l": fix})
    return {
        "dimensions": list(dims.values()),
        "total": sum(d["max"] for d in dims.values()),
        "checks": checks,
        "bands": definition["bands"],
    }


def static_files() -> list[Path]:
    return sorted(p for p in STATIC.iterdir() if p.is_file())
