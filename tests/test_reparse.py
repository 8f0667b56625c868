"""`odwatch reparse` (issue 13, item 8): a snapshot's rows rebuilt from its stored raw pages by
the current adapter code, with no network (the servers are stopped first). Recorded corpus
data served from 127.0.0.1: 120 packages of dados.gov.br (CKAN, 3 pages) and Bremen's DCAT
catalogue. Unchanged code gives the same rows; a changed parse rule changes the rows and,
re-assessed, the scores; a run that cannot be replayed keeps its old rows."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import pytest
from routeserver import RouteServer, file_reply

from flows import harvest as harvest_mod
from flows.assess import assess_run
from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.reparse import ReparseError, reparse_run, reparse_runs
from warehouse.records import Warehouse

RDFXML = "application/rdf+xml"


def _table(wh: Warehouse, table: str, run_id: str) -> list[tuple]:
    cols = [c for c in wh.columns(table) if c != "raw"]
    order = "dataset_id, distribution_id" if table == "distribution_rows" else "dataset_id"
    return wh.con.execute(
        f"SELECT {', '.join(cols)}, raw::VARCHAR FROM {table} WHERE run_id = ? ORDER BY {order}",
        [run_id],
    ).fetchall()


def _snapshot(wh: Warehouse, run_id: str) -> tuple[list[tuple], list[tuple]]:
    return _table(wh, "dataset_rows", run_id), _table(wh, "distribution_rows", run_id)


def _portal_score(wh: Warehouse, run_id: str) -> tuple:
    return wh.con.execute(
        "SELECT share_open_license, points FROM scores WHERE run_id = ? AND level = 'portal'",
        [run_id],
    ).fetchone()


def _with_parse(monkeypatch, platform: str, change) -> None:
    """Change one adapter's parse rule, as a fix in flows/adapters/ would."""
    adapter = harvest_mod.ADAPTERS[platform]

    def changed(raw, portal_id, url, run_id):
        dataset, dists = adapter.parse(raw, portal_id, url, run_id)
        return change(dataset, dists)

    monkeypatch.setitem(harvest_mod.ADAPTERS, platform, dataclasses.replace(adapter, parse=changed))


def _licensed(license_id: str):
    def change(dataset: dict, dists: list[dict]):
        dists = [{**d, "license_raw": None} for d in dists]
        return {**dataset, "license_raw": license_id, "license_title_raw": None}, dists

    return change


_cc_zero = _licensed("cc-zero")


@pytest.fixture
def ckan_run(br_packages, tmp_path: Path):
    """dados.gov.br's first 120 packages harvested in pages of 50; the server is gone after."""
    with LocalPortal(br_packages[:120]) as lp:
        portal = Portal("br", "dados.gov.br", "Brasília", "ckan", lp.url, page_size=50)
        wh = Warehouse(tmp_path / "w.duckdb")
        result = harvest_portal(portal, wh)
    assert (result.status, result.datasets, result.requests) == ("ok", 120, 3)
    try:
        yield wh, result.run_id
    finally:
        wh.close()


def test_ckan_unchanged_code_gives_the_same_rows(ckan_run) -> None:
    wh, run_id = ckan_run
    before = _snapshot(wh, run_id)
    got = reparse_run(wh, run_id)
    assert (got.datasets_before, got.datasets, got.pages, got.pages_unused) == (120, 120, 3, 0)
    assert got.distributions == got.distributions_before == len(before[1])
    assert _snapshot(wh, run_id) == before
    assert wh.con.execute(
        "SELECT dataset_count, reparsed_at IS NOT NULL, reparsed_by IS NOT NULL "
        "FROM harvest_runs WHERE run_id = ?",
        [run_id],
    ).fetchone() == (120, True, True)
    assert wh.con.execute(
        "SELECT count(*), count(DISTINCT dataset_id) FROM snapshot_members WHERE run_id = ?",
        [run_id],
    ).fetchone() == (120, 120)


