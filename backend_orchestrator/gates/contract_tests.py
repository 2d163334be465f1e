"""Gate ``contract-tests``: schemathesis against the running app, from the app's own OpenAPI document.

What it does
    Serves the configured ``app`` on 127.0.0.1 (``appserver``: scratch database, seed step, uvicorn),
    takes its OpenAPI document from ``/openapi.json`` (else the one the last scan recorded,
    ``ai-state/active/backend/openapi.json``) and runs schemathesis on it against the served URL
    (``contract_tests_driver.py``, a subprocess of OUR interpreter): ``contract_tests.max_examples``
    test cases per operation and phase (examples, coverage, fuzzing, stateful), stopped after
    ``contract_tests.seconds``. Every response goes through the configured checks (default:
    ``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance``,
    ``response_schema_conformance``, ``ignored_auth``). The seed step's headers (``serve.seed``) go
    with every request, handed over in a 0600 file the driver deletes on reading (never on a command
    line); any value of theirs left in the evidence is replaced by ``[redacted]``.
    Scope: the task's endpoints that the document has, else every operation in it.
    Evidence under ``<evidence>/contract-tests/``: schemathesis's junit, ndjson and json reports
    (``reports/``), ``result.json`` (the failures as the driver collected them), the document tested,
    and the driver and server logs. hypothesis's and schemathesis's caches live in a ``work`` folder
    there that is deleted after the run: nothing is written into the project itself.
Why it matters
    The OpenAPI document is the contract clients are generated from (TEST-017). A 500 on unexpected
    input, a body that does not match its declared schema, a status code or content type the document
    does not list, and an operation that declares authentication without enforcing it all break
    clients that trust the document, and only show on the running app.
Rules
    CTT001 a server error (5xx) (high) · CTT002 a response body that violates its documented schema
    (high) · CTT003 an undocumented status code (medium) · CTT004 an undocumented content type
    (medium) · CTT005 declared authentication not enforced (high) · CTT006 an invalid request
    accepted (medium) · CTT007 another schemathesis check failed (medium) · CTT008 no answer: a
    network error or a timeout (high) · CTT009 an operation schemathesis could not test (low).
Use instead
    Map domain errors to documented 4xx answers; list every status an operation returns in
    ``responses=``; return exactly what ``response_model`` declares (timestamps with their offset);
    answer in the documented content type; enforce the security scheme an operation declares.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from .. import process
from ..contracts.config import ProjectConfig
from ..contracts.report import GateResult
from ..state.store import STATE_DIR
from . import appserver
from .base import Gate, GateContext, Rule
from .contract_tests_outcome import Outcome, redact_tree
from .secret_files import write_private

DRIVER = Path(__file__).with_name("contract_tests_driver.py")
RECORDED = STATE_DIR / "openapi.json"
MARGIN_S = 90.0  # migrations, the seed, interpreter and schemathesis start-up, teardown
REQUEST_TIMEOUT_S = 10
ST_CONFIG = "color = false\n\n[cache]\nenabled = false\n"  # no crash cache: nothing but our reports on disk
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_operations(document: dict[str, Any]) -> list[str]:
    """The document's operations as schemathesis labels them: ``"GET /items/{item_id}"``."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return []
    return [f"{method.upper()} {path}" for path, item in paths.items() if isinstance(item, dict)
            for method in item if method in HTTP_METHODS]


def server_prefix(document: dict[str, Any]) -> str:
    """The path of the document's first server when it is relative (``/api`` of a ``root_path``), else ``""``:
    operations are reached under it, and the served URL replaces the rest of the server's address."""
    servers = document.get("servers")
    first = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], dict) else {}
    url = first.get("url")
    return url.rstrip("/") if isinstance(url, str) and url.startswith("/") else ""


