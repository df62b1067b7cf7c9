"""Each worker remembers the registrations logins and launches found, for a few seconds.

"Another worker" is played by changes made with SQL given to the database driver, of
which this process's session hears nothing, followed by the shared generation that
worker's commit publishes (``tool_conf.publish_new_generation``).
"""

from __future__ import annotations

import html
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.cache import get_cache
from lti_tool.courses.models import Course, Person
from lti_tool.extensions import db
from lti_tool.lti import tool_conf
from lti_tool.lti.models import Deployment, Platform
from tests.conftest import LtiFlow
from tests.support.sql import count_statements


def assert_refused(resp, status: int, code: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """The login is refused with this check and message (earlier launches wrote rows)."""
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == status, body
    assert f"<code>{code}</code>" in body
    assert text in body


def another_worker(sql: str) -> None:
    """Change rows as another process would: this session's events see nothing of it."""
    db.session.connection().exec_driver_sql(sql)
    db.session.commit()


def registration_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM platform" in s]


def test_a_login_and_its_launch_read_no_registration_once_remembered(lti):
    assert lti.launch().status_code == 200
    # The first launch taught the registration the LMS's origin: a change, so a new
    # generation, and one more read by the launch after it.
    lti.state = None
    assert lti.launch().status_code == 200
    lti.state = None
    with count_statements() as statements:
        lti.start()
    assert registration_reads(statements) == []
    with count_statements() as statements:
        assert lti.launch().status_code == 200
    assert registration_reads(statements) == []


def test_a_registration_removed_by_another_worker_refuses_the_launch_cleanly(lti):
    """A remembered copy may let a login through; the launch sees the new generation."""
    assert lti.launch().status_code == 200
    lti.state = None
    lti.start()  # remembered: no query
    another_worker("DELETE FROM deployment")
    tool_conf.publish_new_generation()  # ... but its commit publishes a new generation
    lti.state = None
    lti.start()  # still remembered for this login
    assert_refused(lti.launch(), 403, "V13", "unknown deployment id")
    another_worker("DELETE FROM platform")
    tool_conf.publish_new_generation()
    lti.state = None
    lti.start()
    assert_refused(lti.launch(), 400, "V7", "no longer registered")


def test_a_platform_disabled_by_hand_in_sql_is_refused_by_launches_within_the_memo_time(
    lti, monkeypatch
):
    """Without a new generation (a change outside the app), the memo time still bounds it."""
    assert lti.launch().status_code == 200
    lti.state = None
    lti.start()
    another_worker("UPDATE platform SET active = false")
    later = tool_conf._clock() + tool_conf.MEMO_SECONDS + 1
    monkeypatch.setattr(tool_conf, "_clock", lambda: later)
    assert_refused(lti.launch(), 400, "V7", "no longer registered")


def test_a_change_is_pending_until_its_transaction_ends(app, lti):
    assert lti.launch().status_code == 200
    cache = get_cache()
    before = cache.get(tool_conf.GENERATION_KEY)
    assert before is not None
    assert not before.startswith(tool_conf.PENDING)
    platform = db.session.scalars(sa.select(Platform)).one()
    platform.name = "Renamed, then rolled back"
    db.session.flush()  # from now on, launches trust no remembered copy
    assert cache.get(tool_conf.GENERATION_KEY).startswith(tool_conf.PENDING)
    db.session.rollback()
    after_rollback = cache.get(tool_conf.GENERATION_KEY)
    assert after_rollback not in (None, before)
    assert not after_rollback.startswith(tool_conf.PENDING)
    db.session.add(Person(platform_id=platform.id, sub="unrelated"))
    db.session.commit()  # a later commit of something else publishes nothing
    assert cache.get(tool_conf.GENERATION_KEY) == after_rollback
    platform = db.session.scalars(sa.select(Platform)).one()
    platform.name = "Renamed"
    db.session.commit()
    committed = cache.get(tool_conf.GENERATION_KEY)
    assert committed not in (None, after_rollback)
    assert not committed.startswith(tool_conf.PENDING)


def test_launches_trust_no_copy_while_a_change_is_pending(lti):
    assert lti.launch().status_code == 200
    lti.state = None
    assert lti.launch().status_code == 200  # remembered now
    tool_conf.publish_new_generation(pending=True)  # another worker is changing a registration
    for _ in range(2):
        lti.state = None
        lti.start()
        with count_statements() as statements:
            assert lti.launch().status_code == 200
        assert len(registration_reads(statements)) == 1  # read afresh, and not remembered


def test_launches_start_a_generation_when_the_cache_has_none(lti):
    assert lti.launch().status_code == 200
    lti.state = None
    assert lti.launch().status_code == 200
    get_cache().delete(tool_conf.GENERATION_KEY)  # Redis restarted or emptied
    tool_conf.forget_registrations()
    lti.state = None
    lti.start()
    with count_statements() as statements:
        assert lti.launch().status_code == 200
    assert len(registration_reads(statements)) == 1
    assert get_cache().get(tool_conf.GENERATION_KEY) is not None
    lti.state = None
    with count_statements() as statements:
        assert lti.launch().status_code == 200
    assert registration_reads(statements) == []


def test_a_read_overtaken_by_a_change_in_this_worker_is_not_remembered(lti):
    assert lti.launch().status_code == 200
    platform = db.session.scalars(sa.select(Platform)).one()
    copy = tool_conf.RegisteredPlatform.of(platform)
    read_under = tool_conf._local_generation
    tool_conf.forget_registrations()  # a change lands while the read is under way
    tool_conf._remember(("login", "x", "y", "z"), copy, 1, read_under=read_under)
    assert tool_conf._remembered(("login", "x", "y", "z")) is None
    tool_conf._remember(("login", "x", "y", "z"), copy, 1,
                        read_under=tool_conf._local_generation)
    assert tool_conf._remembered(("login", "x", "y", "z")) == (copy, 1)


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
    another_worker("UPDATE platform SET active = false")
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


def test_a_savepoint_is_not_the_end_of_the_transaction(app, lti, monkeypatch):
    assert lti.launch().status_code == 200
    published: list[bool] = []
    monkeypatch.setattr(tool_conf, "publish_new_generation",
                        lambda pending=False: published.append(pending))
    platform = db.session.scalars(sa.select(Platform)).one()
    with db.session.begin_nested():
        platform.name = "Renamed in a savepoint"
    assert published == [True]  # pending since the flush; releasing a savepoint ends nothing
    with db.session.begin_nested() as savepoint:
        db.session.add(Person(platform_id=platform.id, sub="rolled back"))
        db.session.flush()
        savepoint.rollback()  # must not forget the rename made before it
    assert published == [True]
    db.session.commit()
    assert published == [True, False]  # fresh once committed


def test_a_bulk_statement_on_registrations_counts_as_a_change(app, lti):
    assert lti.launch().status_code == 200
    lti.state = None
    assert lti.launch().status_code == 200  # remembered now
    before = get_cache().get(tool_conf.GENERATION_KEY)
    db.session.execute(sa.update(Platform).values(active=False))
    db.session.commit()
    assert get_cache().get(tool_conf.GENERATION_KEY) not in (None, before)
    assert_refused(lti.login(), 400, "L3", "no active platform registration")


def test_a_change_is_pending_before_its_commit_and_fresh_after(app, lti, monkeypatch):
    """So no launch between the commit and the fresh generation can trust an old copy."""
    assert lti.launch().status_code == 200
    seen: list[tuple[bool, str | None]] = []

    def publish(pending: bool = False) -> None:
        # What another connection would read of the platform's name at this moment.
        with db.engine.connect() as other:
            seen.append((pending, other.execute(sa.select(Platform.name)).scalar()))

    monkeypatch.setattr(tool_conf, "publish_new_generation", publish)
    platform = db.session.scalars(sa.select(Platform)).one()
    old_name = platform.name
    platform.name = "Renamed"
    db.session.commit()
    assert seen == [(True, old_name), (False, "Renamed")]


def launch_after_removal_by_hand(lti: LtiFlow, sql: str, **claims: Any):  # type: ignore[no-untyped-def]
    """Launch once the registration is remembered and ``sql`` removed it behind its back."""
    assert lti.launch().status_code == 200
    lti.state = None
    assert lti.launch().status_code == 200  # remembered now
    another_worker(sql)  # by hand: no new generation
    lti.state = None
    return lti.launch(**claims)


def test_a_deployment_removed_by_hand_while_remembered_refuses_a_writing_launch(lti):
    """Within the memo time a launch may pass its checks; recording it must not be a 500."""
    resp = launch_after_removal_by_hand(
        lti, "DELETE FROM deployment", context={"id": "a-new-course", "title": "New course"}
    )  # the new course is a write
    assert_refused(resp, 400, "V7", "removed while it was being recorded")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 1


def test_a_refused_recording_logs_no_names_or_emails(lti, caplog):
    """The failed write's parameters (the newcomer's name and email) stay out of the log."""
    caplog.set_level(logging.INFO)
    resp = launch_after_removal_by_hand(
        lti, "DELETE FROM platform",
        sub="new-person-1", name="Maria Lopez", email="maria.lopez@school.test",
    )
    assert_refused(resp, 400, "V7", "removed while it was being recorded")
    assert "registration removed meanwhile" in caplog.text
    assert "maria.lopez@school.test" not in caplog.text
    assert "Maria Lopez" not in caplog.text


def test_database_errors_never_carry_their_values(app):
    """Tracebacks of database errors (logged on a 500) show the statement, not the values."""
    insert = sa.insert(Course).values(platform_id=999_999, context_id="x", title="Secret title")
    with pytest.raises(sa.exc.IntegrityError) as failure:
        db.session.execute(insert)
    db.session.rollback()
    text = str(failure.value)
    assert "INSERT INTO course" in text
    assert "Secret title" not in text


def test_a_platform_removed_by_hand_while_remembered_refuses_a_launch_that_teaches_it(lti):
    """The launch would record a new framing origin for a platform that is gone."""
    resp = launch_after_removal_by_hand(
        lti, "DELETE FROM platform",
        launch_presentation={"return_url": "https://elsewhere.example.test/x"},
    )
    assert_refused(resp, 400, "V7", "removed while it was being recorded")


def test_a_pending_generation_expires(app, monkeypatch):
    """A process that died inside its change must not disable the memo for ever."""
    recorded: list[tuple] = []
    cache = get_cache()
    monkeypatch.setattr(cache, "set", lambda *args: recorded.append(args))
    tool_conf.publish_new_generation(pending=True)
    tool_conf.publish_new_generation()
    (pending_key, pending_value, pending_ttl), (key, value) = recorded
    assert pending_key == key == tool_conf.GENERATION_KEY
    assert pending_value.startswith(tool_conf.PENDING)
    assert pending_ttl == tool_conf.PENDING_SECONDS
    assert not value.startswith(tool_conf.PENDING)
