"""One GET of one catalogue page, recorded and classified: shared by the non-CKAN adapters.

`get_page()` sends the request on the session it is given (User-Agent, timeouts, TLS and the
per-host gates come from `flows.adapters.http.make_session`), hands every answer to `on_page`
(failed ones too, so a failed harvest can be diagnosed from its raw pages), retries 5xx
answers and read timeouts a few times, and turns what is left into the named errors of
`flows.adapters.errors`, each one line:

- cannot connect, read timeouts, 5xx, 429 after the session's own retries: PortalUnavailable
- 404, 405, 410 and other client errors (the API is not there): PortalIncompatible
- 401, 403 (the portal refuses us): PortalError
- a body past the portal's cap (`max_response_mb`): ResponseTooLarge
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from flows.adapters.errors import (
    PortalError,
    PortalIncompatible,
    PortalUnavailable,
    ResponseTooLarge,
    TooDeep,
    connection_reason,
    snippet,
)
from flows.adapters.http import read_capped
from flows.adapters.records import HarvestStats, Response

DEFAULT_TIMEOUT = (10.0, 120.0)
BACKOFF = 0.5  # seconds before the first retry of a 5xx/timeout; doubles each time
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.I)


@dataclass
class Page:
    """A successful (2xx) answer: the recorded Response and the undecoded bytes."""

    response: Response
    content: bytes

    @property
    def media_type(self) -> str:
        return (self.response.content_type or "").split(";")[0].strip().lower()


def charset(content: bytes | bytearray, content_type: str | None) -> str:
    """The charset of a body: the one the server named, else the XML declaration's, else UTF-8.

    Not requests' `.text`: it guesses ISO-8859-1 for text/* without a charset (RFC 2616) and
    runs a slow character-set detector over every other body without one."""
    if content_type:
        m = _CHARSET.search(content_type)
        if m:
            return m.group(1)
    m = _XML_ENCODING.match(content[:200])
    if m:
        return m.group(1).decode("ascii")
    return "utf-8"


def json_error(where: str, exc: ValueError) -> PortalIncompatible:
    """The one-line error for a page orjson could not parse; too deep nesting is named."""
    text = str(exc)
    if "depth limit" in text or "ecursion" in text:
        return TooDeep(f"{where}: JSON nested too deeply to parse ({snippet(text, 80)})")
    return PortalIncompatible(f"{where}: not valid JSON ({snippet(text, 80)})")


def looks_like_html(text: str | bytes) -> bool:
    head = text[:512].lstrip()
    if isinstance(head, bytes):
        head = head.decode("latin-1")
    head = head.lstrip("\ufeff").lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body"))


def _response(r: requests.Response, content: bytes | bytearray, started: float) -> Response:
    return Response(
        url=r.url,
        status=r.status_code,
        content_type=r.headers.get("Content-Type"),
        content=bytes(content),
        charset=charset(content, r.headers.get("Content-Type")),
        fetched_at=datetime.now(UTC),
        elapsed_ms=(time.monotonic() - started) * 1000,
    )


def get_page(
    session: requests.Session,
    url: str,
    on_page: Callable[[Response], None],
    stats: HarvestStats,
    *,
    params: dict[str, Any] | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    accept: str | None = None,
    retries: int = 2,
    backoff: float | None = None,
    max_bytes: int,
) -> Page:
    """GET `url`; record every answer; return the first 2xx or raise a named PortalError.

    The body is read through `read_capped`: past `max_bytes` (the portal's
    `max_response_bytes`) the first `max_bytes` are recorded and ResponseTooLarge is raised."""
    headers = {"Accept": accept} if accept else None
    if params:
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(url, params)
        url, params = prepared.url or url, None
    last = ""
    pause = BACKOFF if backoff is None else backoff
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(pause * 2 ** (attempt - 1))
        started = time.monotonic()
        try:
            r = session.get(url, params=params, headers=headers, timeout=timeout, stream=True)
            try:
                content = read_capped(r, max_bytes, url)
            except ResponseTooLarge as exc:  # keep what was read, up to the cap, as evidence
                stats.requests += 1
                on_page(_response(r, exc.take_partial(), started))
                raise
            finally:
                r.close()
        except requests.exceptions.ReadTimeout:
            last = "read timed out"
            continue
        except requests.exceptions.ConnectionError as exc:
            if "Read timed out" in str(exc):  # urllib3's retry wraps read timeouts this way
                last = "read timed out"
                continue
            raise PortalUnavailable(f"{url}: cannot connect ({connection_reason(exc)})") from None
        except requests.exceptions.RequestException as exc:
            raise PortalUnavailable(f"{url}: request failed ({connection_reason(exc)})") from None
        resp = _response(r, content, started)
        stats.requests += 1
        on_page(resp)
        where = resp.url
        if 200 <= r.status_code < 300:
            return Page(resp, content)
        if r.status_code >= 500:
            last = f"HTTP {r.status_code}"
            continue
        if r.status_code == 429:
            raise PortalUnavailable(f"{where}: still rate-limited (HTTP 429) after retries")
        if r.status_code in (401, 403):
            raise PortalError(f"{where}: access refused (HTTP {r.status_code})")
        raise PortalIncompatible(
            f"{where}: HTTP {r.status_code} ({resp.content_type or 'no content type'}): "
            f"'{snippet(resp.body)}'"
        )
    raise PortalUnavailable(f"{url}: {last} ({retries + 1} attempts)")
