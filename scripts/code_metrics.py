"""Structure figures for the bookshelf package: run before and after a restructuring, compare.

Prints modules per folder, import cycles (every import counted: function-level ones and
``TYPE_CHECKING`` blocks too, since both hide a dependency), function-level imports,
``TYPE_CHECKING`` imports, ``Any`` uses, ``# type: ignore`` comments and the largest module.
Reads the source only; imports nothing of it.

    python scripts/code_metrics.py [package folder]
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scripts.import_graph import Import, cycles, imports_in, module_name  # noqa: E402


def main(root: Path) -> None:
    files = sorted(p for p in root.rglob("*.py") if "static" not in p.parts)
    known = {module_name(root, p) for p in files}
    every: list[Import] = []
    per_folder: Counter[str] = Counter()
    function_imports = type_checking_imports = any_uses = ignores = 0
    largest = ("", 0)
    for path in files:
        text = path.read_text(encoding="utf-8")
        name = module_name(root, path)
        tree = ast.parse(text)
        per_folder[str(path.parent.relative_to(root.parent))] += 1
        lines = text.count("\n")
        if lines > largest[1]:
            largest = (str(path.relative_to(root.parent)), lines)
        ignores += text.count("# type: ignore")
        any_uses += sum(
            1
            for node in ast.walk(tree)
            if (isinstance(node, ast.Name) and node.id == "Any")
            or (isinstance(node, ast.Attribute) and node.attr == "Any")
        )
        for imp in imports_in(text, name, path.name == "__init__.py", known):
            function_imports += imp.where == "function"
            type_checking_imports += imp.where == "TYPE_CHECKING"
            every.append(imp)
    loops = cycles(every)
    print("| measure | value |")
    print("|---|---|")
    for folder, count in sorted(per_folder.items()):
        print(f"| modules in {folder}/ | {count} |")
    print(f"| modules in all | {sum(per_folder.values())} |")
    print(f"| import cycles (modules in them) | {len(loops)} ({sum(len(c) for c in loops)}) |")
    print(f"| function-level imports | {function_imports} |")
    print(f"| TYPE_CHECKING imports | {type_checking_imports} |")
    print(f"| `Any` uses | {any_uses} |")
    print(f"| `# type: ignore` | {ignores} |")
    print(f"| largest module | {largest[0]} ({largest[1]} lines) |")
    for loop in loops:
        print(f"cycle: {' <-> '.join(loop)}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bookshelf")
