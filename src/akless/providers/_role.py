"""What the STS-based role providers share: session names, durations, the STS client."""

from __future__ import annotations

from akless import _env
from akless._env import Environ
from akless._time import Clock
from akless.errors import ConfigurationError
from akless.sts import StsClient
from akless.transport import Timeout, Transport

MIN_DURATION = 900


def session_name(explicit: str | None, environ: Environ | None, clock: Clock) -> str:
    """The role session name: given, ``ALIBABA_CLOUD_ROLE_SESSION_NAME``, or ``akless-<time>``."""
    return explicit or _env.ROLE_SESSION_NAME.get(environ) or f"akless-{int(clock())}"


def duration(seconds: int | str | None, default: int = 3600) -> int:
    """A session duration of at least 900 seconds (``ConfigurationError`` otherwise)."""
    if seconds is None or seconds == "":
        return default
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"the session duration must be a number of seconds, not {seconds!r}",
            source="duration_seconds",
        ) from None
    if value < MIN_DURATION:
        raise ConfigurationError(
            f"the session duration must be at least {MIN_DURATION} seconds, not {value}",
            source="duration_seconds",
        )
    return value


def required(value: str | None, setting: str, variable: _env.EnvVar | None = None) -> str:
    """A setting that must be given (or be in its environment variable)."""
    if value:
        return value
    where = f" (or {variable.name})" if variable is not None else ""
    raise ConfigurationError(f"{setting}{where} is required", source=setting)


def sts_client(
    *,
    endpoint: str | None,
    region_id: str | None,
    enable_vpc: bool | None,
    timeout: Timeout,
    proxy: str | None,
    transport: Transport | None,
    environ: Environ | None,
    clock: Clock,
) -> StsClient:
    """An STS client for a role provider."""
    return StsClient(
        endpoint,
        region_id=region_id,
        enable_vpc=enable_vpc,
        proxy=proxy,
        transport=transport,
        clock=clock,
        timeout=timeout,
        environ=environ,
    )
