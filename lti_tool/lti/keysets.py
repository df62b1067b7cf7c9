"""Platform public keys: cached in the shared cache, refetched only for an unknown kid.

The key set is fetched once and kept for ``Cache-Control: max-age`` (at most
``LTI_KEYSET_MAX_AGE``), shared by every worker. A launch signed with a kid that
is not in the cached set triggers one refetch (platforms rotate keys; D2L
hourly), rate-limited per key set so that forged kids cannot make the tool
hammer the platform (checklist V5).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import requests
from flask import current_app

from lti_tool.cache import get_cache
from lti_tool.lti import http
from lti_tool.lti.errors import LaunchError, ServiceError
from lti_tool.lti.models import Platform

_MAX_AGE = re.compile(r"max-age=(\d+)")


def _cache_key(url: str) -> str:
    return "keyset:" + hashlib.sha256(url.encode()).hexdigest()[:32]


def fetch_key_set(url: str) -> dict[str, Any]:
    """GET a JWK Set and store it in the shared cache."""
    try:
        resp = http.get(url, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise ServiceError(
            "V5", f"could not fetch the platform key set from {url}: {exc.__class__.__name__}"
        ) from exc
    if resp.status_code != 200:
        raise ServiceError(
            "V5", f"the platform key set URL {url} answered HTTP {resp.status_code}"
        )
    try:
        data = resp.json()
    except ValueError as exc:
        raise ServiceError("V5", f"the platform key set at {url} is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ServiceError("V5", f"the platform key set at {url} has no 'keys' list")
    ttl = current_app.config["LTI_KEYSET_MAX_AGE"]
    match = _MAX_AGE.search(resp.headers.get("Cache-Control", ""))
    if match:
        ttl = max(60, min(ttl, int(match.group(1))))
    get_cache().set(_cache_key(url), data, ttl)
    return data


def _find(key_set: dict[str, Any] | None, kid: str) -> dict[str, Any] | None:
    for key in (key_set or {}).get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    return None


def find_key(platform: Platform, kid: str) -> dict[str, Any]:
    """The platform's JWK with this kid, from cache, or after one refetch."""
    if platform.key_set:
        key = _find(platform.key_set, kid)
        if key is None:
            raise LaunchError(
                "V5",
                f"the id_token's key id (kid) '{kid}' is not in the key set stored for "
                f"platform '{platform.name}': update its public key on the admin page",
                status=401,
            )
        return key
    if not platform.key_set_url:
        raise LaunchError(
            "V5",
            f"platform '{platform.name}' has neither a key set URL nor a key set: "
            "add one on the admin page",
            status=401,
        )
    url = platform.key_set_url
    cache = get_cache()
    cached = cache.get(_cache_key(url))
    key = _find(cached, kid)
    if key is not None:
        return key
    refetch_allowed = cached is None or cache.add(
        "keyset-refetch:" + _cache_key(url), 1, current_app.config["LTI_KEYSET_REFETCH_INTERVAL"]
    )
    if refetch_allowed:
        key = _find(fetch_key_set(url), kid)
        if key is not None:
            return key
    raise LaunchError(
        "V5",
        f"the id_token's key id (kid) '{kid}' is not in the key set published by "
        f"platform '{platform.name}' at {url}",
        status=401,
    )
