"""Calls to platform services (NRPS, AGS) with OAuth 2 client-credentials tokens.

pylti1p3's :class:`~pylti1p3.service_connector.ServiceConnector` does the
protocol; :class:`StaffroomServiceConnector` closes the gaps we hit with it:

* Tokens live in the shared cache (Redis when configured), so every worker
  reuses one token instead of each asking the platform for its own, and they
  are dropped ``TOKEN_SAFETY_MARGIN`` seconds before the platform's
  ``expires_in`` (``FlaskServiceConnector`` keeps them in a per-process dict).
  The key is the registration (issuer **and** client_id: Canvas Cloud has one
  issuer for every school) plus the sorted scopes (checklist S1).
* Every call sends our User-Agent (S4) and has a timeout (``HTTP_TIMEOUT``).
* Failures become :class:`~lti_tool.lti.errors.ServiceError` with a message an
  administrator can act on; the access token never appears in it.
* The ``Link`` header is parsed per RFC 8288: the ``rel="next"`` target is
  kept exactly as sent (paging URLs can be case-sensitive) and resolved
  against the request URL (S2).
"""

from __future__ import annotations

import hashlib
import re
import time
import typing as t
import uuid
from urllib.parse import urljoin

import requests
from flask import current_app
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector, TServiceConnectorResponse

from lti_tool.cache import Cache, get_cache
from lti_tool.lti import http
from lti_tool.lti.errors import ServiceError
from lti_tool.lti.models import Platform
from lti_tool.lti.tool_conf import to_registration

# A token is reused until this many seconds before it expires, so that a request
# started with it does not reach the platform after the platform dropped it.
TOKEN_SAFETY_MARGIN = 30
# Lifetime of the client assertion JWT; the Security Framework caps it at 5 minutes.
ASSERTION_LIFETIME = 300
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_CACHE_PREFIX = "service-token:"  # noqa: S105 (a cache key prefix, not a secret)

