"""Staffroom's service access token request is accepted by the lti1p3platform token endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interop import require_platform_library

require_platform_library()

from lti1p3platform.registration import Registration  # noqa: E402

from lti_tool.lti.errors import ServiceError  # noqa: E402
from lti_tool.lti.services import connector_for  # noqa: E402
from tests.interop.conftest import platform_add_args, stored_platform  # noqa: E402
from tests.interop.external import TokenEndpoint, public_key_pem  # noqa: E402

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@pytest.fixture
def token_endpoint(lms, client, runner) -> Iterator[TokenEndpoint]:
    """The LMS with its token endpoint on 127.0.0.1, registered with the CLI."""
    endpoint = TokenEndpoint(lms, client.get("/lti/jwks.json").json)
    lms.auth_token_url = endpoint.url
    result = runner.invoke(args=platform_add_args(lms))
    assert result.exit_code == 0, result.output
    yield endpoint
    endpoint.close()


def test_s1_the_platform_grants_a_token_for_staffrooms_client_assertion(lms, token_endpoint):
    token = connector_for(stored_platform(lms)).get_access_token([NRPS_SCOPE])

    assert token_endpoint.refusals == []
    [request] = token_endpoint.requests
    assert request["grant_type"] == "client_credentials"
    assert request["scope"] == NRPS_SCOPE
    assert lms.conf.validate_token(token, allowed_scopes=[NRPS_SCOPE])


def test_s1_a_token_refused_by_the_platform_is_a_clear_service_error(lms, token_endpoint):
    """The LMS holds another key for the tool (e.g. Staffroom rotated and the LMS missed it)."""
    stale = Registration.get_jwk(public_key_pem("interop-stranger"))
    lms.registration.set_tool_key_set({"keys": [stale]})

    with pytest.raises(ServiceError) as refused:
        connector_for(stored_platform(lms)).get_access_token([NRPS_SCOPE])

    assert refused.value.code == "S1"
    assert f"the token endpoint {token_endpoint.url}" in refused.value.message
    assert "answered HTTP 400 (invalid_client)" in refused.value.message
    assert token_endpoint.refusals == ["LtiException: Unable to find public key"]
