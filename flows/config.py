"""Load and validate portals.yaml: one clear line per mistake, never a traceback.

One idea: every key a portal entry may have, and the one-line error for each bad value of it
(the `Portal` it becomes, its defaults, and the parser), kept together so a key is added in
one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from checks.compliance import DCAT_PROFILES, DEFAULT_PROFILE
from flows import politeness
from flows.adapters.source import MB, Source

PLATFORMS = ("ckan", "dkan", "opendatasoft", "dcat", "datajson")
# Platforms whose adapter exists today; the others may be listed but must stay disabled.
IMPLEMENTED = ("ckan", "dkan", "opendatasoft", "dcat", "datajson")

REQUIRED = ("id", "title", "city", "platform", "url")
OPTIONAL = (
    "organization",
    "enabled",
    "allow_private_urls",
    "page_size",
    "population",
    "state",
    "kind",
    "notes",
    "schedule",
    "full_every",
    "alerts",
    "alert_after_failures",
    "alert_score_drop",
    "max_response_mb",
    "shacl_profile",
    *politeness.KEYS,
)
# What a portal is: a city's own catalogue (or its organisation on a shared one), ranked; or a
# regional / national catalogue, shown in a table of its own and never ranked as a city (it
# holds the datasets of cities that are ranked through their own entries).
KINDS = ("city", "regional", "national")
DEFAULT_SCHEDULE = "0 3 * * 1"  # weekly, Monday 03:00 (UTC)
DEFAULT_FULL_EVERY = 7  # every 7th harvest of a portal is a full one
# Cap on one decompressed API answer, per platform, in MB (`max_response_mb` raises it). The
# largest real page recorded (corpus ckan/dados-gov-br, package_search rows=800) is 12.8 MB,
# so a 1000-row CKAN page is ~16 MB: 64 MB leaves 4x headroom. Opendatasoft and DCAT pages are
# smaller (100 records; the largest recorded DCAT catalogue, Rostock's, is 1.9 MB in one
# file); data.json is the whole catalogue in one file, so it gets more.
DEFAULT_MAX_RESPONSE_MB = {
    "ckan": 64,
    "dkan": 64,
    "opendatasoft": 64,
    "dcat": 64,
    "datajson": 256,
}
MAX_RESPONSE_MB_LIMIT = 4096
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ConfigError(Exception):
    """A mistake in portals.yaml; str() is the one line shown to the operator."""


@dataclass(frozen=True)
class Portal:
    id: str
    title: str
    city: str
    platform: str
    url: str
    organization: str | None = None
    enabled: bool = True
    allow_private_urls: bool = False
    page_size: int = 1000
    population: int | None = None
    state: str | None = None
    kind: str = "city"
    notes: str | None = None
    schedule: str = DEFAULT_SCHEDULE  # cron: harvest + assess (odwatch serve)
    full_every: int = DEFAULT_FULL_EVERY  # 1 = always full; else incremental in between
    alerts: tuple[str, ...] = ()  # apprise URLs (json://..., mailto://..., ...)
    alert_after_failures: int | None = None  # alert when unreachable this many runs in a row
    alert_score_drop: float | None = None  # alert when the score drops by more points
    max_response_mb: int | None = None  # cap on one API answer; None = platform default
    shacl_profile: str | None = DEFAULT_PROFILE  # GovData's shapes (checks/shacl.py); None: off
    api_rate: float | None = None  # flows/politeness.py; None = the default
    api_concurrency: int | None = None
    link_rate: float | None = None
    link_concurrency: int | None = None

    @property
    def max_response_bytes(self) -> int:
        """The cap on one decompressed API answer of this portal (see read_capped)."""
        mb = self.max_response_mb or DEFAULT_MAX_RESPONSE_MB.get(self.platform, 64)
        return mb * MB

    @property
    def source(self) -> Source:
        """What the adapters need of this portal (flows.adapters.source)."""
        return Source(
            platform=self.platform,
            url=self.url,
            organization=self.organization,
            page_size=self.page_size,
            max_response_bytes=self.max_response_bytes,
        )


def _check_cron(expr: object) -> str | None:
    """None if `expr` is a valid 5-field cron expression, else the problem."""
    if not isinstance(expr, str) or len(expr.split()) != 5:
        return "expected a cron expression of 5 fields"
    from datetime import datetime

    from cronsim import CronSim, CronSimError  # Prefect's own cron parser

    try:
        CronSim(expr, datetime(2000, 1, 1))
    except CronSimError as exc:
        return str(exc)
    return None


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _scheduling(entry: dict, path: Path, label: str) -> dict:
    """Validate the optional schedule/incremental/alert keys; return Portal keyword args."""
    out: dict = {}
    if "schedule" in entry:
        problem = _check_cron(entry["schedule"])
        if problem:
            raise _fail(
                path,
                label,
                f"schedule {entry['schedule']!r}: {problem}",
                "write e.g. 'schedule: \"0 3 * * 1\"' (minute hour day month weekday)",
            )
        out["schedule"] = entry["schedule"].strip()
    if "full_every" in entry:
        if not _positive_int(entry["full_every"]):
            raise _fail(
                path,
                label,
                f"full_every {entry['full_every']!r} is not a positive whole number",
                "write e.g. 'full_every: 7' (1 = always a full harvest)",
            )
        out["full_every"] = entry["full_every"]
    if "alerts" in entry:
        alerts = entry["alerts"]
        if isinstance(alerts, str):
            alerts = [alerts]
        if (
            not isinstance(alerts, list)
            or not alerts
            or not all(isinstance(a, str) and "://" in a for a in alerts)
        ):
            raise _fail(
                path,
                label,
                "'alerts' must be a list of notification URLs",
                "write e.g. 'alerts: [\"mailto://user:pass@example.org\"]' (apprise URLs)",
            )
        out["alerts"] = tuple(a.strip() for a in alerts)
    if "alert_after_failures" in entry:
        if not _positive_int(entry["alert_after_failures"]):
            raise _fail(
                path,
                label,
                f"alert_after_failures {entry['alert_after_failures']!r} is not a positive whole number",
                "write e.g. 'alert_after_failures: 3'",
            )
        out["alert_after_failures"] = entry["alert_after_failures"]
    if "alert_score_drop" in entry:
        drop = entry["alert_score_drop"]
        if isinstance(drop, bool) or not isinstance(drop, (int, float)) or drop <= 0:
            raise _fail(
                path,
                label,
                f"alert_score_drop {drop!r} is not a positive number",
                "write e.g. 'alert_score_drop: 5' (points)",
            )
        out["alert_score_drop"] = float(drop)
    if "max_response_mb" in entry:
        cap = entry["max_response_mb"]
        if not _positive_int(cap) or cap > MAX_RESPONSE_MB_LIMIT:
            raise _fail(
                path,
                label,
                f"max_response_mb {cap!r} is not a whole number from 1 to {MAX_RESPONSE_MB_LIMIT}",
                "write e.g. 'max_response_mb: 128' (MB per API answer, decompressed)",
            )
        out["max_response_mb"] = cap
    if "shacl_profile" in entry:
        profile = entry["shacl_profile"]
        if profile is not False and profile not in DCAT_PROFILES:
            raise _fail(
                path,
                label,
                f"unknown shacl_profile {profile!r}",
                f"use one of {', '.join(DCAT_PROFILES)}, or false to skip SHACL validation",
            )
        out["shacl_profile"] = profile or None
    return out


def _fail(path: Path, where: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: {problem}; {fix}")


def parse_portals(data: object, path: Path) -> list[Portal]:
    """Validate the parsed YAML document and return the portals in file order."""
    if not isinstance(data, dict) or set(data) != {"portals"}:
        raise _fail(
            path,
            "top level",
            "expected a mapping with the single key 'portals'",
            "see README 'Adding a portal'",
        )
    entries = data["portals"]
    if not isinstance(entries, list) or not entries:
        raise _fail(
            path,
            "portals",
            "expected a non-empty list",
            "list at least one portal under 'portals:'",
        )
    portals: list[Portal] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        label = f"portal #{n}"
        if not isinstance(entry, dict):
            raise _fail(
                path, label, "expected a mapping of keys", "write 'id: ...', 'url: ...' etc."
            )
        if isinstance(entry.get("id"), str):
            label = f"portal '{entry['id']}' (#{n})"
        unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise _fail(
                path,
                label,
                f"unknown key '{unknown[0]}'",
                f"allowed keys are {', '.join(REQUIRED + OPTIONAL)}",
            )
        for key in REQUIRED:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise _fail(
                    path, label, f"missing or empty '{key}'", f"add '{key}: ...' to this portal"
                )
        pid = entry["id"]
        if not SLUG.match(pid):
            raise _fail(
                path, label, f"id '{pid}' is not a slug", "use lower-case letters, digits and '-'"
            )
        if pid in seen:
            raise _fail(path, label, f"duplicate id '{pid}'", "give every portal its own id")
        seen.add(pid)
        platform = entry["platform"]
        if platform not in PLATFORMS:
            raise _fail(
                path, label, f"unknown platform '{platform}'", f"use one of {', '.join(PLATFORMS)}"
            )
        url = entry["url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            raise _fail(
                path,
                label,
                f"bad url '{url}'",
                "give the portal's base URL, e.g. https://opendata.example.de",
            )
        enabled = entry.get("enabled", True)
        allow_private = entry.get("allow_private_urls", False)
        for key, value in (("enabled", enabled), ("allow_private_urls", allow_private)):
            if not isinstance(value, bool):
                raise _fail(
                    path,
                    label,
                    f"'{key}' must be true or false",
                    f"write '{key}: true' or '{key}: false'",
                )
        if enabled and platform not in IMPLEMENTED:
            raise _fail(
                path,
                label,
                f"platform '{platform}' has no adapter yet",
                "set 'enabled: false' until it is supported",
            )
        kind = entry.get("kind", "city")
        if kind not in KINDS:
            raise _fail(path, label, f"unknown kind {kind!r}", f"use one of {', '.join(KINDS)}")
        page_size = entry.get("page_size", 1000)
        if (
            not isinstance(page_size, int)
            or isinstance(page_size, bool)
            or not 1 <= page_size <= 1000
        ):
            raise _fail(
                path,
                label,
                f"page_size {page_size!r} out of range",
                "use a whole number from 1 to 1000",
            )
        population = entry.get("population")
        if population is not None and (not isinstance(population, int) or population <= 0):
            raise _fail(
                path,
                label,
                f"population {population!r} is not a positive number",
                "write e.g. 'population: 600000'",
            )
        org = entry.get("organization")
        if org is not None and (not isinstance(org, str) or not org.strip()):
            raise _fail(
                path,
                label,
                "'organization' is empty",
                "give the organisation's name (slug) on the portal",
            )
        portals.append(
            Portal(
                id=pid,
                title=entry["title"].strip(),
                city=entry["city"].strip(),
                platform=platform,
                url=url.rstrip("/"),
                organization=org,
                enabled=enabled,
                allow_private_urls=allow_private,
                page_size=page_size,
                population=population,
                state=entry.get("state"),
                kind=kind,
                notes=entry.get("notes"),
                **_scheduling(entry, path, label),
                **politeness.validate(entry, partial(_fail, path, label)),
            )
        )
    return portals


def load_portals(path: str | Path) -> list[Portal]:
    """Read portals.yaml; raise ConfigError with a one-line message on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found; pass --portals FILE or create portals.yaml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read ({exc}); check the file's permissions and encoding"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: {where}: {problem}; fix the YAML syntax there") from None
    return parse_portals(data, path)


