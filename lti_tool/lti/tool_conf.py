"""pylti1p3's tool configuration interface over the registration tables."""

from __future__ import annotations

import copy
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy.orm import ORMExecuteState, Session

from lti_tool.cache import get_cache
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Deployment, Platform

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

    Logins and launches find their registration in a per-worker memo of these
    (see :func:`find_registration`); code that changes a registration works on
    the :class:`~lti_tool.lti.models.Platform` row itself.
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


# Every login and launch looks its registration up; each worker remembers what it found
# (an active platform with the named, active deployment) for a few seconds, so that
# neither makes a query for it.
#
# - A change made in this process (admin page, CLI) clears the memo at once, and a read
#   that a change overtook is not remembered (the local generation below).
# - Every change also gives the registrations a new shared generation in the cache: a
#   "pending" one when it is flushed, under which launches trust no copy, and a fresh
#   one once the transaction has ended (a savepoint is not its end). A launch
#   reads that generation in the same round trip that spends its state, and trusts a
#   remembered registration only if it was read under the same generation: a platform or
#   deployment disabled or removed through the application on any worker is refused at
#   the next launch everywhere (V7, V13), never recorded. ORM bulk statements on the
#   registration tables count as changes too.
# - A login trusts its memo for MEMO_SECONDS, as does a launch for a change made outside
#   the application (SQL by hand), or in the rare case of two changes whose transactions
#   overlap (the first to end publishes a fresh generation while the second is pending).
# - Lookups that find nothing are never remembered: a deployment added on the admin page
#   works at once everywhere.
MEMO_SECONDS = 5.0
GENERATION_KEY = "lti-registrations-generation"
_memo: dict[tuple[Any, ...], tuple[float, RegisteredPlatform, int | None, str | None]] = {}
_local_generation = 0
_memo_lock = threading.Lock()  # gthread workers: a clear never lands inside a store
log = logging.getLogger("lti_tool.lti")


def forget_registrations() -> None:
    """Clear this worker's memo of registrations (after a change; tests)."""
    global _local_generation
    with _memo_lock:
        _local_generation += 1
        _memo.clear()


_CHANGED = "staffroom_registrations_changed"


def _changed_in(session: Session) -> None:
    """Registrations are being changed in this session's transaction.

    Until it ends, the generation is "pending": launches neither trust nor remember
    a copy, so none can hold one read before the change while it commits. Once the
    transaction has ended, committed or rolled back, a fresh generation is published
    (``_new_generation_when_done``).
    """
    session.info[_CHANGED] = True
    forget_registrations()
    publish_new_generation(pending=True)


