"""What the two profile providers (INI file and aliyun CLI config) share.

* ``ProfileFields``: one profile's settings, with errors that name the setting, the profile and
  the file (never a value: values may be secrets).
* ``ProfileSource``: builds the provider a profile describes once, and names what it returns
  ``<prefix>/<inner>`` (``profile/static_ak``, ``cli_profile/ram_role_arn/static_ak``).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from akless.credentials import Credentials
from akless.errors import ConfigurationError
from akless.provider import CredentialsProvider, Prefixed, resolve_async

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ProfileFields:
    """The settings of profile ``profile`` in ``path``; ``kind`` is its type or mode."""

    def __init__(self, values: Mapping[str, object], *, profile: str, path: Path) -> None:
        self._values = values
        self.profile = profile
        self.path = path
        self.kind = ""

    def error(self, problem: str) -> ConfigurationError:
        """A ``ConfigurationError`` about this profile, naming it and its file."""
        return ConfigurationError(
            f"profile {self.profile!r} in {self.path}: {problem}", source=str(self.path)
        )

    def text(self, key: str) -> str | None:
        """Setting ``key`` stripped, or ``None`` when absent or blank."""
        value = self._values.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(f"{key} must be a string, not {type(value).__name__}")
        return value.strip() or None

    def need(self, key: str, *, alternative: str = "") -> str:
        """Setting ``key``, which this profile's type requires."""
        value = self.text(key)
        if value is None:
            also = f" (or {alternative})" if alternative else ""
            raise self.error(f"{self.kind or 'this profile'} needs {key}{also}, which is missing")
        return value

    def flag(self, key: str) -> bool | None:
        """Setting ``key`` as a boolean (true/false, yes/no, on/off, 1/0), or ``None``."""
        value = self._values.get(key)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.error(f"{key} must be true or false")

    def integer(self, key: str) -> int | None:
        """Setting ``key`` as a whole number (a JSON number or digits), or ``None``."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        raise self.error(f"{key} must be a whole number of seconds")

    @contextmanager
    def building(self) -> Iterator[None]:
        """Name this profile and file in a ``ConfigurationError`` a provider constructor raises."""
        try:
            yield
        except ConfigurationError as error:
            raise self.error(str(error)) from error


def cycle_error(path: Path, chain: tuple[str, ...], name: str) -> ConfigurationError:
    """The error for ``source_profile`` chain ``chain`` coming back to ``name``."""
    return ConfigurationError(
        f"profile cycle in {path}: {' -> '.join((*chain, name))}", source=str(path)
    )


_SOURCES: weakref.WeakSet[ProfileSource] = weakref.WeakSet()


class ProfileSource:
    """The provider one profile describes, built on first use by ``build`` and then kept."""

    def __init__(self, prefix: str, build: Callable[[], CredentialsProvider]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._provider: CredentialsProvider | None = None
        self._named = Prefixed(prefix)
        _SOURCES.add(self)

    def provider(self) -> CredentialsProvider:
        """The provider, built now if not yet (one builder however many threads ask)."""
        provider = self._provider
        if provider is None:
            with self._lock:
                if self._provider is None:
                    self._provider = self._build()
                provider = self._provider
        return provider

    def get(self) -> Credentials:
        """The provider's credentials, renamed ``<prefix>/<inner>``."""
        return self._named(self.provider().get_credentials())

    async def get_async(self) -> Credentials:
        """The provider's credentials without blocking the event loop."""
        provider = self._provider
        if provider is None:
            import asyncio  # only programs that are already async pay for it

            provider = await asyncio.to_thread(self.provider)
        return self._named(await resolve_async(provider))

    def _after_fork(self) -> None:
        self._lock = threading.Lock()


def _reset_after_fork() -> None:
    # A child must not inherit a lock held by a parent thread that is building a provider.
    for source in list(_SOURCES):
        source._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
