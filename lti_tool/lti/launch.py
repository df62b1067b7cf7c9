"""OIDC login initiation and id_token launch validation (LTI 1.3 Core + Security Framework).

The four steps of an LTI 1.3 launch (Security Framework §5.1.1):

1. The platform sends a third-party initiated login to ``/lti/login``
   (:func:`begin_login`): we find the registration, then redirect the browser
   to the platform's OIDC auth endpoint with a fresh ``state`` and ``nonce``.
2. The platform authenticates the user and form-POSTs an ``id_token`` and the
   ``state`` to ``/lti/launch``.
3. :func:`validate_launch` checks every line of the checklist (V1–V19) and
   returns a :class:`~lti_tool.lti.context.LaunchContext`.
4. The view records the launch, starts the tool session and answers with the
   landing page (for staff, the course dashboard itself: no extra round trip).

pylti1p3 provides the message flow, the registration interface and the launch
data storage; the checks it leaves out are closed here, each named after its
checklist line: ``aud``/``azp`` (V8), single-use state and nonce bound to each
other (V1, V10), ``target_link_uri`` on our own origin (L5, V14), key refetch
on an unknown ``kid`` (V5), token age (V9).
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import time
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, make_response, render_template, request, url_for
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jws import JWSRegistry
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskCookieService,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.exception import LtiException

from lti_tool.cache import get_cache
from lti_tool.extensions import db
from lti_tool.lti import http, keysets
from lti_tool.lti.context import (
    CLAIM,
    DEEP_LINKING,
    DL_CLAIM,
    MESSAGE_TYPES,
    RESOURCE_LINK,
    LaunchContext,
    PlatformRef,
    build_context,
    product_family,
)
from lti_tool.lti.errors import (
    CookiesBlockedError,
    LaunchError,
    LoginError,
    LtiError,
    PlatformStorageCheck,
)
from lti_tool.lti.models import Platform
from lti_tool.lti.tool_conf import (
    DatabaseToolConf,
    RegisteredPlatform,
    awaiting_activation,
    count_active_registrations,
    find_registration,
    load_registration,
)
from lti_tool.lti.urls import web_origin

log = logging.getLogger("lti_tool.lti")

STATE_COOKIE_PREFIX = "lti1p3"
MAX_DEPLOYMENT_ID_LENGTH = 255
# Ids the tool stores (person.sub, course.context_id) and their column length.
MAX_ID_LENGTH = 255
# Login initiation parameters looked up or carried before anything is verified.
LOGIN_PARAM_LIMITS = {
    "iss": 255, "client_id": 255, "lti_deployment_id": MAX_DEPLOYMENT_ID_LENGTH,
    "login_hint": 2048, "target_link_uri": 2048, "lti_message_hint": 8192,
    "lti_storage_target": 64,
}
# A frame name the platform offers for its client-side storage (LTI postMessage Storage):
# "_parent" or a frame of the parent window, such as Canvas's "post_message_forwarding".
_STORAGE_TARGET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# How long a "open in a new tab" link restarts the same launch, and only once.
RESUME_TTL = 300


def usable_text(value: Any, limit: int) -> bool:
    """A string of 1 to ``limit`` characters with no control characters or lone surrogates."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= limit
        and not any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value)
    )
# How long a launch's id_token body is kept for later service calls (pylti1p3's default).
LAUNCH_DATA_LIFETIME = 86400
RELAUNCH_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)


