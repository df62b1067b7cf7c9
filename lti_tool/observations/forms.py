"""Forms of the observation pages. The services check the values; a refusal becomes a
message next to the field it is about (:func:`attach`), and nothing typed is dropped."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lti_tool.observations.services import ObservationError, parse_id


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def attach(form: FlaskForm, error: ObservationError) -> list[str]:
    """Put the service's message on its field; messages without a field are returned."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), error.message]
        return []
    return [error.message]


class RequestForm(FlaskForm):
    as_role = RadioField("What would you like?", choices=[
        SelectChoice("observee", "Invite a colleague to observe one of my lessons"),
        SelectChoice("observer", "Ask a colleague if I may observe one of their lessons"),
    ], validate_choice=False)
    colleague_id = SelectField("Colleague", validate_choice=False)
    template_id = SelectField("Observation form", validate_choice=False)
    lesson_title = StringField("Which lesson")
    lesson_id = SelectField("Co-planned lesson or unit (optional)", validate_choice=False)
    scheduled_on = DateField("Date of the lesson (optional)", validators=[Optional()])
    message = TextAreaField("Message to your colleague (optional)")

    def ids(self) -> dict[str, int | None]:
        """The chosen ids; a lesson that was sent but is no id is 0 (no such lesson)."""
        lesson = self.lesson_id.data or ""
        return {"colleague_id": parse_id(self.colleague_id.data),
                "template_id": parse_id(self.template_id.data),
                "lesson_id": parse_id(lesson) if lesson == "" or parse_id(lesson) else 0}


class FocusForm(FlaskForm):
    lesson_title = StringField("Which lesson")
    scheduled_on = DateField("Date of the lesson (optional)", validators=[Optional()])
    focus = CheckboxesField("Look-fors to focus on", validate_choice=False)
    plan_focus = CheckboxesField("Objectives of the linked plan to add as look-fors",
                                 validate_choice=False)
    focus_note = TextAreaField("What would you like feedback on?")
    version = HiddenField()


class ReflectionForm(FlaskForm):
    reflection = TextAreaField("Your reflection")
    next_steps = TextAreaField("Next steps (one per line)")
    version = HiddenField()


class ShareForm(FlaskForm):
    colleague_id = SelectField("Show this observation to", validate_choice=False)
    version = HiddenField()


class MoveForm(FlaskForm):
    to = HiddenField()
    version = HiddenField()


class CopyTemplateForm(FlaskForm):
    space_id = SelectField("For the planning space", validate_choice=False)
    name = StringField("Name of your copy")


class TemplateForm(FlaskForm):
    name = StringField("Name")
    description = TextAreaField("What the form is for")
    text = TextAreaField("The form")
    version = HiddenField()


def version_number(value: Any) -> int | None:
    return parse_id(value)
