"""portals.yaml: the real file loads; every mistake is one line naming file, portal and fix."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from flows.cli import main
from flows.config import IMPLEMENTED, ConfigError, load_portals, select

ROOT = Path(__file__).resolve().parents[1]


def test_repo_portals_yaml():
    portals = load_portals(ROOT / "portals.yaml")
    by_id = {p.id: p for p in portals}
    assert len(by_id) == len(portals) == 61
    # the six portals odwatch started with come first, unchanged; Dortmund is enabled now
    assert [(p.id, p.platform, p.enabled) for p in portals[:7]] == [
        ("leipzig", "ckan", True),
        ("bochum", "ckan", True),
        ("berlin", "ckan", True),
        ("hamburg", "ckan", True),
        ("muenchen", "ckan", True),
        ("govdata", "ckan", True),
        ("dortmund", "opendatasoft", True),
    ]
    assert Counter((p.kind, p.platform, p.enabled) for p in portals) == {
        ("city", "ckan", True): 27,
        ("city", "dkan", True): 8,
        ("city", "opendatasoft", True): 3,
        ("city", "dcat", True): 1,
        ("city", "datajson", True): 1,
        ("city", "dcat", False): 13,
        ("city", "ckan", False): 1,
        ("national", "ckan", True): 1,
        ("regional", "ckan", True): 2,
        ("regional", "ckan", False): 4,
    }
    # every city has a population and a Land, so scores compare per 100,000 inhabitants
    cities = [p for p in portals if p.kind == "city"]
    assert all(p.population and p.population > 100_000 and p.state for p in cities)
    assert [p.id for p in portals if p.kind != "city" and p.population] == []
    # every enabled portal has an adapter; disabled ones say why
    assert all(p.platform in IMPLEMENTED for p in portals if p.enabled)
    assert all(p.notes for p in portals if not p.enabled and p.id != "mrn")
    bochum, rostock, koeln = by_id["bochum"], by_id["rostock"], by_id["koeln"]
    assert (bochum.url, bochum.organization, bochum.city) == (
        "https://opendata.ruhr",
        "stadt-bochum",
        "Bochum",
    )
    assert (rostock.platform, rostock.url, rostock.state, rostock.population) == (
        "dcat",
        "https://www.opendata-hro.de/catalog.rdf",
        "Mecklenburg-Vorpommern",
        209061,
    )
    assert (koeln.platform, koeln.url, koeln.population) == (
        "dkan",
        "https://offenedaten-koeln.de",
        1084831,
    )
    # cities without a portal of their own are harvested through their organisation
    assert sorted((p.url, p.organization) for p in cities if p.enabled and p.organization) == [
        ("https://ckan.www.open.nrw.de", "neuss"),
        ("https://ckan.www.open.nrw.de", "paderborn"),
        ("https://daten.rlp.de", "stadt_kaiserslautern"),
        ("https://daten.rlp.de", "stadt_mainz"),
        ("https://daten.rlp.de", "stadt_trier"),
        ("https://offenedaten.aachen.de", "stadt-aachen"),
        ("https://opendata.ruhr", "bottrop"),
        ("https://opendata.ruhr", "hagen"),
        ("https://opendata.ruhr", "hamm"),
        ("https://opendata.ruhr", "herne"),
        ("https://opendata.ruhr", "oberhausen"),
        ("https://opendata.ruhr", "recklinghausen"),
        ("https://opendata.ruhr", "stadt-bochum"),
        ("https://opendata.schleswig-holstein.de", "landeshauptstadt-kiel"),
        ("https://opendata.schleswig-holstein.de", "luebeck"),
        ("https://www.offenesdatenportal.de", "krefeld"),
        ("https://www.offenesdatenportal.de", "moers"),
    ]
    assert [p.id for p in portals if p.kind != "city" and p.enabled] == [
        "govdata",
        "open-nrw",
        "opendata-ruhr",
    ]
    assert len(select(portals, None)) == 43


GOOD = """portals:
  - id: bochum
    title: Stadt Bochum auf opendata.ruhr
    city: Bochum
    platform: ckan
    url: https://opendata.ruhr
    organization: stadt-bochum
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("organization:", "organisation:"),
            "portal 'bochum' (#1): unknown key 'organisation'; allowed keys are id, title, city, platform, url, "
            "organization, enabled, allow_private_urls, page_size, population, state, kind, notes, "
            "schedule, full_every, alerts, alert_after_failures, alert_score_drop, max_response_mb, "
            "shacl_profile, api_rate, api_concurrency, link_rate, link_concurrency",
        ),
        (
            GOOD.replace("https://opendata.ruhr", "opendata.ruhr"),
            "portal 'bochum' (#1): bad url 'opendata.ruhr'; give the portal's base URL, e.g. https://opendata.example.de",
        ),
        (
            GOOD.replace("platform: ckan", "platform: socrata"),
            "portal 'bochum' (#1): unknown platform 'socrata'; use one of ckan, dkan, opendatasoft, dcat, datajson",
        ),
        (
            GOOD.replace("    city: Bochum\n", ""),
            "portal 'bochum' (#1): missing or empty 'city'; add 'city: ...' to this portal",
        ),
        (
            GOOD + GOOD[len("portals:\n") :],
            "portal 'bochum' (#2): duplicate id 'bochum'; give every portal its own id",
        ),
        (
            GOOD + "    kind: state\n",
            "portal 'bochum' (#1): unknown kind 'state'; use one of city, regional, national",
        ),
        (
            GOOD + "    enabled: yes please\n",
            "portal 'bochum' (#1): 'enabled' must be true or false; write 'enabled: true' or 'enabled: false'",
        ),
        (
            GOOD + "    max_response_mb: 0\n",
            "portal 'bochum' (#1): max_response_mb 0 is not a whole number from 1 to 4096; "
            "write e.g. 'max_response_mb: 128' (MB per API answer, decompressed)",
        ),
        (
            GOOD + "    shacl_profile: dcat-ap-de-2.1\n",
            "portal 'bochum' (#1): unknown shacl_profile 'dcat-ap-de-2.1'; "
            "use one of dcat-ap-de-2.0, dcat-ap-de-3.0, or false to skip SHACL validation",
        ),
        (
            "portals: [\n",
            "line 2, column 1: expected the node content, but found '<stream end>'; fix the YAML syntax there",
        ),
        (
            "sites: []\n",
            "top level: expected a mapping with the single key 'portals'; see README 'Adding a portal'",
        ),
    ],
)
def test_mistakes_are_one_line(tmp_path, text, message):
    path = tmp_path / "portals.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_portals(path)
    assert str(err.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("line", "profile"),
    [("", "dcat-ap-de-2.0"), ("    shacl_profile: dcat-ap-de-3.0\n", "dcat-ap-de-3.0"),
     ("    shacl_profile: false\n", None)],
)  # fmt: skip
def test_shacl_profile_defaults_to_dcat_ap_de_2_and_can_be_3_or_off(tmp_path, line, profile):
    path = tmp_path / "portals.yaml"
    path.write_text(GOOD + line)
    (portal,) = load_portals(path)
    assert portal.shacl_profile == profile


