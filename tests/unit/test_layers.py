"""The architecture's rules, read from the source (DESIGN.md, "Layout"; README, "Where things
live").

- The three processes talk over HTTP only: ``ticketing`` never imports Rasa or the bot, the
  bot never imports ``ticketing``.
- Inside the hub, layers are named by folder: ``web/`` parses requests and serialises answers,
  ``services/`` own transactions and publish events after commit, everything else (the domain
  and storage modules) takes a session and never commits, and nothing below ``web/`` imports
  ``aiohttp.web``. Lower layers never import higher ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "ticketing"
# composition roots and tools, not layers: the CLI, migrations, the demo-data generator
OUTSIDE_LAYERS = ("__main__.py", "migrations/", "demo/")


def python_files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def layer_of(path: Path) -> str | None:
    relative = path.relative_to(HUB).as_posix()
    if relative.startswith(OUTSIDE_LAYERS):
        return None
    if relative.startswith("web/"):
        return "web"
    if relative.startswith("services/"):
        return "services"
    return "domain"


def test_the_processes_talk_over_http_only():
    crossing = []
    for path in python_files(HUB):
        for name in imports_of(path):
            if name.split(".")[0] in ("rasa", "rasa_sdk", "bot", "tensorflow"):
                crossing.append((path.relative_to(ROOT).as_posix(), name))
    for path in python_files(ROOT / "bot"):
        for name in imports_of(path):
            if name.split(".")[0] == "ticketing":
                crossing.append((path.relative_to(ROOT).as_posix(), name))
    assert crossing == []


def test_lower_layers_never_import_higher_ones():
    order = {"domain": 0, "services": 1, "web": 2}
    wrong = []
    for path in python_files(HUB):
        layer = layer_of(path)
        if layer is None:
            continue
        for name in imports_of(path):
            parts = name.split(".")
            if parts[0] != "ticketing" or len(parts) < 2:
                continue
            target = {"web": "web", "services": "services"}.get(parts[1], "domain")
            if parts[1] in ("demo", "__main__", "migrations"):
                wrong.append((path.relative_to(ROOT).as_posix(), name))
            elif order[target] > order[layer]:
                wrong.append((path.relative_to(ROOT).as_posix(), name))
    assert wrong == []


def test_nothing_below_web_imports_aiohttp_web():
    wrong = [
        path.relative_to(ROOT).as_posix()
        for path in python_files(HUB)
        if layer_of(path) in ("domain", "services")
        and imports_of(path) & {"aiohttp.web", "aiohttp.web_request", "aiohttp.web_response"}
    ]
    assert wrong == []


@pytest.mark.parametrize("layer", ["domain", "web"])
def test_only_services_open_transactions(layer):
    """Domain code takes the caller's session; views call a service (no ``begin``/``commit``)."""
    wrong = []
    for path in python_files(HUB):
        if layer_of(path) != layer:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("begin", "commit")
            ):
                wrong.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert wrong == []


def test_views_leave_the_database_to_the_services():
    """A view is parse → one service call → serialise: no ``hub.sessions()`` in ``web/``."""
    wrong = []
    for path in python_files(HUB / "web"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "sessions"
            ):
                wrong.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert wrong == []


def test_the_rule_test_sees_the_layers():
    """The classification itself can fail: each layer holds modules, and known ones."""
    layers = {layer_of(p) for p in python_files(HUB)}
    assert {"domain", "services", "web"} <= layers
    assert layer_of(HUB / "services" / "uow.py") == "services"
    assert layer_of(HUB / "tickets" / "queue.py") == "domain"
    assert "ticketing.services.uow" in imports_of(HUB / "services" / "desk.py")


def test_modules_stay_small():
    """Issue 10: no hub module over ~500 lines (Python) or ~600 (console JavaScript)."""
    big = [
        f"{path.relative_to(ROOT).as_posix()}: {lines}"
        for path, limit in [
            *((p, 500) for p in python_files(HUB) if "migrations" not in p.parts),
            *((p, 600) for p in sorted((HUB / "static").rglob("*.js"))),
        ]
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > limit
    ]
    assert big == [], "split these by concern: " + ", ".join(big)
