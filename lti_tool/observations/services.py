"""Observation rules and queries: templates, the cycle, the form, reflection, sharing.

Views decide who may act (:mod:`lti_tool.observations.policy`); this module decides
what happens, one transaction per action: a save from a stale version never wins
(``UPDATE … WHERE version = ?``), the search index follows every save, and a
template's versions never change once written.

Everything this package needs from planning (the lesson a plan describes, its
objectives, which plans a teacher may link, which spaces a template may belong
to) comes through the registry, never from planning's tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lti_tool import windows
from lti_tool.courses import registry
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.registry import Subject, SubjectInfo
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.observations import template_text
from lti_tool.observations.builtin_templates import BUILTIN_TEMPLATES
from lti_tool.observations.models import (
    FINISHED_STATES,
    NoteTag,
    Observation,
    ObservationNote,
    ObservationRating,
    ObservationTemplate,
    ObservationTemplateVersion,
    State,
)
from lti_tool.observations.policy import Role, may_move, observation_rule, roles_of
from lti_tool.search import services as search
from lti_tool.tasks.services import TaskInput, create_task

KIND = "observation"  # the registry kind (lti_tool.observations.kinds)
PLAN_KIND = "plan"  # a co-planned lesson or unit, as the registry names it
SPACE_KIND = "space"  # a planning space, owner of a teacher's copy of a template

TITLE_MAX = 200
NAME_MAX = 200
SHORT_TEXT_MAX = 5_000
LONG_TEXT_MAX = 20_000
NOTE_MAX = 10_000
MAX_NOTES = 500
ID_DIGITS = 9  # ids from forms: ASCII digits only, at most this many


class ObservationError(ValueError):
    """A refused action; ``field`` names the input it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleVersionError(Exception):
    """The record moved on since the person loaded it: their save must not overwrite it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"now at version {current_version}")
        self.current_version = current_version


def parse_id(value: Any) -> int | None:
    """An id typed or sent by a form: ASCII digits within range, else None.

    ``"²".isdigit()`` is true and ``int("²")`` fails; a 30-digit number overflows the
    database's integer. Both are "not an id", not a 500.
    """
    text = str(value if value is not None else "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > ID_DIGITS:
        return None
    return int(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: Any, label: str, limit: int, *, field: str | None = None,
               required: bool = False) -> str:
    """Text from a person, as typed, if it can be stored on every database.

    NUL and unpaired surrogates cannot be stored in PostgreSQL text (nor sent as
    UTF-8): they are refused with a message rather than altered silently.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ObservationError(f"{label} must be text", field)
    text = value.replace("\r\n", "\n")
    if "\x00" in text:
        raise ObservationError(f"{label} contains a NUL character: remove it", field)
    if _SURROGATE.search(text):
        raise ObservationError(f"{label} contains characters that are not text", field)
    if len(text) > limit:
        raise ObservationError(
            f"{label} is longer than {limit:,} characters ({len(text):,}): shorten it", field)
    if required and not text.strip():
        raise ObservationError(f"{label} is required", field)
    return text


# --- templates ------------------------------------------------------------------------------


def ensure_builtins() -> dict[str, ObservationTemplate]:
    """The starter templates as rows, created on first use; a changed text adds a version.

    Observations pin a template version by id, so the built-in forms need rows too.
    Two workers creating them at once: the loser's insert fails on the unique key
    and it reads the winner's rows.
    """
    keys = [t.key for t in BUILTIN_TEMPLATES]
    rows = {
        t.builtin_key: (t, v)
        for t, v in db.session.execute(
            sa.select(ObservationTemplate, ObservationTemplateVersion)
            .join(ObservationTemplateVersion, sa.and_(
                ObservationTemplateVersion.template_id == ObservationTemplate.id,
                ObservationTemplateVersion.number == ObservationTemplate.version))
            .where(ObservationTemplate.builtin_key.in_(keys))
        )
    }
    changed = False
    for builtin in BUILTIN_TEMPLATES:
        found = rows.get(builtin.key)
        structure = builtin.structure
        if found is None:
            template = ObservationTemplate(builtin_key=builtin.key, name=builtin.name,
                                           description=builtin.description, version=1)
            db.session.add(template)
            db.session.flush()
            db.session.add(ObservationTemplateVersion(
                template_id=template.id, number=1, name=builtin.name,
                description=builtin.description, structure=structure))
            changed = True
        else:
            template, latest = found
            if (latest.structure != structure or latest.name != builtin.name
                    or latest.description != builtin.description):
                template.version += 1
                template.name, template.description = builtin.name, builtin.description
                db.session.add(ObservationTemplateVersion(
                    template_id=template.id, number=template.version, name=builtin.name,
                    description=builtin.description, structure=structure))
                changed = True
    if changed:
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    return {
        t.builtin_key: t for t in db.session.scalars(
            sa.select(ObservationTemplate).where(ObservationTemplate.builtin_key.in_(keys)))
        if t.builtin_key
    }


