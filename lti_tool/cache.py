"""A small key-value cache shared by every worker: Redis when ``REDIS_URL`` is set.

Launch state (OIDC state and nonce), platform key sets and service tokens live
here. The in-process backend is the embedded default for one process (the
development server, the test suite); with several gunicorn workers or hosts,
``REDIS_URL`` must be set so that a nonce is spent once across all of them.

Values are stored as JSON. ``pop``, ``add`` and ``add_and_set`` are atomic on
both backends: they are what makes state and nonces single-use.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol

from flask import Flask, current_app


class Cache(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, exp: int | None = None) -> None: ...
    def add(self, key: str, value: Any, exp: int | None = None) -> bool: ...
    def add_and_set(
        self, key: str, value: Any, exp: int, then_key: str, then_value: Any, then_exp: int
    ) -> bool: ...
    def pop(self, key: str) -> Any: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, exp: int) -> int: ...
    def ping(self) -> None: ...


class InProcessCache:
    """Thread-safe dictionary with expiry, for a single process."""

    SWEEP_AT = 1024  # entries held before a write also drops the expired ones

    def __init__(self) -> None:
        self._data: dict[str, tuple[float | None, str]] = {}
        self._lock = threading.Lock()
        self._sweep_at = self.SWEEP_AT

    def _store(self, key: str, exp: int | None, value: Any) -> None:
        """Write one entry (the lock held). An expired entry is otherwise dropped only
        when its key is read again, so keys nobody reads (one per visitor, say) would
        pile up: past ``_sweep_at`` entries, a write drops every expired one first."""
        if len(self._data) >= self._sweep_at:
            now = time.monotonic()
            for gone in [k for k, (ends, _) in self._data.items()
                         if ends is not None and ends <= now]:
                del self._data[gone]
            self._sweep_at = max(self.SWEEP_AT, 2 * len(self._data))
        self._data[key] = (self._expiry(exp), json.dumps(value))

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, raw = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return raw

    @staticmethod
    def _expiry(exp: int | None) -> float | None:
        return time.monotonic() + exp if exp else None

    def get(self, key: str) -> Any:
        with self._lock:
            raw = self._live(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        with self._lock:
            self._store(key, exp, value)

    def add(self, key: str, value: Any, exp: int | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._store(key, exp, value)
            return True

    def add_and_set(
        self, key: str, value: Any, exp: int, then_key: str, then_value: Any, then_exp: int
    ) -> bool:
        """``add(key)``; only if it succeeded, ``set(then_key)`` too: one atomic step."""
        with self._lock:
            if self._live(key) is not None:
                return False
            self._store(key, exp, value)
            self._store(then_key, then_exp, then_value)
            return True

    def pop(self, key: str) -> Any:
        with self._lock:
            raw = self._live(key)
            self._data.pop(key, None)
        return None if raw is None else json.loads(raw)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, exp: int) -> int:
        with self._lock:
            raw = self._live(key)
            if raw is None:
                self._store(key, exp, 1)
                return 1
            value = json.loads(raw) + 1
            self._data[key] = (self._data[key][0], json.dumps(value))
            return value

    def ping(self) -> None:
        return None

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


# add_and_set in one round trip: SET NX the first key and, only if that succeeded, SET the
# second. Redis runs a script atomically.
_ADD_AND_SET = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
  return 1
end
return 0
"""


class RedisCache:
    """The same interface over Redis; every operation is one atomic command or script."""

    def __init__(self, url: str, prefix: str = "staffroom:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix
        self._add_and_set = self._redis.register_script(_ADD_AND_SET)

    def _k(self, key: str) -> str:
        return self._prefix + key

    def get(self, key: str) -> Any:
        raw = self._redis.get(self._k(key))
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        self._redis.set(self._k(key), json.dumps(value), ex=exp or None)

    def add(self, key: str, value: Any, exp: int | None = None) -> bool:
        return bool(self._redis.set(self._k(key), json.dumps(value), ex=exp or None, nx=True))

    def add_and_set(
        self, key: str, value: Any, exp: int, then_key: str, then_value: Any, then_exp: int
    ) -> bool:
        return bool(
            self._add_and_set(
                keys=[self._k(key), self._k(then_key)],
                args=[json.dumps(value), int(exp), json.dumps(then_value), int(then_exp)],
            )
        )

    def pop(self, key: str) -> Any:
        raw = self._redis.getdel(self._k(key))
        return None if raw is None else json.loads(raw)

    def delete(self, key: str) -> None:
        self._redis.delete(self._k(key))

    def incr(self, key: str, exp: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._k(key))
        pipe.expire(self._k(key), exp, nx=True)
        value, _ = pipe.execute()
        return int(value)

    def ping(self) -> None:
        self._redis.ping()

    def clear(self) -> None:
        """Delete this application's keys (tests only)."""
        for key in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(key)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    cache: Cache = RedisCache(url, app.config.get("CACHE_PREFIX", "staffroom:")) if url else (
        InProcessCache()
    )
    app.extensions["staffroom_cache"] = cache


def get_cache() -> Cache:
    return current_app.extensions["staffroom_cache"]
