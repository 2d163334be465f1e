"""Finding fingerprints: stable across edits elsewhere, changed when the flagged code changes.

Real gates (architecture and security, static) run on a small FastAPI project before and after an edit;
the fingerprints of the findings the edit did not touch must be the same.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.report import Finding, GateResult
from backend_orchestrator.gates import GateContext, get_gate, run_gate
from backend_orchestrator.gates.fingerprint import endpoint_identity, fingerprints

ROUTES = textwrap.dedent('''\
    import requests
    from fastapi import APIRouter, FastAPI
    from sqlalchemy import text

    from app.db import engine

    app = FastAPI()
    router = APIRouter(prefix="/api/v1/reports")
    UPSTREAM = "http://reports.internal:8080"


    def helper(value):
        return value * 2


    @router.get("")
    def list_reports(kind: str):
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT * FROM reports WHERE kind = '{kind}'")).all()
        return [dict(r._mapping) for r in rows]


    @router.get("/{report_id}/upstream")
    def upstream(report_id: int):
        return requests.get(f"{UPSTREAM}/reports/{report_id}").json()


    app.include_router(router)
''')


def project(tmp_path: Path, routes: str = ROUTES) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "db.py").write_text("from sqlalchemy import create_engine\n\nengine = create_engine('sqlite://')\n",
                                        encoding="utf-8")
    (root / "app" / "main.py").write_text(routes, encoding="utf-8")
    return root


def run(root: Path, gate_id: str) -> GateResult:
    evidence = root.parent / f"evidence-{gate_id}"
    evidence.mkdir(exist_ok=True)
    return run_gate(get_gate(gate_id), GateContext(root=root.resolve(), config=ProjectConfig(source=["app"]),
                                                   evidence_dir=evidence))


def prints(root: Path) -> dict[str, str]:
    """rule id and message head -> fingerprint, for every finding of both gates."""
    out: dict[str, str] = {}
    for gate_id in ("architecture", "security"):
        for f in run(root, gate_id).findings:
            assert f.fingerprint, f
            out[f"{f.rule_id} {f.title}"] = f.fingerprint
    return out


def edited(root: Path, old: str, new: str) -> None:
    main = root / "app" / "main.py"
    text = main.read_text(encoding="utf-8")
    assert old in text
    main.write_text(text.replace(old, new), encoding="utf-8")


def test_every_finding_of_a_gate_carries_a_fingerprint_and_they_differ(tmp_path: Path) -> None:
    before = prints(project(tmp_path))
    assert {"AR001", "AR005", "AR007", "SC106", "SC202"} <= {key.split()[0] for key in before}
    assert len(set(before.values())) == len(before)


def test_lines_inserted_above_keep_every_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = prints(root)
    edited(root, "def helper(value):", "def other(a, b):\n    '''Five more lines.'''\n    total = a + b\n"
                                        "    return total\n\n\ndef helper(value):")
    after = prints(root)
    assert after == before


def test_reformatting_other_code_and_comments_keep_every_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = prints(root)
    edited(root, "def helper(value):\n    return value * 2", "def helper(  value  ):  # doubled\n\n    return (\n"
                                                            "        value\n        * 2\n    )")
    edited(root, "    return [dict(r._mapping) for r in rows]", "    # one dict per row\n"
                                                                 "    return [\n        dict(r._mapping)\n"
                                                                 "        for r in rows\n    ]")
    assert prints(root) == before


def test_renaming_another_function_keeps_every_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = prints(root)
    edited(root, "def helper(value):", "def twice(value):")
    assert prints(root) == before


def test_reformatting_the_flagged_statement_itself_keeps_its_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = prints(root)
    edited(root, 'return requests.get(f"{UPSTREAM}/reports/{report_id}").json()',
           'return requests.get(\n        f"{UPSTREAM}/reports/{report_id}"\n    ).json()  # upstream')
    assert prints(root) == before


def test_changing_the_flagged_expression_changes_that_fingerprint_only(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = prints(root)
    edited(root, 'return requests.get(f"{UPSTREAM}/reports/{report_id}").json()',
           'return requests.get(f"{UPSTREAM}/v2/reports/{report_id}").json()')
    after = prints(root)
    changed = {key for key in before if after.get(key) != before[key]}
    assert changed and all(key.startswith(("AR007", "AR005", "SC1")) for key in changed), changed
    assert {k: v for k, v in after.items() if k not in changed} == {k: v for k, v in before.items()
                                                                    if k not in changed}


def test_renaming_the_enclosing_function_changes_the_fingerprints_inside_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = prints(root)
    edited(root, "def upstream(report_id: int):", "def fetch_upstream(report_id: int):")
    after = prints(root)
    assert after["AR007 Outbound call without a timeout"] != before["AR007 Outbound call without a timeout"]
    assert after["SC202 SQL built from strings"] == before["SC202 SQL built from strings"]


def finding(**fields: object) -> Finding:
    base: dict[str, object] = {"rule_id": "AD010", "gate": "api-design", "severity": "medium", "title": "t",
                               "message": "m"}
    return Finding.model_validate(base | fields)


def test_an_endpoint_finding_follows_the_endpoint_not_the_code_of_its_handler(tmp_path: Path) -> None:
    root = project(tmp_path)
    one = finding(path="app/main.py", line=17, endpoint="GET /api/v1/reports")
    [before] = fingerprints([one], root)
    edited(root, "def list_reports(kind: str):", "def list_reports(kind: str, limit: int = 20):")
    [after] = fingerprints([one.model_copy(update={"line": 17})], root)
    assert before == after
    renamed = fingerprints([one.model_copy(update={"endpoint": "GET /api/v1/reports/{report_id}"})], root)
    assert renamed != [before]
    assert endpoint_identity("GET /x/{item_id}/y") == endpoint_identity("GET /x/{id}/y") == "GET /x/{}/y"


def test_a_subject_finding_ignores_where_it_is_anchored(tmp_path: Path) -> None:
    root = project(tmp_path)
    a = finding(rule_id="AD002", path="app/main.py", line=17, subject="path prefix /api/v1/report")
    b = a.model_copy(update={"path": "app/other.py", "line": 3})
    assert fingerprints([a], root) == fingerprints([b], root)


def test_identical_statements_in_one_function_get_numbered_fingerprints(tmp_path: Path) -> None:
    root = project(tmp_path, ROUTES.replace(
        '    return requests.get(f"{UPSTREAM}/reports/{report_id}").json()',
        '    requests.get(f"{UPSTREAM}/reports/{report_id}")\n    requests.get(f"{UPSTREAM}/reports/{report_id}")\n'
        '    return None'))
    found = [f for f in run(root, "architecture").findings if f.rule_id == "AR007"]
    assert len(found) == 2 and found[0].fingerprint != found[1].fingerprint


def test_a_finding_in_a_file_that_does_not_parse_uses_its_line_text(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "app" / "broken.py").write_text("x = (\n  SECRET = 'abc'\n", encoding="utf-8")
    (root / ".env").write_text("TOKEN=1\n", encoding="utf-8")
    one = finding(rule_id="SC301", gate="security", path="app/broken.py", line=2)
    env = finding(rule_id="SC303", gate="security", path=".env", line=1)
    first = fingerprints([one, env], root)
    (root / "app" / "broken.py").write_text("# moved\nx = (\n  SECRET   =   'abc'\n", encoding="utf-8")
    assert fingerprints([one.model_copy(update={"line": 3}), env], root) == first
