"""The architecture gate's rules over code: route handlers (database access, size, swallowed errors, slow side
effects), async functions (blocking calls), and every outbound call (timeouts, error handling)."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass

from .architecture_calls import (
    ERROR_HINTS,
    blocking,
    caught,
    db_access,
    error_modules,
    error_scope,
    external_library,
    http_library,
    protection,
    slow_side_effect,
    swallows,
)
from .architecture_scan import CallSite, FuncDef, Hit, ModuleView, Project, called, own_nodes, snippet

_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case)
_EXCEPTION_HANDLER_HOOKS = frozenset({"exception_handler", "add_exception_handler", "errorhandler",
                                      "register_error_handler"})


@dataclass(frozen=True)
class Handler:
    """A route handler the endpoint registry points at, found in its module."""

    route: str  # "GET /api/v1/items" (the first, when one function serves several)
    module: ModuleView
    fn: FuncDef


def size(fn: FuncDef) -> tuple[int, int]:
    """(statements, cyclomatic complexity) of a function's own body, its docstring not counted."""
    statements, complexity = 0, 1
    for node in own_nodes(fn):
        if isinstance(node, ast.stmt):
            statements += 1
        if isinstance(node, _BRANCHES):
            complexity += 1
        elif isinstance(node, ast.BoolOp):
            complexity += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            complexity += 1 + len(node.ifs)
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        statements -= 1
    return statements, complexity


def _catch_all(handler: ast.ExceptHandler) -> bool:
    """`except Exception` / `except BaseException` (alone or in a tuple)."""
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id in ("Exception", "BaseException") for k in kinds)


def helpers(module: ModuleView, fn: FuncDef, calls: list[CallSite]) -> list[tuple[CallSite, FuncDef]]:
    """Functions of the same module that `fn` calls by name (one level), with the call."""
    found = []
    for call in calls:
        target = module.functions.get(call.method)
        if not call.receiver and call.name == call.method and target is not None and target is not fn:
            found.append((call, target))
    return found


def handler_hits(handler: Handler, max_statements: int, max_complexity: int) -> tuple[list[Hit], dict[str, object]]:
    """Findings of one route handler, and its measures (for the evidence file)."""
    module, fn, route = handler.module, handler.fn, handler.route
    path, calls, hits = module.rel, module.calls(fn), []
    accesses = sorted({(c.line, text) for c in calls if (text := db_access(c))})
    if accesses:
        listed = ", ".join(f"{text} (line {line})" for line, text in accesses[:6])
        hits.append(Hit("AR001", path, accesses[0][0],
                        f"{route}: the handler `{fn.name}` talks to the database itself ({listed}). Move the query "
                        "into a repository or service function that takes the session, and call that from the "
                        "handler, so the query can be tested and reused.", evidence=listed, endpoint=route))
    statements, complexity = size(fn)
    if statements > max_statements or complexity > max_complexity:
        hits.append(Hit("AR002", path, fn.lineno,
                        f"{route}: the handler `{fn.name}` has {statements} statements and a cyclomatic complexity "
                        f"of {complexity} (limits: {max_statements} statements, complexity {max_complexity}). Keep the "
                        "handler to parsing, one service call and mapping the result; move the rules and branches "
                        "into a service function that can be unit-tested.",
                        evidence=f"statements={statements} complexity={complexity}", endpoint=route))
    for node in own_nodes(fn):
        if isinstance(node, ast.ExceptHandler) and (node.type is None or (_catch_all(node) and swallows(node))):
            shape = "a bare `except:`" if node.type is None else f"`except {snippet(node.type)}` that only passes"
            hits.append(Hit("AR006", path, node.lineno,
                            f"{route}: the handler `{fn.name}` has {shape}, which hides the error (and a bare except "
                            "also catches cancellation). Catch the specific exceptions and map each to a documented "
                            "status code; let the rest reach the error handler.", evidence=shape))
    hits.extend(_side_effects(handler, calls))
    measures: dict[str, object] = {"route": route, "handler": fn.name, "file": path, "line": fn.lineno,
                                   "statements": statements, "complexity": complexity,
                                   "async": isinstance(fn, ast.AsyncFunctionDef), "db_access": len(accesses)}
    return hits, measures


def _side_effects(handler: Handler, calls: list[CallSite]) -> list[Hit]:
    """Slow work done in the request path, directly or in a same-module helper (one kind reported once)."""
    module, fn = handler.module, handler.fn
    is_async = isinstance(fn, ast.AsyncFunctionDef)
    sites = [(c, "") for c in calls] + [(c, f" (through `{h.name}()`, line {via.line})")
                                        for via, h in helpers(module, fn, calls) for c in module.calls(h)]
    hits: dict[str, Hit] = {}
    for call, via in sites:
        what = slow_side_effect(call)
        if what is None or what in hits or call.deferred or (is_async and blocking(call)):
            continue  # in an async handler a blocking call is AR009's (high)
        hits[what] = Hit("AR010", module.rel, call.line,
                         f"{handler.route}: the handler `{fn.name}` {what}{via} while the client waits. Hand it to "
                         "`BackgroundTasks` or a queue (`.delay()`/`.enqueue()`), and answer 202 when the client "
                         "has to wait for the outcome.", evidence=called(call))
    return list(hits.values())


