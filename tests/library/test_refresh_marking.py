"""The refresh engine's two hooks for sources that know more than an expiry: a ``windows``
schedule of their own, and ``mark_stale`` for a credential its user found dead."""

from __future__ import annotations

import math
import threading

from akless.credentials import Credentials
from akless.refresh import Refresher, Windows
from tests.test_refresh import FakeClock, FakeSource


def test_a_schedule_of_its_own_replaces_the_lifetime_windows() -> None:
    clock = FakeClock()
    source = FakeSource(clock, lifetime=None)
    refresher = Refresher(
        source,
        name="kms_ram_secret",
        clock=clock.wall,
        monotonic=clock.monotonic,
        windows=lambda credentials, now: Windows(now + 100, math.inf, math.inf),
    )

    refresher.get()
    clock.advance(99)
    refresher.get()
    assert source.calls == 1
    clock.advance(1)
    refresher.get()
    assert source.calls == 2


def marked(lifetime: float | None = None) -> tuple[FakeClock, FakeSource, Refresher]:
    clock = FakeClock()
    source = FakeSource(clock, lifetime=lifetime)
    refresher = Refresher(source, name="n", clock=clock.wall, monotonic=clock.monotonic)
    return clock, source, refresher


def test_a_credential_marked_stale_is_replaced_on_the_next_call() -> None:
    _, source, refresher = marked()
    old = refresher.get()

    assert refresher.mark_stale(old)
    fresh = refresher.get()

    assert fresh != old
    assert source.calls == 2
    assert refresher.get() is fresh


def test_marking_another_credential_or_none_cached_changes_nothing() -> None:
    _, source, refresher = marked()
    assert not refresher.mark_stale()  # nothing cached yet

    old = refresher.get()
    assert not refresher.mark_stale(Credentials("LTAI5tOther", "s"))
    assert refresher.get() is old
    assert source.calls == 1


def test_a_failed_refresh_after_marking_serves_the_old_credential_and_backs_off() -> None:
    clock, source, refresher = marked()
    old = refresher.get()
    refresher.mark_stale()
    source.error = RuntimeError("KMS down")

    assert refresher.get() is old
    assert refresher.get() is old
    assert source.calls == 2  # the failure is not retried on every call
    clock.advance(120)
    refresher.get()
    assert source.calls == 3


def test_callers_wait_for_the_one_refresh_a_mark_causes() -> None:
    _, source, refresher = marked()
    old = refresher.get()
    gate = threading.Event()
    source.gate = gate
    refresher.mark_stale()
    results: list[Credentials] = []

    threads = [threading.Thread(target=lambda: results.append(refresher.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(5)

    assert len(results) == 8
    assert all(result != old for result in results)
    assert source.calls == 2
