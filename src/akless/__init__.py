"""akless: call Alibaba Cloud without long-lived AccessKeys.

The official names work as they do in ``alibabacloud_credentials``::

    from akless import Client, Config
    credential = Client()                      # the default chain
    credential.get_credential().provider_name  # e.g. 'default/ecs_ram_role'

Underneath: a frozen ``Credentials`` value, the ``CredentialsProvider`` protocol, and
``default_chain()``, a plain list of providers that ``ChainProvider`` walks.
"""

from __future__ import annotations

__version__ = "0.1.0"

from akless.chain import ChainProvider, default_chain
from akless.client import Client, CredentialModel
from akless.config import Config
from akless.credentials import Credentials, mask_key_id
from akless.errors import (
    AklessError,
    ConfigurationError,
    CredentialsRefreshError,
    CredentialsUnavailable,
    MalformedResponse,
    NoCredentialsFound,
    ServiceError,
    TransportError,
    TransportTimeout,
)
from akless.provider import CredentialsProvider
from akless.providers._selection import use_profile

__all__ = [
    "AklessError",
    "ChainProvider",
    "Client",
    "Config",
    "ConfigurationError",
    "CredentialModel",
    "Credentials",
    "CredentialsProvider",
    "CredentialsRefreshError",
    "CredentialsUnavailable",
    "MalformedResponse",
    "NoCredentialsFound",
    "ServiceError",
    "TransportError",
    "TransportTimeout",
    "__version__",
    "default_chain",
    "mask_key_id",
    "use_profile",
]
