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

    def __repr__(self) -> str:
        return f"<Platform {self.id} {self.issuer} {self.client_id}>"

    @property
    def label(self) -> str:
        if self.name == default_platform_name(self.issuer, self.client_id):
            return f"{self.issuer} (client_id {self.client_id})"
        return f"{self.name} ({self.issuer}, client_id {self.client_id})"

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
