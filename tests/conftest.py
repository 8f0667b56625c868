"""Shared fixtures: the recorded corpus, local portals, a temporary warehouse, Prefect."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("ODWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))

# Prefect settings must be in the environment before prefect is imported anywhere.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ["ODWATCH_ALLOW_PRIVATE_URLS"] = "1"  # local test servers live on 127.0.0.1
# Recorded corpus URLs name real hosts; with no network, the link checker must not spend
# the suite's time on DNS look-ups that cannot succeed.
os.environ.setdefault("ODWATCH_OFFLINE", "1")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "prefect: needs the Prefect test harness (~15 s once per session)"
    )
    config.addinivalue_line(
        "markers", "schedule: starts a real Prefect server and waits for a scheduled run (~40 s)"
    )


@pytest.fixture(scope="session", autouse=True)
def _prefect_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ.setdefault("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(
            f"recorded corpus not found at {CORPUS} (expected ../shared/corpus beside the repo)"
        )
    return CORPUS


def load_corpus_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def br_packages(corpus: Path) -> list[dict]:
    """The 800 real package dicts of dados.gov.br (one package_search page)."""
    page = load_corpus_json(
        corpus / "ckan" / "dados-gov-br" / "catalog_check_ignore_packages__0.json"
    )
    return page["result"]["results"]


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (ephemeral mode, SQLite)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"
