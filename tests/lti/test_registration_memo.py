"""Each worker remembers the registrations logins and launches found, for a few seconds."""

from __future__ import annotations

import html

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti import tool_conf
from lti_tool.lti.models import Deployment, Platform
from tests.support.sql import count_statements


def assert_refused(resp, status: int, code: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """The login is refused with this check and message (earlier launches wrote rows)."""
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == status, body
    assert f"<code>{code}</code>" in body
    assert text in body


def registration_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM platform" in s]


def test_a_second_login_reads_no_registration_and_its_launch_one(lti):
    assert lti.launch().status_code == 200
    lti.state = None
    with count_statements() as statements:
        lti.start()
    assert registration_reads(statements) == []
    with count_statements() as statements:
        assert lti.launch().status_code == 200
    assert len(registration_reads(statements)) == 1


def test_a_registration_removed_by_another_worker_refuses_the_launch_cleanly(lti):
    """A remembered copy may let a login through; the launch reads afresh and refuses."""
    assert lti.launch().status_code == 200
    lti.state = None
    lti.start()  # remembered: no query
    db.session.execute(sa.delete(Deployment))  # another worker: this one hears nothing
    db.session.commit()
    lti.state = None
    lti.start()  # still remembered for this login
    assert_refused(lti.launch(), 403, "V13", "unknown deployment id")
    db.session.execute(sa.delete(Platform))
    db.session.commit()
    lti.state = None
    lti.start()
    assert_refused(lti.launch(), 400, "V7", "no longer registered")


def test_a_platform_disabled_in_this_worker_is_refused_at_once(lti):
    assert lti.launch().status_code == 200
    platform = db.session.scalars(sa.select(Platform)).one()
    platform.active = False  # as the admin page and the CLI do: through the ORM
    db.session.commit()
    assert_refused(lti.login(), 400, "L3", "no active platform registration")


def test_a_deployment_retired_in_this_worker_is_refused_at_once(lti):
    assert lti.launch().status_code == 200
    deployment = db.session.scalars(sa.select(Deployment)).first()
    deployment.active = False
    db.session.commit()
    assert_refused(lti.login(lti_deployment_id=deployment.deployment_id), 400, "L4",
                   "unknown deployment id")


def test_a_change_made_by_another_worker_is_seen_within_the_memo_time(lti, monkeypatch):
    assert lti.launch().status_code == 200
    # Another worker disables the platform: this worker's session hears nothing of it.
    db.session.execute(sa.update(Platform).values(active=False))
    db.session.commit()
    assert lti.login().status_code == 302  # still remembered, for at most MEMO_SECONDS
    later = tool_conf._clock() + tool_conf.MEMO_SECONDS + 1
    monkeypatch.setattr(tool_conf, "_clock", lambda: later)
    assert_refused(lti.login(), 400, "L3", "no active platform registration")


def test_a_deployment_added_elsewhere_works_at_once(lti):
    assert_refused(lti.login(lti_deployment_id="new-dep"), 400, "L4", "unknown deployment id")
    platform_id = db.session.scalar(sa.select(Platform.id))
    db.session.execute(
        sa.insert(Deployment).values(platform_id=platform_id, deployment_id="new-dep",
                                     active=True, created_at=sa.func.now())
    )
    db.session.commit()
    assert lti.login(lti_deployment_id="new-dep").status_code == 302
