"""The `odwatch check-links` flow: the link check as its own flow run in the Prefect UI.

The check itself is plain network I/O (`flows.links.check.check_links`, callable without
Prefect); this module only runs it as the flow "odwatch-check-links". It takes the flow's body
from its caller instead of importing flows.links.check, because the check-links command
(`register`, `cmd_check_links`) still lives in flows/links/check.py and flows.pipeline imports the
link check: the command reaching pipeline would close an import cycle. When the command moves to
flows/cli/, this folds into flows/pipeline.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def load_prefect(verbose: bool = False) -> None:
    """Settings that must be in place before Prefect is imported; then import it (seconds)."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    import prefect.settings  # noqa: F401


def run_check_links_flow(body: Callable[..., T], *args, verbose: bool = False) -> T:
    """Run `body(*args)` as the flow "odwatch-check-links", without the heartbeat thread."""
    load_prefect(verbose)
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    check_links_flow = flow(
        name="odwatch-check-links", validate_parameters=False, log_prints=False
    )(body)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return check_links_flow(*args)
