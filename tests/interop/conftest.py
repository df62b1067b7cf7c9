"""Fixtures: an LMS built on ``lti1p3platform``, registered the way an administrator would.

The adapter is imported inside the fixtures: this file is loaded before the
test modules decide to skip (library missing), and must not fail then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lti_tool.extensions import db
from lti_tool.lti.models import Platform

if TYPE_CHECKING:
    from tests.interop.external import Browser, ExternalLms


def platform_add_args(lms: ExternalLms) -> list[str]:
    """``flask --app lti_tool platform add ...`` with the values the LMS shows its admin."""
    return [
        "platform", "add",
        "--name", lms.name,
        "--issuer", lms.issuer,
        "--client-id", lms.client_id,
        "--auth-login-url", lms.auth_login_url,
        "--auth-token-url", lms.auth_token_url,
        "--key-set-url", lms.key_set_url,
        "--deployment-id", lms.deployment_id,
    ]


def stored_platform(lms: ExternalLms) -> Platform:
    db.session.expire_all()
    return db.session.scalars(
        db.select(Platform).filter_by(issuer=lms.issuer, client_id=lms.client_id)
    ).one()


@pytest.fixture
def lms(app, key_server) -> ExternalLms:
    from tests.interop.external import ExternalLms

    return ExternalLms(key_server)


@pytest.fixture
def registered(lms, runner) -> ExternalLms:
    """The LMS registered with the real CLI, which fetches its key set over HTTP first."""
    result = runner.invoke(args=platform_add_args(lms))
    assert result.exit_code == 0, result.output
    return lms


@pytest.fixture
def browser(client) -> Browser:
    from tests.interop.external import Browser

    return Browser(client)
