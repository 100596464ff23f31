"""Fuzzing the emulator's HTTP surface: whatever a client sends, the emulator answers with an
error the client caused (4xx), never with one of its own (5xx), and records no server error.

Requests go straight to the ASGI application (``create_app`` on the session's ``Cloud``) rather
than through httpx, which would tidy up what it sends: here header values and bodies are any
bytes at all, and the query any ASCII, with invalid percent-encodings and percent-encoded
non-UTF-8 bytes. (Raw bytes above 0x7F in a request target never reach the application: the
HTTP server refuses the request line with its own 400.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akless.emulator import EmulatorServer
from akless.emulator.app import create_app
from akless.emulator.metadata import TOKEN_HEADER, TOKEN_TTL_HEADER
from akless.emulator.protocol import RPC_COMMON_PARAMS
from tests.emulator.helpers import (
    STS_VERSION,
    Key,
    RawRequest,
    acs3_request,
    rpc_request,
    user_key,
    utc_timestamp,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ORIGIN = "http://testserver"
SIGNATURE_FAILURES = {"SignatureDoesNotMatch", "IncompleteSignature"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(
    app: Any,
    *,
    method: str,
    path: str = "/",
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
) -> Answer:
    """One request through the ASGI application, exactly as given."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": quote(path, errors="surrogateescape").encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(message for message in sent if message["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], dict(start.get("headers", [])), content)


def exchange_raw(app: Any, request: RawRequest) -> Answer:
    """Send a request built by the helpers (for ``ORIGIN``)."""
    url = urlsplit(request.url)
    headers = [(name.encode(), value.encode()) for name, value in request.headers.items()]
    return exchange(
        app,
        method=request.method,
        path=url.path,
        query=url.query.encode(),
        headers=headers,
        body=request.body,
    )


@pytest.fixture
def emulator(akless_emulator: EmulatorServer) -> EmulatorServer:
    return akless_emulator


@pytest.fixture
def app(emulator: EmulatorServer) -> Any:
    return create_app(emulator.cloud)


def no_server_errors(emulator: EmulatorServer) -> None:
    errors = emulator.cloud.server_errors
    assert errors == [], errors


# --- strategies ---------------------------------------------------------------------------------

PARAMETER_NAMES = sorted(
    RPC_COMMON_PARAMS
    | {"RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "ExternalId"}
    | {"OIDCProviderArn", "OIDCToken", "SourceIdentity"}
)
QUERY_JUNK = [b"%", b"%zz", b"%ff", b"%c3", b"%c3%28", b"%ED%A0%80", b"=", b"&&", b"+", b"%00"]
ASCII_BYTES = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12).map(str.encode)
HEADER_NAMES = [
    b"authorization",
    b"x-acs-action",
    b"x-acs-version",
    b"x-acs-date",
    b"x-acs-signature-nonce",
    b"x-acs-content-sha256",
    b"x-acs-security-token",
    b"x-acs-accesskey-id",
    b"content-type",
    b"host",
    b"user-agent",
    b"accept",
]
FORM_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
]
JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]
OTHER_TYPES = ["text/plain", "multipart/form-data; boundary=x", "application/octet-stream", ""]
JSON_JUNK = [
    b"[1,2]",
    b'{"a":',
    b'"\\ud800"',
    b'{"Action":"\\udfff","Version":"2015-04-01"}',
    b"1e999",
]


def plausible_values(emulator: EmulatorServer) -> list[str]:
    """Values that get a request past the first checks, so the fuzz reaches deeper ones."""
    identity = emulator.cloud.identity
    return [
        STS_VERSION,
        "AssumeRole",
        "AssumeRoleWithOIDC",
        "GetCallerIdentity",
        "XML",
        "json",
        "HMAC-SHA1",
        "1.0",
        utc_timestamp(emulator.cloud.now()),
        identity.access_key_id,
        identity.role_arn,
        identity.oidc_role_arn,
        identity.oidc_provider_arn,
        "STS.NTnotIssuedByTheEmulator0",
        "CAIS" + "A" * 20,
        "3600",
        "²",
        "session-1",
        '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        "",
    ]


