"""The practice LMS's pages and endpoints, under ``/demo`` (development only).

Pages: the course home (``/demo/``), its people (``/demo/people``) and the
Staffroom item of the course navigation (``/demo/staffroom?as=<user id>``),
which frames the tool. Platform endpoints: ``/demo/auth`` (OIDC),
``/demo/token`` (client credentials), ``/demo/jwks.json`` and the courses'
rosters (``/demo/nrps/<context id>/memberships``, Names and Role Provisioning).

There is no sign-in: a visitor chooses whom to be, and the ``as`` parameter
carries that choice from page to page; ``course`` chooses the second course
(the first is the default).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm

from lti_tool.demo import nrps, placed, roster
from lti_tool.demo.oidc import (
    STORAGE_TARGET,
    AuthRequestError,
    id_token_claims,
    login_initiation,
    sign_id_token,
    validate_auth_request,
)
from lti_tool.demo.platform import PREFIX, current_endpoints, ensure_registered, public_jwks
from lti_tool.demo.roster import CourseInfo, Member
from lti_tool.demo.tools import find as find_tool
from lti_tool.extensions import csrf
from lti_tool.lti.nrps import MEMBERSHIP_CONTAINER

bp = Blueprint("demo", __name__, url_prefix=PREFIX)

# Pages a person looks at: they live on the LMS's own site and keep the registration current.
PAGES = frozenset({"demo.index", "demo.people", "demo.staffroom", "demo.change_enrolment",
                   "demo.register_tool"})


@bp.before_request
def on_the_lms_site():  # type: ignore[no-untyped-def]
    """Send visitors of the tool's address to the LMS's own; register the LMS in the tool.

    The course page must be on another site than the tool for the iframe to be
    cross-site, as in a real LMS. Registering on each page view keeps the
    registration right when the port changes, even under plain ``flask run``.
    """
    if request.endpoint not in PAGES:
        return None
    endpoints = current_endpoints()
    if request.host != urlsplit(endpoints.lms_base_url).netloc:
        return redirect(endpoints.lms_base_url + request.full_path.rstrip("?"))
    ensure_registered(endpoints.tool_base_url, endpoints.lms_base_url)
    return None


@bp.after_request
def lms_content_security_policy(response: Response) -> Response:
    """The LMS's own CSP: it frames the tool and posts the launch form to it.

    Set here, so the tool's policy (which allows neither) is not applied to the
    LMS's pages.
    """
    if response.mimetype == "text/html":
        tool = current_endpoints().tool_origin
        response.headers["Content-Security-Policy"] = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'none'",
                f"frame-src 'self' {tool}",
                f"form-action 'self' {tool}",
                "frame-ancestors 'self'",
            ]
        )
    return response


def _viewer() -> Member | None:
    """The person the visitor chose to be (``?as=``), if any."""
    return roster.find_member(request.args.get("as"))


def _course() -> CourseInfo:
    """The course the visitor is in (``?course=``; the first course when not named)."""
    chosen = request.args.get("course")
    course = roster.find_course(chosen) if chosen else roster.COURSE
    if course is None:
        abort(404, description=f"The practice LMS has no course '{chosen}'.")
    return course


def _page(template: str, status: int = 200, **context):  # type: ignore[no-untyped-def]
    viewer = _viewer()
    course = _course()

    def lms_url(endpoint: str, in_course: CourseInfo = course, **extra: str) -> str:
        """A link to another LMS page that keeps the chosen person (and course)."""
        return url_for(endpoint, **roster.page_query(viewer, in_course), **extra)

    def launch_url(member: Member) -> str:
        """The Staffroom item of this course, opened as ``member``."""
        return url_for("demo.staffroom", **roster.page_query(member, course))

    return (
        render_template(
            template,
            course=course,
            courses=roster.COURSES,
            viewer=viewer,
            lms_url=lms_url,
            launch_url=launch_url,
            Role=roster.Role,
            **context,
        ),
        status,
    )


def _featured(course: CourseInfo) -> list[Member]:
    return [m for m in roster.featured(course) if nrps.is_enrolled(m, course)]


@bp.get("/")
def index():
    """The course home page: what this is, whom to open Staffroom as, its Staffroom links."""
    course = _course()
    return _page("demo/course.html", featured=_featured(course), nav="home",
                 links=placed.placed_links(course))


@bp.get("/people")
def people():
    """Everyone enrolled, each with a button to open Staffroom as them (or to remove them)."""
    course = _course()
    enrolments = nrps.enrolments(course)
    groups = [
        (role, [e for e in enrolments if e.member.role is role]) for role in roster.Role
    ]
    return _page("demo/people.html", groups=groups, nav="people", form=FlaskForm())


@bp.post("/people/enrolment")
def change_enrolment():
    """Remove someone from the course, or enrol them again (what a registrar does in an LMS)."""
    course = _course()
    member = roster.find_member(request.form.get("member"))
    if not FlaskForm().validate_on_submit() or member is None or not member.enrolled_in(course):
        abort(400, description="Choose someone enrolled in this course, from the People page.")
    active = request.form.get("enrol") == "1"
    nrps.set_enrolment(member, course, active)
    flash(
        f"{member.name} is enrolled in {course.title} again." if active else
        f"{member.name} was removed from {course.title}; Staffroom learns it at its next "
        "roster sync (or “Refresh roster” on the course dashboard).",
        "success",
    )
    viewer = _viewer()
    return redirect(url_for("demo.people", **roster.page_query(viewer, course)), code=303)


@bp.get("/staffroom")
def staffroom():
    """Staffroom in an iframe, as the chosen person: the course navigation's item, a placed
    link (``link=<id>``), or "Add Staffroom content" (``add=1``, a deep linking request)."""
    course = _course()
    chosen = request.args.get("as")
    member = roster.find_member(chosen)
    if member is None or not nrps.is_enrolled(member, course):
        return _page(
            "demo/choose.html",
            status=404 if chosen else 200,
            featured=_featured(course),
            unknown=chosen,
            nav="staffroom",
        )
    link = None
    if request.args.get("link"):
        link = placed.find_link(request.args.get("link"), course)
        if link is None:
            return _page("demo/no_link.html", status=404, nav="home")
    adding = request.args.get("add") == "1"
    if adding and not member.is_staff:
        return _page("demo/no_link.html", status=403, nav="home", learner=member)
    endpoints = current_endpoints()
    # A tool registered by URL (/demo/register-tool) is launched through its own registration.
    tool = find_tool(request.args.get("tool"), endpoints)
    if tool is None:
        abort(404)
    params = login_initiation(endpoints, member, course, link, deep_linking=adding, tool=tool)
    src = tool.login_url + "?" + urlencode(params)
    return _page("demo/staffroom.html", member=member, frame_src=src, nav="staffroom",
                 link=link, adding=adding, tool_origin=endpoints.tool_origin)


@bp.post("/deep-link-return")
@csrf.exempt
def deep_link_return():
    """The deep linking return URL: check the tool's response JWT, place its links."""
    endpoints = current_endpoints()
    try:
        asked_by, course, items = placed.read_response(request.form.get("JWT", ""), endpoints)
    except placed.DeepLinkResponseError as exc:
        return render_template("demo/deep_link_return.html", error=str(exc), items=[],
                               course_url=endpoints.course_url), 400
    new = placed.place(items, asked_by, course, endpoints)
    return render_template("demo/deep_link_return.html", error=None, items=new,
                           asked_by=asked_by, course_url=endpoints.course_url)