def select(
    portals: list[Portal], only: list[str] | None, path: Path | str = "portals.yaml"
) -> list[Portal]:
    """Enabled portals, or exactly the ones named with --only (enabled or not)."""
    if not only:
        return [p for p in portals if p.enabled]
    by_id = {p.id: p for p in portals}
    missing = [pid for pid in only if pid not in by_id]
    if missing:
        raise ConfigError(
            f"{path}: --only {missing[0]}: no portal with that id; known ids: {', '.join(sorted(by_id))}"
        )
    chosen = [by_id[pid] for pid in only]
    for p in chosen:
        if p.platform not in IMPLEMENTED:
            raise ConfigError(
                f"{path}: portal '{p.id}': platform '{p.platform}' has no adapter yet; leave it out"
            )
    return chosen


def portals_beside(warehouse: Path | str) -> Path:
    """Where a warehouse's own portal list is kept: `<warehouse>.portals.yaml` beside it
    (`odwatch demo` writes one, so `status` finds the demo's portals afterwards)."""
    path = Path(warehouse)
    return path.with_name(path.stem + ".portals.yaml")


def portals_for(portals: str | None, warehouse: Path | str, default: str = "portals.yaml") -> str:
    """The portal list a read-only command uses: the one given (--portals), else the list
    kept beside the warehouse, else `default`."""
    if portals:
        return portals
    beside = portals_beside(warehouse)
    return str(beside) if beside.is_file() else default
