"""``OidcRoleArnProvider`` (RRSA): the pod's OIDC token exchanged for a role's credentials with
AssumeRoleWithOIDC. The token file is re-read and stripped at each refresh, the token travels in
the POST body only, a bad token file is a configuration error naming the file, and the settings
come from the variables the ACK webhook injects."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, CredentialsUnavailable, ServiceError
from akless.providers.oidc import MAX_TOKEN_BYTES, OidcRoleArnProvider
from akless.sts import StsClient
from akless.transport import HttpTransport, Request, Response

ADMITTED = "system:serviceaccount:payments:api"
REFUSED = "system:serviceaccount:default:intruder"


class RecordingTransport:
    """The real transport, keeping every request it sends."""

    def __init__(self) -> None:
        self._inner = HttpTransport(environ={})
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        return self._inner.send(request)

    def close(self) -> None:
        self._inner.close()

    def sent_tokens(self) -> list[str]:
        """The ``OIDCToken`` form field of each request, in order."""
        return [parse_qs(r.body.decode())["OIDCToken"][0] for r in self.requests]


@pytest.fixture
def transport() -> Iterator[RecordingTransport]:
    recording = RecordingTransport()
    yield recording
    recording.close()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return tmp_path / "rrsa-tokens" / "token"


def write_token(path: Path, token: str) -> None:
    """Write ``token`` the way a kubelet projects it: a whole new file, newline at the end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_suffix(".new")
    staged.write_text(token + "\n")
    os.replace(staged, path)


@pytest.fixture
def make_provider(
    akless_emulator: EmulatorServer, transport: RecordingTransport, token_file: Path
) -> Callable[..., OidcRoleArnProvider]:
    identity = akless_emulator.cloud.identity

    def make(**options: Any) -> OidcRoleArnProvider:
        settings: dict[str, Any] = {
            "role_arn": identity.oidc_role_arn,
            "oidc_provider_arn": identity.oidc_provider_arn,
            "oidc_token_file": token_file,
            "sts_endpoint": akless_emulator.endpoint,
            "transport": transport,
            "environ": {},
        }
        settings.update(options)
        return OidcRoleArnProvider(**settings)

    return make


# --- the exchange -------------------------------------------------------------------------------


def test_the_token_is_exchanged_for_a_working_role_credential(
    make_provider: Callable[..., OidcRoleArnProvider],
    akless_emulator: EmulatorServer,
    token_file: Path,
) -> None:
    write_token(token_file, akless_emulator.cloud.mint_oidc_token(subject=ADMITTED))
    provider = make_provider()

    credentials = provider.get_credentials()

    assert credentials.access_key_id.startswith("STS.")
    assert credentials.security_token
    assert credentials.provider_name == provider.get_provider_name() == "oidc_role_arn"
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert ":assumed-role/akless-oidc-role/" in caller.arn


def test_the_token_is_sent_stripped_in_the_post_body_never_in_the_url(
    make_provider: Callable[..., OidcRoleArnProvider],
    transport: RecordingTransport,
    akless_emulator: EmulatorServer,
    token_file: Path,
) -> None:
    token = akless_emulator.cloud.mint_oidc_token(subject=ADMITTED)
    write_token(token_file, token)  # with the trailing newline a kubelet leaves

    make_provider().get_credentials()

    (request,) = transport.requests
    assert request.method == "POST"
    assert urlsplit(request.url).query == ""
    assert token not in request.url
    assert b"OIDCToken=" in request.body
    assert transport.sent_tokens() == [token]  # stripped: no "\n"
    assert not any(token in value for value in request.headers.values())


