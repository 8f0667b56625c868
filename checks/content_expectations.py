"""The Great Expectations suite for a sampled table (content checks).

Three expectations, run on the table `checks.tables` parsed from a file sample:

- columns present: with an earlier file of the same series, the same column set
  (``expect_table_columns_to_match_set``) -> ``columns-changed``;
- no fully empty column (``expect_column_unique_value_count_to_be_between``, min 1 per
  column) -> ``empty-column``, naming the column;
- row width consistent: every row has as many fields as the header
  (``expect_column_values_to_be_between`` on the fields per row) -> ``ragged-rows``, naming
  the rows.

Great Expectations is imported lazily (about 3 s), in an ephemeral context with progress
bars off; every result's ``exception_info`` is checked, because an expectation that raised
looks like one that failed (../shared/STACK.md). A raised expectation is an
`ExpectationError`, not a finding.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from checks.content import Finding
from checks.tables import Table, column_labels, ranges

_lock = threading.Lock()
_batch_definition: Any = None


class ExpectationError(Exception):
    """An expectation raised instead of judging (a bug, or data GX cannot read)."""


def _definition() -> Any:
    global _batch_definition
    if _batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in ("great_expectations", "great_expectations.data_context.types.base"):
            logging.getLogger(name).setLevel(logging.WARNING)  # no temp-dir notes on stderr
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("odwatch-content").add_dataframe_asset("sample")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _batch_definition


def _validate(frame: Any, expectations: list[Any]) -> list[Any]:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name="odwatch-content", expectations=expectations)
    batch = _definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    for r in result.results:
        info = r.exception_info or {}
        raised = info.get("raised_exception") if isinstance(info, dict) else None
        if raised is None and isinstance(info, dict):  # keyed by metric when several
            raised = any(v.get("raised_exception") for v in info.values() if isinstance(v, dict))
        if raised:
            msg = info.get("exception_message") if isinstance(info, dict) else info
            raise ExpectationError(f"{r.expectation_config.type}: {msg}")
    return list(result.results)


def validate_table(
    table: Table,
    expected_columns: Sequence[str] | None = None,
    expected_from: str = "the earlier file",
) -> list[Finding]:
    """Run the suite on a parsed table; return its failures as findings."""
    if not table.header or not table.rows:
        return []
    import great_expectations as gx
    import pandas as pd

    labels = column_labels(table.header)
    frame = pd.DataFrame(table.rows, columns=labels, index=table.row_numbers, dtype=object)
    widths = pd.DataFrame({"fields": table.widths}, index=table.row_numbers)
    E = gx.expectations
    table_suite: list[Any] = [
        E.ExpectColumnUniqueValueCountToBeBetween(column=label, min_value=1) for label in labels
    ]
    if expected_columns is not None:
        table_suite.insert(
            0,
            E.ExpectTableColumnsToMatchSet(
                column_set=column_labels(list(expected_columns)), exact_match=True
            ),
        )
    width = len(table.header)
    width_suite = [
        E.ExpectColumnValuesToBeBetween(column="fields", min_value=width, max_value=width)
    ]
    with _lock:
        results = _validate(frame, table_suite) + _validate(widths, width_suite)

    out: list[Finding] = []
    json_like = all(n == 0 for n in table.line_numbers)
    for r in results:
        if r.success:
            continue
        kind = r.expectation_config.type
        kwargs = r.expectation_config.kwargs
        if kind == "expect_table_columns_to_match_set":
            mismatch = (r.result.get("details") or {}).get("mismatched") or {}
            missing = sorted(mismatch.get("missing") or [])
            new = sorted(mismatch.get("unexpected") or [])
            parts = []
            if missing:
                parts.append(f"missing: {', '.join(missing)}")
            if new:
                parts.append(f"new: {', '.join(new)}")
            out.append(
                Finding(
                    "columns-changed",
                    "warning",
                    f"the columns differ from {expected_from}; keep the columns of a series stable",
                    "; ".join(parts),
                )
            )
        elif kind == "expect_column_unique_value_count_to_be_between":
            label = kwargs["column"]
            index = labels.index(label) + 1
            out.append(
                Finding(
                    "empty-column",
                    "warning",
                    f"column {label!r} has no values; fill it or remove it",
                    f"column {index} {label!r}: empty in all {len(table.rows)} rows",
                )
            )
        elif kind == "expect_column_values_to_be_between":
            rows = list(r.result.get("unexpected_index_list") or [])
            values = list(r.result.get("unexpected_list") or [])
            by_width: dict[int, list[int]] = {}
            for row, value in zip(rows, values, strict=True):
                by_width.setdefault(int(value), []).append(int(row))
            pieces = [
                f"{w} {'keys' if json_like else 'fields'} in rows {ranges(rs)}"
                for w, rs in sorted(by_width.items(), key=lambda kv: min(kv[1]))
            ]
            first = min(rows)
            line = table.line_of(first)
            where = f" (first on line {line})" if line else ""
            unit = "keys" if json_like else "fields"
            out.append(
                Finding(
                    "ragged-rows",
                    "warning",
                    f"{len(rows)} row(s) do not have the {width} {unit} of the header; "
                    "fix the delimiters",
                    "; ".join(pieces) + where,
                )
            )
    return out
