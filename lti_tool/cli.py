"""Command line: ``flask --app lti_tool admin|platform|keys ...``.

The first administrator account can only be created here (there is no default
password), and scripted installs register platforms here. Every command goes
through the same services as the admin page, so it applies the same checks and
prints the same messages; a refused change exits with status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask
from flask.cli import AppGroup

from lti_tool.accounts import auth
from lti_tool.accounts.models import MIN_PASSWORD_LENGTH
from lti_tool.extensions import db
from lti_tool.lti import keys, registrations
from lti_tool.lti.models import Platform, ToolKey, default_platform_name
from lti_tool.lti.registrations import PlatformData, RegistrationError

admin_cli = AppGroup("admin", help="Administrator accounts of the configuration page.")
platform_cli = AppGroup("platform", help="LMS platform registrations and their deployments.")
keys_cli = AppGroup("keys", help="Staffroom's own signing keys (published at /lti/jwks.json).")

NO_CHECK_HELP = (
    "Do not fetch the key set URL before saving (for scripted installs done before the LMS "
    "can be reached)."
)


def _fail(message: str) -> NoReturn:
    click.secho(f"Error: {message}", err=True, fg="red")
    sys.exit(1)


def _fail_registration(exc: RegistrationError, what: str = "Nothing was saved") -> NoReturn:
    click.secho(f"Error: {what}:", err=True, fg="red")
    _print_field_errors(exc.errors)
    if any("could not be fetched" in m for m in exc.errors.get("key_set_url", [])):
        click.echo(NO_CHECK_HINT, err=True)
    sys.exit(1)


NO_CHECK_HINT = (
    "  (To register it before this server can reach the LMS, add --no-check: the key set "
    "is then fetched at the first launch.)"
)


def _print_field_errors(errors: dict[str, list[str]]) -> None:
    for messages in errors.values():
        for message in messages:
            click.echo(f"  - {message}", err=True)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table that lines up in any terminal and reads well when piped."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- admin


@admin_cli.command("create")
@click.option("--username", required=True, help="The login name of the new administrator.")
@click.option(
    "--password",
    help=f"The password (at least {MIN_PASSWORD_LENGTH} characters). "
    "Without it you are asked twice, without echo; prefer that outside scripts.",
)
def admin_create(username: str, password: str | None) -> None:
    """Create an administrator account for the configuration page at /admin."""
    taken = auth.username_taken(username)
    if taken is not None:
        _fail(f"An administrator named '{taken}' already exists.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth.create_admin(username, password)
    except auth.AdminAccountError as exc:
        _fail(str(exc))
    click.echo(f"Administrator '{user.username}' created. Log in at /admin/login.")


@admin_cli.command("set-password")
@click.option("--username", required=True)
@click.option("--password", help="The new password; without it you are asked twice.")
def admin_set_password(username: str, password: str | None) -> None:
    """Give an administrator a new password (for a forgotten one)."""
    if auth.find_admin(username.strip()) is None:
        _fail(f"There is no administrator named '{username.strip()}'.")
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        auth.set_password(username, password)
    except auth.AdminAccountError as exc:
        _fail(str(exc))
    click.echo(f"Password of '{username.strip()}' changed.")


@admin_cli.command("list")
def admin_list() -> None:
    """List the administrator accounts."""
    users = auth.list_admins()
    if not users:
        click.echo("No administrator yet. Create one with: "
                   "flask --app lti_tool admin create --username NAME")
        return
    rows = [
        (
            u.username,
            "active" if u.active else "disabled",
            u.created_at.strftime("%Y-%m-%d %H:%M"),
            u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never",
        )
        for u in users
    ]
    click.echo(_table(("USERNAME", "STATUS", "CREATED (UTC)", "LAST LOGIN (UTC)"), rows))


# --------------------------------------------------------------------------- platform


def _registration_or_fail(issuer: str, client_id: str) -> Platform:
    platform = registrations.find_registration(issuer, client_id)
    if platform is None:
        _fail(f"No registration for issuer '{issuer}' with client_id '{client_id}'.")
    return platform


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        _fail(f"{what} {path} is not valid JSON ({exc.msg} at line {exc.lineno}).")


@platform_cli.command("add")
@click.option("--name", help="A name you recognise, e.g. 'Northwind Canvas' "
              "(default: the issuer's host and the client ID).")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. "
              "https://canvas.instructure.com or the Moodle site URL.")
@click.option("--client-id", required=True, help="The client ID the LMS gave Staffroom.")
@click.option("--auth-login-url", required=True, help="The LMS's OIDC authentication URL.")
@click.option("--auth-token-url", required=True, help="The LMS's access token URL.")
@click.option("--auth-audience", help="Token audience, only if it differs from the token URL.")
@click.option("--key-set-url", help="The LMS's public key set (JWKS) URL.")
@click.option("--key-set-file", type=click.Path(dir_okay=False),
              help="A file holding the LMS's JWK Set, for an LMS without a key set URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="A deployment ID of this registration; repeat for several.")
@click.option("--no-check", is_flag=True, help=NO_CHECK_HELP)
def platform_add(
    name: str | None,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    auth_audience: str | None,
    key_set_url: str | None,
    key_set_file: str | None,
    deployment_ids: tuple[str, ...],
    no_check: bool,
) -> None:
    """Register an LMS platform with its deployments."""
    key_set = _read_json(key_set_file, "the key set file") if key_set_file else None
    data = PlatformData(
        name=name or default_platform_name(issuer.strip(), client_id.strip()),
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        auth_audience=auth_audience,
        key_set_url=key_set_url,
        key_set=key_set,
    )
    try:
        platform = registrations.create_platform(
            data, deployment_ids, check_key_set=not no_check
        )
    except RegistrationError as exc:
        _fail_registration(exc, "The platform was not registered")
    click.echo(
        f"Registered {platform.label} with deployment(s) "
        + ", ".join(d.deployment_id for d in platform.deployments)
        + "."
    )


@platform_cli.command("edit")
@click.option("--issuer", required=True, help="The registration's current issuer.")
@click.option("--client-id", required=True, help="The registration's current client ID.")
@click.option("--name", help="A new name.")
@click.option("--new-issuer", help="A new issuer (iss).")
@click.option("--new-client-id", help="A new client ID.")
@click.option("--auth-login-url", help="A new OIDC authentication URL.")
@click.option("--auth-token-url", help="A new access token URL.")
@click.option("--auth-audience", help="A new token audience ('' to use the token URL).")
@click.option("--key-set-url", help="A new key set (JWKS) URL; replaces a static key set.")
@click.option("--key-set-file", type=click.Path(dir_okay=False),
              help="A file holding the LMS's JWK Set; replaces the key set URL.")
@click.option("--no-check", is_flag=True, help=NO_CHECK_HELP)
def platform_edit(
    issuer: str,
    client_id: str,
    name: str | None,
    new_issuer: str | None,
    new_client_id: str | None,
    auth_login_url: str | None,
    auth_token_url: str | None,
    auth_audience: str | None,
    key_set_url: str | None,
    key_set_file: str | None,
    no_check: bool,
) -> None:
    """Change a registration's settings (what is not given stays as it is)."""
    platform = _registration_or_fail(issuer, client_id)
    current = PlatformData.from_platform(platform)
    key_set: Any = current.key_set
    if key_set_file:
        key_set = _read_json(key_set_file, "the key set file")
        key_set_url = ""
    elif key_set_url:
        key_set = None
    data = PlatformData(
        name=current.name if name is None else name,
        issuer=new_issuer or current.issuer,
        client_id=new_client_id or current.client_id,
        auth_login_url=auth_login_url or current.auth_login_url,
        auth_token_url=auth_token_url or current.auth_token_url,
        auth_audience=current.auth_audience if auth_audience is None else auth_audience,
        key_set_url=current.key_set_url if key_set_url is None else key_set_url,
        key_set=key_set,
    )
    try:
        registrations.update_platform(platform, data, check_key_set=not no_check)
    except RegistrationError as exc:
        db.session.rollback()
        _fail_registration(exc, "Nothing was changed")
    click.echo(f"Updated {platform.label}.")


