"""Which Musterdatensatz a dataset is: the nearest hand-labelled municipal dataset (issue 18).

The Musterdatenkatalog (Bertelsmann Stiftung / KGSt, CC0) names the kinds of data a German
municipality can be expected to publish ("Abfallwirtschaft - Abfallkalender"). Its 2,434
hand-labelled real datasets (``labelled_datasets_dev.csv``, read at run time from
``$ODWATCH_MUSTERDATENKATALOG``) are the model: a dataset's title, keywords, themes and the
start of its description become a TF-IDF vector of character n-grams within words (German
compounds: "Müllabfuhrtermine" shares "abfuhr" and "termin" with "Abfuhrtermine"), so does its
title alone, and the dataset takes the class of its most similar labelled example, or of a
class's own name, when the mean of the two cosine similarities reaches the threshold; below it, or nearest to an example labelled
with no class, it is none. Precision is worth more than recall here (a wrong "you have it"
hides a gap; a wrong "you lack it" only under-counts), so the threshold is set for precision:
``bench/bench_musterdaten.py`` measures both on held-out labelled datasets.

The classes are the labels of that file (an older edition of the taxonomy than the 241 of
``Musterdatenkatalog_Informationstabelle.csv``: 294 classes, 207 of its rows' names match
today's list). Every verdict keeps its evidence: the words it shares with the example or class
name it matched, and that example's title and city.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELLED = "labelled_datasets_dev.csv"
THRESHOLD = 0.5  # cosine similarity; bench/bench_musterdaten.py: precision vs recall by threshold
DESCRIPTION_CHARS = 300  # of a description: its start says what it is, the rest dilutes
BATCH = 2_000  # datasets per similarity block (BATCH x examples floats)

_STOP = frozenset(
    "der die das und oder für von vom im in zu zur zum mit des den dem ein eine einer eines "
    "auf aus bei nach über unter als an am ist sind wird werden nicht auch sowie bzw alle "
    "stadt landeshauptstadt gemeinde kreis daten datensatz the of and".split()
)
_WORD = re.compile(r"[a-z]+")


# what a dataset is classified by: title, description, keywords, themes
Fields = tuple[str | None, str | None, Iterable[str] | None, Iterable[str] | None]


class MusterdatenError(Exception):
    """The labelled datasets could not be read: one line naming the file."""


def reference_dir() -> Path:
    """``$ODWATCH_MUSTERDATENKATALOG``, else ``../shared/corpus/reference/musterdatenkatalog``
    beside the repository."""
    env = os.environ.get("ODWATCH_MUSTERDATENKATALOG")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "corpus" / "reference" / "musterdatenkatalog"


@dataclass(frozen=True)
class Example:
    """One hand-labelled dataset; ``label`` '' when its labeller gave it no class."""

    title: str
    description: str
    themes: tuple[str, ...]
    label: str
    thema: str
    bezeichnung: str
    city: str
    identifier: str


@dataclass(frozen=True)
class Reference:
    examples: tuple[Example, ...]
    source: Path | None
    sha256: str


@dataclass(frozen=True)
class Verdict:
    """``label`` None: no class reached the threshold (``score`` is still the best seen)."""

    label: str | None
    score: float
    evidence: tuple[str, ...]  # words shared with what it matched
    like: str  # the labelled title or class name it matched, and the city


def load_reference(root: Path | None = None) -> Reference:
    path = (root or reference_dir()) / LABELLED
    if not path.is_file():
        raise MusterdatenError(
            f"{path}: the Musterdatenkatalog's labelled datasets not found; "
            "set ODWATCH_MUSTERDATENKATALOG to the folder holding it"
        )
    data = path.read_bytes()
    try:
        reader = csv.DictReader(data.decode("utf-8-sig").splitlines())
        need = {"dct:title", "MUSTERDATENSATZ", "THEMA", "BEZEICHNUNG", "dct:description"}
        missing = need - set(reader.fieldnames or ())
        if missing:
            raise MusterdatenError(f"{path}: columns {sorted(missing)} missing")
        examples = tuple(_example(r) for r in reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MusterdatenError(f"{path}: cannot read it as UTF-8 CSV: {exc}") from None
    if not any(e.label for e in examples):
        raise MusterdatenError(f"{path}: no labelled rows in it")
    return Reference(examples, path, hashlib.sha256(data).hexdigest())


def _example(r: dict) -> Example:
    theme = (r.get("dcat:theme") or "").strip()
    return Example(
        title=(r.get("dct:title") or "").strip(),
        description=(r.get("dct:description") or "").strip(),
        themes=(theme,) if theme else (),
        label=(r.get("MUSTERDATENSATZ") or "").strip(),
        thema=(r.get("THEMA") or "").strip(),
        bezeichnung=(r.get("BEZEICHNUNG") or "").strip(),
        city=(r.get("ORG") or "").strip(),
        identifier=(r.get("dct:identifier") or "").strip(),
    )


def normalise(text: str) -> str:
    """Lower case, ß -> ss, accents and umlaut dots dropped, digits and punctuation to
    spaces (a year or a number says nothing about the kind of data)."""
    text = text.lower().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text))


def words(text: str) -> list[str]:
    return [w for w in normalise(text).split() if len(w) > 2 and w not in _STOP]


def document(
    title: str | None,
    description: str | None = None,
    keywords: Iterable[str] | None = (),
    themes: Iterable[str] | None = (),
) -> str:
    """The text a dataset is compared by: the title twice (it says most), keywords, themes and
    the start of the description."""
    title = title or ""
    parts = [title, title, " ".join(keywords or ()), " ".join(themes or ())]
    parts.append((description or "")[:DESCRIPTION_CHARS])
    return normalise(" ".join(parts))


def _class_name(e: Example) -> str:
    return normalise(f"{e.bezeichnung} {e.bezeichnung} {e.thema}")


class Classifier:
    """Nearest labelled example (or class name) by TF-IDF cosine, above a threshold."""

    def __init__(self, reference: Reference, threshold: float = THRESHOLD):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.threshold = threshold
        self.reference = reference
        ex = [e for e in reference.examples if e.title]
        names = {e.label: e for e in ex if e.label}
        # a class's own name is an example too: a class seen once still has two to match
        self._labels = [e.label for e in ex] + list(names)
        self._likes = [f"{e.title} ({e.city})" if e.city else e.title for e in ex] + [
            f"{label} (class name)" for label in names
        ]
        texts = [document(e.title, e.description, (), e.themes) for e in ex]
        texts += [_class_name(e) for e in names.values()]
        titles = [document(e.title) for e in ex] + [
            normalise(e.bezeichnung) for e in names.values()
        ]
        self._texts = texts
        self._vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1, dtype=np.float32
        )
        both = self._vec.fit_transform(texts + titles)
        self._matrix, self._titles = both[: len(texts)].T.tocsr(), both[len(texts) :].T.tocsr()
        self.classes = tuple(sorted(names))
        self.meta = {e.label: (e.thema, e.bezeichnung) for e in names.values()}

    @property
    def fingerprint(self) -> str:
        spec = f"{self.reference.sha256}|{self.threshold}|{DESCRIPTION_CHARS}|char_wb3-5|mean2"
        return hashlib.sha256(spec.encode()).hexdigest()[:16]

    def classify(self, datasets: Sequence[Fields]) -> list[Verdict]:
        """One verdict per dataset given as (title, description, keywords, themes): the mean
        of two cosine similarities, of :func:`document` texts and of titles alone (a short
        title such as "Apotheken" is not drowned by a long description)."""
        out: list[Verdict] = []
        for start in range(0, len(datasets), BATCH):
            block = datasets[start : start + BATCH]
            docs = [document(*d) for d in block]
            full = self._vec.transform(docs) @ self._matrix
            title = self._vec.transform([document(d[0]) for d in block]) @ self._titles
            sims = full.toarray()  # dense: sparse arithmetic on these near-full blocks is slower
            sims += title.toarray()
            sims *= 0.5  # the mean; halving a float is exact, as (full + title) / 2 was
            best = sims.argmax(axis=1)
            for text, row, j in zip(docs, sims, best, strict=True):
                score = float(row[j])
                label = self._labels[j]
                hit = label if label and score >= self.threshold else None
                shared = _shared(text, self._texts[j])
                out.append(Verdict(hit, round(score, 4), shared, self._likes[j]))
        return out


def _shared(text: str, other: str) -> tuple[str, ...]:
    """The dataset's words also in what it matched: the same word, the same first five letters
    (Abfuhrtermine ~ Abfuhrplan) or one inside the other (Altglascontainer ~ Container);
    longest first, at most six."""
    mine = [w for w in dict.fromkeys(text.split()) if len(w) > 2 and w not in _STOP]
    theirs = {w for w in other.split() if len(w) > 2 and w not in _STOP}
    stems = {w[:5] for w in theirs if len(w) >= 5}
    long = [w for w in theirs if len(w) >= 5]

    def near(w: str) -> bool:
        if w in theirs or (len(w) >= 5 and w[:5] in stems):
            return True
        return any(t in w for t in long) or (len(w) >= 5 and any(w in t for t in long))

    hit = [w for w in mine if near(w)]
    return tuple(sorted(hit, key=len, reverse=True)[:6])
