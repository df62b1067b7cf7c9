"""The tool's RSA signing keys: generated on first use, stored in the database.

The newest active key signs (deep-linking responses, service client
assertions); every active key is published at ``/lti/jwks.json``.
"""

from __future__ import annotations

import secrets
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy.exc import IntegrityError

from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.models import ToolKey

KEY_SIZE = 2048


class KeyManagementError(LookupError):
    """A key operation that cannot be done (unknown kid, last active key)."""


def generate_key() -> ToolKey:
    """Create, store and return a new RSA key pair; it becomes the signing key."""
    kid = secrets.token_urlsafe(16)
    jwk = RSAKey.generate_key(KEY_SIZE)
    public = jwk.as_dict(private=False)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    key = ToolKey(
        kid=kid,
        private_key_pem=jwk.as_pem(private=True).decode(),
        public_jwk=public,
    )
    db.session.add(key)
    db.session.commit()
    return key


def active_keys() -> list[ToolKey]:
    return list(
        db.session.scalars(
            db.select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc())
        )
    )


def signing_key() -> ToolKey:
    """The newest active key, generating the first one if there is none yet."""
    key = db.session.scalars(
        db.select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc())
    ).first()
    if key is not None:
        return key
    try:
        return generate_key()
    except IntegrityError:  # another worker generated it at the same moment
        db.session.rollback()
        return signing_key()


def ensure_key() -> None:
    """Make sure a signing key exists (called on start-up and by ``flask keys``)."""
    signing_key()


def retire_key(kid: str) -> ToolKey:
    key = db.session.scalars(db.select(ToolKey).where(ToolKey.kid == kid)).first()
    if key is None:
        raise KeyManagementError(f"No key with kid {kid!r}.")
    if key.retired_at is not None:
        raise KeyManagementError(f"Key {kid!r} is already retired.")
    if len(active_keys()) <= 1:
        raise KeyManagementError(
            "This is the only active key: generate a new key first, then retire this one."
        )
    key.retired_at = utcnow()
    db.session.commit()
    return key


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The JWK Set of every active public key, newest first."""
    keys = active_keys() or [signing_key()]
    return {"keys": [dict(k.public_jwk) for k in keys]}
