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
