"""The frozen credential value every provider returns, and masking for display.

A ``Credentials`` never shows its secret, security token or bearer token: not in ``repr``,
not in ``str``. The AccessKey ID is shown masked (``LTAI****abcd``).
"""

from __future__ import annotations

from akless._time import format_timestamp

_KEY_PREFIXES = ("LTAI", "STS.", "TMPSK.")
"""RAM user keys, STS credentials, and RSA-key-pair session keys."""


def mask_key_id(access_key_id: str) -> str:
    """Show an AccessKey ID as its prefix and last four characters: ``LTAI****abcd``."""
    prefix = next((known for known in _KEY_PREFIXES if access_key_id.startswith(known)), "")
    if len(access_key_id) <= len(prefix) + 8:
        return f"{prefix}****"
    return f"{prefix}****{access_key_id[-4:]}"


class Credentials:
    """An AccessKey pair, optionally with an STS security token and an expiry.

    ``expiration`` is seconds since the epoch (UTC) or ``None`` for long-term keys.
    ``provider_name`` is where the credential came from, in the official naming
    (``static_ak``, ``ecs_ram_role``, ``ram_role_arn/static_ak``...).

    Immutable, compared and hashed by value. (A plain slotted class rather than a frozen
    dataclass: ``dataclasses`` alone would triple the time ``import akless`` takes.)
    """

    __slots__ = (
        "access_key_id",
        "access_key_secret",
        "bearer_token",
        "expiration",
        "provider_name",
        "security_token",
    )
    access_key_id: str
    access_key_secret: str
    security_token: str | None
    expiration: float | None
    provider_name: str
    bearer_token: str | None

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        security_token: str | None = None,
        expiration: float | None = None,
        provider_name: str = "static_ak",
        bearer_token: str | None = None,
    ) -> None:
        assign = object.__setattr__  # the class refuses ordinary assignment
        assign(self, "access_key_id", access_key_id)
        assign(self, "access_key_secret", access_key_secret)
        assign(self, "security_token", security_token)
        assign(self, "expiration", expiration)
        assign(self, "provider_name", provider_name)
        assign(self, "bearer_token", bearer_token)

    def with_provider_name(self, provider_name: str) -> Credentials:
        """The same credential, named after another provider (``default/env``...)."""
        return Credentials(
            self.access_key_id,
            self.access_key_secret,
            self.security_token,
            self.expiration,
            provider_name,
            self.bearer_token,
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Credentials are immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Credentials are immutable: cannot delete {name}")

    def _values(self) -> tuple[object, ...]:
        """The fields in ``__init__`` order (not ``__slots__`` order, which tools may sort)."""
        return (
            self.access_key_id,
            self.access_key_secret,
            self.security_token,
            self.expiration,
            self.provider_name,
            self.bearer_token,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[Credentials], tuple[object, ...]]:
        return (Credentials, self._values())

    @property
    def is_temporary(self) -> bool:
        """Whether this is an STS credential (it carries a security token or an expiry)."""
        return self.security_token is not None or self.expiration is not None

    # The official ``alibabacloud_credentials_api.ICredentials`` getters, so a ``Credentials``
    # can stand wherever the official libraries expect their own credentials value.

    def get_access_key_id(self) -> str:
        """``access_key_id`` (official getter)."""
        return self.access_key_id

    def get_access_key_secret(self) -> str:
        """``access_key_secret`` (official getter)."""
        return self.access_key_secret

    def get_security_token(self) -> str | None:
        """``security_token`` (official getter)."""
        return self.security_token

    def get_expiration(self) -> float | None:
        """``expiration`` (official getter)."""
        return self.expiration

    def get_provider_name(self) -> str:
        """``provider_name`` (official getter)."""
        return self.provider_name

    def __repr__(self) -> str:
        expires = format_timestamp(self.expiration) if self.expiration is not None else None
        return (
            f"Credentials(access_key_id={mask_key_id(self.access_key_id)!r}, "
            f"provider_name={self.provider_name!r}, expiration={expires!r})"
        )

    __str__ = __repr__
