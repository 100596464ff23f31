"""Credentials from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` (and ``_SECURITY_TOKEN``),
read at every call, never at import."""

from __future__ import annotations

from akless import _env
from akless._env import Environ
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable


class EnvironmentProvider:
    """The ``env`` provider. ``environ`` replaces ``os.environ`` (for tests)."""

    name = "env"

    def __init__(self, environ: Environ | None = None) -> None:
        self._environ = environ
        self._last: Credentials | None = None

    def get_credentials(self) -> Credentials:
        """The AccessKey in the environment; unavailable when neither variable is set."""
        key_id = _env.ACCESS_KEY_ID.get(self._environ)
        secret = _env.ACCESS_KEY_SECRET.get(self._environ)
        if key_id is None and secret is None:
            raise CredentialsUnavailable(
                f"{_env.ACCESS_KEY_ID.name} and {_env.ACCESS_KEY_SECRET.name} are not set",
                provider=self.name,
            )
        if key_id is None or secret is None:
            present, absent = (
                (_env.ACCESS_KEY_ID, _env.ACCESS_KEY_SECRET)
                if secret is None
                else (_env.ACCESS_KEY_SECRET, _env.ACCESS_KEY_ID)
            )
            raise ConfigurationError(
                f"{present.name} is set but {absent.name} is not: set both, or neither",
                source=absent.name,
            )
        token = _env.SECURITY_TOKEN.get(self._environ)
        last = self._last
        if (
            last is not None
            and last.access_key_id == key_id
            and last.access_key_secret == secret
            and last.security_token == token
        ):
            return last  # the same object while nothing changed: consumers can cache on it
        self._last = Credentials(key_id, secret, token, provider_name=self.name)
        return self._last

    async def get_credentials_async(self) -> Credentials:
        """The AccessKey in the environment (no I/O)."""
        return self.get_credentials()

    def get_provider_name(self) -> str:
        """``env`` (official getter)."""
        return self.name
