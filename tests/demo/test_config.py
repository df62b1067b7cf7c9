"""The practice LMS exists only where DEMO_MODE is on, and never in production."""

from __future__ import annotations

import pytest

from lti_tool import create_app
from lti_tool.config import ConfigError

PRODUCTION = {
    "ENV_NAME": "production",
    "SECRET_KEY": "x" * 48,
    "PUBLIC_BASE_URL": "https://staffroom.school.example",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def test_production_refuses_demo_mode(tmp_path):
    with pytest.raises(ConfigError, match="DEMO_MODE can never be enabled in production"):
        create_app({**PRODUCTION, "INSTANCE_PATH": str(tmp_path), "DEMO_MODE": True})


def test_production_refuses_demo_mode_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STAFFROOM_DEMO_MODE", "true")
    with pytest.raises(ConfigError, match="DEMO_MODE"):
        create_app({**PRODUCTION, "INSTANCE_PATH": str(tmp_path)})


def test_without_demo_mode_there_is_no_practice_lms(tmp_path):
    app = create_app({**PRODUCTION, "INSTANCE_PATH": str(tmp_path)})
    assert "demo" not in app.blueprints
    assert "demo" not in app.cli.commands
    assert app.test_client().get("/demo/").status_code == 404


def test_development_config_turns_it_on(tmp_path, monkeypatch):
    monkeypatch.delenv("STAFFROOM_DEMO_MODE", raising=False)
    app = create_app({"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["DEMO_MODE"] is True
    assert "demo" in app.blueprints
    assert "demo" in app.cli.commands
