"""Assess stored snapshots: findings, scores and Great Expectations results, from the warehouse.

Nothing here touches the network, so a new check or weight can be replayed over every past
snapshot (``odwatch assess --all``). Per run:

1. the run's datasets and distributions go into temp tables; the pure classifiers of
   ``checks/`` (licences, formats, dates, frequencies) run once per *distinct* raw value and
   their answers are loaded as lookup tables;
2. the SQL of ``checks/assess_sql_facts.py`` (facts, rules, counts) and
   ``checks/assess_sql_scores.py`` (findings, scores) computes them set-based;
3. the Great Expectations suites of ``checks/expectations.py`` validate the snapshot's tables;
4. findings, scores and the assessment row are written in one transaction, replacing an
   earlier assessment of the same run under the same method version.

This module orchestrates; every SQL statement on the warehouse's tables is in
``warehouse/assess_inputs.py`` (what an assessment reads) and ``warehouse/assessments.py``
(what it writes); the rules' SQL is generated in ``checks/``. The statements run here are
on the run's own TEMP tables (``_TEMP_TABLES``: ``_ds``, ``_di``, the ``_lk_*`` lookups,
``_f`` ...), its working space, dropped after each run: the one module of flows/ that
executes SQL (``tests/test_site_rooms.py`` holds the others to none).

"Now" is the snapshot's harvest time (``harvest_runs.started_at``), never the wall clock: an
old snapshot re-assessed today gives the same freshness verdicts as on the day it was taken.

Link checks (issue 4, ``warehouse/schema_links.sql``): each URL's latest result in
``link_checks(url, outcome, checked_at)`` before the portal's next snapshot decides the
reachability indicators (``ok`` reachable, ``dead`` not, anything else not judged); a URL
without a result, or a warehouse without that table, leaves them "not checked". That lookup
(``warehouse/assess_inputs.py:link_lookup``) is the whole integration.

Content checks and 5-star openness (same schema): each of the run's distributions' latest
content check before the portal's next snapshot gives its findings, copied into the fix list
at no points (``content_lookup``, same module; codes of kind ``content`` in the method table only);
``distribution_stars`` of the run gives the ``stars`` columns of the scores
(``stars_lookup``), NULL when the link checker has not rated this snapshot.

SHACL validation (issue 16, ``warehouse/schema_shacl.sql``): the snapshot's verdict per dataset
under its DCAT-AP.de profile decides ``dcat-ap-compliance`` (``shacl_lookup``; statuses in
``checks/compliance.py``); a snapshot never validated leaves it "not checked". The GovData
dashboard profile (``checks/dashboard.py``) is judged in the same pass and stored apart
(``warehouse/dashboard.py``), with the licence list read from GovData's shapes at run time.

Musterdatenkatalog (issue 18): each dataset's Musterdatensatz (``checks/musterdaten.py``, a
model of the hand-labelled datasets read at run time) is judged in the same pass under the
current method and stored apart (``warehouse/musterdaten.py``); without the labelled file,
``musterdaten_runs`` records why and the assessment goes on. The EU High-Value Dataset marks
(``checks/hvd.py``) are judged there too and stored in ``hvd_marks`` (``warehouse/hvd.py``).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from checks.assess_sql_facts import evaluate_sql, facts_sql
from checks.assess_sql_scores import finding_units_sql, findings_sql
from checks.dashboard import LicenseList, LicenseListError, load_license_list
from checks.expectations import Thresholds
from checks.facts import (
    dataset_license,
    date_facts,
    format_facts,
    frequency_facts,
    license_facts,
)
from checks.freshness import as_utc
from checks.licenses import classify_license
from checks.musterdaten import Classifier, MusterdatenError, load_reference
from checks.scoring import (
    CURRENT,
    MAX_POINTS,
    Method,
)
from warehouse import dashboard, hvd, musterdaten
from warehouse.assess_inputs import (
    content_lookup,
    expectation_frames,
    harvest_run,
    link_lookup,
    load_snapshot,
    shacl_lookup,
    stars_lookup,
)
from warehouse.assessments import register_method, write_failed, write_ok
from warehouse.store import AssessError

_TEMP_TABLES = (
    "_ds _di _lk_fmt _lk_lic _lk_lic3 _lk_date _lk_freq _lk_links _lk_content _lk_stars _lk_shacl "
    "_dsf0 _difa _dif _dsf _evd _evu _cnt _fu _f"
).split()


@dataclass
class AssessResult:
    assessment_id: str
    run_id: str
    portal_id: str
    method_version: str
    status: str  # ok | failed
    datasets: int = 0
    distributions: int = 0
    findings: int = 0
    points: float | None = None
    max_assessable: int | None = None
    band: str | None = None
    max_points: int = MAX_POINTS
    gx_success: bool | None = None
    seconds: float = 0.0
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    def line(self) -> str:
        if self.status != "ok":
            return f"{self.run_id}\t{self.portal_id}\t{self.method_version}\tFAILED: {self.error}"
        score = f"{self.points:.1f}/{self.max_assessable}" if self.points is not None else "-"
        gx = {True: "gx ok", False: "gx FAILED", None: "gx skipped"}[self.gx_success]
        return (
            f"{self.run_id}\t{self.portal_id}\t{self.method_version}\t{self.datasets} datasets\t"
            f"{score} points ({self.max_points} max)\t{self.band or '-'}\t{self.findings} findings\t{gx}"
        )


# ---------------------------------------------------------------- lookups


def _load(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: Iterable[Sequence]
) -> int:
    """Load rows into temp table `name` through NDJSON + read_json (fast, typed)."""
    names = list(columns)
    fd, tmp = tempfile.mkstemp(prefix=f"odwatch{name}-", suffix=".ndjson")
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(
                    json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=str)
                )
                fh.write("\n")
                n += 1
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
        if n:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_json(?, "
                f"format = 'newline_delimited', columns = {spec}, maximum_object_size = 134217728)",
                [tmp],
            )
        else:
            cols = ", ".join(f"{c} {t}" for c, t in columns.items())
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
    finally:
        os.unlink(tmp)
    return n


def _distinct(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _build_lookups(con: duckdb.DuckDBPyConnection) -> None:
    fmt = _distinct(con, "SELECT DISTINCT format_raw, media_type_raw, url_sig FROM _di")
    _load(
        con,
        "_lk_fmt",
        {
            "format_raw": "VARCHAR",
            "media_type_raw": "VARCHAR",
            "url_sig": "VARCHAR",
            "fmt_format": "VARCHAR",
            "fmt_known": "BOOLEAN",
            "fmt_in_vocab": "BOOLEAN",
            "fmt_mr": "BOOLEAN",
            "fmt_np": "BOOLEAN",
            "media_registered": "BOOLEAN",
        },
        ((f, m, s, *format_facts(f, m, s).values()) for f, m, s in fmt),
    )
    lic = _distinct(con, "SELECT DISTINCT license_raw FROM _di WHERE license_raw IS NOT NULL")
    _load(
        con,
        "_lk_lic",
        {"raw": "VARCHAR", "status": "VARCHAR", "vocab": "BOOLEAN", "license_id": "VARCHAR"},
        (license_facts(classify_license(r)) for (r,) in lic),
    )
    lic3 = _distinct(
        con, "SELECT DISTINCT license_raw, license_url_raw, license_title_raw FROM _ds"
    )
    _load(
        con,
        "_lk_lic3",
        {
            "license_raw": "VARCHAR",
            "license_url_raw": "VARCHAR",
            "license_title_raw": "VARCHAR",
            "raw": "VARCHAR",
            "status": "VARCHAR",
            "vocab": "BOOLEAN",
            "license_id": "VARCHAR",
        },
        ((a, b, c, *license_facts(dataset_license(a, b, c))) for a, b, c in lic3),
    )
    dates = _distinct(
        con,
        "SELECT issued FROM _ds WHERE issued IS NOT NULL "
        "UNION SELECT modified FROM _ds WHERE modified IS NOT NULL",
    )
    _load(
        con,
        "_lk_date",
        {"raw": "VARCHAR", "utc": "TIMESTAMP", "status": "VARCHAR"},
        ((r, *date_facts(r)) for (r,) in dates),
    )
    freq = _distinct(con, "SELECT DISTINCT frequency_raw FROM _ds WHERE frequency_raw IS NOT NULL")
    _load(
        con,
        "_lk_freq",
        {
            "raw": "VARCHAR",
            "code": "VARCHAR",
            "period_days": "INTEGER",
            "exempt": "VARCHAR",
            "known": "BOOLEAN",
        },
        ((r, *frequency_facts(r)) for (r,) in freq),
    )


@functools.cache
def _license_list() -> tuple[LicenseList | None, str | None]:
    """GovData's licence list, read once per process (or the one line saying why not)."""
    try:
        return load_license_list(), None
    except LicenseListError as exc:
        return None, str(exc)


