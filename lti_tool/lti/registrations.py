"""Platform registrations and deployments: the one place that creates, changes and removes them.

The admin page and the command line both call these functions, so a
registration is checked the same way whichever door it comes through, and the
messages an administrator reads are the same in the browser and the terminal.

Every check that fails is collected before anything is stored and reported per
field in a :class:`RegistrationError`, so the admin page can show each message
next to its field and keep everything else the administrator typed.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.errors import ServiceError
from lti_tool.lti.frames import invalidate_frame_ancestors
from lti_tool.lti.keysets import KeySetFetchError, fetch_key_set
from lti_tool.lti.models import Deployment, DynamicRegistration, Platform, default_platform_name
from lti_tool.lti.urls import has_unsafe_characters, host_problem

# Column sizes of the platform and deployment tables (lti_tool/lti/models.py).
MAX_LENGTHS = {
    "name": 200,
    "issuer": 255,
    "client_id": 255,
    "auth_login_url": 1024,
    "auth_token_url": 1024,
    "auth_audience": 1024,
    "key_set_url": 1024,
    "deployment_id": 255,
    "deployment_name": 200,
}
REQUIRED = ("name", "issuer", "client_id", "auth_login_url", "auth_token_url")
URL_FIELDS = ("auth_login_url", "auth_token_url", "auth_audience", "key_set_url")
# Plain http is tolerated only for these hosts: a development LMS or a test server.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

# Messages are clauses that name their field ("the issuer must ..."), so that they read
# the same next to a form field and on their own in a terminal.
FIELD_SUBJECTS = {
    "name": "the name",
    "issuer": "the issuer",
    "client_id": "the client ID",
    "auth_login_url": "the authentication request URL",
    "auth_token_url": "the access token URL",
    "auth_audience": "the token audience",
    "key_set_url": "the key set URL",
    "key_set": "the key set",
    "deployment_id": "the deployment ID",
    "deployment_name": "the deployment label",
    "config": "the configuration",
}


class RegistrationError(ValueError):
    """A registration change that was refused; ``errors`` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items() if v}
        super().__init__(
            "; ".join(f"{field_name}: {' '.join(msgs)}" for field_name, msgs in self.errors.items())
        )


@dataclass
class PlatformData:
    """What an administrator gives for a registration, before it is checked.

    ``key_set`` is the static JWK Set, either already parsed or as the JSON
    text pasted into the form or read from a file.
    """

    name: str = ""
    issuer: str = ""
    client_id: str = ""
    auth_login_url: str = ""
    auth_token_url: str = ""
    auth_audience: str | None = None
    key_set_url: str | None = None
    key_set: dict[str, Any] | str | None = None

    @classmethod
    def from_platform(cls, platform: Platform) -> PlatformData:
        return cls(
            name=platform.name,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            auth_audience=platform.auth_audience,
            key_set_url=platform.key_set_url,
            key_set=platform.key_set,
        )


