"""The administrator's configuration page: ``/admin``.

Every page but the login form requires a logged-in administrator; the check is
made once, in the blueprint's ``before_request``, so no view can forget it.
Views only read forms and call the registrations service or the key functions;
every rule about what a valid registration is lives in
:mod:`lti_tool.lti.registrations`, shared with the command line.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from wtforms import Form

from lti_tool.accounts import auth
from lti_tool.admin.forms import (
    ConfirmForm,
    DeploymentForm,
    LoginForm,
    NewPlatformForm,
    PlatformForm,
)
from lti_tool.courses.services import platform_usage
from lti_tool.db import utcnow
from lti_tool.extensions import db, limiter
from lti_tool.lti import keys, registrations
from lti_tool.lti.launch import external_url
from lti_tool.lti.models import Deployment, Platform, ToolKey
from lti_tool.lti.registrations import RegistrationError
from lti_tool.registration import invitations

bp = Blueprint("admin", __name__, url_prefix="/admin")

PUBLIC_ENDPOINTS = {"admin.login"}
NAV = (
    ("admin.index", "Platforms"),
    ("admin.setup", "Set up in your LMS"),
    ("admin.keys_page", "Keys"),
)


@bp.before_request
def require_admin() -> Response | None:
    """Send anyone who is not a logged-in administrator to the login form."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    admin = auth.current_admin()
    if admin is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=target), code=303)
    g.admin = admin
    return None


@bp.context_processor
def admin_globals() -> dict[str, Any]:
    endpoint = request.endpoint or ""
    section = g.get("admin_section") or endpoint
    return {"admin_nav": NAV, "admin_user": g.get("admin"), "admin_section": section}


