"""The per-file indexes and shortcuts that keep a cold scan close to its parse floor say what the plain
walks they replace say: statements of a scope, the function a node is written in, a module's imports, and
who imports a module with services."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from backend_orchestrator.discovery import files, services
from backend_orchestrator.discovery.files import parse_source
from backend_orchestrator.discovery.symbols import ProjectIndex, all_statements, statements, walk_statements

SOURCE = textwrap.dedent(
    '''
    import os
    from .a import b as c

    @decorate(lambda: make())
    def outer(x=default()):
        if x:
            y = call()
        else:
            for i in items():
                try:
                    z = call(i)
                except E:
                    pass
                finally:
                    done()
        with ctx() as w:
            while (v := step()):
                match v:
                    case 1:
                        import json
        def inner():
            return nested()
        return inner

    class K:
        @staticmethod
        def method():
            import re; return re.compile("x")

    top = call()
    '''
)


Walked = list[tuple[ast.stmt, bool, bool]]


def _reference(body: list[ast.stmt], conditional: bool = False, loop: bool = False) -> Walked:
    """What walk_statements yielded as a recursive generator."""
    found: Walked = []
    for stmt in body:
        found.append((stmt, conditional, loop))
        if isinstance(stmt, ast.If):
            found += _reference(stmt.body, True, loop) + _reference(stmt.orelse, True, loop)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            found += _reference(stmt.body, True, True) + _reference(stmt.orelse, True, loop)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                found += _reference(part, True, loop)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            found += _reference(stmt.body, conditional, loop)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                found += _reference(case.body, True, loop)
    return found


def _load(tmp_path: Path, modules: dict[str, str]) -> ProjectIndex:
    for rel, text in modules.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    found, _ = files.source_paths(tmp_path, [])
    return ProjectIndex(files.load(tmp_path, found))


def test_statements_are_walk_statements_as_a_list(tmp_path: Path) -> None:
    index = _load(tmp_path, {"m.py": SOURCE})
    info = index.modules["m"]
    bodies = [info.tree.body, *(n.body for n in ast.walk(info.tree) if isinstance(n, ast.FunctionDef))]
    for body in bodies:
        expected = _reference(body)
        assert [(s, c, lp) for s, c, lp in walk_statements(body)] == expected
        assert statements(info.source, body) == expected
        assert statements(info.source, body) is statements(info.source, body)  # computed once
    assert _reference(bodies[1], True, True) == list(walk_statements(bodies[1], True, True))


def test_the_enclosing_function_is_found_by_position_as_by_walking() -> None:
    parsed = parse_source(SOURCE.encode())
    by_walk = parsed._functions()
    nodes = [n for kind in (ast.Call, ast.Name, ast.Attribute, ast.Constant) for n in parsed.nodes(kind)]
    assert nodes
    for node in nodes:
        assert parsed.enclosing_function(node) is by_walk.get(id(node))
    decorator = next(c for c in parsed.nodes(ast.Call) if isinstance(c.func, ast.Name) and c.func.id == "decorate")
    assert parsed.enclosing_function(decorator) is not None  # decorators belong to the function
    top = next(c for c in parsed.nodes(ast.Call) if c.lineno == SOURCE.splitlines().index("top = call()") + 1)
    assert parsed.enclosing_function(top) is None


def test_a_module_s_imports_include_nested_ones_whether_or_not_the_text_shortcut_applies(tmp_path: Path) -> None:
    index = _load(
        tmp_path,
        {
            "nested.py": SOURCE,
            "flat.py": "import os\nfrom . import nested\n'''no other import statement here'''\n",
            "mentions.py": "import os\n# importing nothing else, but the word is here: import\n",
        },
    )
    for info in index.modules.values():
        expected = [s for s in all_statements(info.tree.body) if isinstance(s, ast.Import | ast.ImportFrom)]
        assert {id(s) for s in services._imports(info)} == {id(s) for s in expected}


def test_importers_of_some_modules_are_those_of_the_full_import_graph(tmp_path: Path) -> None:
    index = _load(
        tmp_path,
        {
            "app/__init__.py": "from . import clients\n",
            "app/clients.py": "import httpx\nclient = httpx.Client()\n",
            "app/cache.py": "from app.clients import client\n",
            "app/jobs/__init__.py": "",
            "app/jobs/run.py": "from ..clients import client\nfrom .. import cache\n",
            "app/jobs/other.py": "def f():\n    from app import clients\n    import app.cache as c\n",
            "app/unrelated.py": "import os\nfrom app.jobs import run\n",
        },
    )
    names = sorted(index.modules)
    for size in (1, 2, len(names)):
        for start in range(len(names)):
            targets = frozenset((names * 2)[start : start + size])
            wanted = services._suffixes(targets)
            for info in index.modules.values():
                full = services._imported_modules(index, info) & targets
                assert services._imported_modules(index, info, targets, wanted) == full
    assert [s.used_by for s in services.scan_services(index) if s.module == "app.clients"] == [
        ["app", "app.cache", "app.jobs.other", "app.jobs.run"]
    ]
