"""``akless doctor`` end to end against the emulator: the walk (used / not configured / failed /
not reached, what each step read), every warning triggered and not, the exit codes, and no
secret in any output. Metadata services the emulator cannot play (no token endpoint) and
machines that are not ECS are ``diagnose()`` calls with a ``FakeTransport``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK
from akless.cli.render import jsonable
from akless.credentials import Credentials
from akless.doctor import Diagnosis, diagnose
from akless.emulator import EmulatorServer
from akless.sts import StsClient
from akless.transport import FakeTransport, Request, Response
from tests.cli.conftest import Akless, Outcome, emulator_env
from tests.cli.test_whoami import NO_METADATA, assert_clean, home, key_env, write_ini
from tests.conftest import DEAD_ENDPOINT

WIDE = {"COLUMNS": "250"}  # no wrapping in the text view, so phrases can be asserted


def doctor(akless: Akless, env: dict[str, str | None], *args: str) -> tuple[Outcome, Any]:
    """Run ``akless doctor --output json``; the outcome and the parsed diagnosis."""
    outcome = akless("doctor", "--output", "json", *args, env=env)
    assert "Traceback" not in outcome.err
    return outcome, json.loads(outcome.out)


def statuses(data: Any) -> dict[str, str]:
    return {step["name"]: step["status"] for step in data["steps"]}


def codes(data: Any) -> list[str]:
    return [warning["code"] for warning in data["warnings"]]


def warning(data: Any, code: str) -> dict[str, str]:
    return next(item for item in data["warnings"] if item["code"] == code)


def ini_keys(emulator: EmulatorServer, name: str = "default") -> str:
    identity = emulator.cloud.identity
    return (
        f"[{name}]\ntype = access_key\naccess_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\n"
    )


def rrsa_env(emulator: EmulatorServer, token_file: Path) -> dict[str, str]:
    token_file.write_text(emulator.cloud.mint_oidc_token() + "\n")
    token_file.chmod(0o600)
    return {
        "ALIBABA_CLOUD_ROLE_ARN": emulator.cloud.identity.oidc_role_arn,
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": emulator.cloud.identity.oidc_provider_arn,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
    }


# --- the walk -------------------------------------------------------------------------------


def test_environment_keys_are_used_and_later_steps_not_reached(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    identity = akless_emulator.cloud.identity
    env = key_env(akless_emulator, **rrsa_env(akless_emulator, tmp_path / "token"))

    outcome, data = doctor(akless, env)

    assert outcome.code == EXIT_OK
    assert data["chain"] == "default"
    assert data["provider_name"] == "default/env"
    assert statuses(data) == {
        "env": "used",
        "oidc_role_arn": "not reached",
        "cli_profile": "not reached",
        "profile": "not reached",
        "ecs_ram_role": "not reached",
        "credential_uri": "not reached",
    }
    env_step = data["steps"][0]
    assert env_step["variables"] == [
        {
            "name": "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "is_set": True,
            "value": "LTAI****" + identity.access_key_id[-4:],
        },
        {"name": "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "is_set": True, "value": None},
        {"name": "ALIBABA_CLOUD_SECURITY_TOKEN", "is_set": False, "value": None},
    ]
    assert "long-term AccessKey" in env_step["detail"]
    oidc_variables = {v["name"]: v for v in data["steps"][1]["variables"]}
    assert oidc_variables["ALIBABA_CLOUD_ROLE_ARN"]["value"] == identity.oidc_role_arn
    assert data["identity"]["arn"].endswith(f":user/{identity.user_name}")
    assert data["identity_error"] is None
    # Not reached means not asked: the only call STS saw was the doctor's GetCallerIdentity.
    assert [call.action for call in akless_emulator.cloud.store.calls()] == ["GetCallerIdentity"]
    assert_clean(outcome, identity.access_key_secret)


def test_a_security_token_in_the_environment_never_shows(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    user = Credentials(cloud.identity.access_key_id, cloud.identity.access_key_secret)
    session = (
        StsClient(akless_emulator.endpoint)
        .assume_role(user, role_arn=cloud.identity.role_arn, role_session_name="doctor")
        .credentials
    )
    assert session.security_token is not None
    env = key_env(
        akless_emulator,
        ALIBABA_CLOUD_ACCESS_KEY_ID=session.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=session.access_key_secret,
        ALIBABA_CLOUD_SECURITY_TOKEN=session.security_token,
    )

    text = akless("doctor", env={**env, **WIDE})
    outcome, data = doctor(akless, env)

    assert (text.code, outcome.code) == (EXIT_OK, EXIT_OK)
    assert data["steps"][0]["variables"][2] == {
        "name": "ALIBABA_CLOUD_SECURITY_TOKEN",
        "is_set": True,
        "value": None,
    }
    assert "temporary STS credential" in data["steps"][0]["detail"]
    for shown in (text, outcome):
        assert_clean(shown, session.access_key_secret, session.security_token)


def test_an_ini_profile_is_used_after_the_steps_that_do_not_apply(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    path = write_ini(ini_keys(akless_emulator))

    outcome, data = doctor(akless, emulator_env(akless_emulator.endpoint, **NO_METADATA))

    assert outcome.code == EXIT_OK
    assert statuses(data) == {
        "env": "not configured",
        "oidc_role_arn": "not configured",
        "cli_profile": "not configured",
        "profile": "used",
        "ecs_ram_role": "not reached",
        "credential_uri": "not reached",
    }
    steps = {step["name"]: step for step in data["steps"]}
    assert (
        "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set"
        in (steps["env"]["detail"])
    )
    assert "no aliyun CLI config file" in steps["cli_profile"]["detail"]
    assert f"profile 'default' in {path}" in steps["profile"]["detail"]
    assert {"path": str(path), "exists": True, "mode": "0600", "open_to_others": False} in (
        steps["profile"]["files"]
    )
    assert data["provider_name"] == "default/profile/static_ak"
    assert codes(data) == []


def test_the_ecs_instance_role(akless: Akless, akless_emulator: EmulatorServer) -> None:
    env = emulator_env(akless_emulator.endpoint, ALIBABA_CLOUD_IMDSV1_DISABLED="true")

    outcome, data = doctor(akless, env)

    assert outcome.code == EXIT_OK
    assert statuses(data)["ecs_ram_role"] == "used"
    assert statuses(data)["credential_uri"] == "not reached"
    step = data["steps"][4]
    assert akless_emulator.endpoint in step["detail"]
    assert data["provider_name"] == "default/ecs_ram_role"
    assert data["identity"]["temporary"] is True
    assert codes(data) == []  # hardened mode answers, tokenless reads are off


def test_rrsa_is_used_and_its_token_file_listed(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    env = emulator_env(
        akless_emulator.endpoint, **rrsa_env(akless_emulator, token_file), **NO_METADATA
    )

    outcome, data = doctor(akless, env)

    assert outcome.code == EXIT_OK
    assert statuses(data)["oidc_role_arn"] == "used"
    step = data["steps"][1]
    assert step["files"] == [
        {"path": str(token_file), "exists": True, "mode": "0600", "open_to_others": False}
    ]
    assert data["provider_name"] == "default/oidc_role_arn"
    assert codes(data) == []
    assert_clean(outcome, token_file.read_text().strip())


def test_profile_option_walks_the_two_profile_files(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    write_ini(ini_keys(akless_emulator, "dev"))

    outcome, data = doctor(akless, key_env(akless_emulator), "--profile", "dev")

    assert outcome.code == EXIT_OK
    assert data["chain"] == "profile 'dev'"
    assert statuses(data) == {"profile": "used", "cli_profile": "not reached"}
    assert data["provider_name"] == "profile/static_ak"
    assert "environment-overrides-profile" not in codes(data)  # --profile ignores the keys


def test_unknown_profile_exits_1_with_one_line(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    write_ini(ini_keys(akless_emulator))

    outcome = akless("doctor", "--profile", "nope", env={**key_env(akless_emulator), **WIDE})

    assert outcome.code == EXIT_NOT_FOUND
    assert "no profile [nope]" in outcome.out
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("akless: no credentials found")
    assert "Traceback" not in outcome.err


def test_no_credentials_exits_1(akless: Akless, akless_emulator: EmulatorServer) -> None:
    outcome, data = doctor(akless, emulator_env(akless_emulator.endpoint, **NO_METADATA))

    assert outcome.code == EXIT_NOT_FOUND
    assert set(statuses(data).values()) == {"not configured"}
    assert data["provider_name"] is None
    assert data["identity"] is None
    assert data["identity_error"].startswith("no credentials found")
    assert outcome.err == ""  # JSON: the diagnosis says it all


def test_a_broken_step_fails_and_stops_the_chain(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    write_ini("[default]\ntype = access_key\naccess_key_secret = planted-in-a-broken-file\n")
    env = {**emulator_env(akless_emulator.endpoint), **WIDE}

    outcome = akless("doctor", env=env)
    _, data = doctor(akless, env)

    assert outcome.code == EXIT_NOT_FOUND
    assert statuses(data)["profile"] == "failed"
    assert "needs access_key_id" in data["steps"][3]["detail"]
    assert statuses(data)["ecs_ram_role"] == "not reached"
    assert "failed" in outcome.out
    assert outcome.err.strip().startswith("akless: no credential: profile failed")
    assert_clean(outcome, "planted-in-a-broken-file")


def test_the_text_view_has_the_table_the_warnings_and_the_identity(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    identity = akless_emulator.cloud.identity
    path = write_ini(ini_keys(akless_emulator), mode=0o644)
    env = {**key_env(akless_emulator), **WIDE}

    outcome = akless("doctor", env=env)

    assert outcome.code == EXIT_OK
    out = outcome.out
    assert re.search(r"1\s.*env\s.*used", out)
    assert re.search(r"4\s.*profile\s.*not reached", out)
    assert f"chmod 600 {path}" in out
    assert "environment-overrides-profile" in out
    assert f"acs:ram::{identity.account_id}:user/{identity.user_name}" in out
    assert_clean(outcome, identity.access_key_secret)


# --- warnings -------------------------------------------------------------------------------


def test_long_term_key_while_rrsa_is_set_up(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = key_env(akless_emulator, **rrsa_env(akless_emulator, tmp_path / "token"))

    _, data = doctor(akless, env)

    found = warning(data, "long-term-key-with-role")
    assert "RRSA" in found["message"]
    assert "unset ALIBABA_CLOUD_ACCESS_KEY_ID" in found["fix"]


def test_long_term_key_while_the_instance_has_a_role(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    write_ini(ini_keys(akless_emulator))
    env = emulator_env(akless_emulator.endpoint, ALIBABA_CLOUD_IMDSV1_DISABLED="true")

    _, data = doctor(akless, env)

    assert data["provider_name"] == "default/profile/static_ak"
    found = warning(data, "long-term-key-with-role")
    assert akless_emulator.cloud.identity.instance_role in found["message"]
    assert "remove the AccessKey profile" in found["fix"]


@pytest.mark.parametrize("where", ["no role", "temporary credential"])
def test_no_long_term_key_warning(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path, where: str
) -> None:
    if where == "no role":
        env = key_env(akless_emulator)
    else:
        env = emulator_env(
            akless_emulator.endpoint,
            **rrsa_env(akless_emulator, tmp_path / "token"),
            ALIBABA_CLOUD_IMDSV1_DISABLED="true",
        )

    _, data = doctor(akless, env)

    assert data["identity"] is not None
    assert "long-term-key-with-role" not in codes(data)


@pytest.mark.parametrize("which", ["ini", "config.json", "oidc token", "rsa private key"])
def test_credential_files_readable_by_others(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path, which: str
) -> None:
    cloud = akless_emulator.cloud
    env = emulator_env(akless_emulator.endpoint, **NO_METADATA)
    secret = cloud.identity.access_key_secret
    if which == "ini":
        path = write_ini(ini_keys(akless_emulator), mode=0o644)
    elif which == "config.json":
        path = home() / ".aliyun" / "config.json"
        path.parent.mkdir()
        profile = {
            "name": "default",
            "mode": "AK",
            "access_key_id": cloud.identity.access_key_id,
            "access_key_secret": secret,
        }
        path.write_text(json.dumps({"current": "default", "profiles": [profile]}))
        path.chmod(0o640)
    elif which == "oidc token":
        path = tmp_path / "token"
        env.update(rrsa_env(akless_emulator, path))
        path.chmod(0o644)
        secret = path.read_text().strip()
    else:
        key_id, pem = cloud.create_key_pair(cloud.identity.user_name)
        path = tmp_path / "private-key.pem"
        path.write_text(pem)
        secret = pem.splitlines()[1]  # a line of the key itself
        path.chmod(0o644)
        write_ini(
            f"[default]\ntype = rsa_key_pair\npublic_key_id = {key_id}\nprivate_key_file = {path}\n"
        )

    outcome, data = doctor(akless, env)
    text = akless("doctor", env={**env, **WIDE})

    assert outcome.code == EXIT_OK, data
    assert data["identity"] is not None, data["identity_error"]
    found = warning(data, "file-readable-by-others")
    assert found["fix"] == f"chmod 600 {path}"
    assert str(path) in found["message"]
    assert f"chmod 600 {path}" in text.out
    assert_clean(outcome, secret)
    assert_clean(text, secret)


def test_private_files_raise_no_warning(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    write_ini(ini_keys(akless_emulator, "other"))
    env = emulator_env(
        akless_emulator.endpoint, **rrsa_env(akless_emulator, tmp_path / "t"), **NO_METADATA
    )

    _, data = doctor(akless, env)

    assert data["provider_name"] == "default/oidc_role_arn"
    assert codes(data) == []


def test_tokenless_fallback_allowed_on_ecs(akless: Akless, akless_emulator: EmulatorServer) -> None:
    _, allowed = doctor(akless, emulator_env(akless_emulator.endpoint))
    _, forbidden = doctor(
        akless, emulator_env(akless_emulator.endpoint, ALIBABA_CLOUD_IMDSV1_DISABLED="true")
    )
    _, off_ecs = doctor(akless, key_env(akless_emulator))

    found = warning(allowed, "tokenless-fallback-allowed")
    assert found["fix"] == "export ALIBABA_CLOUD_IMDSV1_DISABLED=true"
    assert "tokenless-fallback-allowed" not in codes(forbidden)
    assert "tokenless-fallback-allowed" not in codes(off_ecs)
    # The emulator's metadata service has a token endpoint: hardened mode is available.
    assert "hardened-metadata-unavailable" not in codes(allowed)


def test_clock_skew_against_the_sts_date(akless: Akless, akless_emulator: EmulatorServer) -> None:
    _, in_time = doctor(akless, key_env(akless_emulator))
    akless_emulator.cloud.set_clock_offset(120)  # the server runs 2 minutes ahead of us

    outcome, skewed = doctor(akless, key_env(akless_emulator))

    assert "clock-skew" not in codes(in_time)
    assert outcome.code == EXIT_OK
    message = warning(skewed, "clock-skew")["message"]
    seconds = int(re.search(r"(\d+) s behind", message).group(1))  # type: ignore[union-attr]
    assert 118 <= seconds <= 122
    assert "15 minutes" in message


def test_clock_skew_past_15_minutes_is_refused(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    akless_emulator.cloud.set_clock_offset(-20 * 60)

    outcome, data = doctor(akless, key_env(akless_emulator))

    assert outcome.code == EXIT_OK  # a credential resolved; STS refused it for the time
    assert data["identity"] is None
    assert "InvalidTimeStamp.Expired" in data["identity_error"]
    found = warning(data, "clock-skew")
    assert "ahead of" in found["message"]
    assert "NTP" in found["fix"]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("ini default", True),
        ("config.json current", True),
        ("ini, another profile selected", False),
        ("no profile", False),
    ],
)
def test_environment_keys_and_a_profile(
    akless: Akless, akless_emulator: EmulatorServer, setup: str, expected: bool
) -> None:
    env = key_env(akless_emulator)
    if setup.startswith("ini"):
        path = write_ini(ini_keys(akless_emulator))
        if "another" in setup:
            env["ALIBABA_CLOUD_PROFILE"] = "ci"
    elif setup.startswith("config.json"):
        path = home() / ".aliyun" / "config.json"
        path.parent.mkdir()
        profile = {"name": "work", "mode": "EcsRamRole", "ram_role_name": "r"}
        path.write_text(json.dumps({"current": "work", "profiles": [profile]}))
        path.chmod(0o600)

    _, data = doctor(akless, env)

    assert ("environment-overrides-profile" in codes(data)) is expected
    if expected:
        found = warning(data, "environment-overrides-profile")
        assert str(path) in found["message"]
        assert "the environment keys win" in found["message"]
        assert "unset ALIBABA_CLOUD_ACCESS_KEY_ID" in found["fix"]


# --- diagnose() as a library: metadata services the emulator cannot play ----------------------

CLOCK = 1_700_000_000.0
CREDENTIAL = {
    "Code": "Success",
    "AccessKeyId": "STS.metadata0000000001",
    "AccessKeySecret": "metadata-secret-planted",
    "SecurityToken": "metadata-token-planted",
    "Expiration": "2023-11-15T04:13:20Z",
}


def fake_cloud(token_status: int, *, host: str = "127.0.0.1:1") -> FakeTransport:
    """A metadata service at ``host`` with role ``app-role`` whose token endpoint answers
    ``token_status``, and an STS that answers GetCallerIdentity."""

    def answer(request: Request) -> Response:
        url = request.url
        if url.endswith("/latest/api/token"):
            return Response(
                token_status, {}, b"metadata-session-token" if token_status == 200 else b""
            )
        if url.endswith("/meta-data/instance-id"):
            return Response(200, {}, b"i-1")
        if url.endswith("/security-credentials/"):
            return Response(200, {}, b"app-role")
        if url.endswith("/security-credentials/app-role"):
            return Response(200, {}, json.dumps(CREDENTIAL).encode())
        assert url.startswith("http://127.0.0.1:2/")
        body = {
            "RequestId": "r",
            "AccountId": "1",
            "Arn": "acs:ram::1:assumed-role/app-role/i-1",
            "IdentityType": "AssumedRoleUser",
            "PrincipalId": "p",
        }
        headers = {"date": "Tue, 14 Nov 2023 22:13:20 GMT"}
        return Response(200, headers, json.dumps(body).encode())

    return FakeTransport(answer)


def fake_environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:2",
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:1",
        **extra,
    }


def assert_no_planted_secret(result: Diagnosis) -> None:
    shown = repr(result) + json.dumps(jsonable(result))
    for secret in ("metadata-secret-planted", "metadata-token-planted", "metadata-session-token"):
        assert secret not in shown


@pytest.mark.parametrize("status", [404, 405])
def test_hardened_mode_unavailable(tmp_path: Path, status: int) -> None:
    result = diagnose(
        environ=fake_environ(tmp_path), transport=fake_cloud(status), clock=lambda: CLOCK
    )

    assert result.provider_name == "default/ecs_ram_role"
    assert [w.code for w in result.warnings] == [
        "hardened-metadata-unavailable",
        "tokenless-fallback-allowed",
    ]
    assert f"HTTP {status}" in result.warnings[0].message
    assert "HttpTokens required" in result.warnings[0].fix
    assert result.identity is not None
    assert result.identity.arn == "acs:ram::1:assumed-role/app-role/i-1"
    assert_no_planted_secret(result)


def test_hardened_mode_available(tmp_path: Path) -> None:
    environ = fake_environ(tmp_path, ALIBABA_CLOUD_IMDSV1_DISABLED="true")

    result = diagnose(environ=environ, transport=fake_cloud(200), clock=lambda: CLOCK)

    assert result.resolved
    assert result.warnings == ()
    assert_no_planted_secret(result)


def test_a_web_server_that_is_not_a_metadata_service_raises_no_warning(tmp_path: Path) -> None:
    def not_found(request: Request) -> Response:
        return Response(404, {}, b"<html>not found</html>")

    environ = fake_environ(tmp_path)

    result = diagnose(environ=environ, transport=FakeTransport(not_found))

    assert result.warnings == ()
    step = next(step for step in result.steps if step.name == "ecs_ram_role")
    assert (step.status, "no RAM role" in step.detail) == ("not configured", True)


def test_off_ecs_the_default_address_is_not_contacted(tmp_path: Path) -> None:
    vendor = tmp_path / "sys_vendor"
    vendor.write_text("QEMU\n")
    transport = fake_cloud(200)
    environ = fake_environ(tmp_path)
    del environ["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"]

    result = diagnose(environ=environ, transport=transport, dmi_path=vendor)

    step = next(step for step in result.steps if step.name == "ecs_ram_role")
    assert step.status == "not configured"
    assert "DMI vendor 'QEMU'" in step.detail
    assert transport.requests == []
    assert not result.resolved
    assert result.identity_error is not None


def test_on_alibaba_hardware_the_default_address_is_probed_once(tmp_path: Path) -> None:
    vendor = tmp_path / "sys_vendor"
    vendor.write_text("Alibaba Cloud\n")
    answers = fake_cloud(404)
    environ = fake_environ(tmp_path, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
    environ.update(
        ALIBABA_CLOUD_ACCESS_KEY_ID="LTAI5tPlanted0000", ALIBABA_CLOUD_ACCESS_KEY_SECRET="x"
    )
    del environ["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"]

    disabled = diagnose(environ=environ, transport=answers, dmi_path=vendor)
    del environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"]
    probed = diagnose(environ=environ, transport=answers, dmi_path=vendor)

    assert "hardened-metadata-unavailable" not in [w.code for w in disabled.warnings]
    assert [w.code for w in probed.warnings][:2] == [
        "long-term-key-with-role",
        "hardened-metadata-unavailable",
    ]
    token_requests = [r for r in answers.requests if r.url.endswith("/api/token")]
    assert [r.url for r in token_requests] == ["http://100.100.100.200/latest/api/token"]
    assert token_requests[0].timeout.connect <= 1.0


def test_an_unanswering_metadata_service_costs_one_attempt(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    env = key_env(akless_emulator, ALIBABA_CLOUD_ECS_METADATA_DISABLED=None)
    env["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"] = DEAD_ENDPOINT

    outcome, data = doctor(akless, env)

    assert outcome.code == EXIT_OK
    assert codes(data) == []


def test_a_step_that_breaks_unexpectedly_is_reported_not_raised(tmp_path: Path) -> None:
    def explode(request: Request) -> Response:
        raise RuntimeError("planted-exception-text")

    result = diagnose(environ=fake_environ(tmp_path), transport=FakeTransport(explode))

    step = next(step for step in result.steps if step.name == "ecs_ram_role")
    assert step.status == "failed"
    assert "RuntimeError" in step.detail
    assert "planted-exception-text" not in repr(result)
    assert result.steps[-1].status == "not reached"
    assert not result.resolved


def test_the_diagnosis_is_frozen(tmp_path: Path) -> None:
    result = diagnose(
        environ=fake_environ(tmp_path), transport=fake_cloud(200), clock=lambda: CLOCK
    )

    with pytest.raises(AttributeError):
        result.steps = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.steps[0].status = "used"  # type: ignore[misc]
