"""The practice LMS's pages and endpoints, under ``/demo`` (development only).

Pages: the course home (``/demo/``), its people (``/demo/people``) and the
Staffroom item of the course navigation (``/demo/staffroom?as=<user id>``),
which frames the tool. Platform endpoints: ``/demo/auth`` (OIDC),
``/demo/token`` and ``/demo/jwks.json``.

There is no sign-in: a visitor chooses whom to be, and the ``as`` parameter
carries that choice from page to page.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from lti_tool.demo import roster
from lti_tool.demo.oidc import (
    STORAGE_TARGET,
    AuthRequestError,
    id_token_claims,
    login_initiation,
    sign_id_token,
    validate_auth_request,
)
from lti_tool.demo.platform import PREFIX, current_endpoints, ensure_registered, public_jwks
from lti_tool.demo.roster import Member
from lti_tool.extensions import csrf

bp = Blueprint("demo", __name__, url_prefix=PREFIX)

# Pages a person looks at: they live on the LMS's own site and keep the registration current.
PAGES = frozenset({"demo.index", "demo.people", "demo.staffroom"})


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


def _page(template: str, status: int = 200, **context):  # type: ignore[no-untyped-def]
    viewer = _viewer()

    def lms_url(endpoint: str) -> str:
        """A link to another LMS page that keeps the chosen person."""
        return url_for(endpoint, **({"as": viewer.user_id} if viewer else {}))

    return (
        render_template(
            template,
            course=roster.COURSE,
            viewer=viewer,
            lms_url=lms_url,
            Role=roster.Role,
            **context,
        ),
        status,
    )


@bp.get("/")
def index():
    """The course home page: what this is, and whom to open Staffroom as."""
    return _page("demo/course.html", featured=roster.featured(), nav="home")


@bp.get("/people")
def people():
    """Everyone enrolled, each with a button to open Staffroom as them."""
    groups = [(role, roster.members(role)) for role in roster.Role]
    return _page("demo/people.html", groups=groups, nav="people")


@bp.get("/staffroom")
def staffroom():
    """The course navigation's Staffroom item: the tool in an iframe, as the chosen person."""
    chosen = request.args.get("as")
    member = roster.find_member(chosen)
    if member is None:
        return _page(
            "demo/choose.html",
            status=404 if chosen else 200,
            featured=roster.featured(),
            unknown=chosen,
            nav="staffroom",
        )
    endpoints = current_endpoints()
    src = endpoints.tool_login_url + "?" + urlencode(login_initiation(endpoints, member))
    return _page("demo/staffroom.html", member=member, frame_src=src, nav="staffroom",
                 tool_origin=endpoints.tool_origin)


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


@bp.post("/token")
@csrf.exempt
def token():
    """The token endpoint the registration needs: the practice LMS offers no services."""
    response = jsonify(
        error="unsupported_grant_type",
        error_description=(
            "The practice LMS offers no LTI Advantage services, so it issues no access tokens."
        ),
    )
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jwks.json")
def jwks():
    """The practice LMS's public key, as any platform publishes it."""
    response = jsonify(public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
