"""Write the static site from the warehouse."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from dashboards.render import render_index
from flows.config import Portal
from warehouse.store import portal_overview


def publish_site(con, portals: list[Portal], site_dir: str | Path) -> Path:
    """Render dashboards/site/index.html (atomically replaced) and return its path."""
    site = Path(site_dir)
    site.mkdir(parents=True, exist_ok=True)
    overview = {row["portal_id"]: row for row in portal_overview(con)}
    rows = []
    for p in portals:
        row = {
            "portal_id": p.id,
            "title": p.title,
            "city": p.city,
            "platform": p.platform,
            "url": p.url,
        }
        row.update({k: v for k, v in overview.get(p.id, {}).items() if k != "portal_id"})
        rows.append(row)
    html = render_index(rows, datetime.now(UTC))
    target = site / "index.html"
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
