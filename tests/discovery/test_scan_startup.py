"""What keeps a cold static scan's fixed costs down says what the plain code it replaced says: the node
index over the fields that can hold nodes finds what `ast.walk` finds, the scan's result contracts are the
ones the tool results re-export, and a static scan's process builds no contract it does not use."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from backend_orchestrator.contracts import scan, tools
from backend_orchestrator.discovery.files import parse_source

SOURCE = textwrap.dedent(
    '''
    import os
    from .a import b as c
    global_value: dict[str, int] = {"a": 1, **other}

    @decorate(lambda: make(), key=f"{os.environ['X']!r:>10}")
    async def outer(x=default(), *args, y: int = 2, **kwargs) -> list[int]:
        global g
        if (v := step()) and not done() or x < 3 <= y:
            z = [i async for i in items() if i]
        else:
            del z[0], x.y
            try:
                raise E from cause
            except* (E, F) as exc:
                pass
        with ctx() as w, other() as (a, b):
            match v:
                case {"k": [1, *rest]} | Point(x=0) as p if p:
                    yield from w
                case _:
                    return -x ** 2 @ y
        assert x, "message"
        lambda q=1: q
        return {k: v for k, v in kwargs.items()}, {s for s in args}, (t for t in args)

    class C(Base, metaclass=Meta):
        attr: int
        x = y = slice_[1:2:3]
        async def method(self):
            async with lock:
                async for item in self:
                    await item
            nonlocal_ = None
            while True:
                break
            else:
                continue
    '''
)


def test_the_node_index_holds_every_node_ast_walk_finds_but_contexts_and_operators() -> None:
    parsed = parse_source(SOURCE.encode())
    assert parsed.tree is not None
    singletons = (ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)
    walked: dict[type, set[int]] = {}
    for node in ast.walk(parsed.tree):
        if not isinstance(node, singletons):
            walked.setdefault(type(node), set()).add(id(node))
    indexed = parsed._index()  # what every `nodes(kind)` answers from
    assert not any(issubclass(kind, singletons) for kind in indexed)
    assert set(indexed) == set(walked)
    for kind, nodes in indexed.items():
        # the same nodes, each once, in the order of a pre-order walk over every field
        assert [id(n) for n in nodes] == [id(n) for n in _pre_order(parsed.tree) if type(n) is kind], kind
        assert {id(n) for n in nodes} == walked[kind]


def _pre_order(node: ast.AST) -> list[ast.AST]:
    """Every node under `node` (itself included), parents before children, fields in their order."""
    out = [node]
    for child in ast.iter_child_nodes(node):
        out += _pre_order(child)
    return out


def test_the_scan_results_are_the_tool_results_re_exported() -> None:
    assert tools.ScanResult is scan.ScanResult
    assert tools.ScanChanges is scan.ScanChanges
    assert tools.RegistryPage is scan.RegistryPage


def test_a_static_scan_loads_no_task_context_or_event_contract(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\ndef health():\n    return {}\n"
    )
    probe = textwrap.dedent(
        f"""
        import contextlib, io, sys
        sys.argv = ["bo", "scan", "--mode", "static", "--project", {str(tmp_path)!r}, "--format", "json"]
        from backend_orchestrator.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main() == 0
        print(" ".join(sorted(m for m in sys.modules if m.startswith("backend_orchestrator.contracts"))))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    loaded = set(done.stdout.split())
    assert "backend_orchestrator.contracts.registry" in loaded
    assert not loaded & {f"backend_orchestrator.contracts.{m}" for m in ("task", "context", "event", "tools")}