def form_pairs(values: list[str]) -> st.SearchStrategy[bytes]:
    name = st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=8))
    value = st.one_of(st.sampled_from(values), st.text(max_size=24))
    pair = st.tuples(name, value).map(
        lambda nv: f"{quote_plus(nv[0])}={quote_plus(nv[1])}".encode()
    )
    piece = st.one_of(pair, pair, st.sampled_from(QUERY_JUNK), ASCII_BYTES)
    return st.lists(piece, max_size=10).map(b"&".join)


def authorization_values(access_key_id: str) -> st.SearchStrategy[bytes]:
    parts = st.sampled_from(
        [
            f"Credential={access_key_id}",
            "Credential=STS.NTnotIssuedByTheEmulator0",
            "Credential=",
            "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;"
            "x-acs-signature-nonce;x-acs-version",
            "SignedHeaders=;;",
            "SignedHeaders=host;no-such-header",
            "Signature=00",
            "Signature=",
            "=",
            "junk",
        ]
    )
    scheme = st.sampled_from(["ACS3-HMAC-SHA256 ", "ACS3-HMAC-SHA256", "Bearer ", ""])
    structured = st.builds(lambda s, p: (s + ",".join(p)).encode(), scheme, st.lists(parts))
    return st.one_of(structured, st.binary(max_size=40))


def json_values() -> st.SearchStrategy[Any]:
    # Surrogates included: JSON can carry them as escapes although UTF-8 cannot.
    text = st.text(st.characters(exclude_categories=()), max_size=12)
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def bodies(values: list[str]) -> st.SearchStrategy[tuple[str, bytes]]:
    """``(content type, body)``: mostly a body of the type declared, sometimes not."""
    json_object = st.dictionaries(
        st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=8)),
        st.one_of(st.sampled_from(values), json_values()),
        max_size=6,
    ).map(lambda document: json.dumps(document).encode())
    any_type = st.one_of(
        st.sampled_from(FORM_TYPES + JSON_TYPES + OTHER_TYPES), st.text(max_size=20)
    )
    return st.one_of(
        st.tuples(st.just(""), st.just(b"")),
        st.tuples(st.sampled_from(FORM_TYPES), form_pairs(values)),
        st.tuples(st.sampled_from(JSON_TYPES), json_object | st.sampled_from(JSON_JUNK)),
        st.tuples(any_type, st.binary(max_size=64)),
    )


@st.composite
def api_requests(draw: st.DrawFn, emulator: EmulatorServer) -> dict[str, Any]:
    values = plausible_values(emulator)
    header_value = st.one_of(
        st.sampled_from(values).map(str.encode),
        st.binary(max_size=40),
        authorization_values(emulator.cloud.identity.access_key_id),
    )
    headers = draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(HEADER_NAMES), st.binary(max_size=8)), header_value
            ),
            max_size=8,
        )
    )
    content_type, body = draw(bodies(values))
    if content_type:
        headers.append((b"content-type", content_type.encode("utf-8", "surrogateescape")))
    return {
        "method": draw(st.sampled_from(["GET", "POST"])),
        "query": draw(form_pairs(values)),
        "headers": headers,
        "body": body,
    }


# --- the API on "/" -----------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_any_unsigned_or_badly_signed_api_request_gets_a_client_error(
    emulator: EmulatorServer, app: Any, data: st.DataObject
) -> None:
    request = data.draw(api_requests(emulator))

    answer = exchange(app, **request)

    assert 400 <= answer.status < 500, (answer.status, answer.body)
    assert set(answer.json()) >= {"RequestId", "Code", "Message"}
    no_server_errors(emulator)


