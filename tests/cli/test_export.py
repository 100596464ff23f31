"""``akless export``: every format against the emulator, parsed back the way its reader would;
long-term keys and terminals refused unless asked for; nothing secret on stderr."""

from __future__ import annotations

import configparser
import json
import shlex
import time
from pathlib import Path

import pytest

from akless._time import format_timestamp, parse_timestamp
from akless.cli import render
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError
from akless.export import (
    FORMATS,
    INI_SECTION,
    check_exportable,
    render_credentials,
)
from akless.providers.external import parse_output
from akless.sts import StsClient
from tests.cli.conftest import Akless, Outcome, emulator_env

ROLE_PROFILE = "deploy"
PLANTED = "planted-secret-4e1f9c"


@pytest.fixture
def role_profile(akless_emulator: EmulatorServer) -> dict[str, str | None]:
    """An INI ram_role_arn profile assuming the emulator's role; the environment to use it."""
    identity = akless_emulator.cloud.identity
    ini = Path.home() / ".alibabacloud" / "credentials.ini"
    ini.parent.mkdir()
    ini.write_text(
        f"[{ROLE_PROFILE}]\n"
        "type = ram_role_arn\n"
        f"access_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\n"
        f"role_arn = {identity.role_arn}\n"
        f"sts_endpoint = {akless_emulator.endpoint}\n"
    )
    ini.chmod(0o600)
    return emulator_env(akless_emulator.endpoint)


def _export(akless: Akless, env: dict[str, str | None], *args: str) -> Outcome:
    return akless("export", "--profile", ROLE_PROFILE, *args, env=env)


def _assert_no_secret(outcome: Outcome, *secrets: str) -> None:
    leaked = [index for index, secret in enumerate(secrets) if secret in outcome.err]
    assert not leaked, f"secret #{leaked} on stderr"


def _caller_arn(endpoint: str, credentials: Credentials) -> str:
    return StsClient(endpoint).get_caller_identity(credentials).arn


def _assumed_role_arn(emulator: EmulatorServer) -> str:
    role_name = emulator.cloud.identity.role_arn.rsplit("/", 1)[-1]
    return f"acs:ram::{emulator.cloud.account_id}:assumed-role/{role_name}"


def _env_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            values[name] = value
        else:
            assert words[0] == "unset"
    return values


def test_env_format_is_shell_lines_of_a_working_sts_credential(
    akless: Akless, akless_emulator: EmulatorServer, role_profile: dict[str, str | None]
) -> None:
    outcome = _export(akless, role_profile)
    assert outcome.code == 0, outcome.err
    assert all(line.startswith("export ALIBABA_CLOUD_") for line in outcome.lines)
    values = _env_values(outcome.out)
    assert set(values) == {
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    }
    credentials = Credentials(
        values["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        values["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        values["ALIBABA_CLOUD_SECURITY_TOKEN"],
    )
    arn = _caller_arn(akless_emulator.endpoint, credentials)
    assert arn.startswith(_assumed_role_arn(akless_emulator))
    _assert_no_secret(outcome, akless_emulator.cloud.identity.access_key_secret)


def test_json_format_is_a_credentials_uri_answer(
    akless: Akless, akless_emulator: EmulatorServer, role_profile: dict[str, str | None]
) -> None:
    outcome = _export(akless, role_profile, "--format", "json")
    assert outcome.code == 0, outcome.err
    data = json.loads(outcome.out)
    assert list(data) == ["Code", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"]
    assert data["Code"] == "Success"
    assert data["AccessKeyId"].startswith("STS.")
    expiration = parse_timestamp(data["Expiration"])
    assert time.time() + 600 < expiration < time.time() + 3700
    credentials = Credentials(data["AccessKeyId"], data["AccessKeySecret"], data["SecurityToken"])
    assert _caller_arn(akless_emulator.endpoint, credentials).startswith(
        _assumed_role_arn(akless_emulator)
    )


def test_output_json_without_format_means_json(
    akless: Akless, role_profile: dict[str, str | None]
) -> None:
    outcome = _export(akless, role_profile, "--output", "json")
    assert outcome.code == 0, outcome.err
    assert json.loads(outcome.out)["Code"] == "Success"


def test_ini_format_is_a_profile_akless_can_read_back(
    akless: Akless, akless_emulator: EmulatorServer, role_profile: dict[str, str | None]
) -> None:
    outcome = _export(akless, role_profile, "--format", "ini")
    assert outcome.code == 0, outcome.err
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(outcome.out)
    assert parser.sections() == [INI_SECTION]
    section = parser[INI_SECTION]
    assert section["type"] == "sts"
    assert section["access_key_id"].startswith("STS.")
    assert "expire at" in outcome.lines[0]
    # The profile works as one: `akless export --profile akless-export` reads it.
    exported = Path.home() / "exported.ini"
    exported.write_text(outcome.out)
    exported.chmod(0o600)
    again = akless(
        "export",
        "--profile",
        INI_SECTION,
        "--format",
        "json",
        env={**role_profile, "ALIBABA_CLOUD_CREDENTIALS_FILE": str(exported)},
    )
    assert again.code == 0, again.err
    data = json.loads(again.out)
    assert data["AccessKeyId"] == section["access_key_id"]
    same_token = data["SecurityToken"] == section["security_token"]
    assert same_token


def test_credential_process_format_is_what_the_external_provider_reads(
    akless: Akless, akless_emulator: EmulatorServer, role_profile: dict[str, str | None]
) -> None:
    outcome = _export(akless, role_profile, "--format", "credential-process")
    assert outcome.code == 0, outcome.err
    data = json.loads(outcome.out)
    assert data["mode"] == "StsToken"
    assert set(data) == {"mode", "access_key_id", "access_key_secret", "sts_token", "expiration"}
    credentials = parse_output(outcome.out.encode(), "akless")
    assert credentials.security_token == data["sts_token"]
    assert credentials.expiration == parse_timestamp(data["expiration"])
    assert _caller_arn(akless_emulator.endpoint, credentials).startswith(
        _assumed_role_arn(akless_emulator)
    )


def test_the_ecs_instance_role_is_exported(akless: Akless, akless_emulator: EmulatorServer) -> None:
    outcome = akless(
        "export", "--format", "credential-process", env=emulator_env(akless_emulator.endpoint)
    )
    assert outcome.code == 0, outcome.err
    credentials = parse_output(outcome.out.encode(), "akless")
    assert credentials.is_temporary
    arn = _caller_arn(akless_emulator.endpoint, credentials)
    role_name = akless_emulator.cloud.identity.instance_role
    assert arn.startswith(f"acs:ram::{akless_emulator.cloud.account_id}:assumed-role/{role_name}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_long_term_key_is_refused_in_one_line(
    akless: Akless, akless_emulator: EmulatorServer, fmt: str
) -> None:
    identity = akless_emulator.cloud.identity
    env = emulator_env(
        akless_emulator.endpoint,
        ALIBABA_CLOUD_ACCESS_KEY_ID=identity.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=identity.access_key_secret,
    )
    outcome = akless("export", "--format", fmt, env=env)
    assert outcome.code == 2
    assert outcome.out == ""
    assert len(outcome.err.splitlines()) == 1
    assert "long-term AccessKey" in outcome.err
    assert "--allow-long-term" in outcome.err
    assert "akless exec --role-arn" in outcome.err
    _assert_no_secret(outcome, identity.access_key_secret, identity.access_key_id)


def test_a_long_term_key_is_printed_with_allow_long_term(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    env = emulator_env(
        akless_emulator.endpoint,
        ALIBABA_CLOUD_ACCESS_KEY_ID=identity.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=identity.access_key_secret,
    )
    outcome = akless("export", "--allow-long-term", env=env)
    assert outcome.code == 0, outcome.err
    # A token an earlier export left in the shell must not be paired with this key.
    assert outcome.lines[-1] == "unset ALIBABA_CLOUD_SECURITY_TOKEN"
    values = _env_values(outcome.out)
    assert values["ALIBABA_CLOUD_ACCESS_KEY_ID"] == identity.access_key_id
    same_secret = values["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] == identity.access_key_secret
    assert same_secret
    for fmt in ("json", "ini", "credential-process"):
        outcome = akless("export", "--allow-long-term", "--format", fmt, env=env)
        assert outcome.code == 0, outcome.err
    data = parse_output(outcome.out.encode(), "akless")
    assert data.security_token is None
    assert data.expiration is None


def test_a_terminal_is_refused_unless_asked(
    akless: Akless, role_profile: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "stdout_is_terminal", lambda: True)
    refused = _export(akless, role_profile)
    assert refused.code == 2
    assert refused.out == ""
    assert len(refused.err.splitlines()) == 1
    assert 'eval "$(akless export)"' in refused.err
    assert "--to-terminal" in refused.err
    allowed = _export(akless, role_profile, "--to-terminal")
    assert allowed.code == 0, allowed.err
    assert "ALIBABA_CLOUD_SECURITY_TOKEN" in allowed.out


def test_the_terminal_check_reads_sys_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Tty())
    assert render.stdout_is_terminal()


def test_no_credential_exits_1_and_a_role_that_refuses_exits_3(
    akless: Akless, akless_emulator: EmulatorServer, role_profile: dict[str, str | None]
) -> None:
    nothing = akless("export")  # the conftest environment: no credential anywhere
    assert nothing.code == 1
    assert "Traceback" not in nothing.err
    identity = akless_emulator.cloud.identity
    ini = Path.home() / ".alibabacloud" / "credentials.ini"
    # Only ECS may assume the instance role: the emulator's user may not.
    ini.write_text(ini.read_text().replace(identity.role_arn, identity.instance_role_arn))
    denied = _export(akless, role_profile)
    assert denied.code == 3
    assert denied.out == ""
    assert len(denied.err.splitlines()) == 1
    _assert_no_secret(denied, identity.access_key_secret)


def test_export_running_itself_is_stopped(
    akless: Akless, role_profile: dict[str, str | None]
) -> None:
    outcome = _export(akless, {**role_profile, "AKLESS_EXPORT_DEPTH": "3"})
    assert outcome.code == 2
    assert "running itself" in outcome.err


# -- the library: pure rendering --

STS = Credentials(
    "STS.abc123",
    "it's $ecret;`x`",
    "tok/en+==",
    expiration=parse_timestamp("2030-01-02T03:04:05Z"),
    provider_name="ram_role_arn/static_ak",
)
LONG_TERM = Credentials("LTAI5tExample", "s3cret value", provider_name="env")


def test_env_lines_survive_any_characters() -> None:
    text = render_credentials(STS, "env")
    assert _env_values(text) == {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": STS.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS.access_key_secret,
        "ALIBABA_CLOUD_SECURITY_TOKEN": "tok/en+==",
    }


def test_json_of_a_long_term_key_has_null_token_and_expiration() -> None:
    data = json.loads(render_credentials(LONG_TERM, "json"))
    assert data["SecurityToken"] is None
    assert data["Expiration"] is None
    assert json.loads(render_credentials(STS, "json"))["Expiration"] == format_timestamp(
        STS.expiration or 0
    )


def test_ini_of_a_long_term_key_is_an_access_key_profile() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(render_credentials(LONG_TERM, "ini"))
    assert dict(parser[INI_SECTION]) == {
        "type": "access_key",
        "access_key_id": "LTAI5tExample",
        "access_key_secret": "s3cret value",
    }


def test_ini_refuses_values_that_would_add_lines() -> None:
    broken = Credentials("STS.x", "secret\n[other]", "token", provider_name="test")
    with pytest.raises(ConfigurationError) as caught:
        render_credentials(broken, "ini")
    assert "[other]" not in str(caught.value)


def test_credential_process_of_a_long_term_key_is_ak_mode() -> None:
    data = json.loads(render_credentials(LONG_TERM, "credential-process"))
    assert data == {
        "mode": "AK",
        "access_key_id": "LTAI5tExample",
        "access_key_secret": "s3cret value",
    }
    assert parse_output(render_credentials(LONG_TERM, "credential-process").encode(), "x") == (
        Credentials("LTAI5tExample", "s3cret value", provider_name="external")
    )


def test_bearer_tokens_and_unknown_formats_are_refused() -> None:
    bearer = Credentials("", "", bearer_token=PLANTED, provider_name="bearer")
    for fmt in FORMATS:
        with pytest.raises(ConfigurationError, match="bearer token") as caught:
            render_credentials(bearer, fmt)
        assert PLANTED not in str(caught.value)
    with pytest.raises(ConfigurationError, match="unknown format"):
        render_credentials(STS, "yaml")


def test_check_exportable() -> None:
    check_exportable(STS, allow_long_term=False, hint="h")
    check_exportable(LONG_TERM, allow_long_term=True, hint="h")
    with pytest.raises(ConfigurationError, match="long-term AccessKey") as caught:
        check_exportable(LONG_TERM, allow_long_term=False, hint="use a role")
    assert "use a role" in str(caught.value)
    assert LONG_TERM.access_key_secret not in str(caught.value)
