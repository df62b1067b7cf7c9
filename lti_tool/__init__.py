"""Staffroom: an LTI 1.3 tool for teachers who plan, observe and care for learners together."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: ``flask --app lti_tool run`` and gunicorn ``lti_tool:create_app()``."""
    from lti_tool import (  # noqa: F401 (models: Alembic)
        boundaries,
        cache,
        cli,
        dates,
        errors,
        models,
        routes,
        security,
    )
    from lti_tool.admin import notes, observation_templates  # noqa: F401 (their routes join admin_bp)
    from lti_tool.admin import registration as _registration  # noqa: F401 (as above)
    from lti_tool.admin.views import bp as admin_bp
    from lti_tool.config import load_config
    from lti_tool.extensions import csrf, db, limiter, migrate
    from lti_tool.lti.views import bp as lti_bp
    from lti_tool.main import bp as main_bp
    from lti_tool.registration.views import bp as registration_bp

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str((overrides or {}).get("INSTANCE_PATH") or ROOT / "instance"),
    )
    load_config(app, overrides)
    boundaries.init_app(app)
    logging.basicConfig(
        level=app.config.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    limiter.init_app(app)
    cache.init_app(app)

    app.register_blueprint(main_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(registration_bp)
    routes.init_app(app)
    app.register_blueprint(admin_bp)
    if app.config.get("DEMO_MODE"):
        from lti_tool.demo import registration as _demo_registration  # noqa: F401 (routes)
        from lti_tool.demo.cli import demo_cli
        from lti_tool.demo.views import bp as demo_bp

        app.register_blueprint(demo_bp)
        app.cli.add_command(demo_cli)

    dates.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
