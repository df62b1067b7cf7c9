"""What observations add up to, without watching anyone: coverage, growth, aggregates.

* **Coverage** names who has not been observed, or has not observed anyone, this
  term: names only, never what was written.
* **Growth** is a teacher's own ratings over time, per look-for, for that teacher alone.
* **Aggregates** count, per look-for, how many shared observations of a course or of
  the school reached each level; never whose, and only when at least
  :data:`MIN_OBSERVATIONS` observations contribute to the look-for.

"This term" is the school term around today: terms start on the dates
``OBSERVATION_TERM_STARTS`` lists (month-day, default autumn 1 September, spring
1 January, summer 15 April) and run until the next one starts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from lti_tool.observations.models import (
    FINISHED_STATES,
    TOOK_PLACE_STATES,
    Observation,
    ObservationRating,
)
from lti_tool.observations.template_text import RATING_LABELS, SCALE

MIN_OBSERVATIONS = 5
DEFAULT_TERM_STARTS = ("09-01", "01-01", "04-15")


# --- the term -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    starts: date
    ends: date  # the day after the last day

    def contains(self, moment: datetime | date) -> bool:
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.starts <= day < self.ends


def _month_days(setting: object) -> list[tuple[int, int]]:
    values = setting if isinstance(setting, list | tuple) else DEFAULT_TERM_STARTS
    found = []
    for value in values:
        month, _, day = str(value).partition("-")
        try:
            date(2024, int(month), int(day))  # a leap year accepts 02-29
        except ValueError:
            continue
        found.append((int(month), int(day)))
    return sorted(set(found)) or [(9, 1), (1, 1), (4, 15)]


def term_of(today: date, starts: object = None) -> Term:
    """The term that contains ``today``, from the configured term start dates."""
    if starts is None:
        starts = current_app.config.get("OBSERVATION_TERM_STARTS", DEFAULT_TERM_STARTS)
    month_days = _month_days(starts)
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        for month, day in month_days:
            try:
                candidates.append(date(year, month, day))
            except ValueError:  # 29 February in a common year
                candidates.append(date(year, month, 28))
    candidates.sort()
    start = max(d for d in candidates if d <= today)
    end = min(d for d in candidates if d > today)
    return Term(start, end)


# --- coverage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    term: Term
    staff: int
    not_observed: list[str]
    not_observing: list[str]


def coverage(course: Course, today: date) -> Coverage:
    """Which active staff of the course were not observed / observed nobody this term.

    Two queries: the staff, and the pairs of observations of the course that took
    place this term. Only names leave this function.
    """
    term = term_of(today)
    staff = db.session.execute(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id, Membership.is_active_staff())
        .order_by(Person.family_name, Person.name, Person.id)
    ).scalars().all()
    pairs = db.session.execute(
        sa.select(Observation.observer_id, Observation.observee_id).where(
            Observation.course_id == course.id,
            Observation.state.in_(TOOK_PLACE_STATES),
            Observation.started_at >= datetime.combine(term.starts, datetime.min.time()),
            Observation.started_at < datetime.combine(term.ends, datetime.min.time()),
        )
    ).all()
    observed = {observee for _, observee in pairs}
    observing = {observer for observer, _ in pairs}
    return Coverage(
        term=term, staff=len(staff),
        not_observed=[p.display_name for p in staff if p.id not in observed],
        not_observing=[p.display_name for p in staff if p.id not in observing],
    )


# --- growth ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    observation_id: int
    when: datetime
    rating: int  # 1..4

    @property
    def label(self) -> str:
        return RATING_LABELS[self.rating]


@dataclass
class Series:
    criterion: str
    points: list[Point] = field(default_factory=list)


def growth(person: Person) -> list[Series]:
    """The person's own ratings as observee, per look-for (by its words), oldest first.

    "Not observed" and unrated look-fors are left out: they say nothing about growth.
    One query.
    """
    rows = db.session.execute(
        sa.select(ObservationRating.criterion, ObservationRating.rating, Observation.id,
                  Observation.shared_at)
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .where(Observation.observee_id == person.id,
               Observation.platform_id == person.platform_id,
               Observation.state.in_(FINISHED_STATES),
               ObservationRating.rating >= 1)
        .order_by(Observation.shared_at, Observation.id)
    ).all()
    series: dict[str, Series] = {}
    for criterion, rating, observation_id, when in rows:
        series.setdefault(criterion, Series(criterion)).points.append(
            Point(observation_id, when, rating))
    return sorted(series.values(), key=lambda s: (-len(s.points), s.criterion.casefold()))


@dataclass(frozen=True)
class Chart:
    """A small line chart of one series, laid out for an inline SVG (no script, no asset)."""

    width: int
    height: int
    points: list[tuple[float, float, Point]]
    levels: list[tuple[float, str]]  # y and the scale's words, for the axis

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
                        for i, (x, y, _) in enumerate(self.points))


def chart(series: Series, width: int = 320, height: int = 160) -> Chart:
    left, right, top, bottom = 92, 12, 12, 24
    inner_w, inner_h = width - left - right, height - top - bottom
    n = len(series.points)

    def y_of(level: int) -> float:
        return top + inner_h - (level - 1) * inner_h / (len(SCALE) - 1)

    points = []
    for i, point in enumerate(series.points):
        x = left + (inner_w / 2 if n == 1 else i * inner_w / (n - 1))
        points.append((x, y_of(point.rating), point))
    levels = [(y_of(i + 1), label) for i, label in enumerate(SCALE)]
    return Chart(width, height, points, levels)


# --- aggregates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LookForCount:
    criterion: str
    observations: int
    counts: dict[int, int]  # level (0 = not observed) -> how many observations


@dataclass(frozen=True)
class Aggregate:
    scope: str
    observations: int  # shared observations in the scope
    rows: list[LookForCount]  # only look-fors with at least MIN_OBSERVATIONS contributions
    withheld: int  # look-fors seen in fewer observations, not shown


def aggregate(*, course: Course | None = None, platform_id: int | None = None,
              scope: str = "", threshold: int = MIN_OBSERVATIONS) -> Aggregate:
    """Counts per look-for and level over shared observations of a course or a platform.

    Grouped in SQL: no rating of any individual observation is ever read.
    """
    where = [Observation.state.in_(FINISHED_STATES)]
    if course is not None:
        where.append(Observation.course_id == course.id)
    if platform_id is not None:
        where.append(Observation.platform_id == platform_id)
    total = db.session.scalar(
        sa.select(sa.func.count(Observation.id)).where(*where)) or 0
    rows = db.session.execute(
        sa.select(ObservationRating.criterion, ObservationRating.rating,
                  sa.func.count(sa.distinct(ObservationRating.observation_id)))
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .where(*where, ObservationRating.rating.is_not(None))
        .group_by(ObservationRating.criterion, ObservationRating.rating)
    ).all()
    by_criterion: dict[str, dict[int, int]] = defaultdict(dict)
    for criterion, rating, count in rows:
        by_criterion[criterion][rating] = count
    shown, withheld = [], 0
    for criterion, counts in sorted(by_criterion.items(), key=lambda kv: kv[0].casefold()):
        contributing = sum(counts.values())
        if contributing < threshold:
            withheld += 1
            continue
        shown.append(LookForCount(criterion, contributing, counts))
    return Aggregate(scope, total, shown, withheld)
