"""Files of the previous site kept when what they show did not change.

A publish writes the whole site anew beside the old one, then swaps it in. Most of its
time goes into the biggest cities' fix-list pages and findings downloads, which a harvest of
another city does not change. Each such file is written with a digest of everything it is
made from (:func:`digest`; for pages also :func:`sources_digest`, the templates and the code
that renders them); a file whose digest is what the previous site (same odwatch version)
recorded is hard-linked from there (:func:`link_or_copy`) instead of being made again. The
digests live in small JSON files at the site root (:func:`read_digests`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from functools import cache
from pathlib import Path
from typing import Any


def digest(*parts: Any) -> str:
    """A digest of JSON-able parts (dicts with sorted keys; dates and numbers as text)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@cache
def sources_digest() -> str:
    """A digest of the dashboards package (templates, texts, rendering code): a page made
    by other templates is never reused, even within one odwatch version."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for f in sorted(p for p in root.rglob("*") if p.suffix in {".py", ".html"}):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:32]


def read_digests(previous: Path | None, name: str) -> dict:
    """The digests file `name` of the previous site; {} without one (or a broken one)."""
    if previous is None:
        return {}
    try:
        got = json.loads((previous / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return got if isinstance(got, dict) else {}


def write_digests(site: Path, name: str, digests: dict) -> None:
    (site / name).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", "utf-8")


def link_or_copy(src: Path, dst: Path) -> None:
    """dst becomes src's content: a hard link (the old site is removed after the swap, the
    file lives on in the new one), a copy where links are not possible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
