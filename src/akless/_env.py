"""The registry of every environment variable akless reads.

Variables are read when a value is needed, never at import time, and always through an
``environ`` mapping that callers (and tests) may pass instead of ``os.environ``.
The official names keep their official meaning; the ``*_ENDPOINT`` overrides are akless's own,
so the emulator can stand in for the cloud.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

Environ = Mapping[str, str]


class EnvVar:
    """One environment variable: its name and what it means."""

    __slots__ = ("doc", "name")
    name: str
    doc: str

    def __init__(self, name: str, doc: str) -> None:
        object.__setattr__(self, "name", name)  # the class refuses ordinary assignment
        object.__setattr__(self, "doc", doc)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"EnvVar is immutable: cannot set {name}")

    def __repr__(self) -> str:
        return f"EnvVar({self.name!r})"

    def get(self, environ: Environ | None = None) -> str | None:
        """The stripped value, or ``None`` when unset or blank."""
        value = (os.environ if environ is None else environ).get(self.name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def is_true(self, environ: Environ | None = None) -> bool:
        """Whether the variable is set to ``true`` (any case), the official libraries' test."""
        value = self.get(environ)
        return value is not None and value.lower() == "true"


ACCESS_KEY_ID = EnvVar("ALIBABA_CLOUD_ACCESS_KEY_ID", "AccessKey ID for the environment provider.")
ACCESS_KEY_SECRET = EnvVar(
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "AccessKey secret for the environment provider."
)
SECURITY_TOKEN = EnvVar(
    "ALIBABA_CLOUD_SECURITY_TOKEN", "STS security token; makes the environment credential STS."
)
PROFILE = EnvVar("ALIBABA_CLOUD_PROFILE", "Profile name in the INI file or the CLI config.json.")
CREDENTIALS_FILE = EnvVar(
    "ALIBABA_CLOUD_CREDENTIALS_FILE", "Path of the INI credentials file (credentials.ini)."
)
CONFIG_FILE = EnvVar("ALIBABA_CLOUD_CONFIG_FILE", "Path of the aliyun CLI config.json.")
CLI_PROFILE_DISABLED = EnvVar(
    "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true skips the aliyun CLI config.json step."
)
ECS_METADATA = EnvVar(
    "ALIBABA_CLOUD_ECS_METADATA", "ECS RAM role name, which saves the role-name lookup."
)
ECS_METADATA_DISABLED = EnvVar(
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true removes the ECS metadata step from the chain."
)
IMDSV1_DISABLED = EnvVar(
    "ALIBABA_CLOUD_IMDSV1_DISABLED", "true forbids tokenless (normal-mode) metadata reads."
)
ECS_METADATA_ENDPOINT = EnvVar(
    "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT",
    "Base URL of the instance metadata service (default http://100.100.100.200).",
)
ROLE_ARN = EnvVar("ALIBABA_CLOUD_ROLE_ARN", "RAM role ARN to assume (OIDC and RAM-role steps).")
ROLE_SESSION_NAME = EnvVar("ALIBABA_CLOUD_ROLE_SESSION_NAME", "Session name for assumed roles.")
OIDC_PROVIDER_ARN = EnvVar(
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "OIDC identity provider ARN for RRSA AssumeRoleWithOIDC."
)
OIDC_TOKEN_FILE = EnvVar(
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "File holding the OIDC token (re-read at each refresh)."
)
CREDENTIALS_URI = EnvVar(
    "ALIBABA_CLOUD_CREDENTIALS_URI", "URL that serves credentials in the credentials-URI format."
)
STS_ENDPOINT = EnvVar(
    "ALIBABA_CLOUD_STS_ENDPOINT",
    "STS host or full URL, e.g. http://127.0.0.1:8080 (beats region and VPC settings).",
)
STS_REGION = EnvVar("ALIBABA_CLOUD_STS_REGION", "Region of the STS endpoint: sts.<region>.")
VPC_ENDPOINT_ENABLED = EnvVar(
    "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true selects the VPC STS endpoint sts-vpc.<region>."
)
REGION_ID = EnvVar(
    "ALIBABA_CLOUD_REGION_ID", "Region of regional services (KMS, ActionTrail): kms.<region>."
)
RAM_ENDPOINT = EnvVar("ALIBABA_CLOUD_RAM_ENDPOINT", "RAM host or full URL.")
KMS_ENDPOINT = EnvVar("ALIBABA_CLOUD_KMS_ENDPOINT", "KMS host or full URL.")
ACTIONTRAIL_ENDPOINT = EnvVar("ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT", "ActionTrail host or full URL.")
ALLOW_HTTP_CREDENTIALS_URI = EnvVar(
    "AKLESS_ALLOW_HTTP_CREDENTIALS_URI",
    "true lets the credentials URI be plain http:// to a non-loopback host.",
)

IGNORE_PROFILE = EnvVar(
    "ALIBABA_CLOUD_IGNORE_PROFILE", "TRUE makes the aliyun CLI ignore ~/.aliyun/config.json."
)
EXPORT_DEPTH = EnvVar(
    "AKLESS_EXPORT_DEPTH", "How deeply `akless export` runs inside itself (guards loops)."
)
XDG_CACHE_HOME = EnvVar("XDG_CACHE_HOME", "Base folder of caches (akless: roles assumed by exec).")
XDG_STATE_HOME = EnvVar(
    "XDG_STATE_HOME", "Base folder of state (akless: journals of interrupted key rotations)."
)

ALL: tuple[EnvVar, ...] = tuple(value for value in globals().values() if isinstance(value, EnvVar))
"""Every variable in this registry, in declaration order."""
