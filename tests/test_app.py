"""Configuration, start-up refusals and failure pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lti_tool import create_app
from lti_tool.config import ConfigError
from lti_tool.courses import services
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db


def _prod(tmp_path, **overrides):
    config = {
        "ENV_NAME": "production",
        "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
        "PUBLIC_BASE_URL": "https://staffroom.school.example",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    config.update(overrides)
    return config


@pytest.mark.parametrize("secret", [None, "", "short", "changeme"])
def test_production_refuses_to_start_without_a_real_secret(tmp_path, monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    overrides = {} if secret is None else {"SECRET_KEY": secret}
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app(_prod(tmp_path, **overrides))


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app(_prod(tmp_path, SECRET_KEY="x" * 48))
    assert app.config["SECRET_KEY"] == "x" * 48
    assert not app.config["DEMO_MODE"]


def test_production_never_enables_the_practice_lms(tmp_path):
    with pytest.raises(ConfigError, match="DEMO_MODE"):
        create_app(_prod(tmp_path, SECRET_KEY="x" * 48, DEMO_MODE=True))


def test_production_needs_an_https_public_address(tmp_path):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app(_prod(tmp_path, SECRET_KEY="x" * 48, PUBLIC_BASE_URL="http://insecure"))


def test_production_needs_a_shared_redis(tmp_path, monkeypatch):
    """Several workers must share launch state, nonces and login attempt counts."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(ConfigError, match="REDIS_URL must be set in production"):
        create_app(_prod(tmp_path, SECRET_KEY="x" * 48, REDIS_URL=""))


def test_production_rate_limits_count_in_redis(tmp_path):
    app = create_app(_prod(tmp_path, SECRET_KEY="x" * 48))
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"


def test_development_generates_and_keeps_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path),
              "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config).config["SECRET_KEY"]
    assert len(first) >= 32
    assert create_app(config).config["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_override_files(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/staffroom")
    monkeypatch.setenv("STAFFROOM_LTI_CLOCK_LEEWAY", "30")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    app = create_app({"ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/staffroom"
    assert app.config["LTI_CLOCK_LEEWAY"] == 30
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/0"


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("STAFFROOM_ENV", "staging")
    with pytest.raises(ConfigError, match="STAFFROOM_ENV"):
        create_app()


def test_unreachable_database_gives_a_clear_page(tmp_path):
    app = create_app({"ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/staffroom.db"})
    resp = app.test_client().get("/lti/jwks.json")
    assert resp.status_code == 503
    assert "cannot reach its database" in resp.get_data(as_text=True)
    assert "Nothing was saved" in resp.get_data(as_text=True)


def test_database_failure_while_recording_a_launch_writes_nothing(lti, monkeypatch):
    real_upsert = services._upsert
    calls = {"n": 0}

    def failing_upsert(model, *args, **kwargs):
        calls["n"] += 1
        if model is Membership:  # person and course are written, then the connection drops
            raise OperationalError("INSERT", {}, Exception("connection lost"))
        return real_upsert(model, *args, **kwargs)

    monkeypatch.setattr(services, "_upsert", failing_upsert)
    resp = lti.launch()
    monkeypatch.undo()
    assert calls["n"] == 3
    assert resp.status_code == 503
    for model in (Person, Course, Membership):
        assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0


def test_health_endpoint(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_front_page_explains_the_tool(client):
    page = client.get("/").get_data(as_text=True)
    assert "Staffroom opens from inside your school" in page
    assert 'href="/admin/"' in page


def test_postgresql_connections_run_without_jit(tmp_path):
    """The registry's combined visibility rules pass PostgreSQL's JIT cost threshold, and
    compiling cost the dashboard 130 ms or more at a school's size; engine options given in
    the configuration are kept beside the setting."""
    app = create_app({"ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "postgresql://127.0.0.1:5432/nowhere",
                      "SQLALCHEMY_ENGINE_OPTIONS": {
                          "hide_parameters": True,
                          "connect_args": {"application_name": "bench"}}})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["hide_parameters"] is True
    assert options["connect_args"] == {"application_name": "bench", "options": "-c jit=off"}
    sqlite = create_app({"ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path),
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/s.db"})
    assert "connect_args" not in (sqlite.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})


def test_the_database_session_has_jit_off_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
