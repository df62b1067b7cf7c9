"""Planning rules and queries: spaces and their members."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from lti_tool.courses.models import Course, Person
from lti_tool.extensions import db
from lti_tool.planning.models import MemberStatus, Space, SpaceKind, SpaceMember


def ensure_course_space(course: Course, person: Person | None = None) -> Space:
    """The course's planning space, created on the first staff visit."""
    space = db.session.scalars(db.select(Space).filter_by(course_id=course.id)).first()
    if space is not None:
        return space
    space = Space(
        platform_id=course.platform_id,
        course_id=course.id,
        kind=SpaceKind.COURSE,
        name=course.display_title,
        created_by_id=person.id if person else None,
    )
    db.session.add(space)
    try:
        db.session.commit()
    except IntegrityError:  # another teacher's first visit created it at the same moment
        db.session.rollback()
        return db.session.scalars(db.select(Space).filter_by(course_id=course.id)).one()
    return space


def team_spaces_for(person: Person) -> list[tuple[Space, SpaceMember]]:
    """Team spaces where the person is an active member or has an open invitation."""
    rows = db.session.execute(
        db.select(Space, SpaceMember)
        .join(SpaceMember, SpaceMember.space_id == Space.id)
        .where(
            SpaceMember.person_id == person.id,
            Space.kind == SpaceKind.TEAM,
            SpaceMember.status.in_([MemberStatus.ACTIVE, MemberStatus.INVITED]),
        )
        .order_by(Space.name)
    ).all()
    return [(space, member) for space, member in rows]
