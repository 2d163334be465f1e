"""`contract diff BASE REV`: exit codes, both formats, and a golden report for examples/shop's API."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from backend_orchestrator.contractdiff.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "shop_v1_to_v2.json"


def test_the_shop_api_change_matches_the_golden_json_report(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(FIXTURES)
    code = main(["diff", "shop_v1.yaml", "shop_v2.yaml", "--format", "json"])
    out = capsys.readouterr().out
    if os.environ.get("BO_UPDATE_GOLDEN"):
        GOLDEN.write_text(out, encoding="utf-8")
    assert code == 1
    assert json.loads(out) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_text_report_lists_each_change_with_its_level_operation_and_id(monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(FIXTURES)
    assert main(["diff", "shop_v1.yaml", "shop_v2.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "shop_v1.yaml -> shop_v2.yaml: 5 breaking, 0 warning, 4 info"
    assert lines[1].startswith("BREAKING POST /orders  request property 'items/items/quantity': maximum decreased "
                               "from 100 to 20")
    assert lines[1].endswith("[request-property-max-decreased] (line 120)")


def test_a_compatible_change_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = yaml.safe_load((FIXTURES / "shop_v1.yaml").read_text(encoding="utf-8"))
    spec["paths"]["/health"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    revision = tmp_path / "rev.json"
    revision.write_text(json.dumps(spec), encoding="utf-8")
    assert main(["diff", str(FIXTURES / "shop_v1.yaml"), str(revision), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"] == {"breaking": 0, "warning": 0, "info": 1}
    assert report["changes"][0]["id"] == "endpoint-added"


def test_fail_on_warning_makes_a_warning_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = yaml.safe_load((FIXTURES / "shop_v1.yaml").read_text(encoding="utf-8"))
    del spec["components"]["schemas"]["ProductCreate"]["properties"]["stock"]
    revision = tmp_path / "rev.yaml"
    revision.write_text(yaml.safe_dump(spec), encoding="utf-8")
    base = str(FIXTURES / "shop_v1.yaml")
    assert main(["diff", base, str(revision)]) == 0
    assert "WARNING  POST /products  request property 'stock'" in capsys.readouterr().out
    assert main(["diff", base, str(revision), "--fail-on", "warning"]) == 1


def test_an_unreadable_or_invalid_file_exits_2_with_the_reason(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    base = str(FIXTURES / "shop_v1.yaml")
    assert main(["diff", base, str(tmp_path / "missing.yaml")]) == 2
    assert "error: cannot read" in capsys.readouterr().err
    swagger = tmp_path / "swagger.yaml"
    swagger.write_text("swagger: '2.0'\n", encoding="utf-8")
    assert main(["diff", str(swagger), base]) == 2
    assert "Swagger 2.0 is not supported" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["diff"], ["diff", "a.yaml"], ["diff", "a", "b", "--format", "xml"],
                                  ["compare", "a", "b"]])
def test_a_usage_error_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--help"]) == 0
    assert "--format" in capsys.readouterr().out