def tool_origin() -> str:
    """The tool's own origin: ``PUBLIC_BASE_URL`` or, when unset, this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of this tool, as platforms and browsers must use it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _same_origin(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc) and f"{parts.scheme}://{parts.netloc}" == origin


class PartitionedCookieService(FlaskCookieService):
    """pylti1p3's cookie service, with the attributes a cross-site iframe needs.

    Chromium and Safari drop unpartitioned third-party cookies inside a
    cross-site frame; a ``Secure; SameSite=None; Partitioned`` (CHIPS) cookie
    is kept, keyed to the LMS's top-level site. pylti1p3 only sets these over
    HTTPS; a development server on http://127.0.0.1 needs them too (browsers
    accept Secure cookies from loopback hosts).
    """

    def update_response(self, response):  # type: ignore[no-untyped-def]
        for key, data in self._cookie_data_to_set.items():
            response.set_cookie(
                key,
                data["value"],
                max_age=data["exp"],
                path="/lti/",
                secure=True,
                httponly=True,
                samesite="None",
                partitioned=True,
            )


class _LaunchDataStorage(FlaskCacheDataStorage):
    """Launch data in the shared cache, keyed by the random launch id.

    The launch id is only ever known to the tool session that owns it, so no
    second session cookie is needed.
    """

    def get_session_cookie_name(self) -> None:
        return None

    def save_once(
        self, launch_id: str, body: dict[str, Any], lifetime: int, spend: str, spend_ttl: int
    ) -> bool:
        """Spend the key ``spend`` and store the launch data, in one atomic step.

        False, and nothing stored, when ``spend`` was already spent (a replay).
        """
        return self._get_cache().add_and_set(
            spend, 1, spend_ttl, self._prepare_key(launch_id), body, lifetime
        )


def launch_data_storage() -> _LaunchDataStorage:
    return _LaunchDataStorage(get_cache())


# --------------------------------------------------------------------------- login


class StaffroomOIDCLogin(FlaskOIDCLogin):
    """Step 1: checks L2–L5, then redirects with state and nonce (L6, L7)."""

    def __init__(self, params: dict[str, str]) -> None:
        self._params = params
        super().__init__(
            FlaskRequest(),
            DatabaseToolConf(),
            cookie_service=PartitionedCookieService(FlaskRequest()),
        )

    def _get_request_param(self, key: str) -> str:
        return self._params.get(key, "")

    def validate_oidc_login(self) -> RegisteredPlatform:  # type: ignore[override]
        params = self._params
        missing = [k for k in ("iss", "login_hint", "target_link_uri") if not params.get(k)]
        if missing:
            raise LoginError(
                "L2",
                "the login initiation from the LMS is missing "
                + ", ".join(f"'{m}'" for m in missing)
                + ": check that the tool is set up as LTI 1.3 in the LMS",
            )
        for name, limit in LOGIN_PARAM_LIMITS.items():
            value = params.get(name)
            if value is not None and not usable_text(value, limit):
                raise LoginError(
                    "L2",
                    f"the login initiation's '{name}' is longer than {limit} characters or "
                    "holds control characters: check the tool's set-up in the LMS",
                )
        iss, client_id = params["iss"], params.get("client_id") or None
        deployment_id = params.get("lti_deployment_id")
        platform, deployment_pk = find_registration(iss, client_id, deployment_id)
        if platform is None and not client_id and count_active_registrations(iss) > 1:
            raise LoginError(
                "L3",
                f"several platform registrations have issuer '{iss}', and this login "
                "initiation names no client_id"
                + (f" and no deployment id that only one of them has ('{deployment_id}')"
                   if deployment_id else " and no deployment id")
                + ": set the LMS to send client_id (LTI 1.3 login initiation), or add the "
                "deployment id to the right registration on the admin page",
                iss=iss,
            )
        if platform is None and awaiting_activation(iss, client_id):
            raise LoginError(
                "L3",
                f"the LMS registered Staffroom (issuer '{iss}'"
                + (f", client_id '{client_id}'" if client_id else "")
                + ") by dynamic registration, and the registration waits for a Staffroom "
                "administrator to activate it: ask them to press Activate on the Platforms "
                "page of Staffroom's admin area",
                status=403,
                iss=iss,
                client_id=client_id or "",
            )
        if platform is None:
            what = f"issuer '{iss}'" + (f" with client_id '{client_id}'" if client_id else "")
            raise LoginError(
                "L3",
                f"there is no active platform registration for {what}: "
                "add it on the tool's admin page",
                iss=iss,
                client_id=client_id or "",
            )
        if deployment_id and deployment_pk is None:
            raise LoginError(
                "L4",
                f"unknown deployment id '{deployment_id}' for platform '{platform.name}': "
                "add it on the admin page",
                iss=iss,
                client_id=platform.client_id,
                deployment_id=deployment_id,
            )
        target = params["target_link_uri"]
        if not _same_origin(target, tool_origin()):
            raise LoginError(
                "L5",
                f"the target_link_uri '{target}' is not on this tool's address "
                f"({tool_origin()}): set the tool's URLs in the LMS to this tool",
                iss=iss,
                client_id=platform.client_id,
            )
        return platform

    def _prepare_redirect_url(self, launch_url: str) -> str:
        platform = self.validate_oidc_login()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        record: dict[str, Any] = {
            "nonce": nonce,
            "platform_id": platform.id,
            "target_link_uri": self._params["target_link_uri"],
            "created": int(time.time()),
            # To restart this login in a new window if the frame's cookies are blocked.
            "login": {k: self._params[k] for k in RELAUNCH_PARAMS if self._params.get(k)},
        }
        self.storage = platform_storage(self._params, platform)
        if self.storage:
            record["storage"] = self.storage
        self.state, self.nonce = state, nonce
        get_cache().set("lti-state:" + state, record, current_app.config["LTI_STATE_TTL"])
        self._cookie_service.set_cookie(state, state, current_app.config["LTI_STATE_TTL"])
        auth_params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": launch_url,
            "login_hint": self._params["login_hint"],
            "state": state,
            "nonce": nonce,
        }
        if self._params.get("lti_message_hint"):
            auth_params["lti_message_hint"] = self._params["lti_message_hint"]
        sep = "&" if "?" in platform.auth_login_url else "?"
        # DEBUG: the launch that follows logs at INFO; a refused one logs a warning.
        log.debug(
            "lti login iss=%s client_id=%s deployment_id=%s",
            platform.issuer,
            platform.client_id,
            self._params.get("lti_deployment_id", ""),
        )
        return platform.auth_login_url + sep + urlencode(auth_params)


def platform_storage(params: dict[str, str], platform: RegisteredPlatform) -> dict[str, str] | None:
    """The platform's client-side storage for this login, if it offers one (checklist P1).

    Offered by the ``lti_storage_target`` login parameter; the messages go to the
    origin of the platform's OIDC auth endpoint, never to ``*`` (P2).
    """
    target = params.get("lti_storage_target") or ""
    origin = web_origin(platform.auth_login_url)
    if not _STORAGE_TARGET.match(target) or origin is None:
        return None
    return {"target": target, "origin": origin}


def begin_login(params: dict[str, str]):  # type: ignore[no-untyped-def]
    """Answer a login initiation with the redirect to the platform (a Flask response).

    When the platform offers client-side storage, the answer is instead a page that
    stores the state and nonce there (``lti.put_data``) and then goes on to the
    platform: the launch can then be checked where the browser blocks the state
    cookie. The cookie is set all the same, and stays the first proof the launch
    looks for.
    """
    login = StaffroomOIDCLogin(params)
    url = login._prepare_redirect_url(external_url("lti.launch"))
    if login.storage:
        response = make_response(render_template(
            "lti/platform_storage.html", mode="put", next_url=url, storage=login.storage,
            state=login.state, nonce=login.nonce,
        ))
    else:
        response = make_response("", 302)
        response.headers["Location"] = url
    login._cookie_service.update_response(response)
    return response


def resume_handle(login: dict[str, str]) -> str:
    """A one-time, short-lived handle that starts ``login`` again (in a new tab)."""
    handle = secrets.token_urlsafe(24)
    get_cache().set("lti-resume:" + handle, login, RESUME_TTL)
    return handle


def resume_login(handle: str):  # type: ignore[no-untyped-def]
    """Start again, once, the login a handle names; None if it was used or has expired.

    A top-level tab has the tool's cookies, so the new login binds its state with
    the cookie as usual: the platform's storage (a frame's) is not asked there.
    """
    login = get_cache().pop("lti-resume:" + handle) if len(handle) <= 64 else None
    if not isinstance(login, dict):
        return None
    return begin_login({k: v for k, v in login.items() if k != "lti_storage_target"})


# --------------------------------------------------------------------------- launch


_UNUSED_REQUESTS_SESSION = http.session()


class _IdTokenRegistry(JWSRegistry):
    """What joserfc accepts of an id_token: RS256, any header member, and any size a
    form field may have (Flask's ``MAX_FORM_MEMORY_SIZE`` bounds it), as platforms
    send them.

    joserfc's defaults refuse header members it does not know (vendors add their
    own) and payloads over 128 kB (custom claims can be long). ``crit`` and
    ``b64`` are refused before (V4), so every header member left is informative.
    """

    max_header_length = 16_384
    max_payload_length = 4_000_000
    max_signature_length = 2_048


_ID_TOKEN_REGISTRY = _IdTokenRegistry(algorithms=["RS256"], strict_check_header=False)


class StaffroomMessageLaunch(FlaskMessageLaunch):
    """Steps 2–3: every check of the launch, in an order that touches nothing on failure."""

    platform: RegisteredPlatform
    _deployment_pk: int | None  # the deployment the id_token names, if registered (V13)
    _registration: RegisteredPlatform | None = None  # once found, named in refusal logs

    def __init__(self, form: dict[str, str]) -> None:
        self._form = form
        flask_request = FlaskRequest()
        self._launch_data_storage = launch_data_storage()
        super().__init__(
            flask_request,
            DatabaseToolConf(),
            cookie_service=PartitionedCookieService(flask_request),
            launch_data_storage=self._launch_data_storage,
            # pylti1p3 would build a requests session per launch; it fetches nothing here
            # (key sets come from lti_tool.lti.keysets), so one shared session will do.
            requests_session=_UNUSED_REQUESTS_SESSION,
        )
        self._launch_id = "lti1p3-launch-" + uuid.uuid4().hex

    def _get_request_param(self, key: str) -> str:
        return self._form.get(key, "")

    def validate(self) -> StaffroomMessageLaunch:
        record = self._validate_state()
        self._validate_format()
        self._validate_header()
        body = self._jwt["body"]
        if not isinstance(body, dict):
            raise LaunchError("V2", "the id_token payload is not a JSON object")
        try:
            self.platform = self._validate_registration(body, record)
            self._validate_signature_and_claims(body)
            self._validate_nonce(body, record)
            self._validate_message(body, record)
            self._spend_nonce_and_save(body)
        except LtiError as exc:
            self._name_the_registration_in(exc, body)
            raise
        self._validated = True
        return self

    def _name_the_registration_in(self, exc: LtiError, body: dict[str, Any]) -> None:
        """V20: once the registration is known, every refusal's log line names it."""
        platform = self._registration
        if platform is not None:
            exc.log.setdefault("iss", platform.issuer)
            exc.log.setdefault("client_id", platform.client_id)
        deployment_id = body.get(CLAIM + "deployment_id")
        if isinstance(deployment_id, str) and deployment_id:
            exc.log.setdefault("deployment_id", deployment_id[:MAX_DEPLOYMENT_ID_LENGTH])

    # V1
    def _validate_state(self) -> dict[str, Any]:
        state = self._form.get("state")
        if not state:
            raise LaunchError("V1", "the launch has no 'state': start it again from the LMS",
                              status=401)
        cookie = self._cookie_service.get_cookie(state)
        if cookie is None:
            self._check_platform_storage(state)
        elif not secrets.compare_digest(cookie, state):
            raise LaunchError("V1", "the launch 'state' does not match this browser's login",
                              status=401)
        record = get_cache().pop("lti-state:" + state)
        if record is None:
            raise LaunchError(
                "V1",
                "this launch has expired or was already used: open Staffroom again from the LMS",
                status=401,
            )
        return record

    # V1 without the cookie: P1-P3
    def _check_platform_storage(self, state: str) -> None:
        """The state and nonce this browser's platform storage holds must be the login's.

        Only the tool's own page in the frame asks the platform for them
        (``lti.get_data``, answered by the platform's origin alone) and posts them
        back here: a POST with them from anywhere but this tool's origin is refused,
        so another site cannot claim a check that never ran in this browser.
        Without a storage, or when it did not answer, the launch is offered in a
        new tab (where the tool's cookies work).
        """
        pending = get_cache().get("lti-state:" + state) or {}
        storage = pending.get("storage")
        if storage and not self._form.get("lti_storage_check"):
            raise PlatformStorageCheck(storage, state, pending["nonce"], self._form)
        if storage and (self._form.get("lti_storage_state") or self._form.get("lti_storage_nonce")):
            if request.headers.get("Origin") != tool_origin():
                raise LaunchError(
                    "P3", "the platform storage check was not sent by this tool's own page",
                    status=401,
                )
            if not secrets.compare_digest(self._form.get("lti_storage_state", ""), state):
                raise LaunchError(
                    "P3", "the state in the LMS's storage is not the one of this launch",
                    status=401,
                )
            if not secrets.compare_digest(
                self._form.get("lti_storage_nonce", ""), str(pending["nonce"])
            ):
                raise LaunchError(
                    "P3", "the nonce in the LMS's storage is not the one issued at login",
                    status=401,
                )
            return
        login = pending.get("login")
        raise CookiesBlockedError(
            "P3" if storage else "V1",
            ("the LMS's storage did not confirm this launch" if storage else
             "this browser did not send back the tool's login cookie")
            + ", so the launch cannot be trusted; open Staffroom in a new tab, "
            "or allow cookies for it",
            relaunch_url=external_url("lti.resume", handle=resume_handle(login)) if login else None,
        )

    # V2
    def _validate_format(self) -> None:
        if not self._form.get("id_token"):
            raise LaunchError("V2", "the launch has no id_token")
        try:
            self.validate_jwt_format()
        except LtiException as exc:
            raise LaunchError(
                "V2", "the id_token is not a JSON Web Token (three base64url JSON parts)"
            ) from exc

    # V3, V4
    def _validate_header(self) -> None:
        header = self._jwt.get("header")
        if not isinstance(header, dict):
            raise LaunchError("V2", "the id_token header is not a JSON object")
        if not header.get("kid"):
            raise LaunchError("V3", "the id_token header has no key id (kid)", status=401)
        if header.get("alg") != "RS256":
            raise LaunchError(
                "V4", f"the id_token is signed with '{header.get('alg')}'; LTI requires RS256",
                status=401,
            )
        extensions = sorted({"crit", "b64"} & header.keys())
        if extensions:
            # An unencoded payload (RFC 7797) would be signed as other bytes than the
            # claims read here; no LMS uses these extensions in an id_token.
            raise LaunchError(
                "V4", f"the id_token header uses {', '.join(extensions)}, which LTI does not",
                status=401,
            )

    # V7, V8 (which registration; aud/azp)
    def _validate_registration(
        self, body: dict[str, Any], record: dict[str, Any]
    ) -> RegisteredPlatform:
        # The same query finds the deployment the token names, for the V13 check later:
        # it is only looked up here, and trusted only once every check before V13 passed.
        claim = body.get(CLAIM + "deployment_id")
        # Not yet signature-checked: only a value the column could hold is looked up.
        wanted = claim if usable_text(claim, MAX_DEPLOYMENT_ID_LENGTH) else ""
        platform, self._deployment_pk = load_registration(record.get("platform_id") or 0, wanted)
        self._registration = platform
        if platform is None or not platform.active:
            raise LaunchError("V7", "the platform of this login is no longer registered")
        iss = body.get("iss")
        if iss != platform.issuer:
            raise LaunchError(
                "V7",
                f"the id_token issuer '{iss}' is not the issuer of the platform the login "
                f"came from ('{platform.issuer}')",
                status=401,
                iss=str(iss),
                client_id=platform.client_id,
            )
        aud = body.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if platform.client_id not in audiences:
            raise LaunchError(
                "V8",
                f"the id_token audience (aud) does not contain this tool's client_id "
                f"'{platform.client_id}' for platform '{platform.name}'",
                status=401,
                iss=platform.issuer,
                client_id=platform.client_id,
            )
        azp = body.get("azp")
        if len(audiences) > 1 and azp is None:
            raise LaunchError(
                "V8", "the id_token has several audiences but no authorized party (azp)",
                status=401,
            )
        if azp is not None and azp != platform.client_id:
            raise LaunchError(
                "V8",
                f"the id_token authorized party (azp) '{azp}' is not this tool's client_id "
                f"'{platform.client_id}'",
                status=401,
            )
        extra = set(audiences) - {platform.client_id}
        if extra:
            trusted = {
                p.client_id
                for p in db.session.scalars(
                    db.select(Platform).filter_by(issuer=platform.issuer, active=True)
                )
            }
            if not extra <= trusted:
                raise LaunchError(
                    "V8", "the id_token names audiences this tool does not trust", status=401
                )
        return platform

    # V5, V6, V9
    def _validate_signature_and_claims(self, body: dict[str, Any]) -> None:
        key = keysets.verification_key(self.platform, self._jwt["header"]["kid"])
        try:
            jwt.decode(self._get_id_token(), key, registry=_ID_TOKEN_REGISTRY)
        except BadSignatureError as exc:
            raise LaunchError("V6", "the id_token signature is not valid", status=401) from exc
        except JoseError as exc:
            raise LaunchError(
                "V6", f"the id_token cannot be verified ({exc.__class__.__name__})", status=401
            ) from exc
        self._validate_times(body)

    # V9
    def _validate_times(self, body: dict[str, Any]) -> None:
        """exp, iat (and nbf if present), with the configured clock leeway.

        The body is the one whose signature was just verified: pylti1p3 decoded the
        same bytes (V2) that joserfc verified.
        """
        leeway = current_app.config["LTI_CLOCK_LEEWAY"]
        now = time.time()
        times = {}
        for claim in ("exp", "iat", "nbf"):
            value = body.get(claim)
            if value is None:
                if claim != "nbf":
                    raise LaunchError("V9", f"the id_token has no '{claim}' claim", status=401)
                continue
            try:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError(claim)
                seconds = float(value)
                if not math.isfinite(seconds):
                    raise ValueError(claim)
            except (TypeError, ValueError, OverflowError) as exc:
                raise LaunchError(
                    "V9", f"the id_token's '{claim}' claim is not a time (seconds)", status=401
                ) from exc
            times[claim] = seconds
        if times["exp"] <= now - leeway:
            raise LaunchError(
                "V9", "the id_token has expired (check the LMS server's clock)", status=401
            )
        if times["iat"] > now + leeway or times.get("nbf", now) > now + leeway:
            raise LaunchError(
                "V9", "the id_token was issued in the future (check the LMS server's clock)",
                status=401,
            )
        age = now - times["iat"]
        if age > current_app.config["LTI_MAX_TOKEN_AGE"] + leeway:
            raise LaunchError(
                "V9", f"the id_token was issued {int(age)} seconds ago, which is too old",
                status=401,
            )

    # V10
    def _validate_nonce(self, body: dict[str, Any], record: dict[str, Any]) -> None:
        nonce = body.get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchError("V10", "the id_token has no nonce", status=401)
        if not secrets.compare_digest(nonce, record["nonce"]):
            raise LaunchError(
                "V10", "the id_token nonce is not the one issued at login", status=401
            )

    # V10 (single use), once every other check has passed
    def _spend_nonce_and_save(self, body: dict[str, Any]) -> None:
        """Spend the nonce and keep the launch data for later service calls, in one step.

        The launch data goes to pylti1p3's launch data storage in the shared cache.
        pylti1p3 would also store an id_token hash for its own state check; ours is
        the single-use state record, so that extra write is skipped.
        """
        if not self._launch_data_storage.save_once(
            self._launch_id,
            body,
            lifetime=LAUNCH_DATA_LIFETIME,
            spend="lti-nonce:" + body["nonce"],
            spend_ttl=current_app.config["LTI_STATE_TTL"] * 2,
        ):
            raise LaunchError("V10", "this id_token was already used (replay)", status=401)

    # V11–V19
    def _validate_message(self, body: dict[str, Any], record: dict[str, Any]) -> None:
        p = self.platform
        version = body.get(CLAIM + "version")
        if version is None:
            raise LaunchError("V11", "the id_token has no LTI version claim")
        if version != "1.3.0":
            raise LaunchError("V11", f"the LTI version '{version}' is not 1.3.0")
        message_type = body.get(CLAIM + "message_type")
        if message_type is None:
            raise LaunchError("V12", "the id_token has no message_type claim")
        if message_type not in MESSAGE_TYPES:
            raise LaunchError(
                "V12", f"the message type '{message_type}' is not one Staffroom handles"
            )
        deployment_id = body.get(CLAIM + "deployment_id")
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchError("V13", "the id_token has no deployment_id claim")
        if len(deployment_id) > MAX_DEPLOYMENT_ID_LENGTH:
            raise LaunchError("V13", "the deployment_id is longer than 255 characters")
        if not usable_text(deployment_id, MAX_DEPLOYMENT_ID_LENGTH):
            raise LaunchError("V13", "the deployment_id holds control characters")
        if self._deployment_pk is None:  # looked up with the platform (_validate_registration)
            raise LaunchError(
                "V13",
                f"unknown deployment id '{deployment_id}' for platform '{p.name}': "
                "add it on the admin page",
                status=403,
                iss=p.issuer,
                client_id=p.client_id,
                deployment_id=deployment_id,
            )
        self.deployment_pk = self._deployment_pk
        target = body.get(CLAIM + "target_link_uri")
        if message_type == RESOURCE_LINK:
            link = body.get(CLAIM + "resource_link")
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchError("V14", "the resource link launch has no resource_link id")
            if not target:
                raise LaunchError("V14", "the resource link launch has no target_link_uri")
        if target is not None and target != record["target_link_uri"]:
            raise LaunchError(
                "V14",
                "the id_token target_link_uri is not the one the login was started for",
            )
        if target is not None and not _same_origin(str(target), tool_origin()):
            raise LaunchError("V14", "the target_link_uri is not on this tool's address")
        roles = body.get(CLAIM + "roles")
        if roles is None:
            raise LaunchError("V15", "the id_token has no roles claim")
        if not isinstance(roles, list):
            raise LaunchError("V15", "the roles claim is not a list")
        sub = body.get("sub")
        if not sub or not isinstance(sub, str):
            raise LaunchError("V16", "the id_token has no user (sub)")
        if not usable_text(sub, MAX_ID_LENGTH):
            raise LaunchError(
                "V16", f"the user id (sub) is longer than {MAX_ID_LENGTH} characters or holds "
                "control characters"
            )
        context = body.get(CLAIM + "context")
        if context is not None and (not isinstance(context, dict) or not context.get("id")):
            raise LaunchError("V18", "the context claim has no id")
        if context is not None and not usable_text(str(context["id"]), MAX_ID_LENGTH):
            raise LaunchError(
                "V18", f"the course id (context id) is longer than {MAX_ID_LENGTH} characters "
                "or holds control characters"
            )
        if message_type == DEEP_LINKING:
            settings = body.get(DL_CLAIM + "deep_linking_settings")
            if not isinstance(settings, dict):
                raise LaunchError("V19", "the deep linking request has no deep_linking_settings")
            if not settings.get("deep_link_return_url"):
                raise LaunchError("V19", "the deep linking settings have no deep_link_return_url")
            if web_origin(str(settings["deep_link_return_url"])) is None:
                raise LaunchError(
                    "V19", "the deep_link_return_url is not an http(s) address of the LMS"
                )
            if not settings.get("accept_types"):
                raise LaunchError("V19", "the deep linking settings have no accept_types")

    def context(self) -> LaunchContext:
        body = self._jwt["body"]
        p = self.platform
        ref = PlatformRef(
            id=p.id,
            issuer=p.issuer,
            client_id=p.client_id,
            name=p.name,
            product_family=product_family(body),
        )
        ctx = build_context(body, launch_id=self._launch_id, platform=ref)
        return replace(ctx, deployment_pk=self.deployment_pk)


def validate_launch(form: dict[str, str]) -> tuple[LaunchContext, RegisteredPlatform]:
    """Validate a launch POST; raise :class:`LaunchError` with the failed check.

    Returns the context and the platform row it was validated against (so that
    recording the launch does not load it again).
    """
    launch = StaffroomMessageLaunch(form)
    launch.validate()
    return launch.context(), launch.platform


def restore_launch_data(launch_id: str) -> dict[str, Any] | None:
    """The stored id_token body of an earlier launch of this session (for DL and services)."""
    raw = launch_data_storage().get_value(launch_id)
    return raw if isinstance(raw, dict) else None
