"""The house's rooms and the way imports point (read with stdlib ast; nothing is imported).

flows (orchestration) -> checks (pure judgement), warehouse (keeping), dashboards (showing).
checks imports none of the others and no network or Prefect; warehouse and dashboards know no
flows; Prefect lives in flows only. No import cycles, lazy (function-level) imports included.
A deliberately wrong edge is caught too, so the walk is known to see them. No module is over
MAX_LINES lines unless its docstring says "One idea:" and names it (a long fake one is caught).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "checks", "warehouse", "dashboards")
NETWORK = ("requests", "urllib3", "httpx", "aiohttp", "ckanapi", "socket", "http")
# The Prefect modules: the flows of `odwatch run` and `odwatch check-links` (pipeline) and of
# `odwatch serve` (scheduled). Nothing else imports Prefect; never grow this set.
PREFECT_MODULES = {
    "flows.pipeline",
    "flows.scheduled",
}
MAX_LINES = 400
# The network I/O rooms inside flows/: they may import checks/ and warehouse/, each other,
# and the package's version, but nothing of the orchestration around them (flows.config ...)
IO_ROOMS = ("flows.adapters", "flows.links")
# room -> top-level names it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "checks": ("flows", "warehouse", "dashboards", "prefect", "duckdb", *NETWORK),
    "warehouse": ("flows", "dashboards", "prefect", *NETWORK),
    "dashboards": ("flows", "warehouse", "prefect", *NETWORK),
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module `name` imports (absolute names), at any depth of the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            # `from checks import licenses`: the submodule, when it is one
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known)
    return found


def _graph(mods: dict[str, Path] | None = None) -> dict[str, set[str]]:
    mods = mods or _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _wrong_edges(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for name, targets in sorted(graph.items()):
        room = name.split(".")[0]
        for target in sorted(targets):
            top = target.split(".")[0]
            if top in FORBIDDEN.get(room, ()):
                wrong.append(f"{name} imports {target}")
            if (
                name.startswith(IO_ROOMS)
                and target.startswith("flows.")
                and not target.startswith(IO_ROOMS)
            ):
                wrong.append(f"{name} imports {target} (the I/O rooms know no orchestration)")
            if top == "prefect" and name not in PREFECT_MODULES:
                wrong.append(f"{name} imports {target} (Prefect stays in PREFECT_MODULES)")
    return wrong


def test_imports_point_one_way():
    assert _wrong_edges(_graph()) == []


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    internal = {n: {t for t in ts if t in graph and t != n} for n, ts in graph.items()}
    # a package's __init__ importing its own submodules is not a cycle of ours
    for n, ts in internal.items():
        internal[n] = {t for t in ts if not n.startswith(t + ".")}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for t in sorted(internal[node]):
            if state.get(t) == "open":
                cycles.append(" -> ".join([*stack[stack.index(t) :], t]))
            elif t not in state:
                visit(t, stack)
        stack.pop()
        state[node] = "done"

    for n in sorted(internal):
        if n not in state:
            visit(n, [])
    return cycles


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_walk_sees_lazy_wrong_edges_and_cycles(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "a.py").write_text("def f():\n    from flows.cli import main\n")
    (tmp_path / "checks" / "b.py").write_text("from checks import c\n")
    (tmp_path / "checks" / "c.py").write_text("from . import b\n")
    (tmp_path / "probe.py").write_text("from flows.config import Portal\n")
    mods = {f"checks.{n}": tmp_path / "checks" / f"{n}.py" for n in "abc"}
    mods["flows.links.probe"] = tmp_path / "probe.py"
    graph = _graph(mods)
    assert _wrong_edges(graph) == [
        "checks.a imports flows.cli",
        "flows.links.probe imports flows.config (the I/O rooms know no orchestration)",
    ]
    assert _cycles(graph) == ["checks.b -> checks.c -> checks.b"]


def _too_long(mods: dict[str, Path]) -> list[str]:
    """Modules over MAX_LINES lines whose docstring does not say which one idea they are."""
    long = []
    for name, path in sorted(mods.items()):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_LINES and "One idea:" not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{name}: {lines} lines")
    return long


def test_no_module_over_max_lines_unless_one_idea():
    assert _too_long(_modules()) == []


def test_the_length_check_sees_a_long_module(tmp_path):
    body = "".join(f"X{n} = {n}\n" for n in range(MAX_LINES))
    (tmp_path / "long.py").write_text('"""A long module."""\n' + body)
    (tmp_path / "idea.py").write_text('"""A long module.\n\nOne idea: counting."""\n' + body)
    (tmp_path / "short.py").write_text(
        '"""Short."""\n' + body[: -len(f"X{MAX_LINES - 1} = {MAX_LINES - 1}\n")]
    )
    mods = {f"checks.{n}": tmp_path / f"{n}.py" for n in ("long", "idea", "short")}
    assert _too_long(mods) == [f"checks.long: {MAX_LINES + 1} lines"]
