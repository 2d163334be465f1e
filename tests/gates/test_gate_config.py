"""Gate settings come from [tool.backend-orchestrator]; environment variables override them for one run."""

from __future__ import annotations

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.gates import get_gate
from backend_orchestrator.gates.performance import Profile


def test_the_load_profile_comes_from_the_config_and_bounds_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BO_LOAD_USERS", "BO_LOAD_SECONDS", "BO_STARTUP_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    config = ProjectConfig.model_validate({"load": {"users": 4, "seconds": 30, "startup_s": 20}})
    assert Profile.from_config(config) == Profile(users=4, seconds=30, startup_s=20)
    assert get_gate("performance").time_limit(config) >= 50
    monkeypatch.setenv("BO_LOAD_SECONDS", "3")
    assert Profile.from_config(config).seconds == 3


def test_database_settings_are_validated() -> None:
    assert ProjectConfig.model_validate({"database_env": "SHOP_DATABASE_URL"}).database_env == "SHOP_DATABASE_URL"
    with pytest.raises(ValueError):
        ProjectConfig.model_validate({"database_env": "not a variable"})
    with pytest.raises(ValueError):
        ProjectConfig.model_validate({"load": {"users": 0}})
