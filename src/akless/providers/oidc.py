"""RRSA: exchange the pod's OIDC token for a RAM role's credentials (AssumeRoleWithOIDC).

The token file is re-read at every refresh (the cluster rotates it), its content stripped, and
the token sent in a POST form body, never in a URL.
"""

from __future__ import annotations

from pathlib import Path

from akless import _env
from akless._env import Environ
from akless._openapi import API_TIMEOUT
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError
from akless.provider import RefreshingProvider
from akless.providers._role import duration, required, session_name, sts_client
from akless.refresh import Refresher
from akless.transport import Timeout, Transport

MAX_TOKEN_BYTES = 64 * 1024


def read_token(path: Path) -> str:
    """The token in ``path``, stripped; ``ConfigurationError`` naming the file otherwise."""
    try:
        # Read no more than the cap: a path such as /dev/zero would otherwise never end.
        with path.open("rb") as file:
            raw = file.read(MAX_TOKEN_BYTES + 1)
    except FileNotFoundError:
        raise ConfigurationError(
            f"the OIDC token file {path} does not exist (is the RRSA volume mounted?)",
            source=str(path),
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"cannot read the OIDC token file {path}: {error.strerror}", source=str(path)
        ) from None
    if len(raw) > MAX_TOKEN_BYTES:
        raise ConfigurationError(
            f"the OIDC token file {path} is larger than {MAX_TOKEN_BYTES} bytes: not a token",
            source=str(path),
        )
    # Checked rather than caught: a UnicodeDecodeError would keep the file's bytes (a token,
    # perhaps) alive as the ConfigurationError's __context__.
    if not raw.isascii():
        raise ConfigurationError(
            f"the OIDC token file {path} is not text: not a JWT", source=str(path)
        )
    token = raw.decode("ascii").strip()
    if not token:
        raise ConfigurationError(f"the OIDC token file {path} is empty", source=str(path))
    return token


class OidcRoleArnProvider(RefreshingProvider):
    """The ``oidc_role_arn`` provider; each setting defaults to its RRSA environment variable
    (``ALIBABA_CLOUD_ROLE_ARN``, ``ALIBABA_CLOUD_OIDC_PROVIDER_ARN``,
    ``ALIBABA_CLOUD_OIDC_TOKEN_FILE``, ``ALIBABA_CLOUD_ROLE_SESSION_NAME``)."""

    name = "oidc_role_arn"

    def __init__(
        self,
        *,
        role_arn: str | None = None,
        oidc_provider_arn: str | None = None,
        oidc_token_file: str | Path | None = None,
        role_session_name: str | None = None,
        duration_seconds: int | str | None = None,
        policy: str | None = None,
        sts_endpoint: str | None = None,
        sts_region_id: str | None = None,
        enable_vpc: bool | None = None,
        timeout: Timeout = API_TIMEOUT,
        proxy: str | None = None,
        transport: Transport | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.role_arn = required(role_arn or _env.ROLE_ARN.get(environ), "role_arn", _env.ROLE_ARN)
        self.oidc_provider_arn = required(
            oidc_provider_arn or _env.OIDC_PROVIDER_ARN.get(environ),
            "oidc_provider_arn",
            _env.OIDC_PROVIDER_ARN,
        )
        self.token_file = Path(
            required(
                str(oidc_token_file) if oidc_token_file else _env.OIDC_TOKEN_FILE.get(environ),
                "oidc_token_file",
                _env.OIDC_TOKEN_FILE,
            )
        )
        self._session_name = session_name(role_session_name, environ, clock)
        self._duration = duration(duration_seconds)
        self._policy = policy or None
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
        """The STS endpoint AssumeRoleWithOIDC is sent to."""
        return self._sts.endpoint

    def _fetch(self) -> Credentials:
        assumed = self._sts.assume_role_with_oidc(
            role_arn=self.role_arn,
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_token=read_token(self.token_file),
            role_session_name=self._session_name,
            duration_seconds=self._duration,
            policy=self._policy,
            provider_name=self.name,
        )
        return assumed.credentials
