"""``OpenApiClient``: how an RPC-style action is signed, sent and its answer mapped to errors.

Everything here runs against ``FakeTransport``: the requests the client builds are inspected
and verified with the signing module, and the answers are written by hand.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest

from akless._openapi import API_TIMEOUT, OpenApiClient, endpoint_url, redact_message
from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse, ServiceError, TransportTimeout
from akless.signing import hash_payload, parse_acs3_authorization, verify_acs3
from akless.transport import FakeTransport, Request, Response, Timeout

ENDPOINT = "http://sts.test:8080"
NOW = 1_700_000_000.0
USER = Credentials("LTAI5tUserKeyIdExample01", "user-secret-NEVER-SHOWN")
STS = Credentials(
    "STS.NTemporaryKeyIdExample9",
    "sts-secret-NEVER-SHOWN",
    security_token="CAIS-security-token-NEVER-SHOWN",
    expiration=NOW + 3600,
    provider_name="ram_role_arn",
)


def answer(
    status: int = 200, body: Any = None, headers: Mapping[str, str] | None = None
) -> FakeTransport:
    """A transport that gives every request the same answer (a JSON object unless bytes)."""
    if body is None:
        body = {"RequestId": "REQ-1"}
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()

    def handler(request: Request) -> Response:
        return Response(status, dict(headers or {}), payload, request.url)

    return FakeTransport(handler)


def client_with(transport: FakeTransport, clock_now: float = NOW) -> OpenApiClient:
    return OpenApiClient(ENDPOINT, "2015-04-01", transport=transport, clock=lambda: clock_now)


def only_request(transport: FakeTransport) -> Request:
    (request,) = transport.requests
    return request


def verify(request: Request, secret: str) -> bool:
    """Whether ``request`` carries a valid ACS3 signature made with ``secret``."""
    return verify_acs3(
        method=request.method,
        path="/",
        query={},
        headers=request.headers,
        payload_hash=hash_payload(request.body),
        authorization=parse_acs3_authorization(request.headers["authorization"]),
        access_key_secret=secret,
    ).valid


def error_for(status: int, body: Any, headers: Mapping[str, str] | None = None) -> ServiceError:
    client = client_with(answer(status, body, headers))
    with pytest.raises(ServiceError) as caught:
        client.call("AssumeRole", {"RoleArn": "acs:ram::1:role/r"}, USER)
    return caught.value


# --- the request ----------------------------------------------------------------------------


def test_a_call_is_a_form_post_to_the_endpoint_root() -> None:
    transport = answer()

    client_with(transport).call("AssumeRole", {"RoleArn": "acs:ram::1:role/r", "X": "a b"}, USER)

    request = only_request(transport)
    assert (request.method, request.url) == ("POST", f"{ENDPOINT}/")
    assert dict(parse_qsl(request.body.decode())) == {"RoleArn": "acs:ram::1:role/r", "X": "a b"}
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["accept"] == "application/json"
    assert request.timeout == API_TIMEOUT == Timeout(connect=5.0, read=10.0)


def test_a_call_carries_the_acs3_headers() -> None:
    transport = answer()

    client_with(transport).call("GetCallerIdentity", {}, USER)

    headers = only_request(transport).headers
    assert headers["host"] == "sts.test:8080"
    assert headers["x-acs-action"] == "GetCallerIdentity"
    assert headers["x-acs-version"] == "2015-04-01"
    assert headers["x-acs-date"] == format_timestamp(NOW) == "2023-11-14T22:13:20Z"
    assert headers["x-acs-content-sha256"] == hash_payload(b"")
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-acs-signature-nonce"])


def test_every_call_has_a_fresh_nonce() -> None:
    transport = answer()
    client = client_with(transport)

    client.call("GetCallerIdentity", {}, USER)
    client.call("GetCallerIdentity", {}, USER)

    first, second = (request.headers["x-acs-signature-nonce"] for request in transport.requests)
    assert first != second


def test_a_signed_call_verifies_with_the_secret_and_only_with_it() -> None:
    transport = answer()

    client_with(transport).call("AssumeRole", {"RoleArn": "acs:ram::1:role/r"}, USER)

    request = only_request(transport)
    authorization = parse_acs3_authorization(request.headers["authorization"])
    assert authorization.access_key_id == USER.access_key_id
    assert {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date"} <= set(
        authorization.signed_headers
    )
    assert verify(request, USER.access_key_secret)
    assert not verify(request, "another-secret")


def test_the_signature_covers_the_body() -> None:
    transport = answer()
    client_with(transport).call("AssumeRole", {"RoleArn": "acs:ram::1:role/r"}, USER)
    request = only_request(transport)

    tampered = Request(request.method, request.url, request.headers, b"RoleArn=other")

    assert not verify(tampered, USER.access_key_secret)


def test_sts_credentials_send_and_sign_their_security_token() -> None:
    transport = answer()

    client_with(transport).call("GetCallerIdentity", {}, STS)

    request = only_request(transport)
    assert request.headers["x-acs-security-token"] == STS.security_token
    assert request.headers["x-acs-accesskey-id"] == STS.access_key_id
    signed = parse_acs3_authorization(request.headers["authorization"]).signed_headers
    assert "x-acs-security-token" in signed
    assert verify(request, STS.access_key_secret)


def test_long_term_keys_send_no_security_token() -> None:
    transport = answer()

    client_with(transport).call("GetCallerIdentity", {}, USER)

    assert "x-acs-security-token" not in only_request(transport).headers


def test_an_anonymous_call_is_not_signed() -> None:
    transport = answer()

    client_with(transport).call("AssumeRoleWithOIDC", {"OIDCToken": "eyJ.jwt.sig"})

    headers = only_request(transport).headers
    assert "authorization" not in headers
    assert "x-acs-security-token" not in headers
    assert "x-acs-accesskey-id" not in headers
    assert headers["x-acs-action"] == "AssumeRoleWithOIDC"


def test_parameters_never_appear_in_the_url() -> None:
    transport = answer()
    token = "eyJhbGciOi.OIDC-TOKEN-IN-BODY-ONLY.sig"

    client_with(transport).call("AssumeRoleWithOIDC", {"OIDCToken": token})

    request = only_request(transport)
    assert "?" not in request.url
    assert token not in request.url
    assert token in request.body.decode()


def test_an_endpoint_with_a_trailing_slash_is_not_doubled() -> None:
    transport = answer()
    client = OpenApiClient(f"{ENDPOINT}/", "2015-04-01", transport=transport)

    client.call("GetCallerIdentity", {}, USER)

    assert only_request(transport).url == f"{ENDPOINT}/"


# --- the answer -----------------------------------------------------------------------------


def test_a_successful_call_returns_the_decoded_json_object() -> None:
    body = {"RequestId": "REQ-9", "Arn": "acs:ram::1:user/dev"}

    result = client_with(answer(200, body)).call("GetCallerIdentity", {}, USER)

    assert result == body


def test_an_error_envelope_becomes_a_service_error_with_its_fields() -> None:
    error = error_for(
        404,
        {"Code": "EntityNotExist.Role", "Message": "The role not exists.", "RequestId": "REQ-7"},
    )

    assert (error.code, error.status, error.request_id) == ("EntityNotExist.Role", 404, "REQ-7")
    assert error.endpoint == ENDPOINT
    text = str(error)
    assert text.startswith(f"AssumeRole at {ENDPOINT} failed: EntityNotExist.Role:")
    assert "The role not exists." in text
    assert "(RequestId REQ-7)" in text


def test_a_lowercase_error_envelope_is_understood_too() -> None:
    error = error_for(400, {"code": "Throttling", "message": "slow down", "requestId": "r-2"})

    assert (error.code, error.request_id) == ("Throttling", "r-2")
    assert "slow down" in str(error)


def test_signature_mismatch_messages_do_not_repeat_the_string_to_sign() -> None:
    echoed = (
        "POST&%2F&AccessKeyId%3DSTS.NTemporaryKeyIdExample9%26SecurityToken%3D"
        "CAIS-planted-token-7f3a9%26SignatureMethod%3DHMAC-SHA1"
    )
    error = error_for(
        400,
        {
            "Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched with our calculation. "
            f"server string to sign is:{echoed}",
            "RequestId": "REQ-3",
        },
    )

    assert error.code == "SignatureDoesNotMatch"
    assert "CAIS-planted-token-7f3a9" not in str(error)
    assert "SecurityToken" not in str(error)
    assert "server string to sign is: [redacted]" in str(error)
    assert "Specified signature is not matched with our calculation." in str(error)


def test_redaction_leaves_other_messages_alone() -> None:
    assert redact_message("The role not exists.") == "The role not exists."


@pytest.mark.parametrize(
    ("server_offset", "advice"),
    [
        (-1200, "The local clock is 1200 s ahead of the server's"),
        (+900, "The local clock is 900 s behind the server's"),
    ],
)
def test_an_expired_timestamp_explains_how_far_the_local_clock_is_off(
    server_offset: int, advice: str
) -> None:
    server_date = email.utils.formatdate(NOW + server_offset, usegmt=True)

    error = error_for(
        400,
        {"Code": "InvalidTimeStamp.Expired", "Message": "Specified time stamp is expired."},
        {"date": server_date},
    )

    assert error.code == "InvalidTimeStamp.Expired"
    assert advice in str(error)
    assert "NTP" in str(error)


def test_an_expired_timestamp_without_a_date_header_still_blames_the_clock() -> None:
    error = error_for(400, {"Code": "InvalidTimeStamp.Expired", "Message": "expired"})

    assert "local clock is probably wrong" in str(error)


def test_a_200_answer_that_is_not_json_is_malformed() -> None:
    client = client_with(answer(200, b"<html>captive portal</html>"))

    with pytest.raises(MalformedResponse) as caught:
        client.call("GetCallerIdentity", {}, USER)

    assert caught.value.endpoint == ENDPOINT
    assert "not a JSON object" in str(caught.value)
    assert ENDPOINT in str(caught.value)


def test_a_200_answer_that_is_a_json_array_is_malformed() -> None:
    client = client_with(answer(200, b"[1, 2]"))

    with pytest.raises(MalformedResponse):
        client.call("GetCallerIdentity", {}, USER)


def test_an_error_that_is_not_json_is_a_service_error_named_after_the_status() -> None:
    error = error_for(502, b"<html>Bad Gateway</html>")

    assert (error.code, error.status, error.request_id) == ("HTTP502", 502, None)
    assert "HTTP502" in str(error)
    assert "not an API error envelope" in str(error)
    assert "24 bytes" in str(error)


def test_an_error_page_is_described_not_quoted() -> None:
    """A proxy's error page may echo the request, tokens included: it is never quoted."""
    error = error_for(403, b"<html>blocked: OIDCToken=eyJhbGciOiJSUzI1NiJ9.secret</html>")

    assert "secret" not in str(error)
    assert "OIDCToken" not in str(error)


