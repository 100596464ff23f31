"""The official ``Client`` and ``CredentialModel``, drop-in: ``Config(credential=akless.Client())``
plugs into every Alibaba Cloud SDK V2.0 client.

``Client()`` resolves the default chain; ``Client(config)`` the provider ``config.type`` names;
``Client(provider=...)`` any akless provider or any official ``ICredentialsProvider``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from akless.chain import ChainProvider
from akless.config import Config, provider_for
from akless.credentials import Credentials, mask_key_id
from akless.provider import CredentialsProvider, resolve_async


class CredentialModel:
    """One credential, as SDK clients read it. Secrets never show in ``repr``.

    Immutable (unlike the official model, so one instance can be handed to every caller) and
    compared by value; a plain slotted class, to keep ``dataclasses`` out of ``import akless``.
    """

    __slots__ = (
        "access_key_id",
        "access_key_secret",
        "bearer_token",
        "provider_name",
        "security_token",
        "type",
    )
    access_key_id: str | None
    access_key_secret: str | None
    security_token: str | None
    bearer_token: str | None
    type: str | None
    provider_name: str | None

    def __init__(
        self,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        bearer_token: str | None = None,
        type: str | None = None,
        provider_name: str | None = None,
    ) -> None:
        assign = object.__setattr__  # the class refuses ordinary assignment
        assign(self, "access_key_id", access_key_id)
        assign(self, "access_key_secret", access_key_secret)
        assign(self, "security_token", security_token)
        assign(self, "bearer_token", bearer_token)
        assign(self, "type", type)
        assign(self, "provider_name", provider_name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CredentialModel is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"CredentialModel is immutable: cannot delete {name}")

    def _values(self) -> tuple[str | None, ...]:
        """The fields in ``__init__`` order (not ``__slots__`` order, which tools may sort)."""
        return (
            self.access_key_id,
            self.access_key_secret,
            self.security_token,
            self.bearer_token,
            self.type,
            self.provider_name,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CredentialModel):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[Callable[..., CredentialModel], tuple[str | None, ...]]:
        return (CredentialModel, self._values())

    def __repr__(self) -> str:
        key = mask_key_id(self.access_key_id) if self.access_key_id else None
        return (
            f"CredentialModel(access_key_id={key!r}, type={self.type!r}, "
            f"provider_name={self.provider_name!r})"
        )

    __str__ = __repr__

    def get_access_key_id(self) -> str | None:
        """``access_key_id`` (official getter)."""
        return self.access_key_id

    def get_access_key_secret(self) -> str | None:
        """``access_key_secret`` (official getter)."""
        return self.access_key_secret

    def get_security_token(self) -> str | None:
        """``security_token`` (official getter)."""
        return self.security_token

    def get_bearer_token(self) -> str | None:
        """``bearer_token`` (official getter)."""
        return self.bearer_token

    def get_type(self) -> str | None:
        """``type`` (official getter)."""
        return self.type

    def get_provider_name(self) -> str | None:
        """``provider_name`` (official getter)."""
        return self.provider_name

    def to_map(self) -> dict[str, str]:
        """The set fields under the official camelCase keys."""
        values = {
            "accessKeyId": self.access_key_id,
            "accessKeySecret": self.access_key_secret,
            "securityToken": self.security_token,
            "bearerToken": self.bearer_token,
            "type": self.type,
            "providerName": self.provider_name,
        }
        return {key: value for key, value in values.items() if value is not None}


class _Official:
    """An official ``ICredentialsProvider`` seen as an akless provider."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider
        self.name: str = provider.get_provider_name()

    def get_credentials(self) -> Credentials:
        return _native(self._provider.get_credentials())

    async def get_credentials_async(self) -> Credentials:
        return _native(await self._provider.get_credentials_async())


def _native(credentials: Any) -> Credentials:
    if isinstance(credentials, Credentials):
        return credentials
    return Credentials(
        credentials.get_access_key_id(),
        credentials.get_access_key_secret(),
        credentials.get_security_token(),
        provider_name=credentials.get_provider_name(),
    )


