"""Golden outputs: prove a refactor changed nothing a user can see.

    python bench/golden.py capture DIR    # run the demos, keep their normalised outputs in DIR
    python bench/golden.py compare DIR    # run them again into DIR.now, diff; exit 1 on a change
    python bench/golden.py diff DIR       # only the diff of DIR and DIR.now (after renormalising)

Two runs are captured: `odwatch demo` (the sample portals) and `odwatch demo --corpus
../shared/corpus` (the recorded CKAN data). For each: every file of the site and its downloads
(Parquet read back as rows), `odwatch findings --format json` of every portal, and every
warehouse table's rows (sorted). Values that differ between two identical runs are normalised
first: today's timestamps, run ids, local port numbers, durations and temp paths. Keep DIR
outside the repository (e.g. /work/golden12).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
ODWATCH = str(Path(sys.executable).with_name("odwatch"))
RUNS = {"demo": [], "corpus": ["--corpus"]}
# Columns that measure the run, not the data (durations, byte counts of timing, ...).
VOLATILE_COLUMN = re.compile(r"(_ms|seconds|_secs|duration.*|elapsed.*|^pid|^hostname)$")
# Page fragments that measure the run: a harvest's seconds, a Parquet file's compressed size
# (the local port numbers inside compress differently).
VOLATILE_PAGE = [
    (
        re.compile(r'(</span></td><td class="num" data-value=")[\d.]+(">)[\d.,]+(</td>)'),
        r"\1<DUR>\2<DUR>\3",
    ),
    (
        re.compile(r'(data-file="[^"]+\.parquet">.*?<td class="num" data-value=")\d+(">)[^<]+'),
        r"\1<SIZE>\2<SIZE>",
    ),
    (re.compile(r'(file-type/PARQUET"\s*},\s*"dcat:byteSize": \{\s*"@value": ")\d+'), r"\1<SIZE>"),
]


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    today = datetime.now(UTC)
    d, c = today.strftime("%Y-%m-%d"), today.strftime("%Y%m%d")
    return [
        (re.compile(rf"{c}T\d{{6}}Z(-[0-9a-f]{{6,8}})?"), "<RUN>"),
        (re.compile(rf"{d}[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?"), "<NOW>"),
        (re.compile(r"(127\.0\.0\.1|localhost):\d+"), r"\1:<PORT>"),
        (re.compile(r"/tmp/[A-Za-z0-9_.-]+"), "<TMP>"),
        (re.compile(r"\b\d+([.,]\d+)?\s?(s|ms)\b(?=[,;)\s<\"]|$)"), "<DUR>"),
    ]


_BASE: list[str] = []  # the raw folder being normalised: its path becomes <OUT>


def normalise(text: str) -> str:
    for base in _BASE:
        text = text.replace(base, "<OUT>")
    for pattern, repl in [*VOLATILE_PAGE, *_patterns()]:
        text = pattern.sub(repl, text)
    return text


def _plain(value):
    """Compressed raw pages as their text, so local port numbers inside can be normalised."""
    if isinstance(value, bytes):
        try:
            return zlib.decompress(value).decode("utf-8")
        except (zlib.error, UnicodeDecodeError):
            return value.hex()
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    keep = [i for i, n in enumerate(names) if not VOLATILE_COLUMN.search(n)]
    lines = []
    for row in cur.fetchall():
        obj = {names[i]: _plain(row[i]) for i in keep}
        lines.append(normalise(json.dumps(obj, ensure_ascii=False, default=str, sort_keys=True)))
    return sorted(lines)


def _dump_warehouse(path: Path, out: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        for t in tables:
            (out / f"{t}.jsonl").write_text("\n".join(_rows(con, f'SELECT * FROM "{t}"')) + "\n")
        portals = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT portal_id FROM harvest_runs ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()
    return portals


def _dump_site(site: Path, out: Path) -> None:
    con = duckdb.connect()
    for f in sorted(site.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(site)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.suffix == ".parquet":
            text = "\n".join(_rows(con, f"SELECT * FROM read_parquet('{f}')")) + "\n"
        else:
            try:
                text = normalise(f.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                shutil.copyfile(f, target)
                continue
        target.write_text(text, encoding="utf-8")
    con.close()


def run_all(out: Path, corpus: Path) -> None:
    """Run both demos; keep their raw outputs (warehouse file, site, findings) under `out`."""
    for name, extra in RUNS.items():
        base = out / name
        base.mkdir(parents=True)
        wh, site = base / "warehouse.duckdb", base / "site"
        cmd = [ODWATCH, "demo", "--warehouse", str(wh), "--site", str(site)]
        if extra:
            cmd += [*extra, str(corpus)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        (base / "exit_code").write_text(f"{proc.returncode}\n")
        (base / "stdout").write_text(proc.stdout)
        if proc.returncode not in (0, 3):
            sys.exit(f"golden: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
        con = duckdb.connect(str(wh), read_only=True)
        sql = "SELECT DISTINCT portal_id FROM harvest_runs ORDER BY 1"
        portals = [r[0] for r in con.execute(sql).fetchall()]
        con.close()
        (base / "findings").mkdir()
        for pid in portals:
            cmd = [ODWATCH, "findings", "--warehouse", str(wh), "--portal", pid, "--format", "json"]
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            (base / "findings" / f"{pid}.json").write_text(f"exit {res.returncode}\n{res.stdout}")


def normalise_all(raw: Path, out: Path) -> None:
    """The comparable form of one run_all folder: every file as normalised text."""
    if out.exists():
        shutil.rmtree(out)
    _BASE[:] = [str(raw.resolve()), str(raw)]
    for name in RUNS:
        src, dst = raw / name, out / name
        (dst / "warehouse").mkdir(parents=True)
        _dump_warehouse(src / "warehouse.duckdb", dst / "warehouse")
        _dump_site(src / "site", dst / "site")
        (dst / "findings").mkdir()
        for f in [src / "exit_code", src / "stdout", *sorted((src / "findings").iterdir())]:
            target = dst / f.relative_to(src)
            target.write_text(normalise(f.read_text(encoding="utf-8")), encoding="utf-8")


def compare(golden: Path, fresh: Path) -> int:
    a = {p.relative_to(golden) for p in golden.rglob("*") if p.is_file()}
    b = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    problems = 0
    for rel in sorted(a - b):
        print(f"missing now: {rel}")
        problems += 1
    for rel in sorted(b - a):
        print(f"new file: {rel}")
        problems += 1
    for rel in sorted(a & b):
        old, new = (golden / rel).read_bytes(), (fresh / rel).read_bytes()
        if old == new:
            continue
        problems += 1
        print(f"differs: {rel}")
        if rel.suffix == ".jsonl":  # name the columns that differ, row by row
            for i, (x, y) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False)):
                if x != y:
                    x, y = json.loads(x), json.loads(y)
                    keys = sorted(k for k in x.keys() | y.keys() if x.get(k) != y.get(k))
                    print(f"    row {i}: {', '.join(keys)}")
                    for k in keys[:3]:
                        print(f"      {k}: {str(x.get(k))[:150]!r} -> {str(y.get(k))[:150]!r}")
            continue
        try:
            diff = difflib.unified_diff(
                old.decode().splitlines(), new.decode().splitlines(), "golden", "now", lineterm=""
            )
            for i, line in enumerate(diff):
                if i >= 30:
                    print("    ...")
                    break
                print("    " + line[:300])
        except UnicodeDecodeError:
            print("    (binary)")
    print(f"golden: {len(a & b)} files compared, {problems} difference(s)")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("capture", "compare", "diff"))
    parser.add_argument("dir", type=Path, help="the golden folder (outside the repo)")
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpus", help="recorded data"
    )
    args = parser.parse_args()
    raw, fresh = args.dir / "raw", args.dir.with_name(args.dir.name + ".now")
    if args.action == "capture":
        if args.dir.exists():
            shutil.rmtree(args.dir)
        run_all(raw, args.corpus.resolve())
        normalise_all(raw, args.dir / "norm")
        n = sum(1 for p in (args.dir / "norm").rglob("*") if p.is_file())
        print(f"golden: captured {n} files into {args.dir}")
        return 0
    if args.action == "compare":  # "diff" only renormalises and compares the last run
        if fresh.exists():
            shutil.rmtree(fresh)
        run_all(fresh / "raw", args.corpus.resolve())
    normalise_all(raw, args.dir / "norm")  # the normalisation may have changed since capture
    normalise_all(fresh / "raw", fresh / "norm")
    return compare(args.dir / "norm", fresh / "norm")


if __name__ == "__main__":
    sys.exit(main())
