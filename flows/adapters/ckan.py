"""CKAN (and DKAN) adapter on ckanapi.RemoteCKAN.

Fetch half: `harvest_ckan()` pages through `package_search` (stable sort, rows up to 1000,
shrinking on 5xx and growing back, Retry-After honoured by the session), checks what it got
against the portal's `count`, and falls back to `package_list` + `package_show` where search
is missing or broken (DKAN serves only that subset). Every response body is handed to
`on_page` so the warehouse keeps it.

The action client (capped reads, raw responses kept, named errors) is in
`flows.adapters.ckan_client`; the parse half, `parse_package()`, in `flows.adapters.ckan_parse`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import requests
from ckanapi.errors import NotFound

from flows.adapters.ckan_client import CkanClient, SearchBroken, ServerError
from flows.adapters.errors import PortalError, PortalIncompatible, PortalUnavailable, snippet
from flows.adapters.fields import utc_stamp
from flows.adapters.records import HarvestStats, Response
from flows.adapters.source import Source

MAX_ROWS = 1000
SORT = "metadata_created asc, name asc"  # new datasets land at the end: paging does not shift
MAX_SERVER_ERRORS = 8  # consecutive 5xx/timeouts before giving up on package_search
SHOW_BATCH = 100  # package_show results handed on in batches of this size


class _ListBroken(Exception):
    """package_list is unusable, so deletions cannot be seen: harvest in full."""


def harvest_ckan(
    portal: Source,
    session: requests.Session,
    on_page: Callable[[Response], None],
    stats_out: list[HarvestStats] | None = None,
    *,
    since: datetime | None = None,
    known: Iterable[str] | None = None,
    timeout: float | tuple[float, float] = (10.0, 120.0),
) -> Iterator[list[dict]]:
    """Yield batches of distinct package dicts; `stats_out` receives the HarvestStats.

    With `since`, only the packages modified since then are fetched (package_search with
    fq=metadata_modified:[since TO *]) plus package_list, whose names end up in
    `stats.current` so the caller can carry the unchanged ones forward and drop the deleted
    ones. Where that is impossible (DKAN, search or package_list broken) it harvests in
    full and says so in `stats.mode`. `known` is not needed (package_list shows deletions).
    """
    client = CkanClient(portal, session, on_page, timeout=timeout)
    if stats_out is not None:
        stats_out.append(client.stats)
    seen_ids: set[str] = set()
    seen_names: set[str] = set()

    def fresh(packages: list[dict]) -> list[dict]:
        out = []
        for pkg in packages:
            if not isinstance(pkg, dict):
                raise PortalIncompatible(
                    f"{portal.url}: a package is not a JSON object: {snippet(repr(pkg))}"
                )
            key = str(pkg.get("id") or pkg.get("name"))
            if key in seen_ids:
                continue
            seen_ids.add(key)
            if pkg.get("name"):
                seen_names.add(pkg["name"])
            out.append(pkg)
        return out

    if portal.platform != "dkan":
        try:
            if since is not None:
                try:
                    yield from _changed_since(client, portal, fresh, since)
                    return
                except _ListBroken as exc:  # changes known, deletions not: search everything
                    client.stats.warnings.append(
                        f"incremental harvest impossible ({exc}); harvested in full"
                    )
                    client.stats.mode = "full"
            for batch in _search_pages(client, portal):
                batch = fresh(batch)
                if batch:
                    yield batch
        except SearchBroken as exc:
            client.stats.mode, client.stats.expected_count = "full", None
            client.stats.warnings.append(
                f"package_search unusable ({exc}); used package_list + package_show"
            )
            client.stats.method = "package_list"
            try:
                yield from _list_and_show(client, portal, fresh, seen_names)
            except PortalError as fallback_exc:
                raise type(fallback_exc)(f"{fallback_exc}; before that, {exc}") from fallback_exc
            return
        expected = client.stats.expected_count or 0
        if len(seen_ids) < expected:
            short = expected - len(seen_ids)
            client.stats.method = "package_search+package_show"
            for batch in _list_and_show(client, portal, fresh, seen_names):
                yield batch
            if len(seen_ids) < expected:
                client.stats.warnings.append(
                    f"portal reports {expected} datasets, harvested {len(seen_ids)} "
                    f"({short} missing after paging; package_list could not fill all)"
                )
        return
    client.stats.method = "package_list"
    yield from _list_and_show(client, portal, fresh, seen_names)


def changed_since_fq(since: datetime) -> str:
    """The Solr filter for packages modified at or after `since` (UTC)."""
    return f"metadata_modified:[{utc_stamp(since)} TO *]"


def in_organization(pkg: dict, organization: str) -> bool:
    """Does a package belong to `organization` (its name or id, as fq=organization: takes)?"""
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    return organization in (org.get("name"), org.get("id"), pkg.get("owner_org"))


def _changed_since(
    client: CkanClient, portal: Source, fresh, since: datetime
) -> Iterator[list[dict]]:
    """The packages modified since `since`, then package_list for what the portal holds now.

    With an organisation filter the changes are asked for portal-wide (a package moved to
    another organisation no longer matches fq=organization:..., but its move changed it):
    the organisation's changed packages are yielded, the others' names are left out of
    `stats.current` so that none of them is carried forward."""
    client.stats.mode = "incremental"
    elsewhere: set[str] = set()
    org = portal.organization
    for batch in _search_pages(client, portal, fq=changed_since_fq(since), organization=not org):
        if org:
            elsewhere.update(
                str(p.get("name") or p.get("id"))
                for p in batch
                if isinstance(p, dict) and not in_organization(p, org)
            )
            batch = [p for p in batch if not isinstance(p, dict) or in_organization(p, org)]
        batch = fresh(batch)
        if batch:
            yield batch
    try:
        names = client.call("package_list", {})
    except (NotFound, SearchBroken, PortalIncompatible) as exc:
        raise _ListBroken(f"package_list unusable: {exc}") from exc
    except ServerError as exc:
        raise PortalUnavailable(str(exc)) from None
    if not isinstance(names, list):
        raise _ListBroken("package_list did not return a list")
    client.stats.current = [n for n in names if isinstance(n, str) and n not in elsewhere]
    # the portal's count is the organisation's only without an organisation filter
    client.stats.expected_count = None if org else len(client.stats.current)


def _search_pages(
    client: CkanClient, portal: Source, fq: str | None = None, organization: bool = True
) -> Iterator[list[dict]]:
    max_rows = min(portal.page_size, MAX_ROWS)
    rows, start, errors = max_rows, 0, 0
    params: dict[str, Any] = {"q": "*:*", "sort": SORT}
    if portal.organization and organization:
        params["fq"] = f'organization:"{portal.organization}"'
    if fq:
        params["fq"] = f"{params['fq']} AND {fq}" if "fq" in params else fq
    while True:
        try:
            result = client.call("package_search", {**params, "start": start, "rows": rows})
        except ServerError as exc:
            errors += 1
            if errors > MAX_SERVER_ERRORS:
                if start == 0:
                    raise SearchBroken(
                        f"package_search failed {errors} times in a row, last: {exc}"
                    ) from None
                raise PortalUnavailable(
                    f"{portal.url}: package_search failed {errors} times in a row at offset {start}, last: {exc}"
                ) from None
            rows = max(1, rows // 3)
            continue
        except NotFound as exc:
            raise SearchBroken(f"package_search not found: {exc}") from exc
        errors = 0
        if not isinstance(result, dict) or not isinstance(result.get("results"), list):
            raise PortalIncompatible(f"{portal.url}: package_search result has no 'results' list")
        count = result.get("count")
        if isinstance(count, int):
            client.stats.expected_count = max(count, client.stats.expected_count or 0)
        results = result["results"]
        if results:
            yield results
        start += len(results)
        if not results or (isinstance(count, int) and start >= count):
            return
        rows = min(max_rows, rows * 2)


def _list_and_show(
    client: CkanClient, portal: Source, fresh, seen_names: set[str]
) -> Iterator[list[dict]]:
    if portal.organization:
        try:
            org = client.call(
                "organization_show", {"id": portal.organization, "include_datasets": True}
            )
        except NotFound:
            raise PortalError(
                f"{portal.url}: organisation '{portal.organization}' not found"
            ) from None
        except SearchBroken as exc:
            raise PortalIncompatible(str(exc)) from None
        except ServerError as exc:
            raise PortalUnavailable(str(exc)) from None
        names = [
            p.get("name") or p.get("id") for p in org.get("packages", []) if isinstance(p, dict)
        ]
    else:
        try:
            names = client.call("package_list", {})
        except (NotFound, SearchBroken) as exc:
            raise PortalIncompatible(
                f"{portal.url}: neither package_search nor package_list works ({exc})"
            ) from None
        except ServerError as exc:
            raise PortalUnavailable(str(exc)) from None
    if not isinstance(names, list):
        raise PortalIncompatible(f"{portal.url}: package_list did not return a list")
    batch: list[dict] = []
    for name in names:
        if not isinstance(name, str) or name in seen_names:
            continue
        pkg = _show(client, portal, name)
        if pkg is None:
            continue
        batch.extend(fresh([pkg]))
        if len(batch) >= SHOW_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _show(client: CkanClient, portal: Source, name: str) -> dict | None:
    for attempt in range(3):
        try:
            result = client.call("package_show", {"id": name})
            break
        except NotFound:
            return None  # deleted between package_list and package_show
        except ServerError as exc:
            if attempt == 2:
                raise PortalUnavailable(str(exc)) from None
    else:  # pragma: no cover
        return None
    if isinstance(result, list):  # DKAN wraps the package in a list
        result = result[0] if result else None
    return result if isinstance(result, dict) else None
