"""The frozen credential value every provider returns, and masking for display.

A ``Credentials`` never shows its secret, security token or bearer token: not in ``repr``,
not in ``str``. The AccessKey ID is shown masked (``LTAI****abcd``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from akless._time import format_timestamp

_KEY_PREFIXES = ("LTAI", "STS.", "TMPSK.")
"""RAM user keys, STS credentials, and RSA-key-pair session keys."""


def mask_key_id(access_key_id: str) -> str:
    """Show an AccessKey ID as its prefix and last four characters: ``LTAI****abcd``."""
    prefix = next((known for known in _KEY_PREFIXES if access_key_id.startswith(known)), "")
    if len(access_key_id) <= len(prefix) + 8:
        return f"{prefix}****"
    return f"{prefix}****{access_key_id[-4:]}"


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair, optionally with an STS security token and an expiry.

    ``expiration`` is seconds since the epoch (UTC) or ``None`` for long-term keys.
    ``provider_name`` is where the credential came from, in the official naming
    (``static_ak``, ``ecs_ram_role``, ``ram_role_arn/static_ak``...).
    """

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    expiration: float | None = None
    provider_name: str = "static_ak"
    bearer_token: str | None = field(default=None, repr=False)

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