def test_the_token_file_is_re_read_at_each_refresh(
    make_provider: Callable[..., OidcRoleArnProvider],
    transport: RecordingTransport,
    akless_emulator: EmulatorServer,
    token_file: Path,
) -> None:
    cloud = akless_emulator.cloud
    role = cloud.create_role(
        "payments-api",
        federated=[cloud.identity.oidc_provider_arn],
        conditions={"StringEquals": {"oidc:aud": "sts.aliyuncs.com", "oidc:sub": ADMITTED}},
    )
    provider = make_provider(role_arn=cloud.role_arn(role.name))

    write_token(token_file, cloud.mint_oidc_token(subject=REFUSED))
    with pytest.raises(ServiceError) as caught:
        provider.get_credentials()
    assert caught.value.code == "NoPermission"

    # The cluster rotates the file: the next attempt reads the new token.
    admitted = cloud.mint_oidc_token(subject=ADMITTED)
    write_token(token_file, admitted)
    first = provider.get_credentials()
    assert first.security_token

    rotated = cloud.mint_oidc_token(subject=ADMITTED, expires_in=7200)
    write_token(token_file, rotated)
    provider._refresher.invalidate()
    assert provider.get_credentials() is not first

    assert transport.sent_tokens()[1:] == [admitted, rotated]


def test_the_token_file_is_not_read_at_construction(
    make_provider: Callable[..., OidcRoleArnProvider],
    akless_emulator: EmulatorServer,
    token_file: Path,
) -> None:
    provider = make_provider()  # the file does not exist yet: the volume is still mounting

    write_token(token_file, akless_emulator.cloud.mint_oidc_token())

    assert provider.get_credentials().security_token


def test_an_expired_oidc_token_is_refused_by_sts(
    make_provider: Callable[..., OidcRoleArnProvider],
    akless_emulator: EmulatorServer,
    token_file: Path,
) -> None:
    cloud = akless_emulator.cloud
    write_token(token_file, cloud.mint_oidc_token(expires_in=60))
    cloud.set_clock_offset(120)

    with pytest.raises(ServiceError) as caught:
        make_provider().get_credentials()

    assert caught.value.code.startswith("AuthenticationFail")


# --- the token file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (None, "does not exist"),
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b"\x00\xff\xfe\x89PNG\r\n", "not text"),
        (b"a" * (MAX_TOKEN_BYTES + 1), "larger than"),
    ],
    ids=["missing", "empty", "blank", "binary", "too-large"],
)
def test_a_bad_token_file_is_a_configuration_error_naming_the_file(
    content: bytes | None,
    complaint: str,
    make_provider: Callable[..., OidcRoleArnProvider],
    transport: RecordingTransport,
    token_file: Path,
) -> None:
    if content is not None:
        token_file.parent.mkdir(parents=True)
        token_file.write_bytes(content)
    provider = make_provider()

    with pytest.raises(ConfigurationError, match=complaint) as caught:
        provider.get_credentials()

    assert str(token_file) in str(caught.value)
    assert caught.value.source == str(token_file)
    assert not isinstance(caught.value, CredentialsUnavailable)  # configured, so it must stop
    assert transport.requests == []


def test_a_token_file_that_is_a_directory_is_a_configuration_error(
    make_provider: Callable[..., OidcRoleArnProvider], tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="cannot read") as caught:
        make_provider(oidc_token_file=tmp_path).get_credentials()

    assert str(tmp_path) in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_token_file_that_never_ends_is_cut_off_not_read_into_memory(
    make_provider: Callable[..., OidcRoleArnProvider], tmp_path: Path
) -> None:
    # Like /dev/zero, but bounded, so a provider that reads it all fails the test instead of
    # exhausting memory: a pipe whose writer stops only when the reader hangs up (or at 16 MiB).
    pipe = tmp_path / "token"
    os.mkfifo(pipe)
    written = 0

    def write_forever() -> None:
        nonlocal written
        chunk = b"a" * 65536
        try:
            with pipe.open("wb") as sink:
                while written < 16 << 20:
                    sink.write(chunk)
                    written += len(chunk)
        except BrokenPipeError:
            pass  # the reader stopped reading: what the test wants

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()

    with pytest.raises(ConfigurationError, match="larger than"):
        make_provider(oidc_token_file=pipe).get_credentials()

    writer.join(timeout=5)
    assert not writer.is_alive()
    assert written < 1 << 20


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_token_file_is_a_configuration_error(
    make_provider: Callable[..., OidcRoleArnProvider], token_file: Path
) -> None:
    write_token(token_file, "header.payload.signature")
    token_file.chmod(0)

    with pytest.raises(ConfigurationError, match="cannot read"):
        make_provider().get_credentials()


