"""Call an Alibaba Cloud OpenAPI (RPC-style) action: sign, send, parse, map errors.

Requests are POSTs with the parameters in a form body (never in the URL, so tokens such as an
OIDC token stay out of logs and proxies), signed with ACS3-HMAC-SHA256 when credentials are
given and sent unsigned otherwise (``AssumeRoleWithOIDC``).

The one exception is ``call_rpc_get``: an RPC v1 (HMAC-SHA1) GET with every parameter in the
query, the only form in which the official libraries are known to send GenerateSessionAccessKey.
It takes a bare key ID and secret, never a security token, so no token can end up in a URL.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from akless import signing
from akless._http import HttpTransport
from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from akless.transport import Request, Response, Timeout, Transport

STRING_TO_SIGN_MARKER = "server string to sign is:"
API_TIMEOUT = Timeout(connect=5.0, read=10.0)
"""The official libraries' STS timeouts: 5 s to connect, 10 s to read."""


def endpoint_url(value: str, *, source: str) -> str:
    """A base URL from a host (``sts.aliyuncs.com`` -> ``https://sts.aliyuncs.com``) or a URL."""
    text = value.strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
    except ValueError:  # such as an unclosed "[" in an IPv6 host
        raise ConfigurationError(f"{source} is not a valid URL: {value!r}", source=source) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{source} must be a host name or an http(s) URL, not {value!r}", source=source
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigurationError(
            f"{source} has an invalid port: {value!r}", source=source
        ) from None
    return text.rstrip("/")


def server_time(response: Response) -> float | None:
    """The time in the answer's ``Date`` header, in seconds since the epoch; ``None`` when the
    header is absent or not an HTTP date (a date without a zone is taken as UTC)."""
    try:
        parsed = email.utils.parsedate_to_datetime(response.header("date") or "")
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def redact_message(message: str) -> str:
    """Remove the string to sign a server echoes in ``SignatureDoesNotMatch``: it can contain
    the AccessKey ID and the security token."""
    head, marker, _ = message.partition(STRING_TO_SIGN_MARKER)
    return f"{head}{marker} [redacted]" if marker else message


class OpenApiClient:
    """One service (endpoint and API version), its transport, clock and timeouts."""

    def __init__(
        self,
        endpoint: str,
        version: str,
        *,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = API_TIMEOUT,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.version = version
        self._transport = transport or HttpTransport()
        self._clock = clock
        self._timeout = timeout
        self._host = urlsplit(self.endpoint).netloc.rpartition("@")[2]

    def call(
        self,
        action: str,
        params: Mapping[str, str],
        credentials: Credentials | None = None,
    ) -> dict[str, Any]:
        """Call ``action`` with ``params``; the decoded JSON answer, or ``ServiceError``."""
        return self.call_with_server_time(action, params, credentials)[0]

    def call_with_server_time(
        self,
        action: str,
        params: Mapping[str, str],
        credentials: Credentials | None = None,
    ) -> tuple[dict[str, Any], float | None]:
        """``call``, with the server's time from the answer's ``Date`` header (``None`` when
        absent or unreadable): what a clock-skew check compares the local clock with."""
        response = self._transport.send(self.request(action, params, credentials))
        return self._parse(action, response), server_time(response)

    def request(
        self,
        action: str,
        params: Mapping[str, str],
        credentials: Credentials | None = None,
    ) -> Request:
        """The signed (or, without credentials, anonymous) HTTP request for ``action``."""
        body = urlencode(dict(params)).encode()
        headers = {
            "host": self._host,
            "x-acs-action": action,
            "x-acs-version": self.version,
            "x-acs-date": format_timestamp(self._clock()),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "x-acs-content-sha256": signing.hash_payload(body),
            "content-type": "application/x-www-form-urlencoded",
            "accept": "application/json",
        }
        if credentials is not None:
            if credentials.security_token:
                headers["x-acs-security-token"] = credentials.security_token
                headers["x-acs-accesskey-id"] = credentials.access_key_id
            headers["authorization"] = signing.sign_acs3(
                method="POST",
                path="/",
                query={},
                headers=headers,
                payload_hash=headers["x-acs-content-sha256"],
                access_key_id=credentials.access_key_id,
                access_key_secret=credentials.access_key_secret,
            )
        return Request("POST", f"{self.endpoint}/", headers, body, self._timeout)

    def call_rpc_get(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        access_key_id: str,
        access_key_secret: str,
    ) -> dict[str, Any]:
        """Call ``action`` as an RPC v1 GET signed with ``access_key_secret``; the decoded JSON
        answer, or ``ServiceError``."""
        request = self.rpc_get_request(
            action, params, access_key_id=access_key_id, access_key_secret=access_key_secret
        )
        return self._parse(action, self._transport.send(request))

    def rpc_get_request(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        access_key_id: str,
        access_key_secret: str,
    ) -> Request:
        """The RPC v1 GET request for ``action``: common parameters, ``params`` and the
        HMAC-SHA1 ``Signature`` (keyed by ``access_key_secret + "&"``), all in the query."""
        query = {
            "Action": action,
            "Format": "JSON",
            "Version": self.version,
            "Timestamp": format_timestamp(self._clock()),
            "SignatureMethod": signing.RPC_SIGNATURE_METHOD,
            "SignatureVersion": signing.RPC_SIGNATURE_VERSION,
            "SignatureNonce": uuid.uuid4().hex,
            "AccessKeyId": access_key_id,
            **params,
        }
        query["Signature"] = signing.sign_rpc("GET", query, access_key_secret)
        encoded = "&".join(
            f"{signing.percent_encode(name)}={signing.percent_encode(value)}"
            for name, value in query.items()
        )
        headers = {"host": self._host, "accept": "application/json"}
        return Request("GET", f"{self.endpoint}/?{encoded}", headers, b"", self._timeout)

    def _parse(self, action: str, response: Response) -> dict[str, Any]:
        try:
            data = json.loads(response.body)
        except (ValueError, RecursionError):
            data = None
        if response.status != 200:
            raise self._error(action, response, data if isinstance(data, dict) else {})
        if not isinstance(data, dict):
            raise MalformedResponse(
                f"{action} at {self.endpoint} answered HTTP 200 with a body that is not a JSON "
                "object; is the endpoint an Alibaba Cloud API?",
                endpoint=self.endpoint,
            )
        return data

    def _error(self, action: str, response: Response, data: dict[str, Any]) -> ServiceError:
        code = str(data.get("Code") or data.get("code") or f"HTTP{response.status}")
        message = redact_message(str(data.get("Message") or data.get("message") or ""))
        request_id = data.get("RequestId") or data.get("requestId")
        if not data:
            # Described, never quoted: a proxy or firewall page may echo the request and its tokens.
            kind = response.header("content-type") or "no content type"
            message = (
                f"the answer is not an API error envelope ({kind}, {len(response.body)} bytes); "
                "is the endpoint right, or is a proxy answering instead?"
            )
        text = f"{action} at {self.endpoint} failed: {code}: {message}"
        if code == "InvalidTimeStamp.Expired":
            text += self._skew_advice(response)
        if request_id:
            text += f" (RequestId {request_id})"
        return ServiceError(
            text,
            endpoint=self.endpoint,
            status=response.status,
            code=code,
            request_id=None if request_id is None else str(request_id),
        )

    def _skew_advice(self, response: Response) -> str:
        served = server_time(response)
        if served is None:
            return ". The local clock is probably wrong: synchronise it (NTP)"
        skew = self._clock() - served
        return (
            f". The local clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the "
            "server's: synchronise it (NTP)"
        )
