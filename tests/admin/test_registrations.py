"""The registrations service shared by the admin page and the command line."""

from __future__ import annotations

import pytest
from joserfc.jwk import RSAKey

from lti_tool.cache import get_cache
from lti_tool.extensions import db
from lti_tool.lti import registrations
from lti_tool.lti.frames import FRAME_ANCESTORS_CACHE_KEY
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import PlatformData, RegistrationError
from tests.admin.conftest import new_test_platform

PUBLIC_JWK = RSAKey.generate_key(2048).as_dict(private=False)


def _data(tp, **overrides) -> PlatformData:  # type: ignore[no-untyped-def]
    values = {
        "name": tp.name, "issuer": tp.issuer, "client_id": tp.client_id,
        "auth_login_url": tp.auth_login_url, "auth_token_url": tp.auth_token_url,
        "key_set_url": tp.key_set_url,
    }
    values.update(overrides)
    return PlatformData(**values)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_plain_http_is_allowed_for_loopback_hosts_only(app, key_server, host):
    tp = new_test_platform(key_server)
    platform = registrations.create_platform(
        _data(tp, issuer=f"http://{host}:8000", auth_login_url=f"http://{host}:8000/auth",
              auth_token_url=f"http://{host}:8000/token"),
        ["1"],
    )
    assert platform.issuer == f"http://{host}:8000"


@pytest.mark.parametrize("host", ["lms.example.test", "10.0.0.5", "127.0.0.1.example.test"])
def test_plain_http_is_refused_elsewhere(app, key_server, host):
    tp = new_test_platform(key_server)
    with pytest.raises(RegistrationError) as caught:
        registrations.create_platform(_data(tp, auth_login_url=f"http://{host}/auth"), ["1"])
    assert list(caught.value.errors) == ["auth_login_url"]


@pytest.mark.parametrize(
    ("field", "url", "message"),
    [
        ("issuer", "https://a.example *", "must not contain spaces"),
        ("issuer", "https://exa mple.com", "must not contain spaces"),
        ("issuer", "https://user:pw@school.example", "user name or password"),
        ("issuer", "https://school.example:99999", "port"),
        ("issuer", "https://school.example/path?x=1", "must not contain a ? query"),
        ("issuer", "https://*.school.example", "host name that is not valid"),
        ("issuer", "https://school.example#x", "# fragment"),
        ("issuer", "canvas.instructure.com", "absolute URL"),
        ("auth_login_url", "https://lms.example/auth\"<script>", "must not contain spaces"),
        ("auth_audience", "not a url", "absolute URL"),
        ("auth_login_url", "https://lms_example/auth", "host name that is not valid"),
        ("auth_token_url", "https://:443/token", "no host name"),
        ("key_set_url", "https://lms.example:0x50/jwks", "port"),
    ],
)
def test_malformed_urls_are_refused_with_a_message_naming_the_field(
    app, key_server, field, url, message
):
    """Platform URLs end up in every page's Content-Security-Policy: they must be plain."""
    tp = new_test_platform(key_server)
    with pytest.raises(RegistrationError) as caught:
        registrations.create_platform(_data(tp, **{field: url}), ["1"], check_key_set=False)
    assert list(caught.value.errors) == [field]
    assert message in caught.value.errors[field][0]
    assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_an_issuer_that_differs_by_a_final_slash_is_refused_as_a_duplicate(app, key_server):
    tp = new_test_platform(key_server)
    registrations.create_platform(_data(tp), ["1"])
    with pytest.raises(RegistrationError) as caught:
        registrations.create_platform(_data(tp, issuer=tp.issuer + "/"), ["1"])
    assert "differs only by a final slash" in caught.value.errors["issuer"][0]
    other = registrations.create_platform(
        _data(tp, issuer=tp.issuer + "/", client_id="another-client"), ["1"]
    )
    assert other.issuer == tp.issuer + "/"  # another client_id: a registration of its own


