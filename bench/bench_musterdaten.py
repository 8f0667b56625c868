"""Precision and recall of the Musterdatensatz classifier (checks/musterdaten.py) on held-out
hand-labelled datasets of the Musterdatenkatalog (issue 18).

Two splits of ``labelled_datasets_dev.csv``, both fixed (the figures reproduce exactly):

- *held-out 20 %*: the rows whose ``dct:identifier`` hashes into the last fifth, classified
  by a model of the other 80 %;
- *unseen city*: each city's rows classified by a model of all other cities' rows (41 folds):
  what odwatch meets when it harvests a city the labellers never saw.

Baseline, on the same splits: label matching (a class whose name's words all occur in the
dataset's text). Precision: of the datasets given a class, the share given the right one (and the share given
one of the right THEMA, the part before " - "). Recall: of the datasets with a class, the share
found. Per threshold, then the worst classes at the default
threshold with what they were taken for.

    python bench/bench_musterdaten.py [--reference DIR] [--thresholds 0.3 0.4 0.5 0.6 0.7]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checks.musterdaten import (  # noqa: E402
    THRESHOLD,
    Classifier,
    Example,
    Reference,
    document,
    load_reference,
    words,
)


def _held_out(e: Example) -> bool:
    key = e.identifier or e.title
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 5 == 4


def _predict(train: list[Example], test: list[Example], ref: Reference) -> list[tuple]:
    """(truth, predicted label ignoring the threshold, score) per test example."""
    clf = Classifier(replace(ref, examples=tuple(train)), threshold=0.0)
    fields = [(e.title, e.description, (), e.themes) for e in test]
    return [(e.label, v.label, v.score) for e, v in zip(test, clf.classify(fields), strict=True)]


def _label_match(train: list[Example], test: list[Example]) -> list[tuple]:
    """The baseline: a class whose name's words (BEZEICHNUNG, 5-letter prefixes) all occur in
    the dataset's text; the most specific (most words) wins; score 1 when one matched."""
    names: dict[str, set[str]] = {}
    for e in train:
        if e.label and e.bezeichnung:
            names[e.label] = {w[:5] for w in words(e.bezeichnung)}
    out = []
    for e in test:
        have = {w[:5] for w in words(document(e.title, e.description, (), e.themes))}
        hits = [(len(ws), label) for label, ws in names.items() if ws and ws <= have]
        best = max(hits) if hits else None
        out.append((e.label, best[1] if best else None, 1.0 if best else 0.0))
    return out


def _scores(pairs: list[tuple], threshold: float) -> dict:
    given = [(t, p) for t, p, s in pairs if p and s >= threshold]
    right = sum(1 for t, p in given if t == p)
    same_thema = sum(1 for t, p in given if t.split(" - ")[0] == p.split(" - ")[0])
    labelled = sum(1 for t, _, _ in pairs if t)
    return {
        "given": len(given),
        "precision": right / len(given) if given else 0.0,
        "thema": same_thema / len(given) if given else 0.0,
        "recall": right / labelled if labelled else 0.0,
    }


def _worst(pairs: list[tuple], threshold: float, keep: int = 8) -> list[str]:
    wrong_as: dict[str, Counter] = defaultdict(Counter)  # truth -> what it was taken for
    support, false_pos = Counter(), Counter()
    for t, p, s in pairs:
        got = p if p and s >= threshold else "(none)"
        if t:
            support[t] += 1
        if got != t:
            wrong_as[t or "(no class)"][got] += 1
            if got != "(none)":
                false_pos[got] += 1
    worst = sorted(wrong_as, key=lambda c: -sum(wrong_as[c].values()))[:keep]
    lines = []
    for c in worst:
        errs = sum(wrong_as[c].values())
        taken = ", ".join(f"{k} {n}" for k, n in wrong_as[c].most_common(3))
        lines.append(f"| {c} | {support[c]} | {errs} | {false_pos[c]} | {taken} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=None)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7])
    args = ap.parse_args()
    ref = load_reference(args.reference)
    examples = [e for e in ref.examples if e.title]
    t0 = time.perf_counter()
    held = _predict([e for e in examples if not _held_out(e)], [e for e in examples if _held_out(e)], ref)  # fmt: skip
    held_base = _label_match([e for e in examples if not _held_out(e)], [e for e in examples if _held_out(e)])  # fmt: skip
    cities = sorted({e.city for e in examples})
    unseen: list[tuple] = []
    unseen_base: list[tuple] = []
    for city in cities:
        test = [e for e in examples if e.city == city]
        train = [e for e in examples if e.city != city]
        unseen += _predict(train, test, ref)
        unseen_base += _label_match(train, test)
    took = time.perf_counter() - t0
    print(f"{ref.source} ({ref.sha256[:12]}): {len(examples)} labelled datasets, "
          f"{len({e.label for e in examples if e.label})} classes, {len(cities)} cities; "
          f"{took:.1f} s for both splits")  # fmt: skip
    for name, pairs, base in (("held-out 20 %", held, held_base), ("unseen city", unseen, unseen_base)):  # fmt: skip
        print(f"\n{name}: {len(pairs)} datasets classified")
        print("| threshold | given a class | precision | precision of THEMA | recall |")
        print("|---:|---:|---:|---:|---:|")
        b = _scores(base, 0.5)
        print(f"| baseline: class-name words | {b['given']} | {b['precision']:.3f} | "
              f"{b['thema']:.3f} | {b['recall']:.3f} |")  # fmt: skip
        for th in args.thresholds:
            s = _scores(pairs, th)
            mark = " (default)" if th == THRESHOLD else ""
            print(f"| {th:.2f}{mark} | {s['given']} | {s['precision']:.3f} | "
                  f"{s['thema']:.3f} | {s['recall']:.3f} |")  # fmt: skip
    odd = "Bau - Bauzeichnung"  # one city's label for what the others call Bebauungspläne
    s = _scores([p for p in unseen if p[0] != odd], THRESHOLD)
    print(f"\nunseen city without the {sum(p[0] == odd for p in unseen)} rows labelled {odd}: "
          f"{s['given']} given a class, precision {s['precision']:.3f}, recall {s['recall']:.3f}")  # fmt: skip
    print(f"\nworst classes, unseen city, threshold {THRESHOLD}:")
    print("| class (truth) | datasets | wrong | others taken for it | taken for (top 3) |")
    print("|---|---:|---:|---:|---|")
    for line in _worst(unseen, THRESHOLD):
        print(line)


if __name__ == "__main__":
    main()
