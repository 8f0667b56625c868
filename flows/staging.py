"""Where a scheduled harvest's fetch waits for the warehouse's writer slot (issue 17).

`ODWATCH_STAGING_URL` names the staging storage, read through fsspec: a local directory by
default (`staging/` beside the warehouse), or object storage such as `s3://bucket/prefix`
(s3fs; credentials and endpoint from the usual AWS variables, e.g. `AWS_ENDPOINT_URL`), so
that every worker of a work pool, on any machine, stages in one place.

A harvest fetches into a private DuckDB file. In a local directory that file is the staging
object. With object storage the file is written on the worker's own disk (DuckDB writes
only local files), its object is created when the fetch starts (so `odwatch status` on any
machine sees it) and replaced by the fetched file when the fetch ends, while the run waits
for the writer slot. Either way the object goes when the run ends; a worker killed
mid-fetch leaves it behind, and the next harvest removes what is older than
`STALE_STAGING` (a local file only when no process holds its lock)."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from flows.config import ConfigError

STAGING_ENV = "ODWATCH_STAGING_URL"
STALE_STAGING = 3600.0  # seconds: a staging object this old (and not locked) was left by a dead run
SUFFIX = ".duckdb"


class StagingError(ConfigError):
    """ODWATCH_STAGING_URL names no storage fsspec can open, or it cannot be reached."""


def staging_url(warehouse_path: str | Path) -> str:
    """The staging storage of the warehouse: ODWATCH_STAGING_URL, else staging/ beside it."""
    url = os.environ.get(STAGING_ENV, "").strip()
    return url or str(Path(warehouse_path).resolve().parent / "staging")


def _storage(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError, TypeError) as exc:
        raise StagingError(
            f"{STAGING_ENV}={url}: {exc} (set it to a directory or an fsspec URL such as "
            "s3://bucket/prefix)"
        ) from None
    return fs, root.rstrip("/")


def _local(fs: fsspec.AbstractFileSystem) -> bool:
    return isinstance(fs, LocalFileSystem)


@dataclass(frozen=True)
class Stage:
    """One harvest's staging: `path` the DuckDB file it fetches into and imports from,
    `name` its object in the staging storage (the same file for a local directory)."""

    path: Path
    name: str
    fs: fsspec.AbstractFileSystem

    def publish(self) -> None:
        """Put the fetched file in the staging storage (object storage only: a local
        directory holds it already)."""
        if not _local(self.fs) and self.path.exists():
            self.fs.put_file(str(self.path), self.name)

    def discard(self) -> None:
        """Remove the file and its object once imported (again on exit: no harm), so that
        a staging object is always a harvest still on its way to the warehouse."""
        _unlink_db(self.path)
        if not _local(self.fs):
            with suppress(FileNotFoundError):
                self.fs.rm_file(self.name)


def _modified(fs: fsspec.AbstractFileSystem, info: dict) -> datetime | None:
    when = info.get("LastModified") or info.get("mtime") or info.get("updated")
    if when is None:
        with suppress(Exception):
            when = fs.modified(info["name"])
    if isinstance(when, int | float):
        return datetime.fromtimestamp(when, UTC)
    if isinstance(when, datetime):
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def _objects(fs: fsspec.AbstractFileSystem, root: str) -> list[tuple[str, datetime | None]]:
    """The staging objects under `root` and when each was last written."""
    try:
        infos = fs.ls(root, detail=True, refresh=True)
    except FileNotFoundError:
        return []
    except Exception as exc:  # unreachable endpoint, no credentials, no bucket (botocore's own)
        raise StagingError(
            f"{STAGING_ENV}: cannot list {root}: {' '.join(str(exc).split())}"
        ) from None
    return [
        (i["name"], _modified(fs, i))
        for i in infos
        if i.get("type") == "file" and i["name"].endswith(SUFFIX)
    ]


def _stale(when: datetime | None) -> bool:
    return when is not None and time.time() - when.timestamp() >= STALE_STAGING


def _sweep_local(folder: Path) -> None:
    import duckdb

    for old in folder.glob(f"*{SUFFIX}"):
        try:
            if time.time() - old.stat().st_mtime < STALE_STAGING:
                continue
            duckdb.connect(str(old)).close()  # raises while a live run holds it
        except (OSError, duckdb.Error):
            continue
        _unlink_db(old)


def _unlink_db(path: Path) -> None:
    for f in (path, path.with_name(path.name + ".wal")):
        f.unlink(missing_ok=True)


def sweep(url: str) -> list[str]:
    """Remove the staging objects killed runs left behind; the names removed."""
    fs, root = _storage(url)
    if _local(fs):
        before = set(Path(root).glob(f"*{SUFFIX}")) if Path(root).is_dir() else set()
        _sweep_local(Path(root))
        return sorted(str(p) for p in before if not p.exists())
    gone = []
    for name, when in _objects(fs, root):
        if _stale(when):
            with suppress(FileNotFoundError):
                fs.rm_file(name)
                gone.append(name)
    return gone


@contextmanager
def staging_file(warehouse_path: str | Path, portal_id: str, owner: str = "") -> Iterator[Stage]:
    """A private staging file for one harvest of `portal_id`, removed afterwards;
    leftovers of killed runs are swept on the way. `owner` (the flow run's id) is part of
    the name: a run resumed after its worker died knows its own leftover."""
    fs, root = _storage(staging_url(warehouse_path))
    tag = "".join(c for c in owner if c.isalnum())[:12]
    base = f"{portal_id}-{uuid.uuid4().hex[:8]}{'.' + tag if tag else ''}{SUFFIX}"
    if _local(fs):
        Path(root).mkdir(parents=True, exist_ok=True)
        _sweep_local(Path(root))
        path = Path(root) / base
        stage = Stage(path, str(path), fs)
    else:
        sweep(staging_url(warehouse_path))
        scratch = Path(tempfile.gettempdir()) / "odwatch-staging"
        scratch.mkdir(exist_ok=True)
        _sweep_local(scratch)  # what a worker killed on this machine left on its disk
        stage = Stage(scratch / base, f"{root}/{base}", fs)
        fs.pipe_file(stage.name, b"")  # seen by `odwatch status` while the fetch runs
    try:
        yield stage
    finally:
        stage.discard()


def on_their_way(warehouse_path: str | Path, mine: Stage) -> list[str]:
    """The other harvests staged now (fetching, or fetched and waiting for the writer slot;
    not what a killed run left, once stale, nor this run's own leftover from a worker that
    died): each will import and publish after this one."""
    fs, root = _storage(staging_url(warehouse_path))
    me = mine.name.rsplit("/", 1)[-1]
    return sorted(
        base
        for base, when in ((n.rsplit("/", 1)[-1], w) for n, w in _objects(fs, root))
        if base != me and not _stale(when) and not (_owner(base) and _owner(base) == _owner(me))
    )


def _owner(base: str) -> str:
    """The owner tag of a staging object's name (`<portal>-<random>.<owner>.duckdb`), or ""."""
    parts = base[: -len(SUFFIX)].rsplit("-", 1)[-1].split(".")
    return parts[1] if len(parts) > 1 else ""


def check_staging(warehouse_path: str | Path) -> str:
    """The staging URL, after one listing showed it can be read (`odwatch serve`/`deploy`
    say so at once instead of failing every harvest later)."""
    url = staging_url(warehouse_path)
    fs, root = _storage(url)
    _objects(fs, root)
    return url


def fetching_now(warehouse_path: str | Path, portal_ids: list[str]) -> list[tuple[str, datetime]]:
    """Scheduled harvests staged at this moment, on any worker: (portal, since)."""
    fs, root = _storage(staging_url(warehouse_path))
    out = []
    for name, when in sorted(_objects(fs, root)):
        pid = name.rsplit("/", 1)[-1].rsplit("-", 1)[0]
        if pid in portal_ids and when is not None:
            out.append((pid, when))
    return out