DURATIONS = ["3600", "899", "43201", "²", "٣٦٠٠", "3600.0", ""]
POLICIES = [
    '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    '{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":{}}]}',
    '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":1}]}',
    '{"Version":"1","Statement":[null]}',
    "[" * 5000,
    "x" * 3000,
]


def business_params(draw: st.DrawFn, valid: dict[str, str], values: list[str]) -> dict[str, str]:
    """``valid`` with some values broken, the optional STS parameters, and unknown ones."""
    junk = st.one_of(st.sampled_from(values), st.text(max_size=24))
    params = dict(valid)
    for name in draw(st.sets(st.sampled_from(sorted(valid)))) if valid else ():
        params[name] = draw(junk)
    optional = {
        "DurationSeconds": st.sampled_from(DURATIONS) | st.text(max_size=8),
        "Policy": st.sampled_from(POLICIES) | st.text(max_size=40),
        "ExternalId": junk,
        "SourceIdentity": junk,
    }
    for name in draw(st.sets(st.sampled_from(sorted(optional)))):
        params[name] = draw(optional[name])
    unknown = st.text(min_size=1, max_size=8).filter(lambda n: n not in RPC_COMMON_PARAMS)
    params.update(draw(st.dictionaries(unknown, junk, max_size=3)))
    return params


@st.composite
def signed_requests(draw: st.DrawFn, emulator: EmulatorServer, sts: Key) -> RawRequest:
    """A request whose signature is right, whatever its parameters say."""
    identity = emulator.cloud.identity
    valid = {
        "GetCallerIdentity": {},
        "AssumeRole": {"RoleArn": identity.role_arn, "RoleSessionName": "fuzz-1"},
        "AssumeRoleWithOIDC": {
            "RoleArn": identity.oidc_role_arn,
            "OIDCProviderArn": identity.oidc_provider_arn,
            "OIDCToken": emulator.cloud.mint_oidc_token(),
            "RoleSessionName": "fuzz-1",
        },
    }
    action = draw(st.sampled_from(sorted(valid)))
    params = business_params(draw, valid[action], plausible_values(emulator))
    key = draw(st.sampled_from([user_key(emulator.cloud), sts]))
    style = draw(st.sampled_from(["rpc-get", "rpc-post", "rpc-form", "acs3-query", "acs3-form"]))
    if style == "rpc-get":
        return rpc_request(ORIGIN, action, key, params)
    if style == "rpc-post":
        return rpc_request(ORIGIN, action, key, params, method="POST")
    if style == "rpc-form":
        return rpc_request(ORIGIN, action, key, method="POST", form=params)
    if style == "acs3-query":
        return acs3_request(ORIGIN, action, key, params)
    return acs3_request(ORIGIN, action, key, form=params)


@pytest.fixture
def sts_key(emulator: EmulatorServer, app: Any) -> Key:
    """An STS credential of the seeded role."""
    request = rpc_request(
        ORIGIN,
        "AssumeRole",
        user_key(emulator.cloud),
        {"RoleArn": emulator.cloud.identity.role_arn, "RoleSessionName": "fuzz"},
    )
    credentials = exchange_raw(app, request).json()["Credentials"]
    return Key(
        credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"]
    )


@FUZZ
@given(data=st.data())
def test_correctly_signed_request_always_passes_the_signature_check(
    emulator: EmulatorServer, app: Any, sts_key: Key, data: st.DataObject
) -> None:
    # Whatever the parameters, what the client signed is what the emulator verifies: encoding
    # on the wire and decoding in the gateway agree.
    request = data.draw(signed_requests(emulator, sts_key))

    answer = exchange_raw(app, request)

    assert answer.status < 500, answer.body
    if answer.status != 200:
        assert answer.json()["Code"] not in SIGNATURE_FAILURES, answer.body
    no_server_errors(emulator)


@FUZZ
@given(data=st.data())
def test_unsigned_oidc_exchange_with_any_parameters_never_fails_the_emulator(
    emulator: EmulatorServer, app: Any, data: st.DataObject
) -> None:
    cloud = emulator.cloud
    identity = cloud.identity
    token = cloud.mint_oidc_token()
    valid = {
        "RoleArn": identity.oidc_role_arn,
        "OIDCProviderArn": identity.oidc_provider_arn,
        "OIDCToken": token,
        "RoleSessionName": "fuzz",
    }
    params = business_params(data.draw, valid, [*plausible_values(emulator), token])
    style = data.draw(st.sampled_from(["rpc", "acs3"]))
    request = (
        rpc_request(ORIGIN, "AssumeRoleWithOIDC", None, method="POST", form=params)
        if style == "rpc"
        else acs3_request(ORIGIN, "AssumeRoleWithOIDC", None, form=params)
    )

    answer = exchange_raw(app, request)

    assert answer.status < 500, answer.body
    assert answer.status == 200 or answer.json()["Code"], answer.body
    no_server_errors(emulator)


# --- the metadata service under /latest/ --------------------------------------------------------

TTL_VALUES = st.one_of(
    st.integers(min_value=-10, max_value=30000).map(str),
    st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=8),  # header bytes are latin-1
)