def fetch_document(url: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The OpenAPI document the app serves at ``/openapi.json``, or None (not served, not JSON, no paths)."""
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    request = urllib.request.Request(f"{url}/openapi.json", headers=headers)
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
            document = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and isinstance(document.get("paths"), dict) else None


class ContractTestsGate(Gate):
    id = "contract-tests"
    title = "Contract tests: schemathesis against the running app"
    runtime = True
    blocks_at = "high"
    rules = (
        Rule("CTT001", "Server error", "high", "server-error", clause="TEST-020",
             help="The app answered a generated request with a 5xx. Find the exception in server.log, then "
                  "validate the input or map the domain error to a documented 4xx answer."),
        Rule("CTT002", "Response violates its documented schema", "high", "contract-violation",
             clause="BS-API-002",
             help="A response body does not match the schema the OpenAPI document declares for its status "
                  "code (a missing or mistyped field, a timestamp without its offset). Return what the "
                  "response_model declares, or correct the model."),
        Rule("CTT003", "Undocumented status code", "medium", "contract-violation", clause="BS-API-011",
             help="The app answered with a status code the operation does not document. List every status "
                  "it returns in responses= (401, 403, 404, 409 …), or stop returning it."),
        Rule("CTT004", "Undocumented content type", "medium", "contract-violation", clause="BS-API-002",
             help="The response's Content-Type is not one the operation documents. Answer in the documented "
                  "media type or document the one returned (response_class=, responses=)."),
        Rule("CTT005", "Declared authentication not enforced", "high", "missing-auth", clause="SEC-001", cwe=306,
             help="The operation declares a security scheme, yet answered 2xx without credentials or with "
                  "wrong ones. Depend on the authentication (Depends(get_current_user)) and reject with 401."),
        Rule("CTT006", "Invalid request accepted", "medium", "missing-input-validation", clause="BS-API-006",
             help="A request that violates the documented schema was answered 2xx. Constrain the parameter "
                  "or body with pydantic types (ranges, lengths, extra='forbid')."),
        Rule("CTT007", "Contract check failed", "medium", "contract-violation", clause="TEST-017",
             help="A schemathesis check other than the ones with their own rule failed; the message names it "
                  "(see `schemathesis explain <code>`)."),
        Rule("CTT008", "No answer from the app", "high", "server-error", clause="TEST-020",
             help="A generated request got no answer: a timeout, a reset connection or a server that stopped. "
                  "Find the cause in server.log; bound slow work and catch what kills the worker."),
        Rule("CTT009", "Operation could not be tested", "low", "invalid-contract", clause="API-025",
             help="schemathesis could not generate or send requests for the operation (an unsupported or "
                  "contradictory schema, an invalid pattern). Simplify the schema so it can be tested."),
    )

    def time_limit(self, config: ProjectConfig) -> float:
        seed_s = config.serve.seed_timeout_s if config.serve.seed else 0
        return config.contract_tests.seconds + config.load.startup_s + seed_s + MARGIN_S

    def skip_reason(self, ctx: GateContext) -> str | None:
        if not ctx.config.app:
            return "no `app` in the config (e.g. app = \"shop.main:app\"): nothing to serve"
        return None

    def run(self, ctx: GateContext) -> GateResult:
        import importlib.util

        if importlib.util.find_spec("schemathesis") is None:  # find_spec does not import it
            return self.result("error", "schemathesis is not installed next to backend-orchestrator: "
                               "pip install 'backend-orchestrator[load]'")
        out = ctx.evidence_dir / "contract-tests"
        out.mkdir(parents=True, exist_ok=True)
        for stale in ("reports", "work"):
            shutil.rmtree(out / stale, ignore_errors=True)
        for name in ("result.json", "driver.log", "openapi.json", "spec.json"):
            (out / name).unlink(missing_ok=True)
        work = out / "work"
        work.mkdir()
        headers: dict[str, str] = {}
        try:
            with appserver.serve(ctx, out, ctx.config.load.startup_s) as served:
                headers = dict(served.headers)
                return self._test(ctx, served, out, work, headers)
        except appserver.ServeError as exc:
            return self.result("error", str(exc), evidence=exc.evidence)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            redact_tree(out, headers)

    def _test(self, ctx: GateContext, served: appserver.Served, out: Path, work: Path,
              headers: dict[str, str]) -> GateResult:
        evidence = list(served.evidence)
        if not served.url.startswith("http://127.0.0.1:"):
            return self.result("error", f"refusing to test {served.url!r}: only 127.0.0.1 is tested", evidence=evidence)
        document, origin = fetch_document(served.url, headers), "served at /openapi.json"
        if document is None and (ctx.root / RECORDED).is_file():
            document, origin = json.loads((ctx.root / RECORDED).read_text(encoding="utf-8")), "recorded by the scan"
        if document is None:
            return self.result("skipped", "the app serves no OpenAPI document at /openapi.json and none was "
                                "recorded (run scan_project): nothing to test against", evidence=evidence)
        (out / "openapi.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        operations, scope = self._scope(ctx, document_operations(document))
        cfg = ctx.config.contract_tests
        spec: dict[str, Any] = {
            "schema": str(out / "openapi.json"), "base_url": served.url + server_prefix(document),
            "checks": list(cfg.checks),
            "max_examples": cfg.max_examples, "phases": list(cfg.phases), "operations": operations,
            "seed": cfg.seed, "request_timeout_s": REQUEST_TIMEOUT_S, "report_dir": str(out / "reports"),
            "config_file": str(work / "schemathesis.toml"), "headers_file": None,
        }
        (work / "schemathesis.toml").write_text(ST_CONFIG, encoding="utf-8")
        if headers:
            spec["headers_file"] = str(work / "headers.json")
            write_private(work / "headers.json", headers)
        (out / "spec.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        env = process.target_env({"HYPOTHESIS_STORAGE_DIRECTORY": str(work / ".hypothesis"),
                                  "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
        driven = process.run([sys.executable, str(DRIVER), str(out / "spec.json"), str(out / "result.json")],
                             cwd=work, timeout=cfg.seconds, log=out / "driver.log", env=env, cancelled=ctx.cancelled)
        (work / "headers.json").unlink(missing_ok=True)
        evidence += [ctx.rel(out / "openapi.json"), ctx.rel(out / "spec.json"), ctx.rel(out / "driver.log")]
        if driven.cancelled:
            return self.result("error", "cancelled", evidence=evidence)
        if driven.timed_out:
            return self.result("error", f"schemathesis did not finish within {cfg.seconds} s "
                               "(raise contract_tests.seconds or lower contract_tests.max_examples)", evidence=evidence)
        result_path = out / "result.json"
        if driven.returncode != 0 or not result_path.is_file():
            return self.result("error", f"the schemathesis driver exited {driven.returncode}: "
                               f"{appserver.tail(out / 'driver.log', 8)}", evidence=evidence)
        redact_tree(out, headers)  # before anything is read back into findings
        outcome = Outcome.load(result_path)
        evidence += [ctx.rel(result_path), *sorted(ctx.rel(p) for p in (out / "reports").glob("*") if p.is_file())]
        if not outcome.cases:
            why = "; ".join(f"{e['title']}: {e['message']}" for e in outcome.errors[:2]) or "see driver.log"
            return self.result("error", f"schemathesis ran no test case ({why})", evidence=evidence)
        by_ref = {ep.ref: ep for ep in ctx.registries().endpoints.endpoints}
        findings = outcome.findings(self, by_ref)
        metrics = outcome.metrics(len(operations) or len(document_operations(document)), cfg.max_examples)
        summary = (f"{metrics['operations_tested']} operation(s) ({scope}; document {origin}), "
                   f"{metrics['test_cases']} test cases in {metrics['duration_s']} s: {len(findings)} finding(s)"
                   + (f", sent with the seed's {', '.join(sorted(headers))} header(s)" if headers else ""))
        return self.report(summary, findings=findings, metrics=metrics, evidence=evidence)

    def _scope(self, ctx: GateContext, available: list[str]) -> tuple[list[str], str]:
        """The operations to test (empty: all) and a note on where they came from."""
        if ctx.task is not None and ctx.task.endpoints:
            mine = [ref for ref in ctx.task.endpoints if ref in available]
            if mine:
                return mine, "the task's endpoints"
            return [], "every operation: the document has none of the task's endpoints"
        return [], "every operation"
