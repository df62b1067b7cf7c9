"""Forms of tasks and comments: Flask-WTF, so every POST carries a CSRF token.

Field rules that depend on the space (an owner must be a member) live in the
services; the views attach the services' messages to these fields, so a bad
value is reported next to its field and everything else typed is kept.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lti_tool.tasks.models import TaskStatus
from lti_tool.tasks.services import STATUS_LABELS, SpaceMemberInfo

STATUS_CHOICES = [SelectChoice(s.value, STATUS_LABELS[s]) for s in TaskStatus]


def optional_id(value: object) -> int | None:
    """"" is nobody; anything that is not a whole number becomes 0, which no member has."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return 0


class TaskForm(FlaskForm):
    title = StringField("Task")
    owner_id = SelectField("Owner", coerce=optional_id, validate_choice=False)
    due_on = DateField("Due date (optional)", validators=[Optional()],
                       format="%Y-%m-%d")
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False,
                         default=TaskStatus.TO_DO.value)
    plan_id = HiddenField()
    next = HiddenField()

    def set_members(self, members: list[SpaceMemberInfo]) -> None:
        """Owner choices: nobody yet, then each member with their strengths to delegate by."""
        self.owner_id.choices = [SelectChoice("", "Nobody yet")] + [
            SelectChoice(str(m.id), f"{m.name} — strengths: {m.strengths}" if m.strengths
                         else m.name)
            for m in members
        ]


class StatusForm(FlaskForm):
    """A task's status from a list (the "mark done" buttons)."""

    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)
    next = HiddenField()


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment")
    next = HiddenField()
