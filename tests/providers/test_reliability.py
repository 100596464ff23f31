"""What the temporary-credential providers do with answers that are wrong, and that no secret
ever leaks while they do it.

Every crafted answer — malformed or truncated JSON, missing fields, an ``Expiration`` in the past
or unparsable — from the metadata service and from STS (AssumeRole and AssumeRoleWithOIDC) must
end in one ``AklessError`` that names where the answer came from and which field is wrong,
never a bare ``KeyError`` or ``ValueError``. And for every provider and failure path here, the
planted secrets and tokens never appear in ``str`` or ``repr`` of an error (or its causes), of a
provider, of a credential, or in the log at DEBUG.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import (
    AklessError,
    ConfigurationError,
    CredentialsRefreshError,
    CredentialsUnavailable,
    MalformedResponse,
    ServiceError,
    TransportTimeout,
)
from akless.providers.ecs_ram_role import EcsRamRoleProvider, Unreachable
from akless.providers.environment import EnvironmentProvider
from akless.providers.oidc import MAX_TOKEN_BYTES, OidcRoleArnProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.static import BearerTokenProvider, StaticAKProvider, StaticSTSProvider
from akless.transport import FakeTransport, Request, Response

# What a caller holds (source credentials, the OIDC token) and what a service answers.
PLANTED_SECRET = "planted-source-secret-Q7xw"
PLANTED_TOKEN = "planted-source-token-K9dm"
PLANTED_OIDC_TOKEN = "eyJplanted.oidc-token-payload.F3zs"
PLANTED_BEARER = "planted-bearer-token-V2nb"
ANSWER_SECRET = "planted-answer-secret-W5mc"
ANSWER_TOKEN = "planted-answer-token-R8bq"
PLANTED = (
    PLANTED_SECRET,
    PLANTED_TOKEN,
    PLANTED_OIDC_TOKEN,
    PLANTED_BEARER,
    ANSWER_SECRET,
    ANSWER_TOKEN,
)

METADATA = "http://imds.test"
STS = "http://sts.test"
ROLE = "app-role"


def leaks(*subjects: object, log: str = "") -> list[str]:
    """Each planted value found in the ``str``/``repr`` of ``subjects`` (errors with their
    causes and attributes) or in ``log``."""
    texts = [log]
    for subject in subjects:
        seen: set[int] = set()
        item: Any = subject
        while item is not None and id(item) not in seen:
            seen.add(id(item))
            texts += [str(item), repr(item)]
            if isinstance(item, BaseException):
                texts.append(repr(vars(item)))
                item = item.__cause__ or item.__context__
            else:
                item = None
    return [value for value in PLANTED if any(value in text for text in texts)]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged, at DEBUG and up, by any logger."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def in_an_hour() -> str:
    return format_timestamp(time.time() + 3600)


def credentials_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "AccessKeyId": "STS.NPlantedAnswerKey01",
        "AccessKeySecret": ANSWER_SECRET,
        "SecurityToken": ANSWER_TOKEN,
        "Expiration": in_an_hour(),
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not ...}


# --- the three sources, each answering what a test scripts --------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes


def answer(body: str | bytes | dict[str, Any] | list[Any], status: int = 200) -> Answer:
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    return Answer(status, body.encode() if isinstance(body, str) else body)


class Source:
    """A provider whose upstream answers ``self.next`` (a mutable script)."""

    name: str
    url: str

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.next: Answer = self.good()
        self.transport = FakeTransport(self.respond)

    def good(self) -> Answer:
        raise NotImplementedError

    def respond(self, request: Request) -> Response:
        return Response(self.next.status, {}, self.next.body, request.url)

    def provider(self, clock: Callable[[], float] = time.time) -> Any:
        raise NotImplementedError


class MetadataSource(Source):
    name = "metadata"
    url = f"{METADATA}/latest/meta-data/ram/security-credentials/{ROLE}"

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.role_answer = answer(ROLE)

    def good(self) -> Answer:
        return answer({**credentials_fields(), "Code": "Success", "LastUpdated": in_an_hour()})

    def respond(self, request: Request) -> Response:
        path = urlsplit(request.url).path
        if request.method == "PUT":
            return Response(200, {}, b"metadata-token", request.url)
        if path.endswith("/security-credentials/"):
            return Response(self.role_answer.status, {}, self.role_answer.body, request.url)
        return super().respond(request)

    def provider(self, clock: Callable[[], float] = time.time) -> EcsRamRoleProvider:
        return EcsRamRoleProvider(
            endpoint=METADATA,
            transport=self.transport,
            environ={},
            clock=clock,
            unreachable=Unreachable(),
            dmi_path=self.tmp_path / "sys_vendor",
        )


class AssumeRoleSource(Source):
    name = "AssumeRole"
    url = STS

    def good(self) -> Answer:
        return answer(
            {
                "RequestId": "req-1",
                "AssumedRoleUser": {"Arn": "acs:ram::1:assumed-role/r/s", "AssumedRoleId": "1:s"},
                "Credentials": credentials_fields(),
            }
        )

    def provider(self, clock: Callable[[], float] = time.time) -> RamRoleArnProvider:
        return RamRoleArnProvider(
            StaticSTSProvider("STS.NPlantedSourceKey01", PLANTED_SECRET, PLANTED_TOKEN),
            role_arn="acs:ram::1234567890123456:role/app",
            sts_endpoint=STS,
            transport=self.transport,
            environ={},
            clock=clock,
        )


class OidcSource(AssumeRoleSource):
    name = "AssumeRoleWithOIDC"

    def provider(self, clock: Callable[[], float] = time.time) -> OidcRoleArnProvider:
        token_file = self.tmp_path / "token"
        token_file.write_text(PLANTED_OIDC_TOKEN + "\n")
        return OidcRoleArnProvider(
            role_arn="acs:ram::1234567890123456:role/app",
            oidc_provider_arn="acs:ram::1234567890123456:oidc-provider/ack",
            oidc_token_file=token_file,
            sts_endpoint=STS,
            transport=self.transport,
            environ={},
            clock=clock,
        )


SOURCES = [MetadataSource, AssumeRoleSource, OidcSource]


@pytest.fixture(params=SOURCES, ids=[source.name for source in SOURCES])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Source:
    made: Source = request.param(tmp_path)
    return made


def credentials_answer(source: Source, fields: dict[str, Any] | Any) -> Answer:
    """An otherwise good answer of ``source`` whose credential part is ``fields``."""
    body = json.loads(source.good().body)
    if isinstance(source, MetadataSource):
        if not isinstance(fields, dict):
            return answer(fields)
        return answer({"Code": "Success", "LastUpdated": in_an_hour(), **fields})
    body["Credentials"] = fields
    return answer(body)


def field_name(source: Source, name: str) -> str:
    return name if isinstance(source, MetadataSource) else f"Credentials.{name}"


def fetch_error(source: Source, log: pytest.LogCaptureFixture) -> AklessError:
    """The error the provider raises for the scripted answer, checked for leaks."""
    provider = source.provider()
    with pytest.raises(AklessError) as caught:
        provider.get_credentials()
    error = caught.value
    assert leaks(error, provider, log=log.text) == []
    return error


# --- the good answer, for reference -------------------------------------------------------------


def test_the_good_answer_gives_a_credential_that_shows_no_secret(
    source: Source, log: pytest.LogCaptureFixture
) -> None:
    provider = source.provider()

    credentials = provider.get_credentials()

    assert credentials.access_key_secret == ANSWER_SECRET
    assert credentials.security_token == ANSWER_TOKEN
    assert leaks(credentials, provider, log=log.text) == []


# --- malformed answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"AccessKeyId": "STS.NPlanted", "AccessKeySecret": "planted-answer-secret-W5mc", "Sec',
        "<html><body>502 Bad Gateway</body></html>",
        "",
        "null",
        '"a string"',
        "[1, 2]",
        b"\xff\xfe\x00binary",
    ],
    ids=["truncated", "html", "empty", "null", "string", "array", "binary"],
)
def test_an_answer_that_is_not_a_json_object_is_malformed_naming_the_source(
    body: str | bytes, source: Source, log: pytest.LogCaptureFixture
) -> None:
    source.next = answer(body)

    error = fetch_error(source, log)

    assert isinstance(error, MalformedResponse)
    assert "JSON object" in str(error)
    assert error.endpoint == (METADATA if isinstance(source, MetadataSource) else STS)
    assert error.endpoint in str(error)


@pytest.mark.parametrize("name", ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"])
@pytest.mark.parametrize(
    "value", [..., "", None, 12345], ids=["missing", "empty", "null", "number"]
)
def test_a_credential_without_a_usable_field_is_malformed_naming_the_field(
    name: str, value: Any, source: Source, log: pytest.LogCaptureFixture
) -> None:
    source.next = credentials_answer(source, credentials_fields(**{name: value}))

    error = fetch_error(source, log)

    assert isinstance(error, MalformedResponse)
    assert error.field == field_name(source, name)
    assert name in str(error)
    assert source.url.split("://")[1].split("/")[0] in str(error)


@pytest.mark.parametrize(
    "expiration",
    [
        "next tuesday",
        "2030-01-02 03:04:05",
        "2030-01-02T03:04:05+08:00",
        "1893553445",
        "2030-13-45T99:00:00Z",
    ],
    ids=["words", "space", "offset", "epoch", "impossible-date"],
)
def test_an_unparsable_expiration_is_malformed_naming_the_field(
    expiration: str, source: Source, log: pytest.LogCaptureFixture
) -> None:
    source.next = credentials_answer(source, credentials_fields(Expiration=expiration))

    error = fetch_error(source, log)

    assert isinstance(error, MalformedResponse)
    assert error.field == field_name(source, "Expiration")
    assert "YYYY-MM-DDThh:mm:ssZ" in str(error)


def test_a_credential_that_has_already_expired_is_a_refresh_error(
    source: Source, log: pytest.LogCaptureFixture
) -> None:
    past = format_timestamp(time.time() - 60)
    source.next = credentials_answer(source, credentials_fields(Expiration=past))

    error = fetch_error(source, log)

    assert isinstance(error, CredentialsRefreshError)
    assert "already expired" in str(error)
    assert "clock" in str(error)  # the likely cause, said
    assert error.provider == source.provider().name


def test_credentials_that_are_not_an_object_are_malformed(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    for source in (AssumeRoleSource(tmp_path), OidcSource(tmp_path)):
        for wrong in (None, "text", [credentials_fields()]):
            source.next = credentials_answer(source, wrong)
            error = fetch_error(source, log)
            assert isinstance(error, MalformedResponse)
            assert error.field == "Credentials"


def test_a_metadata_code_other_than_success_is_a_service_error(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    source = MetadataSource(tmp_path)
    source.next = answer({**credentials_fields(), "Code": "InternalError"})

    error = fetch_error(source, log)

    assert isinstance(error, ServiceError)
    assert "InternalError" in str(error)
    assert source.url in str(error)


def test_an_empty_role_name_is_malformed(tmp_path: Path, log: pytest.LogCaptureFixture) -> None:
    source = MetadataSource(tmp_path)
    source.role_answer = answer("  \n")

    error = fetch_error(source, log)

    assert isinstance(error, MalformedResponse)
    assert error.field == "role name"


def test_an_sts_error_page_that_is_not_json_is_a_service_error_with_its_status(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    for source in (AssumeRoleSource(tmp_path), OidcSource(tmp_path)):
        source.next = answer("<html>502 Bad Gateway</html>", status=502)

        error = fetch_error(source, log)

        assert isinstance(error, ServiceError)
        assert (error.status, error.code) == (502, "HTTP502")
        assert source.name in str(error)


def test_a_signature_error_that_echoes_the_string_to_sign_is_redacted(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    source = AssumeRoleSource(tmp_path)
    source.next = answer(
        {
            "RequestId": "req-2",
            "Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched with our calculation. server string "
            f"to sign is:POST\n/\n\nx-acs-security-token:{PLANTED_TOKEN}\n",
        },
        status=400,
    )

    error = fetch_error(source, log)

    assert isinstance(error, ServiceError)
    assert error.code == "SignatureDoesNotMatch"
    assert "[redacted]" in str(error)


# --- failures around a valid credential, and after it -------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "failure",
    ["timeout", "503", "truncated"],
)
def test_failures_while_valid_are_invisible_and_after_expiry_are_a_refresh_error(
    failure: str, source: Source, log: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    provider = source.provider(clock)
    first = provider.get_credentials()
    assert first.expiration is not None

    def failing(request: Request) -> Response:
        if isinstance(source, MetadataSource) and request.method == "PUT":
            return Response(200, {}, b"metadata-token", request.url)
        if failure == "timeout":
            raise TransportTimeout(f"timed out reading from {request.url}", url=request.url)
        if failure == "503":
            return Response(503, {}, b'{"Code": "ServiceUnavailable"}', request.url)
        return Response(200, {}, source.good().body[:40], request.url)

    source.transport._handler = failing
    clock.now = first.expiration - 60  # inside the mandatory window, still valid
    assert provider.get_credentials() is first

    clock.now = first.expiration + 1
    with pytest.raises(CredentialsRefreshError) as caught:
        provider.get_credentials()

    assert caught.value.provider == provider.name
    assert caught.value.__cause__ is not None
    assert leaks(caught.value, provider, first, log=log.text) == []


# --- the other providers' failure paths ---------------------------------------------------------


def test_static_providers_never_show_their_secrets(log: pytest.LogCaptureFixture) -> None:
    providers = [
        StaticAKProvider("LTAI5tPlantedKeyId01", PLANTED_SECRET),
        StaticSTSProvider("STS.NPlantedKeyId01", PLANTED_SECRET, PLANTED_TOKEN),
        BearerTokenProvider(PLANTED_BEARER),
    ]
    errors: list[BaseException] = []
    for build in (
        lambda: StaticAKProvider(None, PLANTED_SECRET),
        lambda: StaticSTSProvider("STS.NPlanted", PLANTED_SECRET, " "),
        lambda: StaticSTSProvider("", PLANTED_SECRET, PLANTED_TOKEN),
    ):
        with pytest.raises(ConfigurationError) as caught:
            build()
        errors.append(caught.value)

    credentials = [provider.get_credentials() for provider in providers]

    assert leaks(*providers, *credentials, *errors, log=log.text) == []


def test_the_environment_provider_never_shows_its_secrets(log: pytest.LogCaptureFixture) -> None:
    full = EnvironmentProvider(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.NPlantedKeyId01",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": PLANTED_SECRET,
            "ALIBABA_CLOUD_SECURITY_TOKEN": PLANTED_TOKEN,
        }
    )
    half = EnvironmentProvider(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": PLANTED_SECRET,
            "ALIBABA_CLOUD_SECURITY_TOKEN": PLANTED_TOKEN,
        }
    )
    with pytest.raises(ConfigurationError) as caught:
        half.get_credentials()

    assert leaks(full, full.get_credentials(), half, caught.value, log=log.text) == []


def test_a_role_over_an_unavailable_or_broken_source_never_shows_secrets(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    half = EnvironmentProvider({"ALIBABA_CLOUD_ACCESS_KEY_SECRET": PLANTED_SECRET})
    errors: list[BaseException] = []
    for source_provider in (EnvironmentProvider({}), half):
        provider = RamRoleArnProvider(
            source_provider, role_arn="acs:ram::1:role/app", sts_endpoint=STS, environ={}
        )
        with pytest.raises(ConfigurationError) as caught:
            provider.get_credentials()
        errors.append(caught.value)

    assert leaks(*errors, log=log.text) == []


@pytest.mark.parametrize(
    "content",
    [
        PLANTED_OIDC_TOKEN.encode() + b"\xff\xfe",
        (PLANTED_OIDC_TOKEN * (MAX_TOKEN_BYTES // len(PLANTED_OIDC_TOKEN) + 2)).encode(),
    ],
    ids=["binary", "too-large"],
)
def test_a_bad_oidc_token_file_is_never_quoted(
    content: bytes, tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    provider = OidcRoleArnProvider(
        role_arn="acs:ram::1:role/app",
        oidc_provider_arn="acs:ram::1:oidc-provider/ack",
        oidc_token_file=token_file,
        sts_endpoint=STS,
        environ={},
    )

    with pytest.raises(ConfigurationError) as caught:
        provider.get_credentials()

    assert leaks(caught.value, provider, log=log.text) == []


def test_an_sts_error_about_the_oidc_token_never_quotes_it_in_the_request(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    source = OidcSource(tmp_path)
    source.next = answer(
        {"RequestId": "req-3", "Code": "AuthenticationFail.OIDCToken.Expired", "Message": "x"},
        status=400,
    )

    error = fetch_error(source, log)

    assert isinstance(error, ServiceError)
    (request,) = source.transport.requests
    assert PLANTED_OIDC_TOKEN not in request.url


def test_an_unreachable_metadata_service_never_shows_secrets(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    def down(request: Request) -> Response:
        raise TransportTimeout(f"timed out connecting to {request.url}", url=request.url)

    provider = EcsRamRoleProvider(
        endpoint=METADATA,
        transport=FakeTransport(down),
        environ={},
        unreachable=Unreachable(),
        dmi_path=tmp_path / "sys_vendor",
    )
    with pytest.raises(CredentialsUnavailable) as caught:
        provider.get_credentials()

    assert leaks(caught.value, provider, log=log.text) == []


def test_credentials_repr_shows_only_the_masked_key_id() -> None:
    credentials = Credentials(
        "STS.NPlantedKeyId0001abcd",
        ANSWER_SECRET,
        ANSWER_TOKEN,
        expiration=time.time() + 60,
        provider_name="ram_role_arn/static_ak",
        bearer_token=PLANTED_BEARER,
    )

    assert leaks(credentials) == []
    assert "STS.NPlantedKeyId0001abcd" not in repr(credentials)
    assert "abcd" in repr(credentials)


def test_an_error_page_that_echoes_the_request_does_not_leak_the_oidc_token(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    source = OidcSource(tmp_path)

    def echo(request: Request) -> Response:
        return Response(400, {}, b"<html>Rejected: " + request.body + b"</html>", request.url)

    source.transport._handler = echo

    fetch_error(source, log)
