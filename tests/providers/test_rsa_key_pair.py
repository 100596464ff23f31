"""``RsaKeyPairProvider`` and ``StsClient.generate_session_access_key``.

End to end against the emulator (and the official ``RsaKeyPairCredentialsProvider`` against the
same emulator), the wire request as data (``FakeTransport``), every configuration error, and the
private key text never showing in an error, a ``repr`` or a log record.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from alibabacloud_credentials.provider import RsaKeyPairCredentialsProvider
from alibabacloud_credentials.utils import parameter_helper

from akless._files import MAX_FILE_BYTES
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from akless.providers.rsa_key_pair import RsaKeyPairProvider
from akless.sts import StsClient, resolve_sts_endpoint
from akless.transport import FakeTransport, Request, Response

FAKE_PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIEplantedFAKEkeyBODY0123456789\n-----END PRIVATE KEY-----\n"
)
"""PEM-shaped text for tests that never reach a server."""
PLANTED = "PLANTED-SECRET-0f1e2d3c4b5a"


@dataclass(frozen=True)
class KeyPairFile:
    """A key pair the emulator knows, its private key written to a file as a download would."""

    public_key_id: str
    private_key: str
    path: Path


def write_private_key(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    path.chmod(mode)
    return path


@pytest.fixture
def key_pair(akless_emulator: EmulatorServer, tmp_path: Path) -> KeyPairFile:
    public_key_id, private_key = akless_emulator.cloud.create_key_pair("akless-dev")
    path = write_private_key(tmp_path / f"privateKey-{public_key_id}.pem", private_key)
    return KeyPairFile(public_key_id, private_key, path)


@pytest.fixture
def fake_key_file(tmp_path: Path) -> Path:
    return write_private_key(tmp_path / "fake.pem", FAKE_PEM)


def provider_for(
    emulator: EmulatorServer, key_pair: KeyPairFile, **options: Any
) -> RsaKeyPairProvider:
    return RsaKeyPairProvider(
        public_key_id=options.pop("public_key_id", key_pair.public_key_id),
        private_key_file=options.pop("private_key_file", key_pair.path),
        sts_endpoint=emulator.endpoint,
        **options,
    )


def secret_lines(private_key: str) -> list[str]:
    """The base64 body lines of a PEM private key: none may show anywhere."""
    return [line for line in private_key.splitlines() if line and "-----" not in line]


# --- end to end against the emulator ----------------------------------------------------------


def test_session_access_key_signs_calls_as_the_key_pairs_user(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    provider = provider_for(akless_emulator, key_pair)

    credentials = provider.get_credentials()

    assert credentials.access_key_id.startswith("TMPSK.")
    assert credentials.security_token is None
    assert credentials.provider_name == "rsa_key_pair"
    assert credentials.expiration is not None
    assert abs(credentials.expiration - (time.time() + 3600)) <= 5
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert caller.identity_type == "RAMUser"
    assert caller.arn == akless_emulator.cloud.user_arn("akless-dev")


def test_provider_is_named_rsa_key_pair(fake_key_file: Path) -> None:
    provider = RsaKeyPairProvider(public_key_id="KP-x", private_key_file=fake_key_file, environ={})

    assert provider.name == provider.get_provider_name() == "rsa_key_pair"


def test_session_access_key_is_reused_until_its_refresh_window(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    provider = provider_for(akless_emulator, key_pair)

    first, second = provider.get_credentials(), provider.get_credentials()

    assert first == second
    actions = [call.action for call in akless_emulator.cloud.store.calls()]
    assert actions.count("GenerateSessionAccessKey") == 1


def test_async_callers_get_the_same_session_access_key(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    provider = provider_for(akless_emulator, key_pair)

    async def main() -> list[Credentials]:
        return list(await asyncio.gather(*(provider.get_credentials_async() for _ in range(5))))

    results = asyncio.run(main())

    assert len({result.access_key_id for result in results}) == 1
    assert results[0].access_key_id.startswith("TMPSK.")


@pytest.mark.parametrize("duration", [900, "1800", 3600])
def test_duration_seconds_sets_the_expiration(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile, duration: int | str
) -> None:
    provider = provider_for(akless_emulator, key_pair, duration_seconds=duration)

    credentials = provider.get_credentials()

    assert credentials.expiration is not None
    assert abs(credentials.expiration - (time.time() + int(duration))) <= 5
    record = akless_emulator.cloud.store.calls()[0]
    assert record.params == {"DurationSeconds": str(int(duration))}


def test_private_key_file_is_read_once_when_the_provider_is_made(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    provider = provider_for(akless_emulator, key_pair)
    key_pair.path.unlink()

    assert provider.get_credentials().access_key_id.startswith("TMPSK.")


def test_crlf_line_ends_are_read_as_the_official_library_reads_them(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    # Text mode turns CRLF into LF, so a key file saved on Windows still signs correctly.
    write_private_key(key_pair.path, key_pair.private_key.replace("\n", "\r\n"))
    provider = provider_for(akless_emulator, key_pair)

    assert provider.get_credentials().access_key_id.startswith("TMPSK.")


def test_official_provider_gets_a_session_access_key_from_the_emulator(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    # Tea drops its "https" protocol when the host carries a scheme, so this reaches the emulator.
    official = RsaKeyPairCredentialsProvider(
        public_key_id=key_pair.public_key_id,
        private_key_file=str(key_pair.path),
        sts_endpoint=akless_emulator.endpoint,
    )

    issued = official.get_credentials()

    assert issued.get_access_key_id().startswith("TMPSK.")
    assert issued.get_security_token() is None
    assert issued.get_provider_name() == "rsa_key_pair"
    assert abs(issued.get_expiration() - (time.time() + 3600)) <= 5
    credentials = Credentials(issued.get_access_key_id(), issued.get_access_key_secret())
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert caller.arn == akless_emulator.cloud.user_arn("akless-dev")


def test_wrong_private_key_does_not_match_the_signature(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile, tmp_path: Path
) -> None:
    _, other_private_key = akless_emulator.cloud.create_key_pair("akless-dev")
    other = write_private_key(tmp_path / "other.pem", other_private_key)
    provider = provider_for(akless_emulator, key_pair, private_key_file=other)

    with pytest.raises(ServiceError) as caught:
        provider.get_credentials()

    assert (caught.value.status, caught.value.code) == (400, "SignatureDoesNotMatch")
    assert "server string to sign is: [redacted]" in str(caught.value)


def test_unknown_public_key_id_is_not_found(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    provider = provider_for(akless_emulator, key_pair, public_key_id="KP-unknown")

    with pytest.raises(ServiceError) as caught:
        provider.get_credentials()

    assert caught.value.code == "InvalidAccessKeyId.NotFound"


def test_session_access_key_is_refused_once_expired(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile
) -> None:
    cloud = akless_emulator.cloud
    cloud.set_credential_lifetime(60)
    credentials = provider_for(akless_emulator, key_pair).get_credentials()
    sts = StsClient(akless_emulator.endpoint)
    assert sts.get_caller_identity(credentials).identity_type == "RAMUser"

    cloud.set_clock_offset(120)

    with pytest.raises(ServiceError) as caught:
        sts.get_caller_identity(credentials)
    assert caught.value.code == "InvalidAccessKeyId.NotFound"
    assert "expired" in str(caught.value)


@pytest.mark.parametrize("duration", [899, 3601])
def test_server_refuses_a_duration_outside_900_to_3600(
    akless_emulator: EmulatorServer, key_pair: KeyPairFile, duration: int
) -> None:
    sts = StsClient(akless_emulator.endpoint)

    with pytest.raises(ServiceError) as caught:
        sts.generate_session_access_key(
            key_pair.public_key_id, key_pair.private_key, duration_seconds=duration
        )

    assert caught.value.code == "InvalidParameter.DurationSeconds"


# --- the request on the wire and the parsing of answers ----------------------------------------

GOOD_ANSWER: dict[str, Any] = {
    "RequestId": "R",
    "SessionAccessKey": {
        "SessionAccessKeyId": "TMPSK.abcdefghijklmnopqrstuvwx",
        "SessionAccessKeySecret": "session-secret",
        "Expiration": "2030-01-02T03:04:05Z",
    },
}


def answering(body: Any, status: int = 200) -> FakeTransport:
    def handler(request: Request) -> Response:
        return Response(status, {"content-type": "application/json"}, json.dumps(body).encode())

    return FakeTransport(handler)


def test_request_is_an_rpc_v1_get_signed_like_the_official_library() -> None:
    transport = answering(GOOD_ANSWER)
    sts = StsClient("https://sts.example.test", transport=transport, clock=lambda: 1700000000.0)

    sts.generate_session_access_key("KP-abc", FAKE_PEM, duration_seconds=1200)

    (request,) = transport.requests
    assert (request.method, request.body) == ("GET", b"")
    url = urlsplit(request.url)
    assert (url.scheme, url.netloc, url.path) == ("https", "sts.example.test", "/")
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    signature = query.pop("Signature")
    assert query == {
        "Action": "GenerateSessionAccessKey",
        "Format": "JSON",
        "Version": "2015-04-01",
        "DurationSeconds": "1200",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "Timestamp": "2023-11-14T22:13:20Z",
        "SignatureNonce": query["SignatureNonce"],
        "AccessKeyId": "KP-abc",
    }
    # The official library's own signer, keyed by the private key text plus "&".
    string_to_sign = parameter_helper.compose_string_to_sign("GET", query)
    assert signature == parameter_helper.sign_string(string_to_sign, FAKE_PEM + "&")


def test_answer_becomes_a_credential_without_a_security_token() -> None:
    sts = StsClient("https://sts.example.test", transport=answering(GOOD_ANSWER))

    credentials = sts.generate_session_access_key("KP-abc", FAKE_PEM)

    assert credentials == Credentials(
        access_key_id="TMPSK.abcdefghijklmnopqrstuvwx",
        access_key_secret="session-secret",
        security_token=None,
        expiration=1893553445.0,
        provider_name="rsa_key_pair",
    )


MISSING = object()


def answer_with(**fields: Any) -> dict[str, Any]:
    """``GOOD_ANSWER`` with some ``SessionAccessKey`` fields changed (``MISSING``: removed)."""
    inner = {**GOOD_ANSWER["SessionAccessKey"], **fields}
    return {
        "RequestId": "R",
        "SessionAccessKey": {k: v for k, v in inner.items() if v is not MISSING},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"RequestId": "R"}, "SessionAccessKey"),
        ({"SessionAccessKey": "TMPSK.x"}, "SessionAccessKey"),
        (answer_with(SessionAccessKeyId=MISSING), "SessionAccessKey.SessionAccessKeyId"),
        (answer_with(SessionAccessKeyId=""), "SessionAccessKey.SessionAccessKeyId"),
        (answer_with(SessionAccessKeySecret=MISSING), "SessionAccessKey.SessionAccessKeySecret"),
        (answer_with(Expiration=MISSING), "SessionAccessKey.Expiration"),
        (answer_with(Expiration=5), "SessionAccessKey.Expiration"),
        (answer_with(Expiration="2030-01-02 03:04:05"), "SessionAccessKey.Expiration"),
    ],
)
def test_malformed_answer_names_the_field(body: Any, field: str) -> None:
    sts = StsClient("https://sts.example.test", transport=answering(body))

    with pytest.raises(MalformedResponse) as caught:
        sts.generate_session_access_key("KP-abc", FAKE_PEM)

    assert caught.value.field == field
    assert field in str(caught.value)


# --- configuration errors ---------------------------------------------------------------------


@pytest.mark.parametrize("public_key_id", [None, ""])
def test_public_key_id_is_required(public_key_id: str | None, fake_key_file: Path) -> None:
    with pytest.raises(ConfigurationError, match="public_key_id is required") as caught:
        RsaKeyPairProvider(public_key_id=public_key_id, private_key_file=fake_key_file)

    assert caught.value.source == "public_key_id"


@pytest.mark.parametrize("private_key_file", [None, ""])
def test_private_key_file_is_required(private_key_file: str | None) -> None:
    with pytest.raises(ConfigurationError, match="private_key_file is required") as caught:
        RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=private_key_file)

    assert caught.value.source == "private_key_file"


@pytest.mark.parametrize("duration", [899, 0, -1, 3601, "43200", "1h", True])
def test_duration_outside_900_to_3600_is_refused(duration: Any, fake_key_file: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RsaKeyPairProvider(
            public_key_id="KP-abc", private_key_file=fake_key_file, duration_seconds=duration
        )

    assert caught.value.source == "duration_seconds"


@pytest.mark.parametrize("duration", [None, "", 900, "3600"])
def test_duration_within_900_to_3600_is_accepted(duration: Any, fake_key_file: Path) -> None:
    RsaKeyPairProvider(
        public_key_id="KP-abc", private_key_file=fake_key_file, duration_seconds=duration
    )


BAD_FILES = {
    "empty": b"",
    "blank": b"  \n\t\n",
    "not PEM": f"{PLANTED}\n".encode(),
    "public key": f"-----BEGIN PUBLIC KEY-----\n{PLANTED}\n-----END PUBLIC KEY-----\n".encode(),
    "BEGIN only": f"-----BEGIN PRIVATE KEY-----\n{PLANTED}\n".encode(),
    "not UTF-8": b"\xff" + f"-----BEGIN PRIVATE KEY-----\n{PLANTED}\n".encode(),
    "binary": b"\x00" + f"-----BEGIN PRIVATE KEY-----\n{PLANTED}\n".encode(),
    "too large": (
        b"-----BEGIN PRIVATE KEY-----\n"
        + PLANTED.encode() * (MAX_FILE_BYTES // len(PLANTED) + 1)
        + b"\n-----END PRIVATE KEY-----\n"
    ),
}
EXPECTED = {
    "empty": "is empty",
    "blank": "is empty",
    "not PEM": "is not a PEM private key",
    "public key": "holds a public key",
    "BEGIN only": "is not a PEM private key",
    "not UTF-8": "is not UTF-8 text",
    "binary": "is binary",
    "too large": "is larger than",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_private_key_file_is_named_but_never_quoted(case: str, tmp_path: Path) -> None:
    path = write_private_key(tmp_path / "key.pem", BAD_FILES[case])

    with pytest.raises(ConfigurationError) as caught:
        RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=path)

    assert EXPECTED[case] in str(caught.value)
    assert str(path) in str(caught.value)
    assert caught.value.source == str(path)
    assert PLANTED not in str(caught.value)
    assert PLANTED not in repr(caught.value)


def test_missing_private_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.pem"

    with pytest.raises(ConfigurationError, match="does not exist") as caught:
        RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=path)

    assert caught.value.source == str(path)


def test_directory_as_private_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is a directory") as caught:
        RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=tmp_path)

    assert caught.value.source == str(tmp_path)


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_unreadable_private_key_file_is_named(tmp_path: Path) -> None:
    path = write_private_key(tmp_path / "key.pem", FAKE_PEM, mode=0o000)

    with pytest.raises(ConfigurationError, match="permission denied"):
        RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_private_key_file_others_can_read_gets_a_warning_saying_how_to_fix_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_path = write_private_key(tmp_path / "open.pem", FAKE_PEM, mode=0o644)
    closed_path = write_private_key(tmp_path / "closed.pem", FAKE_PEM, mode=0o600)
    caplog.set_level(logging.WARNING, logger="akless")

    RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=closed_path, environ={})
    assert not caplog.records
    RsaKeyPairProvider(public_key_id="KP-abc", private_key_file=open_path, environ={})

    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert f"chmod 600 {open_path}" in record.getMessage()


# --- the STS endpoint -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "environ", "expected"),
    [
        ({}, {}, "https://sts.ap-northeast-1.aliyuncs.com"),
        ({"sts_region_id": "cn-hangzhou"}, {}, "https://sts.cn-hangzhou.aliyuncs.com"),
        (
            {"sts_region_id": "cn-hangzhou", "enable_vpc": True},
            {},
            "https://sts-vpc.cn-hangzhou.aliyuncs.com",
        ),
        (
            {},
            {"ALIBABA_CLOUD_STS_REGION": "ap-southeast-1"},
            "https://sts.ap-southeast-1.aliyuncs.com",
        ),
        (
            {"sts_region_id": "cn-hangzhou"},
            {"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:8080"},
            "http://127.0.0.1:8080",
        ),
        (
            {"sts_endpoint": "sts.cn-shanghai.aliyuncs.com"},
            {"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:8080"},
            "https://sts.cn-shanghai.aliyuncs.com",
        ),
    ],
)
def test_sts_endpoint_defaults_to_the_japan_site(
    options: dict[str, Any], environ: dict[str, str], expected: str, fake_key_file: Path
) -> None:
    provider = RsaKeyPairProvider(
        public_key_id="KP-abc", private_key_file=fake_key_file, environ=environ, **options
    )

    assert provider.sts_endpoint == expected


def test_other_callers_keep_the_global_sts_default() -> None:
    assert resolve_sts_endpoint(environ={}) == "https://sts.aliyuncs.com"


# --- the private key never leaks ----------------------------------------------------------------


def test_private_key_never_shows_in_errors_reprs_or_logs(
    akless_emulator: EmulatorServer,
    key_pair: KeyPairFile,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, wrong_key = akless_emulator.cloud.create_key_pair("akless-dev")
    wrong = provider_for(
        akless_emulator,
        key_pair,
        private_key_file=write_private_key(tmp_path / "wrong.pem", wrong_key),
    )
    right = provider_for(akless_emulator, key_pair)
    seen: list[str] = []
    for provider in (wrong, right):
        try:
            seen.append(repr(provider.get_credentials()))
        except ServiceError as error:
            seen += [str(error), repr(error), repr(error.__cause__), repr(error.__context__)]
        seen += [repr(provider), str(provider), repr(vars(provider))]
    seen += [caplog.text, repr(akless_emulator.cloud.store.calls())]

    assert any("SignatureDoesNotMatch" in text for text in seen)
    for line in secret_lines(key_pair.private_key) + secret_lines(wrong_key):
        assert all(line not in text for text in seen)
