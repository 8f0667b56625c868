"""What an adapter needs to know of a portal: the `Source` (flows.config's Portal builds
it, `Portal.source`), so the adapters need nothing from the orchestration room."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One portal as an adapter sees it."""

    platform: str  # ckan | dkan | opendatasoft | dcat | datajson
    url: str  # the base URL (CKAN, Opendatasoft) or the catalogue / data.json URL
    organization: str | None = None  # only this organisation's datasets
    page_size: int = 1000  # records per page asked for (capped by each API)
    max_response_bytes: int = 64 * MB  # cap on one decompressed API answer (read_capped)
