"""The package's layers and the arrows between them (../shared/ARCHITECTURE.md), proved on the source.

Every import counts: module level, inside a function, and under ``TYPE_CHECKING`` (a type a
module may name is a dependency all the same). An import that crosses an arrow the table does
not have fails naming the importing line; so does any import cycle between modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from scripts import import_graph as graph
from scripts.import_graph import Import, cycles, imports_in

PACKAGE = Path(__file__).resolve().parent.parent / "bookshelf"

# Longest prefix wins. ``base`` is what every layer may use: the shared dataclasses and errors and
# the leaf helpers they are made of (the version, the clock, search folding, placeholder text,
# which work is background). ``queue`` is the machinery jobs run on: Huey and the parse process.
LAYERS = {
    "bookshelf": "base",
    "bookshelf.models": "base",
    "bookshelf.errors": "base",
    "bookshelf.clock": "base",
    "bookshelf.folding": "base",
    "bookshelf.placeholder_text": "base",
    "bookshelf.priority": "base",
    "bookshelf.settings": "config",
    "bookshelf.logs": "config",
    "bookshelf.db": "db",
    "bookshelf.formats": "formats",
    "bookshelf.providers": "providers",
    "bookshelf.services": "services",
    "bookshelf.taskqueue": "queue",
    "bookshelf.parse_process": "queue",
    "bookshelf.runtime": "root",
    # Edges the composition root starts inside the server: queue tasks and the inbox watcher.
    "bookshelf.tasks": "workers",
    "bookshelf.watcher": "workers",
    "bookshelf.web": "edges",
    "bookshelf.__main__": "edges",
    "bookshelf.cli": "edges",
    "bookshelf.cli_args": "edges",
    "bookshelf.importer": "edges",
    "bookshelf.library_import": "edges",
    "bookshelf.service_command": "edges",
    "bookshelf.service_unit": "edges",
}

# layer -> the layers it may import (besides its own).
ALLOWED = {
    "base": set(),
    "config": set(),
    "db": {"base"},
    "formats": {"base"},
    "providers": {"base"},
    "services": {"db", "formats", "providers", "config", "base"},
    "queue": {"config", "base"},
    "workers": {"services", "queue", "config", "base"},
    "root": {"workers", "queue", "services", "db", "config"},
    "edges": {"root", "workers", "services", "config", "base"},
}


def module_name(path: Path) -> str:
    return graph.module_name(PACKAGE, path)


def all_imports() -> list[Import]:
    files = sorted(p for p in PACKAGE.rglob("*.py") if "static" not in p.parts)
    known = {module_name(p) for p in files}
    return [
        i
        for path in files
        for i in imports_in(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py", known)
    ]


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:n]))
        if layer is not None:
            return layer
    return None


def violations(allowed: dict[str, set[str]], imports: list[Import]) -> list[Import]:
    bad = []
    for imp in imports:
        source, target = layer_of(imp.importer), layer_of(imp.imported)
        if source != target and target not in allowed.get(source or "", set()):
            bad.append(imp)
    return bad


IMPORTS = all_imports()


def test_every_module_has_a_layer() -> None:
    files = sorted(p for p in PACKAGE.rglob("*.py") if "static" not in p.parts)
    unplaced = [module_name(p) for p in files if layer_of(module_name(p)) is None]
    assert not unplaced, f"modules in no layer (add them to LAYERS): {unplaced}"


def test_imports_follow_the_arrows() -> None:
    bad = violations(ALLOWED, IMPORTS)
    lines = [f"{imp}: {layer_of(imp.importer)} may not import {layer_of(imp.imported)}" for imp in bad]
    assert not bad, "imports against the layering:\n" + "\n".join(lines)


def test_no_import_cycles() -> None:
    found = cycles(IMPORTS)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


ARROWS = sorted((source, target) for source, targets in ALLOWED.items() for target in targets)


@pytest.mark.parametrize(("source", "target"), ARROWS, ids=[f"{s}->{t}" for s, t in ARROWS])
def test_each_arrow_is_used_and_enforced(source: str, target: str) -> None:
    """Deleting any arrow from the table makes the check fail on a real import: the table is
    exactly what the code needs, and the check reads the code it claims to."""
    narrowed = {layer: set(targets) for layer, targets in ALLOWED.items()}
    narrowed[source].discard(target)
    bad = sorted(set(violations(narrowed, IMPORTS)) - set(violations(ALLOWED, IMPORTS)), key=str)
    assert bad, f"no import uses {source} -> {target}: remove the arrow"
    assert all(layer_of(i.importer) == source and layer_of(i.imported) == target for i in bad)


def test_the_reader_sees_every_kind_of_import() -> None:
    """Function-level, TYPE_CHECKING and relative imports are all read (the checker cannot be blind)."""
    known = {"bookshelf.web", "bookshelf.runtime", "bookshelf.services.jobs", "bookshelf.services"}
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bookshelf.runtime import Runtime\n"
        "def f():\n    from bookshelf import web\n"
        "from . import jobs\n"
    )
    found = imports_in(text, "bookshelf.services.probe", False, known)
    assert {(i.imported, i.where) for i in found} == {
        ("bookshelf.runtime", "TYPE_CHECKING"),
        ("bookshelf.web", "function"),
        ("bookshelf.services.jobs", "module"),
    }
    assert {i.imported for i in violations(ALLOWED, found)} == {"bookshelf.runtime", "bookshelf.web"}
    assert cycles([*found, Import("bookshelf.services.jobs", "bookshelf.services.probe", 1, "module")])


SQL = re.compile(
    r"^\s*(SELECT\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|PRAGMA\s|BEGIN\b|COMMIT\b"
    r"|ROLLBACK\b|(CREATE|DROP|ALTER)\s+(TABLE|INDEX|TRIGGER|VIEW|VIRTUAL)\s|WITH\s+\w+\s+AS\s*\()"
)


def _modules() -> list[tuple[str, ast.Module]]:
    files = sorted(p for p in PACKAGE.rglob("*.py") if "static" not in p.parts)
    return [(module_name(p), ast.parse(p.read_text(encoding="utf-8"))) for p in files]


def sql_strings(tree: ast.Module) -> list[tuple[int, str]]:
    """String literals (f-strings too) that begin like an SQL statement."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append((node.lineno, node.value[:60]))
    return found


