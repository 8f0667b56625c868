"""Licence normalisation: every licence string in the recorded corpus, plus edge cases."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from checks.licenses import (
    LICENSE_KEY_SQL,
    License,
    classify_license,
    classify_license_fields,
    compact_license_key,
    distribution_license,
    distribution_licenses,
    effective_license,
    license_compact_key_sql,
    license_key_sql,
    load_license_table,
    normalize_license_key,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
VOCAB = CORPUS / "vocab"

# Every distinct licence value in the corpus (CKAN license_id / license_title / license_url /
# resource license, GovData's license_list ids, titles and urls, dct:license in the DCAT
# catalogues, schema:license in ckanext-dcat JSON-LD, data.json license, potsdam.ttl),
# with the canonical id and status it must classify as.
EXPECTED: dict[str | None, tuple[str | None, str]] = {
    None: (None, "missing"),
    "": (None, "missing"),
    "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG": ("official-work", "open"),
    "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG (ältere DCAT-AP.de Version)": (
        "official-work",
        "open",
    ),
    "Andere Freeware Lizenz": ("other-freeware", "not-open"),
    "Andere geschlossene Lizenz": ("other-closed", "not-open"),
    "Andere kommerzielle Lizenz": ("other-commercial", "not-open"),
    "Andere offene Lizenz": ("other-open", "open"),
    "Andere Open Source Lizenz": ("other-opensource", "open"),
    "BSD Lizenz": ("bsd", "open"),
    "cc-by": ("cc-by", "open"),
    "CC-BY-4.0": ("cc-by-4.0", "open"),
    "cc-nc": ("cc-by-nc", "not-open"),
    "cc-zero": ("cc0-1.0", "open"),
    "CC0-1.0": ("cc0-1.0", "open"),
    "Creative Commons Atribuição": ("cc-by", "open"),
    "Creative Commons Attribution": ("cc-by", "open"),
    "Creative Commons Attribution ShareAlike 4.0 (CCBYSA4.0) (ältere DCAT-AP.de Version)": (
        "cc-by-sa-4.0",
        "open",
    ),
    "Creative Commons CC Zero License (cc-zero)": ("cc0-1.0", "open"),
    "Creative Commons CCZero": ("cc0-1.0", "open"),
    "Creative Commons Namensnennung  4.0 (CCBY) (ältere DCAT-AP.de Version)": ("cc-by-4.0", "open"),
    "Creative Commons Namensnennung (CC-BY)": ("cc-by", "open"),
    "Creative Commons Namensnennung - - Keine Bearbeitung 4.0 International (CC BY-ND 4.0)": (
        "cc-by-nd-4.0",
        "not-open",
    ),
    "Creative Commons Namensnennung - Keine Bearbeitung (CC BY-ND)": ("cc-by-nd", "not-open"),
    "Creative Commons Namensnennung - Nicht kommerziell (CC BY-NC)": ("cc-by-nc", "not-open"),
    "Creative Commons Namensnennung - Nicht kommerziell 4.0 International (CC BY-NC 4.0)": (
        "cc-by-nc-4.0",
        "not-open",
    ),
    "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen (CC-BY-SA)": (
        "cc-by-sa",
        "open",
    ),
    "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland (CC BY-SA 3.0 DE) ": (
        "cc-by-sa-3.0-de",
        "open",
    ),
    "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 4.0 International (CC-BY-SA 4.0)": (
        "cc-by-sa-4.0",
        "open",
    ),
    "Creative Commons Namensnennung -- Keine Bearbeitung 3.0 Unported (CC BY-ND 3.0)": (
        "cc-by-nd-3.0",
        "not-open",
    ),
    "Creative Commons Namensnennung 3.0 (CC-BY) (ältere DCAT-AP.de Version)": (
        "cc-by-3.0-de",
        "open",
    ),
    "Creative Commons Namensnennung 3.0 Deutschland (CC BY 3.0 DE)": ("cc-by-3.0-de", "open"),
    "Creative Commons Namensnennung Keine Bearbeitung 3.0 (CC-BY-ND) (ältere DCAT-AP.de Version)": (
        "cc-by-nd-3.0",
        "not-open",
    ),
    "Creative Commons Namensnennung Keine Bearbeitung 4.0 International (CC BYND 4.0) (ältere DCAT-AP.de Version)": (
        "cc-by-nd-4.0",
        "not-open",
    ),
    # non-commercial despite "(CCBY)" in GovData's title
    "Creative Commons Namensnennung Nichtkommerziell 4.0 (CCBY) (ältere DCAT-AP.de Version)": (
        "cc-by-nc-4.0",
        "not-open",
    ),
    "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)": ("cc-by-4.0", "open"),
    "Creative Commons Namensnennung-Nicht kommerziell (ältere DCAT-AP.de Version)": (
        "cc-by-nc",
        "not-open",
    ),
    "Creative Commons Namensnennung-Nicht kommerziell 3.0  (ältere DCAT-AP.de Version)": (
        "cc-by-nc-3.0-de",
        "not-open",
    ),
    "Creative Commons Namensnennung-Nicht kommerziell 3.0 Deutschland (CC BY-NC 3.0 DE)": (
        "cc-by-nc-3.0-de",
        "not-open",
    ),
    "Creative Commons Nicht-Kommerziell (CC-NC)": ("cc-by-nc", "not-open"),
    "Creative Commons Non-Commercial (Any)": ("cc-by-nc", "not-open"),
    # GovData title without a version (the package says dl-de-by-1.0); both versions are open
    "Datenlizenz Deutschland Namensnennung": ("dl-de-by", "open"),
    "Datenlizenz Deutschland Namensnennung 1.0": ("dl-de-by-1.0", "open"),
    "Datenlizenz Deutschland Namensnennung 1.0 (ältere DCAT-AP.de Version)": (
        "dl-de-by-1.0",
        "open",
    ),
    "Datenlizenz Deutschland Namensnennung 2.0": ("dl-de-by-2.0", "open"),
    "Datenlizenz Deutschland Namensnennung 2.0 (ältere DCAT-AP.de Version)": (
        "dl-de-by-2.0",
        "open",
    ),
    "Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0": ("dl-de-by-nc-1.0", "not-open"),
    "Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0 (ältere DCAT-AP.de Version)": (
        "dl-de-by-nc-1.0",
        "not-open",
    ),
    "Datenlizenz Deutschland – Zero – Version 2.0": ("dl-de-zero-2.0", "open"),
    "Datenlizenz Deutschland – Zero – Version 2.0 (ältere DCAT-AP.de Version)": (
        "dl-de-zero-2.0",
        "open",
    ),
    "dl-de-by-1.0": ("dl-de-by-1.0", "open"),
    "Freie Softwarelizenz der Apache Software Foundation": ("apache", "open"),
    "GNU Free Documentation License (GFDL)": ("gfdl", "open"),
    "GNU General Public License version 3.0 (GPLv3)": ("gpl-3.0", "open"),
    "GNU General Public License version 3.0 (GPLv3) (ältere DCAT-AP.de Version)": (
        "gpl-3.0",
        "open",
    ),
    # GovData's license_url for cc-by-nc: no version in the URL
    "http://creativecommons.org/licenses/by-nc/": ("cc-by-nc", "not-open"),
    "http://creativecommons.org/licenses/by-nc/2.0/": ("cc-by-nc-2.0", "not-open"),
    "http://creativecommons.org/licenses/by-nc/3.0/": ("cc-by-nc-3.0", "not-open"),
    "http://creativecommons.org/licenses/by-nc/4.0/": ("cc-by-nc-4.0", "not-open"),
    "http://creativecommons.org/licenses/by-nd/3.0/": ("cc-by-nd-3.0", "not-open"),
    "http://creativecommons.org/licenses/by-nd/4.0/": ("cc-by-nd-4.0", "not-open"),
    "http://creativecommons.org/licenses/by-sa/4.0/": ("cc-by-sa-4.0", "open"),
    "http://creativecommons.org/licenses/by/4.0/": ("cc-by-4.0", "open"),
    "http://creativecommons.org/publicdomain/mark/1.0/": ("cc-pdm-1.0", "open"),
    "http://creativecommons.org/publicdomain/zero/1.0/": ("cc0-1.0", "open"),
    "http://dcat-ap.de/def/licenses/apache": ("apache", "open"),
    "http://dcat-ap.de/def/licenses/bsd": ("bsd", "open"),
    "http://dcat-ap.de/def/licenses/cc-by": ("cc-by", "open"),
    "http://dcat-ap.de/def/licenses/cc-by-de/3.0": ("cc-by-3.0-de", "open"),
    "http://dcat-ap.de/def/licenses/cc-by-de/3_0": ("cc-by-3.0-de", "open"),
    "http://dcat-ap.de/def/licenses/cc-by-nc": ("cc-by-nc", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nc-de/3.0": ("cc-by-nc-3.0-de", "not-open"),
    # Bremen; old list, there is no German 4.0 port (GovData upgrades it to cc-by-nc/4.0)
    "http://dcat-ap.de/def/licenses/cc-by-nc-de/4_0": ("cc-by-nc-4.0", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nc/4.0": ("cc-by-nc-4.0", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nd": ("cc-by-nd", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nd/3.0": ("cc-by-nd-3.0", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nd/3_0": ("cc-by-nd-3.0", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nd/4.0": ("cc-by-nd-4.0", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-nd/4_0": ("cc-by-nd-4.0", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-by-sa": ("cc-by-sa", "open"),
    "http://dcat-ap.de/def/licenses/cc-by-sa-de/3.0": ("cc-by-sa-3.0-de", "open"),
    "http://dcat-ap.de/def/licenses/cc-by-sa/4.0": ("cc-by-sa-4.0", "open"),
    "http://dcat-ap.de/def/licenses/cc-by-sa/4_0": ("cc-by-sa-4.0", "open"),
    "http://dcat-ap.de/def/licenses/cc-by/4.0": ("cc-by-4.0", "open"),
    "http://dcat-ap.de/def/licenses/cc-by/4_0": ("cc-by-4.0", "open"),
    # old list, titled "Namensnennung-Nicht kommerziell", no successor: CC BY-NC, any version
    "http://dcat-ap.de/def/licenses/cc-nc": ("cc-by-nc", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-nc/3_0": ("cc-by-nc-3.0-de", "not-open"),
    "http://dcat-ap.de/def/licenses/cc-pdm/1_0": ("cc-pdm-1.0", "open"),
    "http://dcat-ap.de/def/licenses/cc-zero": ("cc0-1.0", "open"),
    "http://dcat-ap.de/def/licenses/ccpdm/1.0": ("cc-pdm-1.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-by-de/1.0": ("dl-de-by-1.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-by-de/1_0": ("dl-de-by-1.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": ("dl-de-by-2.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0/": ("dl-de-by-2.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-by-de/2_0": ("dl-de-by-2.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-by-nc-de/1.0": ("dl-de-by-nc-1.0", "not-open"),
    "http://dcat-ap.de/def/licenses/dl-by-nc-de/1_0": ("dl-de-by-nc-1.0", "not-open"),
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": ("dl-de-zero-2.0", "open"),
    "http://dcat-ap.de/def/licenses/dl-zero-de/2_0": ("dl-de-zero-2.0", "open"),
    "http://dcat-ap.de/def/licenses/geonutz/20130319": ("geonutzv", "open"),
    "http://dcat-ap.de/def/licenses/geoNutz/20131001": ("geonutz-berlin", "open"),
    "http://dcat-ap.de/def/licenses/gfdl": ("gfdl", "open"),
    "http://dcat-ap.de/def/licenses/gpl/3.0": ("gpl-3.0", "open"),
    "http://dcat-ap.de/def/licenses/gpl/30": ("gpl-3.0", "open"),
    # GovData titles it MPL 2.0, Berlin MPL 1.0: kept as "MPL, version not stated"
    "http://dcat-ap.de/def/licenses/mozilla": ("mpl", "open"),
    "http://dcat-ap.de/def/licenses/od-bc": ("odc-by-1.0", "open"),
    "http://dcat-ap.de/def/licenses/od-bl": ("odbl-1.0", "open"),
    "http://dcat-ap.de/def/licenses/odbl": ("odbl-1.0", "open"),
    "http://dcat-ap.de/def/licenses/odby": ("odc-by-1.0", "open"),
    "http://dcat-ap.de/def/licenses/odc-pddl": ("pddl-1.0", "open"),
    "http://dcat-ap.de/def/licenses/odcpddl": ("pddl-1.0", "open"),
    "http://dcat-ap.de/def/licenses/official-work": ("official-work", "open"),
    "http://dcat-ap.de/def/licenses/officialWork": ("official-work", "open"),
    "http://dcat-ap.de/def/licenses/other-closed": ("other-closed", "not-open"),
    "http://dcat-ap.de/def/licenses/other-commercial": ("other-commercial", "not-open"),
    "http://dcat-ap.de/def/licenses/other-freeware": ("other-freeware", "not-open"),
    "http://dcat-ap.de/def/licenses/other-open": ("other-open", "open"),
    "http://dcat-ap.de/def/licenses/other-opensource": ("other-opensource", "open"),
    # Commission Decision 2011/833/EU: reuse for any purpose with acknowledgement
    "http://publications.europa.eu/resource/authority/licence/COM_REUSE": ("com-reuse", "open"),
    # Opendatasoft default (Potsdam): Etalab Licence Ouverte, version not stated
    "http://wiki.data.gouv.fr/wiki/Licence_Ouverte_/_Open_Licence": ("lo-fr", "open"),
    "http://www.apache.org/licenses": ("apache", "open"),
    "http://www.gesetze-im-internet.de/urhg/__5.html": ("official-work", "open"),
    "http://www.mozilla.org/MPL": ("mpl", "open"),
    "http://www.opendefinition.org/licenses/cc-by": ("cc-by", "open"),
    "http://www.opendefinition.org/licenses/cc-by-sa": ("cc-by-sa", "open"),
    "http://www.opendefinition.org/licenses/cc-zero": ("cc0-1.0", "open"),
    "http://www.opendefinition.org/licenses/gfdl": ("gfdl", "open"),
    "http://www.opendefinition.org/licenses/odc-by": ("odc-by-1.0", "open"),
    "http://www.opendefinition.org/licenses/odc-odbl": ("odbl-1.0", "open"),
    "http://www.opendefinition.org/licenses/odc-pddl": ("pddl-1.0", "open"),
    "http://www.opensource.org/licenses/bsd-license.php": ("bsd", "open"),
    "http://www.opensource.org/licenses/gpl-3.0.html": ("gpl-3.0", "open"),
    "http://www.stadtentwicklung.berlin.de/geoinformation/download/nutzIII.pdf": (
        "geonutz-berlin",
        "open",
    ),
    "https://creativecommons.org/licenses/by-nc/3.0/de/": ("cc-by-nc-3.0-de", "not-open"),
    "https://creativecommons.org/licenses/by-nd/4.0/": ("cc-by-nd-4.0", "not-open"),
    "https://creativecommons.org/licenses/by-sa/3.0/de/": ("cc-by-sa-3.0-de", "open"),
    "https://creativecommons.org/licenses/by/3.0/de/": ("cc-by-3.0-de", "open"),
    "https://creativecommons.org/licenses/by/4.0": ("cc-by-4.0", "open"),
    "https://creativecommons.org/publicdomain/zero/1.0/": ("cc0-1.0", "open"),
    "https://data.some.org/link/to/license": (None, "unknown"),
    "https://datos.madrid.es/egob/catalogo/aviso-legal": (None, "unknown"),
    "https://hub.arcgis.com/api/v2/datasets/429428633a5e486289f6111d9cbe7065/license": (
        None,
        "unknown",
    ),
    "https://hub.arcgis.com/api/v2/datasets/f1879e9f6798461f8fd54719ea2231f8/license": (
        None,
        "unknown",
    ),
    # DCAT-US's placeholder for "licence unknown": no licence given, like CKAN's notspecified
    "https://project-open-data.cio.gov/unknown-license": ("not-specified", "missing"),
    "https://sg.geodatenzentrum.de/web_public/gdz/lizenz/geonutzv.pdf": ("geonutzv", "open"),
    "https://www.dcat-ap.de/def/licenses/cc-zero": ("cc0-1.0", "open"),
    "https://www.dcat-ap.de/def/licenses/odbl": ("odbl-1.0", "open"),
    "https://www.govdata.de/dl-de/by-1-0": ("dl-de-by-1.0", "open"),
    "https://www.govdata.de/dl-de/by-2-0": ("dl-de-by-2.0", "open"),
    "https://www.govdata.de/dl-de/by-nc-1-0": ("dl-de-by-nc-1.0", "not-open"),
    "https://www.govdata.de/dl-de/zero-2-0": ("dl-de-zero-2.0", "open"),
    "License not specified": ("not-specified", "missing"),
    "Licença Aberta para Bases de Dados (ODbL) do Open Data Commons": ("odbl-1.0", "open"),
    "Licença e Dedicação ao Domínio Público do Open Data Commons (PDDL)": ("pddl-1.0", "open"),
    "Mozilla Public License 2.0 (MPL)": ("mpl-2.0", "open"),
    # opendata.swiss terms of use "Open use"
    "NonCommercialAllowed-CommercialAllowed-ReferenceNotRequired": ("ch-terms-open", "open"),
    "notspecified": ("not-specified", "missing"),
    # Potsdam's own terms of use: not a known licence
    "Nutzungsbedingungen der LHP": (None, "unknown"),
    "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Bundes": ("geonutzv", "open"),
    "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Landes Berlin": (
        "geonutz-berlin",
        "open",
    ),
    "odc-odbl": ("odbl-1.0", "open"),
    "odc-pddl": ("pddl-1.0", "open"),
    "Open Data Commons Attribution License (ODC-BY 1.0)": ("odc-by-1.0", "open"),
    "Open Data Commons Attribution License (ODCBY) (ältere DCAT-AP.de Version)": (
        "odc-by-1.0",
        "open",
    ),
    "Open Data Commons Open Database License (ODbL)": ("odbl-1.0", "open"),
    "Open Data Commons Open Database License (ODbL) (ältere DCAT-AP.de Version)": (
        "odbl-1.0",
        "open",
    ),
    "Open Data Commons Public Domain Dedication and Licence (ODC PDDL)": ("pddl-1.0", "open"),
    "Open Data Commons Public Domain Dedication and Licence (PDDL) (ältere DCAT-AP.de Version)": (
        "pddl-1.0",
        "open",
    ),
    "Open Data Commons Public Domain Dedication and License (PDDL)": ("pddl-1.0", "open"),
    "Other (Not Open)": ("other-closed", "not-open"),
    "Other (Open)": ("other-open", "open"),
    "Other (Public Domain)": ("other-pd", "open"),
    "other-closed": ("other-closed", "not-open"),
    "other-open": ("other-open", "open"),
    "other-pd": ("other-pd", "open"),
    "Outra (Aberta)": ("other-open", "open"),
    "Outra (Domínio Público)": ("other-pd", "open"),
    "Public Domain Mark 1.0 (PDM)": ("cc-pdm-1.0", "open"),
    "Public Domain Mark 1.0 (PDM) (ältere DCAT-AP.de Version)": ("cc-pdm-1.0", "open"),
}


# ---------------------------------------------------------------- corpus collection


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"recorded corpus not found at {CORPUS} (expected ../shared/corpus)")
    return CORPUS


_JSON_KEYS = {
    "license",
    "license_id",
    "license_title",
    "license_url",
    "dct:license",
    "schema:license",
    "http://purl.org/dc/terms/license",
}
_DCT_LICENSE = "{http://purl.org/dc/terms/}license"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_TTL_LICENSE = re.compile(r'(?:dct|dcterms):license\s+(?:<([^>]*)>|"((?:[^"\\]|\\.)*)")')


def _from_json(obj: object, found: set[str | None]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "@context":
                continue
            if key in _JSON_KEYS:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict) and "@id" in item:
                        found.add(item["@id"])
                    elif item is None or isinstance(item, str):
                        found.add(item)
            if isinstance(value, str) and value.lstrip().startswith("<?xml"):
                _from_rdfxml(value.encode("utf-8"), found)  # ckanext-dcat dcat_dataset_show
            elif isinstance(value, str) and value.startswith("{") and '"@context"' in value:
                _from_json(json.loads(value), found)  # ... and its JSON-LD variant
            else:
                _from_json(value, found)
    elif isinstance(obj, list):
        for item in obj:
            _from_json(item, found)


def _from_rdfxml(data: bytes, found: set[str | None]) -> None:
    for element in ET.fromstring(data).iter(_DCT_LICENSE):
        value = element.get(_RDF + "resource")
        if value is None and len(element):
            value = element[0].get(_RDF + "about")
        found.add(value if value is not None else (element.text or ""))


def _from_turtle(text: str, found: set[str | None]) -> None:
    for match in _TTL_LICENSE.finditer(text):
        found.add(match.group(1) if match.group(1) is not None else match.group(2))


@pytest.fixture(scope="module")
def corpus_licenses(corpus: Path) -> set[str | None]:
    found: set[str | None] = set()
    json_files = [
        *corpus.glob("ckan/**/*.json"),
        *corpus.glob("datajson/*.json"),
        *corpus.glob("dcat/**/*.json"),
        *corpus.glob("dcat/**/*.jsonld"),
    ]
    for path in json_files:
        if path.name != "index.json":  # dados-gov-br's request index, not a response
            _from_json(json.loads(path.read_text(encoding="utf-8")), found)
    for path in corpus.glob("dcat/**/*.rdf"):
        _from_rdfxml(path.read_bytes(), found)
    for path in [*corpus.glob("dcat/**/*.ttl"), corpus / "opendatasoft" / "potsdam.ttl"]:
        _from_turtle(path.read_text(encoding="utf-8"), found)
    license_list = json.loads(
        (corpus / "ckan/govdata-staging/license_list_response.json").read_text(encoding="utf-8")
    )["result"]
    assert len(license_list) == 52
    for entry in license_list:
        found.update([entry["id"], entry["title"], entry["url"]])
    return found


def _vocab_values(corpus: Path) -> set[str | None]:
    """Licence spellings from the reference vocabularies (for the SQL parity test)."""
    values: set[str | None] = set()
    for path in (corpus / "vocab/dcat-ap-de").glob("*licenses*.rdf"):
        values.update(re.findall(r'rdf:about="([^"]*)"', path.read_text(encoding="utf-8")))
    berlin = json.loads((corpus / "vocab/berlin/licenses.json").read_text(encoding="utf-8"))
    for key, entry in berlin.items():
        values.add(key)
        values.update(entry.values())
    mapping = json.loads(
        (corpus / "vocab/govdata-ckan/dcat_license_mapping.json").read_text(encoding="utf-8")
    )
    for entry in mapping["list"]:
        values.update(entry.values())
    for row in csv.reader((corpus / "vocab/mqa/licenses.csv").open(encoding="utf-8")):
        values.update(row)
    return values


# ---------------------------------------------------------------- the corpus, value by value


def test_every_corpus_licence_string_classifies_as_expected(corpus_licenses):
    assert sorted(corpus_licenses, key=str) == sorted(EXPECTED, key=str)
    got = {}
    for raw in corpus_licenses:
        lic = classify_license(raw)
        got[raw] = (lic.license_id, lic.status)
    assert got == EXPECTED


def test_corpus_breakdown_by_status():
    # Issue 13: 5 of the 179 corpus values were unknown before the German spellings and the
    # compact key, and still are (Potsdam's own terms, ArcGIS Hub and Madrid legal pages, a
    # DCAT-US placeholder URL): the spellings the issue lists do not occur in the corpus.
    assert Counter(status for _, status in EXPECTED.values()) == {
        "open": 123,
        "not-open": 46,
        "missing": 5,
        "unknown": 5,
    }


def test_unknown_corpus_values_keep_their_raw_value():
    raw = "Nutzungsbedingungen der LHP"  # opendata.potsdam.de
    assert classify_license(raw) == License(
        raw=raw,
        key="nutzungsbedingungen der lhp",
        license_id=None,
        title=None,
        status="unknown",
        is_open=None,
        attribution=None,
        share_alike=None,
        non_commercial=None,
        no_derivatives=None,
        in_vocabulary=False,
        url=None,
    )


def test_old_dcat_ap_de_uri_classifies_whole():
    raw = "http://dcat-ap.de/def/licenses/dl-by-de/2_0"
    assert classify_license(raw) == License(
        raw=raw,
        key="dcat-ap.de/def/licenses/dl-by-de/2.0",
        license_id="dl-de-by-2.0",
        title="Datenlizenz Deutschland – Namensnennung – Version 2.0",
        status="open",
        is_open=True,
        attribution=True,
        share_alike=False,
        non_commercial=False,
        no_derivatives=False,
        in_vocabulary=True,
        url="https://www.govdata.de/dl-de/by-2-0",
    )


def test_bremen_non_commercial_licence_is_not_open():
    lic = classify_license("http://dcat-ap.de/def/licenses/cc-by-nc-de/4_0")
    assert (lic.license_id, lic.status, lic.is_open, lic.non_commercial, lic.in_vocabulary) == (
        "cc-by-nc-4.0",
        "not-open",
        False,
        True,
        True,
    )


# ---------------------------------------------------------------- keys


@pytest.mark.parametrize(
    "raw",
    [
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "http://dcat-ap.de/def/licenses/dl-by-de/2_0",
        "https://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "https://www.dcat-ap.de/def/licenses/dl-by-de/2.0",
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0/",
        "http://dcat-ap.de/def/licenses/dl-by-de/2_0//",
        "  HTTP://DCAT-AP.DE/def/licenses/dl-by-de/2.0\n",
        "<http://dcat-ap.de/def/licenses/dl-by-de/2.0>",
    ],
)
def test_uri_variants_meet_one_key(raw):
    assert normalize_license_key(raw) == "dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert classify_license(raw).license_id == "dl-de-by-2.0"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (None, ""),
        ("", ""),
        ("  \t\n ", ""),
        ("CC-BY-4.0", "cc-by-4.0"),
        (
            "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
            "publications.europa.eu/resource/authority/licence/cc_by_4.0",
        ),
        (
            "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "datenlizenz deutschland - namensnennung - version 2.0",
        ),
        (
            "Creative Commons Namensnennung  4.0\u00a0(CCBY)",
            "creative commons namensnennung 4.0 (ccby)",
        ),
        ("http://www.gesetze-im-internet.de/urhg/__5.html", "gesetze-im-internet.de/urhg/__5.html"),
        ("Licence_Ouverte_1_0_2", "licence_ouverte_1.0_2"),
    ],
)
def test_normalize_license_key(raw, key):
    assert normalize_license_key(raw) == key


def test_license_key_sql_is_a_template():
    assert "{col}" in LICENSE_KEY_SQL
    assert license_key_sql("x") == LICENSE_KEY_SQL.format(col="x")


def test_python_and_duckdb_keys_agree(corpus_licenses, corpus):
    duckdb = pytest.importorskip("duckdb")
    values = sorted(
        corpus_licenses
        | _vocab_values(corpus)
        | {"  \t\n ", "<http://dcat-ap.de/def/licenses/other-open>", "Ä – B — C\u00a0D", "1_2_3"},
        key=str,
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE raw (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?, ?)", list(enumerate(values)))
    rows = con.execute(f"SELECT i, {license_key_sql('v')} FROM raw ORDER BY i").fetchall()
    assert [key for _, key in rows] == [normalize_license_key(v) for v in values]
    rows = con.execute(f"SELECT i, {license_compact_key_sql('v')} FROM raw ORDER BY i").fetchall()
    assert [key for _, key in rows] == [compact_license_key(v) for v in values]


def test_licence_table_joins_in_duckdb(corpus_licenses, corpus):
    from test_licenses_german import _duckdb_classes  # the one set-based lookup of the tests

    values = corpus_licenses | _vocab_values(corpus)  # EU codes such as CC_BY_4_0 match compact
    assert _duckdb_classes(list(values)) == {
        raw: classify_license(raw).license_id for raw in values
    }


# ---------------------------------------------------------------- statuses


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t"])
def test_empty_values_are_missing(raw):
    lic = classify_license(raw)
    assert (lic.raw, lic.license_id, lic.status, lic.is_open) == (raw, None, "missing", None)


@pytest.mark.parametrize(
    ("raw", "license_id"),
    [
        ("notspecified", "not-specified"),
        ("License not specified", "not-specified"),
        ("https://project-open-data.cio.gov/unknown-license/", "not-specified"),
    ],
)
def test_explicit_not_specified_is_missing(raw, license_id):
    lic = classify_license(raw)
    assert (lic.license_id, lic.status, lic.is_open) == (license_id, "missing", None)


@pytest.mark.parametrize(
    ("raw", "license_id", "nc", "nd"),
    [
        ("CC-BY-NC-4.0", "cc-by-nc-4.0", True, False),
        ("CC-BY-ND-4.0", "cc-by-nd-4.0", False, True),
        ("CC-BY-NC-SA-3.0-DE", "cc-by-nc-sa-3.0-de", True, False),
        ("https://creativecommons.org/licenses/by-nc-nd/3.0/de/", "cc-by-nc-nd-3.0-de", True, True),
        ("http://creativecommons.org/licenses/by-nd-nc/1.0/", "cc-by-nc-nd-1.0", True, True),
        (
            "http://publications.europa.eu/resource/authority/licence/CC_BYNCSA_4_0",
            "cc-by-nc-sa-4.0",
            True,
            False,
        ),
        ("cc-nc", "cc-by-nc", True, False),
        ("other-nc", "other-nc", True, False),
        ("https://www.govdata.de/dl-de/by-nc-1-0", "dl-de-by-nc-1.0", True, False),
    ],
)
def test_non_commercial_and_no_derivatives_are_not_open(raw, license_id, nc, nd):
    lic = classify_license(raw)
    assert (lic.license_id, lic.status, lic.is_open, lic.non_commercial, lic.no_derivatives) == (
        license_id,
        "not-open",
        False,
        nc,
        nd,
    )


@pytest.mark.parametrize(
    ("raw", "license_id", "attribution", "share_alike", "in_vocabulary"),
    [
        ("DL-DE-ZERO-2.0", "dl-de-zero-2.0", False, False, False),
        ("https://www.govdata.de/dl-de/zero-2-0", "dl-de-zero-2.0", False, False, False),
        (
            "http://publications.europa.eu/resource/authority/licence/DLDE_ZERO_2_0",
            "dl-de-zero-2.0",
            False,
            False,
            True,
        ),
        ("dl-de-by-2.0", "dl-de-by-2.0", True, False, False),
        (
            "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "dl-de-by-2.0",
            True,
            False,
            False,
        ),
        ("dl-de/by-2-0", "dl-de-by-2.0", True, False, False),
        (
            "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
            "cc-by-4.0",
            True,
            False,
            True,
        ),
        (
            "https://creativecommons.org/licenses/by-sa/4.0/legalcode",
            "cc-by-sa-4.0",
            True,
            True,
            False,
        ),
        ("CC-BY-3.0-DE", "cc-by-3.0-de", True, False, False),
        ("Creative Commons Namensnennung 4.0 International", "cc-by-4.0", True, False, False),
        ("officialWork", "official-work", False, False, False),
        ("http://dcat-ap.de/def/licenses/officialWork", "official-work", False, False, True),
        ("uk-ogl", "ogl-uk", True, False, False),
        ("odc-odbl", "odbl-1.0", True, True, False),
        ("other-at", "other-at", True, False, False),
    ],
)
def test_open_licences(raw, license_id, attribution, share_alike, in_vocabulary):
    lic = classify_license(raw)
    assert (lic.license_id, lic.status, lic.attribution, lic.share_alike, lic.in_vocabulary) == (
        license_id,
        "open",
        attribution,
        share_alike,
        in_vocabulary,
    )


@pytest.mark.parametrize(
    "raw",
    [
        "Nutzungsbedingungen der LHP",
        "Creative Commons",  # which one?
        "open",
        "Datenlizenz Deutschland",  # which variant?
        "Datenlizenz Deutschland Zero 1.0",  # does not exist
        "https://example.org/license",
        "cc-by-5.0",
    ],
)
def test_unknown_is_never_guessed(raw):
    lic = classify_license(raw)
    assert (lic.raw, lic.license_id, lic.status, lic.is_open, lic.in_vocabulary) == (
        raw,
        None,
        "unknown",
        None,
        False,
    )


def test_classify_license_fields_prefers_the_first_recognised_field():
    assert classify_license_fields("CC-BY-4.0", "", "Creative Commons").license_id == "cc-by-4.0"
    lic = classify_license_fields("my-custom-id", None, "Creative Commons Attribution 4.0")
    assert (lic.raw, lic.license_id) == ("Creative Commons Attribution 4.0", "cc-by-4.0")
    lic = classify_license_fields("my-custom-id", None, "Some terms")
    assert (lic.raw, lic.status) == ("my-custom-id", "unknown")
    lic = classify_license_fields(None, "", None)
    assert (lic.raw, lic.status) == (None, "missing")


# ---------------------------------------------------------------- dataset vs distribution


def test_distribution_licence_overrides_dataset():
    lic = distribution_license("cc-by", "http://dcat-ap.de/def/licenses/cc-by-nc")
    assert (lic.raw, lic.license_id, lic.status) == (
        "http://dcat-ap.de/def/licenses/cc-by-nc",
        "cc-by-nc",
        "not-open",
    )


@pytest.mark.parametrize("distribution_raw", [None, "", "  ", "notspecified"])
def test_distribution_without_licence_inherits_dataset(distribution_raw):
    lic = distribution_license("odc-odbl", distribution_raw)
    assert (lic.raw, lic.license_id, lic.status) == ("odc-odbl", "odbl-1.0", "open")


def test_govdata_shape_dataset_empty_resources_licensed():
    # GovData: license_id null on the package, the licence sits on each resource
    resources = [
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "http://dcat-ap.de/def/licenses/dl-by-de/2_0",
    ]
    assert [lic.license_id for lic in distribution_licenses(None, resources)] == [
        "dl-de-by-2.0",
        "dl-de-by-2.0",
    ]
    lic = effective_license(None, resources)
    assert (lic.raw, lic.license_id, lic.status) == (resources[0], "dl-de-by-2.0", "open")


def test_effective_licence_is_the_least_open_distribution():
    lic = effective_license("cc-by", [None, "CC-BY-NC-4.0", "Nutzungsbedingungen der LHP"])
    assert (lic.license_id, lic.status) == ("cc-by-nc-4.0", "not-open")
    lic = effective_license("cc-by", [None, "Nutzungsbedingungen der LHP"])
    assert (lic.raw, lic.status) == ("Nutzungsbedingungen der LHP", "unknown")
    lic = effective_license(None, ["cc-zero", None, "Nutzungsbedingungen der LHP"])
    assert (lic.raw, lic.status) == (None, "missing")
    lic = effective_license("other-open", ["CC0-1.0", "dl-de-zero-2.0"])
    assert (lic.license_id, lic.status) == ("cc0-1.0", "open")


def test_effective_licence_without_distributions_is_the_dataset_licence():
    assert effective_license("cc-zero", []) == classify_license("cc-zero")
    assert effective_license(None, []).status == "missing"


def test_effective_licence_accepts_classified_licences():
    dataset = classify_license_fields(None, None, "Creative Commons Attribution")
    assert effective_license(dataset, [None]).license_id == "cc-by"


# ---------------------------------------------------------------- the table itself


def test_table_rows_are_consistent():
    rows = load_license_table()
    assert len({row["key"] for row in rows}) == len(rows)
    per_licence: dict[str, tuple] = {}
    for row in rows:
        assert normalize_license_key(row["key"]) == row["key"], row["key"]
        assert row["in_vocabulary"] == row["key"].startswith(
            ("dcat-ap.de/def/licenses/", "publications.europa.eu/resource/authority/licence/")
        ), row["key"]
        facts = tuple(
            row[column]
            for column in (
                "title",
                "open",
                "attribution",
                "share_alike",
                "non_commercial",
                "no_derivatives",
                "url",
            )
        )
        assert per_licence.setdefault(row["license_id"], facts) == facts, row["key"]
        if row["non_commercial"] or row["no_derivatives"]:
            assert row["open"] is False, row["key"]
        if row["open"] is None:
            assert row["license_id"] == "not-specified"


def test_each_licence_url_classifies_back_to_its_licence():
    for row in load_license_table():
        if row["url"]:
            assert classify_license(row["url"]).license_id == row["license_id"], row["url"]


def test_load_license_table_returns_copies():
    first = load_license_table()
    first[0]["license_id"] = "changed"
    assert load_license_table()[0]["license_id"] != "changed"


# ---------------------------------------------------------------- against the vocabularies


def test_dcat_ap_de_vocabulary_types_match_openness(corpus):
    text = (VOCAB / "dcat-ap-de/licenses-20210721.rdf").read_text(encoding="utf-8")
    concepts = re.findall(
        r'<skos:Concept rdf:about="([^"]*)">.*?<dct:type>([^<]*)</dct:type>', text, re.S
    )
    assert len(concepts) == 34
    expected = {"Freie Nutzung": "open", "Eingeschränkte Nutzung": "not-open"}
    for uri, kind in concepts:
        lic = classify_license(uri)
        assert (uri, lic.status, lic.in_vocabulary) == (uri, expected[kind], True)


def test_every_dcat_ap_de_vocabulary_uri_is_known(corpus):
    for name in ["licenses-1.0.rdf", "licenses-20210721.rdf", "dcat-ap-de-licenses-open.rdf"]:
        text = (VOCAB / "dcat-ap-de" / name).read_text(encoding="utf-8")
        for uri in set(re.findall(r'<skos:Concept rdf:about="([^"]*)"', text)):
            lic = classify_license(uri)
            assert (uri, lic.in_vocabulary, lic.status in ("open", "not-open")) == (uri, True, True)


def test_govdata_license_list_conformance_matches_openness(corpus):
    license_list = json.loads(
        (corpus / "ckan/govdata-staging/license_list_response.json").read_text(encoding="utf-8")
    )["result"]
    expected = {"approved": "open", "not reviewed": "not-open"}
    for entry in license_list:
        assert (entry["id"], classify_license(entry["id"]).status) == (
            entry["id"],
            expected[entry["od_conformance"]],
        )


def test_govdata_upgrade_map_keeps_the_licence(corpus):
    upgrades = json.loads(
        (VOCAB / "govdata-ckan/dcat_licenses_upgrade.json").read_text(encoding="utf-8")
    )
    for old, new in upgrades.items():
        if new:  # cc-nc has no successor
            assert (old, classify_license(old).license_id) == (
                old,
                classify_license(new).license_id,
            )


def test_govdata_and_berlin_mappings_agree_on_openness(corpus):
    expected = {"offen": "open", "geschlossen": "not-open"}
    mapping = json.loads(
        (VOCAB / "govdata-ckan/dcat_license_mapping.json").read_text(encoding="utf-8")
    )
    berlin = json.loads((VOCAB / "berlin/licenses.json").read_text(encoding="utf-8"))
    checked = 0
    for entry in [*mapping["list"], *berlin.values()]:
        if "Lizenztyp" not in entry:
            continue
        for field, value in entry.items():
            if field != "Lizenztyp" and value:
                assert (value, classify_license(value).status) == (
                    value,
                    expected[entry["Lizenztyp"]],
                )
                checked += 1
    assert checked > 250
    # Berlin's harvester keys: raw values mapped to a DCAT-AP.de id
    for raw, entry in berlin.items():
        target = classify_license("http://dcat-ap.de/def/licenses/" + entry["dcatde-id"])
        if target.status == "unknown":  # Berlin maps "CC BY 4.0 DE" to a non-existent cc-by-de/4.0
            assert entry["dcatde-id"] == "cc-by-de/4.0"
            continue
        assert (raw, classify_license(raw).status) == (raw, target.status)


def test_okfn_conformance_matches_openness_for_known_licences(corpus):
    licences = json.loads((VOCAB / "okfn-licenses/all.json").read_text(encoding="utf-8"))
    expected = {"approved": "open", "rejected": "not-open"}
    known = 0
    for okfn_id, entry in licences.items():
        lic = classify_license(okfn_id)
        if lic.status == "unknown" or entry["od_conformance"] not in expected:
            continue
        known += 1
        assert (okfn_id, lic.status) == (okfn_id, expected[entry["od_conformance"]])
        for alias in entry.get("legacy_ids") or []:
            assert (alias, classify_license(alias).license_id) == (alias, lic.license_id)
    assert known == 16


def test_spdx_data_licence_ids(corpus):
    spdx = json.loads((VOCAB / "spdx/spdx.json").read_text(encoding="utf-8"))
    assert {
        spdx_id: classify_license(spdx_id).license_id
        for spdx_id in spdx
        if spdx_id.startswith(("DL-DE", "CC-BY-4", "CC-BY-SA-4", "CC0", "ODbL", "PDDL", "ODC-By"))
    } == {
        "DL-DE-BY-2.0": "dl-de-by-2.0",
        "DL-DE-ZERO-2.0": "dl-de-zero-2.0",
        "CC-BY-4.0": "cc-by-4.0",
        "CC-BY-SA-4.0": "cc-by-sa-4.0",
        "CC0-1.0": "cc0-1.0",
        "ODbL-1.0": "odbl-1.0",
        "PDDL-1.0": "pddl-1.0",
        "ODC-By-1.0": "odc-by-1.0",
    }


def test_eu_licence_authority_uris_and_the_mqa_table(corpus):
    rows = list(csv.reader((VOCAB / "mqa/licenses.csv").open(encoding="utf-8")))
    mismatched = {}
    for url, code, eu_uri in rows:
        eu = classify_license(eu_uri)
        if re.match(r"(CC|DLDE_|ODC_|OGL_\d)", code) and not code.endswith("_NL"):
            assert (code, eu.in_vocabulary, eu.status in ("open", "not-open")) == (code, True, True)
        if eu.status != "unknown" and classify_license(url).license_id != eu.license_id:
            mismatched[code] = (url, classify_license(url).license_id, eu.license_id)
    # The MQA table keys DLDE_ZERO_2_0 by the dl-de/by-2-0 URL; we keep them apart.
    # The GNU FDL rows point at GNU's generic licence list page.
    assert mismatched == {
        "DLDE_ZERO_2_0": ("https://www.govdata.de/dl-de/by-2-0", "dl-de-by-2.0", "dl-de-zero-2.0"),
        "GNU_FDL": ("http://www.gnu.org/licenses/licenses.html", None, "gfdl"),
        "GNU_FDL_1_3": ("http://www.gnu.org/licenses/licenses.html", None, "gfdl-1.3"),
    }
