"""Deep Linking 2.0 responses: a teacher places Staffroom in the LMS (checklist D1–D5).

The response is a JWT signed with the tool's newest key (D1) with the claims
of D2, the request's ``data`` echoed unchanged when present (D3), only accepted
item types, and one item unless several are accepted (D4). The browser POSTs it
to ``deep_link_return_url`` as the form field ``JWT`` (D5).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource

from lti_tool.lti.context import DeepLinkingSettings
from lti_tool.lti.errors import LtiError
from lti_tool.lti.models import Platform
from lti_tool.lti.tool_conf import to_registration

RESPONSE_LIFETIME = 300
LTI_RESOURCE_LINK = "ltiResourceLink"


@dataclass(frozen=True)
class ResourceLinkItem:
    """An ``ltiResourceLink`` content item: a link that launches back into Staffroom."""

    title: str
    url: str
    custom: dict[str, str] | None = None


class _DeepLink(DeepLink):
    def get_message_jwt(self, resources):  # type: ignore[no-untyped-def]
        message: dict[str, Any] = super().get_message_jwt(resources)
        now = int(time.time())
        message.update(
            {
                "aud": self._registration.get_issuer(),
                "iat": now,
                "exp": now + RESPONSE_LIFETIME,
                "nonce": secrets.token_urlsafe(24),
            }
        )
        data_claim = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
        if self._deep_link_settings.get("data") is None:
            message.pop(data_claim, None)
        return message


def accepts_resource_links(settings: DeepLinkingSettings) -> bool:
    return LTI_RESOURCE_LINK in settings.accept_types


def response_jwt(
    platform: Platform,
    deployment_id: str,
    settings: DeepLinkingSettings,
    items: list[ResourceLinkItem],
) -> str:
    """The signed LtiDeepLinkingResponse for these items."""
    if not accepts_resource_links(settings):
        raise LtiError("D4", "this place in the LMS does not accept links to tools")
    if len(items) > 1 and not settings.accept_multiple:
        raise LtiError("D4", "this place in the LMS accepts only one item")
    resources = []
    for item in items:
        resource = DeepLinkResource().set_url(item.url).set_title(item.title)
        if item.custom:
            resource.set_custom_params(item.custom)
        resources.append(resource)
    dl_settings: dict[str, Any] = {
        "deep_link_return_url": settings.return_url,
        "accept_types": list(settings.accept_types),
    }
    if settings.data is not None:
        dl_settings["data"] = settings.data
    return _DeepLink(to_registration(platform), deployment_id, dl_settings).get_response_jwt(
        resources
    )
