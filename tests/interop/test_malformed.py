"""Every malformed launch the lti1p3platform LMS can be made to send is refused, nothing written.

Each message comes out of the library: claims are changed with its
``set_extra_claims`` (applied after the standard claims), left out through the
adapter's ``omit``, the token's lifetime set with ``set_id_token_expiration``,
the key and deployment changed on its registration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.interop import require_platform_library

require_platform_library()

from tests.interop.external import (  # noqa: E402
    CLAIM,
    STUDENT,
    TEACHER,
    Browser,
    ExternalLms,
    PlatformLaunch,
    private_key_pem,
)
from tests.lti.helpers import assert_refused, row_counts  # noqa: E402

DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def extra(**claims: Any) -> Callable[[PlatformLaunch], None]:
    """Change claims through the library's API (extra claims override standard ones)."""
    plain = {"iss", "aud", "azp", "sub"}
    names = {k if k in plain or k.startswith("http") else CLAIM + k: v for k, v in claims.items()}
    return lambda launch: launch.set_extra_claims(names)


def omit(*claims: str) -> Callable[[PlatformLaunch], None]:
    names = {c if c in {"iss", "aud", "sub", "nonce"} else CLAIM + c for c in claims}
    return lambda launch: launch.omit.update(names)


def lifetime(seconds: int) -> Callable[[PlatformLaunch], None]:
    return lambda launch: launch.set_id_token_expiration(seconds)


@pytest.mark.parametrize(
    ("customise", "status", "code", "message"),
    [
        pytest.param(extra(iss="https://impostor.example.test"), 401, "V7",
                     "the id_token issuer 'https://impostor.example.test' is not the issuer of "
                     "the platform the login came from ('https://lms.interop.test')",
                     id="wrong-issuer"),
        pytest.param(extra(aud="another-tool"), 401, "V8",
                     "the id_token audience (aud) does not contain this tool's client_id "
                     "'staffroom-interop' for platform 'Interop LMS'", id="wrong-audience"),
        pytest.param(extra(aud=["staffroom-interop", "another-tool"]), 401, "V8",
                     "audiences this tool does not trust", id="untrusted-extra-audience"),
        pytest.param(extra(azp="another-tool"), 401, "V8",
                     "the id_token authorized party (azp) 'another-tool' is not this tool's "
                     "client_id 'staffroom-interop'", id="wrong-azp"),
        pytest.param(extra(message_type="LtiSubmissionReviewRequest"), 400, "V12",
                     "the message type 'LtiSubmissionReviewRequest' is not one Staffroom "
                     "handles", id="wrong-message-type"),
        pytest.param(extra(version="1.1.0"), 400, "V11", "the LTI version '1.1.0' is not 1.3.0",
                     id="wrong-version"),
        pytest.param(extra(deployment_id="x" * 256), 400, "V13",
                     "the deployment_id is longer than 255 characters", id="overlong-deployment"),
        pytest.param(extra(target_link_uri="https://tool.example.org/elsewhere"), 400, "V14",
                     "the id_token target_link_uri is not the one the login was started for",
                     id="other-target-link-uri"),
        pytest.param(extra(resource_link={"title": "No id"}), 400, "V14",
                     "the resource link launch has no resource_link id", id="resource-link-no-id"),
        pytest.param(extra(roles="Instructor"), 400, "V15", "the roles claim is not a list",
                     id="roles-not-a-list"),
        pytest.param(extra(context={"title": "No id"}), 400, "V18", "the context claim has no id",
                     id="context-without-id"),
        pytest.param(extra(**{DL_SETTINGS: {"accept_types": ["ltiResourceLink"]}},
                           message_type="LtiDeepLinkingRequest"), 400, "V19",
                     "the deep linking settings have no deep_link_return_url",
                     id="deep-linking-without-return-url"),
        pytest.param(omit("iss"), 401, "V7", "the id_token issuer 'None'", id="no-issuer"),
        pytest.param(omit("aud"), 401, "V8", "audience (aud) does not contain", id="no-audience"),
        pytest.param(omit("sub"), 400, "V16", "the id_token has no user (sub)", id="no-sub"),
        pytest.param(omit("nonce"), 401, "V10", "the id_token has no nonce", id="no-nonce"),
        pytest.param(omit("version"), 400, "V11", "the id_token has no LTI version claim",
                     id="no-version"),
        pytest.param(omit("message_type"), 400, "V12", "the id_token has no message_type claim",
                     id="no-message-type"),
        pytest.param(omit("deployment_id"), 400, "V13", "the id_token has no deployment_id claim",
                     id="no-deployment-id"),
        pytest.param(omit("target_link_uri"), 400, "V14",
                     "the resource link launch has no target_link_uri", id="no-target-link-uri"),
        pytest.param(omit("resource_link"), 400, "V14",
                     "the resource link launch has no resource_link id", id="no-resource-link"),
        pytest.param(omit("roles"), 400, "V15", "the id_token has no roles claim", id="no-roles"),
        pytest.param(lifetime(-120), 401, "V9",
                     "the id_token has expired (check the LMS server's clock)", id="expired"),
        pytest.param(lifetime(0), 401, "V9", "the id_token has no 'exp' claim",
                     id="no-exp-or-iat"),
    ],
)
def test_malformed_launch_is_refused(registered, browser, customise, status, code, message):
    resp, _ = browser.launch(registered, TEACHER, customise=customise)
    assert_refused(resp, status, code, message)


