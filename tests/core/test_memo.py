from __future__ import annotations

from fengqiao.core.memo import ProcessCache


def test_built_once_then_again_after_ttl_or_forget() -> None:
    calls: list[int] = []
    now = [100.0]

    def build() -> int:
        calls.append(1)
        return len(calls)

    cache = ProcessCache(build, ttl=60, clock=lambda: now[0])
    assert cache.get() == 1 and cache.get() == 1
    now[0] += 60
    assert cache.get() == 1  # still fresh at exactly the ttl
    now[0] += 1
    assert cache.get() == 2
    cache.forget()
    assert cache.get() == 3
    assert len(calls) == 3
