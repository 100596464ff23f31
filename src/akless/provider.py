"""What a credential provider is: a name and one method that returns ``Credentials`` or raises.

A provider raises ``CredentialsUnavailable`` when it does not apply here (no such file, variable
unset, not on ECS): a chain then tries its next step. Any other error means the provider applies
but is broken, and stops the chain.

Providers may also offer ``get_credentials_async``; ``resolve_async`` uses it when present and
otherwise runs the blocking method in a worker thread, so the event loop never waits on I/O.
Every akless provider also answers the official ``get_provider_name()``, so it can be handed to
the official ``alibabacloud_credentials.client.Client(provider=...)`` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from akless.credentials import Credentials

if TYPE_CHECKING:
    from akless.refresh import Refresher


@runtime_checkable
class CredentialsProvider(Protocol):
    """A source of credentials."""

    @property
    def name(self) -> str:
        """The provider's name in the official naming (``env``, ``ram_role_arn``...)."""
        ...

    def get_credentials(self) -> Credentials:
        """Current credentials, or ``CredentialsUnavailable`` when this source does not apply."""
        ...


class RefreshingProvider:
    """What every provider of temporary credentials shares: its three methods serve the
    provider's ``Refresher`` (set as ``_refresher`` over the provider's own fetch)."""

    name: str
    _refresher: Refresher

    def get_credentials(self) -> Credentials:
        """The current credential, renewed when due."""
        return self._refresher.get()

    async def get_credentials_async(self) -> Credentials:
        """The current credential, renewed when due, without blocking the event loop."""
        return await self._refresher.get_async()

    def get_provider_name(self) -> str:
        """The provider's name (official getter)."""
        return self.name


class Prefixed:
    """Names credentials ``<prefix>/<inner name>`` (``default/env``, ``profile/static_ak``),
    returning the same object for as long as the inner credential is the same object, so that
    whoever caches on identity (``Client``) keeps its cache."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._last: tuple[Credentials, Credentials] | None = None

    def __call__(self, inner: Credentials) -> Credentials:
        last = self._last
        if last is not None and last[0] is inner:
            return last[1]
        outer = inner.with_provider_name(f"{self.prefix}/{inner.provider_name}")
        self._last = (inner, outer)
        return outer


async def resolve_async(provider: CredentialsProvider) -> Credentials:
    """``provider``'s credentials without blocking the running event loop."""
    native = getattr(provider, "get_credentials_async", None)
    if native is not None:
        credentials: Credentials = await native()
        return credentials
    import asyncio  # imported when first needed: most programs never touch asyncio

    return await asyncio.to_thread(provider.get_credentials)
