"""The package reads as layers: edges (cli, chat, api, answer_server, ui, evaluate) → Assistant → components →
results, config.

Imports are read from the source (module level and inside functions alike), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import assistant

PACKAGE = Path(assistant.__file__).parent
EDGES = {"cli", "chat", "api", "answer_server", "ui", "ui_render", "evaluate", "eval_metrics", "bootstrap", "corpora",
         "fit", "compare", "baselines"}
BOTTOM = {"results", "errors", "patterns"}


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        name = path.stem
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
                parts = node.module.split(".")
                if len(parts) > 1:
                    found.add(parts[1])
                else:
                    found.update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("assistant."))
        graph[name] = {m for m in found if (PACKAGE / f"{m}.py").is_file() and m != name}
    return graph


def test_no_module_of_the_package_imports_itself_back_through_others() -> None:
    graph = _imports()
    graph.pop("__init__")  # re-exports only
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, set())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_components_never_import_the_assistant_or_the_edges() -> None:
    graph = _imports()
    upper = EDGES | {"assistant"}
    offenders = {m: sorted(deps & upper) for m, deps in graph.items()
                 if m not in upper and m != "__init__" and deps & upper}
    assert offenders == {}


def test_the_shared_types_and_patterns_depend_on_nothing_above_them() -> None:
    graph = _imports()
    assert {m: sorted(graph[m] - BOTTOM) for m in BOTTOM if graph[m] - BOTTOM} == {}