def test_token_signed_with_another_key_is_refused(registered: ExternalLms, browser: Browser):
    """The library signs with a key its published key set does not hold (its own kid)."""
    resp = browser.login(registered.open_tool(TEACHER))
    published_kid = registered.kid
    registered.registration.set_platform_private_key(private_key_pem("interop-stranger"))
    assert registered.kid != published_kid

    form = registered.authorise(resp.headers["Location"])

    assert_refused(browser.submit(form), 401, "V5",
                   f"the id_token's key id (kid) '{registered.kid}' is not in the key set "
                   f"published by platform 'Interop LMS' at {registered.key_set_url}")


def test_token_signed_with_another_key_under_the_published_kid_is_refused(registered, browser):
    resp = browser.login(registered.open_tool(TEACHER))
    registered.registration.kid = registered.kid
    registered.registration.set_platform_private_key(private_key_pem("interop-forger"))

    form = registered.authorise(resp.headers["Location"])

    assert_refused(browser.submit(form), 401, "V6", "the id_token signature is not valid")


def test_unknown_deployment_in_the_login_initiation_is_refused(registered, browser):
    registered.registration.set_deployment_id("dep-not-registered")
    resp = browser.login(registered.open_tool(TEACHER))
    assert_refused(resp, 400, "L4",
                   "unknown deployment id 'dep-not-registered' for platform 'Interop LMS': "
                   "add it on the admin page")


def test_unknown_deployment_in_the_id_token_is_refused(registered, browser):
    """The LMS's registration changes deployment between login and launch."""
    resp = browser.login(registered.open_tool(TEACHER))
    registered.registration.set_deployment_id("dep-not-registered")

    form = registered.authorise(resp.headers["Location"])

    assert_refused(browser.submit(form), 403, "V13",
                   "unknown deployment id 'dep-not-registered' for platform 'Interop LMS': "
                   "add it on the admin page")


def test_unregistered_platform_is_refused_at_login(app, lms, key_server, browser):
    """The same LMS before anyone registered it (no CLI, no admin page)."""
    resp = browser.login(lms.open_tool(TEACHER))
    assert_refused(resp, 400, "L3",
                   "there is no active platform registration for issuer "
                   "'https://lms.interop.test' with client_id 'staffroom-interop': "
                   "add it on the tool's admin page")


def test_replayed_launch_form_is_refused(registered, browser):
    resp, form = browser.launch(registered, STUDENT)
    assert resp.status_code == 200
    written = row_counts()

    replay = browser.submit(form)

    assert replay.status_code == 401
    assert "this launch has expired or was already used" in replay.get_data(as_text=True)
    assert "<code>V1</code>" in replay.get_data(as_text=True)
    assert row_counts() == written


def test_replayed_id_token_with_a_fresh_state_is_refused(registered, browser):
    """A captured id_token, posted after starting a new login of one's own."""
    resp, old = browser.launch(registered, STUDENT)
    assert resp.status_code == 200
    written = row_counts()
    login = browser.login(registered.open_tool(STUDENT))
    fresh = registered.authorise(login.headers["Location"])

    replay = browser.client.post(fresh.action,
                                 data={"state": fresh.fields["state"],
                                       "id_token": old.fields["id_token"]})

    assert replay.status_code == 401
    assert "the id_token nonce is not the one issued at login" in replay.get_data(as_text=True)
    assert row_counts() == written


def test_replayed_launch_form_from_another_browser_is_refused(app, registered, browser):
    """A launch form captured in transit and posted from a browser that never logged in."""
    resp = browser.login(registered.open_tool(TEACHER))
    form = registered.authorise(resp.headers["Location"])

    replay = Browser(app.test_client()).submit(form)

    assert_refused(replay, 401, "V1", "this browser did not send back the tool's login cookie")
    assert browser.submit(form).status_code == 200  # the state is still good for its owner
