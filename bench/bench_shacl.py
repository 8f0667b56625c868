"""SHACL validation speed (issue 16 part 4): odwatch's per-dataset validation against pyshacl
on the whole catalogue graph (how GovData's validator runs), side by side in one run, equal
results asserted.

The snapshot is built from the recorded catalogues of Rostock, Bremen, Destatis and Berlin:
their datasets replicated under new IRIs (every IRI and blank node of a copy renamed) until
--datasets are reached, in one graph. odwatch: checks/rdf_split.split_catalogue, then
checks/shacl.validate_datasets (--batch datasets per pyshacl run, results assigned to datasets
by owned nodes) with the shapes parsed once. Peer: pyshacl.validate
on the whole graph with the same shapes. Results are compared per focus node (as in
tests/test_shacl_engine.py).

    python bench/bench_shacl.py [--corpus ../shared/corpus] [--datasets 1000] [--profile P]
                                [--batch 200]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rdflib import BNode, Graph, URIRef  # noqa: E402
from rdflib.namespace import DCAT, RDF  # noqa: E402
from test_shacl_engine import CATALOGUES, key, whole_graph_keys  # noqa: E402

from checks import shacl  # noqa: E402
from checks.rdf_split import boundary_nodes, owned_nodes, reach, split_catalogue  # noqa: E402
from flows.shacl_workers import validate_parallel, worker_count  # noqa: E402


def replicated(corpus: Path, n: int) -> Graph:
    """`n` datasets: the corpus catalogues' datasets, copies under new IRIs."""
    parts = []
    for rel in CATALOGUES.values():
        g = Graph()
        g.parse(corpus / rel)
        bound = boundary_nodes(g)
        for ds in sorted(g.subjects(RDF.type, DCAT.Dataset), key=str):
            parts.append(reach(g, ds, bound, 50_000)[0])
    out = Graph()
    for i in range(n):
        sub, copy = parts[i % len(parts)], i // len(parts)
        names: dict = {}

        def rename(node, copy=copy, names=names, sub=sub):
            if copy == 0 or not isinstance(node, (URIRef, BNode)):
                return node
            if isinstance(node, BNode):
                return names.setdefault(node, BNode())
            if (node, RDF.type, None) in sub or (None, DCAT.distribution, node) in sub:
                return URIRef(f"{node}#copy{copy}")
            return node  # vocabulary IRIs (licences, themes) stay what they are

        for s, p, o in sub:
            out.add((rename(s), p, rename(o)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--datasets", type=int, default=1000)
    ap.add_argument("--profile", default=shacl.DEFAULT_PROFILE)
    ap.add_argument("--batch", type=int, default=shacl.BATCH, help="datasets per pyshacl run")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: as odwatch)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    root = args.corpus / "shacl" / "govdata-dcat-ap-de-validator"
    shapes = shacl.load_shapes(root, args.profile)
    g = replicated(args.corpus, args.datasets)
    print(
        f"{args.datasets} datasets, {len(g):,} triples, profile {args.profile}, batch {args.batch}, "
        f"workers {args.workers or worker_count()}"
    )

    started = time.perf_counter()
    ours: Counter = Counter()
    owned: set = set()
    graphs: list = []

    def split():  # the split goes on in this process while the workers validate
        for dg in split_catalogue(g):
            graphs.append(dg)
            yield dg

    for _row, results in validate_parallel(split(), shapes, root, args.workers, args.batch):
        ours.update(key(r) for r in results)
    t_ours = time.perf_counter() - started
    for dg in graphs:
        owned |= owned_nodes(dg)

    started = time.perf_counter()
    peer = whole_graph_keys(g, shapes, owned)
    t_peer = time.perf_counter() - started

    assert set(ours) == set(peer), "per-dataset results differ from the whole graph's"
    print(f"odwatch per dataset: {t_ours:.1f} s ({1000 * t_ours / args.datasets:.1f} ms/dataset)")
    print(f"pyshacl whole graph: {t_peer:.1f} s ({1000 * t_peer / args.datasets:.1f} ms/dataset)")
    print(f"ratio odwatch / pyshacl: {t_ours / t_peer:.2f}; results equal ({len(peer):,} distinct)")


if __name__ == "__main__":
    main()
