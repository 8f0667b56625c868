"""One failure is not "dead" (issue 13, item 6): a link is dead only after it failed on two
checks at least 24 h apart (or answered 410 Gone); until then it is `failing`, "could not
verify", and not scored. The rule on hand-made histories, then end to end: a local portal
whose file answers 404, checked at t0, t0+12 h and t0+25 h (the clock injected through
check_links(now=...)), assessed after each check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from checks.links import (
    DEFAULT_SCHEDULE,
    VERIFIED,
    LinkState,
    Observation,
    judge,
    recheck_after,
)
from flows.assess import assess_run
from flows.config import Portal
from flows.demo.httpserve import Reply
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.links.check import LinkCheckOptions, check_links
from warehouse.records import Warehouse

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def obs(hours: float, outcome: str, reason: str | None = None) -> Observation:
    return Observation(T0 + timedelta(hours=hours), outcome, reason or f"seen-{outcome}")


GONE = "http-404"


@pytest.mark.parametrize(
    ("history", "verdict"),
    [
        ([obs(0, "ok", "http-200")], "ok"),
        ([obs(0, "dead", GONE)], "failing"),  # one failure
        ([obs(0, "dead", "http-410")], "dead"),  # 410 Gone: final at once
        ([obs(0, "dead", "dns-failure"), obs(23.9, "dead", "dns-failure")], "failing"),
        ([obs(0, "dead", GONE), obs(24, "dead", GONE)], "dead"),  # exactly 24 h apart
        ([obs(0, "dead", GONE), obs(12, "dead", GONE), obs(25, "dead", GONE)], "dead"),
        # a success in between resets the count
        ([obs(0, "dead", GONE), obs(12, "ok", "http-200"), obs(25, "dead", GONE)], "failing"),
        ([obs(0, "dead", GONE), obs(12, "ok", "http-200"), obs(37, "dead", GONE)], "failing"),
        (
            [obs(-30, "dead", GONE), obs(0, "ok"), obs(1, "dead", GONE), obs(26, "dead", GONE)],
            "dead",
        ),
        # a timeout or a 5xx in between neither confirms nor resets
        ([obs(0, "dead", GONE), obs(10, "timeout", "read-timeout"), obs(30, "dead", GONE)], "dead"),
        ([obs(0, "timeout", "read-timeout"), obs(30, "dead", GONE)], "failing"),
        ([obs(0, "dead", GONE), obs(30, "server-error", "http-503")], "server-error"),
        ([obs(0, "dead", GONE), obs(30, "ok", "http-200")], "ok"),
        # the order given does not matter; the newest check is judged
        ([obs(25, "dead", GONE), obs(0, "dead", GONE)], "dead"),
        # a 404 after a 410: the 410 was a failure too
        ([obs(0, "dead", "http-410"), obs(25, "dead", GONE)], "dead"),
    ],
)
def test_judge_on_hand_made_histories(history: list[Observation], verdict: str) -> None:
    assert judge(history) == verdict


def test_judge_needs_the_check_to_judge() -> None:
    with pytest.raises(ValueError):
        judge([])


def test_failing_is_unverified_and_comes_back_after_a_day() -> None:
    assert "failing" not in VERIFIED
    state = LinkState("failing", T0, failure_count=3)
    assert recheck_after("https://x.example/a.csv", state) == timedelta(hours=24)
    assert DEFAULT_SCHEDULE.failing == timedelta(hours=24)


# ------------------------------------------------------------------ end to end

CSV = b"name,value\nBad,1\nPark,2\n"


class Files:
    """Answers for /files/*: status per path, changed by the test between checks."""

    def __init__(self) -> None:
        self.status = {"/files/gone.csv": 404, "/files/flaky.csv": 404}

    def __call__(self, req, portal) -> Reply | None:
        if not req.path.startswith("/files/"):
            return None
        status = self.status.get(req.path, 404)
        if status == 200:
            return Reply(200, CSV, {"Content-Type": "text/csv"})
        return Reply(status, b"not here", {"Content-Type": "text/plain"})


def _package(base: str, name: str) -> dict:
    return {
        "id": name,
        "name": name,
        "title": name.title(),
        "license_id": "cc-by",
        "resources": [{"id": f"{name}-csv", "url": f"{base}/files/{name}.csv", "format": "CSV"}],
    }


@pytest.fixture
def portal_and_wh(tmp_path: Path):
    files = Files()
    with LocalPortal([], fault=files) as lp:
        lp.packages = [_package(lp.url, "gone"), _package(lp.url, "flaky")]
        portal = Portal(
            id="prüfdorf",
            title="Prüfdorf",
            city="Prüfdorf",
            platform="ckan",
            url=lp.url,
            allow_private_urls=True,
        )
        wh = Warehouse(tmp_path / "w.duckdb")
        result = harvest_portal(portal, wh)
        assert result.status == "ok"
        try:
            yield files, portal, wh, result.run_id
        finally:
            wh.close()


def _check(wh: Warehouse, portal: Portal, at: datetime, force: bool = False):
    opts = LinkCheckOptions(rate=0, timeout=(1.0, 1.0), content_sample=0, force=force)
    return check_links(wh, [portal], opts, now=at)


def _judged(wh: Warehouse, run_id: str) -> dict:
    """After assessing: per dataset, its link finding, the reachability indicator's
    passed/failed counts, its stars, and the portal's released count."""
    assess_run(wh.con, run_id, expectations=False)
    q = wh.con.execute
    findings = dict(
        q(
            "SELECT dataset_id, list(code ORDER BY code) FROM findings "
            "WHERE run_id = ? AND code IN ('broken-download-url', 'broken-access-url') GROUP BY 1",
            [run_id],
        ).fetchall()
    )
    indicator = q(
        "SELECT passed, failed FROM score_indicators WHERE run_id = ? "
        "AND indicator = 'access-url-reachable'",
        [run_id],
    ).fetchall()
    stars = dict(
        q("SELECT dataset_id, stars FROM dataset_stars WHERE run_id = ?", [run_id]).fetchall()
    )
    released = q(
        "SELECT released_datasets, released_unverified FROM scores WHERE run_id = ? "
        "AND level = 'portal'",
        [run_id],
    ).fetchall()
    return {"findings": findings, "indicator": indicator, "stars": stars, "released": released}


def _status(wh: Warehouse, portal: Portal) -> dict:
    rows = wh.con.execute(
        "SELECT url, outcome, observed, failure_count FROM latest_link_status"
    ).fetchall()
    return {u.rsplit("/", 1)[-1]: (o, ob, n) for u, o, ob, n in rows}


def test_a_404_is_failing_then_dead_a_day_later_and_a_success_resets(portal_and_wh) -> None:
    files, portal, wh, run_id = portal_and_wh
    t0 = datetime.now(UTC)

    # t0: both files answer 404 -> failing, could not verify: not scored, no stars lost
    first = _check(wh, portal, t0)
    assert first.counts() == "failing 2"
    assert _status(wh, portal) == {
        "gone.csv": ("failing", "dead", 1),
        "flaky.csv": ("failing", "dead", 1),
    }
    assert _judged(wh, run_id) == {
        "findings": {},
        "indicator": [(0, 0)],  # not judged either way
        "stars": {"gone": 3, "flaky": 3},
        "released": [(0, 2)],  # both undetermined, none counted as not released
    }

    # t0+12 h (forced: a failing link is not due before 24 h): flaky is back, gone still 404
    assert _check(wh, portal, t0 + timedelta(hours=12)).urls_due == 0
    files.status["/files/flaky.csv"] = 200
    assert _check(wh, portal, t0 + timedelta(hours=12), force=True).counts() == "ok 1, failing 1"
    assert _status(wh, portal) == {
        "gone.csv": ("failing", "dead", 2),  # 12 h after the first failure: not yet
        "flaky.csv": ("ok", "ok", 0),
    }

    # t0+25 h: gone fails again a day after its first failure -> dead, scored; flaky fails
    # again too, but its success at +12 h reset the count -> failing
    files.status["/files/flaky.csv"] = 404
    later = _check(wh, portal, t0 + timedelta(hours=25), force=True)
    assert later.counts() == "dead 1, failing 1"
    assert _status(wh, portal) == {
        "gone.csv": ("dead", "dead", 3),
        "flaky.csv": ("failing", "dead", 1),
    }
    assert _judged(wh, run_id) == {
        "findings": {"gone": ["broken-access-url"]},
        "indicator": [(0, 1)],
        "stars": {"gone": 0, "flaky": 3},
        "released": [(0, 1)],  # gone is not released; flaky could not be verified
    }


def test_the_failing_link_is_due_again_a_day_later_without_force(portal_and_wh) -> None:
    files, portal, wh, run_id = portal_and_wh
    t0 = datetime.now(UTC)
    assert _check(wh, portal, t0).counts() == "failing 2"
    assert _check(wh, portal, t0 + timedelta(hours=23)).urls_due == 0
    again = _check(wh, portal, t0 + timedelta(hours=24, minutes=1))
    assert (again.urls_due, again.counts()) == (2, "dead 2")
