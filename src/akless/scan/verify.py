"""Ask STS whether found credentials still work: ``live``, ``invalid`` or ``unknown``.

Each credential is checked with STS ``GetCallerIdentity``. Unlike the ``DescribeRegions`` call
trufflehog makes, it needs no RAM permission, so every working AccessKey answers HTTP 200 with
its account, and only the gateway's own refusals remain: those that prove the key unusable
(unknown ID, disabled key, wrong secret, bad or expired security token) make it ``invalid``.
Anything else (network failure, timeout, throttling, 5xx, an answer of the wrong shape) is
``unknown``: it proves nothing either way, and one such answer never stops the run.

Calls are spaced ``1 / per_second`` apart (no bursts), each bounded by a connect and a read
timeout, at most ``limit`` distinct credentials per run. A credential found several times is
checked once. Details name codes and identities, never a server's message (which may echo the
request) and never the secret or token; nothing here logs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from akless._http import HttpTransport
from akless.credentials import Credentials
from akless.errors import (
    AklessError,
    ConfigurationError,
    MalformedResponse,
    ServiceError,
    TransportError,
    TransportTimeout,
)
from akless.scan.findings import Finding, Verification
from akless.sts import StsClient
from akless.transport import Timeout, Transport

LIVE = "live"
INVALID = "invalid"
UNKNOWN = "unknown"
DEFAULT_LIMIT = 100
"""Distinct credentials checked per run unless told otherwise."""
LIMIT_REACHED = "not checked: limit reached"
INCOMPLETE_STS = "not checked: an STS AccessKey needs its security token, not found with it"
_MAX_DETAIL = 200

_INVALID_CODES = {
    "InvalidAccessKeyId.NotFound": "AccessKey ID not found",
    "InvalidAccessKeyId.Inactive": "AccessKey is disabled",
    "SignatureDoesNotMatch": "the secret does not belong to this AccessKey ID",
    "InvalidSecurityToken.Expired": "security token expired",
    "InvalidSecurityToken.Malformed": "security token malformed or unknown",
    "InvalidSecurityToken.MismatchWithAccessKey": "security token belongs to another AccessKey",
}
_SESSION_CODES_PREFIX = "InvalidSecurityToken."

_CredentialKey = tuple[str, str, str | None]


def verify_findings(
    findings: Sequence[Finding],
    *,
    environ: Mapping[str, str] | None = None,
    per_second: float = 2.0,
    timeout: float = 5.0,
    limit: int = DEFAULT_LIMIT,
    transport: Transport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Finding]:
    """``findings`` in the same order, each with an AccessKey ID and a secret labelled by STS.

    The endpoint is ``ALIBABA_CLOUD_STS_ENDPOINT`` from ``environ`` (``os.environ`` when
    ``None``; a host or a URL), else ``sts.aliyuncs.com``. Findings without both an ID and a
    secret are returned as they are. ``clock`` (monotonic seconds) and ``sleep`` pace the calls.
    Raises ``ConfigurationError`` for a bad argument or endpoint, never for one credential.
    """
    _check_positive("per_second", per_second)
    _check_positive("timeout", timeout)
    if limit < 0:
        raise ConfigurationError(f"limit must be 0 or more, not {limit!r}", source="limit")
    owned = None if transport is not None else HttpTransport(environ=environ)
    client = StsClient(
        environ=environ,
        transport=transport or owned,
        timeout=Timeout(connect=timeout, read=timeout),
    )
    pace = _Pacer(1.0 / per_second, clock, sleep)
    results: dict[_CredentialKey, Verification] = {}
    verified: list[Finding] = []
    calls = 0
    try:
        for finding in findings:
            if not finding.access_key_id or not finding.secret:
                verified.append(finding)
                continue
            key = (finding.access_key_id, finding.secret, finding.security_token or None)
            verification = results.get(key)
            if verification is None:
                if key[0].startswith("STS.") and key[2] is None:
                    verification = Verification(UNKNOWN, INCOMPLETE_STS)
                elif calls >= limit:
                    verification = Verification(UNKNOWN, LIMIT_REACHED)
                else:
                    pace()
                    calls += 1
                    verification = _verify(client, Credentials(*key), timeout)
                results[key] = verification
            verified.append(replace(finding, verification=verification))
    finally:
        if owned is not None:
            owned.close()
    return verified


def _verify(client: StsClient, credentials: Credentials, timeout: float) -> Verification:
    """One GetCallerIdentity call, as a verification; never raises."""
    try:
        identity = client.get_caller_identity(credentials)
    except ServiceError as error:
        verification = _from_service_error(error)
    except TransportTimeout:
        verification = Verification(UNKNOWN, f"no answer from STS within {timeout:g} s")
    except TransportError as error:
        verification = Verification(UNKNOWN, f"STS unreachable: {error}")
    except MalformedResponse as error:
        verification = Verification(UNKNOWN, f"malformed answer: {error}")
    except AklessError as error:
        verification = Verification(UNKNOWN, f"check failed: {error}")
    except Exception as error:
        # A custom transport's bug must not end the run. Only the type is shown: a foreign
        # exception's message may quote the request.
        verification = Verification(UNKNOWN, f"check failed: {type(error).__name__}")
    else:
        detail = f"{identity.identity_type} {identity.arn}"
        verification = Verification(LIVE, detail, identity.account_id)
    return _shown(verification, credentials)


def _from_service_error(error: ServiceError) -> Verification:
    code = error.code
    reason = _INVALID_CODES.get(code)
    if reason is None and code.startswith(_SESSION_CODES_PREFIX):
        reason = "security token rejected"
    if reason is not None:
        return Verification(INVALID, f"{reason} ({code})")
    if code == "InvalidTimeStamp.Expired":
        return Verification(
            UNKNOWN, f"STS refused the request time: is the local clock right? ({code})"
        )
    # Codes only: a server's message may echo the request, security token included.
    return Verification(UNKNOWN, f"STS answered {code} (HTTP {error.status})")


def _shown(verification: Verification, credentials: Credentials) -> Verification:
    """``verification`` with a detail fit to show: one line, short, and with the secret and token
    cut out should an answer have echoed them (an ARN is the server's text; a session name the
    assumer's). Cut before shortening, so no part of either survives."""
    detail = " ".join(verification.detail.split())
    for value in (credentials.access_key_secret, credentials.security_token):
        if value:
            detail = detail.replace(value, "[redacted]")
    if len(detail) > _MAX_DETAIL:
        detail = f"{detail[:_MAX_DETAIL]}…"
    return verification if detail == verification.detail else replace(verification, detail=detail)


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigurationError(f"{name} must be a positive number, not {value!r}", source=name)


class _Pacer:
    """Spaces calls at least ``interval`` seconds apart: a steady rate with no burst, so a run
    of many findings never looks like an attack to STS's throttling."""

    def __init__(
        self, interval: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def __call__(self) -> None:
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = max(self._clock(), self._next)
        self._next = now + self._interval
