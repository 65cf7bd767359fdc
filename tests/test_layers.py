"""The house's import directions: each module imports only its own layer and the layers below
it, the reference server and the suite meet only over the network, and no layer reaches up."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "conformance"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors.py", "timing.py", "version.py", "profiles/"),
    ("contract/",),
    ("wire/",),
    (
        "run/config.py",
        "run/profile.py",
        "run/regress.py",
        "run/verdicts.py",
        "run/proof.py",
        "run/embedded.py",
    ),
    ("cases/",),
    ("run/plan.py", "run/engine.py", "run/events.py", "run/loop.py", "run/__init__.py"),
    ("report/", "capture/"),
    ("api.py",),
    ("load/",),
    ("cli/", "selftest.py", "pytest_plugin.py", "__init__.py", "__main__.py"),
)
"""Lowest first: the errors and durations everything shares; the contract as data; the wire
(clients, receiver, audio); the configuration and the reference server's launcher; the cases;
the engine; the reports; the API; the load run (it starts the reference server as the API
does); the entry points. Paths are relative to conformance/; a
folder holds every module below it."""

REFERENCE = "reference/"
"""The reference server: its own world, imported by no layer (the one exception below)."""

EXCEPTIONS = {
    ("cli/commands.py", "reference/server.py"): "`conformance serve` starts it in-process",
}
"""(importer, imported) pairs allowed across the rule, each with its reason."""


def _relative(module: str) -> str:
    """conformance.a.b as its path under conformance/ (a package as its __init__.py)."""
    parts = module.split(".")[1:]
    path = PACKAGE.joinpath(*parts)
    if path.is_dir():
        return "/".join([*parts, "__init__.py"])
    return "/".join(parts) + ".py"


def _imports(path: Path) -> set[str]:
    """Every conformance module a file imports, relative imports resolved (a name imported from
    a package, when it is a module, counts as that module)."""
    parts = ("conformance", *path.relative_to(PACKAGE).with_suffix("").parts)
    package = parts[:-1]  # a module's package; for __init__.py, the package itself
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("conformance"))
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            if not module.startswith("conformance"):
                continue
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                as_path = PACKAGE.joinpath(*candidate.split(".")[1:])
                is_module = as_path.is_dir() or as_path.with_suffix(".py").is_file()
                found.add(candidate if is_module else module)
    return {_relative(m) for m in found if m != "conformance"} | (
        {"__init__.py"} if "conformance" in found else set()
    )


def _layer(relative: str) -> int | None:
    """The layer a module belongs to, or None for the reference server."""
    if relative.startswith(REFERENCE):
        return None
    for index, members in enumerate(LAYERS):
        if any(relative == m or (m.endswith("/") and relative.startswith(m)) for m in members):
            return index
    raise AssertionError(f"conformance/{relative} belongs to no layer: add it to LAYERS")


def _modules() -> list[str]:
    return sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for relative in _modules():
        _layer(relative)


def test_no_import_reaches_up_a_layer_or_across_to_the_reference_server() -> None:
    wrong = []
    for relative in _modules():
        mine = _layer(relative)
        for imported in sorted(_imports(PACKAGE / relative)):
            if (relative, imported) in EXCEPTIONS:
                continue
            theirs = _layer(imported)
            if mine is None and theirs is not None:
                wrong.append(f"{relative} (reference server) imports {imported} (suite)")
            elif mine is not None and theirs is None:
                wrong.append(f"{relative} (suite) imports {imported} (reference server)")
            elif mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{relative} (layer {mine}) imports {imported} (layer {theirs})")
    assert wrong == []


def test_every_exception_is_still_needed() -> None:
    """An exception nothing uses any more is removed, so the rule stays as strict as the code."""
    for importer, imported in EXCEPTIONS:
        assert imported in _imports(PACKAGE / importer), (importer, imported)
