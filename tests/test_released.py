"""The headline "really released": per dataset and per portal, one dataset per branch of the
rule, with link-check results for some URLs; the per-record Python gives the same values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from assess_helpers import dataset, distribution, store_snapshot

from checks.reference import assess_records
from flows.assess import assess_run
from warehouse.records import Warehouse

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def url(dataset_id: str, n: int = 0, ext: str = "csv") -> str:
    return f"https://files.example/{dataset_id}/{n}.{ext}"


def pdf(dataset_id: str, n: int = 0) -> dict:
    u = url(dataset_id, n, "pdf")
    return distribution(
        dataset_id, n, url=u, access_url=u, format_raw="PDF", media_type_raw="application/pdf"
    )


# dataset -> (dataset fields, distributions); default licence dl-de-by-2.0 (open), modified
# 2024-03-01, no declared frequency (freshness does not count against it)
SNAPSHOT = {
    "a-ok": ({}, [distribution("a-ok")]),
    "b-dead": ({}, [distribution("b-dead")]),
    "c-blocked": ({}, [distribution("c-blocked")]),
    "d-unchecked": ({}, [distribution("d-unchecked")]),
    "e-resource-non-commercial": ({}, [distribution("e-resource-non-commercial", license_raw="cc-by-nc-4.0")]),
    "f-pdf-only": ({}, [pdf("f-pdf-only")]),
    "g-late": ({"frequency_raw": "DAILY"}, [distribution("g-late")]),
    "h-exempt-irregular": ({"frequency_raw": "IRREG", "modified": "2010-01-01"}, [distribution("h-exempt-irregular")]),
    "i-no-distributions": ({}, []),
    "j-download-url-decides": ({}, [distribution("j-download-url-decides", download_url=url("j-download-url-decides", 0, "zip"))]),
    "k-dead-and-timeout": ({}, [distribution("k-dead-and-timeout", 0), distribution("k-dead-and-timeout", 1)]),
    "l-resource-licence-opens": ({"license_raw": "cc-by-nc"}, [distribution("l-resource-licence-opens", license_raw="cc-by-4.0")]),
    "m-one-good-is-enough": ({"frequency_raw": "MONTHLY"}, [pdf("m-one-good-is-enough", 0), distribution("m-one-good-is-enough", 1), distribution("m-one-good-is-enough", 2)]),
    "n-no-url": ({}, [distribution("n-no-url", url=None, access_url=None)]),
}  # fmt: skip

LINKS = [  # (url, outcome, hours after the snapshot): the latest result before the next counts
    (url("a-ok"), "dead", 1),
    (url("a-ok"), "ok", 2),
    (url("b-dead"), "dead", 1),
    (url("c-blocked"), "blocked", 1),
    (url("e-resource-non-commercial"), "ok", 1),
    (url("f-pdf-only", 0, "pdf"), "ok", 1),
    (url("g-late"), "ok", 1),
    (url("h-exempt-irregular"), "ok", 1),
    (url("j-download-url-decides"), "ok", 1),  # the access URL: not the one that counts
    (url("j-download-url-decides", 0, "zip"), "dead", 1),
    (url("k-dead-and-timeout", 0), "dead", 1),
    (url("k-dead-and-timeout", 1), "timeout", 1),
    (url("l-resource-licence-opens"), "ok", 1),
    (url("m-one-good-is-enough", 0, "pdf"), "ok", 1),
    (url("m-one-good-is-enough", 1), "invalid-url", 1),
    (url("m-one-good-is-enough", 2), "ok", 1),
    (url("a-ok"), "dead", 24 * 8),  # after the next snapshot: not this one's
]


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    yield w
    w.close()


@pytest.fixture
def assessed(wh):
    datasets = [dataset(k, **fields) for k, (fields, _) in SNAPSHOT.items()]
    dists = [d for _, ds in SNAPSHOT.values() for d in ds]
    run_id = store_snapshot(wh, "city", datasets, dists, NOW)
    store_snapshot(wh, "city", datasets, dists, NOW + timedelta(days=7))
    wh.con.executemany(
        "INSERT INTO link_checks (check_run_id, url, outcome, checked_at) VALUES ('c1', ?, ?, ?)",
        [(u, outcome, NOW + timedelta(hours=h)) for u, outcome, h in LINKS],
    )
    assess_run(wh.con, run_id, expectations=False)
    return run_id


def test_released_per_dataset(wh, assessed):
    rows = wh.con.execute(
        "SELECT dataset_id, released, share_released, released_datasets, released_unverified "
        "FROM scores WHERE level = 'dataset' ORDER BY dataset_id"
    ).fetchall()
    assert rows == [
        ("a-ok", True, 1.0, 1, 0),
        ("b-dead", False, 0.0, 0, 0),
        ("c-blocked", None, None, 0, 1),
        ("d-unchecked", None, None, 0, 1),
        ("e-resource-non-commercial", False, 0.0, 0, 0),
        ("f-pdf-only", False, 0.0, 0, 0),
        ("g-late", False, 0.0, 0, 0),
        ("h-exempt-irregular", True, 1.0, 1, 0),
        ("i-no-distributions", False, 0.0, 0, 0),
        ("j-download-url-decides", False, 0.0, 0, 0),
        ("k-dead-and-timeout", None, None, 0, 1),
        ("l-resource-licence-opens", True, 1.0, 1, 0),
        ("m-one-good-is-enough", True, 1.0, 1, 0),
        ("n-no-url", False, 0.0, 0, 0),
    ]


def test_released_per_portal(wh, assessed):
    row = wh.con.execute(
        "SELECT released, share_released, released_datasets, released_unverified, datasets "
        "FROM scores WHERE level = 'portal'"
    ).fetchone()
    # 4 released, 7 not, 3 undetermined (left out of the share)
    assert row == (None, 4 / 11, 4, 3, 14)


def test_the_per_record_python_gives_the_same_verdicts(wh, assessed):
    def rows(table):
        cur = wh.con.execute(f"SELECT * EXCLUDE (raw) FROM {table} WHERE run_id = ?", [assessed])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # the latest outcome per URL before the next snapshot, as flows/assess.py looks it up
    links = {u: o for u, o, h in sorted(LINKS, key=lambda x: x[2]) if h < 24 * 7}
    ref = assess_records(rows("datasets"), rows("distributions"), NOW, links=links)
    keys = ("released", "share_released", "released_datasets", "released_unverified")
    sql = wh.con.execute(
        f"SELECT coalesce(dataset_id, '*'), {', '.join(keys)} FROM scores ORDER BY 1"
    ).fetchall()
    expected = sorted(
        [(r["dataset_id"], *(r[k] for k in keys)) for r in ref.dataset_scores]
        + [("*", *(ref.portal[k] for k in keys))]
    )
    assert sql == expected


def test_an_old_scores_table_gets_the_new_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    Warehouse(path).close()
    import duckdb

    con = duckdb.connect(str(path))  # the table as warehouses made before 2026.11-2 have it
    stars = ("stars", *(f"stars_{k}" for k in range(6)))
    for col in ("released", "share_released", "released_datasets", "released_unverified", *stars):
        con.execute(f"ALTER TABLE scores DROP COLUMN {col}")
    con.close()
    for _ in range(2):  # every writer open applies the schema again: idempotent
        w = Warehouse(path)
        cols = w.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'latest_scores' ORDER BY ordinal_position"
        ).fetchall()
        w.close()
        assert cols[-12:] == [
            ("distributions", "BIGINT"),
            ("released", "BOOLEAN"),
            ("share_released", "DOUBLE"),
            ("released_datasets", "BIGINT"),
            ("released_unverified", "BIGINT"),
            ("stars", "DOUBLE"),  # + 2026.11-3: 5-star openness
            *((f"stars_{k}", "BIGINT") for k in range(6)),
        ]