@platform_cli.command("add-deployment")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True, help="The deployment ID the LMS sends.")
@click.option("--label", help="A name for this install, e.g. 'Science department'.")
def platform_add_deployment(
    issuer: str, client_id: str, deployment_id: str, label: str | None
) -> None:
    """Accept launches from one more deployment (install) of the tool."""
    platform = _registration_or_fail(issuer, client_id)
    try:
        deployment = registrations.add_deployment(platform, deployment_id, label)
    except RegistrationError as exc:
        _fail_registration(exc, "The deployment was not added")
    click.echo(f"Added deployment {deployment.deployment_id} to {platform.label}.")


@platform_cli.command("remove-deployment")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True)
def platform_remove_deployment(issuer: str, client_id: str, deployment_id: str) -> None:
    """Stop accepting launches from a deployment (its courses keep their data)."""
    platform = _registration_or_fail(issuer, client_id)
    deployment = next(
        (d for d in platform.deployments if d.deployment_id == deployment_id.strip()), None
    )
    if deployment is None:
        _fail(
            f"{platform.label} has no deployment '{deployment_id.strip()}'. Its deployments: "
            + (", ".join(d.deployment_id for d in platform.deployments) or "none")
            + "."
        )
    registrations.remove_deployment(platform, deployment)
    click.echo(f"Removed deployment {deployment_id.strip()} from {platform.label}.")


