"""CKAN (and DKAN) adapter on ckanapi.RemoteCKAN.

Fetch half: `harvest_ckan()` pages through `package_search` (stable sort, rows up to 1000,
shrinking on 5xx and growing back, Retry-After honoured by the session), checks what it got
against the portal's `count`, and falls back to `package_list` + `package_show` where search
is missing or broken (DKAN serves only that subset). Every response body is handed to
`on_page` so the warehouse keeps it.

Parse half: `parse_package()` turns one package dict into a dataset record and distribution
records, with no client and no clock.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ckanapi
import requests
from ckanapi.errors import (
    CKANAPIError,
    NotFound,
    SearchError,
    SearchIndexError,
    SearchQueryError,
    ServerIncompatibleError,
)

from flows.adapters.errors import (
    PortalError,
    PortalIncompatible,
    PortalUnavailable,
    ResponseTooLarge,
    TooDeep,
    snippet,
)
from flows.adapters.http import MB, read_capped
from flows.config import Portal

MAX_ROWS = 1000
SORT = "metadata_created asc, name asc"  # new datasets land at the end: paging does not shift
MAX_SERVER_ERRORS = 8  # consecutive 5xx/timeouts before giving up on package_search
SHOW_BATCH = 100  # package_show results handed on in batches of this size


@dataclass
class Response:
    """One raw API response, as kept in the warehouse's raw_pages."""

    url: str
    status: int
    content_type: str | None
    body: str
    fetched_at: datetime
    elapsed_ms: float


@dataclass
class HarvestStats:
    method: str = "package_search"
    expected_count: int | None = None
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    mode: str = "full"  # full | incremental
    current: list[str] | None = None  # incremental: every name the portal lists now


class _ServerError(Exception):
    """A 5xx or a read timeout on a page: worth retrying with a smaller page."""


