"""The aliyun CLI profile provider (``~/.aliyun/config.json``): file and profile selection,
every mode (named or inferred), the modes akless does not support yet, every way the file can
be wrong (naming the file, never a secret), and role chains against the emulator."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from akless._time import format_timestamp
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.providers._selection import use_profile
from akless.providers.cli_profile import CliProfileProvider
from akless.providers.credentials_uri import CredentialsUriProvider
from akless.providers.ecs_ram_role import EcsRamRoleProvider
from akless.providers.external import ExternalProcessProvider
from akless.providers.oidc import OidcRoleArnProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.static import StaticAKProvider, StaticSTSProvider
from akless.transport import FakeTransport, Request, Response

SECRET = "planted-cli-secret-2e8b"
TOKEN = "planted-cli-token-c05f"
ROLE = "acs:ram::123456789012:role/deploy"
OIDC_PROVIDER = "acs:ram::123456789012:oidc-provider/ack"
FAKE_STS = "http://sts.test"


@pytest.fixture(autouse=True)
def _no_selected_profile() -> Iterator[None]:
    use_profile(None)
    yield
    use_profile(None)


def ak(name: str, key_id: Any = "LTAIexample1234", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "mode": "AK",
        "access_key_id": key_id,
        "access_key_secret": SECRET,
        "region_id": "cn-hangzhou",
        **fields,
    }


def config_file(
    *profiles: dict[str, Any], current: str | None = "default", path: Path | None = None
) -> Path:
    path = path or Path.home() / ".aliyun" / "config.json"
    document: dict[str, Any] = {"profiles": list(profiles), "meta_path": ""}
    if current is not None:
        document["current"] = current
    return raw_file(json.dumps(document, indent=2), path)


def raw_file(text: str, path: Path | None = None) -> Path:
    path = path or Path.home() / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def fake_sts() -> FakeTransport:
    """An STS that answers AssumeRole(WithOIDC) with a fresh credential, recording requests."""

    def answer(request: Request) -> Response:
        body = {
            "RequestId": "fake",
            "Credentials": {
                "AccessKeyId": "STS.fake1234",
                "AccessKeySecret": "fake-sts-secret",
                "SecurityToken": "fake-sts-token",
                "Expiration": format_timestamp(time.time() + 3600),
            },
            "AssumedRoleUser": {"Arn": f"{ROLE}/session", "AssumedRoleId": "1:session"},
        }
        return Response(200, {"content-type": "application/json"}, json.dumps(body).encode())

    return FakeTransport(answer)


def form(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode()))


def failure(provider: CliProfileProvider, error: type[Exception]) -> str:
    with pytest.raises(error) as raised:
        provider.get_credentials()
    message = str(raised.value)
    assert SECRET not in message
    assert TOKEN not in message
    return message


# -- which file --


def test_reads_config_json_in_the_home_directory() -> None:
    path = config_file(ak("default"))
    provider = CliProfileProvider()
    credentials = provider.get_credentials()
    assert (credentials.access_key_id, credentials.access_key_secret) == ("LTAIexample1234", SECRET)
    assert credentials.provider_name == "cli_profile/static_ak"
    assert provider.path == path
    assert provider.name == provider.get_provider_name() == "cli_profile"


def test_the_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file(ak("default", "LTAIhome1234"))
    path = config_file(ak("default", "LTAIenv1234"), path=tmp_path / "ci.json")
    monkeypatch.setenv("ALIBABA_CLOUD_CONFIG_FILE", str(path))
    provider = CliProfileProvider()
    assert provider.path == path
    assert provider.get_credentials().access_key_id == "LTAIenv1234"


def test_an_explicit_path_wins_over_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = config_file(ak("default", "LTAIenv1234"), path=tmp_path / "env.json")
    explicit = config_file(ak("default", "LTAIarg1234"), path=tmp_path / "arg.json")
    monkeypatch.setenv("ALIBABA_CLOUD_CONFIG_FILE", str(env_file))
    assert CliProfileProvider(path=explicit).get_credentials().access_key_id == "LTAIarg1234"


def test_a_missing_file_is_unavailable_naming_it() -> None:
    message = failure(CliProfileProvider(), CredentialsUnavailable)
    assert str(Path.home() / ".aliyun" / "config.json") in message


def test_the_disabled_variable_makes_it_unavailable_at_call_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config_file(ak("default"))
    provider = CliProfileProvider()
    provider.get_credentials()
    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE")
    assert "ALIBABA_CLOUD_CLI_PROFILE_DISABLED" in failure(provider, CredentialsUnavailable)
    with pytest.raises(CredentialsUnavailable):
        asyncio.run(provider.get_credentials_async())
    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "false")
    assert provider.get_credentials().provider_name == "cli_profile/static_ak"


def test_the_file_is_read_once_and_the_provider_kept() -> None:
    path = config_file(ak("default", "LTAIfirst1234"))
    provider = CliProfileProvider()
    first = provider.get_credentials()
    config_file(ak("default", "LTAIsecond1234"), path=path)
    assert provider.get_credentials() is first
    assert provider.load() is provider.load()


def test_async_callers_get_the_same_credentials() -> None:
    config_file(ak("default"))
    provider = CliProfileProvider()
    credentials = asyncio.run(provider.get_credentials_async())
    assert credentials.provider_name == "cli_profile/static_ak"
    assert provider.get_credentials() is credentials


# -- which profile --


PROFILES = [ak(name, f"LTAI{name}1234") for name in ("default", "dev", "switched", "env", "mine")]


def test_the_files_current_profile_is_used() -> None:
    config_file(*PROFILES, current="dev")
    provider = CliProfileProvider()
    assert provider.profile is None  # not known until the file is read
    assert provider.get_credentials().access_key_id == "LTAIdev1234"
    assert provider.profile == "dev"


def test_without_current_the_default_profile_is_used() -> None:
    config_file(*PROFILES, current=None)
    assert CliProfileProvider().get_credentials().access_key_id == "LTAIdefault1234"


def test_the_environment_variable_beats_current(monkeypatch: pytest.MonkeyPatch) -> None:
    config_file(*PROFILES, current="dev")
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    assert CliProfileProvider().get_credentials().access_key_id == "LTAIenv1234"


def test_use_profile_beats_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    config_file(*PROFILES, current="dev")
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    use_profile("switched")
    assert CliProfileProvider().get_credentials().access_key_id == "LTAIswitched1234"


def test_an_explicit_profile_beats_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    config_file(*PROFILES, current="dev")
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    use_profile("switched")
    provider = CliProfileProvider("mine")
    assert provider.profile == "mine"
    assert provider.get_credentials().access_key_id == "LTAImine1234"


def test_a_missing_profile_is_unavailable_naming_profile_and_file() -> None:
    path = config_file(*PROFILES)
    message = failure(CliProfileProvider("staging"), CredentialsUnavailable)
    assert "'staging'" in message
    assert str(path) in message
    assert "dev" in message


def test_a_current_profile_that_does_not_exist_says_so() -> None:
    path = config_file(ak("dev"), current="deleted")
    message = failure(CliProfileProvider(), CredentialsUnavailable)
    assert "the current profile 'deleted'" in message
    assert str(path) in message
    assert "aliyun configure --profile deleted" in message


# -- every mode --


def test_a_sts_token_profile_gives_static_sts_credentials() -> None:
    config_file(ak("default", mode="StsToken", sts_token=TOKEN))
    provider = CliProfileProvider()
    credentials = provider.get_credentials()
    assert isinstance(provider.load(), StaticSTSProvider)
    assert credentials.security_token == TOKEN
    assert credentials.provider_name == "cli_profile/static_sts"


def test_a_ram_role_arn_profile_assumes_the_role_with_its_settings() -> None:
    config_file(
        ak(
            "default",
            mode="RamRoleArn",
            ram_role_arn=ROLE,
            ram_session_name="cli-session",
            expired_seconds=1800,
            external_id="abc-123",
            policy='{"Version": "1"}',
            sts_endpoint=FAKE_STS,
        )
    )
    transport = fake_sts()
    provider = CliProfileProvider(transport=transport)
    credentials = provider.get_credentials()
    inner = provider.load()
    assert isinstance(inner, RamRoleArnProvider)
    assert isinstance(inner.source, StaticAKProvider)
    assert credentials.provider_name == "cli_profile/ram_role_arn/static_ak"
    [request] = transport.requests
    assert request.url == f"{FAKE_STS}/"  # aliyun-cli's sts_endpoint is honoured
    assert form(request) == {
        "RoleArn": ROLE,
        "RoleSessionName": "cli-session",
        "DurationSeconds": "1800",
        "ExternalId": "abc-123",
        "Policy": '{"Version": "1"}',
    }


@pytest.mark.parametrize("expired", [0, None, ""])
def test_an_unset_expired_seconds_means_the_default_duration(expired: int | str | None) -> None:
    config_file(ak("default", mode="RamRoleArn", ram_role_arn=ROLE, sts_endpoint=FAKE_STS,
                   expired_seconds=expired))  # fmt: skip
    transport = fake_sts()
    CliProfileProvider(transport=transport).get_credentials()
    assert form(transport.requests[0])["DurationSeconds"] == "3600"


def test_a_ram_role_arn_profile_with_an_sts_token_signs_with_it() -> None:
    config_file(ak("default", mode="RamRoleArn", ram_role_arn=ROLE, sts_token=TOKEN,
                   sts_endpoint=FAKE_STS))  # fmt: skip
    transport = fake_sts()
    credentials = CliProfileProvider(transport=transport).get_credentials()
    assert credentials.provider_name == "cli_profile/ram_role_arn/static_sts"
    assert transport.requests[0].headers["x-acs-security-token"] == TOKEN


def test_the_sts_region_picks_the_regional_endpoint() -> None:
    config_file(ak("default", mode="RamRoleArn", ram_role_arn=ROLE, sts_region="cn-shanghai"))
    inner = CliProfileProvider(environ={}).load()
    assert isinstance(inner, RamRoleArnProvider)
    assert inner.sts_endpoint == "https://sts.cn-shanghai.aliyuncs.com"


def test_a_chainable_ram_role_arn_profile_assumes_a_role_from_its_source() -> None:
    config_file(
        ak("base"),
        {"name": "ops", "mode": "ChainableRamRoleArn", "source_profile": "base",
         "ram_role_arn": ROLE, "sts_endpoint": FAKE_STS},
        {"name": "default", "mode": "ChainableRamRoleArn", "source_profile": "ops",
         "ram_role_arn": f"{ROLE}-2", "ram_session_name": "outer", "sts_endpoint": FAKE_STS},
    )  # fmt: skip
    transport = fake_sts()
    provider = CliProfileProvider(transport=transport)
    credentials = provider.get_credentials()
    inner = provider.load()
    assert isinstance(inner, RamRoleArnProvider)
    assert isinstance(inner.source, RamRoleArnProvider)
    assert credentials.provider_name == "cli_profile/ram_role_arn/ram_role_arn/static_ak"
    assert [form(r)["RoleArn"] for r in transport.requests] == [ROLE, f"{ROLE}-2"]
    assert form(transport.requests[1])["RoleSessionName"] == "outer"


def test_an_ecs_ram_role_profile_builds_the_metadata_provider() -> None:
    config_file({"name": "default", "mode": "EcsRamRole", "ram_role_name": "web"})
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:1"}
    inner = CliProfileProvider(environ=environ).load()
    assert isinstance(inner, EcsRamRoleProvider)
    assert inner.endpoint == "http://127.0.0.1:1"


def oidc_profile(token_file: Path, **fields: Any) -> dict[str, Any]:
    return {
        "name": "default",
        "mode": "OIDC",
        "ram_role_arn": ROLE,
        "oidc_provider_arn": OIDC_PROVIDER,
        "oidc_token_file": str(token_file),
        "sts_endpoint": FAKE_STS,
        **fields,
    }


def test_an_oidc_profile_reads_the_session_name_aliyun_cli_writes(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("header.payload.signature\n")
    config_file(oidc_profile(token_file, ram_session_name="pod-session"))
    transport = fake_sts()
    provider = CliProfileProvider(transport=transport)
    credentials = provider.get_credentials()
    inner = provider.load()
    assert isinstance(inner, OidcRoleArnProvider)
    assert (inner.role_arn, inner.oidc_provider_arn) == (ROLE, OIDC_PROVIDER)
    assert inner.token_file == token_file
    assert credentials.provider_name == "cli_profile/oidc_role_arn"
    sent = form(transport.requests[0])
    assert sent["RoleSessionName"] == "pod-session"
    assert sent["OIDCToken"] == "header.payload.signature"


def test_an_oidc_profile_falls_back_to_role_session_name(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("header.payload.signature")
    config_file(oidc_profile(token_file, role_session_name="python-style"))
    transport = fake_sts()
    CliProfileProvider(transport=transport).get_credentials()
    assert form(transport.requests[0])["RoleSessionName"] == "python-style"


def test_an_external_profile_runs_its_command(tmp_path: Path) -> None:
    script = tmp_path / "helper.py"
    answer = {"mode": "AK", "access_key_id": "LTAIexternal1234", "access_key_secret": SECRET}
    script.write_text(f"import json\nprint(json.dumps({answer!r}))\n")
    config_file({"name": "default", "mode": "External",
                 "process_command": f"{sys.executable} {script}"})  # fmt: skip
    provider = CliProfileProvider()
    credentials = provider.get_credentials()
    assert isinstance(provider.load(), ExternalProcessProvider)
    assert credentials.access_key_id == "LTAIexternal1234"
    assert credentials.provider_name == "cli_profile/external"


def test_a_credentials_uri_profile_builds_the_uri_provider() -> None:
    config_file({"name": "default", "mode": "CredentialsURI",
                 "credentials_uri": "http://127.0.0.1:8080/creds"})  # fmt: skip
    inner = CliProfileProvider().load()
    assert isinstance(inner, CredentialsUriProvider)
    assert inner.uri == "http://127.0.0.1:8080/creds"


def test_a_credentials_uri_profile_falls_back_to_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:8081/env")
    config_file({"name": "default", "mode": "CredentialsURI"})
    inner = CliProfileProvider().load()
    assert isinstance(inner, CredentialsUriProvider)
    assert inner.uri == "http://127.0.0.1:8081/env"


def test_a_credentials_uri_profile_without_any_uri_names_both_places() -> None:
    config_file({"name": "default", "mode": "CredentialsURI"})
    message = failure(CliProfileProvider(), ConfigurationError)
    assert "credentials_uri (or ALIBABA_CLOUD_CREDENTIALS_URI)" in message


@pytest.mark.parametrize("mode", ["ak", "AK", "Ak"])
def test_modes_match_in_any_case(mode: str) -> None:
    config_file(ak("default", mode=mode))
    assert isinstance(CliProfileProvider().load(), StaticAKProvider)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"access_key_id": "LTAIx1234", "access_key_secret": SECRET}, StaticAKProvider),
        ({"access_key_id": "STS.x", "access_key_secret": SECRET, "sts_token": TOKEN},
         StaticSTSProvider),
        ({"access_key_id": "LTAIx1234", "access_key_secret": SECRET, "ram_role_arn": ROLE},
         RamRoleArnProvider),
        ({"ram_role_name": "web"}, EcsRamRoleProvider),
        ({"process_command": "helper --json"}, ExternalProcessProvider),
        ({"ram_role_arn": ROLE, "oidc_provider_arn": OIDC_PROVIDER, "oidc_token_file": "/t"},
         OidcRoleArnProvider),
        ({"credentials_uri": "http://127.0.0.1:8080/creds"}, CredentialsUriProvider),
    ],
    ids=["AK", "StsToken", "RamRoleArn", "EcsRamRole", "External", "OIDC", "CredentialsURI"],
)  # fmt: skip
def test_an_empty_mode_is_inferred_from_the_fields(fields: dict[str, Any], expected: type) -> None:
    config_file({"name": "default", "mode": "", **fields})
    assert isinstance(CliProfileProvider().load(), expected)


def test_a_profile_with_no_mode_and_nothing_to_infer_from_is_an_error() -> None:
    path = config_file({"name": "default", "mode": "", "region_id": "cn-hangzhou"})
    message = failure(CliProfileProvider(), ConfigurationError)
    assert "no mode" in message
    assert str(path) in message


# -- modes akless does not support yet --


@pytest.mark.parametrize(
    "profile",
    [
        {
            "mode": "CloudSSO",
            "cloud_sso_sign_in_url": "https://signin.example",
            "access_token": TOKEN,
        },
        {"mode": "OAuth", "oauth_site_type": "CN", "oauth_refresh_token": TOKEN},
        {"mode": "RsaKeyPair", "private_key": SECRET, "key_pair_name": "k"},
        {"mode": "BearerToken", "bearer_token": TOKEN},
        {"mode": "Anonymous"},
        {"mode": "RamRoleArnWithRoleName", "ram_role_name": "web", "ram_role_arn": ROLE},
        {"mode": "", "cloud_sso_sign_in_url": "https://signin.example"},
    ],
    ids=[
        "CloudSSO",
        "OAuth",
        "RsaKeyPair",
        "BearerToken",
        "Anonymous",
        "WithRoleName",
        "sso-inferred",
    ],
)
def test_unsupported_modes_say_not_supported_yet_in_one_line(profile: dict[str, Any]) -> None:
    path = config_file({"name": "work", **profile}, current="work")
    message = failure(CliProfileProvider(), ConfigurationError)
    mode = profile["mode"] or "CloudSSO"
    assert f"mode {mode} is not supported by akless yet" in message
    assert "'work'" in message
    assert str(path) in message
    assert "aliyun configure --profile work --mode" in message
    assert "\n" not in message


def test_an_unknown_mode_lists_the_supported_ones() -> None:
    config_file(ak("default", mode="Telepathy"))
    message = failure(CliProfileProvider(), ConfigurationError)
    assert "unknown mode 'Telepathy'" in message
    assert "AK, StsToken, RamRoleArn, ChainableRamRoleArn" in message


# -- what is wrong with a profile --


@pytest.mark.parametrize(
    ("profile", "key"),
    [
        ({"mode": "AK", "access_key_id": "LTAIx1234"}, "access_key_secret"),
        ({"mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": SECRET}, "sts_token"),
        ({"mode": "RamRoleArn", "access_key_id": "LTAIx1234", "access_key_secret": SECRET},
         "ram_role_arn"),
        ({"mode": "ChainableRamRoleArn", "ram_role_arn": ROLE}, "source_profile"),
        ({"mode": "OIDC", "ram_role_arn": ROLE, "oidc_provider_arn": OIDC_PROVIDER},
         "oidc_token_file"),
        ({"mode": "External"}, "process_command"),
    ],
)  # fmt: skip
def test_a_missing_required_field_names_field_profile_and_file(
    profile: dict[str, Any], key: str
) -> None:
    path = config_file({"name": "work", **profile}, current="work")
    message = failure(CliProfileProvider(), ConfigurationError)
    assert f"needs {key}" in message
    assert "'work'" in message
    assert str(path) in message


def test_a_field_of_the_wrong_json_type_is_named() -> None:
    config_file(ak("default", key_id=12345))
    assert "access_key_id must be a string" in failure(CliProfileProvider(), ConfigurationError)


def test_expired_seconds_must_be_a_number() -> None:
    config_file(ak("default", mode="RamRoleArn", ram_role_arn=ROLE, expired_seconds="soon"))
    assert "expired_seconds must be a whole number" in failure(
        CliProfileProvider(), ConfigurationError
    )


def test_a_chainable_cycle_is_reported_by_name() -> None:
    path = config_file(
        {"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b", "ram_role_arn": ROLE},
        {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "c", "ram_role_arn": ROLE},
        {"name": "c", "mode": "ChainableRamRoleArn", "source_profile": "a", "ram_role_arn": ROLE},
        current="a",
    )
    message = failure(CliProfileProvider(), ConfigurationError)
    assert message == f"profile cycle in {path}: a -> b -> c -> a"


def test_a_missing_source_profile_is_named() -> None:
    path = config_file({"name": "default", "mode": "ChainableRamRoleArn",
                        "source_profile": "gone", "ram_role_arn": ROLE})  # fmt: skip
    message = failure(CliProfileProvider(), ConfigurationError)
    assert "source_profile 'gone'" in message
    assert str(path) in message


# -- what is wrong with the file --


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"current": "default", "profiles": [{"access_key_secret": "' + SECRET + '"', "line 1"),
        ('{\n  "profiles": [\n    {"access_key_secret": "' + SECRET + '",}\n  ]\n}', "line 3"),
        ('["' + SECRET + '"]', "top level is a list"),
        ('{"profiles": {"default": {"access_key_secret": "' + SECRET + '"}}}', '"profiles" must'),
        ('{"profiles": ["' + SECRET + '"]}', "profiles[0] must be an object"),
        ('{"current": 7, "profiles": []}', '"current" must be a profile name'),
        ("", "not valid JSON"),
    ],
    ids=["truncated", "trailing-comma", "not-object", "profiles-not-list", "profile-not-object",
         "current-not-string", "empty"],
)  # fmt: skip
def test_a_malformed_file_names_the_file_but_not_its_content(text: str, expected: str) -> None:
    path = raw_file(text)
    with pytest.raises(ConfigurationError) as raised:
        CliProfileProvider().get_credentials()
    message = str(raised.value)
    assert expected in message
    assert str(path) in message
    assert SECRET not in message
    assert raised.value.source == str(path)
    assert raised.value.__cause__ is None


def test_a_binary_file_is_a_configuration_error_naming_it() -> None:
    path = raw_file("")
    path.write_bytes(b"\x00" + SECRET.encode())
    assert str(path) in failure(CliProfileProvider(), ConfigurationError)


def test_a_file_without_profiles_has_no_profile() -> None:
    path = raw_file('{"current": ""}')
    message = failure(CliProfileProvider(), CredentialsUnavailable)
    assert "'default'" in message
    assert str(path) in message


# -- against the emulator --


def test_a_chainable_profile_over_an_ak_profile_works_at_the_emulator(
    akless_emulator: EmulatorServer,
) -> None:
    identity = akless_emulator.cloud.identity
    config_file(
        ak("base", identity.access_key_id) | {"access_key_secret": identity.access_key_secret},
        {"name": "deploy", "mode": "ChainableRamRoleArn", "source_profile": "base",
         "ram_role_arn": identity.role_arn, "ram_session_name": "cli-chain",
         "sts_endpoint": akless_emulator.endpoint},
        current="deploy",
    )  # fmt: skip
    credentials = CliProfileProvider().get_credentials()
    assert credentials.provider_name == "cli_profile/ram_role_arn/static_ak"
    assert credentials.security_token


def test_an_oidc_profile_works_at_the_emulator(
    akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    token_file = tmp_path / "token"
    token_file.write_text(cloud.mint_oidc_token())
    config_file(
        {"name": "default", "mode": "OIDC", "ram_role_arn": cloud.identity.oidc_role_arn,
         "oidc_provider_arn": cloud.identity.oidc_provider_arn,
         "oidc_token_file": str(token_file), "ram_session_name": "cli-pod",
         "sts_endpoint": akless_emulator.endpoint}
    )  # fmt: skip
    credentials = CliProfileProvider().get_credentials()
    assert credentials.provider_name == "cli_profile/oidc_role_arn"
    assert credentials.security_token
