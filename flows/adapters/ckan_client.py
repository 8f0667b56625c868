"""The CKAN action client: ckanapi's RemoteCKAN reading capped, recording every raw
response, and turning every failure into a named, one-line error (used by flows.adapters.ckan)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import ckanapi
import orjson
import requests
from ckanapi.common import prepare_action, reverse_apicontroller_action
from ckanapi.errors import (
    CKANAPIError,
    NotFound,
    SearchError,
    SearchIndexError,
    SearchQueryError,
    ServerIncompatibleError,
)

from flows.adapters.errors import (
    PortalIncompatible,
    PortalUnavailable,
    ResponseTooLarge,
    TooDeep,
    connection_reason,
    snippet,
)
from flows.adapters.http import MB, read_capped
from flows.adapters.records import HarvestStats, Response
from flows.adapters.source import Source


class ServerError(Exception):
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

    def call_action(self, action, data_dict=None, context=None, apikey=None, files=None,
                    requests_kwargs=None):  # fmt: skip
        """ckanapi's GET call_action with the answer parsed by orjson (38 vs 55 ms for a
        15 MB package_search page, the harvest's hot path); whatever is not a success (an
        error, what orjson refuses: NaN, huge integers, deep nesting) goes through ckanapi's
        own parsing and error mapping, as before."""
        url, _, headers = prepare_action(
            action, data_dict, apikey or self.apikey, files, base_url=self.base_url
        )
        headers["User-Agent"] = self.user_agent
        url = self.address.rstrip("/") + "/" + url
        requests_kwargs = dict(requests_kwargs or {})
        requests_kwargs.setdefault("timeout", ckanapi.remoteckan.REQUEST_TIMEOUT)
        resp = self._request_fn_get(url, data_dict or {}, headers, requests_kwargs)
        try:
            parsed = orjson.loads(resp.utf8)  # the bytes as read: no text, no copy
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("success"):
            # kept only to explain a failure: a 15 MB page would otherwise live on while
            # the next page is fetched
            self.last = None
            return parsed["result"]
        return reverse_apicontroller_action(url, resp.status, resp.body)

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
        return self._record(r, content, started)

    def _record(self, r: requests.Response, content: bytes | bytearray, started: float) -> Response:
        self.last = Response(
            url=r.url,
            status=r.status_code,
            content_type=r.headers.get("Content-Type"),
            content=bytes(content),
            # the charset the server named (requests: UTF-8 for JSON, latin-1 for text/*),
            # else UTF-8; not requests' character-set detector, slow and hungry on a big body
            charset=r.encoding or "utf-8",
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
        portal: Source,
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
            raise ServerError(f"{where}: read timed out") from exc
        except requests.exceptions.ConnectionError as exc:
            if "Read timed out" in str(exc):  # urllib3's retry wraps read timeouts this way
                raise ServerError(f"{where}: read timed out") from exc
            raise PortalUnavailable(f"{where}: cannot connect ({connection_reason(exc)})") from exc
        except requests.exceptions.RequestException as exc:
            raise PortalUnavailable(f"{where}: request failed ({connection_reason(exc)})") from exc
        except RecursionError:  # the json module gives up on deeply nested arrays/objects
            raise TooDeep(
                f"{where}: JSON nested too deeply to parse (more than {sys.getrecursionlimit()} "
                "levels); not a CKAN action response"
            ) from None
        except NotFound:
            raise
        except (SearchError, SearchQueryError, SearchIndexError) as exc:
            raise SearchBroken(f"{where}: search error: {snippet(str(exc))}") from exc
        except (CKANAPIError, ServerIncompatibleError) as exc:
            resp = self.ck.last
            if resp is None:
                raise PortalIncompatible(f"{where}: {snippet(str(exc))}") from exc
            if resp.status >= 500:
                raise ServerError(f"{where}: HTTP {resp.status}") from exc
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
                raise SearchBroken(f"{where}: HTTP {resp.status}: {snippet(resp.body)}") from exc
            raise PortalIncompatible(
                f"{where}: not a CKAN action response (HTTP {resp.status}): '{snippet(resp.body)}'"
            ) from exc


class SearchBroken(Exception):
    """The action exists nowhere or fails as a matter of course: use the fallback path."""
