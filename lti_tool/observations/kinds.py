"""What observations plug into the shared blocks: a kind, news, a panel, a card, a link.

* The kind ``observation``, under the one rule of :mod:`.policy`: its tasks (the
  observee's next steps), its discussion (the follow-up conversation) and its
  search entries are visible to the pair and the shared colleague only.
* "Observations waiting for you" in What's new.
* The "Peer observation" panel on the course dashboard.
* A card under a co-planned lesson: its finished observations, to the pair only.
* "Observations" in the course navigation.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, render_template

from lti_tool.courses import registry
from lti_tool.courses.models import Course, Person
from lti_tool.courses.registry import Kind, NavLink, NewsSection, Panel, Subject, SubjectInfo
from lti_tool.extensions import db
from lti_tool.observations import services
from lti_tool.observations.models import Observation, State
from lti_tool.observations.policy import observation_rule


def _describe(ids: Collection[int]) -> dict[int, SubjectInfo]:
    observer = sa.orm.aliased(Person)
    observee = sa.orm.aliased(Person)
    rows = db.session.execute(
        sa.select(Observation, observer, observee, Course.title, Course.label,
                  Course.context_id)
        .outerjoin(observer, observer.id == Observation.observer_id)
        .join(observee, observee.id == Observation.observee_id)
        .join(Course, Course.id == Observation.course_id)
        .where(Observation.id.in_(ids))
    ).all()
    described = {}
    for obs, who_observes, who_is_observed, title, label, context_id in rows:
        course_title = title or label or f"Course {context_id}"
        described[obs.id] = SubjectInfo(
            Subject(services.KIND, obs.id),
            services.observation_title(obs, who_observes, who_is_observed),
            "courses.observations.view",
            {"course_id": obs.course_id, "observation_id": obs.id},
            f"Peer observation · {course_title}",
        )
    return described


OBSERVATION = Kind(
    name=services.KIND, label="observation", model=Observation, rule=observation_rule,
    describe=_describe,
)


# --- "What's new": observations waiting for you ---------------------------------------------


def waiting_condition(person_id: Any) -> sa.ColumnElement[bool]:
    """Observations where the next move is this person's."""
    mine_to_answer = sa.and_(
        Observation.state == State.REQUESTED,
        sa.or_(Observation.observer_id == person_id, Observation.observee_id == person_id),
        sa.or_(Observation.requested_by_id.is_(None), Observation.requested_by_id != person_id),
    )
    return sa.or_(
        mine_to_answer,
        sa.and_(Observation.state == State.SCHEDULED, Observation.observer_id == person_id),
        sa.and_(Observation.state == State.IN_PROGRESS, Observation.observer_id == person_id),
        sa.and_(Observation.state == State.SHARED, Observation.observee_id == person_id),
    )


def _waiting_statement(person_id: Any, platform_id: Any, course_id: Any) -> sa.Select:
    observer = sa.orm.aliased(Person)
    observee = sa.orm.aliased(Person)
    return (
        sa.select(Observation, observer, observee)
        .outerjoin(observer, observer.id == Observation.observer_id)
        .join(observee, observee.id == Observation.observee_id)
        .where(Observation.course_id == course_id, observation_rule(person_id, platform_id),
               waiting_condition(person_id))
        .order_by(Observation.updated_at.desc(), Observation.id.desc())
    )


@dataclass(frozen=True)
class Waiting:
    observation: Observation
    text: str


def waiting_text(obs: Observation, person_id: int, observer: str, observee: str) -> str:
    if obs.state == State.REQUESTED:
        if obs.observer_id == person_id:
            return f"{observee} invites you to observe a lesson"
        return f"{observer} asks to observe your lesson"
    if obs.state == State.SCHEDULED:
        return f"Observe {observee}: start when the lesson begins"
    if obs.state == State.IN_PROGRESS:
        return f"Finish your notes for {observee} and share them"
    return f"Feedback from {observer} is ready: read it and reflect"


def _waiting_items(rows: list[Any]) -> list[Waiting]:
    person_id = g.ctx.person.id
    return [
        Waiting(obs, waiting_text(obs, person_id,
                                  observer.display_name if observer else "A former colleague",
                                  observee.display_name))
        for obs, observer, observee in rows
    ]


WAITING = NewsSection(
    name="observations", order=15, statement=_waiting_statement, load=_waiting_items,
    template="observations/_news.html",
)


# --- the dashboard panel, and the card under a co-planned lesson -----------------------------


def _panel(ctx) -> str:  # type: ignore[no-untyped-def]
    waiting = db.session.scalar(
        sa.select(sa.func.count(Observation.id)).where(
            Observation.course_id == ctx.course.id,
            observation_rule(ctx.person.id, ctx.person.platform_id),
            waiting_condition(ctx.person.id)))
    return render_template("observations/_panel.html", ctx=ctx, waiting=waiting or 0)


PANEL = Panel(name="observations", order=20, render=_panel)


def _plan_card(subject: Subject) -> str | None:
    if subject.kind != services.PLAN_KIND or g.get("ctx") is None:
        return None
    rows = services.plan_observations(subject.id, g.ctx.person)
    if not rows:
        return None
    from lti_tool.observations.export import STATE_LABELS

    return render_template("observations/_plan_card.html", rows=rows, states=STATE_LABELS)


PLAN_CARD = registry.SubjectPanel(name="observations", order=20, render=_plan_card)


# --- deep linking: "start an observation with this form" -----------------------------------


def _form_choices(ctx: Any) -> list[registry.LinkChoice]:
    return [
        registry.LinkChoice(f"observation-form:{row.template.id}",
                            f"Start an observation with “{row.template.name}”",
                            "Observation forms", row.source)
        for row in services.usable_templates(ctx.person)
    ]


def _open_form(ctx: Any, key: str) -> tuple[str, dict[str, Any]] | None:
    template_id = services.parse_id(key)
    if template_id is None or services.usable_template(ctx.person, template_id) is None:
        return None
    return "courses.observations.new", {"template": template_id}


START_WITH_FORM = registry.LinkTarget("observation-form", 40, _form_choices, _open_form)


def init_app(app: Flask) -> None:
    registry.register_link_target(app, START_WITH_FORM)
    registry.register_kind(app, OBSERVATION)
    registry.register_news(app, WAITING)
    registry.register_panel(app, PANEL)
    registry.register_subject_panel(app, PLAN_CARD)
    registry.register_nav(app, NavLink("observations", 20, "Observations",
                                       "courses.observations.index"))