def _usable_by(person: Person) -> sa.ColumnElement[bool]:
    """Templates this person may use: built-ins, their institution's, their spaces' copies."""
    return sa.and_(
        ObservationTemplate.archived.is_(False),
        sa.or_(
            ObservationTemplate.builtin_key.is_not(None),
            sa.and_(
                ObservationTemplate.owner_kind.is_(None),
                sa.or_(ObservationTemplate.platform_id.is_(None),
                       ObservationTemplate.platform_id == person.platform_id),
            ),
            registry.visible(ObservationTemplate.owner_kind, ObservationTemplate.owner_id,
                             person.id, person.platform_id, only=[SPACE_KIND]),
        ),
    )


@dataclass(frozen=True)
class TemplateRow:
    template: ObservationTemplate
    latest: ObservationTemplateVersion
    owner: SubjectInfo | None  # the space of a teacher's copy

    @property
    def source(self) -> str:
        if self.template.builtin_key:
            return "Starter form"
        if self.owner is not None:
            return f"Adapted for {self.owner.title}"
        return "Your school's form"


def usable_templates(person: Person) -> list[TemplateRow]:
    """Every template this person may observe with, starters first; three queries at most."""
    ensure_builtins()
    rows = db.session.execute(
        sa.select(ObservationTemplate, ObservationTemplateVersion)
        .join(ObservationTemplateVersion, sa.and_(
            ObservationTemplateVersion.template_id == ObservationTemplate.id,
            ObservationTemplateVersion.number == ObservationTemplate.version))
        .where(_usable_by(person))
    ).all()
    # Starter forms in the order they ship (the non-evaluative one first: the default),
    # then the school's, then the spaces' copies, each by name.
    starters = [t.key for t in BUILTIN_TEMPLATES]
    rows = sorted(rows, key=lambda row: (
        0 if row[0].builtin_key else (2 if row[0].owner_kind else 1),
        starters.index(row[0].builtin_key) if row[0].builtin_key in starters else 0,
        row[0].name.casefold(), row[0].id))
    owners = registry.describe(
        Subject(t.owner_kind, t.owner_id) for t, _ in rows if t.owner_kind and t.owner_id)
    return [
        TemplateRow(t, v, owners.get(Subject(t.owner_kind, t.owner_id))
                    if t.owner_kind and t.owner_id else None)
        for t, v in rows
    ]


def usable_template(person: Person, template_id: int) -> TemplateRow | None:
    return next((r for r in usable_templates(person) if r.template.id == template_id), None)


def editable_template(person: Person, template_id: int) -> TemplateRow | None:
    """A teacher's copy (owned by a space the person may see), which they may edit."""
    row = usable_template(person, template_id)
    if row is None or row.template.owner_kind != SPACE_KIND:
        return None
    return row


def get_version(version_id: int) -> ObservationTemplateVersion | None:
    return db.session.get(ObservationTemplateVersion, version_id)


def latest_version(template: ObservationTemplate) -> ObservationTemplateVersion:
    return db.session.scalars(
        sa.select(ObservationTemplateVersion).where(
            ObservationTemplateVersion.template_id == template.id,
            ObservationTemplateVersion.number == template.version)
    ).one()


def template_versions(template: ObservationTemplate) -> list[ObservationTemplateVersion]:
    return list(db.session.scalars(
        sa.select(ObservationTemplateVersion)
        .where(ObservationTemplateVersion.template_id == template.id)
        .order_by(ObservationTemplateVersion.number.desc())
    ))


@dataclass
class TemplateInput:
    name: str
    description: str
    text: str


def check_template(data: TemplateInput) -> dict[str, Any]:
    """The structure of a template being saved (raises :class:`ObservationError`)."""
    check_text(data.name, "The name", NAME_MAX, field="name", required=True)
    check_text(data.description, "The description", SHORT_TEXT_MAX, field="description")
    text = check_text(data.text, "The form", template_text.TEXT_MAX, field="text",
                      required=True)
    try:
        return template_text.parse(text)
    except template_text.TemplateTextError as exc:
        raise ObservationError(str(exc), "text") from exc