@sa.event.listens_for(Session, "after_flush")
def _forget_on_change(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (Platform, Deployment)) for obj in changed):
        _changed_in(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _forget_on_bulk_change(state: ORMExecuteState) -> None:
    """``session.execute(update(Platform)…)`` and the like change rows without a flush."""
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (Platform, Deployment):
            _changed_in(state.session)


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _new_generation_when_done(session: Session) -> None:
    """Once a change is committed (or abandoned), remembered copies are out of date."""
    if session.in_nested_transaction():  # a savepoint released or rolled back: not the end
        return
    if session.info.pop(_CHANGED, False):
        forget_registrations()
        publish_new_generation()


PENDING = "pending:"
PENDING_SECONDS = 60


def publish_new_generation(*, pending: bool = False) -> None:
    """Tell every worker that the registrations are changing (``pending``) or changed.

    If the cache cannot be reached, the change stands; other workers' memos lapse
    within MEMO_SECONDS. A pending generation expires after PENDING_SECONDS, so that
    a process that died inside its transaction does not keep every launch reading
    its registration afresh for ever.
    """
    try:
        if pending:
            get_cache().set(GENERATION_KEY, PENDING + secrets.token_hex(8), PENDING_SECONDS)
        else:
            get_cache().set(GENERATION_KEY, secrets.token_hex(8))
    except Exception:
        log.warning("could not publish a new registrations generation", exc_info=True)


def _clock() -> float:
    return time.monotonic()


def _remembered(
    key: tuple[Any, ...], generation: str | None = None
) -> tuple[RegisteredPlatform, int | None] | None:
    hit = _memo.get(key)
    if hit is None or hit[0] <= _clock() or hit[3] != generation:
        return None
    return hit[1], hit[2]


def _remember(
    key: tuple[Any, ...], platform: RegisteredPlatform, deployment_pk: int, *,
    read_under: int, generation: str | None = None,
) -> None:
    with _memo_lock:
        if read_under == _local_generation:  # no change in this process since the read began
            _memo[key] = (_clock() + MEMO_SECONDS, platform, deployment_pk, generation)


def find_registration(
    issuer: str, client_id: str | None, deployment_id: str | None
) -> tuple[RegisteredPlatform | None, int | None]:
    """The active registration for issuer + client_id, and its active deployment's id.

    Without a client_id (older platforms omit it from the login initiation), the
    issuer decides when exactly one active registration has it; when several do,
    the one that has the given deployment id, if only one has it. The
    deployment id is ``None`` when the platform has no active deployment with
    ``deployment_id`` (or none was given). One query, or none when remembered.
    """
    key = ("login", issuer, client_id, deployment_id)
    hit = _remembered(key)
    if hit is not None:
        return hit
    read_under = _local_generation
    params = {"issuer": issuer, "client_id": client_id, "deployment_id": deployment_id or ""}
    rows = db.session.execute(
        _BY_ISSUER_AND_CLIENT if client_id else _BY_ISSUER, params
    ).all()
    if len(rows) > 1 and deployment_id:
        rows = [row for row in rows if row[1] is not None]
    if len(rows) != 1:
        return None, None
    row, deployment_pk = rows[0]
    platform = RegisteredPlatform.of(row)
    if deployment_id and deployment_pk is not None:
        _remember(key, platform, deployment_pk, read_under=read_under)
    return platform, deployment_pk if deployment_id else None


def count_active_registrations(issuer: str) -> int:
    """How many active registrations have this issuer (for a login's error message)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Platform).where(
            Platform.issuer == issuer, Platform.active.is_(True)
        )
    ) or 0


def find_platform(issuer: str, client_id: str | None) -> RegisteredPlatform | None:
    """The active registration for issuer + client_id (see :func:`find_registration`)."""
    return find_registration(issuer, client_id, None)[0]


def load_registration(
    platform_id: int, deployment_id: str, generation: str | None
) -> tuple[RegisteredPlatform | None, int | None]:
    """The registration with this primary key, active or not, and its active
    deployment's id for ``deployment_id`` (``None`` if it has none).

    ``generation`` is the registrations' shared generation, read by the launch with
    its state (:data:`GENERATION_KEY`): a remembered registration is used only if it
    was read under the same one, so a launch never trusts a copy that a change on
    any worker has overtaken. Otherwise one query.
    """
    if generation is not None and generation.startswith(PENDING):
        return _read_registration(platform_id, deployment_id)  # a change is under way
    key = ("launch", platform_id, deployment_id)
    hit = _remembered(key, generation)
    if hit is not None:
        return hit
    read_under = _local_generation
    platform, deployment_pk = _read_registration(platform_id, deployment_id)
    if platform is not None and platform.active and deployment_pk is not None:
        if generation is None:
            # None yet (a new cache, or one emptied): start one. Only the worker whose
            # generation it is may tag what it read before with it.
            fresh = secrets.token_hex(8)
            generation = fresh if get_cache().add(GENERATION_KEY, fresh) else None
        if generation is not None:
            _remember(key, platform, deployment_pk, read_under=read_under,
                      generation=generation)
    return platform, deployment_pk


def _read_registration(
    platform_id: int, deployment_id: str
) -> tuple[RegisteredPlatform | None, int | None]:
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
