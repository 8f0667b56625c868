"""A large portal's pages parsed in a worker process (issue 15): the same rows as parsed in the
fetch thread, in the same order; a dead worker loses no page; a bad setting is a warning of
the run, not a crash. Real recorded CKAN packages (dados.gov.br) served from 127.0.0.1."""

from __future__ import annotations

import multiprocessing
import os
import signal

import duckdb
import pytest

from flows.cli import EXIT_OK, main
from flows.demo.portals import LocalPortal
from flows.parse_workers import ParseWorkerSetting, encode_page, encoded_pages, worker_min

RUN = "br-20261207T000000Z-abcdef"
ARGS = ("br", "https://dados.gov.br", RUN)


def _pages(packages: list[dict], size: int) -> list[list[dict]]:
    return [packages[i : i + size] for i in range(0, len(packages), size)]


def test_a_worker_encodes_every_page_as_the_fetch_thread_does(br_packages) -> None:
    pages = _pages(br_packages, 100)
    here = [encode_page("ckan", page, *ARGS) for page in pages]
    seen_worker = []

    def batches():
        for page in pages:
            yield page
            seen_worker.append(bool(multiprocessing.active_children()))

    got = list(encoded_pages("ckan", *ARGS, batches(), lambda: len(br_packages), 0))
    assert got == here
    assert len(got) == 8 and any(seen_worker), "no worker process was started"
    assert not multiprocessing.active_children(), "the worker outlived the harvest"


def test_a_portal_under_the_minimum_is_parsed_here(br_packages) -> None:
    pages = _pages(br_packages, 200)
    got = list(encoded_pages("ckan", *ARGS, iter(pages), lambda: len(br_packages), 801))
    assert got == [encode_page("ckan", page, *ARGS) for page in pages]
    assert not multiprocessing.active_children()


def test_a_dead_worker_loses_no_page(br_packages) -> None:
    pages = _pages(br_packages, 100)

    def batches():
        for i, page in enumerate(pages):
            if i == 3:  # the worker is running by now: kill it, as the OOM killer would
                for child in multiprocessing.active_children():
                    os.kill(child.pid, signal.SIGKILL)
                    child.join()
            yield page

    got = list(encoded_pages("ckan", *ARGS, batches(), lambda: len(br_packages), 0))
    assert got == [encode_page("ckan", page, *ARGS) for page in pages]


def test_the_setting(monkeypatch) -> None:
    monkeypatch.setenv("ODWATCH_PARSE_WORKER_MIN", "off")
    assert worker_min() is None
    monkeypatch.setenv("ODWATCH_PARSE_WORKER_MIN", "5000")
    assert worker_min() == (5000 if (os.cpu_count() or 1) > 1 else None)
    monkeypatch.setenv("ODWATCH_PARSE_WORKER_MIN", "many")
    with pytest.raises(ParseWorkerSetting) as err:
        worker_min()
    assert str(err.value) == (
        "ODWATCH_PARSE_WORKER_MIN='many' is not a number of datasets; use e.g. 20000 "
        "(0: every portal, off: none)"
    )


def _rows(path, table: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = [c for (c, *_) in con.execute(f"DESCRIBE {table}").fetchall() if c != "run_id"]
        select = ", ".join(f'"{c}"' for c in cols)
        return con.execute(f"SELECT {select} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_odwatch_harvest_stores_the_same_rows_with_a_worker(
    br_packages, tmp_path, monkeypatch, capfd
) -> None:
    with LocalPortal(br_packages) as server:
        portals = tmp_path / "portals.yaml"
        portals.write_text(
            "portals:\n  - {id: br, title: br, city: br, platform: ckan, "
            f"url: '{server.url}', api_rate: 0, page_size: 100}}\n"
        )
        stores = {}
        for setting in ("off", "0", "many"):
            monkeypatch.setenv("ODWATCH_PARSE_WORKER_MIN", setting)
            stores[setting] = tmp_path / f"w-{setting}.duckdb"
            assert (
                main(["harvest", "--portals", str(portals), "--warehouse", str(stores[setting])])
                == EXIT_OK
            )
    err = capfd.readouterr().err
    # a bad setting is said on the portal's line and in its run, and the harvest goes on
    assert "ODWATCH_PARSE_WORKER_MIN='many' is not a number of datasets" in err
    con = duckdb.connect(str(stores["many"]), read_only=True)
    try:
        (warnings,) = con.execute("SELECT warnings FROM harvest_runs").fetchone()
    finally:
        con.close()
    assert "ODWATCH_PARSE_WORKER_MIN='many'" in str(warnings) and "parsed in this process" in str(
        warnings
    )
    for table in ("dataset_rows", "distribution_rows"):
        here = _rows(stores["off"], table)
        assert len(here) == (
            800
            if table == "dataset_rows"
            else sum(
                len([r for r in p.get("resources") or [] if isinstance(r, dict)])
                for p in br_packages
            )
        )
        assert _rows(stores["0"], table) == here, table
        assert _rows(stores["many"], table) == here, table
