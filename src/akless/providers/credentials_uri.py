"""Credentials served by a URL (``credential_uri``): a sidecar, an agent or a vault proxy.

``GET <uri>`` must answer HTTP 200 with the official format::

    {"Code": "Success", "AccessKeyId": "...", "AccessKeySecret": "...",
     "SecurityToken": "...", "Expiration": "2006-01-02T15:04:05Z"}

A credentials URL is an SSRF target and its answer is a secret, so the URI is checked when the
provider is built: ``https://`` to any host, plain ``http://`` only to a loopback host
(127.0.0.0/8, ``::1``, ``localhost``) unless ``AKLESS_ALLOW_HTTP_CREDENTIALS_URI=true``.
Redirects are not followed. Errors name the URI without its query string (it may hold a token)
and never quote the answer (it may hold a secret).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from akless import _env
from akless._env import Environ
from akless._openapi import API_TIMEOUT
from akless._parsing import parse_json, utc_timestamp
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from akless.provider import RefreshingProvider
from akless.refresh import Refresher
from akless.transport import Request, Response, Timeout, Transport

FIELDS = ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a URL's host name) is ``localhost`` or a loopback address."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # any other name could resolve anywhere
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def masked_uri(uri: str) -> str:
    """``uri`` for messages: scheme, host and port only, the rest masked. A credentials URI's
    path may be its only secret (``akless serve`` puts an unguessable token there)."""
    try:
        parts = urlsplit(uri.strip())
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not parts.hostname:
        return "<invalid URL>"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    hidden = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{origin}/****" if hidden else f"{origin}{parts.path}"


def check_uri(uri: str, *, allow_http: bool = False) -> str:
    """``uri`` if akless may fetch credentials from it, else ``ConfigurationError`` saying why."""
    shown = masked_uri(uri)
    try:
        parts = urlsplit(uri.strip())
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigurationError(
            f"the credentials URI {shown} is not a valid URL", source="credentials_uri"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"the credentials URI {shown} must be an http:// or https:// URL with a host",
            source="credentials_uri",
        )
    if scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"refusing the credentials URI {shown}: plain http:// is allowed only to a loopback "
            "host (127.0.0.1, ::1, localhost). A credentials URL is an SSRF target, and "
            "credentials must not cross the network in clear. Use https://, or set "
            f"{_env.ALLOW_HTTP_CREDENTIALS_URI.name}=true to allow plain HTTP to other hosts.",
            source="credentials_uri",
        )
    return uri.strip()


def parse_answer(response: Response, uri: str, *, provider_name: str) -> Credentials:
    """The credential in a credentials-URI answer; ``ServiceError`` or ``MalformedResponse``
    naming the URI (without its query) and the field to blame, never quoting the body."""
    shown = masked_uri(uri)
    if response.status != 200:
        raise ServiceError(
            f"the credentials URI {shown} answered HTTP {response.status}, not 200",
            endpoint=shown,
            status=response.status,
            code=f"HTTP{response.status}",
        )
    parsed = parse_json(response.body)
    if parsed.problem is not None:
        raise MalformedResponse(
            f"the credentials URI {shown} answered HTTP 200 with a body that is not JSON",
            endpoint=shown,
        )
    data = parsed.value
    if not isinstance(data, dict):
        raise MalformedResponse(
            f"the credentials URI {shown} answered JSON that is not an object", endpoint=shown
        )
    if data.get("Code") != "Success":
        raise ServiceError(
            f'the credentials URI {shown} answered with a Code that is not "Success"',
            endpoint=shown,
            status=response.status,
            code="NotSuccess",  # the answer's own Code is not quoted: it could hold anything
        )
    values = {name: _field(data, name, shown) for name in FIELDS}
    expiration = utc_timestamp(values["Expiration"])
    if expiration is None:
        raise MalformedResponse(
            f"the credentials URI {shown} answered an Expiration that is not a time in the form "
            "YYYY-MM-DDThh:mm:ssZ",
            endpoint=shown,
            field="Expiration",
        )
    return Credentials(
        values["AccessKeyId"],
        values["AccessKeySecret"],
        values["SecurityToken"],
        expiration=expiration,
        provider_name=provider_name,
    )


def _field(data: dict[str, Any], name: str, shown: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        missing = "has no" if value is None else "has an invalid"
        raise MalformedResponse(
            f"the credentials URI {shown} answered JSON that {missing} {name}",
            endpoint=shown,
            field=name,
        )
    return value.strip()


class CredentialsUriProvider(RefreshingProvider):
    """The ``credential_uri`` provider. ``uri`` defaults to ``ALIBABA_CLOUD_CREDENTIALS_URI``."""

    name = "credential_uri"

    def __init__(
        self,
        uri: str | None = None,
        *,
        timeout: Timeout = API_TIMEOUT,
        proxy: str | None = None,
        transport: Transport | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
    ) -> None:
        given = uri or _env.CREDENTIALS_URI.get(environ)
        if not given:
            raise ConfigurationError(
                f"credentials_uri (or {_env.CREDENTIALS_URI.name}) is required",
                source="credentials_uri",
            )
        self._uri = check_uri(given, allow_http=_env.ALLOW_HTTP_CREDENTIALS_URI.is_true(environ))
        self._timeout = timeout
        if transport is None:
            from akless._http import HttpTransport  # the HTTP machinery loads on first use

            loopback = is_loopback_host(urlsplit(self._uri).hostname or "")
            # Like Go's ProxyFromEnvironment, a loopback URI never goes through the
            # environment's proxy: that would send the credentials off the machine.
            transport = HttpTransport(proxy=proxy, environ={} if loopback else environ)
        self._transport = transport
        self._refresher = Refresher(self._fetch, name=self.name, clock=clock)

    @property
    def uri(self) -> str:
        """The URI credentials are read from (kept out of ``repr``: its path may be secret)."""
        return self._uri

    @property
    def display_uri(self) -> str:
        """The URI as messages show it: its path masked (see ``masked_uri``)."""
        return masked_uri(self._uri)

    def __repr__(self) -> str:
        return f"CredentialsUriProvider({self.display_uri!r})"

    def _fetch(self) -> Credentials:
        request = Request(
            "GET",
            self._uri,
            {"accept": "application/json"},
            timeout=self._timeout,
            shown_as=masked_uri(self._uri),
        )
        return parse_answer(self._transport.send(request), self._uri, provider_name=self.name)