def create_template(data: TemplateInput, author: Person | None, *, platform_id: int | None,
                    owner: Subject | None = None, copied_from: int | None = None
                    ) -> ObservationTemplate:
    """A new template at version 1 (an institution's, or a space's copy)."""
    structure = check_template(data)
    template = ObservationTemplate(
        platform_id=platform_id, owner_kind=owner.kind if owner else None,
        owner_id=owner.id if owner else None, name=data.name.strip(),
        description=data.description.strip(), version=1, copied_from_id=copied_from,
        created_by_id=author.id if author else None,
    )
    db.session.add(template)
    db.session.flush()
    db.session.add(ObservationTemplateVersion(
        template_id=template.id, number=1, name=template.name,
        description=template.description, structure=structure,
        created_by_id=author.id if author else None))
    db.session.commit()
    return template


def edit_template(template: ObservationTemplate, data: TemplateInput, base_version: int,
                  author: Person | None) -> int:
    """Save a new version of the template if it is still at ``base_version``.

    Observations already made keep the version they pinned; only new ones use this.
    """
    structure = check_template(data)
    template_id = template.id
    result = db.session.execute(
        sa.update(ObservationTemplate)
        .where(ObservationTemplate.id == template_id,
               ObservationTemplate.version == base_version)
        .values(version=ObservationTemplate.version + 1, name=data.name.strip(),
                description=data.description.strip(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        current = db.session.scalar(
            sa.select(ObservationTemplate.version).where(ObservationTemplate.id == template_id))
        raise StaleVersionError(current or 0)
    number = base_version + 1
    db.session.add(ObservationTemplateVersion(
        template_id=template_id, number=number, name=data.name.strip(),
        description=data.description.strip(), structure=structure,
        created_by_id=author.id if author else None))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise StaleVersionError(number) from exc
    db.session.refresh(template)
    return number


def set_template_archived(template: ObservationTemplate, archived: bool) -> None:
    template.archived = archived
    db.session.commit()


def spaces_for(person: Person) -> list[SubjectInfo]:
    """The planning spaces this person may see (a copy of a template may belong to one)."""
    kind = registry.kind(SPACE_KIND)
    if kind is None:
        return []
    ids = db.session.scalars(registry.visible_ids(kind, person.id, person.platform_id)).all()
    described = registry.describe(Subject(SPACE_KIND, i) for i in ids)
    return sorted(described.values(), key=lambda info: (info.title.casefold(), info.subject.id))


def copy_template(row: TemplateRow, person: Person, space_id: int, name: str
                  ) -> ObservationTemplate:
    """A teacher's own copy of a template for a planning space they may see."""
    owner = Subject(SPACE_KIND, space_id)
    if not registry.can_see(owner, person):
        raise ObservationError("Choose one of your planning spaces", "space_id")
    data = TemplateInput(name=name, description=row.latest.description,
                         text=template_text.render(row.latest.structure))
    return create_template(data, person, platform_id=person.platform_id, owner=owner,
                           copied_from=row.template.id)


def institution_templates() -> list[tuple[ObservationTemplate, ObservationTemplateVersion]]:
    """What the admin page lists: every institution template, archived ones last."""
    return [
        (t, v) for t, v in db.session.execute(
            sa.select(ObservationTemplate, ObservationTemplateVersion)
            .join(ObservationTemplateVersion, sa.and_(
                ObservationTemplateVersion.template_id == ObservationTemplate.id,
                ObservationTemplateVersion.number == ObservationTemplate.version))
            .where(ObservationTemplate.builtin_key.is_(None),
                   ObservationTemplate.owner_kind.is_(None))
            .order_by(ObservationTemplate.archived, ObservationTemplate.name,
                      ObservationTemplate.id)
        )
    ]


def institution_template(template_id: int) -> ObservationTemplate | None:
    if not 0 < template_id < 2**31:
        return None
    return db.session.scalars(
        sa.select(ObservationTemplate).where(
            ObservationTemplate.id == template_id,
            ObservationTemplate.builtin_key.is_(None),
            ObservationTemplate.owner_kind.is_(None))
    ).first()


# --- people and lessons ---------------------------------------------------------------------


def colleagues(course: Course, person: Person) -> list[Person]:
    """The course's active staff other than this person: whom one may observe or invite."""
    return list(db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id, Membership.is_active_staff(),
               Person.id != person.id)
        .order_by(Person.family_name, Person.name, Person.id)
    ))


def linkable_lessons(person: Person) -> list[SubjectInfo]:
    """Co-planned lessons and units this person may link an observation to (the registry's)."""
    kind = registry.kind(PLAN_KIND)
    if kind is None:
        return []
    ids = db.session.scalars(
        registry.visible_ids(kind, person.id, person.platform_id, listed_only=True)
    ).all()
    described = registry.describe(Subject(PLAN_KIND, i) for i in ids)
    return sorted(described.values(),
                  key=lambda info: (info.context.casefold(), info.title.casefold(),
                                    info.subject.id))


def lesson_subject(observation: Observation) -> Subject | None:
    if observation.lesson_kind and observation.lesson_id:
        return Subject(observation.lesson_kind, observation.lesson_id)
    return None


def lesson_info(observation: Observation, person: Person) -> SubjectInfo | None:
    """The linked lesson, described, if this person may see it."""
    subject = lesson_subject(observation)
    if subject is None or not registry.can_see(subject, person):
        return None
    return registry.describe([subject]).get(subject)


def plan_criteria(observation: Observation, person: Person) -> list[str]:
    """The linked plan's objectives and success criteria, offered as extra look-fors."""
    subject = lesson_subject(observation)
    if subject is None or not registry.can_see(subject, person):
        return []
    kind = registry.kind(subject.kind)
    if kind is None or kind.criteria is None:
        return []
    return [c[:template_text.LINE_MAX] for c in kind.criteria(subject.id)]


# --- starting an observation ----------------------------------------------------------------


@dataclass
class RequestInput:
    """What "invite a colleague" or "ask to observe" sent, typed but not yet checked."""

    as_role: str  # "observee" (invite someone to observe me) or "observer" (ask to visit)
    colleague_id: int | None
    template_id: int | None
    lesson_title: str = ""
    lesson_id: int | None = None
    scheduled_on: date | None = None
    message: str = ""


def request_observation(course: Course, requester: Person, data: RequestInput) -> Observation:
    """A new observation, requested by either side of the pair (raises ObservationError)."""
    if data.as_role not in (Role.OBSERVEE, Role.OBSERVER):
        raise ObservationError("Choose whether you invite an observer or ask to observe",
                               "as_role")
    colleague = next((p for p in colleagues(course, requester) if p.id == data.colleague_id),
                     None)
    if colleague is None:
        raise ObservationError("Choose a colleague from the list", "colleague_id")
    row = usable_template(requester, data.template_id) if data.template_id else None
    if row is None:
        raise ObservationError("Choose a form from the list", "template_id")
    lesson_title = check_text(data.lesson_title, "The lesson", TITLE_MAX, field="lesson_title",
                              required=True).strip()
    message = check_text(data.message, "The message", SHORT_TEXT_MAX, field="message")
    lesson_kind = None
    if data.lesson_id is not None:
        if data.lesson_id < 1 or not registry.can_see(Subject(PLAN_KIND, data.lesson_id),
                                                      requester):
            raise ObservationError("Choose a lesson or unit from the list", "lesson_id")
        lesson_kind = PLAN_KIND
    observer, observee = ((colleague, requester) if data.as_role == Role.OBSERVEE
                          else (requester, colleague))
    observation = Observation(
        platform_id=course.platform_id, course_id=course.id, observer_id=observer.id,
        observee_id=observee.id, requested_by_id=requester.id,
        template_version_id=row.latest.id, state=State.REQUESTED, lesson_title=lesson_title,
        lesson_kind=lesson_kind, lesson_id=data.lesson_id if lesson_kind else None,
        scheduled_on=data.scheduled_on, request_message=message, focus=[], plan_focus=[],
        answers={}, version=1,
    )
    db.session.add(observation)
    db.session.flush()
    index_observation(observation, observer, observee)
    db.session.commit()
    return observation


# --- the cycle ------------------------------------------------------------------------------


def _bump(observation: Observation, base_version: int, **values: Any) -> None:
    """``UPDATE observation SET version = version + 1, … WHERE id = ? AND version = ?``."""
    result = db.session.execute(
        sa.update(Observation)
        .where(Observation.id == observation.id, Observation.version == base_version)
        .values(version=Observation.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        observation_id = observation.id
        db.session.rollback()
        current = db.session.scalar(
            sa.select(Observation.version).where(Observation.id == observation_id))
        raise StaleVersionError(current or 0)


class TransitionRefusedError(Exception):
    """The table does not allow this person to make this move from this state."""


def transition(observation: Observation, person: Person, target: str, base_version: int
               ) -> Observation:
    """Move the observation to ``target`` if the table allows this person to; one commit.

    Starting the lesson lays out the form's look-fors (the focus, or all of them);
    a reflection turns the next steps into the observee's tasks.
    """
    roles = roles_of(observation, person.id)
    if not may_move(roles, observation.state, target):
        raise TransitionRefusedError(f"{observation.state} -> {target}")
    now = utcnow()
    values: dict[str, Any] = {"state": target}
    if target == State.IN_PROGRESS:
        values["started_at"] = now
    elif target == State.SHARED:
        values["shared_at"] = now
    elif target == State.REFLECTED:
        values["reflected_at"] = now
    elif target == State.CLOSED:
        values["closed_at"] = now
    observation_id = observation.id
    _bump(observation, base_version, **values)
    if target == State.IN_PROGRESS:
        _lay_out_ratings(observation)
    db.session.flush()
    fresh = db.session.get(Observation, observation_id, populate_existing=True)
    assert fresh is not None
    if target == State.REFLECTED:
        _next_steps_to_tasks(fresh, person)
    index_observation(fresh)
    db.session.commit()
    return fresh


def chosen_criteria(observation: Observation) -> list[tuple[str, dict[str, Any]]]:
    """The look-fors the observer rates: the focus (all when none was chosen), then the plan's."""
    structure = observation.template_version.structure
    every = template_text.criteria(structure)
    focus = set(observation.focus or [])
    chosen = [(s, c) for s, c in every if not focus or c["key"] in focus]
    keys = {c["key"] for _, c in chosen}
    for text in observation.plan_focus or []:
        key = template_text.criterion_key(text)
        if key not in keys:
            keys.add(key)
            chosen.append(("From the lesson plan",
                           {"key": key, "text": text, "rated": True, "evidence": True}))
    return chosen


def _lay_out_ratings(observation: Observation) -> None:
    existing = set(db.session.scalars(
        sa.select(ObservationRating.criterion_key)
        .where(ObservationRating.observation_id == observation.id)))
    for position, (section, c) in enumerate(chosen_criteria(observation)):
        if c["key"] in existing:
            continue
        db.session.add(ObservationRating(
            observation_id=observation.id, criterion_key=c["key"], section=section[:200],
            criterion=c["text"][:500], rated=bool(c.get("rated", True)),
            has_evidence=bool(c.get("evidence", True)), position=position))


def _next_steps_to_tasks(observation: Observation, author: Person) -> None:
    """Each line of the next steps becomes a task of the observee on this observation."""
    subject = Subject(KIND, observation.id)
    for line in next_step_lines(observation.next_steps):
        create_task(subject, TaskInput(title=line, owner_id=observation.observee_id,
                                       due_on=None, status="todo"), author)


def next_step_lines(text: str) -> list[str]:
    lines = []
    for raw in (text or "").splitlines():
        line = raw.strip().lstrip("-*+").strip()
        if line:
            lines.append(line[:200])
    return lines[:20]


@dataclass
class FocusInput:
    focus: list[str]
    plan_focus: list[str]
    focus_note: str
    lesson_title: str
    scheduled_on: date | None


def save_focus(observation: Observation, person: Person, data: FocusInput, base_version: int,
               offered_plan_criteria: list[str]) -> None:
    """The observee's choice of look-fors before the lesson (and the lesson's details)."""
    keys = {c["key"] for _, c in template_text.criteria(observation.template_version.structure)}
    if any(k not in keys for k in data.focus):
        raise ObservationError("Choose look-fors from the form", "focus")
    if any(text not in offered_plan_criteria for text in data.plan_focus):
        raise ObservationError("Choose objectives from the linked plan", "plan_focus")
    note = check_text(data.focus_note, "What you would like feedback on", SHORT_TEXT_MAX,
                      field="focus_note")
    title = check_text(data.lesson_title, "The lesson", TITLE_MAX, field="lesson_title",
                       required=True).strip()
    _bump(observation, base_version, focus=list(dict.fromkeys(data.focus)),
          plan_focus=list(dict.fromkeys(data.plan_focus)), focus_note=note,
          lesson_title=title, scheduled_on=data.scheduled_on)
    db.session.flush()
    index_observation(db.session.get(Observation, observation.id, populate_existing=True))
    db.session.commit()


# --- the form during the lesson -------------------------------------------------------------


@dataclass
class NoteInput:
    key: str
    tag: str
    body: str
    at: datetime


@dataclass
class FormInput:
    notes: list[NoteInput] = field(default_factory=list)
    ratings: dict[str, tuple[int | None, str]] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)


_NOTE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if not (datetime(2000, 1, 1) <= moment <= datetime(2200, 1, 1)):
        return None
    return moment


def form_input(observation: Observation, payload: Any) -> FormInput:
    """The form's fields from a JSON payload or a posted form, checked (ObservationError)."""
    if not isinstance(payload, dict):
        raise ObservationError("Expected the form's fields")
    keys = {r.criterion_key for r in observation.ratings}
    prompts = {p["key"] for p in observation.template_version.structure.get("prompts", [])}
    data = FormInput()
    notes = payload.get("notes")
    notes = [] if notes is None else notes
    if not isinstance(notes, list) or len(notes) > MAX_NOTES:
        raise ObservationError(f"A lesson holds at most {MAX_NOTES} notes", "notes")
    seen: set[str] = set()
    for item in notes:
        if not isinstance(item, dict):
            raise ObservationError("A note must be an object", "notes")
        key = item.get("key")
        if not isinstance(key, str) or not _NOTE_KEY.match(key) or key in seen:
            raise ObservationError("A note has no usable key", "notes")
        seen.add(key)
        tag = item.get("tag") or NoteTag.NOTE
        if tag not in set(NoteTag):
            raise ObservationError("Tag each note strength, suggestion, question or note",
                                   "notes")
        body = check_text(item.get("body"), "A note", NOTE_MAX, field="notes")
        at = _parse_moment(item.get("at")) or utcnow()
        data.notes.append(NoteInput(key, tag, body, at))
    ratings = payload.get("ratings")
    ratings = {} if ratings is None else ratings
    if not isinstance(ratings, dict):
        raise ObservationError("Ratings must be an object", "ratings")
    for key, value in ratings.items():
        if key not in keys or not isinstance(value, dict):
            raise ObservationError("Rate the look-fors of this observation", "ratings")
        raw = value.get("rating")
        if raw in (None, ""):
            rating = None
        else:
            rating = parse_id(raw)
            if rating is None or rating > len(template_text.SCALE):
                raise ObservationError("Choose a level of the scale, or “not observed”",
                                       f"rating-{key}")
        evidence = check_text(value.get("evidence"), "Evidence", NOTE_MAX,
                              field=f"evidence-{key}")
        data.ratings[key] = (rating, evidence)
    answers = payload.get("answers")
    answers = {} if answers is None else answers
    if not isinstance(answers, dict):
        raise ObservationError("Answers must be an object", "answers")
    for key, value in answers.items():
        if key not in prompts:
            raise ObservationError("Answer the prompts of this form", "answers")
        data.answers[key] = check_text(value, "An answer", LONG_TEXT_MAX, field=f"answer-{key}")
    return data


def save_form(observation: Observation, person: Person, data: FormInput, base_version: int
              ) -> int:
    """The observer's notes, ratings and answers, as the form holds them now; new version.

    The form sends everything it holds, so a note removed in the form goes; a retry
    of a save that arrived already is refused as stale and changes nothing.
    """
    observation_id = observation.id
    answers = {**(observation.answers or {}), **data.answers}
    _bump(observation, base_version, answers=answers)
    existing = {n.client_key: n for n in db.session.scalars(
        sa.select(ObservationNote).where(ObservationNote.observation_id == observation_id))}
    wanted = {n.key for n in data.notes}
    for key, note in existing.items():
        if key not in wanted:
            db.session.delete(note)
    for item in data.notes:
        note = existing.get(item.key)
        if note is None:
            db.session.add(ObservationNote(observation_id=observation_id, client_key=item.key,
                                           tag=item.tag, body=item.body, noted_at=item.at))
        else:
            note.tag, note.body = item.tag, item.body
    if data.ratings:
        rows = {r.criterion_key: r for r in db.session.scalars(
            sa.select(ObservationRating)
            .where(ObservationRating.observation_id == observation_id))}
        for key, (rating, evidence) in data.ratings.items():
            row = rows[key]
            row.rating = rating if row.rated else None
            row.evidence = evidence if row.has_evidence else ""
    db.session.flush()
    fresh = db.session.get(Observation, observation_id, populate_existing=True)
    assert fresh is not None
    index_observation(fresh)
    db.session.commit()
    return fresh.version


# --- after the lesson -----------------------------------------------------------------------


def save_reflection(observation: Observation, person: Person, reflection: str,
                    next_steps: str, base_version: int, *, submit: bool) -> Observation:
    """The observee's reflection and next steps; with ``submit``, the move to "reflected"."""
    reflection = check_text(reflection, "Your reflection", LONG_TEXT_MAX, field="reflection")
    next_steps = check_text(next_steps, "Next steps", SHORT_TEXT_MAX, field="next_steps")
    if submit and not reflection.strip():
        raise ObservationError("Write your reflection before you submit it", "reflection")
    observation_id = observation.id
    _bump(observation, base_version, reflection=reflection, next_steps=next_steps)
    db.session.flush()
    fresh = db.session.get(Observation, observation_id, populate_existing=True)
    assert fresh is not None
    if submit and fresh.state == State.SHARED:
        db.session.commit()
        return transition(fresh, person, State.REFLECTED, fresh.version)
    index_observation(fresh)
    db.session.commit()
    return fresh


def share_with(observation: Observation, observee: Person, course: Course,
               colleague_id: int | None, base_version: int) -> Person | None:
    """The observee shows this observation to one colleague (None: to nobody again)."""
    colleague = None
    if colleague_id is not None:
        colleague = next((p for p in colleagues(course, observee)
                          if p.id == colleague_id and p.id != observation.observer_id), None)
        if colleague is None:
            raise ObservationError("Choose a colleague from the list", "colleague_id")
    _bump(observation, base_version, shared_with_id=colleague.id if colleague else None)
    db.session.commit()
    return colleague


# --- search ---------------------------------------------------------------------------------


def index_observation(observation: Observation | None, observer: Person | None = None,
                      observee: Person | None = None) -> None:
    """The observation's text in the search index, in the saving transaction.

    Before the observer shares it, only what the pair agreed (the lesson, the focus)
    is indexed: the observee must not find the feedback by searching before it is shared.
    """
    if observation is None:
        return
    people = people_by_id([observation.observer_id, observation.observee_id])
    observer = observer or people.get(observation.observer_id or 0)
    observee = observee or people.get(observation.observee_id)
    title = observation_title(observation, observer, observee)
    parts = [observation.lesson_title, observation.focus_note, observation.request_message]
    if observation.state in FINISHED_STATES:
        notes = db.session.scalars(sa.select(ObservationNote.body).where(
            ObservationNote.observation_id == observation.id)).all()
        evidence = db.session.scalars(sa.select(ObservationRating.evidence).where(
            ObservationRating.observation_id == observation.id)).all()
        parts += [*notes, *evidence, *(observation.answers or {}).values(),
                  observation.reflection, observation.next_steps]
    search.index(Subject(KIND, observation.id), title=title, tags="observation",
                 body="\n".join(p for p in parts if p))


def observation_title(observation: Observation, observer: Person | None,
                      observee: Person | None) -> str:
    who = observee.display_name if observee else "a colleague"
    by = observer.display_name if observer else "a former colleague"
    lesson = f": {observation.lesson_title}" if observation.lesson_title else ""
    return f"{who} observed by {by}{lesson}"[:TITLE_MAX]


def people_by_id(ids: Iterable[int | None]) -> dict[int, Person]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(wanted)))}


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationRow:
    observation: Observation
    observer_name: str
    observee_name: str
    template_name: str

    @property
    def id(self) -> int:
        return self.observation.id


