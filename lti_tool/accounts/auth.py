"""Local administrator accounts: creating them, checking passwords, the login session.

There is no default account and no default password: the first administrator
is created on the server with ``flask --app lti_tool admin create``, by someone
who can already run commands there. The logged-in administrator's id is kept in
the signed session cookie as ``session["admin_id"]`` and reloaded (and checked
to be still active) on every admin request.

The cookie also carries a seal: an HMAC, under the app's secret key, of the
account's id, password hash and ``session_epoch``. Logging out changes the
epoch and a new password changes the hash, so either ends every session of
that account, including a copy of the cookie taken before.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import Request, Response, current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from lti_tool.accounts.models import MIN_PASSWORD_LENGTH, AdminUser
from lti_tool.db import utcnow
from lti_tool.extensions import db

SESSION_KEY = "admin_id"
SEAL_KEY = "admin_seal"
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,80}$")
# Checked against when the username is unknown, so that a wrong username takes as
# long as a wrong password and the login does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("staffroom-no-such-admin")


class AdminAccountError(ValueError):
    """An account change that was refused; the message says why."""


def find_admin(username: str) -> AdminUser | None:
    return db.session.scalars(db.select(AdminUser).where(AdminUser.username == username)).first()


def username_taken(username: str) -> str | None:
    """The existing username that ``username`` would duplicate, regardless of case.

    "alice" and "Alice" would be two accounts for one person.
    """
    return db.session.scalars(
        db.select(AdminUser.username).where(
            db.func.lower(AdminUser.username) == username.strip().lower()
        )
    ).first()


def list_admins() -> list[AdminUser]:
    return list(db.session.scalars(db.select(AdminUser).order_by(AdminUser.username)))


def create_admin(username: str, password: str) -> AdminUser:
    """Create an administrator account.

    :raise AdminAccountError: for an unusable username, a short password or a
        username that is taken.
    """
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise AdminAccountError(
            "The username must be 1 to 80 characters: letters, digits, and . _ @ - only."
        )
    taken = username_taken(username)
    if taken is not None:
        raise AdminAccountError(f"An administrator named '{taken}' already exists.")
    user = AdminUser(username=username)
    try:
        user.set_password(password)
    except ValueError as exc:
        raise AdminAccountError(str(exc)) from exc
    db.session.add(user)
    db.session.commit()
    return user


def set_password(username: str, password: str) -> AdminUser:
    """Replace an administrator's password (for a forgotten one, from the command line)."""
    user = find_admin(username.strip())
    if user is None:
        raise AdminAccountError(f"There is no administrator named '{username}'.")
    try:
        user.set_password(password)
    except ValueError as exc:
        raise AdminAccountError(str(exc)) from exc
    user.session_epoch += 1  # every session of the old password ends
    db.session.commit()
    return user


def _seal(user: AdminUser) -> str:
    message = f"{user.id}:{user.session_epoch}:{user.password_hash}".encode()
    key = ("staffroom-admin-session:" + current_app.secret_key).encode()  # type: ignore[operator]
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def authenticate(username: str, password: str) -> AdminUser | None:
    """The active account with this username and password, or None."""
    user = find_admin(username.strip())
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def log_in(user: AdminUser) -> None:
    """Start an admin session.

    The session is a signed cookie, so it cannot be fixated by a third party; the
    login form's CSRF token keeps anyone from logging a browser into their account.
    """
    session[SESSION_KEY] = user.id
    session[SEAL_KEY] = _seal(user)
    user.last_login_at = utcnow()
    db.session.commit()


def log_out() -> None:
    """End this administrator's sessions, in this browser and in any other."""
    user = current_admin()
    if user is not None:
        user.session_epoch += 1
        db.session.commit()
    session.pop(SESSION_KEY, None)
    session.pop(SEAL_KEY, None)


def current_admin() -> AdminUser | None:
    """The logged-in administrator, if the account still exists and is active."""
    admin_id = session.get(SESSION_KEY)
    if not isinstance(admin_id, int):
        return None
    user = db.session.get(AdminUser, admin_id)
    seal = session.get(SEAL_KEY)
    if (
        user is None
        or not user.active
        or not isinstance(seal, str)
        or not hmac.compare_digest(seal, _seal(user))
    ):
        session.pop(SESSION_KEY, None)
        session.pop(SEAL_KEY, None)
        return None
    return user


# --- known browsers ------------------------------------------------------------------------
#
# Failed logins are limited per address, per address and account, and per account from
# all addresses (so a botnet cannot guess one password slowly). The per-account limit
# alone would let anyone lock the real administrator out by failing on purpose; so a
# browser where the account has logged in before carries a signed "known browser"
# cookie, and the account-wide limit does not apply to it (its own address limit still
# does). This is OWASP's "device cookie" defence.

DEVICE_COOKIE = "staffroom_admin_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
_DEVICE_SALT = "staffroom-admin-device"


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_DEVICE_SALT)  # type: ignore[arg-type]


def remember_browser(response: Response, user: AdminUser) -> None:
    """After a successful login: this browser is known to this account."""
    token = _device_serializer().dumps({"u": user.username.lower(), "id": user.id})
    response.set_cookie(
        DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE, path="/admin", secure=True,
        httponly=True, samesite="Strict",
    )


def is_known_browser(request: Request, username: str) -> bool:
    """Whether this browser carries a valid known-browser cookie for ``username``."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or not username:
        return False
    try:
        data = _device_serializer().loads(token, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("u") != username.strip().lower():
        return False
    user = find_admin(username.strip())
    return user is not None and user.id == data.get("id")


def any_admin_exists() -> bool:
    return db.session.scalars(db.select(AdminUser.id).limit(1)).first() is not None


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "AdminAccountError",
    "any_admin_exists",
    "is_known_browser",
    "remember_browser",
    "authenticate",
    "create_admin",
    "current_admin",
    "find_admin",
    "list_admins",
    "log_in",
    "log_out",
    "set_password",
    "username_taken",
]