def _adapt(provider: Any) -> CredentialsProvider:
    if isinstance(provider, CredentialsProvider):
        return provider
    if hasattr(provider, "get_credentials") and hasattr(provider, "get_provider_name"):
        return _Official(provider)
    raise TypeError(
        f"provider must be an akless provider or an official ICredentialsProvider, "
        f"not {type(provider).__name__}"
    )


class Client:
    """The official credentials ``Client``: ``get_credential()`` returns a ``CredentialModel``."""

    def __init__(self, config: Config | None = None, provider: Any = None) -> None:
        if provider is not None:
            self._provider = _adapt(provider)
            self._type = self._provider.name
        elif config is None:
            self._provider = ChainProvider()
            self._type = "default"
        else:
            self._provider = provider_for(config)
            self._type = str(config.type)
        # The official bearer credential names no provider, so SDK clients send no
        # x-acs-credentials-provider header with it: neither does this one.
        self._names_provider = self._type != "bearer" or provider is not None
        self._last: tuple[Credentials, CredentialModel] | None = None
        # A static credential never changes: its model is built once and handed out as is.
        self._static: CredentialModel | None = (
            self._model(self._provider.get_credentials())
            if getattr(self._provider, "static", False)
            else None
        )

    @property
    def provider(self) -> CredentialsProvider:
        """The akless provider behind this client."""
        return self._provider

    def get_credential(self) -> CredentialModel:
        """The current credential (refreshed when needed)."""
        static = self._static
        if static is not None:
            return static
        credentials = self._provider.get_credentials()
        last = self._last  # checked here too: a warm call should cost as few calls as possible
        if last is not None and last[0] is credentials:
            return last[1]
        return self._model(credentials)

    async def get_credential_async(self) -> CredentialModel:
        """The current credential, without blocking the event loop."""
        return self._model(await resolve_async(self._provider))

    def _model(self, credentials: Credentials) -> CredentialModel:
        last = self._last
        if last is not None and last[0] is credentials:
            return last[1]  # unchanged credential: the same (immutable) model
        model = CredentialModel(
            access_key_id=credentials.access_key_id or None,
            access_key_secret=credentials.access_key_secret or None,
            security_token=credentials.security_token,
            bearer_token=credentials.bearer_token,
            type=self._type,
            provider_name=credentials.provider_name if self._names_provider else None,
        )
        self._last = (credentials, model)
        return model

    # -- the official deprecated getters --

    def get_access_key_id(self) -> str | None:
        """Deprecated: use ``get_credential().access_key_id`` (one consistent credential)."""
        _deprecated("get_access_key_id", "access_key_id")
        return self.get_credential().access_key_id

    def get_access_key_secret(self) -> str | None:
        """Deprecated: use ``get_credential().access_key_secret``."""
        _deprecated("get_access_key_secret", "access_key_secret")
        return self.get_credential().access_key_secret

    def get_security_token(self) -> str | None:
        """Deprecated: use ``get_credential().security_token``."""
        _deprecated("get_security_token", "security_token")
        return self.get_credential().security_token

    async def get_access_key_id_async(self) -> str | None:
        """Deprecated: use ``(await get_credential_async()).access_key_id``."""
        _deprecated("get_access_key_id_async", "access_key_id", "_async")
        return (await self.get_credential_async()).access_key_id

    async def get_access_key_secret_async(self) -> str | None:
        """Deprecated: use ``(await get_credential_async()).access_key_secret``."""
        _deprecated("get_access_key_secret_async", "access_key_secret", "_async")
        return (await self.get_credential_async()).access_key_secret

    async def get_security_token_async(self) -> str | None:
        """Deprecated: use ``(await get_credential_async()).security_token``."""
        _deprecated("get_security_token_async", "security_token", "_async")
        return (await self.get_credential_async()).security_token

    def get_type(self) -> str:
        """Deprecated: use ``get_credential().type``."""
        _deprecated("get_type", "type")
        return self._type

    def get_bearer_token(self) -> str | None:
        """Deprecated: use ``get_credential().bearer_token``."""
        _deprecated("get_bearer_token", "bearer_token")
        return self.get_credential().bearer_token


def _deprecated(method: str, field_name: str, suffix: str = "") -> None:
    warnings.warn(
        f"Client.{method}() is deprecated; use get_credential{suffix}().{field_name}",
        DeprecationWarning,
        stacklevel=3,
    )
