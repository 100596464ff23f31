"""The frozen credential value every provider returns, and masking for display.

A ``Credentials`` never shows its secret, security token or bearer token: not in ``repr``,
not in ``str``. The AccessKey ID is shown masked (``LTAI****abcd``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from akless._time import format_timestamp


def mask_key_id(access_key_id: str) -> str:
    """Show an AccessKey ID as its prefix and last four characters: ``LTAI****abcd``."""
    if access_key_id.startswith("STS."):
        prefix = "STS."
    elif access_key_id.startswith("LTAI"):
        prefix = "LTAI"
    else:
        prefix = ""
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

    @property
    def is_temporary(self) -> bool:
        """Whether this is an STS credential (it carries a security token or an expiry)."""
        return self.security_token is not None or self.expiration is not None

    def __repr__(self) -> str:
        expires = format_timestamp(self.expiration) if self.expiration is not None else None
        return (
            f"Credentials(access_key_id={mask_key_id(self.access_key_id)!r}, "
            f"provider_name={self.provider_name!r}, expiration={expires!r})"
        )

    __str__ = __repr__
