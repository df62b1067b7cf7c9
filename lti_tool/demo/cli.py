"""``flask demo run`` and ``flask demo setup``: Staffroom with its practice LMS, locally.

``make run`` ends in ``flask demo run``: one command that brings the database
up to date, makes sure the tool has a signing key, registers the practice LMS
and serves both on one port, the tool at ``http://127.0.0.1:<port>`` and the
practice LMS at ``http://localhost:<port>/demo/`` (two sites, so the tool runs
in a real cross-site iframe).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.serving import run_simple

from lti_tool.demo.platform import ensure_registered, local_endpoints
from lti_tool.extensions import db
from lti_tool.lti import keys

demo_cli = AppGroup("demo", help="The practice LMS (development only).")

PORT_OPTION = click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
    help="The port the development server listens on.",
)


def upgrade_database() -> bool:
    """Apply pending migrations, as ``flask db upgrade`` would; True if any were applied."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return False
    upgrade()
    return True


@demo_cli.command("setup")
@PORT_OPTION
def setup_command(port: int) -> None:
    """Register the practice LMS in the tool (idempotent) and print its address."""
    endpoints = local_endpoints(port)
    registration = ensure_registered(endpoints.tool_base_url, endpoints.lms_base_url)
    state = "registered" if registration.changed else "already registered, nothing to change"
    click.echo(f"Practice LMS {state} (issuer {endpoints.issuer}, client_id "
               f"{registration.platform.client_id}).")
    click.echo(f"Open the practice LMS: {endpoints.course_url}")


@demo_cli.command("run")
@PORT_OPTION
@click.option(
    "--host", default="127.0.0.1", show_default=True,
    help="The address to listen on (localhost resolves to 127.0.0.1 as well).",
)
def run_command(port: int, host: str) -> None:
    """Start Staffroom and the practice LMS with the development server."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if upgrade_database():
        click.echo("Database upgraded to the latest schema.")
    keys.ensure_key()
    endpoints = local_endpoints(port)
    ensure_registered(endpoints.tool_base_url, endpoints.lms_base_url)
    # create_app read PUBLIC_BASE_URL at start-up; the tool's address is only known now.
    app.config["PUBLIC_BASE_URL"] = endpoints.tool_base_url
    click.secho(
        f"Staffroom is running. Open the practice LMS: {endpoints.course_url} "
        f"(admin page: {endpoints.tool_base_url}/admin/)",
        bold=True,
    )
    if host not in {"127.0.0.1", "localhost", "::1"}:
        click.echo(f"Listening on {host}: anyone who can reach it can use the practice LMS.")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
