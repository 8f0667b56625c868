"""Staging storage (flows/staging.py, issue 17): a local directory by default, object
storage through fsspec/s3fs when ODWATCH_STAGING_URL says so (moto's S3 server on
127.0.0.1 here). No Prefect: the flows that use it are tested in tests/test_fleet.py."""

from __future__ import annotations

import os
import time

import duckdb
import pytest
from s3server import BUCKET, local_s3, objects

from flows import staging
from flows.config import ConfigError
from flows.staging import STAGING_ENV, StagingError, check_staging, fetching_now, staging_file


@pytest.fixture
def s3(monkeypatch):
    from s3fs import S3FileSystem

    with local_s3() as env:
        S3FileSystem.clear_instance_cache()  # a cached client would talk to the last endpoint
        monkeypatch.setenv(STAGING_ENV, f"s3://{BUCKET}/stage")
        yield env
    S3FileSystem.clear_instance_cache()


def _fetch_into(path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    con.close()


def test_object_storage_holds_the_claim_then_the_fetched_file_and_nothing_after(s3, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with staging_file(warehouse, "dortmund") as stage:
        (key,) = objects("stage/")
        assert key == f"stage/{stage.path.name}" and key.startswith("stage/dortmund-")
        assert objects("stage/")[key] == 0  # claimed while the fetch runs
        assert [p for p, _ in fetching_now(warehouse, ["dortmund", "bochum"])] == ["dortmund"]
        assert fetching_now(warehouse, ["bochum"]) == []
        assert stage.path.parent != tmp_path / "staging"  # DuckDB writes the worker's own disk
        _fetch_into(stage.path)
        stage.publish()
        assert objects("stage/")[key] == stage.path.stat().st_size > 0
        kept = stage.path
    assert objects("stage/") == {}
    assert not kept.exists()
    assert not (tmp_path / "staging").exists()


def test_a_killed_runs_object_is_swept_once_stale(s3, tmp_path, monkeypatch):
    from s3fs import S3FileSystem

    fs = S3FileSystem()
    fs.pipe_file(f"{BUCKET}/stage/leipzig-0badc0de.duckdb", b"half a fetch")
    fs.pipe_file(f"{BUCKET}/stage/notes.txt", b"not ours")
    with staging_file(tmp_path / "w.duckdb", "bochum"):
        assert "stage/leipzig-0badc0de.duckdb" in objects("stage/")  # fresh: a live fetch
    monkeypatch.setattr(staging, "STALE_STAGING", 0.0)
    with staging_file(tmp_path / "w.duckdb", "bochum") as stage:
        assert sorted(objects("stage/")) == sorted(["stage/notes.txt", f"stage/{stage.path.name}"])


def test_local_default_is_the_staging_folder_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv(STAGING_ENV, raising=False)
    warehouse = tmp_path / "w.duckdb"
    folder = tmp_path / "staging"
    folder.mkdir()
    old = folder / "leipzig-0badc0de.duckdb"
    _fetch_into(old)
    an_hour_ago = time.time() - staging.STALE_STAGING - 5
    os.utime(old, (an_hour_ago, an_hour_ago))
    young = folder / "bochum-12345678.duckdb"
    _fetch_into(young)
    assert check_staging(warehouse) == str(folder)
    with staging_file(warehouse, "dortmund") as stage:
        assert stage.path.parent == folder and stage.name == str(stage.path)
        _fetch_into(stage.path)
        stage.publish()  # nothing to upload: the folder holds it
        assert not old.exists() and young.exists()  # stale and unlocked: left by a dead run
        assert sorted(p for p, _ in fetching_now(warehouse, ["dortmund", "bochum"])) == [
            "bochum",
            "dortmund",
        ]
    assert sorted(f.name for f in folder.iterdir()) == [young.name]


def test_bad_staging_urls_say_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv(STAGING_ENV, "nosuch://bucket/x")
    with pytest.raises(StagingError) as bad:
        check_staging(tmp_path / "w.duckdb")
    assert isinstance(bad.value, ConfigError)  # the CLI prints it as one line, no traceback
    msg = str(bad.value)
    assert msg.startswith(f"{STAGING_ENV}=nosuch://bucket/x: ") and "s3://bucket/prefix" in msg
    assert "\n" not in msg


def test_an_unreachable_endpoint_says_so_in_one_line(tmp_path, monkeypatch):
    import socket

    from s3fs import S3FileSystem

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there once closed
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv(STAGING_ENV, "s3://nobucket/stage")
    S3FileSystem.clear_instance_cache()
    try:
        with pytest.raises(StagingError) as bad:
            check_staging(tmp_path / "w.duckdb")
    finally:
        S3FileSystem.clear_instance_cache()
    assert str(bad.value).startswith(f"{STAGING_ENV}: cannot list nobucket/stage: ")
    assert "\n" not in str(bad.value)


def test_who_is_on_the_way_to_the_warehouse(tmp_path):
    """What a run that has imported sees of the others (flows.scheduled leaves the publish to
    them): others staged, not its own leftover from a dead worker, not a stale leftover."""
    warehouse = tmp_path / "w.duckdb"
    with staging_file(warehouse, "bochum", "0c2f-77aa-run-1") as mine:
        _fetch_into(mine.path)
        assert mine.path.name.endswith(".0c2f77aarun1.duckdb")
        assert staging.on_their_way(warehouse, mine) == []
        with staging_file(warehouse, "dortmund-nord", "run-2") as other:
            _fetch_into(other.path)
            assert staging.on_their_way(warehouse, mine) == [other.path.name]
            # a fetch that ended in the warehouse is no longer on its way
            other.discard()
            assert staging.on_their_way(warehouse, mine) == []
        # this run's own first attempt, left by a worker that died, is not waited for
        left = mine.path.with_name("bochum-0badc0de.0c2f77aarun1.duckdb")
        _fetch_into(left)
        assert staging.on_their_way(warehouse, mine) == []
        # another run's leftover counts until it is stale (then the sweep takes it)
        dead = mine.path.with_name("leipzig-0badc0de.run9.duckdb")
        _fetch_into(dead)
        assert staging.on_their_way(warehouse, mine) == [dead.name]
        old = time.time() - staging.STALE_STAGING - 5
        os.utime(dead, (old, old))
        assert staging.on_their_way(warehouse, mine) == []
