"""Every login and launch reads its registration afresh: a change is seen at the next one.

"Another worker" (or an administrator's SQL by hand) is played by statements sent on a
connection of its own, of which the request's session knows nothing.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.courses import launch as launch_handler
from lti_tool.courses.models import Course
from lti_tool.extensions import db
from lti_tool.lti import registrations
from lti_tool.lti.models import Deployment, Platform
from tests.support.sql import count_statements

# The registration lookups of login and launch (tool_conf's prebuilt statements).
REGISTRATION_READ = "FROM platform LEFT OUTER JOIN deployment"


def assert_refused(resp, status: int, code: str, text: str) -> None:  # type: ignore[no-untyped-def]
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == status, body
    assert f"<code>{code}</code>" in body
    assert text in body


def another_worker(sql: str) -> None:
    """Change rows on a connection of its own, as another process would, and commit."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql(sql)


def platform_row() -> Platform:
    db.session.expire_all()
    return db.session.scalars(sa.select(Platform)).one()


def test_a_login_and_its_launch_read_the_registration_once_each(lti):
    assert lti.launch().status_code == 200
    lti.state = None
    with count_statements() as login:
        lti.start()
    with count_statements() as launch:
        assert lti.launch().status_code == 200
    assert len([s for s in login if REGISTRATION_READ in s]) == 1
    assert len([s for s in launch if REGISTRATION_READ in s]) == 1


# On the admin page (and the command line) --------------------------------------------------


def test_a_platform_disabled_on_the_admin_page_is_refused_at_the_next_login(lti):
    assert lti.launch().status_code == 200
    registrations.set_active(platform_row(), False)
    assert_refused(lti.login(), 400, "L3", "no active platform registration")


def test_a_platform_disabled_between_login_and_launch_refuses_the_launch(lti):
    lti.start()
    registrations.set_active(platform_row(), False)
    assert_refused(lti.launch(), 400, "V7", "no longer registered")


def test_a_deployment_removed_on_the_admin_page_is_refused_at_the_next_login_and_launch(lti):
    assert lti.launch().status_code == 200
    lti.state = None
    lti.start()  # the login was answered before the removal
    platform = platform_row()
    registrations.remove_deployment(platform, platform.deployments[0])
    assert_refused(lti.launch(), 403, "V13", "unknown deployment id 'deployment-1'")
    assert_refused(lti.login(lti_deployment_id="deployment-1"), 400, "L4",
                   "unknown deployment id")


def test_a_platform_deleted_on_the_admin_page_refuses_a_launch_already_logged_in(lti):
    assert lti.launch().status_code == 200
    lti.state = None
    lti.start()
    registrations.delete_platform(platform_row())
    assert_refused(lti.launch(), 400, "V7", "no longer registered")
    assert_refused(lti.login(), 400, "L3", "no active platform registration")


def test_a_platform_enabled_again_is_accepted_at_the_next_login(lti):
    assert lti.launch().status_code == 200
    registrations.set_active(platform_row(), False)
    assert_refused(lti.login(), 400, "L3", "no active platform registration")
    registrations.set_active(platform_row(), True)
    lti.state = None
    assert lti.launch().status_code == 200


# By SQL, by hand or from another worker ----------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "code", "text"),
    [
        ("UPDATE platform SET active = false", "L3", "no active platform registration"),
        ("UPDATE deployment SET active = false", "L4", "unknown deployment id"),
        ("DELETE FROM platform", "L3", "no active platform registration"),
    ],
    ids=["platform-disabled", "deployment-disabled", "platform-deleted"],
)
def test_a_change_made_in_sql_is_refused_at_the_very_next_login(lti, sql, code, text):
    assert lti.launch().status_code == 200
    another_worker(sql)
    assert_refused(lti.login(lti_deployment_id="deployment-1"), 400, code, text)


@pytest.mark.parametrize(
    ("sql", "status", "code", "text"),
    [
        ("UPDATE platform SET active = false", 400, "V7", "no longer registered"),
        ("DELETE FROM platform", 400, "V7", "no longer registered"),
        ("UPDATE deployment SET active = false", 403, "V13", "unknown deployment id"),
        ("DELETE FROM deployment", 403, "V13", "unknown deployment id"),
    ],
    ids=["platform-disabled", "platform-deleted", "deployment-disabled", "deployment-deleted"],
)
def test_a_change_made_in_sql_after_the_login_is_refused_at_its_launch(
    lti, sql, status, code, text
):
    assert lti.launch().status_code == 200
    lti.state = None
    lti.start()
    another_worker(sql)
    assert_refused(lti.launch(), status, code, text)


def test_a_deployment_added_elsewhere_works_at_once(lti):
    assert_refused(lti.login(lti_deployment_id="new-dep"), 400, "L4", "unknown deployment id")
    platform_id = db.session.scalar(sa.select(Platform.id))
    db.session.execute(
        sa.insert(Deployment).values(platform_id=platform_id, deployment_id="new-dep",
                                     active=True, created_at=sa.func.now())
    )
    db.session.commit()
    assert lti.login(lti_deployment_id="new-dep").status_code == 302


# Removed while the launch was being recorded -----------------------------------------------


def removed_during_recording(monkeypatch, sql: str) -> None:
    """Remove the registration after the launch passed its checks, before it is recorded."""
    record_launch: Callable[..., Any] = launch_handler.record_launch

    def removed_first(*args: Any, **kwargs: Any) -> Any:
        another_worker(sql)
        return record_launch(*args, **kwargs)

    monkeypatch.setattr(launch_handler, "record_launch", removed_first)


def test_a_deployment_removed_while_a_launch_is_recorded_refuses_it_and_writes_nothing(
    lti, monkeypatch
):
    assert lti.launch().status_code == 200
    removed_during_recording(monkeypatch, "DELETE FROM deployment")
    lti.state = None
    resp = lti.launch(context={"id": "a-new-course", "title": "New course"})  # a write
    assert_refused(resp, 400, "V7", "removed while it was being recorded")
    assert db.session.scalars(sa.select(Course.context_id)).all() == ["course-1"]


def test_a_refused_recording_logs_no_names_or_emails(lti, monkeypatch, caplog):
    """The failed write's parameters (the newcomer's name and email) stay out of the log."""
    caplog.set_level(logging.INFO)
    removed_during_recording(monkeypatch, "DELETE FROM platform")
    resp = lti.launch(sub="new-person-1", name="Maria Lopez", email="maria.lopez@school.test")
    assert_refused(resp, 400, "V7", "removed while it was being recorded")
    assert "registration removed meanwhile" in caplog.text
    assert "maria.lopez@school.test" not in caplog.text
    assert "Maria Lopez" not in caplog.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0


def test_a_platform_removed_while_a_launch_that_teaches_it_is_recorded_refuses_it(
    lti, monkeypatch
):
    """The launch would record a new framing origin for a platform that is gone."""
    assert lti.launch().status_code == 200
    removed_during_recording(monkeypatch, "DELETE FROM platform")
    lti.state = None
    resp = lti.launch(launch_presentation={"return_url": "https://elsewhere.example.test/x"})
    assert_refused(resp, 400, "V7", "removed while it was being recorded")


def test_database_errors_never_carry_their_values(app):
    """Tracebacks of database errors (logged on a 500) show the statement, not the values."""
    insert = sa.insert(Course).values(platform_id=999_999, context_id="x", title="Secret title")
    with pytest.raises(sa.exc.IntegrityError) as failure:
        db.session.execute(insert)
    db.session.rollback()
    text = str(failure.value)
    assert "INSERT INTO course" in text
    assert "Secret title" not in text