def test_transport_failures_pass_through_unchanged() -> None:
    def handler(request: Request) -> Response:
        raise TransportTimeout("timed out reading from http://sts.test:8080/", url=request.url)

    client = client_with(FakeTransport(handler))

    with pytest.raises(TransportTimeout):
        client.call("GetCallerIdentity", {}, USER)


# --- endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("sts.aliyuncs.com", "https://sts.aliyuncs.com"),
        ("sts.example.test:8443", "https://sts.example.test:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("  http://127.0.0.1:8080/  ", "http://127.0.0.1:8080"),
        ("https://sts-vpc.cn-hangzhou.aliyuncs.com", "https://sts-vpc.cn-hangzhou.aliyuncs.com"),
    ],
)
def test_endpoint_url_accepts_hosts_and_urls(value: str, url: str) -> None:
    assert endpoint_url(value, source="sts_endpoint") == url


@pytest.mark.parametrize(
    "value",
    ["ftp://x", "http://", "", "   ", "sts.test:99999", "sts.test:port", "http://[::1"],
)
def test_endpoint_url_rejects_what_is_not_an_http_endpoint_naming_the_source(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        endpoint_url(value, source="ALIBABA_CLOUD_STS_ENDPOINT")

    assert caught.value.source == "ALIBABA_CLOUD_STS_ENDPOINT"
    assert "ALIBABA_CLOUD_STS_ENDPOINT" in str(caught.value)
