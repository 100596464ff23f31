"""Exchange an RSA key pair (the Japan site's root-account key pairs) for a session AccessKey.

STS ``GenerateSessionAccessKey`` is signed as the official Python and Java libraries sign it:
HMAC-SHA1 keyed by the private key file's *text*, not an RSA signature. The answer is an
AccessKey pair with an expiry and no security token, named ``rsa_key_pair``.

The private key file is read once, when the provider is made; its content never appears in a
message, a ``repr`` or a log record. The STS endpoint is the explicit one, else
``ALIBABA_CLOUD_STS_ENDPOINT``, else ``sts[-vpc].<region>.aliyuncs.com``, else
``sts.ap-northeast-1.aliyuncs.com`` (the official default: key pairs live on the Japan site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from akless._env import Environ
from akless._files import read_credentials_file
from akless._openapi import API_TIMEOUT
from akless._time import Clock, system_clock
from akless.credentials import Credentials, mask_key_id
from akless.errors import ConfigurationError
from akless.provider import RefreshingProvider
from akless.providers._role import duration, required
from akless.refresh import Refresher
from akless.sts import StsClient, resolve_sts_endpoint
from akless.transport import Timeout, Transport

DEFAULT_STS_HOST = "sts.ap-northeast-1.aliyuncs.com"
MAX_DURATION = 3600
_PRIVATE_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.+?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
    re.DOTALL,
)


@dataclass(frozen=True)
class _PrivateKeyText:
    """The key file's text, in a holder whose ``repr`` shows nothing of it."""

    text: str = field(repr=False)


def read_private_key(path: Path) -> str:
    """The text of the PEM private key file ``path``; ``ConfigurationError`` naming the file
    (never quoting it) when it is missing, unreadable, empty or not a PEM private key.

    Line ends are read as the official libraries read them (text mode: CRLF becomes LF), since
    the text itself is the signing secret.
    """
    try:
        raw = read_credentials_file(path, what="private key file")
    except FileNotFoundError:
        raise ConfigurationError(
            f"the private key file {path} does not exist", source=str(path)
        ) from None
    if not raw.strip():
        raise ConfigurationError(f"the private key file {path} is empty", source=str(path))
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if _PRIVATE_PEM.search(text):
        return text
    hint = (
        "it holds a public key; give the private key file downloaded with the key pair"
        if "PUBLIC KEY-----" in text
        else "expected the PEM text downloaded with the key pair "
        "(-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)"
    )
    raise ConfigurationError(
        f"the private key file {path} is not a PEM private key: {hint}", source=str(path)
    )


def _duration(seconds: int | str | None) -> int:
    value = duration(seconds)
    if value > MAX_DURATION:
        raise ConfigurationError(
            f"a session AccessKey lasts at most {MAX_DURATION} seconds, not {value}",
            source="duration_seconds",
        )
    return value


class RsaKeyPairProvider(RefreshingProvider):
    """The ``rsa_key_pair`` provider: ``public_key_id`` and the ``private_key_file`` downloaded
    with it, exchanged for session AccessKeys of ``duration_seconds`` (900..3600, default 3600).
    """

    name = "rsa_key_pair"

    def __init__(
        self,
        *,
        public_key_id: str | None,
        private_key_file: str | Path | None,
        duration_seconds: int | str | None = None,
        sts_endpoint: str | None = None,
        sts_region_id: str | None = None,
        enable_vpc: bool | None = None,
        timeout: Timeout = API_TIMEOUT,
        proxy: str | None = None,
        transport: Transport | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.public_key_id = required(public_key_id, "public_key_id")
        self.private_key_file = Path(
            required(str(private_key_file) if private_key_file else None, "private_key_file")
        )
        self._duration = _duration(duration_seconds)
        self._private_key = _PrivateKeyText(read_private_key(self.private_key_file))
        endpoint = resolve_sts_endpoint(
            sts_endpoint,
            region=sts_region_id,
            vpc=enable_vpc,
            environ=environ,
            default=DEFAULT_STS_HOST,
        )
        self._sts = StsClient(
            endpoint,
            proxy=proxy,
            transport=transport,
            clock=clock,
            timeout=timeout,
            environ=environ,
        )
        self._refresher = Refresher(self._fetch, name=self.name, clock=clock)

    @property
    def sts_endpoint(self) -> str:
        """The STS endpoint GenerateSessionAccessKey is sent to."""
        return self._sts.endpoint

    def __repr__(self) -> str:
        return (
            f"RsaKeyPairProvider(public_key_id={mask_key_id(self.public_key_id)!r}, "
            f"private_key_file={str(self.private_key_file)!r}, "
            f"sts_endpoint={self.sts_endpoint!r})"
        )

    def _fetch(self) -> Credentials:
        return self._sts.generate_session_access_key(
            self.public_key_id,
            self._private_key.text,
            duration_seconds=self._duration,
            provider_name=self.name,
        )
