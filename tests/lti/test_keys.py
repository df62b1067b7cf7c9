"""The tool's signing keys and its JWKS endpoint."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from lti_tool.lti import keys
from lti_tool.lti.models import ToolKey


def test_first_key_is_generated_on_first_use_and_published(client):
    resp = client.get("/lti/jwks.json")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=300"  # public: platforms cache it
    (jwk,) = resp.get_json()["keys"]
    assert jwk["kty"] == "RSA"
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert jwk["kid"]
    assert "d" not in jwk
    assert "p" not in jwk
    key = ToolKey.query.one()
    assert load_pem_private_key(key.private_key_pem.encode(), None).key_size >= 2048


def test_rotation_signs_with_newest_and_publishes_both(client):
    first = keys.signing_key()
    second = keys.generate_key()
    assert keys.signing_key().kid == second.kid
    kids = [k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]]
    assert kids == [second.kid, first.kid]


def test_retired_key_is_no_longer_published(client):
    first = keys.signing_key()
    keys.generate_key()
    keys.retire_key(first.kid)
    kids = [k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]]
    assert first.kid not in kids
    assert len(kids) == 1


def test_last_active_key_cannot_be_retired(app):
    only = keys.signing_key()
    with pytest.raises(keys.KeyManagementError, match="only active key"):
        keys.retire_key(only.kid)


def test_unknown_or_retired_kid(app):
    with pytest.raises(keys.KeyManagementError, match="No key"):
        keys.retire_key("nope")
    first = keys.signing_key()
    keys.generate_key()
    keys.retire_key(first.kid)
    with pytest.raises(keys.KeyManagementError, match="already retired"):
        keys.retire_key(first.kid)
