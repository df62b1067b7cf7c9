"""Templates of a space: the built-in ones and those the space saved for itself."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_wtf import FlaskForm

from lti_tool.courses.policy import requires
from lti_tool.planning import services
from lti_tool.planning.builtin_templates import BUILTIN_TEMPLATES
from lti_tool.planning.forms import (
    TemplateForm,
)
from lti_tool.planning.policy import SpacePermission, load_plan
from lti_tool.planning.views import _space, bp
from lti_tool.planning.views.plans import _plan_page

# --- templates ------------------------------------------------------------------------------


@bp.get("/<int:space_id>/templates")
@requires(SpacePermission.VIEW)
def templates(space_id: int):
    return render_template(
        "planning/templates.html",
        space=_space(),
        builtins=BUILTIN_TEMPLATES,
        saved=services.space_templates(_space()),
        button_form=FlaskForm(),
        nav="templates",
    )


@bp.post("/<int:space_id>/templates/<int:template_id>/delete")
@requires(SpacePermission.MANAGE_TEMPLATES)
def delete_template(space_id: int, template_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    template = services.get_space_template(_space(), template_id)
    if template is None:
        abort(404)
    services.delete_template(template)
    flash(f"The template “{template.name}” was deleted. Plans made from it are unchanged.",
          "success")
    return redirect(url_for(".templates", space_id=space_id), code=303)


@bp.post("/<int:space_id>/plans/<int:plan_id>/save-template")
@requires(SpacePermission.MANAGE_TEMPLATES)
def save_template(space_id: int, plan_id: int):
    """Keep this plan's shape as a template of the space."""
    plan = load_plan(g.space, plan_id)
    form = TemplateForm()
    if form.validate_on_submit():
        services.save_as_template(_space(), g.ctx.person, plan, form.name.data)
        flash(f"Saved as the template “{form.name.data}”.", "success")
        return redirect(url_for(".templates", space_id=space_id), code=303)
    return _plan_page(plan, template_form=form), 422


