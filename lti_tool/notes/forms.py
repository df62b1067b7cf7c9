"""Forms of the notes pages. The services check the values; nothing typed is dropped."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import Optional

from lti_tool.boundaries import parse_id
from lti_tool.courses.models import Person
from lti_tool.notes.models import CATEGORY_LABELS, VISIBILITY_LABELS
from lti_tool.notes.services import NoteInput


class NoteForm(FlaskForm):
    category = RadioField("Category", choices=[SelectChoice(str(k), v)
                                               for k, v in CATEGORY_LABELS.items()],
                          validate_choice=False)
    body = TextAreaField("Note")
    visibility = RadioField("Who can see it", choices=[SelectChoice(str(k), v)
                                                       for k, v in VISIBILITY_LABELS.items()],
                            validate_choice=False, default="our")
    is_key = BooleanField("Key note: every teacher of this learner must know this "
                          "(an accommodation, say)")
    follow_up = TextAreaField("Follow-up (optional)")
    follow_up_owner_id = SelectField("Who follows up", validate_choice=False)
    follow_up_due = DateField("By when (optional)", validators=[Optional()])
    confirm_shared = BooleanField("I understand: shared notes are education records the "
                                  "learner's family may ask to inspect")
    version = HiddenField()

    def set_staff(self, staff: list[Person]) -> None:
        self.follow_up_owner_id.choices = [SelectChoice("", "Nobody yet")] + [
            SelectChoice(str(p.id), p.display_name) for p in staff]

    def data_input(self) -> NoteInput:
        return NoteInput(
            category=self.category.data or "", body=self.body.data or "",
            visibility=self.visibility.data or "", is_key=bool(self.is_key.data),
            follow_up=self.follow_up.data or "",
            follow_up_owner_id=parse_id(self.follow_up_owner_id.data or "") or (
                -1 if self.follow_up_owner_id.data else None),
            follow_up_due=self.follow_up_due.data)


class ButtonForm(FlaskForm):
    """A button that changes something (open a restricted note, delete): CSRF only."""
