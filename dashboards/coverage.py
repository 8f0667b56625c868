"""What each city has and lacks of the Musterdatenkatalog, against the other cities (pure).

Rows in (:func:`warehouse.musterdaten.coverage`: per portal, the Musterdatensätze its latest
classified snapshot has), comparisons out: for every Musterdatensatz any compared city has, how
many of them have it ("24 of 40 cities publish Abfallkalender"), and for each city what it has
and what it lacks, the most common first. A class no compared city has is not called missing:
the model cannot tell "nobody publishes it" from "nobody's titles look like it".
:func:`coverage_chart` draws one city's coverage by THEMA for its page.

:func:`compare_hvd` does the same for the EU High-Value Dataset categories a city is expected
to mark (``checks.hvd.MUNICIPAL``), from :func:`warehouse.hvd.coverage`: a category is missing
when none of the city's datasets carries its ``dcatap:hvdCategory``, whatever the others do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from checks.hvd import BY_KEY, CATEGORIES, MUNICIPAL, Category
from dashboards import charts, i18n


@dataclass(frozen=True)
class Item:
    musterdatensatz: str
    thema: str | None
    bezeichnung: str | None
    cities: int  # compared cities that have it
    datasets: int = 0  # this city's datasets given it (0: lacks it)


@dataclass
class Coverage:
    portal_id: str
    run_id: str
    compared: int  # cities compared (classified latest snapshots)
    datasets: int  # datasets classified
    classified: int  # given a class
    has: list[Item] = field(default_factory=list)
    lacks: list[Item] = field(default_factory=list)

    @property
    def kinds(self) -> int:
        """Musterdatensätze this city has: the ranking's coverage figure."""
        return len(self.has)

    @property
    def seen(self) -> int:
        """Musterdatensätze any compared city has."""
        return len(self.has) + len(self.lacks)


def compare(rows: Mapping[str, dict], cities: Sequence[str]) -> dict[str, Coverage]:
    """Per city of ``cities`` with a classified snapshot in ``rows``, its :class:`Coverage`
    against all of them. Portals in ``rows`` but not in ``cities`` (regional and national
    catalogues) are left out of the comparison and the result."""
    mine = {pid: rows[pid] for pid in cities if pid in rows}
    held: Counter[str] = Counter()
    names: dict[str, tuple[str | None, str | None]] = {}
    for r in mine.values():
        for h in r["has"]:
            held[h["musterdatensatz"]] += 1
            names[h["musterdatensatz"]] = (h["thema"], h["bezeichnung"])
    order = sorted(held, key=lambda c: (-held[c], c.casefold()))
    out: dict[str, Coverage] = {}
    for pid, r in mine.items():
        counts = {h["musterdatensatz"]: h["datasets"] for h in r["has"]}
        cov = Coverage(pid, r["run_id"], len(mine), r["datasets"], r["classified"])
        for c in order:
            item = Item(c, *names[c], held[c], counts.get(c, 0))
            (cov.has if item.datasets else cov.lacks).append(item)
        out[pid] = cov
    return out


COVERAGE_THEMES = 10  # THEMA rows on a city's Musterdatenkatalog chart


def coverage_chart(lang: str, cov: Coverage | None) -> Markup:
    """Per THEMA of the Musterdatenkatalog (most kinds seen first): how many of the kinds any
    compared city publishes this city has (a dashboards.coverage.Coverage)."""
    if cov is None or not cov.seen:
        return Markup("")
    seen: dict[str, list[int]] = {}
    for has, items in ((1, cov.has), (0, cov.lacks)):
        for i in items:
            row = seen.setdefault(i.thema or i.musterdatensatz, [0, 0])
            row[0] += has
            row[1] += 1
    top = sorted(seen.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0].casefold()))
    return Markup(
        charts.hbars(
            [(t, h, n, n) for t, (h, n) in top[:COVERAGE_THEMES]],
            title=i18n.text(lang, "coverage_chart"),
            value_format=lambda v, n: i18n.text(lang, "n_of_m").format(
                n=i18n.number(v, lang), m=i18n.number(n, lang)
            ),
            color="#8250df",
        )
    )


@dataclass(frozen=True)
class HvdItem:
    category: Category
    cities: int  # compared cities with a dataset marked with it
    datasets: int = 0  # this city's datasets marked with it
    complete: int = 0  # of those, marked with the regulation too


@dataclass
class HvdCoverage:
    portal_id: str
    run_id: str
    compared: int  # cities compared (judged latest snapshots)
    datasets: int
    can_mark: int  # datasets whose platform carries the marks
    marked: int  # datasets with any mark
    problems: int  # marks DCAT-AP's HVD rules find incomplete
    items: list[HvdItem] = field(default_factory=list)  # expected categories, then any other

    @property
    def categories(self) -> int:
        """Expected categories with a marked dataset: the ranking's HVD figure."""
        return sum(1 for i in self.items if i.category.municipal and i.datasets)

    @property
    def expected(self) -> int:
        return len(MUNICIPAL)

    @property
    def lacks(self) -> list[HvdItem]:
        return [i for i in self.items if i.category.municipal and not i.datasets]


def compare_hvd(rows: Mapping[str, dict], cities: Sequence[str]) -> dict[str, HvdCoverage]:
    """Per city of ``cities`` with a judged snapshot in ``rows``, its :class:`HvdCoverage`:
    the expected categories (marked or not) and any other category it marks, each with how
    many compared cities mark it."""
    mine = {pid: rows[pid] for pid in cities if pid in rows}
    held: Counter[str] = Counter(k for r in mine.values() for k in r["categories"] if k in BY_KEY)
    out: dict[str, HvdCoverage] = {}
    for pid, r in mine.items():
        cov = HvdCoverage(pid, r["run_id"], len(mine), r["datasets"], r["can_mark"],
                          r["marked"], r["problems"])  # fmt: skip
        for c in CATEGORIES:
            got = r["categories"].get(c.key)
            if c.municipal or got:
                n, ok = (got["datasets"], got["complete"]) if got else (0, 0)
                cov.items.append(HvdItem(c, held[c.key], n, ok))
        out[pid] = cov
    return out
