"""The plug-in points: what a feature registers so that the shared blocks can serve it.

A feature (planning, observations, notes) owns its tables and its access rule.
The shared blocks (tasks, discussion, search, what's new) know nothing about
those tables: they store a generic reference to a feature's object, a
:class:`Subject` (the feature's *kind* plus the object's id), and ask this
registry, per kind:

* **who may see it**: the kind's rule, one SQLAlchemy condition on the kind's
  table for a person given as ``(person_id, platform_id)``. From that one
  condition come the single-object check (:func:`can_see`), the list filter
  (:func:`visible`, used inside the blocks' own queries) and who may be
  assigned or mentioned (:func:`audience`);
* **what to call it and where it opens**: a batch ``describe`` (one query per
  kind, whatever the number of objects);
* and, feature-wide, its sections of "What's new" (:class:`NewsSection`), its
  panels on the course dashboard (:class:`Panel`), its cards on other features'
  object pages (:class:`SubjectPanel`) and its entries in the course navigation
  (:class:`NavLink`).
* and what a teacher may place in the LMS by deep linking (:class:`LinkTarget`):
  a feature's space, item or starting point, opened when the placed link is launched.

A registry belongs to one Flask application (``app.extensions``): each feature's
``init_app`` registers its kinds, sections and panels, and a test can register
a feature of its own without touching any other code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, has_request_context, url_for
from markupsafe import Markup

from lti_tool.courses.models import Person
from lti_tool.extensions import db

EXTENSION = "staffroom.registry"

# A kind's access rule: given the person as two SQL expressions (bound values for one
# person, or columns of ``person`` for "who"), a condition on the kind's table. A
# subquery inside a rule that compares with the person must say
# ``.correlate_except(<its own table>)``: then, given ``person``'s columns, it refers to
# the person of the enclosing query at any depth (SQLAlchemy's automatic correlation
# reaches one level only), which :func:`derived_audience` relies on.
Rule = Callable[[Any, Any], sa.ColumnElement[bool]]


@dataclass(frozen=True, order=True)
class Subject:
    """A generic reference to one object of a feature: ``plan:12``, ``observation:3``."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Subject | None:
        """``"plan:12"`` -> ``Subject("plan", 12)``; None for anything malformed."""
        kind, sep, number = (text or "").partition(":")
        if not sep or not kind or not number.isascii() or not number.isdigit():
            return None
        if len(number) > 18 or int(number) > 2**31 - 1:
            return None
        return cls(kind, int(number))


@dataclass(frozen=True)
class SubjectInfo:
    """How a list shows an object of a feature: its title, its page, where it lives.

    The page is an endpoint and its values; :attr:`url` builds it when a page needs it
    (inside a request, under the current course's prefix).
    """

    subject: Subject
    title: str
    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    context: str = ""

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **self.values)


@dataclass(frozen=True)
class AudienceMember:
    """Someone who may see an object, with a short note (their strengths, their role)."""

    person: Person
    note: str = ""

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def name(self) -> str:
        return self.person.display_name


@dataclass(frozen=True)
class Kind:
    """One kind of object a feature offers to the shared blocks."""

    name: str
    """Stored in the blocks' tables (``task.subject_kind``): short, stable, lower case."""
    label: str
    """What a person calls it: "plan", "observation"."""
    model: Any
    """The ORM class; its ``id`` is the subject's id."""
    rule: Rule
    """Who may see an object of this kind (see the module docstring)."""
    describe: Callable[[Collection[int]], dict[int, SubjectInfo]]
    """Titles and URLs of many objects, in one query."""
    contribute_rule: Rule | None = None
    """Who may add tasks and comments to it; ``None``: whoever may see it."""
    audience: Callable[[int], list[AudienceMember]] | None = None
    """Who may see one object, sorted by name; ``None``: derived from :attr:`rule`."""
    listed: Callable[[], sa.ColumnElement[bool]] | None = None
    """Which objects lists and search show (not archived, say); ``None``: all it may see."""
    criteria: Callable[[int], list[str]] | None = None
    """What an object sets out to achieve, one point per item (a plan's learning objectives
    and success criteria), for other features to build on (look-fors of an observation)."""


@dataclass(frozen=True)
class NewsSection:
    """One list in "What's new for you" on the course dashboard.

    ``statement(person_id, platform_id, course_id)`` selects the section's items
    (newest first), with the three arguments as SQL expressions (bound parameters).
    It is built once per application and reused for every person: anything that
    changes (today's date) belongs in SQL or in those parameters, not in Python values;
    the panel asks all sections at once whether they have an item (one query), then
    reads only those that do, ``load(rows)`` turning the rows into what
    ``template`` shows as ``items``.

    ``seen(person_id, platform_id, course_id, read_at)``, if given, says what it means
    that the section was shown (planning's changed plans: they are then no longer
    new). It is called after the dashboard's response is sent
    (:mod:`lti_tool.courses.after_response`), with the moment the section was read.
    """

    name: str
    order: int
    statement: Callable[[Any, Any, Any], sa.Select]
    load: Callable[[list[Any]], list[Any]]
    template: str
    seen: Callable[[int, int, int, datetime], None] | None = None


