"""Members of a space: who is in it, their strengths, invitations, leaving."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm

from lti_tool.courses.policy import requires
from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.forms import (
    InviteForm,
    SpaceForm,
    StrengthsForm,
)
from lti_tool.planning.models import SpaceKind, SpaceMember
from lti_tool.planning.policy import SpacePermission
from lti_tool.planning.views import _space, bp


@bp.route("/<int:space_id>/members", methods=["GET", "POST"])
@requires(SpacePermission.VIEW)
def members(space_id: int):
    """Who is in the space, their strengths, open invitations; owners invite from here."""
    space = _space()
    strengths_form = StrengthsForm(
        prefix="profile", strengths=g.space.member.strengths if g.space.member else ""
    )
    invite_form = InviteForm(prefix="invite")
    space_form = SpaceForm(prefix="space", obj=space)
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action == "profile" and strengths_form.validate_on_submit():
            services.save_strengths(space, g.ctx.person, strengths_form.strengths.data)
            flash("Your strengths are saved.", "success")
            return redirect(url_for(".members", space_id=space.id), code=303)
        if action == "invite":
            if not SpacePermission.MANAGE_MEMBERS.granted():
                abort(403)
            if space.kind != SpaceKind.TEAM:
                abort(400)
            if invite_form.validate_on_submit():
                try:
                    invited = services.invite(space, g.ctx.person, invite_form.person_ids.data)
                except services.UnknownPersonError as exc:
                    invite_form.person_ids.errors = [str(exc)]
                else:
                    names = ", ".join(p.display_name for p in invited)
                    flash(f"Invited: {names}. They will see the invitation in Staffroom.",
                          "success")
                    return redirect(url_for(".members", space_id=space.id), code=303)
        if action == "details":
            if not SpacePermission.MANAGE_MEMBERS.granted():
                abort(403)
            if space_form.validate_on_submit():
                services.update_space(space, space_form.name.data, space_form.description.data)
                flash("The space's details are saved.", "success")
                return redirect(url_for(".members", space_id=space.id), code=303)
        if action not in ("profile", "invite", "details"):
            abort(400)
        status = 422
    can_manage = g.space.can(SpacePermission.MANAGE_MEMBERS) and space.kind == SpaceKind.TEAM
    return render_template(
        "planning/members.html",
        space=space,
        members=services.members_of(space),
        invitations=services.pending_invitations(space) if space.kind == SpaceKind.TEAM else [],
        invitable=services.invitable_people(space, g.ctx.person) if can_manage else [],
        can_manage=can_manage,
        strengths_form=strengths_form,
        invite_form=invite_form,
        space_form=space_form,
        button_form=FlaskForm(),
        nav="members",
    ), status


@bp.post("/<int:space_id>/members/<int:member_id>/remove")
@requires(SpacePermission.MANAGE_MEMBERS)
def remove_member(space_id: int, member_id: int):
    """An owner takes a member (or an open invitation) out of a team space."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    member = _team_member(member_id)
    if member.person_id == g.ctx.person.id:
        abort(400)  # owners leave with "Leave this space"
    services.remove_member(_space(), member)
    flash("The member was removed. What they wrote stays in the space.", "success")
    return redirect(url_for(".members", space_id=space_id), code=303)


@bp.post("/<int:space_id>/leave")
@requires(SpacePermission.VIEW)
def leave(space_id: int):
    """A member leaves a team space (course spaces follow the course roster)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if _space().kind != SpaceKind.TEAM or g.space.member is None:
        abort(400)
    services.leave(_space(), g.space.member)
    flash(f"You left “{_space().name}”. What you wrote stays with the team.", "success")
    return redirect(url_for(".index"), code=303)


def _team_member(member_id: int) -> SpaceMember:
    member = db.session.get(SpaceMember, member_id)
    if member is None or member.space_id != _space().id or member.status not in (
        "active", "invited"
    ):
        abort(404)
    return member


