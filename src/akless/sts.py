"""STS client: AssumeRole, AssumeRoleWithOIDC, GenerateSessionAccessKey and GetCallerIdentity,
with parsed results.

The endpoint is resolved the official way (explicit, then ``ALIBABA_CLOUD_STS_ENDPOINT``, then
``sts[-vpc].<region>.aliyuncs.com``, then ``sts.aliyuncs.com``, or the caller's own default such
as the RSA key pair's ``sts.ap-northeast-1.aliyuncs.com``), except that a full URL such as
``http://127.0.0.1:8080`` is accepted too, so the emulator can stand in.
"""

from __future__ import annotations

from dataclasses import dataclass

from akless import _env
from akless._api_fields import Answer, ServiceClient, configured_endpoint
from akless._env import Environ
from akless._openapi import API_TIMEOUT, endpoint_url
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.transport import Timeout, Transport

STS_VERSION = "2015-04-01"
DEFAULT_DURATION = 3600
DEFAULT_STS_HOST = "sts.aliyuncs.com"


def resolve_sts_endpoint(
    explicit: str | None = None,
    *,
    region: str | None = None,
    vpc: bool | None = None,
    environ: Environ | None = None,
    default: str = DEFAULT_STS_HOST,
) -> str:
    """The STS base URL from an explicit value, the environment, the region, or ``default``."""
    configured = configured_endpoint(
        explicit, setting="sts_endpoint", variable=_env.STS_ENDPOINT, environ=environ
    )
    if configured is not None:
        return configured
    region = region or _env.STS_REGION.get(environ)
    use_vpc = vpc if vpc is not None else _env.VPC_ENDPOINT_ENABLED.is_true(environ)
    if region:
        return f"https://{'sts-vpc' if use_vpc else 'sts'}.{region}.aliyuncs.com"
    return endpoint_url(default, source="default STS endpoint")


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
    server_time: float | None = None
    """The server's clock when it answered (its ``Date`` header), seconds since the epoch."""


class StsClient(ServiceClient):
    """A client of one STS endpoint."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        region_id: str | None = None,
        enable_vpc: bool | None = None,
        proxy: str | None = None,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = API_TIMEOUT,
        environ: Environ | None = None,
    ) -> None:
        if transport is None and proxy is not None:
            from akless._http import HttpTransport

            transport = HttpTransport(proxy=proxy, environ=environ)
        super().__init__(
            resolve_sts_endpoint(endpoint, region=region_id, vpc=enable_vpc, environ=environ),
            STS_VERSION,
            transport=transport,
            clock=clock,
            timeout=timeout,
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
        return self._assumed_role(self._call("AssumeRole", params, credentials), provider_name)

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
        return self._assumed_role(self._call("AssumeRoleWithOIDC", params), provider_name)

    def generate_session_access_key(
        self,
        public_key_id: str,
        private_key: str,
        *,
        duration_seconds: int = DEFAULT_DURATION,
        provider_name: str = "rsa_key_pair",
    ) -> Credentials:
        """Exchange an RSA key pair for a session AccessKey (which has no security token).

        ``private_key`` is the private key file's text, used as is: like the official Python
        and Java libraries, the call is signed HMAC-SHA1 keyed by that text, not with RSA.
        """
        action = "GenerateSessionAccessKey"
        body = self._api.call_rpc_get(
            action,
            {"DurationSeconds": str(duration_seconds)},
            access_key_id=public_key_id,
            access_key_secret=private_key,
        )
        raw = Answer(body, action=action, endpoint=self.endpoint).child("SessionAccessKey")
        return Credentials(
            access_key_id=raw.text("SessionAccessKeyId"),
            access_key_secret=raw.text("SessionAccessKeySecret"),
            expiration=raw.timestamp("Expiration"),
            provider_name=provider_name,
        )

    def get_caller_identity(self, credentials: Credentials) -> CallerIdentity:
        """Who ``credentials`` belong to."""
        action = "GetCallerIdentity"
        body, served = self._api.call_with_server_time(action, {}, credentials)
        answer = Answer(body, action=action, endpoint=self.endpoint)
        return CallerIdentity(
            account_id=answer.text("AccountId"),
            arn=answer.text("Arn"),
            identity_type=answer.text("IdentityType"),
            principal_id=answer.optional_text("PrincipalId") or "",
            user_id=answer.optional_text("UserId"),
            role_id=answer.optional_text("RoleId"),
            server_time=served,
        )

    def _assumed_role(self, answer: Answer, provider: str) -> AssumedRole:
        raw = answer.child("Credentials")
        user = answer.optional_child("AssumedRoleUser")
        return AssumedRole(
            credentials=Credentials(
                access_key_id=raw.text("AccessKeyId"),
                access_key_secret=raw.text("AccessKeySecret"),
                security_token=raw.text("SecurityToken"),
                expiration=raw.timestamp("Expiration"),
                provider_name=provider,
            ),
            arn=(user and user.optional_text("Arn")) or "",
            assumed_role_id=(user and user.optional_text("AssumedRoleId")) or "",
        )
