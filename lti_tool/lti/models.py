"""Platform registrations, their deployments, and the tool's own signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.urls import web_origin


class Platform(db.Model):
    """One LTI 1.3 registration: an issuer and the client_id it gave this tool.

    One issuer may hold several registrations (Canvas Cloud uses one issuer for
    every school), so a registration is always found by issuer + client_id.
    """

    __tablename__ = "platform"
    __table_args__ = (sa.UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    issuer: Mapped[str] = mapped_column(sa.String(255), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(255))
    auth_login_url: Mapped[str] = mapped_column(sa.String(1024))
    auth_token_url: Mapped[str] = mapped_column(sa.String(1024))
    # Some platforms (D2L) expect another audience than the token URL in client assertions.
    auth_audience: Mapped[str | None] = mapped_column(sa.String(1024))
    key_set_url: Mapped[str | None] = mapped_column(sa.String(1024))
    # A static JWK Set, for platforms that hand out a key instead of a key set URL.
    key_set: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Origins that may frame the tool (CSP frame-ancestors), learnt from launches or set by hand.
    frame_origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    product_family: Mapped[str | None] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )
    # Set when the platform registered the tool itself (LTI Dynamic Registration).
    dynamic_registration: Mapped[DynamicRegistration | None] = relationship(
        back_populates="platform", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Platform {self.id} {self.issuer} {self.client_id}>"

    @property
    def label(self) -> str:
        if self.name == default_platform_name(self.issuer, self.client_id):
            return f"{self.issuer} (client_id {self.client_id})"
        return f"{self.name} ({self.issuer}, client_id {self.client_id})"

    @property
    def pending(self) -> bool:
        """Registered by the platform itself and not yet activated by a tool administrator."""
        return self.dynamic_registration is not None and self.dynamic_registration.pending

    def origins(self) -> set[str]:
        """Every origin this platform is known to frame the tool from."""
        found = {web_origin(self.issuer), web_origin(self.auth_login_url)}
        # Stored before origins were checked strictly: only well-formed ones count.
        found.update(web_origin(o) for o in self.frame_origins or [])
        return {o for o in found if o}


class Deployment(db.Model):
    """A deployment_id the platform sends for this registration (an install of the tool)."""

    __tablename__ = "deployment"
    __table_args__ = (sa.UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")

    def __repr__(self) -> str:
        return f"<Deployment {self.deployment_id} of platform {self.platform_id}>"


class DynamicRegistration(db.Model):
    """How a platform registered the tool by LTI Dynamic Registration, and who activated it.

    The platform row it belongs to stays inactive (``Platform.active`` false: every login
    is refused, L3) until a tool administrator activates it, or is active at once when
    the issuer is on the configured allow-list.
    """

    __tablename__ = "dynamic_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), unique=True
    )
    openid_configuration_url: Mapped[str] = mapped_column(sa.String(1024))
    # The platform's OpenID configuration as read, and its answer to the registration.
    platform_configuration: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    registration_response: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # Who started it, in words: "administrator alice" or "invitation 3 (from alice)".
    started_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column()
    activated_by: Mapped[str | None] = mapped_column(sa.String(200))

    platform: Mapped[Platform] = relationship(back_populates="dynamic_registration")

    @property
    def pending(self) -> bool:
        return self.activated_at is None

    def __repr__(self) -> str:
        return f"<DynamicRegistration of platform {self.platform_id}>"


class ToolKey(db.Model):
    """An RSA key pair the tool signs with; its public half is published in the JWKS.

    Rotation: generate a new key (the newest active key signs), keep the old
    one published until it is retired, so platforms holding a cached key set
    can still check what was signed with it.
    """

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    private_key_pem: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def __repr__(self) -> str:
        return f"<ToolKey {self.kid}>"


def default_platform_name(issuer: str, client_id: str) -> str:
    """The name of a registration given none: the issuer's host and the client_id."""
    host = urlsplit(issuer).netloc or issuer
    return f"{host} ({client_id})" if client_id else host