def test_sql_only_in_db() -> None:
    bad = [
        f"{name.replace('.', '/')}.py:{line}: {text}"
        for name, tree in _modules()
        if layer_of(name) != "db"
        for line, text in sql_strings(tree)
    ]
    assert not bad, "SQL outside bookshelf/db:\n" + "\n".join(bad)
    assert sql_strings(ast.parse('q = "SELECT 1"\nf"UPDATE books SET x = {1}"')), "the detector sees SQL"


def test_edges_never_touch_the_database() -> None:
    """Handlers, the CLI, tasks and the watcher reach data through services, never ``runtime.db``."""
    bad = [
        f"{name.replace('.', '/')}.py:{node.lineno}"
        for name, tree in _modules()
        if layer_of(name) in ("edges", "workers")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "db"
    ]
    assert not bad, "edges using the database directly: " + ", ".join(bad)


SERVICES = PACKAGE / "services"
NAMED = re.compile(r"\b(?:bookshelf\.)?(services\.\w+|db|formats|providers)\b")


def area_of(module: str) -> str | None:
    """``bookshelf.services.ingest.pipeline`` -> ``ingest``; a module at the services root is its own area."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["bookshelf", "services"] else None


def declared_calls(package: Path) -> set[str] | None:
    """What a service package's docstring says it may call (its "may call" sentence), or None."""
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
    _, found, rest = doc.lower().partition("may call")
    if not found:
        return None
    return {name.removeprefix("services.") for name in NAMED.findall(" ".join(rest.split()))}


def area_imports() -> dict[str, set[str]]:
    """Each service area's imports of other areas and of db, formats and providers."""
    used: dict[str, set[str]] = {}
    for imp in IMPORTS:
        source = area_of(imp.importer)
        if source is None:
            continue
        target = area_of(imp.imported) or (imp.imported.split(".") + [""])[1]
        if target != source and (area_of(imp.imported) or target in ("db", "formats", "providers")):
            used.setdefault(source, set()).add(target)
    return used


def test_every_service_area_says_what_it_may_call() -> None:
    packages = sorted(p.parent for p in SERVICES.glob("*/__init__.py"))
    assert len(packages) >= 10
    undeclared = [p.name for p in packages if declared_calls(p) is None]
    assert not undeclared, f"service packages whose __init__ docstring has no 'May call' sentence: {undeclared}"
    used = area_imports()
    wrong = [
        f"services/{p.name} imports {sorted(used.get(p.name, set()) - (declared_calls(p) or set()))}"
        for p in packages
        if used.get(p.name, set()) - (declared_calls(p) or set())
    ]
    assert not wrong, "imports the package docstring does not allow:\n" + "\n".join(wrong)


def test_service_areas_form_no_loop() -> None:
    edges = [Import(f"area.{a}", f"area.{b}", 0, "module") for a, bs in area_imports().items() for b in bs]
    found = cycles(edges)
    assert not found, "service areas importing each other in a loop:\n" + "\n".join(" <-> ".join(c) for c in found)


def _receiver(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def test_services_reach_the_database_through_one_door() -> None:
    """db.read() and db.write() (a context, or one trip with a function) are the way in; the
    Database's query conveniences are for tests, and aiosqlite's internals stay inside db/."""
    bad = []
    for name, tree in _modules():
        if layer_of(name) == "db":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("_execute", "_conn")
                and _receiver(node.value) != "self"
            ):
                bad.append(f"{name}:{node.lineno} uses aiosqlite's private {node.attr}")
            elif (
                isinstance(node, ast.Attribute)
                and _receiver(node.value) == "db"
                and node.attr not in ("read", "write", "path", "open", "close", "ping")
            ):
                bad.append(f"{name}:{node.lineno} calls db.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module == "bookshelf.db.connection":
                names = {alias.name for alias in node.names} - {"inline", "connect_sync"}
                if names:
                    bad.append(f"{name}:{node.lineno} imports {sorted(names)} from bookshelf.db.connection")
    assert not bad, "\n".join(bad)