@dataclass
class ImportReport:
    """What :func:`import_pylti1p3_config` did, entry by entry, in words for the administrator."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- lookups


def list_platforms() -> list[Platform]:
    return list(db.session.scalars(
        db.select(Platform)
        .options(selectinload(Platform.deployments), selectinload(Platform.dynamic_registration))
        .order_by(sa.func.lower(Platform.name), Platform.id)
    ))


def get_platform(platform_id: int) -> Platform | None:
    return db.session.get(Platform, platform_id)


def find_registration(issuer: str, client_id: str) -> Platform | None:
    """The registration for issuer + client_id, active or not (launches use ``find_platform``)."""
    return db.session.scalars(
        db.select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()


# --------------------------------------------------------------------------- checks


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(name: str, url: str, example: str = "https://lms.example.edu/…") -> str | None:
    """Why this URL cannot be a platform endpoint, or None when it can."""
    subject = FIELD_SUBJECTS[name]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{subject} must be an absolute URL such as {example}"
    if has_unsafe_characters(url):
        return (
            f"{subject} must not contain spaces, quotes or the characters < > {{ }} | \\ ^ ` "
            f"(for example {example})"
        )
    problem = host_problem(parts)
    if problem:
        return f"{subject} {problem}: write it as {example}"
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        return (
            f"{subject} must start with https:// (plain http:// is only allowed for "
            "127.0.0.1, localhost or ::1, in development)"
        )
    if parts.fragment or url.endswith("#"):
        return f"{subject} must not contain a # fragment"
    if name == "issuer" and (parts.query or url.endswith("?")):
        return f"{subject} must not contain a ? query (OpenID Connect issuers have none)"
    return None


def _parse_key_set(value: dict[str, Any] | str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The JWK Set as a dict, or the reason it cannot be one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            return None, f"the key set is not valid JSON ({exc.msg} at line {exc.lineno})"
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        return None, 'the key set must be a JWK Set: a JSON object with a "keys" list'
    if not value["keys"] or not all(isinstance(k, dict) and k.get("kty") for k in value["keys"]):
        return None, 'the key set must list at least one key, each a JSON object with a "kty"'
    for number, key in enumerate(value["keys"], start=1):
        name = f"key {number}" + (f" ('{key['kid']}')" if key.get("kid") else "")
        private = sorted(PRIVATE_KEY_MEMBERS & key.keys())
        if private:
            return None, (
                f"{name} contains private key material ({', '.join(private)}): paste only "
                "the platform's public keys, and replace that key pair, which is no longer secret"
            )
        if key.get("kty") == "RSA" and not _is_rsa_public_key(key):
            return None, f"{name} is not a valid RSA public key (check its \"n\" and \"e\")"
    if not any(key.get("kty") == "RSA" for key in value["keys"]):
        return None, "the key set has no RSA key: LTI 1.3 platforms sign with RSA (RS256)"
    return value, None


# JWK members that only a private (or symmetric) key has (RFC 7518, section 6).
PRIVATE_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _is_rsa_public_key(key: dict[str, Any]) -> bool:
    try:
        RSAKey.import_key({"kty": "RSA", "n": key.get("n"), "e": key.get("e")})
    except (JoseError, ValueError, TypeError):
        return False
    return True


def _registration_differing_by_a_slash(issuer: str, client_id: str) -> Platform | None:
    other = issuer[:-1] if issuer.endswith("/") else issuer + "/"
    return find_registration(other, client_id)


def _duplicate_message(client_id: str, issuer: str) -> str:
    return f"this client_id '{client_id}' is already registered for issuer '{issuer}'"


def _validate(
    data: PlatformData, *, existing: Platform | None, check_key_set: bool
) -> dict[str, Any]:
    """Check every field and return the cleaned values, or raise one RegistrationError."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        name: _clean(getattr(data, name))
        for name in ("name", "issuer", "client_id", "auth_login_url", "auth_token_url",
                     "auth_audience", "key_set_url")
    }
    for name in REQUIRED:
        if not values[name]:
            errors.setdefault(name, []).append(f"{FIELD_SUBJECTS[name]} is required")
    for name, value in values.items():
        if len(value) > MAX_LENGTHS[name]:
            errors.setdefault(name, []).append(
                f"{FIELD_SUBJECTS[name]} must be at most {MAX_LENGTHS[name]} characters long"
            )
    if values["issuer"] and "issuer" not in errors:
        # The issuer is compared as an exact string with the id_token's iss (V7).
        problem = _url_problem("issuer", values["issuer"], "https://canvas.instructure.com")
        if problem:
            errors["issuer"] = [problem]
    for name in URL_FIELDS:
        if values[name] and name not in errors:
            problem = _url_problem(name, values[name])
            if problem:
                errors[name] = [problem]

    key_set_given = not (
        data.key_set is None or (isinstance(data.key_set, str) and not data.key_set.strip())
    )
    key_set, key_set_problem = (None, None) if values["key_set_url"] and key_set_given else (
        _parse_key_set(data.key_set)
    )
    if key_set_problem:
        errors["key_set"] = [key_set_problem]
    if values["key_set_url"] and key_set_given:
        errors.setdefault("key_set", []).append(
            "give either a key set URL or a key set, not both"
        )
    elif not values["key_set_url"] and key_set is None and not key_set_problem:
        errors.setdefault("key_set_url", []).append(
            "a key set URL is required, unless you paste the platform's key set "
            "(JWK Set) instead"
        )

    if values["issuer"] and values["client_id"] and "issuer" not in errors:
        other = find_registration(values["issuer"], values["client_id"])
        if other is not None and (existing is None or other.id != existing.id):
            errors.setdefault("client_id", []).append(
                _duplicate_message(values["client_id"], values["issuer"])
            )
        else:
            # The issuer is matched exactly, so "https://lms.example/" would never see a
            # launch that "https://lms.example" receives: almost always a typing slip.
            twin = _registration_differing_by_a_slash(values["issuer"], values["client_id"])
            if twin is not None and (existing is None or twin.id != existing.id):
                errors.setdefault("issuer", []).append(
                    f"this client_id is already registered for issuer '{twin.issuer}', which "
                    "differs only by a final slash; the LMS sends one exact issuer: "
                    "correct that registration instead"
                )

    url_changed = existing is None or existing.key_set_url != values["key_set_url"]
    if check_key_set and values["key_set_url"] and "key_set_url" not in errors and url_changed:
        try:
            fetch_key_set(values["key_set_url"])
        except ServiceError as exc:
            reason = exc.reason if isinstance(exc, KeySetFetchError) else exc.message
            errors["key_set_url"] = [f"the key set URL could not be fetched: {reason}"]

    if errors:
        raise RegistrationError(errors)
    values["auth_audience"] = values["auth_audience"] or None
    values["key_set_url"] = values["key_set_url"] or None
    values["key_set"] = key_set
    return values