def ttl_is_valid(ttl: str) -> bool:
    text = ttl.strip()
    return text.isascii() and text.isdigit() and 1 <= int(text) <= 21600


@FUZZ
@given(ttl=TTL_VALUES)
def test_metadata_token_ttl_is_a_whole_number_of_seconds_up_to_six_hours(
    emulator: EmulatorServer, app: Any, ttl: str
) -> None:
    answer = exchange(
        app,
        method="PUT",
        path="/latest/api/token",
        headers=[(TOKEN_TTL_HEADER.encode(), ttl.encode("latin-1"))],
    )

    assert answer.status == (200 if ttl_is_valid(ttl) else 400), (ttl, answer.body)
    no_server_errors(emulator)


def test_ttl_with_a_superscript_digit_is_refused(emulator: EmulatorServer, app: Any) -> None:
    # "²".isdigit() is True, but int("²") raises.
    ttl_header = (TOKEN_TTL_HEADER.encode(), "²".encode("latin-1"))

    answer = exchange(app, method="PUT", path="/latest/api/token", headers=[ttl_header])

    assert answer.status == 400
    no_server_errors(emulator)


@FUZZ
@given(data=st.data())
def test_any_metadata_request_is_answered_without_a_server_error(
    emulator: EmulatorServer, app: Any, data: st.DataObject
) -> None:
    cloud = emulator.cloud
    valid_token = cloud.issue_metadata_token(60)
    segments = st.one_of(
        st.sampled_from(
            [
                "meta-data",
                "ram",
                "security-credentials",
                cloud.identity.instance_role,
                "api",
                "token",
            ]
        ),
        st.sampled_from(["", ".", "..", "%", "%2F", "instance-id", "dynamic"]),
        st.text(max_size=10),
    )
    path = "/latest/" + "/".join(data.draw(st.lists(segments, max_size=5)))
    token_values = st.one_of(st.just(valid_token.encode()), st.binary(max_size=20))
    header_values = {
        TOKEN_HEADER.encode(): token_values,
        TOKEN_TTL_HEADER.encode(): TTL_VALUES.map(lambda ttl: ttl.encode("latin-1")),
        b"x-forwarded-for": st.sampled_from([b"10.0.0.1", b"", b"\xff"]),
    }
    names = data.draw(st.sets(st.sampled_from(sorted(header_values)), max_size=3))
    headers = [(name, data.draw(header_values[name])) for name in sorted(names)]
    method = data.draw(st.sampled_from(["GET", "PUT", "POST", "DELETE"]))

    answer = exchange(app, method=method, path=path, headers=headers)

    assert answer.status < 500, (path, headers, answer.body)
    no_server_errors(emulator)
