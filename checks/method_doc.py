"""The scoring method as Markdown, generated from checks.scoring so docs never drift.

`python -m checks.method_doc` prints it; README.md embeds it between the markers
`<!-- method:start -->` and `<!-- method:end -->`, and tests/test_readme.py fails when the
README's copy differs from what the code would generate (`make readme` rewrites it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from checks.fingerprint import method_fingerprint
from checks.scoring import CURRENT, DIMENSIONS, Method

START, END = "<!-- method:start -->", "<!-- method:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def method_markdown(method: Method = CURRENT) -> str:
    lines = [
        f"Method version **{method.version}** (fingerprint `{method_fingerprint(method)}`), "
        f"{method.max_points()} points in five dimensions.",
        "",
        "| dimension | indicator | points | judged on | passes when |",
        "|---|---|---:|---|---|",
    ]
    for dim in DIMENSIONS:
        for ind in (i for i in method.indicators if i.dimension == dim):
            needs = f" (needs {ind.requires})" if ind.requires else ""
            lines.append(
                f"| {dim} | `{ind.id}` | {ind.weight} | {ind.level} | {_cell(ind.passes_when)}{needs} |"
            )
    lines += [
        "",
        "| finding code | title | severity | kind | costs points of | fix hint |",
        "|---|---|---|---|---|---|",
    ]
    for chk in method.checks:
        costs = ", ".join(f"`{i}`" for i in chk.indicators) or "–"
        lines.append(
            f"| `{chk.code}` | {_cell(chk.title)} | {chk.severity} | {chk.kind} | {costs} | {_cell(chk.fix)} |"
        )
    if method.notes:
        lines += ["", *[f"- {_cell(n)}" for n in method.notes]]
    return "\n".join(lines) + "\n"


def embed(readme: str, method: Method = CURRENT) -> str:
    """README text with the generated block between the markers replaced."""
    head, sep, rest = readme.partition(START)
    if not sep or END not in rest:
        raise ValueError(f"README has no {START} ... {END} block")
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{method_markdown(method)}{END}{tail}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write"]:
        path = Path(argv[1] if len(argv) > 1 else "README.md")
        path.write_text(embed(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    sys.stdout.write(method_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
