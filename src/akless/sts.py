"""STS client: AssumeRole, AssumeRoleWithOIDC and GetCallerIdentity, with parsed results.

The endpoint is resolved the official way (explicit, then ``ALIBABA_CLOUD_STS_ENDPOINT``, then
``sts[-vpc].<region>.aliyuncs.com``, then ``sts.aliyuncs.com``), except that a full URL such as
``http://127.0.0.1:8080`` is accepted too, so the emulator can stand in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from akless import _env
from akless._env import Environ
from akless._openapi import API_TIMEOUT, OpenApiClient, endpoint_url
from akless._time import Clock, parse_timestamp, system_clock
from akless.credentials import Credentials
from akless.errors import MalformedResponse
from akless.transport import Timeout, Transport

STS_VERSION = "2015-04-01"
DEFAULT_DURATION = 3600


def resolve_sts_endpoint(
    explicit: str | None = None,
    *,
    region: str | None = None,
    vpc: bool | None = None,
    environ: Environ | None = None,
) -> str:
    """The STS base URL from an explicit value, the environment, or the region."""
    if explicit:
        return endpoint_url(explicit, source="sts_endpoint")
    configured = _env.STS_ENDPOINT.get(environ)
    if configured:
        return endpoint_url(configured, source=_env.STS_ENDPOINT.name)
    region = region or _env.STS_REGION.get(environ)
    use_vpc = vpc if vpc is not None else _env.VPC_ENDPOINT_ENABLED.is_true(environ)
    if region:
        return f"https://{'sts-vpc' if use_vpc else 'sts'}.{region}.aliyuncs.com"
    return "https://sts.aliyuncs.com"


@dataclass(frozen=True)
class AssumedRole:
    """What AssumeRole and AssumeRoleWithOIDC return."""

    credentials: Credentials
    arn: str
    assumed_role_id: str


@dataclass(frozen=True)
class CallerIdentity:
    """What GetCallerIdentity returns: who the credential belongs to."""

    account_id: str
    arn: str
    identity_type: str
    principal_id: str
    user_id: str | None = None
    role_id: str | None = None


class StsClient:
    """A client of one STS endpoint."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = API_TIMEOUT,
        environ: Environ | None = None,
    ) -> None:
        self.endpoint = resolve_sts_endpoint(endpoint, environ=environ)
        self._api = OpenApiClient(
            self.endpoint, STS_VERSION, transport=transport, clock=clock, timeout=timeout
        )

    def assume_role(
        self,
        credentials: Credentials,
        *,
        role_arn: str,
        role_session_name: str,
        duration_seconds: int = DEFAULT_DURATION,
        policy: str | None = None,
        external_id: str | None = None,
        provider_name: str = "ram_role_arn",
    ) -> AssumedRole:
        """Assume ``role_arn`` with ``credentials``."""
        params = {
            "RoleArn": role_arn,
            "RoleSessionName": role_session_name,
            "DurationSeconds": str(duration_seconds),
        }
        if policy is not None:
            params["Policy"] = policy
        if external_id is not None:
            params["ExternalId"] = external_id
        body = self._api.call("AssumeRole", params, credentials)
        return self._assumed_role("AssumeRole", body, provider_name)

    def assume_role_with_oidc(
        self,
        *,
        role_arn: str,
        oidc_provider_arn: str,
        oidc_token: str,
        role_session_name: str,
        duration_seconds: int = DEFAULT_DURATION,
        policy: str | None = None,
        provider_name: str = "oidc_role_arn",
    ) -> AssumedRole:
        """Exchange an OIDC token for credentials of ``role_arn`` (an unsigned call)."""
        params = {
            "RoleArn": role_arn,
            "OIDCProviderArn": oidc_provider_arn,
            "OIDCToken": oidc_token,
            "RoleSessionName": role_session_name,
            "DurationSeconds": str(duration_seconds),
        }
        if policy is not None:
            params["Policy"] = policy
        body = self._api.call("AssumeRoleWithOIDC", params)
        return self._assumed_role("AssumeRoleWithOIDC", body, provider_name)

    def get_caller_identity(self, credentials: Credentials) -> CallerIdentity:
        """Who ``credentials`` belong to."""
        body = self._api.call("GetCallerIdentity", {}, credentials)
        return CallerIdentity(
            account_id=self._text(body, "AccountId", "GetCallerIdentity"),
            arn=self._text(body, "Arn", "GetCallerIdentity"),
            identity_type=self._text(body, "IdentityType", "GetCallerIdentity"),
            principal_id=str(body.get("PrincipalId", "")),
            user_id=body.get("UserId") or None,
            role_id=body.get("RoleId") or None,
        )

    # -- parsing --

    def _text(self, body: Mapping[str, Any], field: str, action: str, within: str = "") -> str:
        value = body.get(field)
        if not isinstance(value, str) or not value:
            raise MalformedResponse(
                f"{action} at {self.endpoint} answered without {within}{field}",
                endpoint=self.endpoint,
                field=f"{within}{field}",
            )
        return value

    def _assumed_role(self, action: str, body: Mapping[str, Any], provider: str) -> AssumedRole:
        raw = body.get("Credentials")
        if not isinstance(raw, dict):
            raise MalformedResponse(
                f"{action} at {self.endpoint} answered without Credentials",
                endpoint=self.endpoint,
                field="Credentials",
            )
        fields = {
            name: self._text(raw, name, action, within="Credentials.")
            for name in ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration")
        }
        try:
            expiration = parse_timestamp(fields["Expiration"])
        except ValueError:
            raise MalformedResponse(
                f"{action} at {self.endpoint} answered Credentials.Expiration "
                f"{fields['Expiration'][:40]!r}, not YYYY-MM-DDThh:mm:ssZ",
                endpoint=self.endpoint,
                field="Credentials.Expiration",
            ) from None
        user = body.get("AssumedRoleUser")
        if not isinstance(user, dict):
            user = {}
        return AssumedRole(
            credentials=Credentials(
                access_key_id=fields["AccessKeyId"],
                access_key_secret=fields["AccessKeySecret"],
                security_token=fields["SecurityToken"],
                expiration=expiration,
                provider_name=provider,
            ),
            arn=str(user.get("Arn", "")),
            assumed_role_id=str(user.get("AssumedRoleId", "")),
        )