def _rows_statement() -> sa.Select:
    observer = sa.orm.aliased(Person)
    observee = sa.orm.aliased(Person)
    return (
        sa.select(Observation, observer, observee, ObservationTemplateVersion.name)
        .outerjoin(observer, observer.id == Observation.observer_id)
        .join(observee, observee.id == Observation.observee_id)
        .join(ObservationTemplateVersion,
              ObservationTemplateVersion.id == Observation.template_version_id)
    )


def _to_rows(result: Iterable[Any]) -> list[ObservationRow]:
    return [
        ObservationRow(o, observer.display_name if observer else "A former colleague",
                       observee.display_name, name)
        for o, observer, observee, name in result
    ]


# The course's list, in four groups by where each observation stands, shown in order.
LIST_GROUPS: dict[str, tuple[State, ...]] = {
    "now": (State.IN_PROGRESS, State.SHARED),
    "coming": (State.REQUESTED, State.SCHEDULED),
    "done": (State.REFLECTED, State.CLOSED),
    "stopped": (State.DECLINED, State.CANCELLED),
}
LIST_SHOWN = 20  # observations of a group at a time


def _list_statement() -> sa.Select:
    """The window of each group, newest first, with each group's size: one statement.

    Every visible observation of the course is numbered within its group (``n``) and
    the group counted (``total``); the rows of each group's window are read, and the
    first of each group too, so that a group's size is known even when the window asked
    for lies beyond its end (that row is not shown).
    """
    group = sa.case(
        *((Observation.state.in_(states), name) for name, states in LIST_GROUPS.items()),
        else_="stopped",
    )
    ranked = (
        sa.select(
            Observation.id.label("id"),
            group.label("grp"),
            sa.func.row_number().over(
                partition_by=group,
                order_by=(Observation.updated_at.desc(), Observation.id.desc()),
            ).label("n"),
            sa.func.count().over(partition_by=group).label("total"),
        )
        .where(Observation.course_id == sa.bindparam("course_id"),
               observation_rule(sa.bindparam("person_id"), sa.bindparam("platform_id")))
        .subquery()
    )
    in_window = sa.or_(*(
        sa.and_(ranked.c.grp == name,
                ranked.c.n > sa.bindparam(f"{name}_from"),
                ranked.c.n <= sa.bindparam(f"{name}_from") + LIST_SHOWN)
        for name in LIST_GROUPS
    ))
    return (
        _rows_statement()
        .add_columns(ranked.c.grp, ranked.c.n, ranked.c.total)
        .join(ranked, ranked.c.id == Observation.id)
        .where(sa.or_(in_window, ranked.c.n == 1))
        .order_by(ranked.c.grp, ranked.c.n)
    )


