"""Assume a RAM role (STS AssumeRole) with the credentials of any other provider.

The source can itself be a ``RamRoleArnProvider``: role chains are providers wrapping providers.
The result is named ``ram_role_arn/<source>``, e.g. ``ram_role_arn/static_ak``.
"""

from __future__ import annotations

from akless import _env
from akless._env import Environ
from akless._openapi import API_TIMEOUT
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.provider import CredentialsProvider, RefreshingProvider
from akless.providers._role import duration, required, session_name, sts_client
from akless.providers.static import StaticAKProvider, StaticSTSProvider
from akless.refresh import Refresher
from akless.transport import Timeout, Transport


class RamRoleArnProvider(RefreshingProvider):
    """The ``ram_role_arn`` provider.

    ``source`` provides the credentials that call AssumeRole; without it, ``access_key_id`` /
    ``access_key_secret`` (and ``security_token``) are used. ``role_arn`` defaults to
    ``ALIBABA_CLOUD_ROLE_ARN``.
    """

    name = "ram_role_arn"

    def __init__(
        self,
        source: CredentialsProvider | None = None,
        *,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        role_arn: str | None = None,
        role_session_name: str | None = None,
        duration_seconds: int | str | None = None,
        policy: str | None = None,
        external_id: str | None = None,
        sts_endpoint: str | None = None,
        sts_region_id: str | None = None,
        enable_vpc: bool | None = None,
        timeout: Timeout = API_TIMEOUT,
        proxy: str | None = None,
        transport: Transport | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
    ) -> None:
        if source is None:
            if not access_key_id and not access_key_secret:
                raise ConfigurationError(
                    "ram_role_arn needs source credentials: a source provider, or "
                    "access_key_id and access_key_secret",
                    source="access_key_id",
                )
            source = (
                StaticSTSProvider(access_key_id, access_key_secret, security_token)
                if security_token
                else StaticAKProvider(access_key_id, access_key_secret)
            )
        self.source = source
        self.role_arn = required(role_arn or _env.ROLE_ARN.get(environ), "role_arn", _env.ROLE_ARN)
        self._session_name = session_name(role_session_name, environ, clock)
        self._duration = duration(duration_seconds)
        self._policy = policy or None
        self._external_id = external_id or None
        self._sts = sts_client(
            endpoint=sts_endpoint,
            region_id=sts_region_id,
            enable_vpc=enable_vpc,
            timeout=timeout,
            proxy=proxy,
            transport=transport,
            environ=environ,
            clock=clock,
        )
        self._refresher = Refresher(self._fetch, name=self.name, clock=clock)

    @property
    def sts_endpoint(self) -> str:
        """The STS endpoint AssumeRole is sent to."""
        return self._sts.endpoint

    def _fetch(self) -> Credentials:
        try:
            source = self.source.get_credentials()
        except CredentialsUnavailable as error:
            # The role applies but its source does not: that is a broken configuration.
            raise ConfigurationError(
                f"the source credentials for assuming {self.role_arn} are unavailable: {error}",
                source="source",
            ) from error
        assumed = self._sts.assume_role(
            source,
            role_arn=self.role_arn,
            role_session_name=self._session_name,
            duration_seconds=self._duration,
            policy=self._policy,
            external_id=self._external_id,
            provider_name=f"{self.name}/{source.provider_name}",
        )
        return assumed.credentials
