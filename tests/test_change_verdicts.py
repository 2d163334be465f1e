"""Issue 10's acceptance on examples/shop: the verdict of a task is about its change.

A git copy of the shop (its planted debt committed), a task received at that commit, the demo's change
(pagination on GET /api/v1/products, with tests) — and then: the correct change ends `done` with a
passing verdict over every gate the assignment requires while the shop's own findings are reported as
existing; the same change with one planted defect fails and names only that defect as new.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from backend_orchestrator.cli import main
from backend_orchestrator.demo_change import ROUTER, SERVICE, TESTS, apply_pagination
from backend_orchestrator.state import Project

from .conftest import copy_shop, fixed_project

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]
REPO = Path(__file__).resolve().parents[1]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=bo", "-c", "user.email=bo@example.invalid", *args], cwd=root,
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def git_shop(tmp_path: Path) -> Path:
    """A copy of the shop committed as a fresh repository, with a quicker load and contract-test profile."""
    shop = copy_shop(tmp_path)
    config = shop / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[tool.backend-orchestrator.contract_tests]\n"
                      "max_examples = 3\nphases = [\"examples\", \"coverage\"]\n", encoding="utf-8")
    git(shop, "init", "-q")
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "shop")
    return shop


def cli(root: Path, *args: str) -> int:
    return main([*args, "--project", str(root)])


def task_for_the_demo(shop: Path) -> str:
    """A new task for the demo's change, received and assigned; its id."""
    assert cli(shop, "task", "add", "Add pagination and filtering to GET /api/v1/products") == 0
    task_id = sorted(p.stem for p in (shop / "ai-state" / "active" / "backend" / "tasks").glob("task-*.json"))[-1]
    assert cli(shop, "assign", task_id) == 0
    return task_id


