"""Great Expectations suites: a failed expectation is reported, a GX error raises."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from checks.expectations import ExpectationsError, Thresholds, validate_snapshot

NOW = datetime(2024, 3, 10, 12, 0)


def frames(**overrides):
    datasets = pd.DataFrame(
        {
            "dataset_id": ["a", "b", "c", "d"],
            "title": ["A", "B", "C", "D"],
            "modified_status": ["ok", "ok", "missing", "ok"],
            "modified_utc": pd.to_datetime(
                ["2024-01-01", "2023-05-01", None, "2024-03-10 11:00"], format="ISO8601"
            ),
            "license_status": ["open", "open", "not-open", "unknown"],
        }
    )
    distributions = pd.DataFrame(
        {
            "distribution_id": ["a0", "a1", "b0"],
            "dataset_id": ["a", "a", "b"],
            "url": ["https://x.example/a.csv", "https://x.example/a.json", None],
        }
    )
    for key, value in overrides.items():
        table, column = key.split("__")
        (datasets if table == "ds" else distributions)[column] = value
    return datasets, distributions


def failed(report):
    return [
        (r["suite"], r["expectation"], r["column"], r["unexpected_count"], r["sample"])
        for r in report.results
        if not r["success"]
    ]


def test_a_sound_snapshot_passes_every_expectation():
    datasets, distributions = frames()
    report = validate_snapshot(datasets, distributions, NOW, Thresholds(url_present=0.5))
    assert report.success is True
    assert [(r["suite"], r["expectation"], r["column"]) for r in report.results] == [
        ("datasets", "expect_table_row_count_to_be_between", None),
        ("datasets", "expect_column_values_to_not_be_null", "dataset_id"),
        ("datasets", "expect_column_values_to_be_unique", "dataset_id"),
        ("datasets", "expect_column_values_to_not_be_null", "title"),
        ("datasets", "expect_column_values_to_be_in_set", "modified_status"),
        ("datasets", "expect_column_values_to_be_between", "modified_utc"),
        ("datasets", "expect_column_values_to_be_in_set", "license_status"),
        ("distributions", "expect_column_values_to_not_be_null", "distribution_id"),
        ("distributions", "expect_column_values_to_be_unique", "distribution_id"),
        ("distributions", "expect_column_values_to_not_be_null", "dataset_id"),
        ("distributions", "expect_column_values_to_not_be_null", "url"),
    ]


def test_failed_expectations_are_reported_not_raised():
    datasets, distributions = frames(
        ds__dataset_id=["a", "a", "c", "d"],
        ds__modified_status=["ok", "unparseable", "missing", "ok"],
        ds__modified_utc=pd.to_datetime(["2024-01-01", None, None, "2031-01-01"], format="ISO8601"),
        ds__license_status=["unknown", "missing", "not-open", "unknown"],
    )
    report = validate_snapshot(datasets, distributions, NOW)
    assert report.success is False
    assert failed(report) == [
        ("datasets", "expect_column_values_to_be_unique", "dataset_id", 2, ["a", "a"]),
        ("datasets", "expect_column_values_to_be_in_set", "modified_status", 1, ["unparseable"]),
        ("datasets", "expect_column_values_to_be_between", "modified_utc", 1, ["2031-01-01 00:00:00"]),
        ("datasets", "expect_column_values_to_be_in_set", "license_status", 3, ["unknown", "missing", "unknown"]),
        ("distributions", "expect_column_values_to_not_be_null", "url", 1, [None]),
    ]  # fmt: skip


def test_an_empty_snapshot_fails_the_row_count():
    datasets, distributions = frames()
    report = validate_snapshot(datasets.iloc[0:0], distributions.iloc[0:0], NOW)
    assert [r[1] for r in failed(report)] == ["expect_table_row_count_to_be_between"]


def test_a_gx_error_raises_instead_of_looking_like_a_failure():
    datasets, distributions = frames()
    with pytest.raises(ExpectationsError, match=r"could not evaluate .*\(url\) on distributions"):
        validate_snapshot(datasets, distributions.drop(columns=["url"]), NOW)
