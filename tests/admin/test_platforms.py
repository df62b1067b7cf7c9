"""Platform registrations through the admin page: add, edit, disable, delete, deployments."""

from __future__ import annotations

import json
import re

import pytest

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, Platform
from tests.admin.conftest import new_test_platform, page_text, platform_form


def _platforms() -> list[Platform]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Platform).order_by(Platform.id)))


def _field_error(text: str, field: str) -> str:
    """The message shown next to a field, checking it is tied to the field's input."""
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', text, re.S)
    assert match, f"no error shown for {field}"
    tag = re.search(rf'<(?:input|textarea)[^>]*\bid="{field}"[^>]*>', text)
    assert tag, f"no input {field}"
    assert f"{field}-error" in tag.group(0)
    assert 'aria-invalid="true"' in tag.group(0)
    return re.sub(r"<[^>]+>", "", match.group(1)).removeprefix("Error: ")


def test_add_a_platform_with_a_reachable_key_set(admin, key_server):
    tp = new_test_platform(key_server)
    before = key_server.fetches(tp.jwks_path)

    resp = admin.post("/admin/platforms/new", platform_form(tp), form_url="/admin/platforms/new")

    assert resp.status_code == 303
    [stored] = _platforms()
    assert (stored.name, stored.issuer, stored.client_id) == (tp.name, tp.issuer, tp.client_id)
    assert stored.key_set_url == tp.key_set_url
    assert stored.key_set is None
    assert stored.auth_audience is None
    assert [d.deployment_id for d in stored.deployments] == ["7"]
    assert key_server.fetches(tp.jwks_path) == before + 1
    text = page_text(admin.get("/admin/"))
    assert "Platform “School Moodle” registered." in text
    assert tp.client_id in text
    assert "Active" in text
    assert '>1<span class="visually-hidden"> deployment of School Moodle' in text


def test_a_static_key_set_can_replace_the_key_set_url(admin, key_server):
    tp = new_test_platform(key_server)
    jwks = {"keys": [tp.public_jwk(tp.key_name, tp.kid)]}
    data = platform_form(tp, key_set_url="", key_set=json.dumps(jwks))

    resp = admin.post("/admin/platforms/new", data, form_url="/admin/platforms/new")

    assert resp.status_code == 303
    [stored] = _platforms()
    assert stored.key_set == jwks
    assert stored.key_set_url is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "The name is required"),
        ({"client_id": "  "}, "client_id", "The client ID is required"),
        ({"issuer": ""}, "issuer", "The issuer is required"),
        ({"issuer": "moodle.school.test"}, "issuer", "The issuer must be an absolute URL"),
        ({"issuer": "http://moodle.school.test"}, "issuer", "The issuer must start with https://"),
        ({"auth_login_url": "http://moodle.school.test/mod/lti/auth.php"}, "auth_login_url",
         "The authentication request URL must start with https://"),
        ({"auth_token_url": "http://moodle.school.test/mod/lti/token.php"}, "auth_token_url",
         "The access token URL must start with https://"),
        ({"auth_token_url": ""}, "auth_token_url", "The access token URL is required"),
        ({"auth_audience": "not a url"}, "auth_audience",
         "The token audience must be an absolute URL"),
        ({"key_set_url": "http://moodle.school.test/mod/lti/certs.php"}, "key_set_url",
         "The key set URL must start with https://"),
        ({"key_set_url": ""}, "key_set_url", "A key set URL is required, unless you paste"),
        ({"key_set_url": "", "key_set": "{not json"}, "key_set", "The key set is not valid JSON"),
        ({"key_set_url": "", "key_set": '{"kty": "RSA"}'}, "key_set",
         'The key set must be a JWK Set: a JSON object with a "keys" list'),
        ({"key_set": '{"keys": [{"kty": "RSA", "kid": "k"}]}'}, "key_set",
         "Give either a key set URL or a key set, not both"),
        ({"deployment_ids": "7\n7"}, "deployment_ids", "Deployment ID '7' is listed twice"),
        ({"name": "x" * 201}, "name", "The name must be at most 200 characters long"),
    ],
)
def test_each_validation_message_is_shown_next_to_its_field(
    admin, key_server, overrides, field, message
):
    tp = new_test_platform(key_server)
    data = platform_form(tp, **overrides)

    resp = admin.post("/admin/platforms/new", data, form_url="/admin/platforms/new")

    assert resp.status_code == 422
    text = page_text(resp)
    assert message in _field_error(text, field)
    assert "Nothing was saved" in text
    assert f'href="#{field}"' in text
    # Everything else the administrator typed is still there.
    for name, value in data.items():
        if name != field and value and name not in ("key_set", "deployment_ids"):
            assert f'value="{value}"' in text, name
    assert _platforms() == []


