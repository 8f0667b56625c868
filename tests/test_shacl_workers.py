"""SHACL validation on several cores (flows/shacl_workers.py): worker processes give exactly
the rows one process gives, on recorded catalogues; a worker that dies loses nothing; workers
end when their parent is killed; a bad ODWATCH_SHACL_WORKERS is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from rdflib import Graph

from checks import shacl
from checks.dcat_graph import DatasetGraph
from checks.rdf_split import split_catalogue
from flows.shacl_workers import WorkersError, validate_parallel, worker_count

ROOT = Path(__file__).resolve().parents[1]
ROSTOCK = "dcat/rostock/rostock-catalog-original-input.rdf"  # 100 datasets


@pytest.fixture(scope="module")
def setup(corpus):
    root = corpus / "shacl" / "govdata-dcat-ap-de-validator"
    if not (root / shacl.RESOURCES / "config.properties").is_file():
        pytest.skip(f"GovData's shapes not found under {root}")
    g = Graph()
    g.parse(corpus / ROSTOCK)
    return root, shacl.load_shapes(root, shacl.DEFAULT_PROFILE), list(split_catalogue(g))


def test_two_workers_give_the_rows_of_one_process(setup):
    root, shapes, graphs = setup
    alone = list(shacl.validate_datasets(graphs, shapes, batch=30))
    assert sum(len(found) for _, found in alone) > 0
    # a blank-node shape is named by what it says, so a worker (its own parse) names it alike
    assert any((r["source_shape"] or "").startswith("_:s") for _, found in alone for r in found)
    assert list(validate_parallel(graphs, shapes, root, workers=2, batch=30)) == alone


class _Fatal(dict):
    """distribution ids whose unpickling ends the process that receives them (a worker)."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_worker_that_dies_loses_no_dataset(setup):
    root, shapes, graphs = setup
    expected = list(shacl.validate_datasets(graphs, shapes, batch=30))
    bad = graphs[40]
    graphs = list(graphs)
    graphs[40] = DatasetGraph(
        bad.dataset_id, bad.focus, bad.graph, _Fatal(bad.distributions), bad.unknowable, bad.error
    )
    assert list(validate_parallel(graphs, shapes, root, workers=2, batch=30)) == expected


CHILD = """
import sys
from pathlib import Path
from rdflib import Graph
from checks import shacl
from checks.rdf_split import split_catalogue
from flows.shacl_workers import validate_parallel
root = Path(sys.argv[1])
g = Graph()
g.parse(sys.argv[2])
shapes = shacl.load_shapes(root, shacl.DEFAULT_PROFILE)
for _ in validate_parallel(list(split_catalogue(g)), shapes, root, workers=2, batch=1):
    print("validating", flush=True)
    sys.stdin.readline()  # held here, workers busy, until the test kills this process
"""


def test_workers_end_when_their_parent_is_killed(setup, corpus):
    root = setup[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(corpus / ROSTOCK)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "validating"
        workers = psutil.Process(child.pid).children(recursive=True)
        assert len(workers) >= 2
        child.send_signal(signal.SIGKILL)
        child.wait()
        gone, alive = psutil.wait_procs(workers, timeout=120)
        assert not alive, [p.pid for p in alive]
    finally:
        if child.poll() is None:
            child.kill()


def test_a_bad_worker_count_is_one_line(monkeypatch):
    monkeypatch.setenv("ODWATCH_SHACL_WORKERS", "two")
    with pytest.raises(WorkersError) as err:
        worker_count()
    assert "ODWATCH_SHACL_WORKERS='two'" in str(err.value) and "\n" not in str(err.value)
    monkeypatch.setenv("ODWATCH_SHACL_WORKERS", "1")
    assert worker_count() == 1
