"""Limits at the edges (issue 15, "Found"): what reached the database as a 500 is a 4xx now.

Each test names the request that used to fail, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.boundaries import parse_id
from lti_tool.courses.models import Course, Person
from lti_tool.extensions import db
from lti_tool.planning.models import Plan, Space
from lti_tool.tasks.models import Task
from tests.support.platform import REMOVE
from tests.tasks.helpers import course_space, launch, plan, post, task


def test_nul_bytes_and_over_long_login_parameters_never_reach_the_database(lti):
    for param in ("iss", "client_id", "lti_deployment_id", "login_hint"):
        resp = lti.login(method="GET", **{param: "https://lms.example.test\x00x"})
        assert resp.status_code < 500, param  # the NUL is dropped at the door
        resp = lti.login(method="GET", **{param: "x" * 9000})
        assert resp.status_code == 400, param
        assert "L2" in resp.get_data(as_text=True)
    assert "holds control characters" in lti.login(
        method="GET", iss="https://lms.example.test\x01").get_data(as_text=True)


def test_an_unsigned_token_with_a_nul_deployment_id_is_refused_not_looked_up(lti):
    """The registration lookup runs before the signature check: the claim must be safe."""
    import base64
    import json

    def part(data: dict) -> str:  # type: ignore[type-arg]
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    lti.start()
    body = lti.tp.payload(None, nonce=lti.nonce)
    body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "deployment-1\u0000"
    token = ".".join([part({"alg": "RS256", "kid": lti.tp.kid}), part(body), "c2lnbmF0dXJl"])
    resp = lti.post_launch(token)
    assert 400 <= resp.status_code < 500
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 0


@pytest.mark.parametrize(("claim", "value", "code"), [
    ("sub", "s" * 256, "V16"),
    ("sub", "teacher\x00", "V16"),
    ("context", {"id": "c" * 256, "title": "Biology"}, "V18"),
])
def test_over_long_or_control_ids_are_refused_with_a_reason(lti, claim, value, code):
    resp = lti.launch(**{claim: value})
    assert resp.status_code in (400, 401, 403)
    assert code in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 0


def test_over_long_names_and_titles_are_shortened_not_fatal(lti):
    resp = lti.launch(name="N" * 300 + "\x00", given_name="G" * 300,
                      context={"id": "course-1", "title": "T" * 100_000, "label": "L" * 300},
                      email="e" * 400 + "@example.org", picture="https://x.example/" + "p" * 2000)
    assert resp.status_code == 200
    person = db.session.scalars(sa.select(Person)).one()
    course = db.session.scalars(sa.select(Course)).one()
    assert len(person.name) == 255
    assert person.name.endswith("…")
    assert "\x00" not in person.name
    assert person.email is None
    assert person.picture is None
    assert len(course.title) == 512
    assert len(resp.get_data(as_text=True)) < 50_000  # the dashboard heading is not 100 KB


@pytest.fixture
def ada(app, platform):
    return launch(app, platform)


def test_a_nul_in_a_search_is_just_left_out(ada):
    plan(course_space(), "Forces unit")
    resp = ada.get("/courses/1/search?q=for%00ces")
    assert resp.status_code == 200


def test_nul_bytes_in_typed_text_are_dropped_and_the_rest_kept(ada):
    space = course_space()
    resp = post(ada, f"/courses/1/tasks/new?on=space:{space.id}", {"title": "Book\x00 the lab"})
    assert resp.status_code == 303
    assert db.session.scalar(sa.select(Task.title)) == "Book the lab"
    resp = post(ada, "/courses/1/spaces/new", {"name": "Science\x00 team", "description": ""})
    assert resp.status_code == 303
    assert db.session.scalar(sa.select(Space.name).where(Space.kind == "team")) == "Science team"
    unit = plan(space, "Unit")
    resp = post(ada, f"/courses/1/discussion/plan/{unit.id}/comments", {"body": "Hi\x00 there"})
    assert resp.status_code == 303


@pytest.mark.parametrize("path", [
    "/courses/1/spaces/99999999999999999999/",
    "/courses/1/spaces/2147483648/",
    "/courses/99999999999999999999/",
    "/courses/1/tasks/99999999999/edit",
    "/courses/1/spaces/%D9%A3/",  # an Arabic-Indic digit three
    "/courses/1/spaces/%C2%B2/",  # a superscript two
])
def test_ids_out_of_range_or_not_ascii_are_not_found(ada, path):
    assert ada.get(path).status_code == 404


def test_crafted_ids_in_query_strings_and_forms_are_refused_not_500(ada):
    space = course_space()
    unit = plan(space, "Unit")
    base = f"/courses/1/spaces/{space.id}"
    assert ada.get(f"{base}/plans/new?template=space:%C2%B2").status_code == 200
    assert ada.get(f"{base}/plans/new?template=space:99999999999999999999").status_code == 200
    resp = post(ada, f"{base}/plans/new", {"title": "Lesson", "kind": "lesson",
                                           "parent_id": "²", "course_id": "", "version": ""})
    assert resp.status_code == 422
    resp = post(ada, f"{base}/plans/{unit.id}/edit", {
        "title": "Unit", "kind": "unit", "version": "99999999999999999999", "body": "x"})
    assert resp.status_code == 400
    task_row = task(space, "T", None)
    resp = post(ada, f"/courses/1/tasks/{task_row.id}/edit", {"title": "T", "owner_id": "²",
                                                               "status": "todo", "version": "1"})
    assert resp.status_code == 422
    assert db.session.scalar(sa.select(Plan.title).where(Plan.id == unit.id)) == "Unit"


def test_autosave_refuses_deep_json_and_huge_versions(ada):
    space = course_space()
    url = f"/courses/1/spaces/{space.id}/drafts"
    token = _csrf_header(ada)
    deep = "[" * 100_000 + "]" * 100_000
    resp = ada.post(url, data=deep, content_type="application/json", headers=token)
    assert resp.status_code == 400
    for base in (10**30, "²", -1, True, 2**31):
        resp = ada.post(url, json={"plan_key": "new-unit", "base_version": base,
                                   "data": {"title": "x"}}, headers=token)
        assert resp.status_code == 400, base
    resp = ada.post(url, json={"plan_key": "plan-99999999999", "data": {}}, headers=token)
    assert resp.status_code == 400


def _csrf_header(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from tests.tasks.helpers import csrf

    return {"X-CSRFToken": csrf(client)}


def test_parse_id_accepts_only_ascii_digits_in_range():
    assert parse_id("42") == 42
    assert parse_id(7) == 7
    for bad in ("", "0", "-1", "²", "٣", "1.0", " 1", "1 ", "2147483648", "9" * 30, None,
                True, 0, 2**31, "0x1"):
        assert parse_id(bad) is None, bad


def test_readiness_checks_the_database_and_liveness_does_not(app, client, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "execute", broken)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["database"] == "unavailable"
    assert client.get("/healthz").status_code == 200


def test_a_value_the_database_refuses_is_a_400_page_not_a_500(app, client, monkeypatch):
    """Whatever check misses a value, DataError is the request's fault: 400, nothing saved."""
    from flask import Blueprint

    bp = Blueprint("boom", __name__)

    @bp.get("/_test/data-error")
    def data_error():  # type: ignore[no-untyped-def]
        raise sa.exc.DataError("INSERT", {}, Exception("value too long"))

    @bp.get("/_test/damaged")
    def damaged():  # type: ignore[no-untyped-def]
        raise sa.exc.DatabaseError("SELECT", {}, Exception("file is not a database"))

    app.register_blueprint(bp)
    resp = client.get("/_test/data-error")
    assert resp.status_code == 400
    assert "could not be stored" in resp.get_data(as_text=True)
    resp = client.get("/_test/damaged")
    assert resp.status_code == 503
    assert "cannot reach its database" in resp.get_data(as_text=True)


def test_remove_marker_is_still_usable():  # the platform helper's sentinel stays importable
    assert REMOVE is not None


def test_a_damaged_sqlite_file_gives_the_database_page_and_readiness_says_so(tmp_path):
    """Not a 500: the same clear page as an unreachable database."""
    from lti_tool import create_app
    from tests.conftest import _config

    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database file " * 200)
    app = create_app(_config(f"sqlite:///{damaged}", "", str(tmp_path)))
    client = app.test_client()
    resp = client.get("/lti/login?iss=https://lms.example.test&login_hint=x"
                      "&target_link_uri=https://tool.example.org/lti/launch")
    assert resp.status_code == 503
    assert "cannot reach its database" in resp.get_data(as_text=True)
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
