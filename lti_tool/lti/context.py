"""The typed launch context: everything a feature may know about a launch.

Claims are read here and nowhere else. Platform quirks are smoothed out on the
way in (see ``tests/fixtures/README.md``): Canvas's integer or string custom
values and unexpanded ``$Canvas.…`` substitutions, Moodle's empty ``lis`` values
and ``family_code``, names and email left out by privacy settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lti_tool.lti.roles import Roles, parse_roles
from lti_tool.lti.urls import web_origin

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_TYPES = frozenset({RESOURCE_LINK, DEEP_LINKING})


@dataclass(frozen=True)
class PlatformRef:
    id: int
    issuer: str
    client_id: str
    name: str
    product_family: str | None = None


@dataclass(frozen=True)
class PersonInfo:
    """The launching user. Every field but ``sub`` may be withheld by the platform."""

    sub: str
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    picture: str | None = None
    sourced_id: str | None = None


@dataclass(frozen=True)
class CourseInfo:
    """The ``context`` claim: the course (or section, or group) launched from."""

    context_id: str
    label: str | None = None
    title: str | None = None
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceLinkInfo:
    id: str
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class DeepLinkingSettings:
    return_url: str
    accept_types: tuple[str, ...]
    accept_multiple: bool = False
    accept_presentation_document_targets: tuple[str, ...] = ()
    data: str | None = None
    title: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class LaunchContext:
    """One validated launch, in Staffroom's terms.

    ``person_id``/``course_id`` are the database rows the launch was recorded
    against; ``course`` is ``None`` for a launch without a context claim.
    """

    launch_id: str
    message_type: str
    platform: PlatformRef
    deployment_id: str
    person: PersonInfo
    roles: Roles
    course: CourseInfo | None = None
    resource_link: ResourceLinkInfo | None = None
    deep_linking: DeepLinkingSettings | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    locale: str | None = None
    return_url: str | None = None
    target_link_uri: str | None = None
    nrps_url: str | None = None
    person_id: int | None = None
    course_id: int | None = None
    deployment_pk: int | None = None

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING


def _text(value: Any) -> str | None:
    """A claim value as text, or None when absent, empty or an unexpanded ``$`` variable."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
    if not text or text.startswith("$"):
        return None
    return text


def _display(value: Any, limit: int) -> str | None:
    """A name or title to store and show: control characters and lone surrogates removed,
    cut to ``limit`` characters (the column's) with an ellipsis. An LMS may send a course
    title of any length; the teacher still gets in, with the title shortened."""
    text = _text(value)
    if text is None:
        return None
    text = "".join(c for c in text if c >= " " and c != "\x7f" and not "\ud800" <= c <= "\udfff")
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _url(value: Any, limit: int) -> str | None:
    """An address to store, or None when it is longer than its column (a cut one is useless)."""
    text = _text(value)
    if text is None or len(text) > limit or any(ord(c) < 33 for c in text):
        return None
    return text


def _bool(value: Any) -> bool:
    # Current Moodle sends JSON booleans; older releases sent "true"/"false" strings.
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # Canvas joins accept_media_types with commas
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int)))
    return ()


def build_context(
    body: Mapping[str, Any],
    *,
    launch_id: str,
    platform: PlatformRef,
) -> LaunchContext:
    """Turn a validated id_token body into a :class:`LaunchContext` (no database ids yet)."""
    lis = body.get(CLAIM + "lis") or {}
    email = _display(body.get("email"), 320)
    person = PersonInfo(
        sub=str(body["sub"]),
        name=_display(body.get("name"), 255),
        given_name=_display(body.get("given_name"), 255),
        family_name=_display(body.get("family_name"), 255),
        email=email if email and not email.endswith("…") else None,
        picture=_url(body.get("picture"), 1024),
        sourced_id=_text(lis.get("person_sourcedid")) if isinstance(lis, dict) else None,
    )
    ctx_claim = body.get(CLAIM + "context")
    course = None
    if isinstance(ctx_claim, dict) and _text(ctx_claim.get("id")):
        course = CourseInfo(
            context_id=str(ctx_claim["id"]),
            label=_display(ctx_claim.get("label"), 255),
            title=_display(ctx_claim.get("title"), 512),
            types=_strings(ctx_claim.get("type")),
        )
    rl_claim = body.get(CLAIM + "resource_link")
    resource_link = None
    if isinstance(rl_claim, dict) and _text(rl_claim.get("id")):
        resource_link = ResourceLinkInfo(
            id=str(rl_claim["id"]),
            title=_text(rl_claim.get("title")),
            description=_text(rl_claim.get("description")),
        )
    dl_claim = body.get(DL_CLAIM + "deep_linking_settings")
    deep_linking = None
    if isinstance(dl_claim, dict) and dl_claim.get("deep_link_return_url"):
        deep_linking = DeepLinkingSettings(
            return_url=str(dl_claim["deep_link_return_url"]),
            accept_types=_strings(dl_claim.get("accept_types")),
            accept_multiple=_bool(dl_claim.get("accept_multiple")),
            accept_presentation_document_targets=_strings(
                dl_claim.get("accept_presentation_document_targets")
            ),
            data=dl_claim.get("data") if isinstance(dl_claim.get("data"), str) else None,
            title=_text(dl_claim.get("title")),
            text=_text(dl_claim.get("text")),
        )
    custom_claim = body.get(CLAIM + "custom")
    custom: dict[str, str] = {}
    if isinstance(custom_claim, dict):
        for key, value in custom_claim.items():
            text = _text(value)
            if text is not None:
                custom[str(key)] = text
    presentation = body.get(CLAIM + "launch_presentation") or {}
    if not isinstance(presentation, dict):
        presentation = {}
    nrps = body.get(NRPS_CLAIM) or {}
    return LaunchContext(
        launch_id=launch_id,
        message_type=str(body.get(CLAIM + "message_type")),
        platform=platform,
        deployment_id=str(body.get(CLAIM + "deployment_id")),
        person=person,
        roles=parse_roles(body.get(CLAIM + "roles")),
        course=course,
        resource_link=resource_link,
        deep_linking=deep_linking,
        custom=custom,
        locale=_text(presentation.get("locale")) or _text(body.get("locale")),
        return_url=_web_url(presentation.get("return_url")),
        target_link_uri=_text(body.get(CLAIM + "target_link_uri")),
        nrps_url=_url(nrps.get("context_memberships_url"), 1024) if isinstance(nrps, dict)
        else None,
    )


def _web_url(value: Any) -> str | None:
    """An http(s) address to link to, or None: a "javascript:" or "data:" return URL
    from a launch never becomes a link (pages also forbid inline script)."""
    text = _text(value)
    return text if text is not None and web_origin(text) is not None else None


def product_family(body: Mapping[str, Any]) -> str | None:
    """``tool_platform.product_family_code`` (older Moodle: ``family_code``)."""
    tp = body.get(CLAIM + "tool_platform")
    if not isinstance(tp, dict):
        return None
    return _text(tp.get("product_family_code")) or _text(tp.get("family_code"))