def test_cli_reports_config_errors_without_traceback(tmp_path, capsys):
    path = tmp_path / "portals.yaml"
    path.write_text(GOOD.replace("url: https://opendata.ruhr", "url: ftp://opendata.ruhr"))
    code = main(["run", "--portals", str(path), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        f"odwatch: error: {path}: portal 'bochum' (#1): bad url 'ftp://opendata.ruhr'; "
        "give the portal's base URL, e.g. https://opendata.example.de\n"
    )


def test_cli_missing_file_and_unknown_only(tmp_path, capsys):
    assert main(["run", "--portals", str(tmp_path / "nope.yaml")]) == 1
    assert (
        capsys.readouterr().err
        == f"odwatch: error: {tmp_path / 'nope.yaml'}: file not found; pass --portals FILE or create portals.yaml\n"
    )
    path = tmp_path / "portals.yaml"
    path.write_text(GOOD)
    assert main(["run", "--portals", str(path), "--only", "bohcum"]) == 1
    assert (
        capsys.readouterr().err
        == f"odwatch: error: {path}: --only bohcum: no portal with that id; known ids: bochum\n"
    )


def test_exit_codes_usage_is_2_known_failure_is_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse: unknown option
        main(["run", "--no-such-option"])
    assert exc.value.code == 2
    assert main([]) == 2  # no command: the help, on stderr
    assert main(["run", "--portals", str(tmp_path / "nope.yaml")]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("odwatch: error: ")


def test_version_comes_from_the_installed_metadata():
    from importlib.metadata import version

    import flows
    from warehouse.store import CODE_VERSION

    assert flows.__version__ == CODE_VERSION == version("odwatch")
