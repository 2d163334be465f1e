"""The schemathesis driver of the ``contract-tests`` gate: run ONLY as a subprocess, never imported by the server.

schemathesis pulls in hypothesis, requests and rich (seconds of import, global state), so the gate runs
``python contract_tests_driver.py SPEC OUT`` in its own process group, with the working directory in
the evidence folder (hypothesis and schemathesis write their caches into the cwd), and reads the JSON
this script writes.

SPEC (JSON, written by the gate; no secrets): ``schema`` (a local OpenAPI file), ``base_url`` (must be
http://127.0.0.1:PORT), ``checks``, ``max_examples``, ``phases``, ``operations`` (``["GET /x", ...]``
or empty for all), ``seed`` (or null), ``request_timeout_s``, ``report_dir``, ``config_file`` and
``headers_file``: a 0600 JSON object of header names to values, read and deleted at once. The
headers reach schemathesis as in-process arguments of its CLI, never on this process's command line.

OUT (JSON): ``exit_code``, ``cases`` (per operation label), ``failures`` (one per failed check of a
test case: operation, check, code, title, message, status, curl), ``errors`` (operations schemathesis
could not test: label, title, message), ``running_time_s``. schemathesis writes its own junit, ndjson
and json reports into ``report_dir`` as well.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

MESSAGE_CHARS = 600


def _failures_of(recorder: Any) -> list[dict[str, Any]]:
    found = []
    for case_id, checks in recorder.checks.items():
        node = recorder.cases.get(case_id)
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction is not None else None
        for check in checks:
            info = check.failure_info
            if info is None:
                continue
            failure = info.failure
            found.append({
                "operation": node.value.operation.label if node is not None else recorder.label,
                "check": check.name, "code": failure.code, "title": failure.title,
                "message": str(failure.message)[:MESSAGE_CHARS],
                "status": response.status_code if response is not None else None,
                "curl": info.code_sample,
            })
    return found


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2])
    base_url: str = spec["base_url"]
    if not base_url.startswith("http://127.0.0.1:"):  # test only loopback, whatever the spec says
        print(f"refusing to test {base_url!r}: only http://127.0.0.1 is allowed", file=sys.stderr)
        return 2
    headers: dict[str, str] = {}
    if spec.get("headers_file"):
        secret = Path(spec["headers_file"])
        headers = json.loads(secret.read_text(encoding="utf-8"))
        secret.unlink(missing_ok=True)

    from schemathesis.cli import EventHandler, handler, schemathesis
    from schemathesis.engine import events

    collected: dict[str, Any] = {"cases": {}, "failures": [], "errors": [], "running_time_s": None}

    @handler()
    class Collector(EventHandler):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **params: Any) -> None:
            pass

        def handle_event(self, ctx: Any, event: events.EngineEvent) -> None:
            if isinstance(event, events.ScenarioFinished):
                for node in event.recorder.cases.values():
                    label = node.value.operation.label
                    collected["cases"][label] = collected["cases"].get(label, 0) + 1
                collected["failures"] += _failures_of(event.recorder)
            elif isinstance(event, events.NonFatalError):
                collected["errors"].append({"label": event.label, "title": event.info.title,
                                            "message": str(event.info)[:MESSAGE_CHARS]})
            elif isinstance(event, events.FatalError):
                collected["errors"].append({"label": None, "title": "Fatal error",
                                            "message": repr(event.exception)[:MESSAGE_CHARS]})
            elif isinstance(event, events.EngineFinished):
                collected["running_time_s"] = round(event.running_time, 3)

    args = ["--config-file", spec["config_file"], "run", spec["schema"], "--url", base_url,
            "--checks", ",".join(spec["checks"]), "--max-examples", str(spec["max_examples"]),
            "--phases", ",".join(spec["phases"]), "--workers", "1", "--generation-database", "none",
            "--request-timeout", str(spec["request_timeout_s"]), "--output-sanitize", "true",
            "--report", "junit,ndjson,json", "--report-dir", spec["report_dir"]]
    if spec.get("seed") is not None:
        args += ["--seed", str(spec["seed"])]
    for label in spec.get("operations") or []:
        args += ["--include-name", label]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]  # in-process only: never on our own command line
    try:
        code = schemathesis.main(args=args, prog_name="schemathesis", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    collected["exit_code"] = code if isinstance(code, int) else None
    out.write_text(json.dumps(collected, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path.cwd() / ".hypothesis"))
    sys.exit(main(sys.argv))
