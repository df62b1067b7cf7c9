"""The comment forms: Flask-WTF, so every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment")
    next = HiddenField()
    # The @names the author confirmed although they match nobody ("@bob @cy").
    confirm_unmatched = HiddenField()

    def confirmed(self) -> set[str]:
        return {name.casefold() for name in (self.confirm_unmatched.data or "").split()
                if name.startswith("@")}


class CommentEditForm(CommentForm):
    body = TextAreaField("Your comment")
    version = HiddenField()


class DeleteForm(FlaskForm):
    next = HiddenField()