@bp.route("/auth", methods=["GET", "POST"])
@csrf.exempt
def auth():
    """The OIDC auth endpoint: check the tool's request, then POST the id_token back.

    Like Moodle's ``auth.php``, a request that cannot be trusted gets an error
    page (HTTP 400) and is never redirected anywhere.
    """
    source = request.form if request.method == "POST" else request.args
    params = {k: v for k, v in source.items() if isinstance(v, str)}
    endpoints = current_endpoints()
    try:
        auth_request = validate_auth_request(params, endpoints)
    except AuthRequestError as exc:
        return (
            render_template("demo/auth_error.html", error=exc, course_url=endpoints.course_url),
            400,
        )
    id_token = sign_id_token(id_token_claims(auth_request, endpoints))
    return render_template(
        "demo/auth_post.html",
        action=auth_request.redirect_uri,
        id_token=id_token,
        state=auth_request.state,
        member=auth_request.member,
        storage_target=STORAGE_TARGET,
    )


def _service_error(exc: nrps.ServiceRequestError) -> Response:
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    if exc.status == 401 and exc.error != "invalid_client":
        response.headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/token")
@csrf.exempt
def token():
    """The token endpoint: OAuth 2 client credentials with the tool's signed JWT assertion."""
    try:
        answer = nrps.issue_token(request.form, current_endpoints())
    except nrps.ServiceRequestError as exc:
        return _service_error(exc)
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/nrps/<context_id>/memberships")
def memberships(context_id: str):
    """A course's roster (NRPS 2.0 membership container), paged, with a differences link."""
    try:
        nrps.check_bearer(request.headers.get("Authorization"))
        course = roster.find_course(context_id)
        if course is None:
            raise nrps.ServiceRequestError(404, "not_found", f"no course '{context_id}'")
        base_url = nrps.memberships_url(current_endpoints(), course)
        body, link = nrps.membership_page(course, request.args, base_url)
    except nrps.ServiceRequestError as exc:
        return _service_error(exc)
    response = jsonify(body)
    response.content_type = MEMBERSHIP_CONTAINER
    response.headers["Link"] = link
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jwks.json")
def jwks():
    """The practice LMS's public key, as any platform publishes it."""
    response = jsonify(public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
