"""Shared computers: a form left open by the previous person is never saved as the next.

A launch by someone else ends the previous person's session but keeps their name
and form token (:func:`lti_tool.courses.context.start_person_session`). A form
they left open in another tab is then refused, with a page that says who is
signed in now and gives their text back to copy; every page says for a while who
was here before (``base.html``, :func:`~lti_tool.courses.context.identity_switch`).
"""

from __future__ import annotations

import logging

from flask import current_app, render_template, request
from itsdangerous import BadData, URLSafeTimedSerializer

from lti_tool.courses.context import identity_switch
from lti_tool.courses.sessions import token_conflict, token_refused

log = logging.getLogger("lti_tool")

# Fields of a refused form that are not something a person typed.
_NOT_TYPED = frozenset({"csrf_token", "version", "merged_from", "next", "draft_key", "plan_key",
                        "template", "action", "_who", "_st"})


def opened_by_the_previous_person() -> dict[str, object] | None:
    """The identity switch, if the refused form was opened by who had this browser before.

    A launch by someone else ends the previous person's session but keeps their form
    token (``lti_tool.courses.context.start_person_session``): a form posted with it was
    left open in another tab by that person.
    """
    switch = identity_switch()
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    if switch is None or not switch.get("csrf") or not token:
        return None
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    try:
        raw = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token)
    except BadData:
        return None
    return switch if raw == switch["csrf"] else None


def switched_page(switch: dict[str, object]):  # type: ignore[no-untyped-def]
    """409: say who is signed in now, save nothing, and give the text back to copy."""
    log.info("a form left open by the previous person of a shared browser was refused")
    if request.is_json or request.headers.get("X-CSRFToken"):
        return {"error": "signed_in_as_someone_else",
                "current": switch.get("current"), "previous": switch.get("previous")}, 409
    return render_template("errors/switched.html", refused=switch, typed=typed_fields()), 409


def typed_fields() -> list[tuple[str, str]]:
    """What a person typed into the refused form, to give back (nothing for a GET)."""
    if request.method != "POST":
        return []
    return [(name, value) for name, value in request.form.items(multi=True)
            if name not in _NOT_TYPED and value.strip()]


def refused_token_page():  # type: ignore[no-untyped-def]
    """A form sent with a session token that no longer opens its session, if it was one.

    Its CSRF check fails first (the token's session holds the form token): say why,
    and give the text back, rather than "reload the page".
    """
    conflict = token_conflict()
    if conflict is not None:
        return switched_page(conflict)
    if token_refused():
        return render_template("errors/not_launched.html", typed=typed_fields()), 401
    return None
