"""Pure rendering: rows in, HTML out. Everything a portal sent is escaped by Jinja2."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_time
    env.filters["num"] = format_number
    env.filters["safe_href"] = safe_href
    return env


def format_time(value: datetime | None) -> str:
    if value is None:
        return "–"
    return (
        value.strftime("%Y-%m-%d %H:%M UTC")
        if value.tzinfo is None
        else value.astimezone().strftime("%Y-%m-%d %H:%M %Z")
    )


def format_number(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}".replace(",", "\u202f")


def safe_href(url: str | None) -> str | None:
    """A URL fit for an href: only http(s); anything else (javascript:, data:) gets no link."""
    if not url:
        return None
    text = url.strip()
    if text.lower().startswith(("http://", "https://")):
        return text
    return None


def render_index(portals: Sequence[Mapping[str, Any]], generated_at: datetime) -> str:
    """The first page: every portal with its counts and harvest status."""
    return (
        environment().get_template("index.html").render(portals=portals, generated_at=generated_at)
    )
