"""Credentials from a KMS RAM secret: a RAM user's AccessKey that KMS Secrets Manager keeps and
rotates, so the application never stores a long-term key itself.

The KMS call is made with the credentials of ``source`` (by default the default chain: on ECS
the instance role, in a pod its RRSA role...). The key is fetched again when the secret says it
will have rotated: at the earlier of its rotation interval (6 hours when it gives none) and 5
minutes after its next rotation date, plus up to 10 minutes of random jitter so that a fleet
does not call KMS at the same moment (both shrink for rotation intervals under about 8 hours,
so that the new key is fetched while the old one still works). Between fetches the key is
served from memory; a failed fetch keeps the current key in service and retries with backoff
(``akless.refresh``).

A rotation replaces the key, and the old one stops working after a grace period. When a call
made with the provided key fails with ``InvalidAccessKeyId.NotFound`` or
``InvalidAccessKeyId.Inactive``, tell the provider, which then fetches the current key at
once, as Alibaba's RAM-secret plug-in does::

    credentials = provider.get_credentials()
    try:
        result = call(credentials)
    except ServiceError as error:
        if not provider.report_auth_failure(error.code, credentials.access_key_id):
            raise
        result = call(provider.get_credentials())   # once, with the current key

Reports are rate-limited per provider by a token bucket (5 forced fetches at most, then one per
10 minutes), and a report about a key already replaced makes no call at all, so a burst of
failing calls never becomes a burst of KMS calls.
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

from akless._env import Environ
from akless._openapi import API_TIMEOUT
from akless._time import Clock, system_clock
from akless.credentials import Credentials, mask_key_id
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.kms import KmsClient, SecretValue
from akless.provider import CredentialsProvider, RefreshingProvider
from akless.refresh import Refresher, Windows, windows_for
from akless.transport import Timeout, Transport, display_url

log = logging.getLogger("akless")

DEFAULT_ROTATION_INTERVAL = 6 * 3600.0
"""How often to fetch a secret that announces no rotation interval."""
ROTATION_SETTLE = 5 * 60.0
"""How long after a secret's next rotation date its new key is fetched..."""
MAX_JITTER = 10 * 60.0
"""... plus a random delay of up to this much."""
INTERVAL_FRACTION = 0.01
"""... but each at most this fraction of the rotation interval (twice it for the jitter), so
that with a short interval the new key is still fetched while the old one is in its grace
period."""
MIN_REUSE = 1.0
EXPIRED_KEY_CODES = frozenset({"InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive"})
"""The error codes of a call made with a key that was rotated away or disabled."""
REPORT_BURST = 5
REPORT_REFILL = 10 * 60.0
"""A forced fetch is allowed ``REPORT_BURST`` times, then once per ``REPORT_REFILL`` seconds."""

_fetching = threading.local()
_LIVE: weakref.WeakSet[KmsRamSecretProvider] = weakref.WeakSet()