_LIST = _list_statement()  # built once: the values are bound parameters


def course_observations(course: Course, person: Person,
                        offsets: dict[str, int] | None = None) -> dict[str, windows.Window]:
    """The observations of this course the person may see, a window of each group (the
    first unless ``offsets`` names another): one statement, whatever their number."""
    offsets = {name: (offsets or {}).get(name, 0) for name in LIST_GROUPS}
    params = {"course_id": course.id, "person_id": person.id,
              "platform_id": person.platform_id,
              **{f"{name}_from": offset for name, offset in offsets.items()}}
    rows = db.session.execute(_LIST, params).all()
    items: dict[str, list[ObservationRow]] = {name: [] for name in LIST_GROUPS}
    totals = dict.fromkeys(LIST_GROUPS, 0)
    for *row, grp, n, total in rows:
        totals[grp] = total
        if offsets[grp] < n <= offsets[grp] + LIST_SHOWN:
            items[grp].extend(_to_rows([row]))
    return {name: windows.Window(name, totals[name], offsets[name], LIST_SHOWN, items[name])
            for name in LIST_GROUPS}


def own_observations(person: Person) -> list[ObservationRow]:
    """Every observation the person took part in (observer or observee), oldest first."""
    rows = db.session.execute(
        _rows_statement()
        .where(Observation.platform_id == person.platform_id,
               sa.or_(Observation.observer_id == person.id,
                      Observation.observee_id == person.id))
        .options(sa.orm.selectinload(Observation.template_version))
        .order_by(Observation.created_at, Observation.id)
    ).all()
    return _to_rows(rows)


