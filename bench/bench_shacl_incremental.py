"""SHACL validation of an incremental snapshot against the full snapshot before it, side by
side in one run (issue 16): the 800 recorded dados.gov.br packages served from 127.0.0.1,
harvested and validated under both default profiles; then --changed of them changed,
harvested again (incrementally) and validated again. The carried-forward datasets keep their
verdicts (warehouse.shacl.reusable), so only the changed ones go to pyshacl.

    python bench/bench_shacl_incremental.py [--corpus ../shared/corpus] [--changed 8]
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.adapters.http import make_session  # noqa: E402
from flows.config import Portal  # noqa: E402
from flows.demo.portals import LocalPortal  # noqa: E402
from flows.harvest import harvest_portal  # noqa: E402
from flows.shacl import validate_snapshot  # noqa: E402
from warehouse.records import Warehouse  # noqa: E402

PAGE = Path("ckan") / "dados-gov-br" / "catalog_check_ignore_packages__0.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--changed", type=int, default=8, help="packages changed between harvests")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    packages = json.loads((args.corpus / PAGE).read_text(encoding="utf-8"))["result"]["results"]
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalPortal(copy.deepcopy(packages)) as server,
        Warehouse(Path(tmp) / "w.duckdb") as wh,
    ):
        portal = Portal("br", "dados.gov.br", "Brasil", "ckan", server.url, page_size=1000)
        timed = []
        for step in ("full", "incremental"):
            if step == "incremental":
                with server.lock:
                    for pkg in server.packages[: args.changed]:
                        pkg["title"] += " (corrected)"
                        pkg["metadata_modified"] = "2030-01-01T00:00:00"
            run = harvest_portal(portal, wh, make_session(per_host_rate=0))
            started = time.perf_counter()
            lines = validate_snapshot(wh.con, run.run_id)
            timed.append(time.perf_counter() - started)
            print(f"{step}: {run.line()}")
            print(f"  validated in {timed[-1]:.1f} s: " + "; ".join(lines))
    print(f"ratio incremental / full: {timed[1] / timed[0]:.3f}")


if __name__ == "__main__":
    main()
