"""pylti1p3's tool configuration interface over the registration tables.

Every login and every launch reads its registration afresh, in one query: a platform
or deployment disabled or removed (admin page, command line, SQL by hand) is refused
at the very next login or launch, on every worker, and one added works at once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Deployment, DynamicRegistration, Platform

# The lookups of every login and launch, built once with bound parameters: a reused
# statement keeps its SQLAlchemy cache key, so no statement is constructed per request.
# Each finds the registration and, in the same query, the id of its active deployment
# with the given deployment_id (NULL when there is none, or none was given).


def _registration_query(*where: sa.ColumnElement[bool]) -> sa.Select:
    return (
        sa.select(Platform, Deployment.id)
        .outerjoin(
            Deployment,
            sa.and_(
                Deployment.platform_id == Platform.id,
                Deployment.deployment_id == sa.bindparam("deployment_id"),
                Deployment.active.is_(True),
            ),
        )
        .where(*where)
    )


_BY_ISSUER_AND_CLIENT = _registration_query(
    Platform.issuer == sa.bindparam("issuer"),
    Platform.client_id == sa.bindparam("client_id"),
    Platform.active.is_(True),
)
# Canvas Cloud has one issuer for every school: an issuer may have many registrations.
_BY_ISSUER = _registration_query(
    Platform.issuer == sa.bindparam("issuer"), Platform.active.is_(True)
).order_by(Platform.id)
_BY_ID = _registration_query(Platform.id == sa.bindparam("platform_id"))
_DEPLOYMENT = sa.select(Deployment).where(
    Deployment.platform_id == sa.bindparam("platform_id"),
    Deployment.deployment_id == sa.bindparam("deployment_id"),
    Deployment.active.is_(True),
)


@dataclass(frozen=True)
class RegisteredPlatform:
    """What a login or launch reads of a registration: an immutable copy of its row.

    Nothing a login or launch does can change the registration by accident; code
    that changes a registration works on the :class:`~lti_tool.lti.models.Platform`
    row itself, and recording a launch reads that row only when it has something
    to write (``lti_tool.courses.services``).
    """

    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str | None
    key_set: dict[str, Any] | None
    frame_origins: tuple[str, ...]
    product_family: str | None
    active: bool

    @classmethod
    def of(cls, row: Platform) -> RegisteredPlatform:
        return cls(
            id=row.id,
            name=row.name,
            issuer=row.issuer,
            client_id=row.client_id,
            auth_login_url=row.auth_login_url,
            auth_token_url=row.auth_token_url,
            auth_audience=row.auth_audience,
            key_set_url=row.key_set_url,
            key_set=copy.deepcopy(row.key_set),
            frame_origins=tuple(row.frame_origins or ()),
            product_family=row.product_family,
            active=row.active,
        )

    def origins(self) -> set[str]:
        """Every origin this platform is known to frame the tool from (as Platform.origins)."""
        return Platform.origins(self)  # type: ignore[arg-type]


def find_registration(
    issuer: str, client_id: str | None, deployment_id: str | None
) -> tuple[RegisteredPlatform | None, int | None]:
    """The active registration for issuer + client_id, and its active deployment's id.

    Without a client_id (older platforms omit it from the login initiation), the
    issuer decides when exactly one active registration has it; when several do,
    the one that has the given deployment id, if only one has it. The
    deployment id is ``None`` when the platform has no active deployment with
    ``deployment_id`` (or none was given). One query.
    """
    params = {"issuer": issuer, "client_id": client_id, "deployment_id": deployment_id or ""}
    rows = db.session.execute(
        _BY_ISSUER_AND_CLIENT if client_id else _BY_ISSUER, params
    ).all()
    if len(rows) > 1 and deployment_id:
        rows = [row for row in rows if row[1] is not None]
    if len(rows) != 1:
        return None, None
    row, deployment_pk = rows[0]
    return RegisteredPlatform.of(row), deployment_pk if deployment_id else None


def count_active_registrations(issuer: str) -> int:
    """How many active registrations have this issuer (for a login's error message)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Platform).where(
            Platform.issuer == issuer, Platform.active.is_(True)
        )
    ) or 0


def awaiting_activation(issuer: str, client_id: str | None) -> bool:
    """Whether a registration made by the platform itself waits for an administrator.

    Asked only for a login that found no active registration, to say why it was refused.
    """
    query = (
        sa.select(sa.func.count())
        .select_from(Platform)
        .join(DynamicRegistration, DynamicRegistration.platform_id == Platform.id)
        .where(
            Platform.issuer == issuer,
            Platform.active.is_(False),
            DynamicRegistration.activated_at.is_(None),
        )
    )
    if client_id:
        query = query.where(Platform.client_id == client_id)
    return bool(db.session.scalar(query))


def find_platform(issuer: str, client_id: str | None) -> RegisteredPlatform | None:
    """The active registration for issuer + client_id (see :func:`find_registration`)."""
    return find_registration(issuer, client_id, None)[0]


def load_registration(
    platform_id: int, deployment_id: str
) -> tuple[RegisteredPlatform | None, int | None]:
    """The registration with this primary key, active or not, and its active
    deployment's id for ``deployment_id`` (``None`` if it has none). One query.
    """
    row = db.session.execute(
        _BY_ID, {"platform_id": platform_id, "deployment_id": deployment_id}
    ).first()
    if row is None:
        return None, None
    return RegisteredPlatform.of(row[0]), row[1]


def registration_exists(platform_id: int, deployment_pk: int | None) -> bool:
    """Whether the platform and the deployment (by primary key) are still stored."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Deployment)
            .where(Deployment.id == deployment_pk, Deployment.platform_id == platform_id)
        )
    )


def find_deployment(
    platform: Platform | RegisteredPlatform, deployment_id: str
) -> Deployment | None:
    return db.session.scalars(
        _DEPLOYMENT, {"platform_id": platform.id, "deployment_id": deployment_id}
    ).first()


def to_registration(platform: Platform | RegisteredPlatform) -> Registration:
    """A pylti1p3 Registration for service calls and deep-linking responses."""
    key = keys.signing_key()
    reg = _Registration(key.kid)
    reg.set_issuer(platform.issuer)
    reg.set_client_id(platform.client_id)
    reg.set_auth_login_url(platform.auth_login_url)
    reg.set_auth_token_url(platform.auth_token_url)
    if platform.auth_audience:
        reg.set_auth_audience(platform.auth_audience)
    reg.set_key_set_url(platform.key_set_url)
    reg.set_key_set(platform.key_set)
    reg.set_tool_private_key(key.private_key_pem)
    return reg


class _Registration(Registration):
    """pylti1p3 derives the kid from a public PEM; ours is stored with the key."""

    def __init__(self, kid: str) -> None:
        super().__init__()
        self._kid = kid

    def get_kid(self) -> str:
        return self._kid


class DatabaseToolConf(ToolConfAbstract):
    """Registrations from the database; an issuer may always have many client_ids."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = find_platform(iss, None)
        return to_registration(platform) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        platform = find_platform(iss, client_id)
        return to_registration(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        platform = find_platform(iss, None)
        return self._deployment(platform, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        return self._deployment(find_platform(iss, client_id), deployment_id)

    @staticmethod
    def _deployment(
        platform: RegisteredPlatform | None, deployment_id: str
    ) -> LtiDeployment | None:
        if platform is None or find_deployment(platform, deployment_id) is None:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any):
        return keys.jwks()
