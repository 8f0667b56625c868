"""Local portals for `odwatch demo`: the samples written in this repo, or the recorded corpus."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from checks.compliance import DEFAULT_PROFILE
from flows.config import ConfigError, Portal
from flows.demo.portals import LocalPortal, Reply, Request

SAMPLES = Path(__file__).parent


def _broken(req: Request, portal: LocalPortal) -> Reply:
    # A portal whose API path serves the city's homepage: a named error, not a crash.
    return Reply(
        200,
        "<!doctype html><html><head><title>Stadt Kaputtdorf</title></head><body>Willkommen</body></html>",
    )


# The sample portals' files, served locally so the demo's link and content checks have
# something real to find: most files exist, one link is dead, one "CSV" is really HTML.
DEMO_HOSTS = (
    "https://daten.musterstadt.example",
    "https://api.musterstadt.example",
    "https://beispielhausen.example",
)
DEMO_FILES: dict[str, tuple[str, bytes]] = {
    ".csv": ("text/csv; charset=utf-8", b"Stadtteil;Wert\nMitte;12\nNord;7\n"),
    ".json": ("application/json", b'{"messwerte": [{"station": "Mitte", "no2": 31}]}'),
    ".geojson": ("application/geo+json", b'{"type": "FeatureCollection", "features": []}'),
    ".kml": (
        "application/vnd.google-earth.kml+xml",
        b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"/>',
    ),
    ".pdf": ("application/pdf", b"%PDF-1.4\n%odwatch demo\n"),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04demo",
    ),
    ".zip": ("application/zip", b"PK\x03\x04demo"),
}
DEAD = ("/files/parken-2023.csv",)  # gone from the server: a dead link
HTML_AS_DATA = ("/sites/default/files/einwohner.csv",)  # an error page where a CSV should be


def _files(req: Request, portal: LocalPortal) -> Reply:
    path = req.path
    if path in DEAD:
        return Reply(404, "<html><body>Not Found</body></html>")
    if path in HTML_AS_DATA:
        return Reply(200, "<!doctype html><html><body>Die Seite wurde verschoben.</body></html>")
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    ctype, body = DEMO_FILES.get(suffix, ("application/json", b'{"api": "odwatch demo"}'))
    return Reply(200, body, {"Content-Type": ctype})


def _localise(packages: list[dict], base: str) -> list[dict]:
    """Point the sample resources at the local file server (same paths)."""
    text = json.dumps(packages, ensure_ascii=False)
    for host in DEMO_HOSTS:
        text = text.replace(host, base)
    return json.loads(text)


def sample_portals() -> tuple[list[LocalPortal], list[Portal]]:
    """Two sample portals from flows/demo/*.json, their files, and one portal answering HTML."""
    files = LocalPortal([], fault=_files).start()
    servers, portals = [files], []
    for path in sorted(SAMPLES.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        packages = _localise(spec["packages"], files.url)
        server = LocalPortal(packages, platform=spec["platform"]).start()
        servers.append(server)
        portals.append(
            Portal(
                id=spec["id"],
                title=spec["title"],
                city=spec["city"],
                platform=spec["platform"],
                url=server.url,
                population=spec.get("population"),
                allow_private_urls=True,
            )
        )
    broken = LocalPortal([], fault=_broken).start()
    servers.append(broken)
    portals.append(
        Portal(
            id="kaputtdorf",
            title="Kaputtdorf (answers HTML)",
            city="Kaputtdorf",
            platform="ckan",
            url=broken.url,
            allow_private_urls=True,
        )
    )
    return servers, portals


def _load(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("result", data) if isinstance(data, dict) and "success" in data else data


def corpus_portals(corpus: Path) -> tuple[list[LocalPortal], list[Portal]]:
    """The recorded CKAN responses of ../shared/corpus/ckan, each served as a portal."""
    ckan = corpus / "ckan"
    if not ckan.is_dir():
        raise ConfigError(
            f"{corpus}: no ckan/ folder here; pass --corpus pointing at shared/corpus"
        )
    servers, portals = [], []

    def add(
        pid: str,
        title: str,
        city: str,
        packages: list[dict],
        organization: str | None = None,
        kind: str = "city",
        shacl_profile: str | None = DEFAULT_PROFILE,
    ) -> None:
        server = LocalPortal(packages).start()
        servers.append(server)
        portals.append(
            Portal(
                id=pid,
                title=title,
                city=city,
                platform="ckan",
                url=server.url,
                organization=organization,
                allow_private_urls=True,
                kind=kind,
                shacl_profile=shacl_profile,
            )
        )

    big = _load(ckan / "dados-gov-br" / "catalog_check_ignore_packages__0.json")
    # two national catalogues (listed apart, unranked) and one city
    add(
        "dados-gov-br",
        "dados.gov.br (800 recorded datasets)",
        "Brasil",
        big["results"],
        kind="national",
        shacl_profile=None,  # a Brazilian catalogue: GovData's DCAT-AP.de shapes do not apply
    )
    govdata = {}
    for name in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json"):
        pkg = _load(ckan / "govdata-staging" / name)
        govdata[pkg["id"]] = pkg
    add(
        "govdata-staging",
        "GovData staging (recorded)",
        "Deutschland",
        list(govdata.values()),
        kind="national",
    )
    bochum = []
    for path in sorted((ckan / "bochum-opendata-ruhr").glob("*.json")):
        pkg = _load(path)
        # Bochum pushes these to its organisation on opendata.ruhr; the recorded dicts lack it.
        pkg.setdefault("organization", {"name": "stadt-bochum", "title": "Stadt Bochum"})
        bochum.append(pkg)
    add(
        "bochum",
        "Stadt Bochum auf opendata.ruhr (recorded)",
        "Bochum",
        bochum,
        organization="stadt-bochum",
    )
    return servers, portals


def portals_yaml(portals: list[Portal]) -> str:
    entries = []
    for p in portals:
        entry = {"id": p.id, "title": p.title, "city": p.city, "platform": p.platform, "url": p.url}
        if p.organization:
            entry["organization"] = p.organization
        if p.population:
            entry["population"] = p.population
        if p.kind != "city":
            entry["kind"] = p.kind
        if p.shacl_profile != DEFAULT_PROFILE:
            entry["shacl_profile"] = p.shacl_profile or False
        entry["allow_private_urls"] = p.allow_private_urls
        entries.append(entry)
    return yaml.safe_dump({"portals": entries}, allow_unicode=True, sort_keys=False)
