"""Which sites may frame the tool: the origins of every active registered platform.

The ``Content-Security-Policy`` ``frame-ancestors`` (and ``form-action``) of every
page lists them. They come from each platform's registration (issuer, login
URL) and from what validated launches taught about it (Canvas Cloud's issuer is
not the school's domain that frames the tool).
"""

from __future__ import annotations

import time

from lti_tool.cache import get_cache
from lti_tool.extensions import db
from lti_tool.lti.models import Platform

FRAME_ANCESTORS_CACHE_KEY = "frame-ancestors"

# Each worker keeps the list for a few seconds, so that pages make no cache round trip
# for it; a change by the admin reaches every worker within that time.
FRAME_ANCESTORS_MEMO_SECONDS = 5.0
_frame_ancestors_memo: tuple[float, list[str]] | None = None


def frame_ancestors() -> list[str]:
    """Origins allowed to frame the tool: every active platform's, cached for a minute."""
    global _frame_ancestors_memo
    memo = _frame_ancestors_memo
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    cache = get_cache()
    result = cache.get(FRAME_ANCESTORS_CACHE_KEY)
    if result is None:
        origins: set[str] = set()
        for platform in db.session.scalars(db.select(Platform).filter_by(active=True)):
            origins |= platform.origins()
        # CSP host sources cannot name an IPv6 address ([::1]): browsers reject the
        # whole directive's entry with an error, so such origins are left out.
        result = sorted(o for o in origins if "[" not in o)
        cache.set(FRAME_ANCESTORS_CACHE_KEY, result, 60)
    _frame_ancestors_memo = (time.monotonic() + FRAME_ANCESTORS_MEMO_SECONDS, result)
    return result


def invalidate_frame_ancestors() -> None:
    """Call after adding, changing or removing a platform."""
    global _frame_ancestors_memo
    _frame_ancestors_memo = None
    get_cache().delete(FRAME_ANCESTORS_CACHE_KEY)
