"""Alerts after a run, sent to the apprise URLs a portal lists under `alerts:` in portals.yaml.

- harvest-failed: a harvest failed (every time, unless `alert_after_failures` is set);
- portal-unreachable: the harvest failed `alert_after_failures` (K) runs in a row (sent once,
  when the streak reaches K; failures before that are quiet);
- score-dropped: the portal's score fell by more than `alert_score_drop` points between its
  previous snapshot and this one, under the same method (a method change never alerts).

`portal_alerts()` decides (pure); `alert_after_run()` reads the warehouse (its queries are in
`warehouse/status.py`) and sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from flows.config import Portal
from warehouse.status import finished_statuses, score_change


@dataclass(frozen=True)
class Alert:
    portal_id: str
    code: str  # harvest-failed | portal-unreachable | score-dropped
    title: str
    body: str


def portal_alerts(
    portal: Portal,
    statuses: Sequence[tuple[str, str | None]],
    city_change: float | None = None,
    points: float | None = None,
) -> list[Alert]:
    """The alerts due for `portal` after its latest run. `statuses`: its finished harvests,
    newest first, as (ok | failed, error); `city_change`: this run's score change."""
    out: list[Alert] = []
    streak = 0
    for status, _ in statuses:
        if status != "failed":
            break
        streak += 1
    name = f"{portal.title} ({portal.id})"
    if streak:
        error = statuses[0][1] or "no reason recorded"
        k = portal.alert_after_failures
        if k is None:
            out.append(
                Alert(portal.id, "harvest-failed", f"odwatch: harvest of {name} failed", error)
            )
        elif streak == k:
            out.append(
                Alert(
                    portal.id,
                    "portal-unreachable",
                    f"odwatch: {name} failed {k} harvests in a row",
                    f"last error: {error}",
                )
            )
    drop = portal.alert_score_drop
    if not streak and drop is not None and city_change is not None and city_change < -drop:
        now = f"; now {points:.0f} points" if points is not None else ""
        out.append(
            Alert(
                portal.id,
                "score-dropped",
                f"odwatch: score of {name} dropped by {-city_change:.0f} points",
                f"the score fell by {-city_change:.1f} points since the previous snapshot{now} "
                f"(alert threshold {drop:g})",
            )
        )
    return out


def notify(urls: Sequence[str], alert: Alert) -> bool:
    """Send one alert to every URL (apprise: json://, mailto://, ntfy://, ...)."""
    import apprise  # Prefect's own dependency; imported only when there is something to send

    ap = apprise.Apprise()
    for url in urls:
        ap.add(url)
    return bool(ap.notify(title=alert.title, body=alert.body))


def alert_after_run(
    con: duckdb.DuckDBPyConnection, portals: Sequence[Portal], results
) -> list[str]:
    """Check every harvested portal that has `alerts:` and send what is due. Returns one line
    per alert, saying whether it was delivered."""
    by_id = {p.id: p for p in portals}
    lines: list[str] = []
    cur = con.cursor()
    try:
        for result in results:
            portal = by_id.get(result.portal_id)
            if portal is None or not portal.alerts:
                continue
            statuses = finished_statuses(cur, portal.id)
            change, points = (
                score_change(cur, result.run_id) if result.status == "ok" else (None, None)
            )
            for alert in portal_alerts(portal, statuses, change, points):
                ok = notify(portal.alerts, alert)
                lines.append(
                    f"{alert.code} for {portal.id} {'sent' if ok else 'NOT delivered'} "
                    f"to {len(portal.alerts)} URL(s)"
                )
    finally:
        cur.close()
    return lines
