"""Raw Alibaba Cloud API requests for driving the emulator without any client library.

``rpc_request`` and ``acs3_request`` build a ``RawRequest`` (method, URL, headers, body) signed
with ``akless.signing`` the way the official SDKs put it on the wire: RPC v1 with every
parameter in a ``quote_plus``-encoded query (and optionally a form body), ACS3 with the common
parameters in ``x-acs-*`` headers and an ``Authorization`` header. The timestamp and nonce are
fresh unless pinned, so a test can replay or skew them on purpose; ``key=None`` builds the
unsigned (anonymous) form; ``secret=`` signs with another secret than the key's.

Each request also carries the string to sign its builder computed, so a test can compare it with
the one the emulator quotes back in ``SignatureDoesNotMatch``.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from akless import signing
from akless._time import format_timestamp
from akless.emulator import EmulatorServer
from akless.emulator.cloud import Cloud

STS_VERSION = "2015-04-01"
FORM_TYPE = "application/x-www-form-urlencoded"
SIGNATURE_MISMATCH_PREFIX = (
    "Specified signature is not matched with our calculation. server string to sign is:"
)
ERROR_ENVELOPE_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}


@dataclass(frozen=True)
class Key:
    """An AccessKey pair, with the security token when it is an STS credential."""

    access_key_id: str
    secret: str
    security_token: str | None = None


@dataclass(frozen=True)
class RawRequest:
    """One HTTP request as it goes on the wire, and the string to sign its signer computed."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""
    string_to_sign: str = ""
    """What the client signed (empty for an unsigned request)."""

    def replace(self, **changes: Any) -> RawRequest:
        """A copy with some fields changed (to tamper with a signed request)."""
        return dataclasses.replace(self, **changes)


