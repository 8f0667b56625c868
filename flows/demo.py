"""Local portals for `odwatch demo`: the samples written in this repo, or the recorded corpus."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from flows.config import ConfigError, Portal
from flows.localportal import LocalPortal, Reply, Request

SAMPLES = Path(__file__).with_name("demo")


def _broken(req: Request, portal: LocalPortal) -> Reply:
    # A portal whose API path serves the city's homepage: a named error, not a crash.
    return Reply(
        200,
        "<!doctype html><html><head><title>Stadt Kaputtdorf</title></head><body>Willkommen</body></html>",
    )


def sample_portals() -> tuple[list[LocalPortal], list[Portal]]:
    """Two sample portals from flows/demo/*.json plus one that answers HTML."""
    servers, portals = [], []
    for path in sorted(SAMPLES.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        server = LocalPortal(spec["packages"], platform=spec["platform"]).start()
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
        pid: str, title: str, city: str, packages: list[dict], organization: str | None = None
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
            )
        )

    big = _load(ckan / "dados-gov-br" / "catalog_check_ignore_packages__0.json")
    add("dados-gov-br", "dados.gov.br (800 recorded datasets)", "Brasília", big["results"])
    govdata = {}
    for name in ("package_show_response.json", "dataset_response.json", "dcatap-dataset.json"):
        pkg = _load(ckan / "govdata-staging" / name)
        govdata[pkg["id"]] = pkg
    add("govdata-staging", "GovData staging (recorded)", "Deutschland", list(govdata.values()))
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
        entry["allow_private_urls"] = p.allow_private_urls
        entries.append(entry)
    return yaml.safe_dump({"portals": entries}, allow_unicode=True, sort_keys=False)