def test_ckan_changed_parse_rule_rows_and_scores_follow(ckan_run, monkeypatch) -> None:
    wh, run_id = ckan_run
    assess_run(wh.con, run_id, expectations=False)
    share, points = _portal_score(wh, run_id)
    assert share == 1.0  # dados.gov.br's licences are all open
    # a changed rule: the licence read as a non-commercial one
    _with_parse(monkeypatch, "ckan", _licensed("cc-nc"))
    reparse_runs(wh, [run_id], expectations=False)
    assert wh.con.execute(
        "SELECT DISTINCT license_raw FROM datasets WHERE run_id = ?", [run_id]
    ).fetchall() == [("cc-nc",)]
    new_share, new_points = _portal_score(wh, run_id)
    assert new_share == 0.0 and new_points != points
    assert wh.con.execute(
        "SELECT count(DISTINCT dataset_id) FROM findings WHERE run_id = ? "
        "AND code = 'non-open-license'",
        [run_id],
    ).fetchone() == (120,)
    assert wh.con.execute(
        "SELECT count(*) FROM assessments WHERE run_id = ?", [run_id]
    ).fetchone() == (1,)  # replaced under the same method, not added


def test_pages_stored_whole_before_the_parts_still_replay(ckan_run) -> None:
    """A warehouse written before raw_page_parts keeps each page as one body_zlib BLOB: the
    same reader finds it, and reparse rebuilds the same rows from it."""
    from warehouse.store import stored_pages

    wh, run_id = ckan_run
    before, pages = _snapshot(wh, run_id), stored_pages(wh.con, run_id)
    for seq, *_ in pages:  # back to the old layout, page by page
        parts = wh.con.execute(
            "SELECT bytes FROM raw_page_parts WHERE run_id = ? AND seq = ? ORDER BY part",
            [run_id, seq],
        ).fetchall()
        wh.con.execute(
            "UPDATE raw_pages SET body_zlib = ? WHERE run_id = ? AND seq = ?",
            [b"".join(p for (p,) in parts), run_id, seq],
        )
    wh.con.execute("DELETE FROM raw_page_parts WHERE run_id = ?", [run_id])
    assert stored_pages(wh.con, run_id) == pages and len(pages) == 3
    reparse_run(wh, run_id)
    assert _snapshot(wh, run_id) == before


def test_a_run_that_cannot_be_replayed_keeps_its_rows(ckan_run, monkeypatch) -> None:
    wh, run_id = ckan_run
    before = _snapshot(wh, run_id)
    # the last page is gone: the adapter asks for it, there is nothing to answer with
    wh.con.execute(
        "DELETE FROM raw_pages WHERE run_id = ? AND seq = (SELECT max(seq) FROM raw_pages "
        "WHERE run_id = ?)",
        [run_id, run_id],
    )
    with pytest.raises(ReparseError, match=r"asks for .*package_search after the last of the 2"):
        reparse_run(wh, run_id)
    assert _snapshot(wh, run_id) == before


def test_a_parse_error_rolls_back(ckan_run, monkeypatch) -> None:
    wh, run_id = ckan_run
    before = _snapshot(wh, run_id)
    victim = before[0][60][2]  # dataset_id of the 61st dataset: on the second page

    def broken(dataset, dists):
        if dataset["dataset_id"] == victim:
            raise KeyError("license")
        return _cc_zero(dataset, dists)

    _with_parse(monkeypatch, "ckan", broken)
    with pytest.raises(KeyError):
        reparse_run(wh, run_id)
    assert _snapshot(wh, run_id) == before
    assert wh.con.execute(
        "SELECT reparsed_at FROM harvest_runs WHERE run_id = ?", [run_id]
    ).fetchone() == (None,)


