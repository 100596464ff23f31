"""The refresh engine: one for every temporary credential.

A ``Refresher`` wraps a blocking ``fetch`` that returns a fresh ``Credentials`` and decides, on
each call, whether the cached one can be served:

* **Windows scale with the lifetime.** A credential is used until its *advisory* point, 20 % of
  its lifetime (at most 15 minutes) before it expires, and must be renewed by its *mandatory*
  point, 5 % (at most 5 minutes) before. A 900-second STS session is so used for 12 minutes
  between refreshes; a 6-hour ECS credential for 5 h 45 min. A credential without an expiry is
  re-fetched every 15 minutes.
* **One refresher, no storm.** In the advisory window exactly one caller refreshes while every
  other caller gets the still-valid credential at once; in the mandatory window callers wait for
  that one refresh. However many threads and asyncio tasks arrive together, one fetch runs.
* **Never blocks the event loop.** An asyncio caller that has to refresh runs the fetch in the
  loop's default executor and awaits it; the lock is only ever held for bookkeeping, never
  across I/O.
* **Failures are throttled.** A failed refresh while the credential is still valid keeps it in
  service and retries after a jittered, doubling delay (1 s .. 60 s), not on every call. Once it
  has expired, calls raise ``CredentialsRefreshError`` naming the provider and the cause, and
  retry at most every few seconds. A fetch that returns an already-expired credential is a
  failure.
* **Nothing runs in the background**: no thread or timer per provider; state is reset in a
  forked child (a child never inherits a lock held by a thread it does not have). Wall time
  decides expiry; monotonic time schedules retries; both clocks are injectable.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials
from akless.errors import CredentialsRefreshError

log = logging.getLogger("akless")

ADVISORY_FRACTION = 0.20
ADVISORY_MAX = 15 * 60.0
MANDATORY_FRACTION = 0.05
MANDATORY_MAX = 5 * 60.0
NO_EXPIRY_REUSE = 15 * 60.0
RETRY_FIRST = 1.0
RETRY_MAX_WHILE_VALID = 60.0
RETRY_MAX_WHEN_EXPIRED = 5.0
FOLLOW_TIMEOUT = 120.0
"""How long a caller waits for another caller's refresh before giving up (fetches have their
own, shorter timeouts; this only guards against a refresh that never ends)."""

_INFINITY = math.inf


@dataclass(frozen=True)
class Windows:
    """When a credential should be refreshed (advisory), must be (mandatory), and expires."""

    advisory_at: float
    mandatory_at: float
    expires_at: float


def windows_for(credentials: Credentials, now: float) -> Windows:
    """The refresh windows of ``credentials`` fetched at wall time ``now``."""
    if credentials.expiration is None:
        return Windows(now + NO_EXPIRY_REUSE, _INFINITY, _INFINITY)
    lifetime = max(0.0, credentials.expiration - now)
    advisory = min(ADVISORY_MAX, lifetime * ADVISORY_FRACTION)
    mandatory = min(MANDATORY_MAX, lifetime * MANDATORY_FRACTION)
    expires = credentials.expiration
    return Windows(expires - advisory, expires - mandatory, expires)


@dataclass(frozen=True)
class _Cached:
    credentials: Credentials
    windows: Windows


_LIVE: weakref.WeakSet[Refresher] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for refresher in list(_LIVE):
        refresher._forget_threads()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class Refresher:
    """Serves a cached credential and renews it through ``fetch`` (see the module docstring).

    ``name`` names the provider in errors and logs. ``clock`` is wall time (expiry),
    ``monotonic`` schedules retries, ``rng`` jitters them. ``windows`` decides when a fresh
    credential is due (``windows_for`` unless the source knows better, as a KMS RAM secret
    does: its key does not expire, but is replaced on a schedule the secret announces).
    """

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        *,
        name: str,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        windows: Callable[[Credentials, float], Windows] = windows_for,
    ) -> None:
        self._fetch = fetch
        self._windows = windows
        self.name = name
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng
        self._cached: _Cached | None = None
        self._lock = threading.Lock()
        self._flight: Future[Credentials] | None = None
        self._retry_at = 0.0
        self._failures = 0
        self._last_error: BaseException | None = None
        _LIVE.add(self)

    @property
    def current(self) -> Credentials | None:
        """The cached credential, whatever its state, without refreshing."""
        cached = self._cached
        return None if cached is None else cached.credentials

    def invalidate(self) -> None:
        """Forget the cached credential: the next call fetches a new one."""
        with self._lock:
            self._cached = None
            self._retry_at = 0.0

    def mark_stale(self, credentials: Credentials | None = None) -> bool:
        """Make the cached credential (only if it is still ``credentials``, when given) due
        now, because its user found it no longer works: the next caller refreshes it and the
        others wait for that one refresh. If the refresh fails, the old credential is served
        again until it expires, and retries are throttled as usual. Whether it was marked."""
        with self._lock:
            cached = self._cached
            if cached is None or (credentials is not None and cached.credentials != credentials):
                return False
            now = self._clock()
            expires = cached.windows.expires_at
            self._cached = _Cached(cached.credentials, Windows(now, min(now, expires), expires))
            self._retry_at = 0.0
            return True

    # -- the two entry points -------------------------------------------------------------------

    def get(self) -> Credentials:
        """The credential to use now, refreshing in this thread when this caller must."""
        cached = self._cached
        if cached is not None and self._clock() < cached.windows.advisory_at:
            return cached.credentials  # the fast path: no lock
        serve, flight, lead = self._plan()
        if serve is not None:
            return serve
        assert flight is not None
        if lead:
            self._run(flight)
        return self._settle(flight, self._wait(flight))

    async def get_async(self) -> Credentials:
        """The credential to use now; a refresh runs in an executor, never on the loop."""
        import asyncio  # only programs that are already async pay for it

        cached = self._cached
        if cached is not None and self._clock() < cached.windows.advisory_at:
            return cached.credentials
        serve, flight, lead = self._plan()
        if serve is not None:
            return serve
        assert flight is not None
        if lead:
            # The flight completes itself in the worker thread, so cancelling this caller
            # never strands the others waiting on it.
            try:
                asyncio.get_running_loop().run_in_executor(None, self._run, flight)
            except BaseException as unscheduled:
                # No executor (the loop is shutting down): nobody will run the flight, so
                # end it here, or every later caller would wait on it for FOLLOW_TIMEOUT.
                with self._lock:
                    self._flight = None
                flight.set_exception(unscheduled)
                raise
        try:
            # Shielded: a waiter that is cancelled or times out must not cancel the refresh.
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(flight)), FOLLOW_TIMEOUT)
            error: BaseException | None = None
        except asyncio.TimeoutError:
            error = self._stuck()
        except Exception as failure:  # the fetch's own error, judged by _settle
            error = failure
        return self._settle(flight, error)

    # -- deciding -------------------------------------------------------------------------------

    def _plan(self) -> tuple[Credentials | None, Future[Credentials] | None, bool]:
        """Under the lock: serve a credential now, or wait on (or lead) a refresh."""
        with self._lock:
            now = self._clock()
            cached = self._cached
            if cached is not None and now < cached.windows.advisory_at:
                return cached.credentials, None, False
            if self._flight is not None:
                if cached is not None and now < cached.windows.mandatory_at:
                    return cached.credentials, None, False  # someone else is refreshing
                return None, self._flight, False
            if cached is not None and self._monotonic() < self._retry_at:
                if now < cached.windows.expires_at:
                    return cached.credentials, None, False  # a recent failure: keep serving
                raise self._expired_error(cached) from self._last_error
            flight: Future[Credentials] = Future()
            flight.set_running_or_notify_cancel()  # running from now on: it cannot be cancelled
            self._flight = flight
            return None, flight, True

    def _run(self, flight: Future[Credentials]) -> None:
        """Fetch, record the outcome, and complete ``flight`` for everyone waiting on it."""
        try:
            credentials = self._fetch()
            now = self._clock()
            if credentials.expiration is not None and credentials.expiration <= now:
                raise CredentialsRefreshError(
                    f"{self.name} returned a credential that had already expired (at "
                    f"{format_timestamp(credentials.expiration)}); is the local clock right?",
                    provider=self.name,
                )
        except BaseException as error:
            with self._lock:
                warning = self._record_failure(error)
                self._flight = None
            if warning is not None:  # logged outside the lock: a slow handler blocks nobody
                log.warning(*warning)
            flight.set_exception(error)
            if not isinstance(error, Exception):
                raise  # KeyboardInterrupt, SystemExit: after releasing the waiters
            return
        with self._lock:
            self._cached = _Cached(credentials, self._windows(credentials, now))
            self._failures = 0
            self._last_error = None
            self._retry_at = 0.0
            self._flight = None
        flight.set_result(credentials)

    def _wait(self, flight: Future[Credentials]) -> BaseException | None:
        try:
            flight.result(timeout=FOLLOW_TIMEOUT)
        except FutureTimeout:
            return self._stuck()
        except Exception as error:
            return error
        return None

    def _settle(self, flight: Future[Credentials], error: BaseException | None) -> Credentials:
        """What a caller gets once ``flight`` is over: its credential, the still-valid old one,
        or an error."""
        if error is None:
            return flight.result()
        cached = self._cached
        if cached is None:
            raise error  # never had a credential: the fetch's own error says it best
        if self._clock() < cached.windows.expires_at:
            return cached.credentials
        raise self._expired_error(cached) from error

    # -- failures -------------------------------------------------------------------------------

    def _record_failure(self, error: BaseException) -> tuple[object, ...] | None:
        """Schedule the next attempt; the warning to log (once the lock is released), if any."""
        self._failures += 1
        self._last_error = error
        cached = self._cached
        if cached is None:
            return None  # nothing to keep serving: the next caller tries again
        now = self._clock()
        valid = now < cached.windows.expires_at
        ceiling = RETRY_MAX_WHILE_VALID if valid else RETRY_MAX_WHEN_EXPIRED
        # The exponent is capped: 2 ** 1024 no longer fits a float (an outage of ~85 min).
        delay = RETRY_FIRST * 2.0 ** min(self._failures - 1, 16)
        if valid:
            # Near the end, retry often enough to renew before the credential expires.
            delay = min(delay, max(RETRY_FIRST, (cached.windows.expires_at - now) / 4))
        # Jitter before the ceiling, so the ceiling is a real maximum.
        delay = min(ceiling, delay * (0.8 + 0.4 * self._rng()))
        self._retry_at = self._monotonic() + delay
        if not valid:
            return None  # callers get the error itself
        expires_at = cached.windows.expires_at
        return (
            "refreshing credentials from %s failed (%s); the current credential stays in "
            "use until %s; retrying in %.0f s",
            self.name,
            error,
            # A credential without expiry has expires_at = inf, which has no timestamp.
            format_timestamp(expires_at) if math.isfinite(expires_at) else "replaced",
            delay,
        )

    def _expired_error(self, cached: _Cached) -> CredentialsRefreshError:
        cause = self._last_error
        detail = f": {cause}" if cause is not None else ""
        return CredentialsRefreshError(
            f"the credential from {self.name} expired at "
            f"{format_timestamp(cached.windows.expires_at)} and refreshing it failed{detail}",
            provider=self.name,
        )

    def _stuck(self) -> CredentialsRefreshError:
        return CredentialsRefreshError(
            f"gave up waiting {FOLLOW_TIMEOUT:.0f} s for the refresh of {self.name} in progress",
            provider=self.name,
        )

    def _forget_threads(self) -> None:
        """In a forked child: the parent's lock holder and refreshing thread do not exist."""
        self._lock = threading.Lock()
        self._flight = None
