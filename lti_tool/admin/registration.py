"""Registering Staffroom by URL, on the admin page: links, activation, the Moodle values.

Routes added to the admin blueprint (its ``before_request`` requires a logged-in
administrator for each). An administrator makes one-time registration links for an
LMS that opens the registration inside its own page, withdraws unused ones, activates
the registrations LMSs made (they stay pending until then), and reads exactly what to
enter in Moodle when registering by hand.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from lti_tool.admin.forms import ConfirmForm
from lti_tool.admin.views import bp, render_setup, setup_urls
from lti_tool.lti import registrations
from lti_tool.lti.launch import external_url
from lti_tool.registration import invitations


@bp.post("/setup/invitations")
def invitation_new():
    """Make a one-time registration link; it is shown once, on the page that answers."""
    g.admin_section = "admin.setup"
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.setup"), code=303)
    _, token = invitations.create(g.admin.username)
    link = external_url("registration.register", invitation=token)
    return render_setup(new_link=link, status=201)


@bp.post("/setup/invitations/<int:invitation_id>/withdraw")
def invitation_withdraw(invitation_id: int):
    if ConfirmForm().validate_on_submit():
        if invitations.withdraw(invitation_id):
            flash(f"Registration link {invitation_id} withdrawn: it no longer works.", "success")
        else:
            flash(f"Registration link {invitation_id} was used already or is gone.", "error")
    return redirect(url_for("admin.setup"), code=303)


@bp.post("/platforms/<int:platform_id>/activate")
def platform_activate(platform_id: int):
    """Activate a registration an LMS made by dynamic registration: launches work from now."""
    platform = registrations.get_platform(platform_id)
    if platform is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        registrations.activate(platform, f"administrator {g.admin.username}")
        message = f"Platform “{platform.name}” activated: its launches work from now on."
        if not platform.deployments:
            message += " Add the deployment ID the LMS shows before the first launch."
        flash(message, "success")
    return redirect(url_for("admin.index"), code=303)


@bp.get("/setup/moodle")
def setup_moodle():
    """Exactly what to enter in Moodle's "Configure a tool manually" form."""
    g.admin_section = "admin.setup"
    return render_template("admin/setup_moodle.html", urls=setup_urls())
