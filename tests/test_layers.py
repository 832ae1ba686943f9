"""What may import what, read from the source (ast): the domain knows no Slack, web, command
line, handlers, blocks or jobs; blocks know no database; and no module-level import circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "blocks", "jobs", "models")
# the edges of bot/: the composition root, the command line and the demo wire adapters together
EDGES = ("bot/app/", "bot/cli/", "bot/demo/")
NOT_IN_THE_DOMAIN = ("slack_bolt", "slack_sdk", "fastapi", "starlette", "click", "uvicorn",
                     "handlers", "blocks", "jobs")  # fmt: skip
NOT_IN_BLOCKS = ("sqlalchemy", "models")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module(path)] = path
    return found


def _imports(path: Path, *, top_level_only: bool = False) -> Iterator[tuple[str, int]]:
    """(module, line) for each absolute import, and each relative one made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module(path)
    nodes: list[ast.AST] = []
    for node in tree.body:
        if top_level_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if (
            top_level_only
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            continue
        nodes.extend(ast.walk(node))
    for found in nodes:
        if isinstance(found, ast.Import):
            for alias in found.names:
                yield alias.name, found.lineno
        elif isinstance(found, ast.ImportFrom):
            base = found.module or ""
            if found.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - found.level + 1]
                base = ".".join([*package, base] if base else package)
            yield base, found.lineno
            for alias in found.names:
                yield f"{base}.{alias.name}", found.lineno


def _broken(prefixes: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    broken = []
    for path in sorted(_sources().values()):
        where = path.relative_to(ROOT).as_posix()
        if not where.startswith(prefixes) or where.startswith(EDGES):
            continue
        for imported, line in _imports(path):
            if imported.split(".")[0] in forbidden:
                broken.append(f"{where}:{line} imports {imported}")
    return sorted(set(broken))


def test_the_domain_imports_no_slack_web_command_line_handlers_blocks_or_jobs():
    assert _broken(("bot/",), NOT_IN_THE_DOMAIN) == []


def test_blocks_import_no_database():
    assert _broken(("blocks/",), NOT_IN_BLOCKS) == []


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan)."""
    circles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def test_no_module_level_import_circle():
    sources = _sources()
    graph = {
        module: {m for m, _ in _imports(path, top_level_only=True) if m in sources and m != module}
        for module, path in sources.items()
    }
    assert _circles(graph) == []


def test_the_walk_sees_what_it_should():
    """The checks above are only as good as the walk: it finds relative, nested and aliased
    imports, and a circle when there is one."""
    sources = _sources()
    assert {"bot.cli", "bot.app.web", "blocks.qa_review", "models.agent"} <= set(sources)
    web = dict(_imports(sources["bot.app.web"]))
    assert "fastapi" in web and "handlers.rest" in web
    qa = {m for m, _ in _imports(sources["bot.qa"])} | {
        m for p in (ROOT / "bot/qa").glob("*.py") for m, _ in _imports(p)
    }
    assert any(m.startswith("bot.qa.") for m in qa)  # relative or absolute, both resolved
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []
