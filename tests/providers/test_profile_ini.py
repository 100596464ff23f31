"""The INI profile provider: which file and profile it picks, every type it understands, every
way a file can be wrong (each error naming the file, never a secret), and the real thing
against the emulator."""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.providers._selection import selected_profile, use_profile
from akless.providers.credentials_uri import CredentialsUriProvider
from akless.providers.ecs_ram_role import EcsRamRoleProvider
from akless.providers.oidc import OidcRoleArnProvider
from akless.providers.profile import ProfileProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.rsa_key_pair import RsaKeyPairProvider
from akless.providers.static import BearerTokenProvider, StaticAKProvider, StaticSTSProvider
from akless.sts import StsClient
from akless.transport import FakeTransport, Request, Response

SECRET = "planted-ini-secret-7c41"
TOKEN = "planted-ini-token-90ad"
ROLE = "acs:ram::123456789012:role/deploy"
FAKE_STS = "http://sts.test"


@pytest.fixture(autouse=True)
def _no_selected_profile() -> Iterator[None]:
    use_profile(None)
    yield
    use_profile(None)


def ini_file(path: Path, text: str, *, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)
    return path


def home_ini(text: str, name: str = "credentials.ini") -> Path:
    return ini_file(Path.home() / ".alibabacloud" / name, text)


def access_key_section(name: str, key_id: str = "LTAIexample1234") -> str:
    return f"[{name}]\ntype = access_key\naccess_key_id = {key_id}\naccess_key_secret = {SECRET}\n"


def fake_sts() -> FakeTransport:
    """An STS that answers AssumeRole with a fresh credential; its requests are recorded."""

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


def failure(provider: ProfileProvider, error: type[Exception]) -> str:
    with pytest.raises(error) as raised:
        provider.get_credentials()
    message = str(raised.value)
    assert SECRET not in message
    assert TOKEN not in message
    return message


# -- which file --


def test_reads_credentials_ini_in_the_home_directory() -> None:
    path = home_ini(access_key_section("default"))
    provider = ProfileProvider()
    credentials = provider.get_credentials()
    assert (credentials.access_key_id, credentials.access_key_secret) == ("LTAIexample1234", SECRET)
    assert provider.path == path


def test_falls_back_to_the_go_tools_credentials_file() -> None:
    path = home_ini(access_key_section("default", "LTAIgotool1234"), name="credentials")
    provider = ProfileProvider()
    assert provider.path == path
    assert provider.get_credentials().access_key_id == "LTAIgotool1234"


def test_credentials_ini_wins_over_the_go_tools_file() -> None:
    home_ini(access_key_section("default", "LTAIgotool1234"), name="credentials")
    home_ini(access_key_section("default", "LTAIinifile1234"))
    assert ProfileProvider().get_credentials().access_key_id == "LTAIinifile1234"


def test_the_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_ini(access_key_section("default", "LTAIhome1234"))
    path = ini_file(tmp_path / "team.ini", access_key_section("default", "LTAIenv1234"))
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(path))
    provider = ProfileProvider()
    assert provider.path == path
    assert provider.get_credentials().access_key_id == "LTAIenv1234"


def test_an_explicit_path_wins_over_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = ini_file(tmp_path / "env.ini", access_key_section("default", "LTAIenv1234"))
    explicit = ini_file(tmp_path / "explicit.ini", access_key_section("default", "LTAIarg1234"))
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(env_file))
    assert ProfileProvider(path=explicit).get_credentials().access_key_id == "LTAIarg1234"


def test_an_environ_mapping_replaces_os_environ(tmp_path: Path) -> None:
    path = ini_file(tmp_path / "mapped.ini", access_key_section("default", "LTAImapped1234"))
    provider = ProfileProvider(environ={"ALIBABA_CLOUD_CREDENTIALS_FILE": str(path)})
    assert provider.get_credentials().access_key_id == "LTAImapped1234"


def test_the_home_directory_is_read_when_used_not_when_constructed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = ProfileProvider()
    monkeypatch.setenv("HOME", str(tmp_path))
    path = home_ini(access_key_section("default"))
    assert path.is_relative_to(tmp_path)
    assert provider.get_credentials().provider_name == "profile/static_ak"


def test_no_file_is_unavailable_and_names_both_places_looked_at() -> None:
    message = failure(ProfileProvider(), CredentialsUnavailable)
    home = Path.home()
    assert str(home / ".alibabacloud" / "credentials.ini") in message
    assert str(home / ".alibabacloud" / "credentials") in message


def test_a_missing_configured_file_is_unavailable_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_ini(access_key_section("default"))  # not a fallback for a file the user named
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(tmp_path / "absent.ini"))
    message = failure(ProfileProvider(), CredentialsUnavailable)
    assert str(tmp_path / "absent.ini") in message


# -- which profile --


PROFILES = access_key_section("default", "LTAIdefault1234") + "".join(
    access_key_section(name, f"LTAI{name}1234") for name in ("explicit", "switched", "env")
)


def test_the_default_profile_is_default() -> None:
    home_ini(PROFILES)
    provider = ProfileProvider()
    assert provider.profile == "default"
    assert provider.get_credentials().access_key_id == "LTAIdefault1234"


def test_the_environment_variable_selects_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    home_ini(PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    assert ProfileProvider().get_credentials().access_key_id == "LTAIenv1234"


def test_use_profile_beats_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    home_ini(PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    use_profile("switched")
    assert selected_profile() == "switched"
    assert ProfileProvider().get_credentials().access_key_id == "LTAIswitched1234"


def test_an_explicit_profile_beats_use_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    home_ini(PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    use_profile("switched")
    provider = ProfileProvider("explicit")
    assert provider.profile == "explicit"
    assert provider.get_credentials().access_key_id == "LTAIexplicit1234"


def test_use_profile_none_clears_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "env")
    use_profile("switched")
    use_profile(None)
    assert selected_profile() == "env"
    use_profile("  ")
    assert selected_profile() == "env"


def test_a_missing_profile_is_unavailable_naming_profile_and_file() -> None:
    path = home_ini(PROFILES)
    message = failure(ProfileProvider("staging"), CredentialsUnavailable)
    assert "[staging]" in message
    assert str(path) in message
    assert "explicit" in message  # the profiles that are there


# -- loading --


def test_the_file_is_read_once_and_the_provider_kept() -> None:
    path = home_ini(access_key_section("default", "LTAIfirst1234"))
    provider = ProfileProvider()
    first = provider.get_credentials()
    ini_file(path, access_key_section("default", "LTAIsecond1234"))
    assert provider.get_credentials() is first
    assert provider.load() is provider.load()


def test_many_cold_threads_build_one_provider_and_make_one_sts_call() -> None:
    home_ini(
        access_key_section("base")
        + f"[default]\ntype = ram_role_arn\nsource_profile = base\nrole_arn = {ROLE}\n"
        f"sts_endpoint = {FAKE_STS}\n"
    )
    slow = fake_sts()
    answer = slow.send

    def slow_answer(request: Request) -> Response:
        time.sleep(0.05)  # widen the window in which the other threads arrive
        return answer(request)

    transport = FakeTransport(slow_answer)
    provider = ProfileProvider(transport=transport)
    start = threading.Barrier(16)

    def call() -> Credentials:
        start.wait()
        return provider.get_credentials()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: call(), range(16)))
    assert len(transport.requests) == 1
    assert all(result is results[0] for result in results)


def test_results_are_named_profile_slash_inner_and_the_provider_profile() -> None:
    home_ini(access_key_section("default"))
    provider = ProfileProvider()
    assert provider.name == provider.get_provider_name() == "profile"
    assert provider.get_credentials().provider_name == "profile/static_ak"


def test_async_callers_get_the_same_credentials() -> None:
    home_ini(access_key_section("default"))
    provider = ProfileProvider()
    credentials = asyncio.run(provider.get_credentials_async())
    assert credentials.provider_name == "profile/static_ak"
    assert provider.get_credentials() is credentials


def test_inline_comments_are_stripped_only_after_whitespace() -> None:
    home_ini(
        """\
        [default]   ; my keys
        type = access_key  # long-term, rotate me
        access_key_id = LTAIcomment1234 ; the id
        access_key_secret = abc#def;ghi
        """
    )
    credentials = ProfileProvider().get_credentials()
    assert credentials.access_key_id == "LTAIcomment1234"
    assert credentials.access_key_secret == "abc#def;ghi"


def test_keys_and_types_are_case_insensitive() -> None:
    home_ini(
        "[default]\nTYPE = Access_Key\n"
        f"Access_Key_Id = LTAIcase1234\nACCESS_KEY_SECRET = {SECRET}\n"
    )
    assert ProfileProvider().get_credentials().access_key_id == "LTAIcase1234"


def test_a_default_section_does_not_leak_into_other_profiles() -> None:
    home_ini(
        f"[DEFAULT]\naccess_key_secret = {SECRET}\n"
        "[default]\ntype = access_key\naccess_key_id = LTAIx1234\n"
    )
    assert "needs access_key_secret" in failure(ProfileProvider(), ConfigurationError)


def test_percent_signs_in_values_are_kept() -> None:
    home_ini("[default]\ntype = access_key\naccess_key_id = LTAIpct1234\naccess_key_secret = a%b\n")
    assert ProfileProvider().get_credentials().access_key_secret == "a%b"


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid"), reason="POSIX file modes")
def test_a_world_readable_file_warns_how_to_fix_it_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = home_ini(access_key_section("default"))
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="akless"):
        ProfileProvider().get_credentials()
    [record] = [r for r in caplog.records if r.name == "akless"]
    assert f"chmod 600 {path}" in record.getMessage()
    assert SECRET not in record.getMessage()


# -- enable --


def test_enable_false_makes_the_profile_unavailable() -> None:
    path = home_ini(access_key_section("default") + "enable = false\n")
    message = failure(ProfileProvider(), CredentialsUnavailable)
    assert "disabled" in message
    assert str(path) in message


@pytest.mark.parametrize("value", ["true", "yes", "1", "on", "True"])
def test_enable_true_spellings_keep_the_profile(value: str) -> None:
    home_ini(access_key_section("default") + f"enable = {value}\n")
    assert ProfileProvider().get_credentials().provider_name == "profile/static_ak"


def test_an_enable_that_is_not_a_boolean_is_an_error() -> None:
    path = home_ini(access_key_section("default") + "enable = sometimes\n")
    message = failure(ProfileProvider(), ConfigurationError)
    assert "enable must be true or false" in message
    assert str(path) in message


# -- every type --


@pytest.mark.parametrize("declared", ["sts", "sts_token"])
def test_sts_profiles_give_static_sts_credentials(declared: str) -> None:
    home_ini(
        f"[default]\ntype = {declared}\naccess_key_id = STS.id1234\n"
        f"access_key_secret = {SECRET}\nsecurity_token = {TOKEN}\n"
    )
    provider = ProfileProvider()
    credentials = provider.get_credentials()
    assert isinstance(provider.load(), StaticSTSProvider)
    assert credentials.security_token == TOKEN
    assert credentials.provider_name == "profile/static_sts"


@pytest.mark.parametrize("declared", ["bearer", "bearer_token"])
def test_bearer_profiles_give_a_bearer_token(declared: str) -> None:
    home_ini(f"[default]\ntype = {declared}\nbearer_token = {TOKEN}\n")
    provider = ProfileProvider()
    credentials = provider.get_credentials()
    assert isinstance(provider.load(), BearerTokenProvider)
    assert credentials.bearer_token == TOKEN
    assert credentials.provider_name == "profile/bearer"


def test_an_access_key_profile_builds_a_static_ak_provider() -> None:
    home_ini(access_key_section("default"))
    assert isinstance(ProfileProvider().load(), StaticAKProvider)


def test_an_ecs_ram_role_profile_builds_the_metadata_provider_with_the_environment() -> None:
    home_ini("[default]\ntype = ecs_ram_role\nrole_name = web\n")
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:1"}
    inner = ProfileProvider(environ=environ).load()
    assert isinstance(inner, EcsRamRoleProvider)
    assert inner.endpoint == "http://127.0.0.1:1"


def test_a_ram_role_arn_profile_assumes_the_role_with_its_settings() -> None:
    home_ini(
        f"""\
        [default]
        type = ram_role_arn
        access_key_id = LTAIsource1234
        access_key_secret = {SECRET}
        role_arn = {ROLE}
        role_session_name = deploy-bot
        duration_seconds = 1800
        policy = {{"Version": "1"}}
        external_id = abc-123
        sts_endpoint = {FAKE_STS}
        """
    )
    transport = fake_sts()
    provider = ProfileProvider(transport=transport)
    credentials = provider.get_credentials()
    inner = provider.load()
    assert isinstance(inner, RamRoleArnProvider)
    assert isinstance(inner.source, StaticAKProvider)
    assert inner.sts_endpoint == FAKE_STS
    assert credentials.provider_name == "profile/ram_role_arn/static_ak"
    [request] = transport.requests
    assert request.url == f"{FAKE_STS}/"
    assert form(request) == {
        "RoleArn": ROLE,
        "RoleSessionName": "deploy-bot",
        "DurationSeconds": "1800",
        "Policy": '{"Version": "1"}',
        "ExternalId": "abc-123",
    }


def test_a_ram_role_arn_profile_with_a_security_token_signs_with_sts_credentials() -> None:
    home_ini(
        f"[default]\ntype = ram_role_arn\naccess_key_id = STS.source1234\n"
        f"access_key_secret = {SECRET}\nsecurity_token = {TOKEN}\nrole_arn = {ROLE}\n"
        f"sts_endpoint = {FAKE_STS}\n"
    )
    transport = fake_sts()
    credentials = ProfileProvider(transport=transport).get_credentials()
    assert credentials.provider_name == "profile/ram_role_arn/static_sts"
    assert transport.requests[0].headers["x-acs-security-token"] == TOKEN


@pytest.mark.parametrize(
    ("settings", "endpoint"),
    [
        ("sts_region = cn-shanghai", "https://sts.cn-shanghai.aliyuncs.com"),
        ("region_id = cn-beijing", "https://sts.cn-beijing.aliyuncs.com"),
        ("sts_region = cn-hangzhou\nenable_vpc = true", "https://sts-vpc.cn-hangzhou.aliyuncs.com"),
        ("", "https://sts.aliyuncs.com"),
    ],
)
def test_a_role_profile_picks_its_sts_endpoint_from_region_and_vpc(
    settings: str, endpoint: str
) -> None:
    home_ini(access_key_section("base") + f"[default]\ntype = ram_role_arn\n"
             f"source_profile = base\nrole_arn = {ROLE}\n{settings}\n")  # fmt: skip
    inner = ProfileProvider(environ={}).load()
    assert isinstance(inner, RamRoleArnProvider)
    assert inner.sts_endpoint == endpoint


def test_source_profile_chains_roles_through_other_sections() -> None:
    home_ini(
        access_key_section("base")
        + f"[ops]\ntype = ram_role_arn\nsource_profile = base\nrole_arn = {ROLE}\n"
        f"sts_endpoint = {FAKE_STS}\n"
        f"[default]\ntype = ram_role_arn\nsource_profile = ops\nrole_arn = {ROLE}-2\n"
        f"sts_endpoint = {FAKE_STS}\n"
    )
    transport = fake_sts()
    provider = ProfileProvider(transport=transport)
    credentials = provider.get_credentials()
    inner = provider.load()
    assert isinstance(inner, RamRoleArnProvider)
    assert isinstance(inner.source, RamRoleArnProvider)
    assert isinstance(inner.source.source, StaticAKProvider)
    assert credentials.provider_name == "profile/ram_role_arn/ram_role_arn/static_ak"
    assert [form(r)["RoleArn"] for r in transport.requests] == [ROLE, f"{ROLE}-2"]


def test_an_oidc_role_arn_profile_builds_the_rrsa_provider(tmp_path: Path) -> None:
    home_ini(
        f"[default]\ntype = oidc_role_arn\nrole_arn = {ROLE}\n"
        "oidc_provider_arn = acs:ram::123456789012:oidc-provider/ack\n"
        f"oidc_token_file_path = {tmp_path / 'token'}\nsts_region = cn-hangzhou\n"
    )
    inner = ProfileProvider(environ={}).load()
    assert isinstance(inner, OidcRoleArnProvider)
    assert inner.role_arn == ROLE
    assert inner.oidc_provider_arn == "acs:ram::123456789012:oidc-provider/ack"
    assert inner.token_file == tmp_path / "token"
    assert inner.sts_endpoint == "https://sts.cn-hangzhou.aliyuncs.com"


def test_an_rsa_key_pair_profile_builds_the_key_pair_provider(tmp_path: Path) -> None:
    key = tmp_path / "private.pem"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEfake\n-----END RSA PRIVATE KEY-----\n")
    key.chmod(0o600)
    home_ini(
        f"[default]\ntype = rsa_key_pair\npublic_key_id = TMPKEY1234\nprivate_key_file = {key}\n"
        f"sts_endpoint = {FAKE_STS}\n"
    )
    inner = ProfileProvider().load()
    assert isinstance(inner, RsaKeyPairProvider)
    assert inner.public_key_id == "TMPKEY1234"
    assert inner.private_key_file == key
    assert inner.sts_endpoint == FAKE_STS


def test_a_credentials_uri_profile_builds_the_uri_provider() -> None:
    home_ini("[default]\ntype = credentials_uri\ncredentials_uri = http://127.0.0.1:8080/creds\n")
    inner = ProfileProvider().load()
    assert isinstance(inner, CredentialsUriProvider)
    assert inner.uri == "http://127.0.0.1:8080/creds"


# -- what is wrong with a profile --


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("type = access_key\naccess_key_id = LTAIx1234", "access_key_secret"),
        (f"type = access_key\naccess_key_secret = {SECRET}", "access_key_id"),
        (f"type = sts\naccess_key_id = STS.x\naccess_key_secret = {SECRET}", "security_token"),
        ("type = bearer", "bearer_token"),
        (
            f"type = ram_role_arn\naccess_key_id = LTAIx1234\naccess_key_secret = {SECRET}",
            "role_arn",
        ),
        (f"type = ram_role_arn\nrole_arn = {ROLE}", "access_key_id"),
        (f"type = oidc_role_arn\nrole_arn = {ROLE}\noidc_provider_arn = p", "oidc_token_file_path"),
        ("type = oidc_role_arn\noidc_provider_arn = p\noidc_token_file_path = t", "role_arn"),
        ("type = rsa_key_pair\nprivate_key_file = /k", "public_key_id"),
        ("type = rsa_key_pair\npublic_key_id = k", "private_key_file"),
        ("type = credentials_uri", "credentials_uri"),
    ],
)
def test_a_missing_required_key_names_key_profile_and_file(section: str, key: str) -> None:
    path = home_ini(f"[work]\n{section}\n")
    message = failure(ProfileProvider("work"), ConfigurationError)
    assert f"needs {key}" in message
    assert "'work'" in message
    assert str(path) in message


def test_the_ram_role_arn_hint_mentions_source_profile() -> None:
    home_ini(f"[default]\ntype = ram_role_arn\nrole_arn = {ROLE}\n")
    assert "(or source_profile)" in failure(ProfileProvider(), ConfigurationError)


@pytest.mark.parametrize("type_line", ["type = magic", ""])
def test_an_unknown_or_missing_type_lists_the_supported_types(type_line: str) -> None:
    path = home_ini(f"[default]\n{type_line}\naccess_key_secret = {SECRET}\n")
    message = failure(ProfileProvider(), ConfigurationError)
    assert ("unknown type 'magic'" if type_line else "no type") in message
    assert "'default'" in message
    assert str(path) in message
    assert "access_key, sts, bearer, ecs_ram_role, ram_role_arn, oidc_role_arn" in message


def test_an_invalid_duration_names_the_profile_and_file() -> None:
    path = home_ini(
        access_key_section("base")
        + f"[default]\ntype = ram_role_arn\nsource_profile = base\nrole_arn = {ROLE}\n"
        "duration_seconds = 60\n"
    )
    message = failure(ProfileProvider(), ConfigurationError)
    assert "at least 900 seconds" in message
    assert "'default'" in message
    assert str(path) in message


def test_source_profile_and_access_keys_together_are_ambiguous() -> None:
    home_ini(
        access_key_section("base")
        + f"[default]\ntype = ram_role_arn\nsource_profile = base\nrole_arn = {ROLE}\n"
        f"access_key_id = LTAIx1234\naccess_key_secret = {SECRET}\n"
    )
    assert "not both" in failure(ProfileProvider(), ConfigurationError)


def test_a_source_profile_cycle_is_reported_by_name() -> None:
    path = home_ini(
        f"[a]\ntype = ram_role_arn\nsource_profile = b\nrole_arn = {ROLE}\n"
        f"[b]\ntype = ram_role_arn\nsource_profile = a\nrole_arn = {ROLE}\n"
    )
    message = failure(ProfileProvider("a"), ConfigurationError)
    assert message == f"profile cycle in {path}: a -> b -> a"


def test_a_profile_that_is_its_own_source_is_a_cycle() -> None:
    path = home_ini(f"[a]\ntype = ram_role_arn\nsource_profile = a\nrole_arn = {ROLE}\n")
    assert failure(ProfileProvider("a"), ConfigurationError) == f"profile cycle in {path}: a -> a"


def test_a_missing_source_profile_is_named() -> None:
    path = home_ini(f"[default]\ntype = ram_role_arn\nsource_profile = gone\nrole_arn = {ROLE}\n")
    message = failure(ProfileProvider(), ConfigurationError)
    assert "source_profile 'gone'" in message
    assert str(path) in message


def test_a_disabled_source_profile_is_an_error_not_a_silent_skip() -> None:
    home_ini(
        access_key_section("base")
        + "enable = false\n"
        + f"[default]\ntype = ram_role_arn\nsource_profile = base\nrole_arn = {ROLE}\n"
    )
    assert "disabled" in failure(ProfileProvider(), ConfigurationError)


