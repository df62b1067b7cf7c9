"""Platform public keys: cached in the shared cache, refetched only for an unknown kid.

The key set is fetched once and kept for ``Cache-Control: max-age`` (at most
``LTI_KEYSET_MAX_AGE``), shared by every worker. A launch signed with a kid that
is not in the cached set triggers one refetch (platforms rotate keys; D2L
hourly), rate-limited per key set so that forged kids cannot make the tool
hammer the platform (checklist V5).
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from typing import TYPE_CHECKING, Any

import requests
from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from lti_tool.cache import get_cache
from lti_tool.lti import http
from lti_tool.lti.errors import LaunchError, ServiceError
from lti_tool.lti.models import Platform

if TYPE_CHECKING:
    from lti_tool.lti.tool_conf import RegisteredPlatform

_MAX_AGE = re.compile(r"max-age=(\d+)")


@functools.lru_cache(maxsize=64)
def _cache_key(url: str) -> str:
    return "keyset:" + hashlib.sha256(url.encode()).hexdigest()[:32]


class KeySetFetchError(ServiceError):
    """The platform's key set could not be had; ``reason`` says why, in plain words."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__("V5", f"could not get the platform key set from {url}: {reason}")
        self.reason = reason


def _network_problem(exc: requests.RequestException) -> str:
    """What went wrong, in words an LMS administrator can act on."""
    if isinstance(exc, requests.Timeout):
        return "it did not answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return "its HTTPS certificate could not be verified"
    if isinstance(exc, requests.ConnectionError):
        return "no connection (check the address, and that this server can reach the LMS)"
    return f"the request failed ({exc.__class__.__name__})"


def fetch_key_set(url: str) -> dict[str, Any]:
    """GET a JWK Set and store it in the shared cache."""
    try:
        resp = http.get(url, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise KeySetFetchError(url, _network_problem(exc)) from exc
    if resp.status_code != 200:
        raise KeySetFetchError(url, f"it answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError as exc:
        raise KeySetFetchError(url, "its answer is not JSON: check the address") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeySetFetchError(url, "its answer is not a JWK Set (no 'keys' list)")
    ttl = current_app.config["LTI_KEYSET_MAX_AGE"]
    match = _MAX_AGE.search(resp.headers.get("Cache-Control", ""))
    if match:
        ttl = max(60, min(ttl, int(match.group(1))))
    get_cache().set(_cache_key(url), data, ttl)
    return data


# Per-process memo of keys already found, so that the hot path makes no cache round trip.
# Only keys the shared cache held are memoised, and for at most a minute: a platform
# that rotates keys still gets its new kid looked up in the shared cache.
MEMO_SECONDS = 60
_memo: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
FETCH_WAIT_SECONDS = 3.0


def clear_memo() -> None:
    """Forget the per-process memo (tests; after a platform's key set was replaced)."""
    _memo.clear()


def _fetch_once(url: str) -> dict[str, Any]:
    """Fetch the key set with one request across every worker and thread.

    The first to take the lock fetches; the others wait for its result in the
    shared cache (and fetch themselves only if it never comes).
    """
    cache = get_cache()
    cache_key = _cache_key(url)
    if cache.add("keyset-lock:" + cache_key, 1, int(FETCH_WAIT_SECONDS) + 2):
        try:
            # Another worker may have fetched it between our cache miss and this lock.
            cached = cache.get(cache_key)
            return cached if cached is not None else fetch_key_set(url)
        finally:
            cache.delete("keyset-lock:" + cache_key)
    deadline = time.monotonic() + FETCH_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
    return fetch_key_set(url)


def _find(key_set: dict[str, Any] | None, kid: str) -> dict[str, Any] | None:
    for key in (key_set or {}).get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    return None


def find_key(platform: Platform | RegisteredPlatform, kid: str) -> dict[str, Any]:
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
    cache_key = _cache_key(url)
    memo = _memo.get((cache_key, kid))
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    cached = cache.get(cache_key)
    fresh = cached is None
    if fresh:
        cached = _fetch_once(url)
    key = _find(cached, kid)
    if key is None and not fresh and cache.add(
        "keyset-refetch:" + cache_key, 1, current_app.config["LTI_KEYSET_REFETCH_INTERVAL"]
    ):
        # A kid we have not seen: the platform may have rotated its keys. Refetch once.
        key = _find(fetch_key_set(url), kid)
    if key is not None:
        _memo[(cache_key, kid)] = (time.monotonic() + MEMO_SECONDS, key)
        return key
    raise LaunchError(
        "V5",
        f"the id_token's key id (kid) '{kid}' is not in the key set published by "
        f"platform '{platform.name}' at {url}",
        status=401,
    )


@functools.lru_cache(maxsize=256)
def _import_rsa_key(n: str, e: str) -> RSAKey:
    return RSAKey.import_key({"kty": "RSA", "n": n, "e": e})


def verification_key(platform: Platform | RegisteredPlatform, kid: str) -> RSAKey:
    """The platform's key with this kid, ready to verify an RS256 signature (V5).

    Importing a JWK costs more than verifying a signature with it, so each
    imported key is kept, by its modulus and exponent: a key that changes under
    the same kid is imported afresh. Only those two members matter for RS256;
    platforms label their keys loosely ("alg", "use" absent or odd), and the
    id_token's header must say RS256 (V4).
    """
    jwk = find_key(platform, kid)
    n, e = jwk.get("n"), jwk.get("e")
    try:
        if jwk.get("kty") != "RSA" or not isinstance(n, str) or not isinstance(e, str):
            raise ValueError("not an RSA public key")
        return _import_rsa_key(n, e)
    except (JoseError, ValueError, TypeError) as exc:
        raise LaunchError(
            "V5", f"the platform key '{kid}' is not a usable RSA key", status=401
        ) from exc
