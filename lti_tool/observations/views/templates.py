"""Observation forms: the ones a teacher may use, a preview, and their own adapted copies.

A teacher copies a form for one of their planning spaces (a ``space:<id>`` subject
of the registry): whoever may see that space may use and adapt the copy. Editing
makes a new version; observations already made keep the version they pinned.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from wtforms import SelectChoice

from lti_tool.courses.policy import Permission, requires
from lti_tool.observations import services, template_text
from lti_tool.observations.forms import CopyTemplateForm, TemplateForm, attach, version_number
from lti_tool.observations.services import ObservationError, StaleVersionError
from lti_tool.observations.views import bp


@bp.get("/forms")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def templates():
    return render_template("observations/templates.html",
                           rows=services.usable_templates(g.ctx.person))


def _usable(template_id: int) -> services.TemplateRow:
    row = services.usable_template(g.ctx.person, template_id)
    if row is None:
        abort(404)
    return row


def _copy_form(row: services.TemplateRow, form: CopyTemplateForm | None = None
               ) -> CopyTemplateForm:
    form = form or CopyTemplateForm(formdata=None, data={"name": f"{row.template.name} (ours)"})
    form.space_id.choices = [SelectChoice(str(info.subject.id), info.title)
                             for info in services.spaces_for(g.ctx.person)]
    return form


def _template_page(row: services.TemplateRow, form: CopyTemplateForm | None = None,
                   status: int = 200) -> Any:
    return render_template(
        "observations/template.html", row=row, structure=row.latest.structure,
        copy_form=_copy_form(row, form), versions=services.template_versions(row.template),
        editable=services.editable_template(g.ctx.person, row.template.id) is not None,
    ), status


@bp.get("/forms/<int:template_id>")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def template(template_id: int):
    return _template_page(_usable(template_id))


@bp.post("/forms/<int:template_id>/copy")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def copy_template(template_id: int):
    row = _usable(template_id)
    form = _copy_form(row, CopyTemplateForm())
    if not form.validate_on_submit():
        abort(400)
    space_id = services.parse_id(form.space_id.data)
    try:
        services.check_text(form.name.data, "The name", services.NAME_MAX, field="name",
                            required=True)
        if space_id is None:
            raise ObservationError("Choose one of your planning spaces", "space_id")
        copy = services.copy_template(row, g.ctx.person, space_id, form.name.data or "")
    except ObservationError as exc:
        attach(form, exc)
        return _template_page(row, form, status=422)
    flash(f"“{copy.name}” is your copy: adapt it, and your colleagues in the space can use "
          "it too.", "success")
    return redirect(url_for(".edit_template", template_id=copy.id), code=303)


@bp.route("/forms/<int:template_id>/edit", methods=["GET", "POST"])
@requires(Permission.VIEW_COURSE_DASHBOARD)
def edit_template(template_id: int):
    """Adapt a copy; saving makes a new version (observations keep theirs)."""
    row = services.editable_template(g.ctx.person, template_id)
    if row is None:
        abort(404)
    conflict = None
    general: list[str] = []
    if request.method == "GET":
        form = TemplateForm(formdata=None, data={
            "name": row.template.name, "description": row.latest.description,
            "text": template_text.render(row.latest.structure),
            "version": str(row.template.version)})
    else:
        form = TemplateForm()
        if not form.validate_on_submit():
            abort(400)
        base = version_number(form.version.data)
        if base is None:
            abort(400, "The form did not say which version it was edited from.")
        data = services.TemplateInput(form.name.data or "", form.description.data or "",
                                      form.text.data or "")
        try:
            number = services.edit_template(row.template, data, base, g.ctx.person)
        except ObservationError as exc:
            general = attach(form, exc)
        except StaleVersionError as exc:
            fresh = services.editable_template(g.ctx.person, template_id)
            assert fresh is not None
            row = fresh
            conflict = template_text.render(row.latest.structure)
            form.version.data = str(exc.current_version)
        else:
            flash(f"Saved as version {number}. Observations already made keep the version "
                  "they were made with.", "success")
            return redirect(url_for(".template", template_id=template_id), code=303)
    status = 200 if request.method == "GET" else (409 if conflict else 422)
    return render_template("observations/template_form.html", row=row, form=form,
                           conflict=conflict, general=general), status
