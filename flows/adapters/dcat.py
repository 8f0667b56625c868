"""DCAT-AP (and DCAT-AP.de) catalogues: RDF/XML, Turtle, JSON-LD, N-Triples; Hydra paging.

Fetch half: `fetch_dcat()` GETs the catalogue URL (`portal.url`, e.g. a ckanext-dcat
`catalog.rdf` or an Opendatasoft DCAT export), follows `hydra:nextPage` (or `hydra:next`)
until the last page, and hands every answer to `on_page`. Each page is read on its own by
`rdfpage.read_page()` into one JSON record per dataset and dropped, so memory follows the
page size, not the catalogue. Hydra links that name another host than the one answering
(ckanext-dcat behind a proxy often writes its internal or http:// address) are followed on
the answering host, with a warning. A page that fails (after retries) fails the harvest.
Incremental (`since=`, `known=`): page 1 for the catalogue's `hydra:totalItems`, then
ckanext-dcat's `modified_since` listing of the changes; the count shows whether anything
was deleted, and if so the rest of the catalogue is read as in a full harvest.

The parse half, `parse_dcat_dataset()`, is in `flows.adapters.dcat_parse`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from flows.adapters.dcat_parse import dataset_id_of, label, ref
from flows.adapters.errors import PortalIncompatible
from flows.adapters.pages import DEFAULT_TIMEOUT, get_page, snippet
from flows.adapters.rdfpage import DcatPage, rdf_format, read_page
from flows.adapters.records import HarvestStats, Response
from flows.adapters.source import Source

ACCEPT = (
    "application/rdf+xml, text/turtle;q=0.9, application/ld+json;q=0.8, "
    "application/n-triples;q=0.7, application/xml;q=0.5, */*;q=0.1"
)
MAX_PAGES = 10_000


def in_organization(record: dict, organization: str) -> bool:
    """Does a dataset belong to `organization` on a shared catalogue? Matched against
    dcatde:contributorID, the publisher's URI or name (whole value or last path segment)."""
    want = organization.strip().lower()
    candidates = []
    for key in ("dcatde:contributorID", "dct:publisher"):
        for v in record.get(key) or []:
            candidates.append(ref(v))
            candidates.append(label(v) if isinstance(v, dict) else None)
    for c in candidates:
        if c and (c.lower() == want or c.rstrip("/").rsplit("/", 1)[-1].lower() == want):
            return True
    return False


def _rebase(link: str, answered: str) -> tuple[str, bool]:
    """Resolve a Hydra link against the page that answered; keep the answering host."""
    url = urljoin(answered, link)
    a, b = urlsplit(answered), urlsplit(url)
    if (a.scheme, a.netloc) == (b.scheme, b.netloc):
        return url, False
    return urlunsplit((a.scheme, a.netloc, b.path, b.query, "")), True


# ---------------------------------------------------------------- fetch half


def _key(record: dict) -> str:
    """What makes two records of one harvest the same dataset: its URI, else its content."""
    return record.get("@id") or json.dumps(record, sort_keys=True)