def test_an_unreachable_key_set_url_is_refused(admin, key_server):
    tp = new_test_platform(key_server)
    data = platform_form(tp, key_set_url=key_server.url("/no-such-jwks"))

    resp = admin.post("/admin/platforms/new", data, form_url="/admin/platforms/new")

    assert resp.status_code == 422
    message = _field_error(page_text(resp), "key_set_url")
    assert message.startswith("The key set URL could not be fetched: ")
    assert "HTTP 404" in message
    assert f'value="{tp.client_id}"' in page_text(resp)
    assert _platforms() == []


def test_a_key_set_url_without_a_jwk_set_is_refused(admin, key_server):
    key_server.key_sets["/not-a-jwks"] = {"hello": "world"}
    tp = new_test_platform(key_server)
    data = platform_form(tp, key_set_url=key_server.url("/not-a-jwks"))

    resp = admin.post("/admin/platforms/new", data, form_url="/admin/platforms/new")

    assert "is not a JWK Set (no 'keys' list)" in _field_error(page_text(resp), "key_set_url")


def test_the_same_issuer_and_client_id_cannot_be_registered_twice(admin, platform, key_server):
    tp = new_test_platform(key_server, issuer=platform.issuer, client_id=platform.client_id)

    resp = admin.post("/admin/platforms/new", platform_form(tp), form_url="/admin/platforms/new")

    assert resp.status_code == 422
    assert (
        "client_id 'client-abc' is already registered for issuer 'https://lms.example.test'"
        in _field_error(page_text(resp), "client_id")
    )
    assert len(_platforms()) == 1


def test_one_issuer_may_hold_several_client_ids(admin, platform, key_server):
    tp = new_test_platform(key_server, issuer=platform.issuer, client_id="another-client")
    resp = admin.post("/admin/platforms/new", platform_form(tp), form_url="/admin/platforms/new")
    assert resp.status_code == 303
    assert len(_platforms()) == 2


def test_a_platform_without_deployments_sends_the_admin_to_add_one(admin, key_server):
    tp = new_test_platform(key_server)
    resp = admin.post("/admin/platforms/new", platform_form(tp, deployment_ids=""),
                      form_url="/admin/platforms/new")
    [stored] = _platforms()
    assert resp.headers["Location"].endswith(f"/admin/platforms/{stored.id}/deployments")
    assert "launches are refused until you add" in page_text(admin.get(resp.headers["Location"]))


def test_edit_a_platform(admin, platform, key_server):
    [stored] = _platforms()
    url = f"/admin/platforms/{stored.id}/edit"
    page = page_text(admin.get(url))
    assert 'value="https://lms.example.test"' in page
    assert 'value="Test LMS"' in page
    fetches = key_server.fetches(platform.jwks_path)

    data = platform_form(platform, name="Northwind Canvas", auth_audience="https://lms.example.test/aud")
    del data["deployment_ids"]
    resp = admin.post(url, data, form_url=url)

    assert resp.status_code == 303
    [stored] = _platforms()
    assert stored.name == "Northwind Canvas"
    assert stored.auth_audience == "https://lms.example.test/aud"
    assert [d.deployment_id for d in stored.deployments] == ["deployment-1"]
    # An unchanged key set URL is not fetched again: renaming does not depend on the LMS.
    assert key_server.fetches(platform.jwks_path) == fetches


def test_an_invalid_edit_keeps_the_input_and_the_stored_values(admin, platform):
    [stored] = _platforms()
    url = f"/admin/platforms/{stored.id}/edit"
    data = platform_form(platform, name="Renamed", auth_token_url="http://lms.example.test/token")
    del data["deployment_ids"]

    resp = admin.post(url, data, form_url=url)

    assert resp.status_code == 422
    text = page_text(resp)
    assert "must start with https://" in _field_error(text, "auth_token_url")
    assert 'value="Renamed"' in text
    assert 'value="http://lms.example.test/token"' in text
    [stored] = _platforms()
    assert stored.name == "Test LMS"
    assert stored.auth_token_url == "https://lms.example.test/token"


def test_edit_to_a_static_key_set_shows_it_as_json(admin, platform):
    [stored] = _platforms()
    url = f"/admin/platforms/{stored.id}/edit"
    jwks = {"keys": [platform.public_jwk(platform.key_name, platform.kid)]}
    data = platform_form(platform, key_set_url="", key_set=json.dumps(jwks))
    del data["deployment_ids"]
    assert admin.post(url, data, form_url=url).status_code == 303
    assert _platforms()[0].key_set == jwks
    assert "&#34;kty&#34;: &#34;RSA&#34;" in admin.get(url).get_data(as_text=True)


