"""The architecture stays as ARCHITECTURE.md draws it: layers import one way, and nothing imports in a circle.

Every import counts, including imports inside functions and under ``TYPE_CHECKING``: a circle that only a
late import hides is still a circle for the reader.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "tools", "knowledge")

# Bottom to top. A module may import modules of its own layer or of the layers below, never above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("assistant.core",)),
    ("warehouse", ("assistant.warehouse",)),
    ("libraries", ("tools", "knowledge")),
    ("answering", ("assistant.answering", "assistant.nlu")),
    (
        "capabilities",
        (
            "assistant.router",
            "assistant.llm",
            "assistant.report",
            "assistant.teach",
            "assistant.jobs",
            "assistant.capabilities",
        ),
    ),
    ("agent", ("assistant.agent",)),
    ("surfaces", ("assistant.web", "assistant.commands", "assistant.cli", "assistant.__main__", "assistant", "app")),
)


def layer_of(module: str) -> int:
    """The index of the layer whose longest prefix names ``module``."""
    best, best_len = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS and ARCHITECTURE.md"
    return best


def modules() -> dict[str, Path]:
    out = {"app": ROOT / "app.py"}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Our modules that ``name`` imports (``from pkg import submodule`` counts as the submodule)."""
    out: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for t in targets:
            if t.split(".")[0] in PACKAGES:
                # the module itself, or the nearest enclosing package we have
                while t and t not in known:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    out.add(t)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def folder(module: str, known: dict[str, Path]) -> str:
    """The folder a module's file is in, as a dotted name (a package's __init__ is in its own folder)."""
    path = known[module]
    return ".".join(path.parent.relative_to(ROOT).parts) or "."


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_every_module_is_in_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_layers_import_downwards_only() -> None:
    wrong = [
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
        for a, targets in graph().items()
        for b in sorted(targets)
        if layer_of(b) > layer_of(a)
    ]
    assert not wrong, "\n".join(wrong)


def test_tools_and_knowledge_are_independent_libraries() -> None:
    wrong = [
        f"{a} imports {b}"
        for a, targets in graph().items()
        for b in targets
        if a.split(".")[0] in ("tools", "knowledge")
        and b.split(".")[0] in ("tools", "knowledge")
        and a.split(".")[0] != b.split(".")[0]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_circle_between_files() -> None:
    assert cycles(graph()) == []


def test_no_circle_between_folders() -> None:
    known = modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for a, targets in graph().items():
        for b in targets:
            fa, fb = folder(a, known), folder(b, known)
            if fa != fb:
                edges[fa].add(fb)
    assert cycles(edges) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_circle_finder_finds_circles(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_the_import_reader_sees_late_and_relative_imports(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from tools.base import ToolSpec\n    import knowledge\n", encoding="utf-8")
    assert imports("assistant.x", src, {"tools.base": src, "knowledge": src}) == {"tools.base", "knowledge"}


def test_architecture_md_matches_the_code() -> None:
    """Every path ARCHITECTURE.md names exists, and every layer's packages appear in its table."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:assistant|tools|knowledge)/[\w/.{},<>-]*)`", text))
    paths |= set(re.findall(r"\b((?:assistant|tools|knowledge)/[\w/]+\.py)\b", text))
    missing = [p for p in sorted(paths) if "<" not in p and "{" not in p and not (ROOT / p.rstrip("/")).exists()]
    assert not missing, missing
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if prefix in ("assistant", "app", "assistant.__main__"):
                continue
            assert f"`{prefix.replace('.', '/')}" in text, f"layer {name}: {prefix} is not in ARCHITECTURE.md"
