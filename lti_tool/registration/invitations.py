"""One-time registration links: made on the admin page, signed, expiring, used once.

An LMS usually opens the registration URL inside its own page, where the tool's
admin session (a partitioned cookie of the tool's own site) is not available. The
administrator then makes an invitation on the admin page and pastes its link into
the LMS instead. The link is ``/lti/register?invitation=<token>``; the token is
signed with the app's secret key and names the invitation's row and a random secret
whose SHA-256 the row keeps. The database decides the rest: expired, used or
withdrawn is refused on every worker.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.registration.models import RegistrationInvitation

SALT = "staffroom.registration-invitation"
LISTED = 20


class InvitationError(Exception):
    """A registration link that cannot be used; ``status`` is the page's HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(created_by: str) -> tuple[RegistrationInvitation, str]:
    """A new invitation and its token (shown once: only its hash is stored)."""
    secret = secrets.token_urlsafe(32)
    hours = int(current_app.config["REGISTRATION_INVITATION_HOURS"])
    invitation = RegistrationInvitation(
        secret_hash=_hash(secret),
        created_by=created_by[:80],
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, _serializer().dumps({"i": invitation.id, "s": secret})


def check(token: str) -> RegistrationInvitation:
    """The invitation of a token that may still be used.

    :raise InvitationError: 403 for a token Staffroom did not issue, 410 for one that
        expired, was used or was withdrawn.
    """
    try:
        data = _serializer().loads(token)
    except BadSignature:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(
        data.get("s"), str
    ):
        raise InvitationError(
            "This registration link was not made by this Staffroom (or was changed): ask a "
            "Staffroom administrator for a new one.",
            403,
        )
    invitation = db.session.get(RegistrationInvitation, data["i"])
    if invitation is None or not hmac.compare_digest(invitation.secret_hash, _hash(data["s"])):
        raise InvitationError(
            "This registration link was withdrawn: ask a Staffroom administrator for a new one.",
            410,
        )
    if invitation.used_at is not None:
        raise InvitationError(
            "This registration link has been used already, and each link registers one LMS "
            "once: ask a Staffroom administrator for a new one.",
            410,
        )
    if invitation.expires_at <= utcnow():
        raise InvitationError(
            "This registration link has expired: ask a Staffroom administrator for a new one.",
            410,
        )
    return invitation


def claim(invitation: RegistrationInvitation) -> None:
    """Mark the invitation used, atomically: of two workers using it at once, one wins.

    :raise InvitationError: 410 if it was used (or expired) in the meantime.
    """
    now = utcnow()
    done = db.session.execute(
        sa.update(RegistrationInvitation)
        .where(
            RegistrationInvitation.id == invitation.id,
            RegistrationInvitation.used_at.is_(None),
            RegistrationInvitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if done.rowcount != 1:
        raise InvitationError(
            "This registration link has just been used (or expired): ask a Staffroom "
            "administrator for a new one.",
            410,
        )
    db.session.refresh(invitation)


def release(invitation: RegistrationInvitation) -> None:
    """Give a claimed invitation back when the registration failed before anything was stored."""
    db.session.rollback()
    db.session.execute(
        sa.update(RegistrationInvitation)
        .where(RegistrationInvitation.id == invitation.id,
               RegistrationInvitation.platform_id.is_(None))
        .values(used_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def recent() -> list[RegistrationInvitation]:
    return list(db.session.scalars(
        sa.select(RegistrationInvitation)
        .order_by(RegistrationInvitation.id.desc())
        .limit(LISTED)
    ))


def withdraw(invitation_id: int) -> bool:
    """Delete an unused invitation: its link stops working at once."""
    done = db.session.execute(
        sa.delete(RegistrationInvitation).where(
            RegistrationInvitation.id == invitation_id,
            RegistrationInvitation.used_at.is_(None),
        )
    )
    db.session.commit()
    return done.rowcount == 1