# --- settings -----------------------------------------------------------------------------------


def test_the_settings_come_from_the_three_rrsa_variables(
    akless_emulator: EmulatorServer, transport: RecordingTransport, token_file: Path
) -> None:
    identity = akless_emulator.cloud.identity
    write_token(token_file, akless_emulator.cloud.mint_oidc_token())
    environ = {
        "ALIBABA_CLOUD_ROLE_ARN": identity.oidc_role_arn,
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": identity.oidc_provider_arn,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
        "ALIBABA_CLOUD_STS_ENDPOINT": akless_emulator.endpoint,
        "ALIBABA_CLOUD_ROLE_SESSION_NAME": "payments-api-pod",
    }

    provider = OidcRoleArnProvider(environ=environ, transport=transport)

    assert provider.role_arn == identity.oidc_role_arn
    assert provider.oidc_provider_arn == identity.oidc_provider_arn
    assert provider.token_file == token_file
    assert provider.sts_endpoint == akless_emulator.endpoint
    provider.get_credentials()
    (call,) = akless_emulator.cloud.store.calls()
    assert call.action == "AssumeRoleWithOIDC"
    assert call.params["RoleSessionName"] == "payments-api-pod"
    assert "OIDCToken" not in call.params  # the emulator does not keep it either


def test_the_default_session_name_is_akless_and_the_time(
    make_provider: Callable[..., OidcRoleArnProvider],
    akless_emulator: EmulatorServer,
    token_file: Path,
) -> None:
    write_token(token_file, akless_emulator.cloud.mint_oidc_token())

    make_provider().get_credentials()

    (call,) = akless_emulator.cloud.store.calls()
    assert call.params["RoleSessionName"].startswith("akless-")


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ("role_arn", "ALIBABA_CLOUD_ROLE_ARN"),
        ("oidc_provider_arn", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
        ("oidc_token_file", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
    ],
)
def test_a_missing_setting_is_a_configuration_error_naming_its_variable(
    missing: str, variable: str
) -> None:
    environ = {
        "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1234567890123456:role/app",
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1234567890123456:oidc-provider/ack",
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/token",
    }
    del environ[variable]

    with pytest.raises(ConfigurationError, match=variable) as caught:
        OidcRoleArnProvider(environ=environ)

    assert caught.value.source == missing


def test_a_duration_under_900_seconds_is_a_configuration_error(token_file: Path) -> None:
    with pytest.raises(ConfigurationError, match="900"):
        OidcRoleArnProvider(
            role_arn="acs:ram::1:role/app",
            oidc_provider_arn="acs:ram::1:oidc-provider/ack",
            oidc_token_file=token_file,
            duration_seconds=600,
            environ={},
        )


@pytest.mark.parametrize(
    ("options", "endpoint"),
    [
        ({"sts_region_id": "cn-beijing"}, "https://sts.cn-beijing.aliyuncs.com"),
        (
            {"sts_region_id": "cn-beijing", "enable_vpc": True},
            "https://sts-vpc.cn-beijing.aliyuncs.com",
        ),
        ({}, "https://sts.aliyuncs.com"),
    ],
    ids=["region", "region-vpc", "default"],
)
def test_the_sts_endpoint_follows_region_and_vpc(
    options: dict[str, Any], endpoint: str, token_file: Path
) -> None:
    provider = OidcRoleArnProvider(
        role_arn="acs:ram::1:role/app",
        oidc_provider_arn="acs:ram::1:oidc-provider/ack",
        oidc_token_file=token_file,
        environ={},
        **options,
    )

    assert provider.sts_endpoint == endpoint
