"""Assertions shared by the login and launch tests."""

from __future__ import annotations

import html

from lti_tool.cache import InProcessCache, RedisCache, get_cache
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from lti_tool.lti.models import Platform

# What a launch stores in the shared cache once it is accepted, and a login before it.
LAUNCH_KEYS = ("lti1p3-launch-", "lti-nonce:")


def row_counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(db.select(db.func.count()).select_from(model))
        for model in (Person, Course, Membership)
    )


def cache_keys(*prefixes: str) -> list[str]:
    """The shared cache's keys (without the app's prefix) that start with one of ``prefixes``."""
    cache = get_cache()
    if isinstance(cache, InProcessCache):
        keys = [k for k in list(cache._data) if cache._live(k) is not None]
    elif isinstance(cache, RedisCache):
        found = cache._redis.scan_iter(cache._prefix + "*")
        keys = [k.decode()[len(cache._prefix):] for k in found]
    else:  # pragma: no cover - there are two backends
        raise TypeError(cache)
    return sorted(k for k in keys if k.startswith(prefixes))


def learnt_about_platforms() -> list[tuple[list[str], str | None]]:
    """What launches taught the registrations (framing origins, LMS product)."""
    db.session.expire_all()
    return [(list(p.frame_origins or []), p.product_family)
            for p in db.session.scalars(db.select(Platform).order_by(Platform.id))]


def assert_refused(resp, status: int, code: str, text: str) -> None:
    """A refusal: the HTTP status, the reason code and message on the page, nothing written.

    Nothing means no person, course or membership, nothing learnt about the platform,
    and neither launch data nor a spent nonce in the cache.
    """
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == status, body
    assert f"<code>{code}</code>" in body, body
    assert text in body, body
    assert row_counts() == (0, 0, 0)
    assert cache_keys(*LAUNCH_KEYS) == []
    assert all(origins == [] and family is None for origins, family in learnt_about_platforms())