def plan_observations(plan_id: int, person: Person) -> list[ObservationRow]:
    """Finished observations of a co-planned lesson, for the pair that made them only."""
    rows = db.session.execute(
        _rows_statement()
        .where(Observation.lesson_kind == PLAN_KIND, Observation.lesson_id == plan_id,
               Observation.platform_id == person.platform_id,
               Observation.state.in_(FINISHED_STATES),
               sa.or_(Observation.observer_id == person.id,
                      Observation.observee_id == person.id))
        .order_by(Observation.shared_at.desc(), Observation.id.desc())
    ).all()
    return _to_rows(rows)


def notes_and_ratings(observation_ids: list[int]) -> tuple[
        dict[int, list[ObservationNote]], dict[int, list[ObservationRating]]]:
    """Notes and ratings of many observations: two queries."""
    notes: dict[int, list[ObservationNote]] = {i: [] for i in observation_ids}
    ratings: dict[int, list[ObservationRating]] = {i: [] for i in observation_ids}
    if observation_ids:
        for note in db.session.scalars(
                sa.select(ObservationNote).where(ObservationNote.observation_id.in_(
                    observation_ids)).order_by(ObservationNote.noted_at, ObservationNote.id)):
            notes[note.observation_id].append(note)
        for rating in db.session.scalars(
                sa.select(ObservationRating).where(ObservationRating.observation_id.in_(
                    observation_ids)).order_by(ObservationRating.position,
                                               ObservationRating.id)):
            ratings[rating.observation_id].append(rating)
    return notes, ratings
