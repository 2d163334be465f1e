"""A line a reviewer marked is not reported again, and test code is not the backend."""

from __future__ import annotations

from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.gates import GateContext, get_gate, run_gate


def run(root: Path) -> list[tuple[str, str | None]]:
    (root / "evidence").mkdir(exist_ok=True)
    result = run_gate(get_gate("security"), GateContext(root=root.resolve(), config=ProjectConfig(),
                                                        evidence_dir=root / "evidence"))
    return sorted((f.rule_id, f.path) for f in result.findings)


def test_a_nosec_mark_silences_every_security_rule_on_its_line(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "settings.py").write_text(
        'API_TOKEN = "9f3c1b2a7d6e5f4a3b2c1d0e9f8a7b6c"\n'
        'DEFAULT_PASSWORD = "admin123"  # nosec B105: the documented first-login default, changed at setup\n',
        encoding="utf-8")
    found = run(tmp_path)
    assert ("SC301", "app/settings.py") in found
    assert len([f for f in found if f[1] == "app/settings.py"]) == 1


def test_test_modules_folders_and_their_key_files_are_not_scanned(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/tests.py": 'PASSWORD = "hunter2-but-longer-123"\n',
             "app/testing/common.py": 'TOKEN = "0123456789abcdef0123456789abcdef"\n',
             "app/test/data/saml.key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
             "app/api_test.py": 'SECRET = "0123456789abcdef0123456789abcdef"\n'}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert run(tmp_path) == []