# -- what is wrong with the file --


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f"access_key_secret = {SECRET}\n[default]\n", "line 1"),
        (f"[default]\ntype = access_key\n[default]\nsecret = {SECRET}\n", "line 3"),
        (f"[default]\naccess_key_secret = {SECRET}\naccess_key_secret = {SECRET}\n", "line 3"),
        (f"[default]\ntype = access_key\n{SECRET}\n", "line 3"),
        (f"[default\naccess_key_secret = {SECRET}\n", "line 1"),
    ],
    ids=["no-section-header", "duplicate-section", "duplicate-key", "bare-line", "broken-header"],
)
def test_a_malformed_file_names_file_and_line_but_not_its_content(
    content: str, expected: str
) -> None:
    path = home_ini(content)
    with pytest.raises(ConfigurationError) as raised:
        ProfileProvider().get_credentials()
    message = str(raised.value)
    assert str(path) in message
    assert expected in message
    assert SECRET not in message
    assert raised.value.source == str(path)
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None  # configparser's error quotes the line


def test_a_binary_file_is_a_configuration_error_naming_it() -> None:
    path = home_ini("")
    path.write_bytes(b"\x00\x01" + SECRET.encode())
    assert str(path) in failure(ProfileProvider(), ConfigurationError)


def test_an_empty_file_has_no_profile() -> None:
    path = home_ini("")
    message = failure(ProfileProvider(), CredentialsUnavailable)
    assert str(path) in message
    assert "none" in message


# -- against the emulator --


def test_a_ram_role_arn_profile_gets_sts_credentials_from_the_emulator(
    akless_emulator: EmulatorServer,
) -> None:
    identity = akless_emulator.cloud.identity
    home_ini(
        f"[default]\ntype = ram_role_arn\naccess_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\nrole_arn = {identity.role_arn}\n"
        f"role_session_name = ini-test\nsts_endpoint = {akless_emulator.endpoint}\n"
    )
    credentials = ProfileProvider().get_credentials()
    assert credentials.provider_name == "profile/ram_role_arn/static_ak"
    assert credentials.security_token
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert caller.arn.endswith("/ini-test")


def test_an_oidc_profile_exchanges_its_token_file_at_the_emulator(
    akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    token_file = tmp_path / "token"
    token_file.write_text(cloud.mint_oidc_token() + "\n")
    home_ini(
        f"[default]\ntype = oidc_role_arn\nrole_arn = {cloud.identity.oidc_role_arn}\n"
        f"oidc_provider_arn = {cloud.identity.oidc_provider_arn}\n"
        f"oidc_token_file_path = {token_file}\nsts_endpoint = {akless_emulator.endpoint}\n"
    )
    credentials = ProfileProvider().get_credentials()
    assert credentials.provider_name == "profile/oidc_role_arn"
    assert credentials.security_token


def test_an_ecs_ram_role_profile_reads_the_emulated_metadata_service(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", akless_emulator.endpoint)
    home_ini(f"[default]\ntype = ecs_ram_role\nrole_name = {akless_emulator.cloud.instance_role}\n")
    credentials = ProfileProvider().get_credentials()
    assert credentials.provider_name == "profile/ecs_ram_role"
    assert credentials.security_token


def test_a_profile_made_default_by_configure_use_is_still_found_by_its_name(
    tmp_path: Path,
) -> None:
    """``akless configure use dev`` renames ``[dev]`` to ``[default]`` and records
    ``akless_name = dev`` in it: ``--profile dev`` and ``ALIBABA_CLOUD_PROFILE=dev`` still work."""
    path = tmp_path / "credentials.ini"
    path.write_text(
        "[default]\nakless_name = dev\ntype = access_key\n"
        "access_key_id = LTAI5tDevDevDevDevDevDevD\naccess_key_secret = dev-secret\n\n"
        "[prod]\ntype = access_key\naccess_key_id = LTAI5tProdProdProdProdPro\n"
        "access_key_secret = prod-secret\n"
    )

    by_name = ProfileProvider("dev", path=path).get_credentials()
    by_default = ProfileProvider(path=path).get_credentials()

    assert by_name.access_key_id == by_default.access_key_id == "LTAI5tDevDevDevDevDevDevD"
    assert ProfileProvider("prod", path=path).get_credentials().access_key_secret == "prod-secret"
    with pytest.raises(CredentialsUnavailable, match="no profile"):
        ProfileProvider("staging", path=path).get_credentials()
