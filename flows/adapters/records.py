"""What every adapter yields: one raw response, the harvest's stats, and the dataset and
distribution records the warehouse stores (the columns of dataset_rows / distribution_rows).

`dataset_record()` and `distribution_record()` are the record types' one spelling: an
adapter names the fields its platform has and the rest are None, so the ~30 keys the
warehouse expects are written here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

UTF8 = frozenset({"utf-8", "utf8"})


@dataclass
class Response:
    """One raw API response, as kept in the warehouse's raw_pages: the bytes as read and the
    charset they are in. Its text (`body`) is decoded when first asked for: a 15 MB CKAN page
    is parsed from its bytes and stored as they are, so on the happy path the text, its
    UTF-8 copy and the re-encoded bytes (~45 MB per page) are never made."""

    url: str
    status: int
    content_type: str | None
    content: bytes
    fetched_at: datetime
    elapsed_ms: float
    charset: str = "utf-8"  # what `content` is decoded with (the server's, else UTF-8)
    _text: str | None = field(default=None, repr=False, compare=False)

    @property
    def body(self) -> str:
        """The text; bytes that are not valid in the charset become U+FFFD."""
        if self._text is None:
            try:
                self._text = self.content.decode(self.charset, errors="replace")
            except LookupError:  # a charset Python does not know
                self._text = self.content.decode("utf-8", errors="replace")
        return self._text

    @property
    def utf8(self) -> bytes:
        """The body in UTF-8, as raw_pages stores it and orjson reads it: the bytes as read
        when they are UTF-8 already (invalid sequences kept: they decode to the same text
        as `body`), else the text re-encoded."""
        if self.charset.lower() in UTF8:
            return self.content
        return self.body.encode("utf-8", "replace")


@dataclass
class HarvestStats:
    method: str = "package_search"
    expected_count: int | None = None
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    mode: str = "full"  # full | incremental
    current: list[str] | None = None  # incremental: every name the portal lists now


class DatasetRecord(TypedDict):
    """One row of dataset_rows, as an adapter's parse half returns it."""

    run_id: str
    portal_id: str
    dataset_id: str
    name: str | None
    title: str | None
    description: str | None
    landing_page: str | None
    source_url: str | None
    organization: str | None
    organization_title: str | None
    publisher: str | None
    contact_name: str | None
    contact_email: str | None
    contact_url: str | None
    keywords: list[str]
    themes: list[str]
    license_raw: str | None
    license_title_raw: str | None
    license_url_raw: str | None
    access_rights: str | None
    spatial: str | None
    temporal_start: str | None
    temporal_end: str | None
    issued: str | None
    modified: str | None
    frequency_raw: str | None
    version: str | None
    hvd_categories: list[str] | None  # dcatap:hvdCategory as given; None: the platform has none
    applicable_legislation: list[str] | None  # dcatap:applicableLegislation as given
    num_distributions: int
    raw: Any


class DistributionRecord(TypedDict):
    """One row of distribution_rows, as an adapter's parse half returns it."""

    run_id: str
    portal_id: str
    dataset_id: str
    distribution_id: str
    position: int
    title: str | None
    description: str | None
    url: str | None
    access_url: str | None
    download_url: str | None
    format_raw: str | None
    media_type_raw: str | None
    license_raw: str | None
    rights: str | None
    byte_size: int | None
    issued: str | None
    modified: str | None
    checksum: str | None
    raw: Any
    generated: NotRequired[bool]  # Opendatasoft only: a platform-made export of the records


DATASET_KEYS = tuple(DatasetRecord.__annotations__)
DISTRIBUTION_KEYS = tuple(DistributionRecord.__annotations__)


def dataset_record(
    *,
    run_id: str,
    portal_id: str,
    dataset_id: str,
    num_distributions: int,
    raw: Any,
    keywords: list[str],
    themes: list[str],
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    landing_page: str | None = None,
    source_url: str | None = None,
    organization: str | None = None,
    organization_title: str | None = None,
    publisher: str | None = None,
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_url: str | None = None,
    license_raw: str | None = None,
    license_title_raw: str | None = None,
    license_url_raw: str | None = None,
    access_rights: str | None = None,
    spatial: str | None = None,
    temporal_start: str | None = None,
    temporal_end: str | None = None,
    issued: str | None = None,
    modified: str | None = None,
    frequency_raw: str | None = None,
    version: str | None = None,
    hvd_categories: list[str] | None = None,
    applicable_legislation: list[str] | None = None,
) -> DatasetRecord:
    """A dataset record; what a platform does not have stays None."""
    return {
        "run_id": run_id,
        "portal_id": portal_id,
        "dataset_id": dataset_id,
        "name": name,
        "title": title,
        "description": description,
        "landing_page": landing_page,
        "source_url": source_url,
        "organization": organization,
        "organization_title": organization_title,
        "publisher": publisher,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "contact_url": contact_url,
        "keywords": keywords,
        "themes": themes,
        "license_raw": license_raw,
        "license_title_raw": license_title_raw,
        "license_url_raw": license_url_raw,
        "access_rights": access_rights,
        "spatial": spatial,
        "temporal_start": temporal_start,
        "temporal_end": temporal_end,
        "issued": issued,
        "modified": modified,
        "frequency_raw": frequency_raw,
        "version": version,
        "hvd_categories": hvd_categories,
        "applicable_legislation": applicable_legislation,
        "num_distributions": num_distributions,
        "raw": raw,
    }


def distribution_record(
    *,
    run_id: str,
    portal_id: str,
    dataset_id: str,
    distribution_id: str,
    position: int,
    raw: Any,
    title: str | None = None,
    description: str | None = None,
    access_url: str | None = None,
    download_url: str | None = None,
    format_raw: str | None = None,
    media_type_raw: str | None = None,
    license_raw: str | None = None,
    rights: str | None = None,
    byte_size: int | None = None,
    issued: str | None = None,
    modified: str | None = None,
    checksum: str | None = None,
    generated: bool | None = None,
) -> DistributionRecord:
    """A distribution record; `url` is the download URL, else the access URL. `generated`
    is set only where a platform tells generated exports apart (Opendatasoft)."""
    record: DistributionRecord = {
        "run_id": run_id,
        "portal_id": portal_id,
        "dataset_id": dataset_id,
        "distribution_id": distribution_id,
        "position": position,
        "title": title,
        "description": description,
        "url": download_url or access_url,
        "access_url": access_url,
        "download_url": download_url,
        "format_raw": format_raw,
        "media_type_raw": media_type_raw,
        "license_raw": license_raw,
        "rights": rights,
        "byte_size": byte_size,
        "issued": issued,
        "modified": modified,
        "checksum": checksum,
        "raw": raw,
    }
    if generated is not None:
        record["generated"] = generated
    return record
