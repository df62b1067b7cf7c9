"""Institution observation forms on the admin page: ``/admin/observation-forms``.

Routes added to the admin blueprint (its ``before_request`` already requires a
logged-in administrator for each of them). An administrator writes the forms the
school's teachers observe with, for every platform of this Staffroom or for one;
starts one from a starter form; edits it (each save is a new version: observations
already made keep theirs); and archives it. Administrators see forms, never
observations: no page of the admin area shows an observation.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from lti_tool.admin.views import bp
from lti_tool.lti import registrations
from lti_tool.observations import services, template_text
from lti_tool.observations.builtin_templates import BUILTIN_TEMPLATES, BY_KEY
from lti_tool.observations.forms import TemplateForm, attach, version_number
from lti_tool.observations.services import ObservationError, StaleVersionError

SECTION = "admin.observation_templates"


class InstitutionTemplateForm(TemplateForm):
    platform_id = SelectField("Available to", validate_choice=False)


def _platform_choices(form: InstitutionTemplateForm) -> None:
    form.platform_id.choices = [SelectChoice("", "Every platform of this Staffroom")] + [
        SelectChoice(str(p.id), p.name) for p in registrations.list_platforms()]


def _platform_id(form: InstitutionTemplateForm) -> int | None:
    raw = form.platform_id.data or ""
    if not raw:
        return None
    platform_id = services.parse_id(raw)
    known = {str(p.id) for p in registrations.list_platforms()}
    if platform_id is None or raw not in known:
        raise ObservationError("Choose a platform from the list", "platform_id")
    return platform_id


@bp.get("/observation-forms")
def observation_templates():
    return render_template(
        "admin/observation_templates.html", templates=services.institution_templates(),
        builtins=BUILTIN_TEMPLATES, platforms={p.id: p.name for p in
                                               registrations.list_platforms()},
        button_form=FlaskForm(),
    )


@bp.route("/observation-forms/new", methods=["GET", "POST"])
def observation_template_new():
    g.admin_section = SECTION
    form = InstitutionTemplateForm()
    _platform_choices(form)
    general: list[str] = []
    if request.method == "GET":
        start = BY_KEY.get(request.args.get("from", ""))
        if start is not None:
            form.name.data = f"{start.name} (our school)"
            form.description.data = start.description
            form.text.data = start.text
    elif form.validate_on_submit():
        try:
            template = services.create_template(
                services.TemplateInput(form.name.data or "", form.description.data or "",
                                       form.text.data or ""),
                None, platform_id=_platform_id(form))
        except ObservationError as exc:
            general = attach(form, exc)
        else:
            flash(f"“{template.name}” is ready: teachers can choose it for their observations.",
                  "success")
            return redirect(url_for("admin.observation_templates"), code=303)
    else:
        abort(400)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/observation_template_form.html", form=form, template=None,
                           general=general, conflict=None), status


@bp.route("/observation-forms/<int:template_id>/edit", methods=["GET", "POST"])
def observation_template_edit(template_id: int):
    g.admin_section = SECTION
    template = services.institution_template(template_id)
    if template is None:
        abort(404)
    latest = services.latest_version(template)
    general: list[str] = []
    conflict = None
    if request.method == "GET":
        form = InstitutionTemplateForm(formdata=None, data={
            "name": template.name, "description": latest.description,
            "text": template_text.render(latest.structure), "version": str(template.version),
            "platform_id": str(template.platform_id or "")})
        _platform_choices(form)
    else:
        form = InstitutionTemplateForm()
        _platform_choices(form)
        if not form.validate_on_submit():
            abort(400)
        base = version_number(form.version.data)
        if base is None:
            abort(400, "The form did not say which version it was edited from.")
        try:
            platform_id = _platform_id(form)
            number = services.edit_template(
                template, services.TemplateInput(form.name.data or "",
                                                 form.description.data or "",
                                                 form.text.data or ""), base, None)
            template.platform_id = platform_id
            services.set_template_archived(template, template.archived)
        except ObservationError as exc:
            general = attach(form, exc)
        except StaleVersionError as exc:
            fresh = services.institution_template(template_id)
            assert fresh is not None
            template = fresh
            conflict = template_text.render(services.latest_version(template).structure)
            form.version.data = str(exc.current_version)
        else:
            flash(f"Saved as version {number}. Observations already made keep the version "
                  "they were made with.", "success")
            return redirect(url_for("admin.observation_templates"), code=303)
    status = 200 if request.method == "GET" else (409 if conflict else 422)
    return render_template("admin/observation_template_form.html", form=form,
                           template=template, general=general, conflict=conflict), status


@bp.post("/observation-forms/<int:template_id>/archive")
def observation_template_archive(template_id: int):
    template = services.institution_template(template_id)
    if template is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    archived = request.form.get("archived") == "1"
    services.set_template_archived(template, archived)
    now = "archived: teachers no longer see it" if archived else "available again"
    flash(f"“{template.name}” is {now}. Observations made with it are unchanged.", "success")
    return redirect(url_for("admin.observation_templates"), code=303)
