"""The shared cache: the atomic operations single-use state and nonces rely on (both backends)."""

from __future__ import annotations

import threading

from lti_tool.cache import get_cache


def test_pop_returns_a_value_once(app):
    cache = get_cache()
    cache.set("k", {"a": 1}, 60)
    assert cache.pop("k") == {"a": 1}
    assert cache.pop("k") is None


def test_add_only_sets_an_absent_key(app):
    cache = get_cache()
    assert cache.add("k", 1, 60)
    assert not cache.add("k", 2, 60)
    assert cache.get("k") == 1


def test_add_and_set_sets_both_only_the_first_time(app):
    cache = get_cache()
    assert cache.add_and_set("spent", 1, 60, "data-1", {"body": 1}, 60)
    assert cache.get("spent") == 1
    assert cache.get("data-1") == {"body": 1}
    assert not cache.add_and_set("spent", 1, 60, "data-2", {"body": 2}, 60)
    assert cache.get("data-2") is None


def test_add_and_set_lets_one_of_many_concurrent_callers_win(app):
    cache = get_cache()
    start = threading.Barrier(8)
    won: list[int] = []

    def attempt(i: int) -> None:
        start.wait()
        if cache.add_and_set("nonce", 1, 60, f"data-{i}", i, 60):
            won.append(i)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert [i for i in range(8) if cache.get(f"data-{i}") is not None] == won


def test_the_in_process_cache_drops_expired_entries_nobody_reads_again(monkeypatch):
    """One key per visitor (a remembered page, a rate limit) must not pile up for ever."""
    from lti_tool import cache as cache_module
    from lti_tool.cache import InProcessCache

    clock = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: clock[0])
    cache = InProcessCache()
    cache.set("lasting", "kept", None)
    for i in range(InProcessCache.SWEEP_AT - 1):
        cache.set(f"visitor:{i}", "page", 60)
    clock[0] += 61  # every visitor's entry has expired; none was read again
    cache.set("one more", "page", 60)
    assert len(cache._data) == 2  # noqa: SLF001 - the store itself is what is checked
    assert cache.get("lasting") == "kept"
    assert cache.get("one more") == "page"
    # The next sweep waits until the store has grown again, not on every write.
    assert cache._sweep_at == InProcessCache.SWEEP_AT  # noqa: SLF001
