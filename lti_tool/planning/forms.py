"""Forms of the planning pages: each refusal is a message next to the field it is about."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from lti_tool.boundaries import parse_id
from lti_tool.courses.models import Course
from lti_tool.planning.diff import has_conflict_markers
from lti_tool.planning.models import Plan, PlanKind
from lti_tool.planning.services import BODY_MAX_CHARS, OBJECTIVES_MAX_CHARS, PlanData

KIND_LABELS = {
    PlanKind.UNIT: "Unit",
    PlanKind.LESSON: "Lesson",
    PlanKind.MEETING: "PLC meeting",
    PlanKind.PLC_CYCLE: "PLC cycle",
    PlanKind.INQUIRY: "Inquiry cycle",
    PlanKind.NOTE: "Note",
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _newlines(value: Any) -> Any:
    """Browsers send textarea lines as CRLF; store LF so diffs compare like with like."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class PlanForm(FlaskForm):
    title = StringField(
        "Title", filters=[_strip],
        validators=[DataRequired("Give the plan a title"), Length(max=200)],
    )
    kind = SelectField(
        "Kind", choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()]
    )
    starts_on = DateField("Starts on", validators=[Optional()])
    ends_on = DateField("Ends on", validators=[Optional()])
    course_id = SelectField("Course", validate_choice=False)
    parent_id = SelectField("Part of unit", validate_choice=False)
    objectives = TextAreaField(
        "Learning objectives", filters=[_newlines],
        validators=[Length(max=OBJECTIVES_MAX_CHARS)],
    )
    tags = StringField("Standards and tags", filters=[_strip], validators=[Length(max=500)])
    body = TextAreaField(
        "Plan", filters=[_newlines],
        validators=[Length(max=BODY_MAX_CHARS, message=(
            f"The plan is longer than {BODY_MAX_CHARS:,} characters: split it into "
            "lessons or shorten it"
        ))],
    )
    version = HiddenField()
    # Set on the form of a conflict page: the version the teacher's edit started from,
    # so that a refused save of the merge still shows what the colleague changed.
    merged_from = HiddenField()
    draft_key = HiddenField()

    def __init__(self, *args: Any, units: list[Plan] | None = None,
                 courses: list[Course] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._units = {u.id: u for u in units or []}
        self._courses = {c.id: c for c in courses or []}
        self.parent_id.choices = [SelectChoice("", "Not in a unit")] + [
            SelectChoice(str(u.id), u.title) for u in units or []
        ]
        self.course_id.choices = [SelectChoice("", "No particular course")] + [
            SelectChoice(str(c.id), c.display_title) for c in courses or []
        ]

    def validate_ends_on(self, field: DateField) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date is before the start date")

    def validate_body(self, field: TextAreaField) -> None:
        if has_conflict_markers(field.data):
            raise ValidationError(
                "The plan still holds a conflict between the two versions (the lines between "
                "<<<<<<< and >>>>>>>): keep what should stay and remove the markers"
            )

    def validate_parent_id(self, field: SelectField) -> None:
        if field.data in (None, ""):
            return
        if parse_id(str(field.data)) not in self._units:
            raise ValidationError("Choose a unit of this space, or “Not in a unit”")
        if self.kind.data == PlanKind.UNIT:
            raise ValidationError("A unit cannot sit inside another unit")

    def validate_course_id(self, field: SelectField) -> None:
        if field.data in (None, ""):
            return
        if parse_id(str(field.data)) not in self._courses:
            raise ValidationError("Choose one of your courses, or “No particular course”")

    def plan_data(self, fixed_course_id: int | None = None) -> PlanData:
        parent = self.parent_id.data
        course = self.course_id.data
        return PlanData(
            title=self.title.data or "",
            kind=self.kind.data or PlanKind.NOTE,
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            course_id=fixed_course_id if fixed_course_id is not None
            else (int(course) if course else None),
            parent_id=int(parent) if parent and self.kind.data != PlanKind.UNIT else None,
            objectives=self.objectives.data or "",
            tags=self.tags.data or "",
            body=self.body.data or "",
        )

    def base_version(self) -> int | None:
        return _version_number(self.version.data)

    def merged_from_version(self) -> int | None:
        return _version_number(self.merged_from.data)


def _version_number(value: object) -> int | None:
    """A version number sent back by the form, or None when it is not one.

    Only ASCII digits, and not too many: ``"²".isdigit()`` is true, and ``int()``
    would refuse it (a 500 instead of a clear 400).
    """
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


class SpaceForm(FlaskForm):
    name = StringField(
        "Name", filters=[_strip],
        validators=[DataRequired("Give the space a name"), Length(max=200)],
    )
    description = TextAreaField(
        "What this team works on", filters=[_strip], validators=[Length(max=2000)]
    )


class InviteForm(FlaskForm):
    person_ids = SelectMultipleField("Colleagues to invite", coerce=int, validate_choice=False)

    def validate_person_ids(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError("Choose at least one colleague")


class StrengthsForm(FlaskForm):
    strengths = StringField(
        "Your strengths", filters=[_strip], validators=[Length(max=500)]
    )


class TemplateForm(FlaskForm):
    name = StringField(
        "Template name", filters=[_strip],
        validators=[DataRequired("Give the template a name"), Length(max=200)],
    )
