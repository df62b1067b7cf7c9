"""Configuration: ``config/default.toml`` -> ``config/<env>.toml`` -> environment.

The environment is named by ``STAFFROOM_ENV`` (``development``, ``testing`` or
``production``; default ``development``). Well-known variables are read by their
usual names (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``PUBLIC_BASE_URL``);
any other setting can be given as ``STAFFROOM_<NAME>`` (values are parsed as TOML
when they can be, so ``STAFFROOM_LTI_CLOCK_LEEWAY=30`` is an integer).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
ENVIRONMENTS = ("development", "testing", "production")
PLAIN_ENV_NAMES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "SECRET_KEY": "SECRET_KEY",
    "PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    env = (overrides or {}).get("ENV_NAME") or os.environ.get("STAFFROOM_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"STAFFROOM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    app.config["ENV_NAME"] = env
    app.config.from_file(str(CONFIG_DIR / "default.toml"), load=tomllib.load, text=False)
    app.config.from_file(str(CONFIG_DIR / f"{env}.toml"), load=tomllib.load, text=False)

    for env_name, key in PLAIN_ENV_NAMES.items():
        if os.environ.get(env_name):
            app.config[key] = os.environ[env_name]
    for name, raw in os.environ.items():
        if name.startswith("STAFFROOM_") and name != "STAFFROOM_ENV":
            app.config[name[len("STAFFROOM_") :]] = _parse_env_value(raw)
    if overrides:
        app.config.update(overrides)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        # Relative SQLite paths live in the instance folder, never in the source tree.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        uri = "sqlite:///" + str(Path(app.instance_path) / uri[len("sqlite:///") :])
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(uri)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _postgres_without_jit(app)
    app.config["PUBLIC_BASE_URL"] = (app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")

    _check_secret_key(app)
    if env == "production":
        if app.config.get("DEMO_MODE"):
            raise ConfigError("DEMO_MODE can never be enabled in production.")
        if app.config.get("DYNAMIC_REGISTRATION_ALLOW_LOOPBACK_HTTP"):
            raise ConfigError(
                "DYNAMIC_REGISTRATION_ALLOW_LOOPBACK_HTTP can never be enabled in production: "
                "an LMS registers Staffroom over https:// only."
            )
        if not app.config["PUBLIC_BASE_URL"].startswith("https://"):
            raise ConfigError(
                "PUBLIC_BASE_URL must be set to the tool's https:// address in production."
            )
        if not app.config.get("REDIS_URL"):
            # Without it, each gunicorn worker would keep its own launch state, nonces and
            # login attempt counts: launches would fail whenever the login and the launch
            # reach different workers, and rate limits would count per worker.
            raise ConfigError(
                "REDIS_URL must be set in production (for example redis://localhost:6379/0): "
                "every worker shares launch state, nonces and rate limits through Redis."
            )


def _postgres_without_jit(app: Flask) -> None:
    """Every PostgreSQL connection of the tool runs with JIT compilation off.

    PostgreSQL compiles a query whose estimated cost passes ``jit_above_cost``. The feature
    registry's list filters (every feature's "who may see it" rule in one query, as in the
    dashboard's "what's new" probe) inflate that estimate: at a school's size, compiling
    took 130 to 300 ms for a probe that runs in 2 ms. The tool's queries are short; JIT
    does not pay for them. Engine options given in the configuration are kept.
    """
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    given = connect_args.get("options", "")
    if "jit=" not in given:
        connect_args["options"] = f"{given} -c jit=off".strip()
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _check_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY") or ""
    if app.config["ENV_NAME"] == "production":
        if len(key) < MIN_SECRET_LENGTH or key.lower() in {"changeme", "secret", "dev"}:
            raise ConfigError(
                "SECRET_KEY must be set to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters in production, for example: "
                'python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return
    if key:
        return
    if app.config["ENV_NAME"] == "testing":
        app.config["SECRET_KEY"] = secrets.token_urlsafe(48)
        return
    # Development: generate once and keep it in the instance folder, so that sessions
    # survive a restart and every local worker signs with the same key.
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
