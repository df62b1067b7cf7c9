"""The practice LMS's key, addresses and self-registration."""

from __future__ import annotations

import stat

import pytest

from lti_tool.demo import platform as practice
from lti_tool.demo.platform import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    current_endpoints,
    ensure_registered,
    lms_base_for,
    public_jwks,
    signing_key,
)
from lti_tool.extensions import db
from lti_tool.lti.frames import frame_ancestors
from lti_tool.lti.models import Deployment, Platform
from tests.demo.conftest import LMS, TOOL

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def fresh_instance(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_key_is_generated_on_first_use_in_the_instance_folder(fresh_instance):
    path = fresh_instance / "demo-platform-key.pem"
    assert not path.exists()
    key = signing_key()
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.kid == key.thumbprint()
    assert signing_key().kid == key.kid
    assert [p.name for p in fresh_instance.iterdir()] == ["demo-platform-key.pem"]


def test_a_too_open_key_file_is_made_private(fresh_instance):
    signing_key()
    path = fresh_instance / "demo-platform-key.pem"
    path.chmod(0o644)
    signing_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_public_key_set_has_no_private_parts():
    key = public_jwks()["keys"][0]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()


def test_registration_is_idempotent():
    first = ensure_registered(TOOL, LMS)
    second = ensure_registered(TOOL, LMS)
    assert first.changed
    assert not second.changed
    assert db.session.scalar(db.select(db.func.count()).select_from(Platform)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Deployment)) == 1
    platform = second.platform
    assert (platform.name, platform.client_id, platform.product_family) == (
        "Practice LMS", CLIENT_ID, "staffroom-practice")
    assert platform.auth_token_url == f"{LMS}/demo/token"
    assert platform.deployments[0].deployment_id == DEPLOYMENT_ID


def test_a_new_port_updates_the_same_registration():
    first = ensure_registered(TOOL, LMS).platform.id
    moved = ensure_registered("http://127.0.0.1:5050", "http://localhost:5050")
    assert moved.changed
    assert moved.platform.id == first
    assert moved.platform.issuer == "http://localhost:5050/demo"
    assert moved.platform.auth_login_url == "http://localhost:5050/demo/auth"


def test_a_new_key_updates_the_stored_key_set(fresh_instance):
    ensure_registered(TOOL, LMS)
    (fresh_instance / "demo-platform-key.pem").unlink()
    again = ensure_registered(TOOL, LMS)
    assert again.changed
    assert again.platform.key_set == public_jwks()


def test_what_the_administrator_disabled_or_removed_stays_so():
    """Trying "Disable" on the admin page with the practice LMS must show its effect."""
    platform = ensure_registered(TOOL, LMS).platform
    platform.active = False
    platform.deployments[0].active = False
    db.session.commit()
    again = ensure_registered(TOOL, LMS)
    assert not again.changed
    assert not again.platform.active
    assert not again.platform.deployments[0].active
    db.session.delete(again.platform.deployments[0])
    db.session.commit()
    assert ensure_registered(TOOL, LMS).platform.deployments == []


def test_registration_refreshes_the_frame_ancestors():
    ensure_registered(TOOL, LMS)
    assert LMS in frame_ancestors()
    ensure_registered("http://127.0.0.1:5050", "http://localhost:5050")
    assert "http://localhost:5050" in frame_ancestors()


def test_the_lms_lives_on_localhost_when_the_tool_is_on_127_0_0_1(app):
    assert lms_base_for("http://127.0.0.1:5000") == "http://localhost:5000"
    assert lms_base_for("https://staffroom.test") == "https://staffroom.test"
    app.config["DEMO_LMS_BASE_URL"] = "http://lms.test:8000/"
    assert lms_base_for("http://127.0.0.1:5000") == "http://lms.test:8000"


def test_endpoints_without_public_base_url_follow_the_request(app):
    app.config["PUBLIC_BASE_URL"] = ""
    with app.test_request_context("/demo/", base_url="http://localhost:5001"):
        endpoints = current_endpoints()
    assert endpoints.tool_base_url == "http://127.0.0.1:5001"
    assert endpoints.lms_base_url == "http://localhost:5001"
    assert endpoints.issuer == "http://localhost:5001/demo"


def test_plain_flask_run_still_redirects_to_the_lms_site(app, client):
    app.config["PUBLIC_BASE_URL"] = ""
    resp = client.get("http://127.0.0.1:5001/demo/")
    assert resp.headers["Location"] == "http://localhost:5001/demo/"
    page = client.get("http://localhost:5001/demo/staffroom?as=1001").get_data(as_text=True)
    assert "http://127.0.0.1:5001/lti/login?" in page


def test_key_cache_follows_the_file(fresh_instance):
    first = signing_key().kid
    (fresh_instance / "demo-platform-key.pem").unlink()
    practice._loaded.clear()
    assert signing_key().kid != first
