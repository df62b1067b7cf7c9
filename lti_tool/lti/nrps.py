"""Names and Role Provisioning Services 2.0: a course's roster, as typed members.

The platform's membership container is read here and nowhere else; callers get
:class:`RosterMember` values, never the JSON. What the two LMSs we see most do:

* Canvas pages with ``Link: <…>; rel="current",<…>; rel="next",…`` (no space
  after the comma) and sends full role URIs, a TA as
  ``membership/Instructor#TeachingAssistant``.
* Moodle pages with ``Link: <…?limit=N&from=M>; rel="next"``, sends the short
  role names ``Instructor``/``Learner`` and, for site administrators, the
  non-standard ``…/lis/v2/person#Administrator``; names and emails are left out
  when the privacy settings say so.

Spec: https://www.imsglobal.org/spec/lti-nrps/v2p0 (checklist S2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from lti_tool.lti.errors import ServiceError
from lti_tool.lti.models import Platform
from lti_tool.lti.roles import Roles, parse_roles
from lti_tool.lti.services import StaffroomServiceConnector, connector_for, link_target

log = logging.getLogger(__name__)

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


class MemberStatus(StrEnum):
    """NRPS membership status; absent means Active (NRPS 2.0 §2.3)."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DELETED = "Deleted"


@dataclass(frozen=True)
class RosterMember:
    """One person in the course roster, as the platform told it."""

    user_id: str
    """The platform's user id: the same value as ``sub`` in this person's launches."""
    name: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    picture: str | None
    status: MemberStatus
    roles: Roles

    @property
    def sub(self) -> str:
        return self.user_id

    @property
    def is_active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    @property
    def has_access(self) -> bool:
        """Active and holding a course role: a membership in Staffroom's sense."""
        return self.is_active and self.roles.has_course_role


def members_request_url(
    url: str, *, limit: int | None = None, role: str | None = None, rlid: str | None = None
) -> str:
    """``url`` with the NRPS query parameters set.

    The URL may already carry a query (Moodle's does, and a Canvas ``next``
    link has ``page``/``per_page``): its other parameters are kept byte for
    byte, a parameter given here replaces one of the same name.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive integer, not {limit!r}")
    extra = {
        name: str(value)
        for name, value in (("limit", limit), ("role", role), ("rlid", rlid))
        if value is not None
    }
    if not extra:
        return url
    parts = urlsplit(url)
    kept = [
        pair for pair in parts.query.split("&")
        if pair and (parse_qsl(pair, keep_blank_values=True) or [("", "")])[0][0] not in extra
    ]
    query = "&".join([*kept, urlencode(extra, quote_via=quote)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True)
class Roster:
    """A course's members as the platform listed them, and where to ask for changes."""

    members: list[RosterMember]
    differences_url: str | None
    """The ``rel="differences"`` link of the first page (NRPS 2.0 §2.4.2), if offered:
    asked next time, it lists only the members who changed since, removed ones
    with status Inactive or Deleted."""
    pages: int


def fetch_members(platform: Platform, memberships_url: str, **options: Any) -> list[RosterMember]:
    """Every member of the course (:func:`fetch_roster`, with the same options)."""
    return fetch_roster(platform, memberships_url, **options).members


def fetch_roster(
    platform: Platform,
    memberships_url: str,
    *,
    limit: int | None = None,
    role: str | None = None,
    rlid: str | None = None,
    connector: StaffroomServiceConnector | None = None,
) -> Roster:
    """Every member of the course, following ``rel="next"`` until the last page.

    ``limit`` asks for a page size, ``role`` filters by role, ``rlid`` asks
    for the members who can see one resource link. A member listed on two
    pages (the roster changed while we paged) is kept once, as last seen.
    ``memberships_url`` may be a differences link: its pages are read the same way.

    :raise ServiceError: the token or a page could not be fetched, a page is not
        a membership container, or a ``next`` link leaves the platform's origin
        or loops back.
    """
    connector = connector or connector_for(platform)
    url: str | None = members_request_url(
        memberships_url, limit=limit, role=role, rlid=rlid
    )
    origin = _origin(memberships_url)
    seen: set[str] = set()
    members: dict[str, RosterMember] = {}
    differences: str | None = None
    skipped = 0
    while url:
        if _origin(url) != origin:
            raise _error(platform, f"the roster's next page {url} is not on {origin}")
        if url in seen:
            raise _error(platform, f"the roster's next page {url} was already read")
        seen.add(url)
        page = connector.make_service_request([NRPS_SCOPE], url, accept=MEMBERSHIP_CONTAINER)
        if len(seen) == 1:
            # The first page's: asked next time, it also covers changes made while we paged.
            differences = _differences_link(page["headers"], url, origin)
        body = page["body"]
        raw_members = body.get("members") if isinstance(body, dict) else None
        if not isinstance(raw_members, list):
            raise _error(platform, f"{url} did not return a membership container")
        for raw in raw_members:
            member = parse_member(raw)
            if member is None:
                skipped += 1
                continue
            members.pop(member.user_id, None)
            members[member.user_id] = member
        url = page["next_page_url"]
    if skipped:
        log.warning(
            "NRPS roster of %s (client_id %s): skipped %d member(s) without a user_id",
            platform.issuer, platform.client_id, skipped,
        )
    return Roster(list(members.values()), differences, len(seen))


def _differences_link(headers: Any, url: str, origin: str) -> str | None:
    link = next((v for k, v in dict(headers).items() if k.lower() == "link"), None)
    target = link_target(link, url, "differences")
    # A link off the platform's origin is ignored (the whole roster is asked next time).
    return target if target and _origin(target) == origin else None


def parse_member(raw: Any) -> RosterMember | None:
    """A member entry as a :class:`RosterMember`; None if it has no ``user_id``."""
    if not isinstance(raw, dict):
        return None
    user_id = _text(raw.get("user_id"))
    if user_id is None:
        return None
    return RosterMember(
        user_id=user_id,
        name=_text(raw.get("name")),
        given_name=_text(raw.get("given_name")),
        family_name=_text(raw.get("family_name")),
        email=_text(raw.get("email")),
        picture=_text(raw.get("picture")),
        status=_status(raw.get("status")),
        roles=parse_roles(raw.get("roles")),
    )


def _status(value: Any) -> MemberStatus:
    if value is None:
        return MemberStatus.ACTIVE
    text = str(value).strip().lower()
    for status in MemberStatus:
        if status.value.lower() == text:
            return status
    # An unknown status grants nothing: safer than guessing it means Active.
    return MemberStatus.INACTIVE


def _text(value: Any) -> str | None:
    """A string field, or None when absent or empty (privacy settings withhold them)."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _error(platform: Platform, message: str) -> ServiceError:
    return ServiceError(
        "S2", f"Names and Roles service of {platform.issuer}: {message}",
        iss=platform.issuer, client_id=platform.client_id,
    )
