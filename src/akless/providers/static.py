"""Credentials given directly: a long-term AccessKey, an STS credential, or a bearer token."""

from __future__ import annotations

from akless.credentials import Credentials
from akless.errors import ConfigurationError


def _required(value: str | None, field: str, provider: str) -> str:
    if value is None or not value.strip():
        raise ConfigurationError(f"{provider} credentials need {field}", source=field)
    return value.strip()


class _Static:
    """A provider whose credential is fixed when it is built."""

    name: str
    static = True
    """Its credential never changes: a ``Client`` may build its model once."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def get_credentials(self) -> Credentials:
        """The credential given."""
        return self._credentials

    async def get_credentials_async(self) -> Credentials:
        """The credential given (no I/O)."""
        return self._credentials

    def get_provider_name(self) -> str:
        """The provider's name (official getter)."""
        return self.name


class StaticAKProvider(_Static):
    """A long-term AccessKey pair (``static_ak``). Prefer a role: see the README."""

    name = "static_ak"

    def __init__(self, access_key_id: str | None, access_key_secret: str | None) -> None:
        super().__init__(
            Credentials(
                _required(access_key_id, "access_key_id", "access_key"),
                _required(access_key_secret, "access_key_secret", "access_key"),
                provider_name=self.name,
            )
        )


class StaticSTSProvider(_Static):
    """An STS credential given directly (``static_sts``); it is never renewed."""

    name = "static_sts"

    def __init__(
        self,
        access_key_id: str | None,
        access_key_secret: str | None,
        security_token: str | None,
        *,
        expiration: float | None = None,
    ) -> None:
        super().__init__(
            Credentials(
                _required(access_key_id, "access_key_id", "sts"),
                _required(access_key_secret, "access_key_secret", "sts"),
                _required(security_token, "security_token", "sts"),
                expiration=expiration,
                provider_name=self.name,
            )
        )


class BearerTokenProvider(_Static):
    """A bearer token (``bearer``), used by the few APIs that accept one (such as CCC)."""

    name = "bearer"

    def __init__(self, bearer_token: str | None) -> None:
        super().__init__(
            Credentials(
                "",
                "",
                bearer_token=_required(bearer_token, "bearer_token", "bearer"),
                provider_name=self.name,
            )
        )