def test_disable_makes_the_login_refuse_the_platform_and_enable_restores_it(
    admin, platform, lti
):
    [stored] = _platforms()
    assert lti.login().status_code == 302

    resp = admin.post(f"/admin/platforms/{stored.id}/disable")
    assert resp.status_code == 303
    assert not _platforms()[0].active
    assert "Disabled" in page_text(admin.get("/admin/"))

    refused = lti.login()
    assert refused.status_code == 400
    assert "no active platform registration for issuer 'https://lms.example.test'" in (
        page_text(refused)
    )

    assert admin.post(f"/admin/platforms/{stored.id}/enable").status_code == 303
    assert _platforms()[0].active
    assert lti.login().status_code == 302


def test_delete_asks_first_then_removes_the_platform_and_its_data(admin, platform):
    [stored] = _platforms()
    person = Person(platform_id=stored.id, sub="teacher-1", name="Ada")
    course = Course(platform_id=stored.id, context_id="course-1", title="Biology")
    db.session.add(Membership(course=course, person=person, roles="teacher", is_staff=True))
    db.session.commit()
    url = f"/admin/platforms/{stored.id}/delete"

    page = page_text(admin.get(url))
    assert "Delete “Test LMS”?" in page
    assert "1 course(s)" in page
    assert "1 person(s)" in page
    assert _platforms() != []

    resp = admin.post(url, form_url=url)

    assert resp.status_code == 303
    assert _platforms() == []
    assert db.session.scalars(db.select(Deployment)).all() == []
    assert db.session.scalars(db.select(Course)).all() == []
    assert db.session.scalars(db.select(Person)).all() == []
    assert db.session.scalars(db.select(Membership)).all() == []
    assert "Platform “Test LMS” deleted." in page_text(admin.get("/admin/"))


def test_unknown_platform_pages_are_not_found(admin):
    assert admin.get("/admin/platforms/999/edit").status_code == 404
    assert admin.get("/admin/platforms/999/deployments").status_code == 404
    assert admin.post("/admin/platforms/999/disable").status_code == 404


def test_the_list_explains_what_to_do_without_platforms(admin):
    text = page_text(admin.get("/admin/"))
    assert "No platform yet" in text
    assert 'href="/admin/platforms/new"' in text


# --------------------------------------------------------------------------- deployments


def test_add_and_remove_deployments(admin, platform, lti):
    [stored] = _platforms()
    url = f"/admin/platforms/{stored.id}/deployments"

    resp = admin.post(url, {"deployment_id": " 12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb ",
                            "deployment_name": "Year 7"}, form_url=url)
    assert resp.status_code == 303
    assert "Deployment “12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb” added." in page_text(
        admin.get(url)
    )
    [stored] = _platforms()
    assert [(d.deployment_id, d.name) for d in stored.deployments] == [
        ("deployment-1", None), ("12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb", "Year 7"),
    ]
    assert lti.login(lti_deployment_id="12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"
                     ).status_code == 302

    first = stored.deployments[0]
    resp = admin.post(f"{url}/{first.id}/remove", form_url=url)
    assert resp.status_code == 303
    [stored] = _platforms()
    assert [d.deployment_id for d in stored.deployments] == [
        "12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"
    ]
    refused = lti.login(lti_deployment_id="deployment-1")
    assert refused.status_code == 400
    assert "unknown deployment id 'deployment-1'" in page_text(refused)


@pytest.mark.parametrize(
    ("deployment_id", "message"),
    [
        ("deployment-1", "Deployment ID 'deployment-1' is already part of this registration"),
        ("   ", "The deployment ID is required"),
        ("d" * 256, "The deployment ID must be at most 255 characters long"),
    ],
)
def test_deployment_validation(admin, platform, deployment_id, message):
    [stored] = _platforms()
    url = f"/admin/platforms/{stored.id}/deployments"

    resp = admin.post(url, {"deployment_id": deployment_id, "deployment_name": "Kept label"},
                      form_url=url)

    assert resp.status_code == 422
    text = page_text(resp)
    assert message in _field_error(text, "deployment_id")
    assert 'value="Kept label"' in text
    assert len(_platforms()[0].deployments) == 1


def test_a_deployment_of_another_platform_cannot_be_removed_here(admin, platform, key_server):
    from tests.conftest import register

    other = register(new_test_platform(key_server))
    [stored, _] = _platforms()
    resp = admin.post(
        f"/admin/platforms/{stored.id}/deployments/{other.deployments[0].id}/remove"
    )
    assert resp.status_code == 404
    assert len(_platforms()[1].deployments) == 1


def test_removing_a_deployment_keeps_its_courses(admin, platform):
    [stored] = _platforms()
    deployment = stored.deployments[0]
    db.session.add(Course(platform_id=stored.id, context_id="c", deployment_id=deployment.id))
    db.session.commit()
    url = f"/admin/platforms/{stored.id}/deployments"
    assert admin.post(f"{url}/{deployment.id}/remove", form_url=url).status_code == 303
    db.session.expire_all()
    [course] = db.session.scalars(db.select(Course)).all()
    assert course.deployment_id is None