class RecordingCKAN(ckanapi.RemoteCKAN):
    """RemoteCKAN that keeps each raw response so it can be stored and diagnosed."""

    base_url = "api/3/action/"

    def __init__(
        self,
        address: str,
        session: requests.Session,
        on_response: Callable[[Response], None],
        max_bytes: int = 64 * MB,
    ):
        super().__init__(
            address, user_agent=session.headers["User-Agent"], get_only=True, session=session
        )
        self.on_response = on_response
        self.max_bytes = max_bytes
        self.last: Response | None = None

    def _request_fn_get(self, url, data_dict, headers, requests_kwargs):
        started = time.monotonic()
        r = self.session.get(url, params=data_dict, headers=headers, stream=True, **requests_kwargs)
        try:
            try:
                content = read_capped(r, self.max_bytes)
            except ResponseTooLarge as exc:  # record what was read, up to the cap, as evidence
                self._record(r, exc.take_partial(), started)
                raise
        finally:
            r.close()
        resp = self._record(r, content, started)
        return r.status_code, resp.body

    def _record(self, r: requests.Response, content: bytes | bytearray, started: float) -> Response:
        # the charset the server named (requests: UTF-8 for JSON, latin-1 for text/*), else
        # UTF-8; not requests' character-set detector, slow and hungry on a big body
        try:
            body = content.decode(r.encoding or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            body = content.decode("utf-8", errors="replace")
        self.last = Response(
            url=r.url,
            status=r.status_code,
            content_type=r.headers.get("Content-Type"),
            body=body,
            fetched_at=datetime.now(UTC),
            elapsed_ms=(time.monotonic() - started) * 1000,
        )
        self.on_response(self.last)
        return self.last


def _looks_like_json(resp: Response) -> bool:
    head = resp.body.lstrip()[:1]
    return head in ("{", "[")


class CkanClient:
    """Calls CKAN actions and turns every failure into a named, one-line error."""

    def __init__(
        self,
        portal: Portal,
        session: requests.Session,
        on_page: Callable[[Response], None],
        timeout: float | tuple[float, float] = (10.0, 120.0),
    ):
        self.portal = portal
        self.stats = HarvestStats()
        self.timeout = timeout

        def record(resp: Response) -> None:
            self.stats.requests += 1
            on_page(resp)

        self.ck = RecordingCKAN(portal.url, session, record, portal.max_response_bytes)

    def call(self, action: str, params: dict[str, Any]) -> Any:
        where = f"{self.portal.url}/{RecordingCKAN.base_url}{action}"
        try:
            return self.ck.call_action(action, params, requests_kwargs={"timeout": self.timeout})
        except requests.exceptions.ReadTimeout as exc:
            raise _ServerError(f"{where}: read timed out") from exc
        except requests.exceptions.ConnectionError as exc:
            if "Read timed out" in str(exc):  # urllib3's retry wraps read timeouts this way
                raise _ServerError(f"{where}: read timed out") from exc
            raise PortalUnavailable(f"{where}: cannot connect ({_reason(exc)})") from exc
        except requests.exceptions.RequestException as exc:
            raise PortalUnavailable(f"{where}: request failed ({_reason(exc)})") from exc
        except RecursionError:  # the json module gives up on deeply nested arrays/objects
            raise TooDeep(
                f"{where}: JSON nested too deeply to parse (more than {sys.getrecursionlimit()} "
                "levels); not a CKAN action response"
            ) from None
        except NotFound:
            raise
        except (SearchError, SearchQueryError, SearchIndexError) as exc:
            raise _SearchBroken(f"{where}: search error: {snippet(str(exc))}") from exc
        except (CKANAPIError, ServerIncompatibleError) as exc:
            resp = self.ck.last
            if resp is None:
                raise PortalIncompatible(f"{where}: {snippet(str(exc))}") from exc
            if resp.status >= 500:
                raise _ServerError(f"{where}: HTTP {resp.status}") from exc
            if resp.status == 429:
                raise PortalUnavailable(
                    f"{where}: still rate-limited (HTTP 429) after retries"
                ) from exc
            if not _looks_like_json(resp):
                raise PortalIncompatible(
                    f"{where}: expected CKAN JSON, got {resp.content_type or 'no content type'} "
                    f"(HTTP {resp.status}): '{snippet(resp.body)}'"
                ) from exc
            if resp.status in (400, 404, 405):
                raise _SearchBroken(f"{where}: HTTP {resp.status}: {snippet(resp.body)}") from exc
            raise PortalIncompatible(
                f"{where}: not a CKAN action response (HTTP {resp.status}): '{snippet(resp.body)}'"
            ) from exc


class _SearchBroken(Exception):
    """The action exists nowhere or fails as a matter of course: use the fallback path."""


class _ListBroken(Exception):
    """package_list is unusable, so deletions cannot be seen: harvest in full."""


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Failed to establish a new connection: ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return snippet(text.strip("()'\""), 120)


def harvest_ckan(
    portal: Portal,
    session: requests.Session,
    on_page: Callable[[Response], None],
    stats_out: list[HarvestStats] | None = None,
    timeout: float | tuple[float, float] = (10.0, 120.0),
    since: datetime | None = None,
) -> Iterator[list[dict]]:
    """Yield batches of distinct package dicts; `stats_out` receives the HarvestStats.

    With `since`, only the packages modified since then are fetched (package_search with
    fq=metadata_modified:[since TO *]) plus package_list, whose names end up in
    `stats.current` so the caller can carry the unchanged ones forward and drop the deleted
    ones. Where that is impossible (DKAN, search or package_list broken) it harvests in
    full and says so in `stats.mode`.
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
        except _SearchBroken as exc:
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
    return f"metadata_modified:[{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} TO *]"


def in_organization(pkg: dict, organization: str) -> bool:
    """Does a package belong to `organization` (its name or id, as fq=organization: takes)?"""
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    return organization in (org.get("name"), org.get("id"), pkg.get("owner_org"))


def _changed_since(
    client: CkanClient, portal: Portal, fresh, since: datetime
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
    except (NotFound, _SearchBroken, PortalIncompatible) as exc:
        raise _ListBroken(f"package_list unusable: {exc}") from exc
    except _ServerError as exc:
        raise PortalUnavailable(str(exc)) from None
    if not isinstance(names, list):
        raise _ListBroken("package_list did not return a list")
    client.stats.current = [n for n in names if isinstance(n, str) and n not in elsewhere]
    # the portal's count is the organisation's only without an organisation filter
    client.stats.expected_count = None if org else len(client.stats.current)


def _search_pages(
    client: CkanClient, portal: Portal, fq: str | None = None, organization: bool = True
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
        except _ServerError as exc:
            errors += 1
            if errors > MAX_SERVER_ERRORS:
                if start == 0:
                    raise _SearchBroken(
                        f"package_search failed {errors} times in a row, last: {exc}"
                    ) from None
                raise PortalUnavailable(
                    f"{portal.url}: package_search failed {errors} times in a row at offset {start}, last: {exc}"
                ) from None
            rows = max(1, rows // 3)
            continue
        except NotFound as exc:
            raise _SearchBroken(f"package_search not found: {exc}") from exc
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
    client: CkanClient, portal: Portal, fresh, seen_names: set[str]
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
        except _SearchBroken as exc:
            raise PortalIncompatible(str(exc)) from None
        except _ServerError as exc:
            raise PortalUnavailable(str(exc)) from None
        names = [
            p.get("name") or p.get("id") for p in org.get("packages", []) if isinstance(p, dict)
        ]
    else:
        try:
            names = client.call("package_list", {})
        except (NotFound, _SearchBroken) as exc:
            raise PortalIncompatible(
                f"{portal.url}: neither package_search nor package_list works ({exc})"
            ) from None
        except _ServerError as exc:
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


def _show(client: CkanClient, portal: Portal, name: str) -> dict | None:
    for attempt in range(3):
        try:
            result = client.call("package_show", {"id": name})
            break
        except NotFound:
            return None  # deleted between package_list and package_show
        except _ServerError as exc:
            if attempt == 2:
                raise PortalUnavailable(str(exc)) from None
    else:  # pragma: no cover
        return None
    if isinstance(result, list):  # DKAN wraps the package in a list
        result = result[0] if result else None
    return result if isinstance(result, dict) else None


# ---------------------------------------------------------------- parse half (pure)

FREQUENCY_KEYS = (
    "frequency",
    "accrual_periodicity",
    "accrualPeriodicity",
    "update_frequency",
    "updateFrequency",
)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    value = str(value).strip()
    return value or None


def _extras(pkg: dict) -> dict[str, Any]:
    extras = pkg.get("extras")
    out: dict[str, Any] = {}
    if isinstance(extras, list):
        for item in extras:
            if isinstance(item, dict) and "key" in item and item["key"] not in out:
                out[item["key"]] = item.get("value")
    elif isinstance(extras, dict):
        out.update(extras)
    return out


def _list_of_names(value: Any) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return [text]
        else:
            return [text] if text else []
    out = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                item = item.get("name") or item.get("display_name") or item.get("title")
            if item is not None and str(item).strip():
                out.append(str(item).strip())
    return out


def _int(value: Any) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 <= n < 2**62 else None


def parse_package(
    pkg: dict, portal_id: str, portal_url: str, run_id: str
) -> tuple[dict, list[dict]]:
    """One CKAN package dict -> (dataset record, distribution records). Pure."""
    ex = _extras(pkg)

    def first(*keys: str) -> str | None:
        for key in keys:
            for source in (pkg, ex):
                value = _text(source.get(key))
                if value:
                    return value
        return None

    dataset_id = _text(pkg.get("id")) or _text(pkg.get("name")) or ""
    name = _text(pkg.get("name"))
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    themes = _list_of_names(ex.get("theme") or pkg.get("theme")) or _list_of_names(
        pkg.get("groups")
    )
    resources = [r for r in pkg.get("resources") or [] if isinstance(r, dict)]
    raw_pkg = {k: v for k, v in pkg.items() if k != "resources"}
    dataset = {
        "run_id": run_id,
        "portal_id": portal_id,
        "dataset_id": dataset_id,
        "name": name,
        "title": _text(pkg.get("title")),
        "description": _text(pkg.get("notes")) or _text(pkg.get("description")),
        "landing_page": f"{portal_url.rstrip('/')}/dataset/{name or dataset_id}",
        "source_url": _text(pkg.get("url")),
        "organization": _text(org.get("name")) or _text(pkg.get("owner_org")),
        "organization_title": _text(org.get("title")),
        "publisher": first("publisher_name", "publisher")
        or _text(org.get("title"))
        or _text(pkg.get("author")),
        "contact_name": first("maintainer", "contact_name", "author"),
        "contact_email": first("maintainer_email", "contact_email", "author_email"),
        "contact_url": first("maintainer_url", "contact_uri", "author_url"),
        "keywords": _list_of_names(pkg.get("tags")),
        "themes": themes,
        "license_raw": _text(pkg.get("license_id")),
        "license_title_raw": _text(pkg.get("license_title")),
        "license_url_raw": _text(pkg.get("license_url")),
        "access_rights": first("access_rights", "accessRights"),
        "spatial": first(
            "spatial", "spatial_uri", "spatial_text", "politicalGeocodingURI", "geocodingText"
        ),
        "temporal_start": first("temporal_start", "temporal_coverage_from"),
        "temporal_end": first("temporal_end", "temporal_coverage_to"),
        "issued": first("issued") or _text(pkg.get("metadata_created")),
        "modified": first("modified") or _text(pkg.get("metadata_modified")),
        "frequency_raw": first(*FREQUENCY_KEYS),
        "version": _text(pkg.get("version")),
        "num_distributions": len(resources),
        "raw": raw_pkg,
    }
    distributions = []
    for position, res in enumerate(resources):
        access_url = _text(res.get("url")) or _text(res.get("access_url"))
        download_url = _text(res.get("download_url")) or (
            access_url if res.get("url_type") == "upload" else None
        )
        distributions.append(
            {
                "run_id": run_id,
                "portal_id": portal_id,
                "dataset_id": dataset_id,
                "distribution_id": _text(res.get("id")) or f"{dataset_id}#{position}",
                "position": position,
                "title": _text(res.get("name")),
                "description": _text(res.get("description")),
                "url": download_url or access_url,
                "access_url": access_url,
                "download_url": download_url,
                "format_raw": _text(res.get("format")),
                "media_type_raw": _text(res.get("mimetype")) or _text(res.get("media_type")),
                "license_raw": _text(res.get("license")) or _text(res.get("license_id")),
                "rights": _text(res.get("rights")),
                "byte_size": _int(res.get("size")),
                "issued": _text(res.get("issued")) or _text(res.get("created")),
                "modified": _text(res.get("modified")) or _text(res.get("last_modified")),
                "checksum": _text(res.get("hash")),
                "raw": res,
            }
        )
    return dataset, distributions
