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


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.Module, name: str, is_package: bool, known: set[str]) -> list[tuple[str, bool, bool]]:
    """(imported module, inside a function, inside TYPE_CHECKING) for every import of the package."""
    found: list[tuple[str, bool, bool]] = []
    package = name if is_package else name.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool, in_tc: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, in_tc)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, in_function, True)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    found.append((alias.name, in_function, in_tc))
                visit(child, in_function, in_tc)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[: len(base_parts) - (child.level - 1)]
                    base = ".".join(base_parts + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                for alias in child.names:
                    target = f"{base}.{alias.name}"
                    found.append((target if target in known else base, in_function, in_tc))
            else:
                visit(child, in_function, in_tc)

    visit(tree, False, False)
    return [(target, fn, tc) for target, fn, tc in found if target.split(".")[0] == name.split(".")[0]]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    item = stack.pop()
                    on_stack.discard(item)
                    component.append(item)
                    if item == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return result


def main(root: Path) -> None:
    files = sorted(p for p in root.rglob("*.py") if "static" not in p.parts)
    known = {module_name(root, p) for p in files}
    graph: dict[str, set[str]] = {}
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
        edges = graph.setdefault(name, set())
        for target, in_function, in_tc in imports(tree, name, path.name == "__init__.py", known):
            function_imports += in_function and not in_tc
            type_checking_imports += in_tc
            if target != name:
                edges.add(target)
    loops = cycles(graph)
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
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "bookshelf")
