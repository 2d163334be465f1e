"""bandit over the project's source files, its issues mapped onto our rules.

It runs as a subprocess of our own interpreter (`python -m bandit -f json`), in a background thread,
rather than through its library API: the gate's own analysis and detect-secrets run meanwhile (the
GIL would serialise them in-process: about 5 s of bandit per 50,000 lines; splitting bandit over two
processes measured slower on two cores), the run is killed on
cancellation or timeout like any other subprocess, and bandit's process-wide state (stevedore plugins,
logging, a `rich` progress bar on stdout, which may be our MCP stdio transport) stays out of ours. Its
working directory is a temporary folder, so a `.bandit` file in the target cannot switch tests off;
`# nosec` comments are honoured, as bandit does. Its raw JSON holds code snippets (secret values
included) and never leaves that folder: the evidence file keeps locations, ids and masked texts.

Which bandit tests we keep, and as what (one wrapper rule per category, see `BANDIT_RULES`):

- SC101 sql-injection: B608 string-built SQL, B610/B611 Django `extra`/`RawSQL`.
- SC102 command-injection: B601, B602, B604-B607 (paramiko, `shell=True`, `os.system`, partial paths),
  B609 wildcards.
- SC103 hardcoded-secret: B105-B107 hardcoded passwords (the value is masked in our message).
- SC104 insecure-config, weak crypto and TLS: B303-B305, B324, B413, B501-B509, B323, B312, B321.
- SC105 unsafe-deserialization: B102 exec, B301/B302 pickle/marshal, B307 eval, B506 yaml.load,
  B313-B319 XML parsers, B612 logging.config.listen, B614 torch.load.
- SC106 missing-timeout: B113 requests without a timeout.
- SC107 path-traversal: B202 tarfile.extractall without a member filter.
- SC108 ssrf: B310 urlopen with unchecked schemes.
- SC109 insecure-config: anything else bandit reports (B103 file modes, B104 binding all interfaces,
  B108 temp files, B201 Flask debug, B306 mktemp, templates B701-B704, ...), so a new bandit test is
  never dropped silently.

Dropped as noise for web backends: B101 `assert` (pytest-style checks, not security), B603
`subprocess` without a shell (SEC-010's own recommended fix triggers it), B110/B112
`try/except: pass|continue` (error handling is the architecture gate's), B311 `random` (mostly
jitter and sampling; SEC-023 token generation is a review item), and the B4xx import blacklist (an
import is not a use: the B3xx call checks report the uses) except B413 (pycrypto, unmaintained).

Severity: bandit's own (HIGH -> high, MEDIUM -> medium, LOW -> low), one level lower when bandit's
confidence is LOW. B105-B107 hits whose value cannot be a secret (a path, a URL without credentials,
a message, a scheme or field name such as "bearer") are dropped with the noise: they are the bulk of
bandit's false positives there.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import process
from ..contracts.common import Severity
from .security_common import Hit
from .security_secrets import plausible_secret

BANDIT_RULES: dict[str, tuple[str, ...]] = {
    "SC101": ("B608", "B610", "B611"),
    "SC102": ("B601", "B602", "B604", "B605", "B606", "B607", "B609"),
    "SC103": ("B105", "B106", "B107"),
    "SC104": ("B303", "B304", "B305", "B324", "B413", "B501", "B502", "B503", "B504", "B505",
              "B507", "B508", "B509", "B323", "B312", "B321"),
    "SC105": ("B102", "B301", "B302", "B307", "B506", "B313", "B314", "B315", "B316", "B317", "B318",
              "B319", "B612", "B614"),
    "SC106": ("B113",),
    "SC107": ("B202",),
    "SC108": ("B310",),
}
CATCH_ALL = "SC109"
NOISE = frozenset({"B101", "B110", "B112", "B311", "B603",
                   *(f"B4{n:02d}" for n in range(1, 100) if n != 13)})
SECRET_TESTS = frozenset(BANDIT_RULES["SC103"])
_RULE_OF = {test: rule for rule, tests in BANDIT_RULES.items() for test in tests}
_LEVEL: dict[str, Severity] = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
_LOWER: dict[Severity, Severity] = {"critical": "high", "high": "medium", "medium": "low", "low": "info",
                                    "info": "info"}
_CHUNK = 2000  # files per bandit process: keeps the command line far below the OS limit


@dataclass
class BanditRun:
    hits: list[Hit] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)  # every issue (secrets masked), for the evidence
    noise: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)  # files bandit could not scan, and why
    failure: str | None = None  # bandit itself failed (or was stopped): the reason
    cancelled: bool = False


class Bandit:
    """bandit running in the background: `start()` returns at once, `result()` waits for it."""

    def __init__(self, root: Path, paths: list[Path], workdir: Path, timeout: float,
                 cancelled: threading.Event, titles: dict[str, str]) -> None:
        self.root, self.paths, self.workdir, self.timeout, self.cancelled = root, paths, workdir, timeout, cancelled
        self.titles = titles
        self._issues: list[dict[str, Any]] = []
        self._run = BanditRun()
        self._thread = threading.Thread(target=self._work, name="security-bandit", daemon=True)

    def start(self) -> Bandit:
        self._thread.start()
        return self

    def result(self) -> BanditRun:
        self._thread.join()
        if self._run.failure is None and not self._run.cancelled:
            self._convert()
        return self._run

    def _work(self) -> None:
        try:
            for n, start in enumerate(range(0, len(self.paths), _CHUNK)):
                report = self.workdir / f"bandit-{n}.json"
                done = process.run([sys.executable, "-m", "bandit", "-f", "json", "-o", str(report), "-q",
                                    *(str(p) for p in self.paths[start:start + _CHUNK])],
                                   cwd=self.workdir, timeout=self.timeout, log=self.workdir / f"bandit-{n}.log",
                                   cancelled=self.cancelled)
                if done.cancelled:
                    self._run.cancelled = True
                    return
                if done.timed_out or not report.is_file():
                    tail = " ".join(done.output.strip().splitlines()[-3:])
                    self._run.failure = (f"bandit did not finish within {self.timeout:g} s" if done.timed_out
                                         else f"bandit exited {done.returncode} without a report: {tail}")
                    return
                data = json.loads(report.read_text(encoding="utf-8"))
                self._issues.extend(data.get("results", []))
                self._run.errors.extend({"path": _rel(self.root, e.get("filename", "")), "reason": e.get("reason", "")}
                                        for e in data.get("errors", []))
        except Exception as exc:  # contained here, reported by the gate as an error with the reason
            self._run.failure = f"bandit failed: {type(exc).__name__}: {exc}"

    def _convert(self) -> None:
        for issue in self._issues:
            test_id, rel, line = issue["test_id"], _rel(self.root, issue["filename"]), issue["line_number"]
            text = issue["issue_text"]
            text, _, value = text.partition(": ") if test_id in SECRET_TESTS else (text, "", "")
            cwe = (issue.get("issue_cwe") or {}).get("id") or None
            sev, conf = issue["issue_severity"], issue["issue_confidence"]
            self._run.raw.append({"test_id": test_id, "test_name": issue["test_name"], "path": rel, "line": line,
                                  "severity": sev, "confidence": conf, "cwe": cwe, "text": text})
            if test_id in NOISE or (test_id in SECRET_TESTS and not plausible_secret(value.strip("'\""))):
                self._run.noise += 1
                continue
            rule = _RULE_OF.get(test_id, CATCH_ALL)
            name = issue["test_name"] if issue["test_name"] != "blacklist" else self.titles[rule]
            self._run.hits.append(Hit(
                rule, f"{text.rstrip('.')} ({rel}:{line}). See bandit's {test_id} documentation for the fix, or "
                      f"mark a reviewed false positive with `# nosec {test_id}`.",
                path=rel, line=line, title=f"bandit {test_id}: {name}",
                evidence=f"bandit {test_id}" + (f" · CWE-{cwe}" if cwe else "")
                + f" · severity {sev}, confidence {conf}",
                severity=severity(sev, conf), cwe=cwe, end_line=max(issue.get("line_range") or [line]),
                source=f"bandit {test_id}"))


def severity(issue_severity: str, confidence: str) -> Severity:
    level = _LEVEL.get(issue_severity.upper(), "low")
    return _LOWER[level] if confidence.upper() == "LOW" else level


def _rel(root: Path, name: str) -> str:
    path = Path(name)
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