def utc_timestamp(epoch_seconds: float | None = None) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` for ``epoch_seconds`` (default: the real clock now)."""
    return format_timestamp(time.time() if epoch_seconds is None else epoch_seconds)


def new_nonce() -> str:
    """A fresh 32-hex nonce, as tea-openapi sends."""
    return uuid.uuid4().hex


def user_key(cloud: Cloud) -> Key:
    """The AccessKey of the user a fresh emulator seeds."""
    return Key(cloud.identity.access_key_id, cloud.identity.access_key_secret)


def new_user_key(cloud: Cloud, name: str) -> Key:
    """A new RAM user called ``name`` and its first AccessKey."""
    cloud.create_user(name)
    created = cloud.create_access_key(name)
    return Key(created.access_key_id, created.secret)


def rpc_request(
    endpoint: str,
    action: str,
    key: Key | None,
    params: Mapping[str, str] | None = None,
    *,
    method: str = "GET",
    form: Mapping[str, str] | None = None,
    version: str = STS_VERSION,
    response_format: str = "JSON",
    timestamp: str | None = None,
    nonce: str | None = None,
    omit: Collection[str] = (),
    secret: str | None = None,
) -> RawRequest:
    """An RPC v1 request: common and ``params`` in the query, ``form`` (if any) in the body.

    ``omit`` drops common parameters (``Action``, ``Timestamp``...) before signing.
    """
    query: dict[str, str] = {
        "Action": action,
        "Version": version,
        "Format": response_format,
        "Timestamp": timestamp or utc_timestamp(),
        "SignatureNonce": nonce or new_nonce(),
    }
    if key is not None:
        query.update(
            AccessKeyId=key.access_key_id,
            SignatureMethod=signing.RPC_SIGNATURE_METHOD,
            SignatureVersion=signing.RPC_SIGNATURE_VERSION,
        )
        if key.security_token is not None:
            query["SecurityToken"] = key.security_token
    query.update(params or {})
    for name in omit:
        query.pop(name, None)
    body_params = dict(form or {})
    string_to_sign = ""
    if key is not None:
        canonical = signing.rpc_canonical_query({**query, **body_params})
        string_to_sign = signing.rpc_string_to_sign(method, canonical)
        query["Signature"] = signing.rpc_signature(string_to_sign, secret or key.secret)
    headers = {"content-type": FORM_TYPE} if form is not None else {}
    return RawRequest(
        method=method,
        url=f"{endpoint}/?{urlencode(query)}",
        headers=headers,
        body=urlencode(body_params).encode() if form is not None else b"",
        string_to_sign=string_to_sign,
    )


def acs3_request(
    endpoint: str,
    action: str,
    key: Key | None,
    query: Mapping[str, str] | None = None,
    *,
    method: str = "POST",
    form: Mapping[str, str] | None = None,
    version: str = STS_VERSION,
    timestamp: str | None = None,
    nonce: str | None = None,
    omit_headers: Collection[str] = (),
    signed_headers: Collection[str] | None = None,
    secret: str | None = None,
) -> RawRequest:
    """An ACS3-HMAC-SHA256 request: ``query`` in the URL, ``form`` (if any) as the body.

    Every header is signed, as the SDKs do, unless ``signed_headers`` names a subset;
    ``omit_headers`` drops common headers before signing.
    """
    body = urlencode(dict(form)).encode() if form is not None else b""
    payload_hash = signing.hash_payload(body)
    headers: dict[str, str] = {
        "host": urlsplit(endpoint).netloc,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": timestamp or utc_timestamp(),
        "x-acs-signature-nonce": nonce or new_nonce(),
        "x-acs-content-sha256": payload_hash,
        "accept": "application/json",
    }
    if form is not None:
        headers["content-type"] = FORM_TYPE
    if key is not None and key.security_token is not None:
        headers["x-acs-security-token"] = key.security_token
        headers["x-acs-accesskey-id"] = key.access_key_id
    for name in omit_headers:
        headers.pop(name, None)
    params = dict(query or {})
    url = f"{endpoint}/?{urlencode(params)}" if params else f"{endpoint}/"
    string_to_sign = ""
    if key is not None:
        names = sorted(headers if signed_headers is None else signed_headers)
        canonical = signing.acs3_canonical_request(
            method, "/", params, headers, names, payload_hash
        )
        string_to_sign = signing.acs3_string_to_sign(canonical)
        authorization = signing.Acs3Authorization(
            key.access_key_id,
            tuple(names),
            signing.acs3_signature(string_to_sign, secret or key.secret),
        )
        headers["authorization"] = authorization.header_value()
    return RawRequest(method, url, headers, body, string_to_sign)


class Api:
    """A running emulator and an HTTP client: build raw requests, send them, read answers."""

    def __init__(self, emulator: EmulatorServer, client: httpx.Client) -> None:
        self.emulator = emulator
        self.endpoint = emulator.endpoint
        self.cloud = emulator.cloud
        self.client = client

    @property
    def key(self) -> Key:
        """The seeded user's AccessKey."""
        return user_key(self.cloud)

    def send(self, request: RawRequest) -> httpx.Response:
        """Send ``request`` exactly as built."""
        return self.client.request(
            request.method, request.url, headers=request.headers, content=request.body
        )

    def rpc_request(
        self, action: str, params: Mapping[str, str] | None = None, **options: Any
    ) -> RawRequest:
        """``rpc_request`` to this emulator, signed by the seeded user unless ``key=`` says."""
        key = options.pop("key", self.key)
        return rpc_request(self.endpoint, action, key, params, **options)

    def acs3_request(
        self, action: str, query: Mapping[str, str] | None = None, **options: Any
    ) -> RawRequest:
        """``acs3_request`` to this emulator, signed by the seeded user unless ``key=`` says."""
        key = options.pop("key", self.key)
        return acs3_request(self.endpoint, action, key, query, **options)

    def rpc(
        self, action: str, params: Mapping[str, str] | None = None, **options: Any
    ) -> httpx.Response:
        """Build and send an RPC v1 call."""
        return self.send(self.rpc_request(action, params, **options))

    def acs3(
        self, action: str, query: Mapping[str, str] | None = None, **options: Any
    ) -> httpx.Response:
        """Build and send an ACS3 call."""
        return self.send(self.acs3_request(action, query, **options))

    def role_credential(
        self, role_arn: str, session_name: str = "test-session", **options: Any
    ) -> Key:
        """AssumeRole (RPC v1); the STS credential it issues."""
        params = {"RoleArn": role_arn, "RoleSessionName": session_name}
        params.update(options.pop("params", {}))
        response = self.rpc("AssumeRole", params, **options)
        assert response.status_code == 200, response.text
        credentials = response.json()["Credentials"]
        return Key(
            credentials["AccessKeyId"],
            credentials["AccessKeySecret"],
            credentials["SecurityToken"],
        )


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The JSON error body, once ``response`` is shown to be that error."""
    assert (response.status_code, response.json().get("Code")) == (status, code), response.text
    body: dict[str, Any] = response.json()
    return body


def parse_xml(content: bytes) -> ET.Element:
    """Parse an XML answer of the emulator (our own server, so the stdlib parser is fine)."""
    return ET.fromstring(content)  # noqa: S314
