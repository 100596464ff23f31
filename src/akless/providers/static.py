"""Credentials given directly: a long-term AccessKey, an STS credential, or a bearer token."""

from __future__ import annotations

from akless.credentials import Credentials
from akless.errors import ConfigurationError


def _required(value: str | None, field: str, provider: str) -> str:
    if value is None or not value.strip():
        raise ConfigurationError(f"{provider} credentials need {field}", source=field)
    return value.strip()


class StaticAKProvider:
    """A long-term AccessKey pair (``static_ak``). Prefer a role: see the README."""

    name = "static_ak"
    static = True
    """Its credential never changes: a ``Client`` may build its model once."""

    def __init__(self, access_key_id: str | None, access_key_secret: str | None) -> None:
        self._credentials = Credentials(
            _required(access_key_id, "access_key_id", "access_key"),
            _required(access_key_secret, "access_key_secret", "access_key"),
            provider_name=self.name,
        )

    def get_credentials(self) -> Credentials:
        """The AccessKey pair."""
        return self._credentials

    async def get_credentials_async(self) -> Credentials:
        """The AccessKey pair."""
        return self._credentials

    def get_provider_name(self) -> str:
        """``static_ak`` (official getter)."""
        return self.name


class StaticSTSProvider:
    """An STS credential given directly (``static_sts``); it is never renewed."""

    name = "static_sts"
    static = True
    """Its credential never changes: a ``Client`` may build its model once."""

    def __init__(
        self,
        access_key_id: str | None,
        access_key_secret: str | None,
        security_token: str | None,
        *,
        expiration: float | None = None,
    ) -> None:
        self._credentials = Credentials(
            _required(access_key_id, "access_key_id", "sts"),
            _required(access_key_secret, "access_key_secret", "sts"),
            _required(security_token, "security_token", "sts"),
            expiration=expiration,
            provider_name=self.name,
        )

    def get_credentials(self) -> Credentials:
        """The STS credential."""
        return self._credentials

    async def get_credentials_async(self) -> Credentials:
        """The STS credential."""
        return self._credentials

    def get_provider_name(self) -> str:
        """``static_sts`` (official getter)."""
        return self.name


class BearerTokenProvider:
    """A bearer token (``bearer``), used by the few APIs that accept one (such as CCC)."""

    name = "bearer"
    static = True
    """Its credential never changes: a ``Client`` may build its model once."""

    def __init__(self, bearer_token: str | None) -> None:
        self._credentials = Credentials(
            "", "", bearer_token=_required(bearer_token, "bearer_token", "bearer"),
            provider_name=self.name,
        )  # fmt: skip

    def get_credentials(self) -> Credentials:
        """The bearer token (no AccessKey)."""
        return self._credentials

    async def get_credentials_async(self) -> Credentials:
        """The bearer token (no AccessKey)."""
        return self._credentials

    def get_provider_name(self) -> str:
        """``bearer`` (official getter)."""
        return self.name