def _reset_after_fork() -> None:
    # A child must not inherit a lock held by a parent thread in the middle of a report.
    for provider in list(_LIVE):
        provider._report_lock = threading.Lock()
        provider._bucket._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class TokenBucket:
    """``capacity`` tokens, one added back every ``refill`` seconds (``monotonic`` time)."""

    def __init__(
        self,
        capacity: int = REPORT_BURST,
        refill: float = REPORT_REFILL,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.refill = refill
        self._monotonic = monotonic
        self._tokens = float(capacity)
        self._updated = monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take a token; ``False`` (and nothing taken) when none is left."""
        with self._lock:
            now = self._monotonic()
            earned = (now - self._updated) / self.refill
            self._tokens = min(float(self.capacity), self._tokens + earned)
            self._updated = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


class KmsRamSecretProvider(RefreshingProvider):
    """The ``kms_ram_secret`` provider: the AccessKey in KMS RAM secret ``secret_name``.

    ``source`` provides the credentials that call KMS (default: the default chain).
    ``kms_endpoint`` / ``region_id`` locate KMS (see ``akless.kms``). ``rng`` and
    ``max_jitter`` make the jitter of the schedule, ``monotonic`` drives the rate limit of
    ``report_auth_failure``; tests pass their own.
    """

    name = "kms_ram_secret"

    def __init__(
        self,
        secret_name: str,
        *,
        source: CredentialsProvider | None = None,
        kms_endpoint: str | None = None,
        region_id: str | None = None,
        timeout: Timeout = API_TIMEOUT,
        proxy: str | None = None,
        transport: Transport | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        max_jitter: float = MAX_JITTER,
        default_rotation_interval: float = DEFAULT_ROTATION_INTERVAL,
    ) -> None:
        if not isinstance(secret_name, str) or not secret_name.strip():
            raise ConfigurationError("kms_ram_secret needs secret_name", source="secret_name")
        self.secret_name = secret_name.strip()
        if source is None:
            from akless.chain import ChainProvider, default_chain

            source = ChainProvider(default_chain(environ=environ, clock=clock, transport=transport))
        self.source = source
        if transport is None and proxy is not None:
            from akless._http import HttpTransport

            transport = HttpTransport(proxy=proxy, environ=environ)
        self._kms = kms = KmsClient(
            kms_endpoint,
            region_id=region_id,
            transport=transport,
            clock=clock,
            timeout=timeout,
            environ=environ,
        )
        self._key = (kms.endpoint, self.secret_name)
        """Names this secret in the fetches under way on a thread (to catch a loop)."""
        self._rng = rng
        self._max_jitter = max_jitter
        self._default_interval = default_rotation_interval
        self._secret: SecretValue | None = None
        self._bucket = TokenBucket(monotonic=monotonic)
        self._report_lock = threading.Lock()
        self._refresher = Refresher(
            self._fetch,
            name=self.name,
            clock=clock,
            monotonic=monotonic,
            rng=rng,
            windows=self._windows,
        )
        _LIVE.add(self)

    def __repr__(self) -> str:
        endpoint = display_url(self.kms_endpoint)
        return f"KmsRamSecretProvider({self.secret_name!r}, kms_endpoint={endpoint!r})"

    @property
    def kms_endpoint(self) -> str:
        """The KMS endpoint the secret is read from."""
        return self._kms.endpoint

    @property
    def secret(self) -> SecretValue | None:
        """The secret as last fetched (its rotation dates say when the next fetch is due)."""
        return self._secret

    def get_credentials(self) -> Credentials:
        """The secret's current key, fetched again when due."""
        if self._key in getattr(_fetching, "secrets", ()):
            raise self._loop_error()  # else this thread would wait for its own fetch
        return self._refresher.get()

    def report_auth_failure(self, error_code: str, access_key_id: str | None = None) -> bool:
        """Say that a call made with this provider's key failed with ``error_code``.

        For ``InvalidAccessKeyId.NotFound`` / ``.Inactive`` (the key was rotated away or
        disabled) the current key is fetched now, unless the rate limit says no. Pass the key
        the failed call used as ``access_key_id``: a report about a key already replaced then
        costs nothing. Returns whether a retry is worthwhile: the provider now holds another key
        than the one that failed. Other codes are ignored (``False``). Blocking; from a
        coroutine, use ``report_auth_failure_async``.
        """
        if error_code not in EXPIRED_KEY_CODES:
            return False
        held = self._refresher.current
        failed = access_key_id or (held.access_key_id if held is not None else None)
        with self._report_lock:  # one forced fetch at a time; later reports see its result
            current = self._refresher.current
            if current is None or failed is None or current.access_key_id != failed:
                return current is not None  # already replaced: retry with the current key
            if not self._bucket.take():
                log.warning(
                    "%s: key %s reported %s, but the secret %r was fetched too often lately; "
                    "not fetching it again yet",
                    self.name,
                    mask_key_id(failed),
                    error_code,
                    self.secret_name,
                )
                return False
            log.info(
                "%s: key %s reported %s; fetching the current key of secret %r",
                self.name,
                mask_key_id(failed),
                error_code,
                self.secret_name,
            )
            self._refresher.mark_stale(current)
            fresh = self._refresher.get()
        return fresh.access_key_id != failed

    async def report_auth_failure_async(
        self, error_code: str, access_key_id: str | None = None
    ) -> bool:
        """``report_auth_failure`` without blocking the event loop."""
        import asyncio  # only programs that are already async pay for it

        return await asyncio.to_thread(self.report_auth_failure, error_code, access_key_id)

    # -- fetching and scheduling --

    def _fetch(self) -> Credentials:
        fetching: set[tuple[str, str]] = _fetching.__dict__.setdefault("secrets", set())
        if self._key in fetching:
            raise self._loop_error()
        fetching.add(self._key)
        try:
            return self._fetch_secret()
        finally:
            fetching.discard(self._key)

    def _loop_error(self) -> ConfigurationError:
        return ConfigurationError(
            f"reading KMS secret {self.secret_name!r} needs credentials that come from that "
            "same secret; give the provider a source of its own (source_profile)",
            source="source",
        )

    def _fetch_secret(self) -> Credentials:
        try:
            source = self.source.get_credentials()
        except CredentialsUnavailable as error:
            # The secret is configured but nothing can read it: a broken configuration.
            raise ConfigurationError(
                f"no credentials to read KMS secret {self.secret_name!r} with: {error}",
                source="source",
            ) from error
        secret = self._kms.get_secret_value(source, self.secret_name)
        credentials = secret.ram_credentials(self.name)
        self._secret = secret
        return credentials

    def _windows(self, credentials: Credentials, now: float) -> Windows:
        """When the key just fetched is due again (see the module docstring)."""
        secret = self._secret
        interval, rotates = self._default_interval, None
        if secret is not None:
            interval = secret.rotation_interval or interval
            if secret.automatic_rotation != "Disabled":
                rotates = secret.next_rotation
        wait = interval
        if rotates is not None:
            # A date already past means a rotation under way: look again shortly.
            settle = min(ROTATION_SETTLE, interval * INTERVAL_FRACTION)
            wait = min(wait, max(rotates - now, 0.0) + settle)
        jitter = self._rng() * min(self._max_jitter, interval * 2 * INTERVAL_FRACTION)
        stale_at = now + max(MIN_REUSE, wait + jitter)
        if credentials.expiration is None:
            return Windows(stale_at, math.inf, math.inf)
        usual = windows_for(credentials, now)
        return Windows(min(stale_at, usual.advisory_at), usual.mandatory_at, usual.expires_at)
