"""The EU High-Value Datasets (Implementing Regulation (EU) 2023/138): its six categories and
how DCAT-AP marks a dataset as one of them (pure).

DCAT-AP 2.1.1+ and DCAT-AP.de 3.0 mark a high-value dataset with ``dcatap:hvdCategory`` (an
IRI of the EU vocabulary ``http://data.europa.eu/bna/``) and ``dcatap:applicableLegislation``
(the regulation's ELI, ``http://data.europa.eu/eli/reg_impl/2023/138/oj``); ckanext-dcat
spells them ``hvd_category`` / ``applicable_legislation``. The adapters store both as given
(``dataset_rows.hvd_categories`` / ``applicable_legislation``); :func:`mark` judges them once.

Which categories apply to a municipality: the regulation names the data, not who holds it.
Geospatial (addresses, buildings, administrative units ...), earth observation and
environment (noise, air quality, water, nature protection ...) and mobility (transport
networks) are data cities keep; meteorological, statistics (what is reported to Eurostat)
and companies (business registers) are held by national or Land bodies. Only the first three
are expected of a city (``municipal``); a mark in any of the six is read and shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

VOCABULARY = "http://data.europa.eu/bna/"
REGULATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"


@dataclass(frozen=True)
class Category:
    code: str  # the vocabulary's notation, c_...
    key: str  # odwatch's short name (downloads, page anchors)
    en: str  # the Annex's heading, as the regulation words it
    de: str  # the same in the German text of the regulation
    municipal: bool  # expected of a city (see module doc)

    @property
    def iri(self) -> str:
        return VOCABULARY + self.code


CATEGORIES: tuple[Category, ...] = (
    Category("c_ac64a52d", "geospatial", "Geospatial", "Georaum", True),
    Category(
        "c_dd313021",
        "environment",
        "Earth observation and environment",
        "Erdbeobachtung und Umwelt",
        True,
    ),
    Category("c_164e0bf5", "meteorological", "Meteorological", "Meteorologie", False),
    Category("c_e1da4e07", "statistics", "Statistics", "Statistik", False),
    Category(
        "c_a9135398",
        "companies",
        "Companies and company ownership",
        "Unternehmen und Eigentümerschaft von Unternehmen",
        False,
    ),
    Category("c_b79e35eb", "mobility", "Mobility", "Mobilität", True),
)
BY_CODE = {c.code: c for c in CATEGORIES}
BY_KEY = {c.key: c for c in CATEGORIES}
MUNICIPAL: tuple[Category, ...] = tuple(c for c in CATEGORIES if c.municipal)

_CODE = re.compile(r"^(?:https?://)?(?:www\.)?data\.europa\.eu/bna/(c_[0-9a-f]{8})/?$", re.I)
_ELI = re.compile(r"^(?:https?://)?(?:www\.)?data\.europa\.eu/eli/reg_impl/2023/138(?:/|$)", re.I)


def category_code(value: str) -> str | None:
    """The vocabulary notation (``c_ac64a52d``) of a category IRI in any spelling seen
    (``http``/``https``, ``www.``, a trailing slash, the bare notation), else None."""
    v = value.strip()
    if re.fullmatch(r"c_[0-9a-fA-F]{8}", v):
        return v.lower()
    m = _CODE.match(v)
    return m.group(1).lower() if m else None


def cites_regulation(values: Iterable[str]) -> bool:
    """Whether ``applicableLegislation`` names Regulation 2023/138 (any language version)."""
    return any(_ELI.match(v.strip()) for v in values)


@dataclass(frozen=True)
class Mark:
    """One dataset's HVD mark, judged."""

    categories: tuple[str, ...]  # keys of CATEGORIES it is marked with
    unknown: tuple[str, ...]  # category values that are not a top-level category
    regulation: bool  # applicableLegislation names 2023/138

    @property
    def marked(self) -> bool:
        return bool(self.categories or self.unknown or self.regulation)

    @property
    def problem(self) -> str | None:
        """What DCAT-AP's HVD rules miss in the mark: both properties are required together."""
        if not self.marked:
            return None
        if not self.regulation:
            return "no_regulation"  # a category without applicableLegislation 2023/138
        if not self.categories and not self.unknown:
            return "no_category"  # the regulation without a category
        if self.unknown and not self.categories:
            return "unknown_category"
        return None


def mark(categories: Iterable[str] | None, legislation: Iterable[str] | None) -> Mark:
    """Judge a dataset's stored ``hvd_categories`` and ``applicable_legislation``."""
    known: list[str] = []
    unknown: list[str] = []
    for value in categories or ():
        code = category_code(value)
        cat = BY_CODE.get(code or "")
        if cat:
            known.append(cat.key)
        elif value.strip():
            # a sub-category or a typo: kept as written (the vocabulary is not recorded here)
            unknown.append(value.strip())
    order = [c.key for c in CATEGORIES]
    return Mark(
        tuple(sorted(set(known), key=order.index)),
        tuple(sorted(set(unknown))),
        cites_regulation(legislation or ()),
    )
