"""Discussion views: comments on any object (nested in the course blueprint).

``POST /courses/<cid>/discussion/<kind>/<subject_id>/comments`` posts a comment
(endpoint ``courses.discussion.post``); ``GET …/<kind>/<subject_id>/people`` lists,
as JSON, who may be mentioned there (the editor's @ suggestions);
``/discussion/comments/<id>/edit`` and ``…/delete`` let a comment's author change
or remove it. The thread and its form sit under the object's page
(``templates/discussion/_thread.html``, fed by :func:`discussion_for`); a refused
comment, or one naming someone nobody here is called, is shown again on this
blueprint's own page with the text kept.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from lti_tool.courses import registry
from lti_tool.courses.after_response import after_response
from lti_tool.courses.links import safe_next
from lti_tool.courses.registry import Subject, SubjectInfo
from lti_tool.db import utcnow
from lti_tool.discussion import services
from lti_tool.discussion.forms import CommentEditForm, CommentForm, DeleteForm
from lti_tool.discussion.models import Comment
from lti_tool.extensions import db

bp = Blueprint("discussion", __name__, url_prefix="/discussion")


def _unconfirmed(form: CommentForm, members: list[registry.AudienceMember]) -> list[str]:
    """The @names of the text that match nobody and that the author has not confirmed."""
    confirmed = form.confirmed()
    return [name for name in services.unmatched_mentions(form.body.data or "", members)
            if name.casefold() not in confirmed]


@bp.post("/<kind>/<int:subject_id>/comments")
def post(kind: str, subject_id: int):
    subject = Subject(kind, subject_id)
    info = registry.require(subject, g.ctx.person, contribute=True)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(form.next.data, info.url)
    unmatched = _unconfirmed(form, registry.audience(subject))
    if unmatched:
        return _form_page(form, info, back, unmatched=unmatched)
    try:
        comment = services.add_comment(subject, g.ctx.person, form.body.data or "")
    except services.CommentError as exc:
        form.body.errors = [exc.message]
        return _form_page(form, info, back), 422
    flash("Comment posted.", "success")
    return redirect(f"{back.split('#')[0]}#comment-{comment.id}", code=303)


def _form_page(form: CommentForm, info: SubjectInfo, back: str, *, unmatched: list[str] = (),
               comment: Comment | None = None, conflict: Comment | None = None) -> str:
    """The comment on its own page: refused, to confirm, or being edited."""
    if unmatched:
        # Posting again confirms exactly these names; a new unknown name is asked about again.
        form.confirm_unmatched.data = " ".join(sorted(
            {*(form.confirm_unmatched.data or "").split(), *unmatched}))
    return render_template(
        "discussion/comment_form.html", ctx=g.ctx, subject=info, form=form, back=back,
        unmatched=list(unmatched), comment=comment, conflict=conflict,
        people_url=url_for("courses.discussion.people", kind=info.subject.kind,
                           subject_id=info.subject.id),
    )


@bp.get("/<kind>/<int:subject_id>/people")
def people(kind: str, subject_id: int):
    """Who may be mentioned on this object (everyone who may read it), for the editor."""
    subject = Subject(kind, subject_id)
    registry.require(subject, g.ctx.person, contribute=True)
    me = g.ctx.person.id
    return jsonify({"people": [
        {"id": m.id, "name": m.name, "note": m.note, "me": m.id == me}
        for m in registry.audience(subject)
    ]})


def _own_comment(comment_id: int) -> tuple[Comment, SubjectInfo]:
    """The comment, if its object is visible (else 404) and the person wrote it (else 403)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    info = registry.require(Subject(comment.subject_kind, comment.subject_id), g.ctx.person)
    if comment.author_id != g.ctx.person.id:
        abort(403, "Only the author of a comment can change or delete it.")
    return comment, info


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    """The author changes their comment; an edit of an older version is refused, text kept."""
    comment, info = _own_comment(comment_id)
    form = CommentEditForm() if request.method == "POST" else CommentEditForm(formdata=None)
    if request.method == "GET":
        form.body.data = comment.body
        form.version.data = str(comment.version)
        form.next.data = request.args.get("next", "")
        return _form_page(form, info, safe_next(form.next.data, info.url), comment=comment)
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(form.next.data, info.url)
    base = form.version.data or ""
    if not (base.isascii() and base.isdigit() and len(base) <= 9):
        abort(400, "The form did not say which version of the comment it was edited from.")
    subject = Subject(comment.subject_kind, comment.subject_id)
    unmatched = _unconfirmed(form, registry.audience(subject))
    if unmatched:
        return _form_page(form, info, back, unmatched=unmatched, comment=comment)
    try:
        services.edit_comment(comment, g.ctx.person, form.body.data or "", int(base))
    except services.CommentError as exc:
        form.body.errors = [exc.message]
        return _form_page(form, info, back, comment=comment), 422
    except services.StaleCommentError:
        current = db.session.get(Comment, comment_id, populate_existing=True)
        if current is None:
            flash("This comment was deleted meanwhile; your text is below to copy.", "error")
            return _form_page(form, info, back), 409
        form.version.data = str(current.version)
        return _form_page(form, info, back, comment=current, conflict=current), 409
    flash("Comment saved.", "success")
    return redirect(f"{back.split('#')[0]}#comment-{comment_id}", code=303)


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"])
def delete(comment_id: int):
    """The author deletes their comment, after a confirmation page."""
    comment, info = _own_comment(comment_id)
    form = DeleteForm() if request.method == "POST" else DeleteForm(formdata=None)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("discussion/comment_delete.html", ctx=g.ctx, subject=info,
                               form=form, comment=comment,
                               back=safe_next(form.next.data, info.url))
    if not form.validate_on_submit():
        abort(400)
    services.delete_comment(comment, g.ctx.person)
    flash("Comment deleted.", "success")
    return redirect(safe_next(form.next.data, info.url).split("#")[0] + "#discussion-heading",
                    code=303)


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
        "me": person.id,
        "post_url": url_for(
            "courses.discussion.post", kind=subject.kind, subject_id=subject.id
        ),
        "people_url": url_for(
            "courses.discussion.people", kind=subject.kind, subject_id=subject.id
        ),
    }
