"""One-time registration links (invitations) made on the admin page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import utcnow
from lti_tool.extensions import db


class RegistrationInvitation(db.Model):
    """A signed link that lets one LMS register Staffroom once, until it expires.

    The link carries the row's id and a random secret; only the secret's SHA-256 is
    stored. ``used_at`` is set by one atomic UPDATE, so two workers can never both use
    the same link.
    """

    __tablename__ = "registration_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    # The registration it made (kept when the registration is deleted, as history).
    platform_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="SET NULL"), index=True
    )

    def __repr__(self) -> str:
        return f"<RegistrationInvitation {self.id}>"
