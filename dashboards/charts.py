"""Charts as inline SVG (pure: numbers in, markup out). No JavaScript, no CDN, no fonts to load.

Every label that could come from outside (a city, a licence, a format) is escaped here, so the
markup can be placed into a page as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

BAND_COLORS: dict[str, str] = {
    "excellent": "#1a7f37",
    "good": "#5a9a2a",
    "sufficient": "#b7791f",
    "bad": "#c62828",
}
NO_BAND = "#6e7781"
# The headline's colours (badge, ranking, chart): the really-released share from each step up,
# best first; a share that is not verifiable yet is grey (NO_BAND). The MQA band keeps its own
# colours (BAND_COLORS) where it is shown, second.
SHARE_STEPS: tuple[tuple[float, str], ...] = (
    (0.75, "#1a7f37"),
    (0.5, "#5a9a2a"),
    (0.25, "#b7791f"),
    (0.0, "#c62828"),
)


def share_step(share: float | None) -> int | None:
    """The index into SHARE_STEPS of a share (0 best), None for no share."""
    if share is None:
        return None
    for i, (lowest, _) in enumerate(SHARE_STEPS):
        if share >= lowest:
            return i
    return len(SHARE_STEPS) - 1


def share_color(share: float | None) -> str:
    step = share_step(share)
    return NO_BAND if step is None else SHARE_STEPS[step][1]


FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    values: Sequence[dict[str, float | None]],
    *,
    y_max: float,
    title: str,
    y_format: Callable[[float], str] = _f,
    zones: Sequence[tuple[float, float, str]] = (),
    marks: Sequence[int] = (),
    mark_label: str = "",
    width: int = 640,
    height: int = 220,
) -> str:
    """Lines over equally spaced snapshots; `zones` are (low, high, colour) bands behind them,
    `marks` the indexes where the method changed (dashed verticals)."""
    left, right, top, bottom = 44, 12, 12, 40
    pw, ph = width - left - right, height - top - bottom
    n = len(labels)

    def x(i: int) -> float:
        return left + (pw / 2 if n == 1 else pw * i / (n - 1))

    def y(v: float) -> float:
        return top + ph - ph * max(0.0, min(v, y_max)) / y_max

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="11">',
        f"<title>{_e(title)}</title>",
    ]
    for low, high, color in zones:
        out.append(
            f'<rect x="{left}" y="{_f(y(high))}" width="{pw}" height="{_f(y(low) - y(high))}" '
            f'fill="{color}" fill-opacity="0.08"/>'
        )
    for k in range(5):
        v = y_max * k / 4
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{_f(y(v))}" y2="{_f(y(v))}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{_f(y(v) + 4)}" text-anchor="end" fill="#57606a">{_e(y_format(v))}</text>'
        )
    for i in marks:
        out.append(
            f'<line x1="{_f(x(i))}" x2="{_f(x(i))}" y1="{top}" y2="{top + ph}" stroke="#57606a" '
            f'stroke-dasharray="4 3"><title>{_e(mark_label)}</title></line>'
        )
    step = max(1, -(-n // 6))  # at most about six date labels
    for i, label in enumerate(labels):
        if (i % step == 0 and n - 1 - i >= step) or i == n - 1:
            anchor = "end" if i == n - 1 and n > 1 else "start" if i == 0 and n > 1 else "middle"
            out.append(
                f'<text x="{_f(x(i))}" y="{height - bottom + 16}" text-anchor="{anchor}" fill="#57606a">{_e(label)}</text>'
            )
    for s in series:
        pts = [(x(i), y(v[s.key])) for i, v in enumerate(values) if v.get(s.key) is not None]
        if len(pts) > 1:
            path = " ".join(f"{_f(px)},{_f(py)}" for px, py in pts)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>'
            )
        for i, v in enumerate(values):
            if v.get(s.key) is not None:
                out.append(
                    f'<circle cx="{_f(x(i))}" cy="{_f(y(v[s.key]))}" r="3" fill="{s.color}">'
                    f"<title>{_e(s.label)} {_e(labels[i])}: {_e(y_format(v[s.key]))}</title></circle>"
                )
    lx = left
    for s in series:
        out.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{s.color}"/>'
            f'<text x="{lx + 14}" y="{height - 5}" fill="#24292f">{_e(s.label)}</text>'
        )
        lx += 24 + 7 * len(s.label)
    out.append("</svg>")
    return "".join(out)


def hbars(
    rows: Sequence[tuple[str, float, float, float]],
    *,
    title: str,
    value_format: Callable[[float, float], str],
    color: str = "#0969da",
    width: int = 640,
) -> str:
    """One bar per row: (label, value, assessable, maximum). The bar's track is the maximum,
    the lighter part what could be judged, the dark part the points."""
    label_w, row_h, top = 150, 26, 6
    pw = width - label_w - 110
    height = top * 2 + row_h * len(rows)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="12">',
        f"<title>{_e(title)}</title>",
    ]
    for i, (label, value, assessable, maximum) in enumerate(rows):
        y0 = top + i * row_h
        scale = pw / maximum if maximum else 0
        out.append(
            f'<text x="{label_w - 8}" y="{y0 + 16}" text-anchor="end" fill="#24292f">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y0 + 4}" width="{_f(pw)}" height="16" fill="#eaeef2"/>'
            f'<rect x="{label_w}" y="{y0 + 4}" width="{_f(assessable * scale)}" height="16" fill="{color}" fill-opacity="0.25"/>'
            f'<rect x="{label_w}" y="{y0 + 4}" width="{_f(value * scale)}" height="16" fill="{color}"/>'
            f'<text x="{label_w + pw + 8}" y="{y0 + 16}" fill="#24292f">{_e(value_format(value, assessable))}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def stacked_bar(
    parts: Sequence[tuple[str, float, str]],
    *,
    title: str,
    value_format: Callable[[float, float], str],
    width: int = 640,
) -> str:
    """One 100 % bar split into (label, count, colour) parts, with a legend below."""
    total = sum(c for _, c, _ in parts)
    legend_rows = -(-len(parts) // 3)
    height = 30 + 18 * legend_rows
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="12">',
        f"<title>{_e(title)}</title>",
    ]
    x = 0.0
    for label, count, color in parts:
        w = width * count / total if total else 0
        out.append(
            f'<rect x="{_f(x)}" y="2" width="{_f(w)}" height="20" fill="{color}">'
            f"<title>{_e(label)}: {_e(value_format(count, total))}</title></rect>"
        )
        x += w
    for i, (label, count, color) in enumerate(parts):
        lx, ly = (i % 3) * (width / 3), 30 + (i // 3) * 18
        out.append(
            f'<rect x="{_f(lx)}" y="{ly}" width="10" height="10" fill="{color}"/>'
            f'<text x="{_f(lx + 14)}" y="{ly + 9}" fill="#24292f">{_e(label)} {_e(value_format(count, total))}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def columns(
    labels: Sequence[str],
    values: Sequence[float | None],
    colors: Sequence[str],
    *,
    title: str,
    y_format: Callable[[float], str] = _f,
    width: int = 640,
    height: int = 160,
) -> str:
    """Vertical bars (e.g. harvest seconds per attempt), one colour each (ok / failed)."""
    left, right, top, bottom = 44, 8, 10, 24
    pw, ph = width - left - right, height - top - bottom
    top_value = max([v for v in values if v is not None] or [1.0]) or 1.0
    n = max(1, len(values))
    slot = pw / n
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="11">',
        f"<title>{_e(title)}</title>",
        f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#8c959f"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" fill="#57606a">{_e(y_format(top_value))}</text>',
        f'<text x="{left - 6}" y="{top + ph}" text-anchor="end" fill="#57606a">0</text>',
    ]
    step = max(1, -(-n // 6))
    for i, (label, v, color) in enumerate(zip(labels, values, colors, strict=True)):
        h = ph * (v or 0) / top_value
        x0 = left + i * slot + slot * 0.15
        out.append(
            f'<rect x="{_f(x0)}" y="{_f(top + ph - h)}" width="{_f(slot * 0.7)}" height="{_f(max(h, 1))}" fill="{color}">'
            f"<title>{_e(label)}: {_e(y_format(v) if v is not None else '–')}</title></rect>"
        )
        if i % step == 0 or i == n - 1:
            out.append(
                f'<text x="{_f(x0 + slot * 0.35)}" y="{height - 8}" text-anchor="middle" fill="#57606a">{_e(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def share_bars(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    desc: str,
    width: int = 640,
    chart_id: str = "chart",
) -> str:
    """One horizontal bar per row (label, share in [0, 1] or None, text): the bar's length is
    the share, coloured by :func:`share_color`, the text (the share with its base, or why there
    is none) beside it. A screen reader gets the title, the description and one line per row
    (<desc>); every bar also has its own <title> as a tooltip."""
    label_w, row_h, top, text_w = 150, 24, 6, 230
    pw = width - label_w - text_w - 16
    height = top * 2 + row_h * max(1, len(rows))
    lines = "; ".join(f"{label}: {text}" for label, _, text in rows)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="12">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(desc)} {_e(lines)}</desc>',
    ]
    for i, (label, share, text) in enumerate(rows):
        y0 = top + i * row_h
        short = label if len(label) <= 22 else label[:21] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y0 + 15}" text-anchor="end" fill="#24292f">{_e(short)}</text>'
            f'<rect x="{label_w}" y="{y0 + 4}" width="{_f(pw)}" height="14" fill="#eaeef2"/>'
        )
        if share is not None:
            out.append(
                f'<rect x="{label_w}" y="{y0 + 4}" width="{_f(max(share * pw, 1))}" height="14" '
                f'fill="{share_color(share)}"><title>{_e(label)}: {_e(text)}</title></rect>'
            )
        out.append(
            f'<text x="{label_w + pw + 8}" y="{y0 + 15}" fill="{"#24292f" if share is not None else "#57606a"}">{_e(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _text_width(text: str) -> int:
    """Rough width in px of 11px Verdana-like text (wide enough for umlauts and digits)."""
    return int(sum(7.2 if c.isupper() or c.isdigit() else 6.2 for c in text)) + 10


def badge(left: str, right: str, color: str) -> str:
    """A shields.io-style badge: grey label, coloured message. A standalone SVG document."""
    lw, rw = _text_width(left), _text_width(right)
    w = lw + rw
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" '
        f'aria-label="{_e(left)}: {_e(right)}">'
        f"<title>{_e(left)}: {_e(right)}</title>"
        f'<rect width="{lw}" height="20" rx="3" fill="#555"/>'
        f'<rect x="{lw}" width="{rw}" height="20" rx="3" fill="{_e(color)}"/>'
        f'<rect x="{lw}" width="4" height="20" fill="{_e(color)}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana, DejaVu Sans, sans-serif" font-size="11">'
        f'<text x="{lw / 2:.1f}" y="14">{_e(left)}</text>'
        f'<text x="{lw + rw / 2:.1f}" y="14">{_e(right)}</text></g></svg>\n'
    )