@pytest.mark.parametrize(
    ("key_set", "message"),
    [
        ({"keys": [{"kty": "RSA", "n": "abc", "e": "AQAB", "d": "secret"}]},
         "contains private key material (d)"),
        ({"keys": [{"kty": "RSA", "kid": "k1", "n": "abc", "e": "AQAB"}]},
         "key 1 ('k1') is not a valid RSA public key"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private key material (k)"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}, "has no RSA key"),
    ],
)
def test_a_pasted_key_set_must_hold_valid_public_rsa_keys(app, key_server, key_set, message):
    tp = new_test_platform(key_server)
    with pytest.raises(RegistrationError) as caught:
        registrations.create_platform(_data(tp, key_set_url="", key_set=key_set), ["1"])
    assert message in caught.value.errors["key_set"][0]
    assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_only_well_formed_origins_reach_the_frame_ancestors(app, key_server):
    """Origins stored before they were checked strictly (or learnt from launches) are
    filtered: nothing but scheme://host[:port] goes into the policy."""
    from lti_tool.lti.frames import frame_ancestors, invalidate_frame_ancestors

    tp = new_test_platform(key_server)
    platform = registrations.create_platform(_data(tp), ["1"])
    platform.frame_origins = ["https://ok.school.example", "https://a.example *", "*",
                              "https://x.example 'unsafe-inline'", "https://[::1]:8443"]
    db.session.commit()
    invalidate_frame_ancestors()
    allowed = frame_ancestors()
    assert "https://ok.school.example" in allowed
    assert all(" " not in o and "*" not in o and "'" not in o and "[" not in o for o in allowed)


def test_every_problem_is_reported_at_once(app, key_server):
    with pytest.raises(RegistrationError) as caught:
        registrations.create_platform(PlatformData(), ["x", "x"])
    assert set(caught.value.errors) == {
        "name", "issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url",
        "deployment_id",
    }


def test_no_check_skips_fetching_the_key_set(app, key_server):
    tp = new_test_platform(key_server)
    url = key_server.url("/not-published-yet")
    with pytest.raises(RegistrationError, match="could not be fetched"):
        registrations.create_platform(_data(tp, key_set_url=url), ["1"])
    platform = registrations.create_platform(_data(tp, key_set_url=url), ["1"],
                                             check_key_set=False)
    assert platform.key_set_url == url


def test_a_changed_key_set_url_is_checked_on_update(app, key_server):
    tp = new_test_platform(key_server)
    platform = registrations.create_platform(_data(tp), ["1"])
    with pytest.raises(RegistrationError, match="HTTP 404"):
        registrations.update_platform(platform, _data(tp, key_set_url=key_server.url("/gone")))
    db.session.rollback()
    assert db.session.get(Platform, platform.id).key_set_url == tp.key_set_url


@pytest.mark.parametrize(
    "change",
    [
        lambda p, tp: registrations.create_platform(_data(tp, client_id="other"), ["1"]),
        lambda p, tp: registrations.update_platform(p, _data(tp, name="Renamed")),
        lambda p, tp: registrations.set_active(p, False),
        lambda p, tp: registrations.add_deployment(p, "2"),
        lambda p, tp: registrations.remove_deployment(p, p.deployments[0]),
        lambda p, tp: registrations.delete_platform(p),
    ],
    ids=["create", "update", "disable", "add-deployment", "remove-deployment", "delete"],
)
def test_every_change_refreshes_the_frame_ancestors(app, key_server, change):
    tp = new_test_platform(key_server)
    platform = registrations.create_platform(_data(tp), ["1"])
    get_cache().set(FRAME_ANCESTORS_CACHE_KEY, ["https://stale.example"])
    change(platform, tp)
    assert get_cache().get(FRAME_ANCESTORS_CACHE_KEY) is None


PYLTI1P3_CONFIG = {
    "https://canvas.instructure.com": [
        {
            "default": True,
            "client_id": "10000000000001",
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "auth_audience": None,
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
            "key_set": None,
            "private_key_file": "private.key",
            "public_key_file": "public.key",
            "deployment_ids": ["1:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"],
        },
        {
            "default": False,
            "client_id": "10000000000002",
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "auth_audience": None,
            "key_set_url": None,
            "key_set": {"keys": [{**PUBLIC_JWK, "kid": "k1"}]},
            "deployment_ids": ["2:aa", "3:bb"],
        },
    ],
    "https://moodle.school.test": {
        "client_id": "Ab12Cd34Ef56Gh7",
        "auth_login_url": "https://moodle.school.test/mod/lti/auth.php",
        "auth_token_url": "https://moodle.school.test/mod/lti/token.php",
        "key_set_url": "https://moodle.school.test/mod/lti/certs.php",
        "deployment_ids": ["7"],
    },
}


def test_import_accepts_lists_and_single_objects_and_is_idempotent(app):
    report = registrations.import_pylti1p3_config(PYLTI1P3_CONFIG, check_key_set=False)
    assert len(report.created) == 3
    assert not report.failed
    assert any("private_key_file and public_key_file were ignored" in n for n in report.notes)
    assert any('"default": true was not used' in n for n in report.notes)
    stored = {(p.issuer, p.client_id): p for p in registrations.list_platforms()}
    canvas2 = stored[("https://canvas.instructure.com", "10000000000002")]
    assert canvas2.key_set["keys"][0]["kid"] == "k1"
    assert canvas2.key_set_url is None
    assert [d.deployment_id for d in canvas2.deployments] == ["2:aa", "3:bb"]
    assert stored[("https://moodle.school.test", "Ab12Cd34Ef56Gh7")].name == (
        "moodle.school.test (Ab12Cd34Ef56Gh7)"
    )

    again = registrations.import_pylti1p3_config(PYLTI1P3_CONFIG, check_key_set=False)
    assert again.created == []
    assert again.updated == []
    assert len(again.skipped) == 3
    assert len(registrations.list_platforms()) == 3

    more = {"https://moodle.school.test": [{**PYLTI1P3_CONFIG["https://moodle.school.test"],
                                            "deployment_ids": ["7", "8"]}]}
    report = registrations.import_pylti1p3_config(more, check_key_set=False)
    assert report.updated == [
        "https://moodle.school.test (client_id Ab12Cd34Ef56Gh7): already registered, "
        "added deployment(s) 8"
    ]
    db.session.expire_all()
    moodle = registrations.find_registration("https://moodle.school.test", "Ab12Cd34Ef56Gh7")
    assert [d.deployment_id for d in moodle.deployments] == ["7", "8"]


def test_import_checks_each_entry_and_keeps_the_good_ones(app, key_server):
    tp = new_test_platform(key_server)
    config = {
        tp.issuer: {"client_id": tp.client_id, "auth_login_url": tp.auth_login_url,
                    "auth_token_url": tp.auth_token_url, "key_set_url": tp.key_set_url,
                    "deployment_ids": ["7"]},
        "http://insecure.example": {"client_id": "c", "auth_login_url": "x"},
        "https://broken.example": "not an object",
    }
    report = registrations.import_pylti1p3_config(config)
    assert len(report.created) == 1
    assert set(report.failed) == {"http://insecure.example (client_id c)",
                                  "https://broken.example"}
    assert "issuer" in report.failed["http://insecure.example (client_id c)"]


@pytest.mark.parametrize("document", [[], {}, "text", None])
def test_import_refuses_a_document_in_another_format(app, document):
    with pytest.raises(RegistrationError, match="pylti1p3"):
        registrations.import_pylti1p3_config(document)
