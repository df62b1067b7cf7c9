"""What Staffroom tells an LMS about itself: one description, two formats.

* The body of an LTI Dynamic Registration request (IMS LTI-DR 1.0 §3.6, built on
  pylti1p3's :class:`~pylti1p3.dynamic_registration.DynamicRegistration`), with the
  Canvas extensions Canvas reads from it.
* The Canvas developer key JSON configuration (Canvas "LTI 1.3 configuration": Paste
  JSON or Enter URL), served at ``/lti/canvas.json``.

Both name the same messages and placements, so a school gets the same Staffroom
whichever way its LMS administrator registers it:

* a **course navigation** item that opens the course's staffroom, visible to
  teachers and administrators only (Canvas visibility ``admins``: learners never see
  the link; a learner who reaches the tool still gets the "this is for staff" page);
* **deep linking** from link selection, assignment selection and the editor button.

Privacy: Staffroom asks for names and email addresses (Canvas privacy level
``public``), because colleagues must recognise each other; without them people are
shown by an opaque id (see the Moodle set-up page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.dynamic_registration import DynamicRegistration

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS = "https://canvas.instructure.com/lti/"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
# The identity claims Staffroom asks for (OpenID Connect standard claims).
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")
# Where in Canvas each message is offered.
COURSE_NAVIGATION = "course_navigation"
DEEP_LINKING_PLACEMENTS = ("link_selection", "assignment_selection", "editor_button")
# Canvas's course id, as a custom parameter: stable across Canvas's course copies.
CANVAS_CUSTOM_FIELDS = {"canvas_course_id": "$Canvas.course.id"}
# Canvas shares names, email and picture at this level ("name_only" would drop email).
CANVAS_PRIVACY_LEVEL = "public"
DESCRIPTION = (
    "Co-planning, peer observation and shared notes for the teachers of a course."
)


@dataclass(frozen=True)
class ToolUrls:
    """The tool's public addresses (from ``PUBLIC_BASE_URL`` or the request)."""

    login: str
    launch: str
    jwks: str
    logo: str
    name: str = "Staffroom"

    @property
    def domain(self) -> str:
        """The host (and port) the tool's links use, as Canvas and LTI-DR want it."""
        return urlsplit(self.launch).netloc

    @property
    def redirect_uris(self) -> list[str]:
        """Every URI the platform may POST an id_token to: the one launch endpoint."""
        return [self.launch]


def _messages(tool: ToolUrls, deep_linking: bool) -> list[dict[str, Any]]:
    """The LTI-DR ``messages``: what the tool offers, where (Canvas reads the extras)."""
    messages: list[dict[str, Any]] = [
        {
            "type": RESOURCE_LINK,
            "target_link_uri": tool.launch,
            "label": tool.name,
            "icon_uri": tool.logo,
            "placements": [COURSE_NAVIGATION],
            # Teachers and administrators only; learners never see the link.
            CANVAS + "visibility": "admins",
            CANVAS + "course_navigation/default_enabled": True,
        }
    ]
    if deep_linking:
        messages.append(
            {
                "type": DEEP_LINKING,
                "target_link_uri": tool.launch,
                "label": f"Link to {tool.name}",
                "icon_uri": tool.logo,
                "placements": list(DEEP_LINKING_PLACEMENTS),
            }
        )
    return messages


class _Registration(DynamicRegistration):
    """pylti1p3's registration body, filled from :class:`ToolUrls`."""

    def __init__(self, tool: ToolUrls, scopes: list[str], messages: list[dict[str, Any]]):
        super().__init__()
        self.tool = tool
        self.client_name = tool.name
        self.description = DESCRIPTION
        self._scopes = scopes
        self._messages = messages

    def get_initiate_login_uri(self) -> str:
        return self.tool.login

    def get_jwks_uri(self) -> str:
        return self.tool.jwks

    def get_redirect_uris(self) -> list[str]:
        return self.tool.redirect_uris

    def get_scopes(self) -> list[str]:
        return self._scopes

    def get_domain(self) -> str:
        return self.tool.domain

    def get_target_link_uri(self) -> str:
        return self.tool.launch

    def get_claims(self) -> list[str]:
        return list(CLAIMS)

    def get_messages(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self._messages

    def get_logo_uri(self) -> str:
        return self.tool.logo


def registration_request(
    tool: ToolUrls, *, roster: bool, deep_linking: bool, canvas: bool
) -> dict[str, Any]:
    """The LTI-DR registration request body.

    ``roster`` asks for the Names and Role Provisioning scope, ``deep_linking`` offers
    the deep linking message; both only when the platform says it supports them.
    ``canvas`` adds the Canvas course id as a custom parameter (other LMSs would
    send the unexpanded ``$Canvas.course.id``).
    """
    body = _Registration(
        tool, [NRPS_SCOPE] if roster else [], _messages(tool, deep_linking)
    ).lti_registration_data()
    config = body[TOOL_CONFIGURATION]
    config[CANVAS + "privacy_level"] = CANVAS_PRIVACY_LEVEL
    if canvas:
        config["custom_parameters"] = dict(CANVAS_CUSTOM_FIELDS)
    return body


def canvas_developer_key(tool: ToolUrls, public_jwk: dict[str, Any]) -> dict[str, Any]:
    """The Canvas developer key JSON configuration (Canvas: "LTI 1.3 configuration")."""
    placements: list[dict[str, Any]] = [
        {
            "placement": COURSE_NAVIGATION,
            "message_type": RESOURCE_LINK,
            "text": tool.name,
            "icon_url": tool.logo,
            "target_link_uri": tool.launch,
            "visibility": "admins",
            "default": "enabled",
        }
    ]
    placements.extend(
        {
            "placement": placement,
            "message_type": DEEP_LINKING,
            "text": f"Link to {tool.name}",
            "icon_url": tool.logo,
            "target_link_uri": tool.launch,
        }
        for placement in DEEP_LINKING_PLACEMENTS
    )
    return {
        "title": tool.name,
        "description": DESCRIPTION,
        "oidc_initiation_url": tool.login,
        "target_link_uri": tool.launch,
        "redirect_uris": tool.redirect_uris,
        "scopes": [NRPS_SCOPE],
        "extensions": [
            {
                "domain": tool.domain,
                "tool_id": "staffroom",
                "platform": "canvas.instructure.com",
                "privacy_level": CANVAS_PRIVACY_LEVEL,
                "settings": {
                    "text": tool.name,
                    "icon_url": tool.logo,
                    "placements": placements,
                },
            }
        ],
        "public_jwk": public_jwk,
        "public_jwk_url": tool.jwks,
        "custom_fields": dict(CANVAS_CUSTOM_FIELDS),
    }
