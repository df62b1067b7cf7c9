"""The comment form: Flask-WTF, so every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment")
    next = HiddenField()
