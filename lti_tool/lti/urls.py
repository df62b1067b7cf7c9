"""Web origins of platform URLs, strictly: what may go into a CSP or be compared as one.

An origin taken from a registration or a launch ends up in every response's
``Content-Security-Policy`` (``frame-ancestors``, ``form-action``), where a
space or a ``*`` would change the policy's meaning. So only a plain
``scheme://host[:port]`` with a real host name or IP address counts as one.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

# A DNS name: labels of letters, digits and inner hyphens (IDNs in their xn-- form).
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
# Anything a browser would not keep inside one URL: whitespace, controls, quotes, brackets.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\^`{|}]")


def host_problem(parts: SplitResult) -> str | None:
    """Why the URL's host part is not a plain host name or IP address (None if it is)."""
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "must not contain a user name or password"
    try:
        parts.port  # noqa: B018 (raises ValueError for a port out of range or not a number)
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    host = parts.hostname or ""
    if not host:
        return "has no host name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.match(host):
            return f"has a host name that is not valid ('{host}')"
    return None


def has_unsafe_characters(url: str) -> bool:
    return bool(_UNSAFE.search(url))


# Every launch asks for the origins of its platform's URLs and of its return and service
# URLs: the same few strings each time, so each worker remembers the answers.
@functools.lru_cache(maxsize=1024)
def web_origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased; None for anything else."""
    if not url or has_unsafe_characters(url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or host_problem(parts):
        return None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme.lower()}://{host}{port}"
