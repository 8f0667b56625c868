"""Alerts: decided from the run history (pure), delivered through apprise to a local webhook."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flows.alerts import Alert, alert_after_run, notify, portal_alerts
from flows.config import Portal
from flows.demo.portals import LocalPortal, Reply
from flows.harvest import harvest_portal
from warehouse.records import Warehouse

PORTAL = Portal("musterstadt", "Open Data Musterstadt", "Musterstadt", "ckan", "https://x")


@pytest.fixture
def receiver():
    """A webhook on 127.0.0.1 that keeps every JSON body posted to it."""
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.append({"path": self.path, **json.loads(body)})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("settings", "statuses", "change", "codes"),
    [
        ({}, [("ok", None)], None, []),
        ({}, [("failed", "HTTP 502")], None, ["harvest-failed"]),
        ({"alert_after_failures": 3}, [("failed", "x"), ("failed", "x"), ("ok", None)], None, []),
        (
            {"alert_after_failures": 3},
            [("failed", "x"), ("failed", "x"), ("failed", "x"), ("ok", None)],
            None,
            ["portal-unreachable"],
        ),
        ({"alert_after_failures": 3}, [("failed", "x")] * 4, None, []),  # sent once, at 3
        ({"alert_score_drop": 5}, [("ok", None)], -5.0, []),
        ({"alert_score_drop": 5}, [("ok", None)], -5.5, ["score-dropped"]),
        ({}, [("ok", None)], -50.0, []),  # no threshold, no score alert
    ],
)
def test_which_alerts_are_due(settings, statuses, change, codes):
    portal = replace(PORTAL, alerts=("json://127.0.0.1:9",), **settings)
    assert [a.code for a in portal_alerts(portal, statuses, change, 200.0)] == codes


def test_alert_texts():
    portal = replace(PORTAL, alert_after_failures=2, alert_score_drop=5)
    assert portal_alerts(portal, [("failed", "HTTP 502"), ("failed", "timeout")]) == [
        Alert(
            "musterstadt",
            "portal-unreachable",
            "odwatch: Open Data Musterstadt (musterstadt) failed 2 harvests in a row",
            "last error: HTTP 502",
        )
    ]
    assert portal_alerts(portal, [("ok", None)], -12.25, 180.0) == [
        Alert(
            "musterstadt",
            "score-dropped",
            "odwatch: score of Open Data Musterstadt (musterstadt) dropped by 12 points",
            "the score fell by 12.2 points since the previous snapshot; now 180 points "
            "(alert threshold 5)",
        )
    ]


def test_notify_posts_to_the_webhook(receiver):
    url, got = receiver
    alert = Alert("m", "harvest-failed", "odwatch: harvest of M failed", "HTTP 502")
    assert notify([url], alert) is True
    assert [(g["path"], g["title"], g["message"], g["type"]) for g in got] == [
        ("/hook", "odwatch: harvest of M failed", "HTTP 502", "info")
    ]


def test_a_failed_harvest_is_delivered(receiver, br_packages, tmp_path):
    url, got = receiver
    broken = {"on": False}

    def fault(req, portal):
        return Reply(200, "<html>maintenance</html>") if broken["on"] else None

    with LocalPortal(br_packages[:20], fault=fault) as server:
        portal = Portal(
            "musterstadt", "Musterstadt", "Musterstadt", "ckan", server.url, alerts=(url,)
        )
        quiet = Portal("other", "Other", "Other", "ckan", server.url)
        with Warehouse(tmp_path / "w.duckdb") as wh:
            results = [harvest_portal(portal, wh), harvest_portal(quiet, wh)]
            assert alert_after_run(wh.con, [portal, quiet], results) == []
            broken["on"] = True
            results = [harvest_portal(portal, wh), harvest_portal(quiet, wh)]
            lines = alert_after_run(wh.con, [portal, quiet], results)
        base = server.url
    assert lines == ["harvest-failed for musterstadt sent to 1 URL(s)"]
    assert [g["title"] for g in got] == ["odwatch: harvest of Musterstadt (musterstadt) failed"]
    assert got[0]["message"].startswith(f"{base}/api/3/action/package_search")
