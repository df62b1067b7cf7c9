"""Discussion views: posting a comment on any object (nested in the course blueprint).

``POST /courses/<cid>/discussion/<kind>/<subject_id>/comments`` (endpoint
``courses.discussion.post``). The thread and its form sit under the object's
page (``templates/discussion/_thread.html``, fed by :func:`discussion_for`); a
refused comment is shown again on this blueprint's own page with the message
next to the field and the text kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from lti_tool.courses import registry
from lti_tool.courses.after_response import after_response
from lti_tool.courses.links import safe_next
from lti_tool.courses.registry import Subject
from lti_tool.db import utcnow
from lti_tool.discussion import services
from lti_tool.discussion.forms import CommentForm

bp = Blueprint("discussion", __name__, url_prefix="/discussion")


@bp.post("/<kind>/<int:subject_id>/comments")
def post(kind: str, subject_id: int):
    subject = Subject(kind, subject_id)
    info = registry.require(subject, g.ctx.person, contribute=True)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(form.next.data, info.url)
    try:
        comment = services.add_comment(subject, g.ctx.person, form.body.data or "")
    except services.CommentError as exc:
        form.body.errors = [exc.message]
        return render_template(
            "discussion/comment_form.html", ctx=g.ctx, subject=info, form=form, back=back,
        ), 422
    flash("Comment posted.", "success")
    return redirect(f"{back.split('#')[0]}#comment-{comment.id}", code=303)


def discussion_for(subject: Subject, *, can_comment: bool | None = None) -> dict[str, Any]:
    """What ``discussion/_thread.html`` shows under an object: its comments and the form.

    Showing the discussion to someone marks their mentions in it as seen, after the
    page is sent: the page never waits for that write, nor fails with it.
    """
    person = g.ctx.person
    members = registry.audience(subject)
    if can_comment is None:
        can_comment = registry.can_see(subject, person, contribute=True)
    form = CommentForm(formdata=None)
    form.next.data = request.path
    # A long discussion opens on its latest comments; ?comments=all shows the earlier ones.
    shown = services.SHOWN if request.args.get("comments") == "all" else services.RECENT
    comments = services.comments_of(subject, members, limit=shown + 1)
    earlier, comments = len(comments) > shown, comments[-shown:]
    # The mentions the page shows are seen, once it is sent.
    after_response(services.mark_mentions_seen, person.id, subject, utcnow(),
                   [c.comment.id for c in comments])
    return {
        "comments": comments,
        "earlier": earlier and shown < services.SHOWN,
        "members": members,
        "form": form,
        "can_comment": can_comment,
        "post_url": url_for(
            "courses.discussion.post", kind=subject.kind, subject_id=subject.id
        ),
    }
