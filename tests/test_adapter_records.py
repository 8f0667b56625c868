"""The adapters room: one record type, one fetch signature, ADAPTERS naming capabilities,
the shared field helpers, and no import of flows.config (the arrow points flows -> adapters)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from flows.adapters import fields
from flows.adapters.records import DATASET_KEYS, DISTRIBUTION_KEYS
from flows.adapters.registry import ADAPTERS
from flows.adapters.source import MB, Source
from flows.config import IMPLEMENTED, PLATFORMS, Portal

ADAPTERS_DIR = Path(__file__).resolve().parents[1] / "flows" / "adapters"

# One small raw record per parse half, in each platform's own shape.
RAW = {
    "ckan": {
        "id": "d1",
        "name": "baeume",
        "license_id": "dl-de-by-2.0",
        "resources": [{"id": "r1", "url": "https://x.example/a.csv", "format": "CSV"}],
    },
    "opendatasoft": {
        "dataset_id": "baeume",
        "has_records": True,
        "metas": {"default": {"title": "Bäume", "license": "CC BY 4.0"}},
        "_odwatch_exports": ["csv"],
        "attachments": [{"id": "plan.pdf", "title": "Plan", "mimetype": "application/pdf"}],
    },
    "dcat": {
        "@id": "https://x.example/dataset/baeume",
        "dct:title": [{"@value": "Bäume", "@language": "de"}],
        "dcat:distribution": [
            {"@id": "https://x.example/d/1", "dcat:accessURL": [{"@id": "https://x.example/a"}]}
        ],
    },
    "datajson": {
        "identifier": "baeume",
        "title": "Bäume",
        "distribution": [{"downloadURL": "https://x.example/a.csv", "byteSize": "12.0"}],
    },
}


def test_every_adapter_yields_the_one_record_type():
    for platform, adapter in ADAPTERS.items():
        raw = RAW["ckan" if platform == "dkan" else platform]
        dataset, dists = adapter.parse(raw, "p", "https://x.example", "run-1")
        assert tuple(dataset) == DATASET_KEYS, platform
        extra = ("generated",) if platform == "opendatasoft" else ()
        assert dists and all(tuple(d) == DISTRIBUTION_KEYS[:-1] + extra for d in dists), platform
        assert DISTRIBUTION_KEYS[-1] == "generated"


def test_the_registry_covers_every_platform_with_its_capabilities():
    assert tuple(ADAPTERS) == PLATFORMS == IMPLEMENTED
    assert {p for p, a in ADAPTERS.items() if a.incremental} == {"ckan", "opendatasoft", "dcat"}
    assert {p for p, a in ADAPTERS.items() if a.needs_known_ids} == {"opendatasoft", "dcat"}


def test_one_fetch_signature():
    shapes = set()
    for adapter in ADAPTERS.values():
        params = inspect.signature(adapter.fetch).parameters.values()
        positional = [p.kind for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        keyword = {p.name for p in params if p.kind is p.KEYWORD_ONLY}
        assert {"since", "known"} <= keyword
        shapes.add(len(positional))
    assert shapes == {4}  # source, session, on_page, stats_out


def test_portal_builds_the_source_the_adapters_read():
    portal = Portal("b", "B", "B", "datajson", "https://x.example/data.json", organization="o")
    assert portal.source == Source(
        platform="datajson",
        url="https://x.example/data.json",
        organization="o",
        page_size=1000,
        max_response_bytes=256 * MB,
    )


def test_no_adapter_imports_flows_config():
    for path in sorted(ADAPTERS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "flows.config", path.name
            elif isinstance(node, ast.Import):
                assert all(a.name != "flows.config" for a in node.names), path.name


def test_field_helpers_keep_each_platforms_variant():
    assert fields.text({"b": 1, "a": "ü"}) == '{"b": 1, "a": "ü"}'
    assert fields.text({"b": 1, "a": "ü"}, sort_keys=True) == '{"a": "ü", "b": 1}'
    assert fields.joined_text([" a ", None, "b"]) == "a, b"
    assert fields.joined_text({"b": 1, "a": 2}) == '{"a":2,"b":1}'
    assert fields.strings("a, b") == ["a, b"]
    assert fields.strings("a, b,", split=",") == ["a", "b"]
    assert fields.natural("12.0") == 12
    assert fields.natural("12.0", decimals=False) is None
    assert fields.natural("-1") is None and fields.natural(None) is None
    assert fields.email("mailto: a@b.de") == "a@b.de"
    assert fields.email(" mailto:a@b.de", iri=True) == "a@b.de"
    assert fields.email("https://x.example/page/info@b.de", iri=True) == "info@b.de"
    assert fields.email("https://x.example/page/info@b.de") == "https://x.example/page/info@b.de"
    assert fields.interval("2020/ 2021") == ("2020", "2021")
    assert fields.interval("2020/2021/2022") == (None, None)
    assert fields.content_id({"a": 1}) == fields.content_id({"a": 1})
    assert fields.content_id({"a": 1}).startswith("_:")
