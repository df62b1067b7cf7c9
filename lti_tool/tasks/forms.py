"""Forms of tasks: Flask-WTF, so every POST carries a CSRF token.

Field rules that depend on the subject (an owner must be able to see it) live
in the services; the views attach the services' messages to these fields, so a
bad value is reported next to its field and everything else typed is kept.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lti_tool.courses.registry import AudienceMember
from lti_tool.tasks.models import TaskStatus
from lti_tool.tasks.services import STATUS_LABELS

STATUS_CHOICES = [SelectChoice(s.value, STATUS_LABELS[s]) for s in TaskStatus]


def optional_id(value: object) -> int | None:
    """"" is nobody; anything that is not a short run of ASCII digits becomes 0 (nobody's id)."""
    if value in (None, ""):
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        return 0
    return int(text)


class TaskForm(FlaskForm):
    title = StringField("Task")
    owner_id = SelectField("Owner", coerce=optional_id, validate_choice=False)
    due_on = DateField("Due date (optional)", validators=[Optional()],
                       format="%Y-%m-%d")
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False,
                         default=TaskStatus.TO_DO.value)
    version = HiddenField()
    next = HiddenField()

    def set_members(self, members: list[AudienceMember]) -> None:
        """Owner choices: nobody yet, then each colleague with their note (strengths)."""
        self.owner_id.choices = [SelectChoice("", "Nobody yet")] + [
            SelectChoice(str(m.id), f"{m.name} — {m.note}" if m.note else m.name)
            for m in members
        ]


class StatusForm(FlaskForm):
    """A task's status from a list (the "mark done" buttons)."""

    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)
    next = HiddenField()