def report_of(path: Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((REPO / "schemas" / "validation-report.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(report)) == []
    return report


def new_findings(report: dict) -> list[tuple[str, str, str | None]]:
    return [(g["gate"], f["rule_id"], f.get("path")) for g in report["gates"] for f in g["findings"]
            if f["baseline_state"] == "new"]


@pytest.mark.anyio
async def test_a_correct_change_for_the_demos_task_is_done_and_the_shops_debt_is_existing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp import Client

    from backend_orchestrator.server import create_server

    monkeypatch.setenv("BO_LOAD_SECONDS", "2")
    monkeypatch.setenv("BO_LOAD_USERS", "2")
    shop = git_shop(tmp_path)
    project: Project = fixed_project(shop)
    async with Client(create_server(project, tools="all"), raise_exceptions=True) as client:
        async def call(tool: str, args: dict) -> dict:
            result = await client.call_tool(tool, args)
            assert not result.is_error, result.content
            return result.structured_content or {}

        task = (await call("receive_task", {"description": "Add pagination and filtering to GET /api/v1/products"}))
        task_id = task["task"]["id"]
        assert task["task"]["base_commit"] == git(shop, "rev-parse", "HEAD")
        await call("assign_skill", {"task_id": task_id})
        apply_pagination(shop)
        status = await call("validate_results", {"task_id": task_id, "wait_seconds": 50})
        while status["status"] == "running":
            status = await call("validate_results", {"task_id": task_id, "wait_seconds": 50})
        digest = status["report"]
        assert status["status"] == "pass", status["message"]
        assert digest["digest"] is True and digest["scope"] == "change"
        assert "existing (not blocking)" in status["message"]
        gates = {g["gate"]: g for g in digest["gates"]}
        assert set(gates) == {"tests", "api-design", "contract", "contract-tests", "security", "architecture", "docs",
                              "performance"}
        assert all(g["status"] in ("pass", "warn") for g in gates.values()), {g: v["status"] for g, v in gates.items()}
        # the digest lists only new findings; the shop's debt is counted, by rule
        assert gates["security"]["existing_by_rule"] == {"SC201": 1, "SC214": 1, "SC301": 1}
        assert gates["architecture"]["existing_by_rule"] == {"AR004": 1}
        assert gates["api-design"]["existing_by_rule"] == {"AD010": 1, "AD012": 1}
        assert gates["api-design"]["counts"]["fixed"] == 1  # the task paginated GET /api/v1/products
        assert all(f["baseline_state"] == "new" and not f["blocking"] for g in digest["gates"] for f in g["findings"])
        done = await call("get_task", {"task_id": task_id})
        assert done["status"] == "done" and done["stale"] is False
        assert done["validation"]["existing_findings"] >= 4 and done["validation"]["missing_gates"] == []
        page = json.loads((await client.read_resource(
            f"backend://reports/{task_id}/findings/existing/1")).contents[0].text)  # type: ignore[union-attr]
        assert {f["rule_id"] for f in page["findings"]} >= {"SC201", "SC301", "AR004", "AD010", "AD012"}
        fixed = json.loads((await client.read_resource(
            f"backend://reports/{task_id}/findings/fixed/1")).contents[0].text)  # type: ignore[union-attr]
        assert [(f["rule_id"], f["path"]) for f in fixed["findings"]] == [("AD010", ROUTER)]
        full = report_of(shop / status["report_path"])
        assert full["baseline"]["commit"] == task["task"]["base_commit"] and full["tree_hash"].startswith("sha256:")
        sarif = json.loads((shop / status["report_path"]).with_suffix(".sarif").read_text(encoding="utf-8"))
        states = {r.get("baselineState") for run in sarif["runs"] for r in run["results"]}
        assert {"unchanged", "absent"} <= states
        assert all(r["partialFingerprints"]["backendOrchestrator/v1"] for run in sarif["runs"] for r in run["results"])
        official = json.loads((REPO / "tests" / "data" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
        assert list(Draft4Validator(official).iter_errors(sarif)) == []
        (shop / SERVICE).write_text((shop / SERVICE).read_text(encoding="utf-8") + "\n# later\n", encoding="utf-8")
        stale = await call("get_task", {"task_id": task_id})
        assert stale["stale"] is True and "validate again" in stale["stale_reason"]


DEFECTS = {
    "unauthenticated DELETE": (ROUTER, '''

@router.delete("/{product_id}/image", status_code=204, responses=error_responses(404))
def delete_product_image(product_id: RowId, session: SessionDep) -> None:
    """Remove a product's image."""
    product = _get_or_404(session, product_id)
    product_service.update_product(session, product, ProductUpdate(description=None))
''', "api-design,security,architecture,docs", [("security", "SC201", ROUTER)]),
    "SQL built with an f-string": (ROUTER, """

from sqlalchemy import text  # noqa: E402


@router.get("/search/count", responses=error_responses(400))
def count_matching(q: str, session: SessionDep) -> int:
    \"\"\"How many products have `q` in their name.\"\"\"
    return int(session.execute(text(f"SELECT COUNT(*) FROM products WHERE name LIKE '%{q}%'")).scalar_one())
""", "security", [("security", "SC202", ROUTER)]),
    "a new unpaginated collection read": (ROUTER, '''

@router.get("/bestsellers", response_model=list[ProductRead])
def list_bestsellers(session: SessionDep) -> Sequence[Product]:
    """Every product with stock, cheapest first."""
    return [p for p in product_service.list_products(session, limit=10_000) if p.stock]
''', "api-design,security,architecture,docs", [("api-design", "AD010", ROUTER)]),
    "a failing test": (TESTS, '''

def test_list_products_pages_hold_fifty_by_default(client: TestClient) -> None:
    assert client.get("/api/v1/products").json() == [{"id": 1}]
''', "tests", [("tests", "TST001", TESTS)]),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_same_change_with_one_planted_defect_fails_on_that_finding_alone(defect: str, tmp_path: Path) -> None:
    file, code, gates, expected = DEFECTS[defect]
    shop = git_shop(tmp_path)
    assert cli(shop, "scan") == 0
    task_id = task_for_the_demo(shop)
    apply_pagination(shop)
    target = shop / file
    target.write_text(target.read_text(encoding="utf-8") + code, encoding="utf-8")
    out = tmp_path / "report.json"
    assert cli(shop, "validate", task_id, "--gates", gates, "--format", "json", "--output", str(out)) == 1
    report = report_of(out)
    assert report["verdict"] == "fail" and report["scope"] == "change"
    assert new_findings(report) == expected
    blocking = [(g["gate"], f["rule_id"]) for g in report["gates"] for f in g["findings"] if f["blocking"]]
    assert blocking == [(gate, rule) for gate, rule, _ in expected]
    assert sum(g["counts"]["existing"] for g in report["gates"]) >= (1 if gates != "tests" else 0)
    task = json.loads((shop / "ai-state/active/backend/tasks" / f"{task_id}.json").read_text(encoding="utf-8"))
    assert task["status"] == "failed"


def test_a_subset_of_the_gates_never_makes_a_task_done(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = git_shop(tmp_path)
    task_id = task_for_the_demo(shop)
    apply_pagination(shop)
    out = tmp_path / "report.json"
    assert cli(shop, "validate", task_id, "--gates", "docs", "--format", "json", "--output", str(out)) == 1
    report = report_of(out)
    assert report["verdict"] == "incomplete"
    assert report["missing_gates"] == ["tests", "api-design", "contract", "contract-tests", "security",
                                       "architecture", "performance"]
    task = json.loads((shop / "ai-state/active/backend/tasks" / f"{task_id}.json").read_text(encoding="utf-8"))
    assert task["status"] == "in_progress" and task["validation"]["verdict"] == "incomplete"
    assert "required gates not covered" in task["history"][-1]["note"]


def test_a_required_gate_skipped_for_missing_configuration_does_not_count_as_passed(tmp_path: Path) -> None:
    shop = git_shop(tmp_path)
    config = shop / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('app = "shop.main:app"\n', ""), encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "\n[tool.backend-orchestrator.gates]\n"
                      "api = [\"docs\", \"performance\"]\n", encoding="utf-8")
    git(shop, "commit", "-qam", "no app")
    task_id = task_for_the_demo(shop)
    out = tmp_path / "report.json"
    assert cli(shop, "validate", task_id, "--format", "json", "--output", str(out)) == 1
    report = report_of(out)
    performance = next(g for g in report["gates"] if g["gate"] == "performance")
    assert performance["status"] == "skipped" and "`app`" in performance["summary"]
    assert (report["verdict"], report["missing_gates"]) == ("incomplete", ["performance"])
    assert any("performance skipped: no `app` in the config" in note for note in report["notes"])
    task = json.loads((shop / "ai-state/active/backend/tasks" / f"{task_id}.json").read_text(encoding="utf-8"))
    assert task["status"] == "in_progress"


def test_an_unknown_baseline_ref_is_an_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = git_shop(tmp_path)
    assert cli(shop, "validate", "--gates", "docs", "--baseline", "origin/nope") == 2
    assert "baseline 'origin/nope' is not a commit" in capsys.readouterr().err
    assert not (shop / "ai-state" / "active" / "backend" / "artifacts").exists()


def test_a_whole_project_run_with_a_baseline_judges_the_change_since_it(tmp_path: Path) -> None:
    shop = git_shop(tmp_path)
    apply_pagination(shop)
    git(shop, "commit", "-qam", "pagination")
    target = shop / ROUTER
    target.write_text(target.read_text(encoding="utf-8") + DEFECTS["unauthenticated DELETE"][1], encoding="utf-8")
    out = tmp_path / "report.json"
    assert cli(shop, "validate", "--gates", "api-design,security", "--baseline", "HEAD~1", "--format", "json",
               "--output", str(out)) == 1
    report = report_of(out)
    assert report["scope"] == "change" and report["baseline"]["ref"] == "HEAD~1"
    assert new_findings(report) == [("security", "SC201", ROUTER)]
    fixed = [(g["gate"], f["rule_id"]) for g in report["gates"] for f in g["fixed"]]
    assert fixed == [("api-design", "AD010")]
    again = tmp_path / "again.json"
    assert cli(shop, "validate", "--gates", "api-design,security", "--baseline", "HEAD~1", "--format", "json",
               "--output", str(again)) == 1
    assert report_of(again)["baseline"]["cached"] is True


def test_a_project_that_is_not_a_git_checkout_is_judged_whole_and_says_so(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    task_id = task_for_the_demo(shop)
    out = tmp_path / "report.json"
    cli(shop, "validate", task_id, "--gates", "security", "--format", "json", "--output", str(out))
    report = report_of(out)
    assert report["scope"] == "project" and report["baseline"] is None
    assert any("judged on every finding" in note for note in report["notes"])
    assert all(f["baseline_state"] is None for g in report["gates"] for f in g["findings"])


def test_a_base_tree_that_cannot_be_scanned_judges_every_finding_with_a_warning(tmp_path: Path) -> None:
    shop = git_shop(tmp_path)
    broken = shop / "shop" / "main.py"
    broken.write_text(broken.read_text(encoding="utf-8") + "\nraise RuntimeError('not importable at the base')\n",
                      encoding="utf-8")
    git(shop, "commit", "-qam", "broken import")
    assert cli(shop, "scan") == 0
    task_id = task_for_the_demo(shop)
    broken.write_text(broken.read_text(encoding="utf-8").replace("raise RuntimeError", "# raise RuntimeError"),
                      encoding="utf-8")
    out = tmp_path / "report.json"
    assert cli(shop, "validate", task_id, "--gates", "security", "--format", "json", "--output", str(out)) == 1
    report = report_of(out)
    assert any("could not be told apart" in note and "did not import" in note for note in report["notes"])
    security = report["gates"][0]
    assert security["judged"] == "project" and security["status"] == "fail"  # never a silent pass: SC201 counts


def test_an_endpoint_the_change_added_and_removed_again_is_not_reported_as_gone(tmp_path: Path) -> None:
    shop = git_shop(tmp_path)
    task_id = task_for_the_demo(shop)
    router = shop / ROUTER
    before = router.read_text(encoding="utf-8")
    router.write_text(before + '''

@router.get("/featured", response_model=list[ProductRead])
def list_featured(session: SessionDep) -> Sequence[Product]:
    """Featured products."""
    return product_service.list_products(session)
''', encoding="utf-8")
    out = tmp_path / "report.json"
    cli(shop, "validate", task_id, "--gates", "docs", "--format", "json", "--output", str(out))
    router.write_text(before, encoding="utf-8")  # the work in progress drops it again
    cli(shop, "validate", task_id, "--gates", "docs", "--format", "json", "--output", str(out))
    docs = report_of(out)["gates"][0]
    assert [f["rule_id"] for f in docs["findings"]] == []
    assert any("not in the base either" in note and "GET /api/v1/products/featured" in note for note in docs["notes"])


def test_a_statically_scanned_base_is_exported_in_part_until_a_gate_runs_its_code(tmp_path: Path) -> None:
    from backend_orchestrator.contracts.config import ProjectConfig
    from backend_orchestrator.workflow import baseline

    root = tmp_path / "repo"
    files = {"pyproject.toml": "[project]\nname = 'x'\n", "app/__init__.py": "", "app/api.py": "X = 1\n",
             "docs/big/guide.md": "# a lot of prose\n", "deploy/prod.key": "-----BEGIN PRIVATE KEY-----\n",
             "deploy/.gitignore": "*.tmp\n", "tests/test_x.py": "def test_x():\n    pass\n",
             "app/templates/page.html": "<p>{{ x }}</p>\n", "app/locale/de.po": "msgid \"x\"\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    commit = git(root, "rev-parse", "HEAD")
    state = root / "ai-state" / "active" / "backend"
    base = baseline.prepare(root, state, commit, ProjectConfig(source=["app"]), "static")
    exported = sorted(p.relative_to(base.tree).as_posix() for p in base.tree.rglob("*") if p.is_file())
    assert exported == ["app/__init__.py", "app/api.py", "deploy/.gitignore", "deploy/prod.key", "pyproject.toml",
                        "tests/test_x.py"]  # what a static scan and the static gates read, not templates or data
    assert base.complete is False
    base.ensure_complete()
    assert (base.tree / "app" / "templates" / "page.html").is_file() and (base.tree / "docs/big/guide.md").is_file()
    again = baseline.prepare(root, state, commit, ProjectConfig(source=["app"]), "static")
    assert again.complete and again.cached