@dataclass(frozen=True)
class Panel:
    """A card on the course dashboard.

    ``render(ctx)`` returns the card's HTML, rendered by a template (autoescaped), or
    None to hide it.
    """

    name: str
    order: int
    render: Callable[[Any], str | None]


@dataclass(frozen=True)
class SubjectPanel:
    """A card another feature adds to an object's page (an observation under its lesson).

    ``render(subject)`` returns the card's HTML (rendered by a template, autoescaped) for
    the person of the request, or None. The page that shows the object includes every
    subject panel without knowing which features registered them.
    """

    name: str
    order: int
    render: Callable[[Subject], str | None]


@dataclass(frozen=True)
class NavLink:
    """An entry of the course area's navigation ("Planning spaces", "My tasks")."""

    name: str
    order: int
    label: str
    endpoint: str


@dataclass(frozen=True)
class LinkChoice:
    """One thing a teacher may place in the LMS: ``target`` is ``<link target>:<key>``."""

    target: str
    title: str
    group: str
    """What the picker lists it under ("Planning", "Observation forms")."""
    note: str = ""
    """A few words under the title (the unit a lesson belongs to)."""


@dataclass(frozen=True)
class LinkTarget:
    """What a feature offers to place in the LMS by deep linking, and how it opens.

    A placed link remembers ``<name>:<key>`` (``plan:12``, ``planning-course:here``).
    ``choices(ctx)`` lists what the person of a course context may place from that
    course (the picker); ``open(ctx, key)`` is the page a launch of the link opens for
    that person, as an endpoint and its values, or None when they may not see it (or
    it is gone). ``home_course(key)``, if given, is the course whose space holds the
    target (a plan of a course space): a link copied into another course with it is a
    course copy (:mod:`lti_tool.courses.targets`). Keys are short text without spaces.
    """

    name: str
    order: int
    choices: Callable[[Any], list[LinkChoice]]
    open: Callable[[Any, str], tuple[str, dict[str, Any]] | None]
    home_course: Callable[[str], int | None] | None = None


@dataclass
class Registry:
    kinds: dict[str, Kind] = field(default_factory=dict)
    news: list[NewsSection] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    nav: list[NavLink] = field(default_factory=list)
    subject_panels: list[SubjectPanel] = field(default_factory=list)
    link_targets: dict[str, LinkTarget] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, Registry())
    app.add_template_global(nav_links, "course_nav_links")
    app.add_template_global(subject_panels, "subject_panels")


def _registry(app: Flask | None = None) -> Registry:
    return (app or current_app).extensions[EXTENSION]


def register_kind(app: Flask, kind: Kind) -> None:
    registry = _registry(app)
    if kind.name in registry.kinds:
        raise ValueError(f"the kind {kind.name!r} is registered already")
    registry.kinds[kind.name] = kind


def register_news(app: Flask, section: NewsSection) -> None:
    registry = _registry(app)
    registry.news.append(section)
    registry.news.sort(key=lambda s: (s.order, s.name))


def register_panel(app: Flask, panel: Panel) -> None:
    registry = _registry(app)
    registry.panels.append(panel)
    registry.panels.sort(key=lambda p: (p.order, p.name))


def register_subject_panel(app: Flask, panel: SubjectPanel) -> None:
    registry = _registry(app)
    registry.subject_panels.append(panel)
    registry.subject_panels.sort(key=lambda p: (p.order, p.name))


def subject_panels(subject: Subject) -> list[Markup]:
    """The cards other features add to this object's page, for the person of the request."""
    # Each card is rendered by its own template, with autoescaping: it is markup already.
    return [
        Markup(html)  # noqa: S704
        for panel in _registry().subject_panels
        if (html := panel.render(subject))
    ]


def register_nav(app: Flask, link: NavLink) -> None:
    registry = _registry(app)
    registry.nav.append(link)
    registry.nav.sort(key=lambda n: (n.order, n.name))


def nav_links() -> list[NavLink]:
    return list(_registry().nav)


def register_link_target(app: Flask, target: LinkTarget) -> None:
    registry = _registry(app)
    if target.name in registry.link_targets or ":" in target.name:
        raise ValueError(f"the link target {target.name!r} is registered already or has a ':'")
    registry.link_targets[target.name] = target


def link_targets() -> list[LinkTarget]:
    return sorted(_registry().link_targets.values(), key=lambda t: (t.order, t.name))


def link_target(target: str | None) -> tuple[LinkTarget, str] | None:
    """``"plan:12"`` -> (the registered ``plan`` link target, ``"12"``); None if unknown."""
    name, sep, key = (target or "").partition(":")
    found = _registry().link_targets.get(name) if sep and key else None
    if found is None or len(target or "") > 100 or not key.isprintable() or " " in key:
        return None
    return found, key


def kinds() -> list[Kind]:
    return list(_registry().kinds.values())


def kind(name: str) -> Kind | None:
    return _registry().kinds.get(name)