def _deployment_problem(platform: Platform | None, deployment_id: str) -> str | None:
    if not deployment_id:
        return "the deployment ID is required"
    if len(deployment_id) > MAX_LENGTHS["deployment_id"]:
        return f"the deployment ID must be at most {MAX_LENGTHS['deployment_id']} characters long"
    if platform is not None and any(d.deployment_id == deployment_id for d in platform.deployments):
        return f"deployment ID '{deployment_id}' is already part of this registration"
    return None


def _clean_deployment_ids(deployment_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """Cleaned deployment ids and the problems found among them (blank lines are dropped)."""
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in deployment_ids:
        value = _clean(raw)
        if not value:
            continue
        if value in cleaned:
            problems.append(f"deployment ID '{value}' is listed twice")
            continue
        if len(value) > MAX_LENGTHS["deployment_id"]:
            problems.append(
                f"each deployment ID must be at most {MAX_LENGTHS['deployment_id']} "
                "characters long"
            )
            continue
        cleaned.append(value)
    return cleaned, problems


def _commit(duplicate_field: str, duplicate_message: str) -> None:
    """Commit; a unique constraint hit by a concurrent change becomes a field error."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise RegistrationError({duplicate_field: [duplicate_message]}) from exc
    invalidate_frame_ancestors()


# --------------------------------------------------------------------------- changes


def create_platform(
    data: PlatformData, deployment_ids: Iterable[str] = (), *, check_key_set: bool = True
) -> Platform:
    """Register a platform with its deployments.

    ``check_key_set=False`` skips fetching the key set URL, for scripted installs
    done before the LMS can be reached from the tool.

    :raise RegistrationError: with every problem found, nothing stored.
    """
    errors: dict[str, list[str]] = {}
    try:
        values = _validate(data, existing=None, check_key_set=check_key_set)
    except RegistrationError as exc:
        errors.update(exc.errors)
        values = {}
    ids, problems = _clean_deployment_ids(deployment_ids)
    if problems:
        errors["deployment_id"] = problems
    if errors:
        raise RegistrationError(errors)
    platform = Platform(**values)
    platform.deployments = [Deployment(deployment_id=d) for d in ids]
    db.session.add(platform)
    _commit("client_id", _duplicate_message(values["client_id"], values["issuer"]))
    return platform


def update_platform(
    platform: Platform, data: PlatformData, *, check_key_set: bool = True
) -> Platform:
    """Change a registration's settings; its deployments are managed separately.

    The key set URL is fetched only when it changed, so that renaming a
    platform does not depend on the LMS answering at that moment.
    """
    values = _validate(data, existing=platform, check_key_set=check_key_set)
    for name, value in values.items():
        setattr(platform, name, value)
    _commit("client_id", _duplicate_message(values["client_id"], values["issuer"]))
    return platform


def set_active(platform: Platform, active: bool) -> Platform:
    """Enable or disable a registration; a disabled one is refused at login (L3)."""
    platform.active = active
    db.session.commit()
    invalidate_frame_ancestors()
    return platform


def delete_platform(platform: Platform) -> None:
    """Remove a registration and everything that hangs off it.

    One statement: the database's ``ON DELETE CASCADE`` removes its deployments and,
    through them, every course, person and feature row of the platform (foreign keys
    are enforced on SQLite too, see :mod:`lti_tool.db`). This package names no other
    package's tables.
    """
    db.session.execute(sa.delete(Platform).where(Platform.id == platform.id))
    db.session.commit()
    db.session.expunge_all()
    invalidate_frame_ancestors()


@dataclass(frozen=True)
class DynamicRegistrationData:
    """What a platform told the tool when it registered it (LTI Dynamic Registration)."""

    platform: PlatformData
    deployment_id: str | None
    product_family: str | None
    openid_configuration_url: str
    platform_configuration: dict[str, Any]
    registration_response: dict[str, Any]
    started_by: str


def add_dynamic_registration(data: DynamicRegistrationData, *, activate: bool) -> Platform:
    """Stage the registration a platform made, pending activation unless ``activate``.

    It is checked as an administrator's registration would be (the platform's key set
    is not fetched: the platform was reached a moment ago). It is added to the session
    and flushed, not committed: the caller commits it together with whatever else
    belongs to the same step (the invitation it used), with :func:`commit_registration`.

    :raise RegistrationError: with every problem found, nothing stored.
    """
    values = _validate(data.platform, existing=None, check_key_set=False)
    ids, problems = _clean_deployment_ids([data.deployment_id] if data.deployment_id else [])
    if problems:
        raise RegistrationError({"deployment_id": problems})
    platform = Platform(**values, product_family=data.product_family, active=activate)
    platform.deployments = [Deployment(deployment_id=d) for d in ids]
    platform.dynamic_registration = DynamicRegistration(
        openid_configuration_url=data.openid_configuration_url,
        platform_configuration=data.platform_configuration,
        registration_response=data.registration_response,
        started_by=data.started_by[:200],
        activated_at=utcnow() if activate else None,
        activated_by="the allow-list of trusted issuers" if activate else None,
    )
    db.session.add(platform)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise RegistrationError(
            {"client_id": [_duplicate_message(values["client_id"], values["issuer"])]}
        ) from exc
    return platform


def commit_registration(platform: Platform) -> None:
    """Commit a registration staged by :func:`add_dynamic_registration`."""
    _commit("client_id", _duplicate_message(platform.client_id, platform.issuer))


def activate(platform: Platform, by: str) -> Platform:
    """A tool administrator activates a registration the platform made: it may launch now."""
    record = platform.dynamic_registration
    if record is not None and record.activated_at is None:
        record.activated_at = utcnow()
        record.activated_by = by[:200]
    return set_active(platform, True)


def add_deployment(platform: Platform, deployment_id: str, name: str | None = None) -> Deployment:
    """Accept launches from one more deployment (install) of the tool on this platform."""
    deployment_id = _clean(deployment_id)
    clean_name = _clean(name) or None
    errors: dict[str, list[str]] = {}
    problem = _deployment_problem(platform, deployment_id)
    if problem:
        errors["deployment_id"] = [problem]
    if clean_name and len(clean_name) > MAX_LENGTHS["deployment_name"]:
        errors["deployment_name"] = [
            f"the deployment label must be at most {MAX_LENGTHS['deployment_name']} characters long"
        ]
    if errors:
        raise RegistrationError(errors)
    deployment = Deployment(deployment_id=deployment_id, name=clean_name)
    platform.deployments.append(deployment)
    _commit(
        "deployment_id",
        f"deployment ID '{deployment_id}' is already part of this registration",
    )
    return deployment


def remove_deployment(platform: Platform, deployment: Deployment) -> None:
    """Stop accepting launches from this deployment."""
    if deployment.platform_id != platform.id:
        raise RegistrationError(
            {"deployment_id": ["this deployment does not belong to this registration"]}
        )
    # Courses keep their data; they only forget which install they came through
    # (the foreign key's ON DELETE SET NULL).
    platform.deployments.remove(deployment)
    db.session.commit()
    invalidate_frame_ancestors()


# --------------------------------------------------------------------------- pylti1p3 import

IGNORED_KEYS = ("private_key_file", "public_key_file")


def _entry_name(issuer: str, client_id: str, given: Any) -> str:
    if isinstance(given, str) and given.strip():
        return given.strip()
    return default_platform_name(issuer, client_id)


def import_pylti1p3_config(data: Any, *, check_key_set: bool = True) -> ImportReport:
    """Register every platform of a pylti1p3 JSON tool configuration.

    The format maps each issuer to one object or a list of objects with
    ``client_id``, ``auth_login_url``, ``auth_token_url``, ``auth_audience``,
    ``key_set_url``, ``key_set`` and ``deployment_ids``. Running it twice changes
    nothing: a registration that exists already (same issuer and client_id) only
    gets the deployments it is missing. Entries are independent: one that is
    refused is reported in ``failed`` and the others are still imported.

    :raise RegistrationError: when the document itself is not in that format.
    """
    if not isinstance(data, dict) or not data:
        raise RegistrationError(
            {"config": ["the configuration must be a JSON object mapping each issuer to its "
                        "settings (pylti1p3's tool configuration format)"]}
        )
    report = ImportReport()
    ignored_seen = default_seen = False
    for issuer, conf in data.items():
        entries = conf if isinstance(conf, list) else [conf]
        for index, entry in enumerate(entries):
            where = f"{issuer} [{index}]" if isinstance(conf, list) else str(issuer)
            if not isinstance(entry, dict):
                report.failed[where] = {"config": ["each registration must be a JSON object"]}
                continue
            ignored_seen = ignored_seen or any(entry.get(k) for k in IGNORED_KEYS)
            default_seen = default_seen or entry.get("default") is True
            client_id = _clean(entry.get("client_id"))
            deployment_ids = entry.get("deployment_ids") or []
            if not isinstance(deployment_ids, list):
                report.failed[where] = {"deployment_id": ["deployment_ids must be a JSON list"]}
                continue
            deployment_ids = [str(d) for d in deployment_ids]
            label = f"{issuer} (client_id {client_id})" if client_id else where
            existing = find_registration(str(issuer), client_id) if client_id else None
            if existing is not None:
                _import_deployments(existing, deployment_ids, label, report)
                continue
            platform_data = PlatformData(
                name=_entry_name(str(issuer), client_id, entry.get("name")),
                issuer=str(issuer),
                client_id=client_id,
                auth_login_url=_clean(entry.get("auth_login_url")),
                auth_token_url=_clean(entry.get("auth_token_url")),
                auth_audience=_clean(entry.get("auth_audience")) or None,
                key_set_url=_clean(entry.get("key_set_url")) or None,
                key_set=entry.get("key_set") or None,
            )
            try:
                platform = create_platform(
                    platform_data, deployment_ids, check_key_set=check_key_set
                )
            except RegistrationError as exc:
                report.failed[label] = exc.errors
                continue
            count = len(platform.deployments)
            report.created.append(f"{label}: registered with {count} deployment(s)")
    if ignored_seen:
        report.notes.append(
            "private_key_file and public_key_file were ignored: Staffroom signs with its own "
            "keys (see the Keys page or `flask --app lti_tool keys list`). Give the LMS "
            "Staffroom's public key set URL (/lti/jwks.json) in place of the old tool key."
        )
    if default_seen:
        report.notes.append(
            '"default": true was not used: a login that names no client_id finds its '
            "registration by issuer and deployment id."
        )
    return report


def _import_deployments(
    platform: Platform, deployment_ids: list[str], label: str, report: ImportReport
) -> None:
    known = {d.deployment_id for d in platform.deployments}
    ids, problems = _clean_deployment_ids(d for d in deployment_ids if _clean(d) not in known)
    if problems:
        report.failed[label] = {"deployment_id": problems}
        return
    if not ids:
        report.skipped.append(f"{label}: already registered, nothing to add")
        return
    for deployment_id in ids:
        platform.deployments.append(Deployment(deployment_id=deployment_id))
    _commit("deployment_id", "a deployment ID of this registration was added at the same time")
    report.updated.append(
        f"{label}: already registered, added deployment(s) " + ", ".join(ids)
    )