def _safe_next(target: str | None) -> str:
    """Only ever return to a page of the admin area (no open redirect, no header tricks)."""
    if target and len(target) <= 2000 and not any(ord(c) < 32 or c == "\\" for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/admin"):
            return target
    return url_for("admin.index")


# --------------------------------------------------------------------------- login


def _address_limit() -> str:
    return current_app.config["ADMIN_LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ADMIN_LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_username() -> str:
    return (request.form.get("username") or "").strip().lower()[:80]


def _address_and_account_key() -> str:
    return f"admin-login:{get_remote_address()}:{_login_username()}"


def _account_key() -> str:
    return "admin-login-account:" + _login_username()


def _known_browser() -> bool:
    """A browser where this account logged in before is not held by the account-wide limit."""
    return auth.is_known_browser(request, _login_username())


def _login_failed(response: Response) -> bool:
    """Only failed attempts count: a successful login redirects."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
# Per address (whatever the username), per address and account, and per account from every
# address unless this browser is known to the account (see accounts.auth, "known browsers").
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_address_limit, key_func=_address_and_account_key, methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"],
               deduct_when=_login_failed, exempt_when=_known_browser)
def login():
    """Log in with a local administrator account (created with ``flask admin create``)."""
    if request.method == "GET" and auth.current_admin() is not None:
        return redirect(_safe_next(request.args.get("next")), code=303)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = auth.authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            auth.log_in(user)
            response = redirect(_safe_next(request.args.get("next")), code=303)
            auth.remember_browser(response, user)
            return response
        error = "The username or password is not correct."
    return render_template(
        "admin/login.html", form=form, error=error, no_admin=not auth.any_admin_exists()
    )


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        auth.log_out()
        flash("You are logged out.", "success")
    return redirect(url_for("admin.login"), code=303)


# --------------------------------------------------------------------------- platforms


def _platform_or_404(platform_id: int) -> Platform:
    platform = registrations.get_platform(platform_id)
    if platform is None:
        abort(404)
    g.admin_section = "admin.index"
    return platform


def _attach_errors(form: Form, exc: RegistrationError, aliases: dict[str, str] | None = None):
    """Put each service message on its field; the rest go above the form."""
    general: list[str] = []
    for name, messages in exc.errors.items():
        field = getattr(form, (aliases or {}).get(name, name), None)
        if field is None:
            general.extend(messages)
        else:
            field.errors = [*field.errors, *messages]
    return general


@bp.get("/")
def index():
    """The platform registrations, with their status and deployments."""
    return render_template(
        "admin/index.html", platforms=registrations.list_platforms(), confirm=ConfirmForm()
    )


@bp.route("/platforms/new", methods=["GET", "POST"])
def platform_new():
    g.admin_section = "admin.index"
    form = NewPlatformForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            platform = registrations.create_platform(
                form.to_data(), (form.deployment_ids.data or "").splitlines()
            )
        except RegistrationError as exc:
            general = _attach_errors(form, exc, {"deployment_id": "deployment_ids"})
        else:
            flash(f"Platform “{platform.name}” registered.", "success")
            if not platform.deployments:
                flash(
                    "It has no deployment yet: launches are refused until you add the "
                    "deployment ID the LMS shows.",
                    "error",
                )
                return redirect(url_for("admin.deployments", platform_id=platform.id), code=303)
            return redirect(url_for("admin.index"), code=303)
    status = 422 if form.errors or general else 200
    return render_template(
        "admin/platform_form.html", form=form, platform=None, general_errors=general
    ), status


@bp.route("/platforms/<int:platform_id>/edit", methods=["GET", "POST"])
def platform_edit(platform_id: int):
    platform = _platform_or_404(platform_id)
    if request.method == "GET":
        data = asdict(registrations.PlatformData.from_platform(platform))
        data["key_set"] = json.dumps(platform.key_set, indent=2) if platform.key_set else ""
        form = PlatformForm(data=data)
    else:
        form = PlatformForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            registrations.update_platform(platform, form.to_data())
        except RegistrationError as exc:
            db.session.rollback()
            general = _attach_errors(form, exc)
        else:
            flash(f"Platform “{platform.name}” saved.", "success")
            return redirect(url_for("admin.index"), code=303)
    status = 422 if form.errors or general else 200
    return render_template(
        "admin/platform_form.html", form=form, platform=platform, general_errors=general
    ), status


@bp.post("/platforms/<int:platform_id>/disable")
def platform_disable(platform_id: int):
    platform = _platform_or_404(platform_id)
    if ConfirmForm().validate_on_submit():
        registrations.set_active(platform, False)
        flash(f"Platform “{platform.name}” disabled: its launches are refused.", "success")
    return redirect(url_for("admin.index"), code=303)


@bp.post("/platforms/<int:platform_id>/enable")
def platform_enable(platform_id: int):
    platform = _platform_or_404(platform_id)
    if ConfirmForm().validate_on_submit():
        registrations.set_active(platform, True)
        flash(f"Platform “{platform.name}” enabled.", "success")
    return redirect(url_for("admin.index"), code=303)


@bp.route("/platforms/<int:platform_id>/delete", methods=["GET", "POST"])
def platform_delete(platform_id: int):
    """Ask first: deleting a registration also deletes its courses and people."""
    platform = _platform_or_404(platform_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = platform.name
        registrations.delete_platform(platform)
        flash(f"Platform “{name}” deleted.", "success")
        return redirect(url_for("admin.index"), code=303)
    return render_template(
        "admin/platform_delete.html",
        platform=platform,
        form=form,
        usage=platform_usage(platform.id),
    )


# --------------------------------------------------------------------------- deployments


@bp.route("/platforms/<int:platform_id>/deployments", methods=["GET", "POST"])
def deployments(platform_id: int):
    platform = _platform_or_404(platform_id)
    form = DeploymentForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            deployment = registrations.add_deployment(
                platform, form.deployment_id.data or "", form.deployment_name.data
            )
        except RegistrationError as exc:
            db.session.rollback()
            general = _attach_errors(form, exc)
        else:
            flash(f"Deployment “{deployment.deployment_id}” added.", "success")
            return redirect(url_for("admin.deployments", platform_id=platform.id), code=303)
    status = 422 if form.errors or general else 200
    return render_template(
        "admin/deployments.html",
        platform=platform,
        form=form,
        confirm=ConfirmForm(),
        general_errors=general,
    ), status


@bp.post("/platforms/<int:platform_id>/deployments/<int:deployment_pk>/remove")
def deployment_remove(platform_id: int, deployment_pk: int):
    platform = _platform_or_404(platform_id)
    deployment = db.session.get(Deployment, deployment_pk)
    if deployment is None or deployment.platform_id != platform.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        deployment_id = deployment.deployment_id
        registrations.remove_deployment(platform, deployment)
        flash(f"Deployment “{deployment_id}” removed: its launches are refused.", "success")
    return redirect(url_for("admin.deployments", platform_id=platform.id), code=303)


# --------------------------------------------------------------------------- setup


def setup_urls() -> dict[str, str]:
    """The tool's addresses an LMS administrator pastes into Canvas or Moodle."""
    return {
        "login": external_url("lti.login"),
        "launch": external_url("lti.launch"),
        "jwks": external_url("lti.jwks"),
        "register": external_url("registration.register"),
        "canvas_json": external_url("registration.canvas_json"),
    }


@bp.get("/setup")
def setup():
    """The values an LMS administrator pastes into Canvas or Moodle, and the registration URL."""
    return render_setup()


def render_setup(new_link: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "admin/setup.html",
        urls=setup_urls(),
        new_link=new_link,
        invitations=invitations.recent(),
        invitation_hours=current_app.config["REGISTRATION_INVITATION_HOURS"],
        now=utcnow(),
        confirm=ConfirmForm(),
    ), status


# --------------------------------------------------------------------------- keys


@bp.get("/keys")
def keys_page():
    """The tool's signing keys: the newest active one signs, every active one is published."""
    all_keys = list(db.session.scalars(db.select(ToolKey).order_by(ToolKey.id.desc())))
    signing = next((k for k in all_keys if k.active), None)
    return render_template(
        "admin/keys.html", keys=all_keys, signing=signing, confirm=ConfirmForm()
    )


@bp.post("/keys/generate")
def keys_generate():
    g.admin_section = "admin.keys_page"
    if ConfirmForm().validate_on_submit():
        key = keys.generate_key()
        flash(f"New key {key.kid} generated: it signs from now on.", "success")
    return redirect(url_for("admin.keys_page"), code=303)


@bp.post("/keys/<kid>/retire")
def keys_retire(kid: str):
    if ConfirmForm().validate_on_submit():
        try:
            keys.retire_key(kid)
        except keys.KeyManagementError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Key {kid} retired: it is no longer published.", "success")
    return redirect(url_for("admin.keys_page"), code=303)
