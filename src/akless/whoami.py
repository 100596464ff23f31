"""Who a credential belongs to: STS GetCallerIdentity, and where the credential came from.

``whoami(provider)`` resolves the provider's credential, asks STS whose it is and returns a
frozen ``WhoAmI``: account, ARN, identity type, which provider served it and when it expires.
The result holds no secret (the AccessKey ID is masked), so it can be printed or logged as is.
"""

from __future__ import annotations

from dataclasses import dataclass

from akless._env import Environ
from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials, mask_key_id
from akless.provider import CredentialsProvider
from akless.transport import Transport


@dataclass(frozen=True)
class WhoAmI:
    """The identity behind a credential, and that credential's origin and lifetime."""

    account_id: str
    arn: str
    identity_type: str
    principal_id: str
    provider_name: str
    """Where the credential came from: ``default/env``, ``profile/ram_role_arn/static_ak``..."""
    access_key_id: str
    """Masked: ``LTAI****abcd``."""
    temporary: bool
    """An STS credential (security token or expiry), as opposed to a long-term AccessKey."""
    expiration: str | None
    """``YYYY-MM-DDThh:mm:ssZ``, or ``None`` for a credential without an expiry."""
    expires_in_seconds: int | None


@dataclass(frozen=True)
class Identified:
    """A ``WhoAmI`` and how far the local clock is from the STS server's (``clock_skew``:
    seconds, positive when the local clock is ahead; ``None`` when the server sent no date)."""

    whoami: WhoAmI
    clock_skew: float | None


def identify(
    credentials: Credentials,
    *,
    environ: Environ | None = None,
    transport: Transport | None = None,
    clock: Clock = system_clock,
) -> Identified:
    """Ask STS (the endpoint ``environ`` configures) who ``credentials`` belong to."""
    from akless.sts import StsClient  # the HTTP machinery loads only when a call is made

    sts = StsClient(environ=environ, transport=transport, clock=clock)
    caller = sts.get_caller_identity(credentials)
    now = clock()
    expiration = credentials.expiration
    whoami = WhoAmI(
        account_id=caller.account_id,
        arn=caller.arn,
        identity_type=caller.identity_type,
        principal_id=caller.principal_id,
        provider_name=credentials.provider_name,
        access_key_id=mask_key_id(credentials.access_key_id),
        temporary=credentials.is_temporary,
        expiration=None if expiration is None else format_timestamp(expiration),
        expires_in_seconds=None if expiration is None else int(expiration - now),
    )
    skew = None if caller.server_time is None else now - caller.server_time
    return Identified(whoami, skew)


def whoami(
    provider: CredentialsProvider,
    *,
    environ: Environ | None = None,
    transport: Transport | None = None,
    clock: Clock = system_clock,
) -> WhoAmI:
    """Resolve ``provider``'s credential and return whose it is (STS GetCallerIdentity).

    Errors are the provider's (``NoCredentialsFound``, ``ConfigurationError``...) or the STS
    call's (``ServiceError``, ``TransportError``); none of their messages holds a secret.
    """
    credentials = provider.get_credentials()
    return identify(credentials, environ=environ, transport=transport, clock=clock).whoami