@functools.cache
def _musterdaten() -> tuple[Classifier | None, str | None]:
    """The Musterdatensatz classifier, built once per process from the labelled datasets (or
    the one line saying why not)."""
    try:
        return Classifier(load_reference()), None
    except MusterdatenError as exc:
        return None, str(exc)


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for name in _TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")


# ---------------------------------------------------------------- assessing


def _gx(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    now: datetime,
    method: Method,
    thresholds: Thresholds | None,
):
    from checks.expectations import validate_snapshot

    datasets, distributions = expectation_frames(con, run_id)
    return validate_snapshot(
        datasets, distributions, now + timedelta(days=method.skew_days), thresholds
    )


def assess_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    method: Method = CURRENT,
    *,
    expectations: bool = True,
    thresholds: Thresholds | None = None,
    shacl_profile: str | None = None,
) -> AssessResult:
    """Assess one ok snapshot under `method`, replacing an earlier assessment of it under the
    same method version. ``shacl_profile``: the SHACL profile whose verdicts decide
    ``dcat-ap-compliance`` (default: the one the snapshot was validated against). A Great Expectations error is recorded as a failed assessment and
    raised as AssessError."""
    row = harvest_run(con, run_id)
    if row is None:
        raise AssessError(f"no harvest run '{run_id}' in the warehouse")
    portal_id, started_at, status = row
    if status != "ok":
        raise AssessError(f"run '{run_id}' is {status}, not a complete snapshot; nothing to assess")
    fingerprint = register_method(con, method)
    assessment_id = f"{run_id}/{method.version}"
    result = AssessResult(
        assessment_id, run_id, portal_id, method.version, "ok", max_points=method.max_points()
    )
    started = time.monotonic()
    now = as_utc(started_at).replace(tzinfo=None)
    mark = [started]

    def phase(name: str) -> None:
        t = time.monotonic()
        result.phases[name] = t - mark[0]
        mark[0] = t

    try:
        load_snapshot(con, run_id)
        links = link_lookup(con, run_id, portal_id)
        content_lookup(con, run_id, portal_id)
        shacl = shacl_lookup(con, run_id, shacl_profile) is not None
        phase("load")
        _build_lookups(con)
        phase("lookups")
        for sql in facts_sql(now, method, links, shacl):
            con.execute(sql)
        con.execute("DROP TABLE _di")  # its facts are in _dif now: free the memory
        update_stars = stars_lookup(con, run_id)
        for sql in evaluate_sql(method):
            con.execute(sql)
        phase("checks")
        con.execute(finding_units_sql(method))
        con.execute(f"CREATE OR REPLACE TEMP TABLE _f AS {findings_sql(method)}")
        phase("findings")
        gx_success, gx_results = None, None
        if expectations:
            from checks.expectations import ExpectationsError

            try:
                report = _gx(con, run_id, now, method, thresholds)
            except ExpectationsError as exc:
                result.status, result.error = "failed", str(exc)
                result.seconds = time.monotonic() - started
                write_failed(con, result, fingerprint, started_at)
                raise AssessError(f"{run_id}: {exc}") from exc
            gx_success, gx_results = report.success, report.results
            phase("expectations")
        write_ok(
            con,
            result,
            method,
            fingerprint,
            started_at,
            links,
            gx_success,
            gx_results,
            started,
            update_stars,
        )
        if method is CURRENT:  # the dashboard profile is no MQA method: judged by the current code
            dashboard.judge(con, run_id, portal_id, *_license_list())
            musterdaten.judge(con, run_id, portal_id, *_musterdaten())
            hvd.judge(con, run_id, portal_id)
        phase("write")
    finally:
        _drop_temp(con)
    return result


def assess_runs(
    con: duckdb.DuckDBPyConnection,
    run_ids: Iterable[str],
    method: Method = CURRENT,
    *,
    expectations: bool = True,
    progress=None,
) -> list[AssessResult]:
    """Assess each run; a failing run is reported and the others go on; the first GX error is
    re-raised at the end so it cannot pass unnoticed."""
    results, errors = [], []
    for run_id in run_ids:
        try:
            results.append(assess_run(con, run_id, method, expectations=expectations))
        except AssessError as exc:
            errors.append(exc)
            results.append(
                AssessResult(
                    f"{run_id}/{method.version}",
                    run_id,
                    "?",
                    method.version,
                    "failed",
                    error=str(exc),
                )
            )
        if progress:
            progress(results[-1].line())
    if errors:
        raise errors[0]
    return results
