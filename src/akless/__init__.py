"""akless: call Alibaba Cloud without long-lived AccessKeys."""

from __future__ import annotations

__version__ = "0.1.0"

from akless.credentials import Credentials, mask_key_id
from akless.errors import (
    AklessError,
    ConfigurationError,
    CredentialsUnavailable,
    MalformedResponse,
    ServiceError,
    TransportError,
    TransportTimeout,
)

__all__ = [
    "AklessError",
    "ConfigurationError",
    "Credentials",
    "CredentialsUnavailable",
    "MalformedResponse",
    "ServiceError",
    "TransportError",
    "TransportTimeout",
    "__version__",
    "mask_key_id",
]
