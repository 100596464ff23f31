"""ECS instance metadata client, hardened (token) mode first.

* A metadata token is fetched with ``PUT /latest/api/token`` and reused until shortly before
  its TTL ends (the official libraries fetch a new one before every read).
* Tokenless (normal-mode) reads happen only when the token endpoint is absent (404/405) and
  tokenless reads are allowed (``ALIBABA_CLOUD_IMDSV1_DISABLED`` is not true); a warning says so.
* Requests never go through a proxy: the metadata service is link-local.
* Short timeouts (1 s) so code running off ECS does not stall.
"""

from __future__ import annotations

import logging
import threading

from akless import _env
from akless._env import Environ
from akless._http import HttpTransport
from akless._openapi import endpoint_url
from akless._parsing import parse_json, utc_timestamp
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from akless.transport import Request, Response, Timeout, Transport, display_url

log = logging.getLogger("akless")

DEFAULT_ENDPOINT = "http://100.100.100.200"
TOKEN_TTL = 21600
TOKEN_TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"  # noqa: S105 - a header name
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"  # noqa: S105 - a header name
CREDENTIALS_PATH = "meta-data/ram/security-credentials/"
_TOKEN_ENDPOINT_ABSENT = (404, 405)
METADATA_TIMEOUT = Timeout(connect=1.0, read=1.0)
"""One second each: off ECS the metadata step must fail fast."""


class MetadataClient:
    """A client of the instance metadata service at ``endpoint``.

    ``allow_tokenless`` decides whether normal-mode reads are a permitted fallback; by default
    they are unless ``ALIBABA_CLOUD_IMDSV1_DISABLED`` is true.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = METADATA_TIMEOUT,
        token_ttl: int = TOKEN_TTL,
        allow_tokenless: bool | None = None,
        environ: Environ | None = None,
    ) -> None:
        configured = endpoint or _env.ECS_METADATA_ENDPOINT.get(environ) or DEFAULT_ENDPOINT
        source = "endpoint" if endpoint else _env.ECS_METADATA_ENDPOINT.name
        self.endpoint = endpoint_url(
            configured if "://" in configured else f"http://{configured}", source=source
        )
        if not 1 <= token_ttl <= TOKEN_TTL:
            raise ConfigurationError(
                f"metadata token TTL must be 1..{TOKEN_TTL} seconds, not {token_ttl}",
                source="token_ttl",
            )
        # environ={} keeps proxy variables out: the metadata service is never proxied.
        self._transport = transport or HttpTransport(environ={})
        self._clock = clock
        self._timeout = timeout
        self._token_ttl = token_ttl
        self.allow_tokenless = (
            allow_tokenless
            if allow_tokenless is not None
            else not _env.IMDSV1_DISABLED.is_true(environ)
        )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0
        self._tokenless = False

    # -- tokens --

    def token(self) -> str | None:
        """A valid metadata token, fetched only when the cached one is near its end.

        ``None`` means the service has no token endpoint and tokenless reads are allowed.
        """
        with self._lock:
            now = self._clock()
            if self._token is not None and now < self._token_expires:
                return self._token
            if self._tokenless:
                return None
            response = self._send("PUT", "api/token", {TOKEN_TTL_HEADER: str(self._token_ttl)})
            if response.status == 200 and response.body:
                self._token = response.text().strip()
                # Renew a little early: a tenth of the TTL, at most a minute.
                self._token_expires = now + self._token_ttl - min(60.0, self._token_ttl / 10)
                return self._token
            if response.status in _TOKEN_ENDPOINT_ABSENT and self.allow_tokenless:
                log.warning(
                    "the metadata service at %s has no token endpoint (HTTP %d); reading in "
                    "normal (tokenless) mode. Set ALIBABA_CLOUD_IMDSV1_DISABLED=true to forbid it.",
                    self.endpoint,
                    response.status,
                )
                self._tokenless = True
                return None
            raise self._error(response, "api/token", self._token_advice(response.status))

    def _token_advice(self, status: int) -> str:
        if status in _TOKEN_ENDPOINT_ABSENT:
            return (
                "the service has no token endpoint and tokenless reads are disabled "
                "(ALIBABA_CLOUD_IMDSV1_DISABLED=true)"
            )
        if status == 403:
            return "token requests that carry X-Forwarded-For are refused: do not proxy them"
        return "could not get a metadata token"

    # -- reads --

    def get(self, path: str) -> str:
        """The text at ``/latest/<path>``; ``ServiceError`` unless HTTP 200."""
        token = self.token()
        headers = {} if token is None else {TOKEN_HEADER: token}
        response = self._send("GET", path, headers)
        if response.status == 401 and token is not None:
            with self._lock:  # the token was revoked or expired early: get a new one, once
                self._token = None
            token = self.token()
            response = self._send("GET", path, {} if token is None else {TOKEN_HEADER: token})
        if response.status != 200:
            raise self._error(response, path, self._read_advice(response.status, path))
        return response.text()

    def _read_advice(self, status: int, path: str) -> str:
        if status == 404 and path.startswith(CREDENTIALS_PATH):
            return "no RAM role is attached to this instance, or the role name is wrong"
        if status == 403:
            return "the instance only allows hardened-mode (token) reads"
        return "the metadata service refused the read"

    def role_name(self) -> str:
        """The name of the RAM role attached to the instance."""
        name = self.get(CREDENTIALS_PATH).strip()
        if not name:
            raise MalformedResponse(
                f"{self.endpoint}/latest/{CREDENTIALS_PATH} named no role",
                endpoint=self.endpoint,
                field="role name",
            )
        return name

    def role_credentials(self, role_name: str | None = None) -> Credentials:
        """The attached role's current STS credential."""
        role = role_name or self.role_name()
        path = f"{CREDENTIALS_PATH}{role}"
        text = self.get(path)
        data = parse_json(text).value
        if not isinstance(data, dict):
            raise MalformedResponse(
                f"{self.endpoint}/latest/{path} did not answer a JSON object",
                endpoint=self.endpoint,
            )
        if data.get("Code") != "Success":
            raise ServiceError(
                f"{self.endpoint}/latest/{path} answered Code={str(data.get('Code'))[:40]!r}, "
                "not Success: the instance could not get credentials for its role",
                endpoint=self.endpoint,
                status=200,
                code=str(data.get("Code")),
            )
        values: dict[str, str] = {}
        for name in ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise MalformedResponse(
                    f"{self.endpoint}/latest/{path} answered without {name}",
                    endpoint=self.endpoint,
                    field=name,
                )
            values[name] = value
        expiration = utc_timestamp(values["Expiration"])
        if expiration is None:
            raise MalformedResponse(
                f"{self.endpoint}/latest/{path} answered Expiration {values['Expiration'][:40]!r},"
                " not YYYY-MM-DDThh:mm:ssZ",
                endpoint=self.endpoint,
                field="Expiration",
            )
        return Credentials(
            access_key_id=values["AccessKeyId"],
            access_key_secret=values["AccessKeySecret"],
            security_token=values["SecurityToken"],
            expiration=expiration,
            provider_name="ecs_ram_role",
        )

    # -- plumbing --

    def _send(self, method: str, path: str, headers: dict[str, str]) -> Response:
        url = f"{self.endpoint}/latest/{path}"
        return self._transport.send(Request(method, url, headers, b"", self._timeout))

    def _error(self, response: Response, path: str, advice: str) -> ServiceError:
        url = display_url(f"{self.endpoint}/latest/{path}")
        return ServiceError(
            f"{url} answered HTTP {response.status}: {advice}",
            endpoint=self.endpoint,
            status=response.status,
            code=f"HTTP{response.status}",
        )
