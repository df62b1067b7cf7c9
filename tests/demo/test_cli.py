"""``flask demo setup`` and ``flask demo run``."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.demo import cli
from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, Platform, ToolKey
from tests.demo.conftest import demo_config


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_setup_registers_once_and_prints_the_address(runner):
    first = runner.invoke(args=["demo", "setup"])
    assert first.exit_code == 0, first.output
    assert "Practice LMS registered" in first.output
    assert "Open the practice LMS: http://localhost:5000/demo/" in first.output
    second = runner.invoke(args=["demo", "setup"])
    assert second.exit_code == 0, second.output
    assert "already registered, nothing to change" in second.output
    assert (count(Platform), count(Deployment)) == (1, 1)


def test_setup_takes_a_port(runner):
    result = runner.invoke(args=["demo", "setup", "--port", "8123"])
    assert "http://localhost:8123/demo/" in result.output
    assert db.session.scalars(db.select(Platform)).one().issuer == "http://localhost:8123/demo"


def test_run_prepares_everything_then_serves_threaded(app, runner, monkeypatch):
    served = {}

    def fake_run_simple(host, port, application, **options):
        served.update(host=host, port=port, app=application, **options)
        served["public_base_url"] = application.config["PUBLIC_BASE_URL"]

    monkeypatch.setattr(cli, "run_simple", fake_run_simple)
    result = runner.invoke(args=["demo", "run", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert ("Staffroom is running. Open the practice LMS: http://localhost:5055/demo/ "
            "(admin page: http://127.0.0.1:5055/admin/)") in result.output
    assert (served["host"], served["port"], served["threaded"]) == ("127.0.0.1", 5055, True)
    assert served["app"] is app
    assert served["public_base_url"] == "http://127.0.0.1:5055"
    assert count(ToolKey) == 1
    assert db.session.scalars(db.select(Platform)).one().issuer == "http://localhost:5055/demo"


def test_run_warns_when_listening_beyond_this_computer(runner, monkeypatch):
    monkeypatch.setattr(cli, "run_simple", lambda *a, **k: None)
    result = runner.invoke(args=["demo", "run", "--host", "0.0.0.0"])
    assert "anyone who can reach it" in result.output


def test_upgrade_is_skipped_when_the_schema_is_current(app):
    assert cli.upgrade_database() is False


def test_upgrade_applies_pending_migrations_to_a_new_database(backend, tmp_path):
    """A first ``make run``: an empty database gets the whole schema, once."""
    fresh = create_app({**demo_config(backend, tmp_path),
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/new.db",
                        "REDIS_URL": ""})
    with fresh.app_context():
        try:
            assert cli.upgrade_database() is True
            assert "platform" in sa.inspect(db.engine).get_table_names()
            assert cli.upgrade_database() is False
        finally:
            db.session.remove()
            db.engine.dispose()