@platform_cli.command("list")
def platform_list() -> None:
    """List the registered platforms, their status and deployments."""
    platforms = registrations.list_platforms()
    if not platforms:
        click.echo("No platform registered yet. Add one with: flask --app lti_tool platform add")
        return
    rows = [
        (
            p.name,
            p.issuer,
            p.client_id,
            "active" if p.active else "disabled",
            ", ".join(d.deployment_id for d in p.deployments) or "(none)",
        )
        for p in platforms
    ]
    click.echo(_table(("NAME", "ISSUER", "CLIENT ID", "STATUS", "DEPLOYMENTS"), rows))


@platform_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--no-check", is_flag=True, help=NO_CHECK_HELP)
def platform_import(file: str, no_check: bool) -> None:
    """Register the platforms of a pylti1p3 JSON tool configuration (safe to run again)."""
    data = _read_json(file, "the configuration file")
    try:
        report = registrations.import_pylti1p3_config(data, check_key_set=not no_check)
    except RegistrationError as exc:
        _fail_registration(exc, "Nothing was imported")
    for line in report.created:
        click.echo(f"created: {line}")
    for line in report.updated:
        click.echo(f"updated: {line}")
    for line in report.skipped:
        click.echo(f"skipped: {line}")
    for note in report.notes:
        click.echo(f"note: {note}")
    for label, errors in report.failed.items():
        click.secho(f"refused: {label}:", err=True, fg="red")
        _print_field_errors(errors)
    if any(
        "could not be fetched" in m
        for errors in report.failed.values() for m in errors.get("key_set_url", [])
    ):
        click.echo(NO_CHECK_HINT, err=True)
    if report.failed:
        sys.exit(1)


def _set_active(issuer: str, client_id: str, active: bool) -> None:
    platform = _registration_or_fail(issuer, client_id)
    registrations.set_active(platform, active)
    click.echo(f"{'Enabled' if active else 'Disabled'} {platform.label}.")


@platform_cli.command("disable")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
def platform_disable(issuer: str, client_id: str) -> None:
    """Refuse launches from a registration, keeping its data."""
    _set_active(issuer, client_id, False)


@platform_cli.command("enable")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
def platform_enable(issuer: str, client_id: str) -> None:
    """Accept launches from a disabled registration again."""
    _set_active(issuer, client_id, True)


@platform_cli.command("delete")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.confirmation_option(
    "--yes",
    prompt="Delete this registration with its deployments, courses and people?",
    help="Delete without asking.",
)
def platform_delete(issuer: str, client_id: str) -> None:
    """Delete a registration with its deployments, courses and people."""
    platform = _registration_or_fail(issuer, client_id)
    label = platform.label
    registrations.delete_platform(platform)
    click.echo(f"Deleted {label}.")


# --------------------------------------------------------------------------- keys


@keys_cli.command("list")
def keys_list() -> None:
    """List Staffroom's signing keys, newest first."""
    all_keys = list(db.session.scalars(db.select(ToolKey).order_by(ToolKey.id.desc())))
    if not all_keys:
        click.echo("No key yet: one is generated on first use, or run: keys generate")
        return
    signing = next((k for k in all_keys if k.active), None)
    rows = []
    for k in all_keys:
        if not k.active:
            status = f"retired {k.retired_at:%Y-%m-%d %H:%M}"
        elif signing is not None and k.id == signing.id:
            status = "active (signing)"
        else:
            status = "active"
        rows.append((k.kid, f"{k.created_at:%Y-%m-%d %H:%M}", status))
    click.echo(_table(("KID", "CREATED (UTC)", "STATUS"), rows))


@keys_cli.command("generate")
def keys_generate() -> None:
    """Generate a new key; it signs from now on, older active keys stay published."""
    key = keys.generate_key()
    click.echo(f"Generated key {key.kid}; it signs from now on.")


@keys_cli.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Stop publishing a key (never the last active one)."""
    try:
        keys.retire_key(kid)
    except keys.KeyManagementError as exc:
        _fail(str(exc))
    click.echo(f"Retired key {kid}.")


def init_app(app: Flask) -> None:
    """Register the command groups on ``flask --app lti_tool``."""
    app.cli.add_command(admin_cli)
    app.cli.add_command(platform_cli)
    app.cli.add_command(keys_cli)
