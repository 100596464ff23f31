"""``MetadataClient``: hardened-mode token handling, the tokenless fallback and its limits, and
parsing of the role and its credential — against a scripted fake and against the emulator."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer, Fault
from akless.errors import (
    ConfigurationError,
    MalformedResponse,
    ServiceError,
    TransportTimeout,
)
from akless.metadata import (
    DEFAULT_ENDPOINT,
    METADATA_TIMEOUT,
    TOKEN_HEADER,
    TOKEN_TTL_HEADER,
    MetadataClient,
)
from akless.sts import StsClient
from akless.transport import FakeTransport, Request, Response, Timeout
from tests.conftest import DEAD_ENDPOINT

ENDPOINT = "http://imds.test"
ROLE = "app-role"
ROLE_CREDENTIALS = {
    "AccessKeyId": "STS.NInstanceKeyId0001",
    "AccessKeySecret": "instance-secret-NEVER-SHOWN",
    "SecurityToken": "CAIS-instance-token-NEVER-SHOWN",
    "Expiration": "2030-01-02T03:04:05Z",
    "LastUpdated": "2030-01-01T21:04:05Z",
    "Code": "Success",
}


def header(request: Request, name: str) -> str | None:
    """The value of header ``name`` in ``request``, whatever case the client used."""
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)


class FakeImds:
    """A scripted instance metadata service: issues numbered tokens, checks them on reads."""

    def __init__(
        self,
        *,
        token_status: int = 200,
        hardened_only: bool = False,
        files: Mapping[str, tuple[int, str]] | None = None,
    ) -> None:
        self.token_status = token_status
        self.hardened_only = hardened_only
        default_files = {
            "meta-data/instance-id": (200, "i-123"),
            "meta-data/ram/security-credentials/": (200, ROLE),
            f"meta-data/ram/security-credentials/{ROLE}": (200, json.dumps(ROLE_CREDENTIALS)),
        }
        self.files = dict(default_files if files is None else files)
        self.valid_tokens: set[str] = set()
        self.accepts_tokens = True
        self.issued = 0
        self.transport = FakeTransport(self)

    @property
    def token_requests(self) -> list[Request]:
        return [r for r in self.transport.requests if r.method == "PUT"]

    @property
    def reads(self) -> list[Request]:
        return [r for r in self.transport.requests if r.method == "GET"]

    def __call__(self, request: Request) -> Response:
        path = urlsplit(request.url).path.removeprefix("/latest/")
        if request.method == "PUT" and path == "api/token":
            if self.token_status != 200:
                return Response(self.token_status, {}, b"", request.url)
            self.issued += 1
            issued = f"token-{self.issued}"
            self.valid_tokens.add(issued)
            return Response(200, {}, issued.encode(), request.url)
        token = header(request, TOKEN_HEADER)
        if token is not None and (not self.accepts_tokens or token not in self.valid_tokens):
            return Response(401, {}, b"401 - Unauthorized", request.url)
        if token is None and self.hardened_only:
            return Response(403, {}, b"403 - Forbidden", request.url)
        status, body = self.files.get(path, (404, "404 - Not Found"))
        return Response(status, {}, body.encode(), request.url)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def client_for(imds: FakeImds, **options: Any) -> MetadataClient:
    return MetadataClient(ENDPOINT, transport=imds.transport, **options)


def with_credentials(**changes: Any) -> FakeImds:
    body = {**ROLE_CREDENTIALS, **changes}
    body = {key: value for key, value in body.items() if value is not None}
    return FakeImds(
        files={
            "meta-data/ram/security-credentials/": (200, ROLE),
            f"meta-data/ram/security-credentials/{ROLE}": (200, json.dumps(body)),
        }
    )


# --- hardened mode: the token -----------------------------------------------------------------


def test_a_token_is_fetched_once_and_reused_across_reads() -> None:
    imds = FakeImds()
    client = client_for(imds)

    for _ in range(3):
        assert client.get("meta-data/instance-id") == "i-123"

    assert len(imds.token_requests) == 1
    assert [header(read, TOKEN_HEADER) for read in imds.reads] == ["token-1"] * 3


def test_the_token_request_is_a_put_with_the_maximum_ttl() -> None:
    imds = FakeImds()

    client_for(imds).get("meta-data/instance-id")

    (put,) = imds.token_requests
    assert put.url == f"{ENDPOINT}/latest/api/token"
    assert header(put, TOKEN_TTL_HEADER) == "21600"


def test_role_name_and_credentials_together_need_one_token() -> None:
    imds = FakeImds()
    client = client_for(imds)

    client.role_credentials()

    assert len(imds.token_requests) == 1
    assert [urlsplit(r.url).path for r in imds.reads] == [
        "/latest/meta-data/ram/security-credentials/",
        f"/latest/meta-data/ram/security-credentials/{ROLE}",
    ]


def test_the_token_is_renewed_shortly_before_its_ttl_ends() -> None:
    imds = FakeImds()
    clock = FakeClock()
    client = client_for(imds, clock=clock, token_ttl=600)  # renewed 60 s early

    client.get("meta-data/instance-id")
    clock.now += 539
    client.get("meta-data/instance-id")
    assert len(imds.token_requests) == 1

    clock.now += 2
    client.get("meta-data/instance-id")
    assert len(imds.token_requests) == 2
    assert header(imds.reads[-1], TOKEN_HEADER) == "token-2"
    assert header(imds.token_requests[-1], TOKEN_TTL_HEADER) == "600"


def test_a_rejected_token_is_replaced_and_the_read_retried_once() -> None:
    imds = FakeImds()
    client = client_for(imds)
    client.get("meta-data/instance-id")
    imds.valid_tokens.clear()  # the service forgot the token (for example, it restarted)

    assert client.get("meta-data/instance-id") == "i-123"

    assert len(imds.token_requests) == 2
    assert [header(read, TOKEN_HEADER) for read in imds.reads] == ["token-1", "token-1", "token-2"]


def test_a_read_rejected_twice_is_not_retried_again() -> None:
    imds = FakeImds()
    imds.accepts_tokens = False

    with pytest.raises(ServiceError) as caught:
        client_for(imds).get("meta-data/instance-id")

    assert (caught.value.code, caught.value.status) == ("HTTP401", 401)
    assert len(imds.reads) == 2


@pytest.mark.parametrize("status", [404, 405])
def test_without_a_token_endpoint_reads_are_tokenless_with_one_warning(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    imds = FakeImds(token_status=status)
    client = client_for(imds)

    with caplog.at_level(logging.WARNING, logger="akless"):
        assert client.get("meta-data/instance-id") == "i-123"
        assert client.get("meta-data/instance-id") == "i-123"

    assert [header(read, TOKEN_HEADER) for read in imds.reads] == [None, None]
    assert len(imds.token_requests) == 1  # not asked again
    (record,) = [r for r in caplog.records if r.name == "akless"]
    assert record.levelno == logging.WARNING
    assert "ALIBABA_CLOUD_IMDSV1_DISABLED" in record.getMessage()


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"allow_tokenless": False}, id="argument"),
        pytest.param({"environ": {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}}, id="environment"),
        pytest.param({"environ": {"ALIBABA_CLOUD_IMDSV1_DISABLED": " TRUE "}}, id="any-case"),
    ],
)
def test_without_a_token_endpoint_and_tokenless_forbidden_reads_fail(
    options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    imds = FakeImds(token_status=404)
    client = client_for(imds, **options)

    with pytest.raises(ServiceError) as caught:
        client.get("meta-data/instance-id")

    assert client.allow_tokenless is False
    assert caught.value.code == "HTTP404"
    assert "tokenless reads are disabled" in str(caught.value)
    assert f"{ENDPOINT}/latest/api/token" in str(caught.value)
    assert imds.reads == []
    assert caplog.records == []


def test_tokenless_reads_are_allowed_unless_the_variable_is_exactly_true() -> None:
    client = MetadataClient(ENDPOINT, environ={"ALIBABA_CLOUD_IMDSV1_DISABLED": "1"})

    assert client.allow_tokenless is True


def test_an_explicit_allow_tokenless_beats_the_environment() -> None:
    environ = {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}

    assert MetadataClient(ENDPOINT, allow_tokenless=True, environ=environ).allow_tokenless


def test_a_refused_tokenless_read_says_the_instance_wants_tokens() -> None:
    imds = FakeImds(token_status=404, hardened_only=True)

    with pytest.raises(ServiceError, match="only allows hardened-mode") as caught:
        client_for(imds).get("meta-data/instance-id")

    assert caught.value.status == 403


def test_a_forbidden_token_request_explains_the_forwarded_for_rule() -> None:
    with pytest.raises(ServiceError) as caught:
        client_for(FakeImds(token_status=403)).get("meta-data/instance-id")

    assert caught.value.status == 403
    assert "X-Forwarded-For" in str(caught.value)


def test_another_token_failure_is_a_service_error_not_a_fallback() -> None:
    imds = FakeImds(token_status=500)

    with pytest.raises(ServiceError, match="could not get a metadata token"):
        client_for(imds).get("meta-data/instance-id")
    assert imds.reads == []


def test_the_token_never_appears_in_errors() -> None:
    imds = FakeImds(files={})
    client = client_for(imds)

    with pytest.raises(ServiceError) as caught:
        client.get("meta-data/missing")

    assert "token-1" not in str(caught.value)
    assert caught.value.code == "HTTP404"


# --- the role and its credential ------------------------------------------------------------


def test_role_name_is_the_trimmed_body() -> None:
    imds = FakeImds(files={"meta-data/ram/security-credentials/": (200, f"  {ROLE}\n")})

    assert client_for(imds).role_name() == ROLE


def test_an_empty_role_name_is_malformed() -> None:
    imds = FakeImds(files={"meta-data/ram/security-credentials/": (200, "\n")})

    with pytest.raises(MalformedResponse) as caught:
        client_for(imds).role_name()

    assert caught.value.field == "role name"


def test_no_attached_role_is_a_service_error_that_says_so() -> None:
    imds = FakeImds(files={})

    with pytest.raises(ServiceError, match="no RAM role is attached"):
        client_for(imds).role_name()


def test_role_credentials_become_an_ecs_ram_role_credential() -> None:
    credentials = client_for(FakeImds()).role_credentials()

    assert credentials == Credentials(
        access_key_id="STS.NInstanceKeyId0001",
        access_key_secret="instance-secret-NEVER-SHOWN",
        security_token="CAIS-instance-token-NEVER-SHOWN",
        expiration=1893553445.0,  # 2030-01-02T03:04:05Z
        provider_name="ecs_ram_role",
    )


def test_a_known_role_name_skips_the_lookup() -> None:
    imds = FakeImds()

    client_for(imds).role_credentials(ROLE)

    assert [urlsplit(r.url).path for r in imds.reads] == [
        f"/latest/meta-data/ram/security-credentials/{ROLE}"
    ]


def test_a_code_other_than_success_is_a_service_error() -> None:
    imds = with_credentials(Code="InvalidInstanceState")

    with pytest.raises(ServiceError) as caught:
        client_for(imds).role_credentials()

    assert caught.value.code == "InvalidInstanceState"
    assert "not Success" in str(caught.value)


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', ""])
def test_a_credential_that_is_not_a_json_object_is_malformed(body: str) -> None:
    imds = FakeImds(files={f"meta-data/ram/security-credentials/{ROLE}": (200, body)})

    with pytest.raises(MalformedResponse) as caught:
        client_for(imds).role_credentials(ROLE)

    assert f"security-credentials/{ROLE}" in str(caught.value)
    assert caught.value.endpoint == ENDPOINT


@pytest.mark.parametrize("name", ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"])
def test_a_credential_missing_a_field_is_malformed_naming_it(name: str) -> None:
    imds = with_credentials(**{name: None})

    with pytest.raises(MalformedResponse) as caught:
        client_for(imds).role_credentials()

    assert caught.value.field == name
    assert name in str(caught.value)


def test_an_expiration_in_another_format_is_malformed() -> None:
    imds = with_credentials(Expiration="2030-01-02T03:04:05.000Z")

    with pytest.raises(MalformedResponse) as caught:
        client_for(imds).role_credentials()

    assert caught.value.field == "Expiration"
    assert "2030-01-02T03:04:05.000Z" in str(caught.value)
    assert "instance-secret-NEVER-SHOWN" not in str(caught.value)
    assert "CAIS-instance-token-NEVER-SHOWN" not in str(caught.value)


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "endpoint"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("metadata.internal", "http://metadata.internal"),
    ],
)
def test_the_endpoint_comes_from_the_environment_mapping(configured: str, endpoint: str) -> None:
    client = MetadataClient(environ={"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": configured})

    assert client.endpoint == endpoint


def test_an_explicit_endpoint_beats_the_environment() -> None:
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:1"}

    assert MetadataClient("127.0.0.1:2", environ=environ).endpoint == "http://127.0.0.1:2"


def test_the_default_endpoint_is_the_link_local_service() -> None:
    assert MetadataClient(environ={}).endpoint == DEFAULT_ENDPOINT == "http://100.100.100.200"


def test_an_invalid_endpoint_variable_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        MetadataClient(environ={"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "ftp://imds"})

    assert caught.value.source == "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"


@pytest.mark.parametrize("ttl", [0, 21601])
def test_a_token_ttl_outside_the_documented_range_is_refused(ttl: int) -> None:
    with pytest.raises(ConfigurationError, match=r"1\.\.21600") as caught:
        MetadataClient(ENDPOINT, token_ttl=ttl)

    assert caught.value.source == "token_ttl"


def test_every_request_uses_the_one_second_timeouts() -> None:
    imds = FakeImds()

    client_for(imds).role_credentials()

    assert Timeout(connect=1.0, read=1.0) == METADATA_TIMEOUT
    assert {request.timeout for request in imds.transport.requests} == {METADATA_TIMEOUT}


# --- against the emulator -------------------------------------------------------------------


def test_the_emulated_instance_role_and_its_credential(akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity
    client = MetadataClient(akless_emulator.endpoint)

    assert client.role_name() == identity.instance_role
    credentials = client.role_credentials()

    assert credentials.provider_name == "ecs_ram_role"
    assert credentials.access_key_id.startswith("STS.")
    assert credentials.expiration is not None
    assert credentials.expiration > time.time() + 3600
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert caller.arn.endswith(f":assumed-role/{identity.instance_role}/{identity.instance_id}")


def test_an_instance_that_only_allows_hardened_reads_is_read_with_a_token(
    akless_emulator: EmulatorServer,
) -> None:
    akless_emulator.cloud.set_hardened_only(True)

    client = MetadataClient(akless_emulator.endpoint, allow_tokenless=False)

    assert client.get("meta-data/instance-id") == akless_emulator.cloud.identity.instance_id


def test_the_endpoint_variable_points_the_client_at_the_emulator(
    akless_emulator: EmulatorServer,
) -> None:
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint}

    client = MetadataClient(environ=environ)

    assert client.get("meta-data/region-id") == akless_emulator.cloud.identity.region_id


def test_proxy_variables_are_ignored_for_the_metadata_service(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, DEAD_ENDPOINT)  # a proxy that refuses every connection

    client = MetadataClient(akless_emulator.endpoint)

    assert client.role_name() == akless_emulator.cloud.identity.instance_role


def test_a_hung_metadata_service_times_out_in_about_a_second(
    akless_emulator: EmulatorServer,
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", down="hang"))
    client = MetadataClient(akless_emulator.endpoint)
    started = time.monotonic()

    with pytest.raises(TransportTimeout) as caught:
        client.get("meta-data/instance-id")

    assert 0.9 < time.monotonic() - started < 2.5
    assert akless_emulator.endpoint in str(caught.value)