def test_an_incremental_snapshot_is_replayed_on_its_incremental_path(br_packages, tmp_path):
    packages = [dict(p) for p in br_packages[:60]]
    with LocalPortal(packages) as lp:
        portal = Portal("br", "dados.gov.br", "Brasília", "ckan", lp.url, page_size=50)
        wh = Warehouse(tmp_path / "w.duckdb")
        first = harvest_portal(portal, wh)
        changed = {**packages[7], "metadata_modified": "2099-01-01T00:00:00.000000"}
        lp.packages = [changed if p["id"] == changed["id"] else p for p in lp.packages]
        second = harvest_portal(portal, wh)
    try:
        assert (second.mode, second.datasets) == ("incremental", 60)
        assert second.changed in (1, 2)  # the changed one, and the newest of before (overlap)
        before = _snapshot(wh, second.run_id)
        members = wh.con.execute(
            "SELECT origin_run, count(*) FROM snapshot_members WHERE run_id = ? GROUP BY 1 "
            "ORDER BY 1",
            [second.run_id],
        ).fetchall()
        got = reparse_run(wh, second.run_id)
        assert (got.datasets, got.pages_unused) == (second.changed, 0)
        assert _snapshot(wh, second.run_id) == before
        assert (
            wh.con.execute(
                "SELECT origin_run, count(*) FROM snapshot_members WHERE run_id = ? GROUP BY 1 "
                "ORDER BY 1",
                [second.run_id],
            ).fetchall()
            == members
            == sorted([(first.run_id, 60 - second.changed), (second.run_id, second.changed)])
        )
    finally:
        wh.close()


@pytest.fixture
def dcat_run(corpus: Path, tmp_path: Path):
    data = (corpus / "dcat" / "bremen" / "bremen-catalog-original-input.rdf").read_bytes()
    with RouteServer({"/catalog.rdf": file_reply(data, RDFXML)}) as server:
        portal = Portal("bremen", "Bremen", "Bremen", "dcat", server.url + "/catalog.rdf")
        wh = Warehouse(tmp_path / "w.duckdb")
        result = harvest_portal(portal, wh)
    assert (result.status, result.datasets, result.distributions) == ("ok", 153, 237)
    try:
        yield wh, result.run_id
    finally:
        wh.close()


def test_dcat_unchanged_code_gives_the_same_rows(dcat_run) -> None:
    wh, run_id = dcat_run
    before = _snapshot(wh, run_id)
    got = reparse_run(wh, run_id)
    assert (got.datasets, got.distributions, got.pages) == (153, 237, 1)
    assert _snapshot(wh, run_id) == before


def test_dcat_changed_parse_rule_rows_and_scores_follow(dcat_run, monkeypatch) -> None:
    wh, run_id = dcat_run
    assess_run(wh.con, run_id, expectations=False)
    share, points = _portal_score(wh, run_id)
    # a "fix": the publisher's name read into the keywords too (findability points)
    _with_parse(
        monkeypatch,
        "dcat",
        lambda d, x: ({**d, "keywords": ["bremen"], "license_raw": "cc-zero"}, _cc_zero(d, x)[1]),
    )
    reparse_runs(wh, [run_id], expectations=False)
    assert wh.con.execute(
        "SELECT DISTINCT keywords, license_raw FROM datasets WHERE run_id = ?", [run_id]
    ).fetchall() == [(["bremen"], "cc-zero")]
    assert _portal_score(wh, run_id) != (share, points)
    assert _portal_score(wh, run_id)[0] == 1.0


def test_cli_reparse_unknown_run_usage_and_all(ckan_run, capsys) -> None:
    from flows.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main

    wh, run_id = ckan_run
    path = str(wh.path)
    wh.close()
    assert main(["reparse", "--warehouse", path, "--run", "nope"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"odwatch: error: {path}: no harvest run 'nope'; 'odwatch status' lists the portals, "
        "harvest_runs the run ids"
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(["reparse", "--warehouse", path])  # neither --run nor --all
    assert exit_info.value.code == EXIT_USAGE
    capsys.readouterr()
    assert main(["reparse", "--warehouse", path, "--all", "--no-expectations", "-q"]) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{run_id}\tbr\t120 -> 120 datasets\t")
    with Warehouse(path) as again:
        assert again.con.execute(
            "SELECT count(*) FROM assessments WHERE run_id = ?", [run_id]
        ).fetchone() == (1,)


def test_a_failed_run_is_not_a_snapshot(tmp_path) -> None:
    server = LocalPortal([]).start()
    url = server.url
    server.stop()
    portal = replace(Portal("down", "Down", "Down", "ckan", url))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        result = harvest_portal(portal, wh)
        assert result.status == "failed"
        with pytest.raises(ReparseError, match="is failed, not a complete snapshot"):
            reparse_run(wh, result.run_id)