_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
_REL_PARAM = re.compile(r"""(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)
_OAUTH_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def link_target(link_header: str | None, request_url: str, rel: str) -> str | None:
    """The target of the first ``rel`` link of a ``Link`` header, or None when there is none.

    Handles several link-values in one header, with or without a space after
    the separating comma (Canvas joins them with a bare ``,``), quoted or bare
    ``rel`` values and multi-valued ``rel="next last"``. Relation names are
    case-insensitive (RFC 8288 §3.3); the URL is returned as sent, only made
    absolute against ``request_url`` when the platform sent a relative one.
    """
    if not link_header:
        return None
    for target, params in _LINK_VALUE.findall(link_header.replace("\n", " ")):
        for quoted, bare in _REL_PARAM.findall(params):
            if rel in (quoted or bare).lower().split():
                return urljoin(request_url, target.strip())
    return None


def next_link(link_header: str | None, request_url: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header (the next page), or None."""
    return link_target(link_header, request_url, "next")


def token_cache_key(issuer: str, client_id: str, scopes: t.Iterable[str]) -> str:
    """Where a registration's token for these scopes is cached (shared by every worker)."""
    material = "\n".join([issuer, client_id, *sorted(set(scopes))])
    return TOKEN_CACHE_PREFIX + hashlib.sha256(material.encode()).hexdigest()[:40]


class StaffroomServiceConnector(ServiceConnector):
    """pylti1p3's connector with shared token caching, timeouts and readable errors."""

    def __init__(
        self,
        registration: Registration,
        requests_session: requests.Session | None = None,
        *,
        cache: Cache | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(registration, requests_session or http.session())
        self._cache = cache if cache is not None else get_cache()
        self._timeout = timeout if timeout is not None else current_app.config["HTTP_TIMEOUT"]

    # -- who we are talking to, for messages and logs ---------------------------------

    @property
    def _issuer(self) -> str:
        return str(self._registration.get_issuer() or "")

    @property
    def _client_id(self) -> str:
        return str(self._registration.get_client_id() or "")

    def _describe(self) -> str:
        return f"the platform {self._issuer} (client_id {self._client_id})"

    def _error(self, code: str, message: str) -> ServiceError:
        return ServiceError(code, message, iss=self._issuer, client_id=self._client_id)

    # -- token cache --------------------------------------------------------------------

    def _scope_key(self, scopes: t.Iterable[str]) -> str:
        # pylti1p3 keys on issuer + scopes only: two Canvas Cloud schools (same issuer,
        # different client_id) would then share one token.
        return token_cache_key(self._issuer, self._client_id, scopes)

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        entry = self._cache.get(scope_key)
        if not isinstance(entry, dict):
            return None
        token, expires_at = entry.get("token"), entry.get("expires_at")
        if not isinstance(token, str) or not isinstance(expires_at, (int, float)):
            return None
        # The cache's own TTL cleans up; this check is what decides, on every backend.
        return token if expires_at > time.time() else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        lifetime = expires_in - TOKEN_SAFETY_MARGIN
        if lifetime < 1:
            # Too short-lived (or no expires_in at all) to be worth sharing: use it once.
            return
        self._cache.set(
            scope_key,
            {"token": access_token, "expires_at": time.time() + lifetime},
            max(1, int(lifetime)),
        )

    def forget_access_token(self, scopes: t.Sequence[str]) -> None:
        """Drop a cached token the platform no longer accepts."""
        self._cache.delete(self._scope_key(scopes))

    # -- the token request (checklist S1) ----------------------------------------------

    def client_assertion(self) -> str:
        """The signed JWT that authenticates the tool at the token endpoint.

        ``iss`` = ``sub`` = client_id, ``aud`` = the configured audience or the
        token URL, a unique ``jti`` and at most five minutes of life, signed
        RS256 with the tool's current key and its ``kid``.
        """
        client_id = self._client_id
        token_url = self._registration.get_auth_token_url()
        private_key = self._registration.get_tool_private_key()
        if not client_id or not token_url or not private_key:
            raise self._error(
                "S1",
                f"{self._describe()} has no client_id, token URL or tool key: "
                "complete its registration on the admin page",
            )
        now = int(time.time())
        claims: dict[str, str | int] = {
            "iss": client_id,
            "sub": client_id,
            "aud": str(self._registration.get_auth_audience() or token_url),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": str(self._registration.get_kid())}
        return self.encode_jwt(claims, private_key, headers)

    def get_access_token(self, scopes: t.Sequence[str]) -> str:
        """A Bearer token for ``scopes``: from the shared cache, or from the platform."""
        scopes = sorted(set(scopes))
        scope_key = self._scope_key(scopes)
        cached = self._get_cached_access_token(scope_key)
        if cached:
            return cached
        token_url = str(self._registration.get_auth_token_url() or "")
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
            "scope": " ".join(scopes),
        }
        try:
            resp = self._requests_session.post(
                token_url, data=form, headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise self._error(
                "S1",
                f"could not reach the token endpoint {token_url} of {self._describe()}: "
                f"{exc.__class__.__name__}",
            ) from exc
        if resp.status_code != 200:
            raise self._error(
                "S1",
                f"the token endpoint {token_url} of {self._describe()} answered "
                f"HTTP {resp.status_code}{_oauth_error(resp)}; check that the tool's key "
                "and the scopes are enabled for this registration",
            )
        try:
            body = resp.json()
        except ValueError as exc:
            raise self._error(
                "S1", f"the token endpoint {token_url} of {self._describe()} did not answer JSON"
            ) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self._error(
                "S1",
                f"the token endpoint {token_url} of {self._describe()} sent no access_token",
            )
        expires_in = _seconds(body.get("expires_in"))
        if expires_in is not None:
            self._cache_access_token(scope_key, token, expires_in)
        return token

    # -- service calls ------------------------------------------------------------------

    def make_service_request(
        self,
        scopes: t.Sequence[str],
        url: str,
        *,
        is_post: bool = False,
        data: str | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        case_insensitive_headers: bool = False,
        check: str = "S2",
    ) -> TServiceConnectorResponse:
        """GET (or POST) ``url`` with a Bearer token; ``check`` names the checklist line.

        A 401 means the platform no longer accepts the token (revoked before its
        ``expires_in``): it is dropped and the call is tried once more with a new one.
        """
        resp = self._send(scopes, url, is_post, data, content_type, accept, check)
        if resp.status_code == 401:
            self.forget_access_token(scopes)
            resp = self._send(scopes, url, is_post, data, content_type, accept, check)
        if not 200 <= resp.status_code < 300:
            raise self._error(
                check, f"{self._describe()} answered HTTP {resp.status_code} for {url}"
            )
        body: t.Any = None
        if resp.content:
            try:
                body = resp.json()
            except ValueError as exc:
                raise self._error(check, f"{self._describe()} sent no JSON for {url}") from exc
        return {
            "headers": resp.headers if case_insensitive_headers else dict(resp.headers),
            "body": body,
            "next_page_url": next_link(resp.headers.get("Link"), url),
        }

    def _send(
        self, scopes: t.Sequence[str], url: str, is_post: bool, data: str | None,
        content_type: str, accept: str, check: str,
    ) -> requests.Response:
        headers = {"Authorization": "Bearer " + self.get_access_token(scopes), "Accept": accept}
        try:
            if is_post:
                headers["Content-Type"] = content_type
                return self._requests_session.post(
                    url, data=data or None, headers=headers, timeout=self._timeout
                )
            return self._requests_session.get(url, headers=headers, timeout=self._timeout)
        except requests.RequestException as exc:
            raise self._error(
                check,
                f"could not reach {url} at {self._describe()}: {exc.__class__.__name__}",
            ) from exc


def connector_for(platform: Platform) -> StaffroomServiceConnector:
    """A connector for this registration, signing with the tool's current key."""
    return StaffroomServiceConnector(to_registration(platform))


def _seconds(value: object) -> float | None:
    """``expires_in`` as a number; platforms send integers, some send strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _oauth_error(resp: requests.Response) -> str:
    """The OAuth ``error`` code (``invalid_client``, ``invalid_scope``…) if the body has one."""
    try:
        body = resp.json()
    except ValueError:
        return ""
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and _OAUTH_ERROR_CODE.fullmatch(code):
        return f" ({code})"
    return ""
