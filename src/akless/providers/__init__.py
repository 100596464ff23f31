"""Every credential provider, one module each. Each has a ``name`` (the official provider name),
``get_credentials()``, ``get_credentials_async()`` and the official ``get_provider_name()``.

The names below load their module on first use, so that importing akless (which needs
``use_profile`` from here) does not import every provider and the network code they use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from akless.providers._selection import use_profile
    from akless.providers.cli_profile import CliProfileProvider
    from akless.providers.credentials_uri import CredentialsUriProvider
    from akless.providers.ecs_ram_role import EcsRamRoleProvider
    from akless.providers.environment import EnvironmentProvider
    from akless.providers.external import ExternalProcessProvider
    from akless.providers.kms_ram_secret import KmsRamSecretProvider
    from akless.providers.oidc import OidcRoleArnProvider
    from akless.providers.profile import ProfileProvider
    from akless.providers.ram_role_arn import RamRoleArnProvider
    from akless.providers.rsa_key_pair import RsaKeyPairProvider
    from akless.providers.static import BearerTokenProvider, StaticAKProvider, StaticSTSProvider

_MODULES = {
    "BearerTokenProvider": "static",
    "CliProfileProvider": "cli_profile",
    "CredentialsUriProvider": "credentials_uri",
    "EcsRamRoleProvider": "ecs_ram_role",
    "EnvironmentProvider": "environment",
    "ExternalProcessProvider": "external",
    "KmsRamSecretProvider": "kms_ram_secret",
    "OidcRoleArnProvider": "oidc",
    "ProfileProvider": "profile",
    "RamRoleArnProvider": "ram_role_arn",
    "RsaKeyPairProvider": "rsa_key_pair",
    "StaticAKProvider": "static",
    "StaticSTSProvider": "static",
    "use_profile": "_selection",
}

__all__ = [
    "BearerTokenProvider",
    "CliProfileProvider",
    "CredentialsUriProvider",
    "EcsRamRoleProvider",
    "EnvironmentProvider",
    "ExternalProcessProvider",
    "KmsRamSecretProvider",
    "OidcRoleArnProvider",
    "ProfileProvider",
    "RamRoleArnProvider",
    "RsaKeyPairProvider",
    "StaticAKProvider",
    "StaticSTSProvider",
    "use_profile",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