def blocking_hits(module: ModuleView) -> list[Hit]:
    """Blocking calls written in an `async def`, or in a same-module function it calls (one level)."""
    hits = []
    for fn in module.source.parsed.nodes(ast.AsyncFunctionDef):
        calls = module.calls(fn)
        for call in calls:
            reason = blocking(call)
            if reason:
                hits.append(Hit("AR009", module.rel, call.line,
                                f"`{called(call)}` in `async def {fn.name}`: {reason}.",
                                evidence=called(call)))
        for via, helper in helpers(module, fn, calls):
            if isinstance(helper, ast.AsyncFunctionDef):
                continue
            for call in module.calls(helper):
                reason = blocking(call, typed_only=True)
                if reason:
                    hits.append(Hit("AR009", module.rel, call.line,
                                    f"`{called(call)}` in `{helper.name}`, which "
                                    f"`async def {fn.name}` calls on line {via.line}: {reason}.",
                                    evidence=called(call)))
    return hits


def timeout_hits(module: ModuleView, calls: list[CallSite]) -> list[Hit]:
    """Outbound calls that wait forever (requests, urlopen, SMTP) or on a library default (httpx, aiohttp)."""
    hits = []
    for call in calls:
        node, name = call.node, call.name
        if any(k.arg in ("timeout", None) for k in node.keywords):  # `**options` may carry one: give it the benefit
            continue
        lib = http_library(call)
        if (lib == "requests" or (name == "urllib.request.urlopen" and len(node.args) < 3)
                or (name in ("smtplib.SMTP", "smtplib.SMTP_SSL") and node.args and len(node.args) < 4)):
            shown = f"`{called(call)}`"
            lib = name.split(".")[0] if lib is None else lib
            example = "`timeout=(3.05, 10)`" if lib == "requests" else "`timeout=10`"
            hits.append(Hit("AR007", module.rel, call.line,
                            f"{shown} has no timeout, and {lib} waits forever by default: one slow upstream holds "
                            f"the worker until every worker is stuck. Pass {example} and handle the timeout error.",
                            evidence=shown))
        elif (lib == "httpx" and name.rpartition(".")[0] == "httpx") or name in (
                "httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.request"):
            shown = f"`{called(call)}`"
            default = "5 seconds" if name.startswith("httpx") else "5 minutes in total"
            hits.append(Hit("AR008", module.rel, call.line,
                            f"{shown} relies on the library's default timeout ({default}) rather than one chosen for "
                            "this upstream. Set `timeout=` explicitly (an `httpx.Timeout`/`aiohttp.ClientTimeout`) so "
                            "the limit is deliberate and visible.", evidence=shown))
    return hits


def error_handling_hits(project: Project) -> list[Hit]:
    """Functions making an external call that no `try` (there or around a call of them) handles."""
    global_handlers: set[str] = set()  # modules whose errors an app-wide exception handler maps (a catch-all
    # handler for Exception does not count: the upstream failure is still a 500)
    protected: dict[str, set[str]] = defaultdict(set)  # caught module -> names of functions called in such a try
    sites: list[tuple[ModuleView, FuncDef, CallSite, str]] = []
    for module in project.modules:
        for node in module.source.parsed.nodes(ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _EXCEPTION_HANDLER_HOOKS and node.args:
                global_handlers.add(error_scope(module.qualname(node.args[0])))
        for fn in module.defs():
            for call in module.calls(fn):
                lib = external_library(call)
                if lib:
                    sites.append((module, fn, call, lib))
                for statement in call.tries:
                    for handler in statement.handlers:
                        if handler.type is not None and not swallows(handler):
                            for caught_module in caught(handler, module.qualname):
                                protected[caught_module].add(call.method)
    first: dict[tuple[str, int, str], tuple[ModuleView, FuncDef, CallSite, str, str]] = {}
    for module, fn, call, lib in sites:
        modules = error_modules(lib)
        if (global_handlers & set(modules)) - {"*"} or any(fn.name in protected[m] for m in modules):
            continue
        state = protection(call, lib, module.qualname)
        key = (module.rel, id(fn), lib)
        if state != "handled" and key not in first:
            first[key] = (module, fn, call, lib, state)
    hits = []
    for module, fn, call, lib, state in first.values():
        shown = f"`{called(call)}`"
        problem = ("has no `try` around it" if state == "none"
                   else "is wrapped only in a bare `except:` or one that passes, which hides the failure")
        hits.append(Hit("AR005", module.rel, call.line,
                        f"{shown} in `{fn.name}` calls {lib} and {problem}: a timeout, connection error or upstream "
                        f"error becomes an unhandled 500 (or silently nothing). Catch `{ERROR_HINTS.get(lib, lib)}` "
                        "here or where it is called, and map it to a domain error or a documented 502/503/504.",
                        evidence=shown))
    return hits