def news_sections() -> list[NewsSection]:
    return list(_registry().news)


def panels() -> list[Panel]:
    return list(_registry().panels)


# --- access, from each kind's one rule ---------------------------------------------------


def visible_ids(
    kind_: Kind, person_id: Any, platform_id: Any, *, contribute: bool = False,
    listed_only: bool = False,
) -> sa.Select:
    """``SELECT id`` of the kind's objects this person may see (or contribute to)."""
    rule = (kind_.contribute_rule or kind_.rule) if contribute else kind_.rule
    statement = sa.select(kind_.model.id).where(rule(person_id, platform_id)).correlate_except(
        kind_.model
    )
    if listed_only and kind_.listed is not None:
        statement = statement.where(kind_.listed())
    return statement


def visible(
    kind_column: Any, id_column: Any, person_id: Any, platform_id: Any,
    *, only: Iterable[str] | None = None, listed_only: bool = False,
) -> sa.ColumnElement[bool]:
    """The list filter of the blocks: rows whose subject the person may see.

    ``kind_column`` and ``id_column`` are a block table's generic reference; the
    condition is true only where the kind is registered and its rule admits the
    person (with ``listed_only``, and the kind lists it). Use it inside the block's
    one query, so that nothing a person may not see is ever read.

    Each kind's rule is asked of the row's own object (``EXISTS``, by primary key), not
    of every object the person may see (``IN``): SQLite would otherwise build the whole
    visible set on each query (every note of a school's learners: 20 ms of "My tasks"
    for a teacher with 200 note follow-ups; 5 ms asked row by row, bench/README.md).
    The two columns must belong to a table already in the query's FROM: the ``EXISTS``
    correlates to it and adds no table of its own.
    """
    wanted = set(only) if only is not None else None
    clauses = [
        sa.and_(
            kind_column == k.name,
            visible_ids(k, person_id, platform_id, listed_only=listed_only)
            .where(k.model.id == id_column).exists(),
        )
        for k in kinds()
        if wanted is None or k.name in wanted
    ]
    return sa.or_(*clauses) if clauses else sa.false()


def can_see(subject: Subject, person: Person, *, contribute: bool = False) -> bool:
    """The single-object check: may this person see (or contribute to) this object?"""
    kind_ = kind(subject.kind)
    if kind_ is None:
        return False
    rule = (kind_.contribute_rule or kind_.rule) if contribute else kind_.rule
    found = db.session.execute(
        sa.select(kind_.model.id).where(
            kind_.model.id == subject.id, rule(person.id, person.platform_id)
        )
    ).first()
    return found is not None


def audience(subject: Subject) -> list[AudienceMember]:
    """Everyone who may see the object now, by name: task owners, mentions, "who can see".

    Asked once per request and object: an object's page asks for its tasks' owners and
    for its discussion's mentions.
    """
    asked: dict[Subject, list[AudienceMember]] | None = None
    if has_request_context():
        asked = g.setdefault("_staffroom_audiences", {})
        if subject in asked:
            return list(asked[subject])
    kind_ = kind(subject.kind)
    if kind_ is None:
        return []
    if kind_.audience is not None:
        members = kind_.audience(subject.id)
    else:
        members = derived_audience(kind_, subject.id)
    if asked is not None:
        asked[subject] = list(members)
    return members


def derived_audience(kind_: Kind, subject_id: int) -> list[AudienceMember]:
    """The people the kind's rule admits for one object, straight from the rule.

    The rule is applied with the columns of ``person`` in place of one person's
    values, so "who may see it" can never disagree with "may this person see it".
    Kinds whose audience is long may give a faster query of their own; a test holds
    it equal to this one.
    """
    admitted = sa.select(kind_.model.id).where(
        kind_.model.id == subject_id, kind_.rule(Person.id, Person.platform_id)
    )
    people = db.session.scalars(sa.select(Person).where(admitted.exists())).all()
    members = [AudienceMember(p) for p in people]
    return sorted(members, key=lambda m: (m.name.casefold(), m.id))


def describe(subjects: Iterable[Subject]) -> dict[Subject, SubjectInfo]:
    """Titles and URLs for many subjects: one query per kind among them."""
    by_kind: dict[str, set[int]] = {}
    for subject in subjects:
        by_kind.setdefault(subject.kind, set()).add(subject.id)
    described: dict[Subject, SubjectInfo] = {}
    for name, ids in sorted(by_kind.items()):
        kind_ = kind(name)
        if kind_ is None:
            continue
        for object_id, info in kind_.describe(ids).items():
            described[Subject(name, object_id)] = info
    return described


def require(subject: Subject, person: Person, *, contribute: bool = False) -> SubjectInfo:
    """The object's description if the person may see it (and contribute, when asked).

    404 when they may not see it (an outsider must not learn that it exists), 403
    when they may see but not contribute.
    """
    if not can_see(subject, person):
        abort(404)
    if contribute and not can_see(subject, person, contribute=True):
        abort(403)
    info = describe([subject]).get(subject)
    if info is None:
        abort(404)
    return info