def modified_since_param(since: datetime) -> str:
    """`since` as ckanext-dcat's `modified_since` wants it: UTC, to the second, no offset.

    ckanext-dcat appends the Z itself (`dateutil.parse(value).isoformat() + 'Z'`); a value
    with an offset would become `...+00:00Z`, an invalid Solr date. Cut to the second, the
    window only grows."""
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _with_param(url: str, key: str, value: str) -> str:
    """`url` with `key=value` in its query (replacing any `key`), other parameters kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    return urlunsplit(parts._replace(query=urlencode([*query, (key, value)])))


class _Reader:
    """GETs and reads the catalogue pages of one harvest (all its listings)."""

    def __init__(
        self,
        session: requests.Session,
        on_page: Callable[[Response], None],
        stats: HarvestStats,
        timeout: float | tuple[float, float],
        retries: int,
        max_bytes: int,
    ):
        self.session, self.on_page, self.stats = session, on_page, stats
        self.timeout, self.retries, self.max_bytes = timeout, retries, max_bytes
        self.rebased_warned = False  # the Hydra-host warning is given once per harvest

    def read(self, url: str, first: bool) -> tuple[str, DcatPage]:
        """GET one page -> (the URL that answered, the page read); named errors if not DCAT."""
        page = get_page(
            self.session,
            url,
            self.on_page,
            self.stats,
            timeout=self.timeout,
            accept=ACCEPT,
            retries=self.retries,
            max_bytes=self.max_bytes,
        )
        answered = page.response.url
        fmt = rdf_format(page.response.content_type, answered, page.content)
        if fmt is None:
            raise PortalIncompatible(
                f"{answered}: expected a DCAT catalogue (RDF/XML, Turtle, JSON-LD), got "
                f"{page.response.content_type or 'no content type'}: '{snippet(page.response.body)}'"
            )
        try:
            parsed = read_page(page.content, fmt, answered)
        except ValueError as exc:
            raise PortalIncompatible(f"{answered}: not a readable {fmt} page ({exc})") from None
        if first and not parsed.datasets and not parsed.has_catalog:
            hint = (
                f"; its @context is remote ({parsed.remote_contexts[0]}): a data.json "
                "catalogue? use platform 'datajson'"
                if parsed.remote_contexts
                else ""
            )
            raise PortalIncompatible(
                f"{answered}: no dcat:Catalog or dcat:Dataset in this {fmt} "
                f"({parsed.triples} triples){hint}"
            )
        return answered, parsed


class _Listing:
    """The pages of one listing, from `url` along its Hydra next links to the last page.

    Links naming another host are followed on the answering host (with a warning). Paging
    stops, with a warning, on a link back to a page already read, on a page holding only
    datasets this listing already had (a server ignoring `page`), or after MAX_PAGES;
    `complete` then stays False."""

    def __init__(self, reader: _Reader, url: str):
        self.reader, self.url = reader, url
        self.complete = False

    def __iter__(self) -> Iterator[DcatPage]:
        stats = self.reader.stats
        url = self.url
        seen_pages: set[str] = set()
        listed: set[str] = set()
        for number in range(1, MAX_PAGES + 1):
            seen_pages.add(url)
            answered, parsed = self.reader.read(url, first=number == 1)
            keys = {_key(r) for r in parsed.datasets}
            if number > 1 and keys and keys <= listed:
                stats.warnings.append(
                    f"page {number} ({answered}) repeated earlier datasets only; stopped paging"
                )
                return
            listed |= keys
            yield parsed
            if not parsed.hydra.next:
                break
            next_url, rebased = _rebase(parsed.hydra.next, answered)
            last_url = _rebase(parsed.hydra.last, answered)[0] if parsed.hydra.last else None
            if rebased and not self.reader.rebased_warned:
                self.reader.rebased_warned = True
                stats.warnings.append(
                    f"Hydra links name {urlsplit(urljoin(answered, parsed.hydra.next)).netloc}; "
                    f"followed on {urlsplit(answered).netloc}"
                )
            if answered == last_url or url == last_url:
                break
            if next_url in seen_pages:
                stats.warnings.append(f"Hydra nextPage loops back to {next_url}; stopped paging")
                return
            url = next_url
        else:
            stats.warnings.append(f"stopped after {MAX_PAGES} pages")
            return
        self.complete = True


def fetch_dcat(
    portal: Source,
    session: requests.Session,
    on_page: Callable[[Response], None],
    stats_out: list[HarvestStats] | None = None,
    *,
    since: datetime | None = None,
    known: Iterable[str] | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 2,
) -> Iterator[list[dict]]:
    """Yield each catalogue page's new dataset records; `stats_out` receives the stats.

    With `since` and `known` (the previous snapshot's dataset ids), only what changed is
    fetched where the catalogue allows it: ckanext-dcat's endpoints take
    `modified_since=<ISO date>` and list, Hydra-paged, the datasets modified since then.
    Such a listing cannot show deletions, so the count decides: page 1 of the unfiltered
    catalogue is read first (its datasets are kept) for `hydra:totalItems` T, then the
    changed pages; if `known` plus the ids fetched make exactly T, nothing was deleted
    and `stats.current` lists them all (mode "incremental", the caller carries the
    unchanged forward). Otherwise the rest of the unfiltered catalogue is read (from page
    1's next link) = a full harvest, with a warning naming the counts.

    The check is exact as long as every dataset new since the last harvest is in the
    changed listing (CKAN sets metadata_modified on creation): new datasets N, deleted D,
    then known + fetched = K + N while T = K - D + N. It is fooled only where datasets
    appear without a recent modification date (a server filtering on a publisher's
    dct:modified) exactly as many as were deleted, or by a count that lies (a stale
    search index); deletions between page 1 and the changed listing surface next time.
    `full_every` is the backstop: every n-th harvest is full and resets the snapshot.

    Harvested in full (mode "full"): without `since`/`known`; for an `organization` on a
    shared catalogue (its totals are not the organisation's); when page 1 is the whole
    catalogue (no totalItems or no next link: nothing to save); when the filtered listing
    reports T too (filter ignored, or everything changed: its pages are the full listing);
    when the filter is refused or garbled (4xx, not RDF), or its paging breaks off. A
    portal that cannot be reached (connection, 5xx, 429) or refuses us fails as without
    `since`.
    """
    stats = HarvestStats(method="dcat")
    if stats_out is not None:
        stats_out.append(stats)
    reader = _Reader(session, on_page, stats, timeout, retries, portal.max_response_bytes)
    seen: set[str] = set()

    def fresh(parsed: DcatPage) -> list[dict]:
        out = []
        for record in parsed.datasets:
            key = _key(record)
            if key not in seen:
                seen.add(key)
                out.append(record)
        if portal.organization:
            out = [r for r in out if in_organization(r, portal.organization)]
        return out

    def counted(parsed: DcatPage) -> DcatPage:
        """A page of the unfiltered catalogue: its totalItems is the catalogue's size."""
        if parsed.hydra.total is not None:
            stats.expected_count = parsed.hydra.total
            stats.method = "dcat+hydra"
        return parsed

    rest: Iterator[DcatPage] = iter(_Listing(reader, portal.url))
    if since is not None and known is not None and not portal.organization:
        first = counted(next(rest))
        if batch := fresh(first):
            yield batch
        if first.hydra.total is not None and first.hydra.next:
            changes = _Listing(
                reader, _with_param(portal.url, "modified_since", modified_since_param(since))
            )
            outcome = yield from _changes(changes, first, set(known), fresh, stats)
            if outcome == "incremental":
                return
            if outcome == "listed":
                rest = iter(())
    for parsed in rest:
        if batch := fresh(counted(parsed)):
            yield batch
    if not portal.organization and stats.expected_count and len(seen) < stats.expected_count:
        stats.warnings.append(
            f"catalogue reports {stats.expected_count} datasets, harvested {len(seen)}"
        )


def _changes(
    changes: _Listing,
    first: DcatPage,
    known: set[str],
    fresh: Callable[[DcatPage], list[dict]],
    stats: HarvestStats,
) -> Generator[list[dict], None, str]:
    """Yield the new records of the changed listing; then judge by the count (see
    fetch_dcat): "incremental" (stats.current set), "listed" (the filter was ignored: the
    listing was the full one) or "full" (the rest of the catalogue is still to be read)."""
    total = first.hydra.total
    ids = {dataset_id_of(r) for r in first.datasets}
    keys: set[str] = set()
    reported: int | None = None
    try:
        for number, parsed in enumerate(changes, 1):
            if number == 1:
                reported = parsed.hydra.total  # ckanext-dcat: none if nothing changed
            keys |= {_key(r) for r in parsed.datasets}
            ids |= {dataset_id_of(r) for r in parsed.datasets}
            if batch := fresh(parsed):
                yield batch
    except PortalIncompatible as exc:  # the filter refused (400, 409 ...) or garbled
        reason = str(exc)
    else:
        if reported == total:
            stats.warnings.append(
                f"incremental harvest impossible (modified_since listing reports all {total} "
                "datasets: filter ignored, or everything changed); harvested in full"
            )
            return "listed"
        if not changes.complete or len(keys) < (reported or 0):
            of = reported if reported is not None else "?"
            reason = f"modified_since listing incomplete: {len(keys)} of {of} datasets"
        elif len(union := known | ids) == total:
            stats.mode, stats.current, stats.expected_count = "incremental", sorted(union), total
            return "incremental"
        else:
            reason = (
                f"catalogue reports {total} datasets, the previous snapshot's {len(known)} "
                f"and {len(ids - known)} new make {len(union)}"
            )
    stats.warnings.append(f"incremental harvest impossible ({reason}); harvested in full")
    return "full"
