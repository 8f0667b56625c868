"""Great Expectations suites for one snapshot's tables (the only module importing GX).

What an operator wants to hold for every harvest, validated on pandas DataFrames (the caller
queries DuckDB with ``.df()``; GX through SQLAlchemy on DuckDB fails silently, see STACK.md):

datasets       at least one row; ``dataset_id`` present and unique; ``title`` present (mostly);
               ``modified`` parses (mostly) and is not after the harvest (mostly); a known
               licence (open or not-open; the dataset's least open licence over its
               distributions, as for scoring) for at least ``license_known`` of the datasets.
distributions  ``distribution_id`` present and unique; ``dataset_id`` present; a URL (mostly).

A failed expectation is a finding about the catalogue (``success=False`` in the report). An
expectation that *errored* (a missing column, a type GX cannot compare) is a bug and raises
:class:`ExpectationsError`: it must never pass for a failed expectation. GX is imported lazily
(about 3 s) inside :func:`validate_snapshot`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: The columns each suite reads from its DataFrame.
DATASET_COLUMNS = ("dataset_id", "title", "modified_status", "modified_utc", "license_status")
DISTRIBUTION_COLUMNS = ("distribution_id", "dataset_id", "url")


class ExpectationsError(Exception):
    """Great Expectations itself failed (not an expectation): str() is one line."""


@dataclass(frozen=True)
class Thresholds:
    """The 'mostly' levels: the share of rows that must meet an expectation."""

    title_present: float = 0.95
    modified_parses: float = 0.95
    modified_not_future: float = 0.99
    license_known: float = 0.5
    url_present: float = 0.95


@dataclass
class GxReport:
    success: bool
    results: list[dict[str, Any]] = field(default_factory=list)

    def failed(self) -> list[str]:
        return [
            f"{r['suite']}: {r['expectation']}({r['column'] or ''})"
            for r in self.results
            if not r["success"]
        ]


def _suites(now: datetime, t: Thresholds) -> dict[str, list]:
    import great_expectations.expectations as gxe

    return {
        "datasets": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="dataset_id"),
            gxe.ExpectColumnValuesToBeUnique(column="dataset_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="title", mostly=t.title_present),
            # nulls are ignored: a missing date is a finding, not a parse failure
            gxe.ExpectColumnValuesToBeInSet(
                column="modified_status", value_set=["ok", "missing"], mostly=t.modified_parses
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="modified_utc", max_value=now, mostly=t.modified_not_future
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="license_status", value_set=["open", "not-open"], mostly=t.license_known
            ),
        ],
        "distributions": [
            gxe.ExpectColumnValuesToNotBeNull(column="distribution_id"),
            gxe.ExpectColumnValuesToBeUnique(column="distribution_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="dataset_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="url", mostly=t.url_present),
        ],
    }


def _raised(exception_info: Any) -> str | None:
    """The exception message if GX raised while evaluating; exception_info comes flat or
    keyed by metric id."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = str(info.get("exception_message") or "unknown error")
            return message.splitlines()[0]
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN (pandas' null)
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def validate_snapshot(
    datasets: Any,
    distributions: Any,
    now: datetime,
    thresholds: Thresholds | None = None,
) -> GxReport:
    """Validate the two DataFrames of one snapshot; ``now`` (naive UTC, the harvest time plus
    any tolerance) bounds ``modified_utc``."""
    # GX logs at INFO while importing and for every ephemeral context's temp docs folder (one
    # module pins INFO on its own logger); stderr is for odwatch's progress
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    t = thresholds or Thresholds()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("odwatch")
    frames = {"datasets": datasets, "distributions": distributions}
    report = GxReport(success=True)
    for name, expectations in _suites(now, t).items():
        batch = (
            source.add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("snapshot")
            .get_batch(batch_parameters={"dataframe": frames[name]})
        )
        suite = gx.ExpectationSuite(name=f"odwatch-{name}")
        for expectation in expectations:
            suite.add_expectation(expectation)
        try:
            result = batch.validate(suite)
        except Exception as exc:  # GX broke outside an expectation
            raise ExpectationsError(
                f"great_expectations failed on the {name} suite: {type(exc).__name__}: {exc}"
            ) from exc
        for r in result.results:
            config = r.expectation_config
            column = config.kwargs.get("column")
            error = _raised(r.exception_info)
            if error is not None:
                raise ExpectationsError(
                    f"great_expectations could not evaluate {config.type}"
                    f"({column or ''}) on {name}: {error}"
                )
            details = r.result or {}
            report.results.append(
                {
                    "suite": name,
                    "expectation": config.type,
                    "column": column,
                    "mostly": config.kwargs.get("mostly"),
                    "success": bool(r.success),
                    "element_count": details.get("element_count", details.get("observed_value")),
                    "unexpected_count": details.get("unexpected_count"),
                    "unexpected_percent": _jsonable(details.get("unexpected_percent")),
                    "sample": [
                        _jsonable(v) for v in (details.get("partial_unexpected_list") or [])[:5]
                    ],
                }
            )
            report.success = report.success and bool(r.success)
    return report
