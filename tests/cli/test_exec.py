"""``akless exec``, run as a real process: the command it becomes sees exactly the temporary
credential, keeps its endpoints, and exits with its own code; assumed roles are cached on disk
(owner-only, no source secret) so a second run makes no STS call. Then the pure rules
underneath: the child environment and the cache's margin."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError
from akless.export import (
    CREDENTIAL_VARIABLES,
    REMOVED_VARIABLES,
    child_environment,
    is_removed,
)
from akless.role_cache import (
    RoleCache,
    RoleRequest,
    assume_role_cached,
    cache_directory,
    margin,
    read_policy_file,
)
from akless.sts import StsClient
from akless.testing import emulator_environment
from tests.cli.conftest import Akless

PLANTED = "planted-secret-7d2a61"
CHILD = """\
import json, os, sys
report = {"env": dict(os.environ)}
if sys.argv[2] == "whoami":
    from akless.credentials import Credentials
    from akless.sts import StsClient
    credentials = Credentials(
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN"),
    )
    report["arn"] = StsClient(environ=os.environ).get_caller_identity(credentials).arn
with open(sys.argv[1], "w") as file:
    json.dump(report, file)
sys.exit(int(sys.argv[3]))
"""
CREDENTIAL_NOISE = {
    "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/elsewhere",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME": "someone",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/x",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/nonexistent/token",
    "ALIBABA_CLOUD_CREDENTIALS_URI": "http://127.0.0.1:9/creds",
    "ALIBABA_CLOUD_CREDENTIALS_FILE": "/nonexistent/credentials.ini",
    "ALIBABA_CLOUD_CONFIG_FILE": "/nonexistent/config.json",
    "ALIBABA_CLOUD_PROFILE": "default",
    "ALIBABA_CLOUD_ECS_METADATA": "some-role",
    "ALIBABACLOUD_ACCESS_KEY_ID": "LTAIlegacy",
    "ALIBABACLOUD_ACCESS_KEY_SECRET": PLANTED,
    "ALICLOUD_ACCESS_KEY": "LTAIterraform",
    "ALICLOUD_SECRET_KEY": PLANTED,
    "ALICLOUD_SECURITY_TOKEN": PLANTED,
    "ACCESS_KEY_ID": "LTAIbare",
    "ACCESS_KEY_SECRET": PLANTED,
}
"""Variables the child must not see (none of them leads akless itself anywhere: the OIDC step
needs its token file and the profile steps their files, which do not exist)."""


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def child(tmp_path: Path) -> Callable[..., list[str]]:
    """The command line of a child that reports its environment to a file and exits ``code``."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    def command(*, code: int = 0, whoami: bool = False) -> list[str]:
        return [
            sys.executable,
            str(script),
            str(tmp_path / "report.json"),
            "whoami" if whoami else "-",
            str(code),
        ]

    return command


def report(tmp_path: Path) -> dict[str, Any]:
    """What the child saw (read from its file: the secrets never reach the test log)."""
    data: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    return data


@pytest.fixture
def source_env(akless_emulator: EmulatorServer) -> dict[str, str]:
    """A process environment: the emulator's user key as the source, endpoints at the emulator."""
    identity = akless_emulator.cloud.identity
    env = {name: value for name, value in os.environ.items() if not is_removed(name)}
    env.update(emulator_environment(akless_emulator))
    env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = identity.access_key_id
    env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = identity.access_key_secret
    return env


@pytest.fixture
def run() -> Run:
    """``akless exec ARGS...`` as a real process."""

    def invoke(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "akless.cli.main", "exec", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return invoke


def assume_role_calls(emulator: EmulatorServer) -> int:
    return sum(1 for call in emulator.cloud.store.calls() if call.action == "AssumeRole")


def assert_quiet(done: subprocess.CompletedProcess[str], *secrets: str) -> None:
    """akless printed nothing secret (the child prints nothing at all)."""
    leaked = [i for i, secret in enumerate(secrets) if secret in done.stdout + done.stderr]
    assert not leaked, f"secret #{leaked} printed"
    assert "Traceback" not in done.stderr


def test_the_child_gets_the_temporary_credential_and_nothing_else(
    run: Run,
    child: Callable[..., list[str]],
    source_env: dict[str, str],
    akless_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    identity = akless_emulator.cloud.identity
    env = {**source_env, **CREDENTIAL_NOISE, "ALIBABA_CLOUD_REGION_ID": "cn-shanghai"}
    done = run("--role-arn", identity.role_arn, "--", *child(code=7, whoami=True), env=env)
    assert done.returncode == 7, done.stderr
    assert done.stdout == ""
    assert done.stderr == ""
    seen = report(tmp_path)
    child_env: dict[str, str] = seen["env"]
    assert child_env["ALIBABA_CLOUD_ACCESS_KEY_ID"].startswith("STS.")
    assert child_env["ALIBABA_CLOUD_SECURITY_TOKEN"]
    source_secret_gone = identity.access_key_secret not in child_env.values()
    assert source_secret_gone
    assert not set(CREDENTIAL_NOISE) & set(child_env)
    assert PLANTED not in json.dumps(child_env)
    for name, value in emulator_environment(akless_emulator).items():
        assert child_env[name] == value
    assert child_env["ALIBABA_CLOUD_REGION_ID"] == "cn-shanghai"
    assert child_env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] == "true"  # a switch, kept
    assert child_env["HOME"] == os.environ["HOME"]
    role_name = identity.role_arn.rsplit("/", 1)[-1]
    # akless itself honours ALIBABA_CLOUD_ROLE_SESSION_NAME; the child no longer sees it.
    assert seen["arn"] == (
        f"acs:ram::{akless_emulator.cloud.account_id}:assumed-role/{role_name}/someone"
    )
    assert_quiet(done, identity.access_key_secret, PLANTED)


def test_a_second_exec_uses_the_cached_role_without_calling_sts(
    run: Run,
    child: Callable[..., list[str]],
    source_env: dict[str, str],
    akless_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    identity = akless_emulator.cloud.identity
    first = run("--role-arn", identity.role_arn, "--", *child(), env=source_env)
    assert first.returncode == 0, first.stderr
    first_key = report(tmp_path)["env"]["ALIBABA_CLOUD_ACCESS_KEY_ID"]
    assert assume_role_calls(akless_emulator) == 1

    second = run("--role-arn", identity.role_arn, "--", *child(whoami=True), env=source_env)
    assert second.returncode == 0, second.stderr
    assert assume_role_calls(akless_emulator) == 1
    seen = report(tmp_path)
    assert seen["env"]["ALIBABA_CLOUD_ACCESS_KEY_ID"] == first_key
    assert seen["arn"].endswith("/akless-exec")  # the cached credential works; default name

    # Anything that changes the credential is another cache entry.
    third = run(
        "--role-arn", identity.role_arn, "--session-name", "other", "--", *child(), env=source_env
    )
    assert third.returncode == 0, third.stderr
    assert assume_role_calls(akless_emulator) == 2

    directory = Path(os.environ["HOME"]) / ".cache" / "akless" / "roles"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = sorted(directory.iterdir())
    assert len(files) == 2
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        text = file.read_text()
        assert identity.access_key_secret not in text
        assert identity.access_key_id not in text + file.name
        assert json.loads(text)["role_arn"] == identity.role_arn


def test_the_cache_follows_xdg_cache_home_and_replaces_a_corrupt_file(
    run: Run,
    child: Callable[..., list[str]],
    source_env: dict[str, str],
    akless_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    role_arn = akless_emulator.cloud.identity.role_arn
    env = {**source_env, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert run("--role-arn", role_arn, "--", *child(), env=env).returncode == 0
    [file] = (tmp_path / "xdg" / "akless" / "roles").iterdir()
    file.write_bytes(b'{"version": 1, "AccessKeyId": \xff')
    again = run("--role-arn", role_arn, "--", *child(code=3), env=env)
    assert again.returncode == 3, again.stderr
    assert "Traceback" not in again.stderr
    assert assume_role_calls(akless_emulator) == 2
    assert json.loads(file.read_text())["role_arn"] == role_arn
    assert report(tmp_path)["env"]["ALIBABA_CLOUD_ACCESS_KEY_ID"].startswith("STS.")


def test_errors_end_in_one_line_and_the_documented_code(
    run: Run,
    child: Callable[..., list[str]],
    source_env: dict[str, str],
    akless_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    identity = akless_emulator.cloud.identity
    secrets = (identity.access_key_secret, PLANTED)

    # Only ECS may assume the instance role.
    denied = run("--role-arn", identity.instance_role_arn, "--", *child(), env=source_env)
    assert denied.returncode == 3
    assert len(denied.stderr.splitlines()) == 1
    assert "NoPermission" in denied.stderr
    assert_quiet(denied, *secrets)

    policy = tmp_path / "policy.json"
    policy.write_text(f"Version: 1  # not JSON {PLANTED}")
    bad_policy = run(
        "--role-arn", identity.role_arn, "--policy", str(policy), "--", *child(), env=source_env
    )
    assert bad_policy.returncode == 2
    assert len(bad_policy.stderr.splitlines()) == 1
    assert str(policy) in bad_policy.stderr
    assert "not JSON" in bad_policy.stderr
    assert_quiet(bad_policy, *secrets)

    # A long-term source without --role-arn is refused before anything is run.
    missing = run("--", "akless-no-such-command-x", PLANTED, env=source_env)
    assert missing.returncode == 2
    assert "long-term AccessKey" in missing.stderr
    not_found = run("--allow-long-term", "--", "akless-no-such-command-x", PLANTED, env=source_env)
    assert not_found.returncode == 127
    assert not_found.stderr == "akless: akless-no-such-command-x: command not found\n"
    assert_quiet(not_found, *secrets)

    assert not (tmp_path / "report.json").exists()
    assert assume_role_calls(akless_emulator) == 1  # the denied one: the bad policy sent none


def test_without_a_role_the_source_passes_when_temporary_or_allowed(
    run: Run,
    child: Callable[..., list[str]],
    source_env: dict[str, str],
    akless_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    identity = akless_emulator.cloud.identity
    allowed = run("--allow-long-term", "--", *child(), env=source_env)
    assert allowed.returncode == 0, allowed.stderr
    child_env = report(tmp_path)["env"]
    assert child_env["ALIBABA_CLOUD_ACCESS_KEY_ID"] == identity.access_key_id
    assert "ALIBABA_CLOUD_SECURITY_TOKEN" not in child_env

    # The ECS instance role: temporary, so passed on as it is.
    instance_env = {
        name: value
        for name, value in source_env.items()
        if name not in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    }
    instance_env.pop("ALIBABA_CLOUD_ECS_METADATA_DISABLED", None)
    instance = run("--", *child(whoami=True), env=instance_env)
    assert instance.returncode == 0, instance.stderr
    seen = report(tmp_path)
    assert seen["env"]["ALIBABA_CLOUD_SECURITY_TOKEN"]
    assert f"assumed-role/{identity.instance_role}/" in seen["arn"]


def test_a_session_policy_is_sent_and_the_command_gets_python_ignored_signals_back(
    run: Run,
    child: Callable[..., list[str]],
    source_env: dict[str, str],
    akless_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.json"
    statement = {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
    policy.write_text(json.dumps({"Version": "1", "Statement": [statement]}))
    role_arn = akless_emulator.cloud.identity.role_arn
    done = run("--role-arn", role_arn, "--policy", str(policy), "--", *child(whoami=True),
               env=source_env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    [call] = [c for c in akless_emulator.cloud.store.calls() if c.action == "AssumeRole"]
    assert json.loads(call.params["Policy"]) == json.loads(policy.read_text())
    if not Path("/proc/self/status").exists():
        return
    # Python ignores SIGPIPE; `akless exec -- cmd | head` needs cmd to get it as the default.
    status = run("--role-arn", role_arn, "--policy", str(policy), "--",
                 "cat", "/proc/self/status", env=source_env)  # fmt: skip
    assert status.returncode == 0, status.stderr
    [ignored] = [line for line in status.stdout.splitlines() if line.startswith("SigIgn:")]
    sigpipe_bit = 1 << (13 - 1)
    assert not int(ignored.split()[1], 16) & sigpipe_bit


def test_usage_errors_exit_2(akless: Akless) -> None:
    # These end before anything would be run, so click's runner can drive them in-process.
    no_command = akless("exec")
    assert no_command.code == 2
    assert "no command to run" in no_command.err
    role_only = akless("exec", "--duration", "900", "--", "true")
    assert role_only.code == 2
    assert "only apply with --role-arn" in role_only.err
    short = akless("exec", "--role-arn", "acs:ram::1:role/r", "--duration", "60", "--", "true")
    assert short.code == 2


# -- the library: the child environment and the cache --

STS = Credentials("STS.child", "child-secret", "child-token", 2e9, "ram_role_arn/static_ak")


def test_child_environment_replaces_and_removes_credential_variables() -> None:
    environ = {
        "PATH": "/usr/bin",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIsource",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": PLANTED,
        "ALIBABA_CLOUD_SECURITY_TOKEN": "old-token",
        "ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:1",
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:2",
        "ALIBABA_CLOUD_STS_REGION": "cn-beijing",
        "ALIBABA_CLOUD_REGION_ID": "cn-beijing",
        "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
        "ALIBABACLOUD_SECURITY_TOKEN": PLANTED,  # by the name rule
        "ALIBABA_CLOUD_BEARER_TOKEN": PLANTED,
        **CREDENTIAL_NOISE,
    }
    child = child_environment(STS, environ)
    assert child == {
        "PATH": "/usr/bin",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.child",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "child-secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "child-token",
        "ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:1",
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:2",
        "ALIBABA_CLOUD_STS_REGION": "cn-beijing",
        "ALIBABA_CLOUD_REGION_ID": "cn-beijing",
        "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
        # the aliyun CLI would otherwise prefer its own configured profile to these variables
        "ALIBABA_CLOUD_IGNORE_PROFILE": "TRUE",
    }
    assert "ALIBABA_CLOUD_SECURITY_TOKEN" not in child_environment(
        Credentials("LTAIx", "s"), environ
    )
    assert environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] == PLANTED  # the input is not changed
    assert set(CREDENTIAL_VARIABLES) <= set(child)


_NAMES = st.one_of(
    st.sampled_from(sorted({*CREDENTIAL_NOISE, *CREDENTIAL_VARIABLES, *REMOVED_VARIABLES})),
    st.from_regex(r"(ALIBABA_CLOUD_|ALIBABACLOUD_|ALICLOUD_)?[A-Z_]{1,20}", fullmatch=True),
)


@given(environ=st.dictionaries(_NAMES, st.text(max_size=8)), with_token=st.booleans())
def test_the_child_sees_its_credential_and_no_other(
    environ: dict[str, str], with_token: bool
) -> None:
    credentials = Credentials("STS.k", "s", "t" if with_token else None)
    child = child_environment(credentials, environ)
    assert not any(is_removed(name) for name in set(child) - set(CREDENTIAL_VARIABLES))
    assert child["ALIBABA_CLOUD_ACCESS_KEY_ID"] == "STS.k"
    assert ("ALIBABA_CLOUD_SECURITY_TOKEN" in child) is with_token
    kept = {name: value for name, value in environ.items() if not is_removed(name)}
    assert {name: child[name] for name in kept if name not in CREDENTIAL_VARIABLES} == {
        name: value for name, value in kept.items() if name not in CREDENTIAL_VARIABLES
    }


def test_child_environment_refuses_a_bearer_token() -> None:
    with pytest.raises(ConfigurationError, match="bearer token"):
        child_environment(Credentials("", "", bearer_token=PLANTED), {})


def test_the_margin_is_five_minutes_or_a_fifth_of_short_lifetimes() -> None:
    assert margin(3600) == 300
    assert margin(900) == 180
    assert margin(-5) == 0


class FakeSts:
    """Counts AssumeRole calls; answers with a credential living ``lifetime`` seconds."""

    endpoint = "http://127.0.0.1:9"

    def __init__(self, clock: Callable[[], float], lifetime: float = 3600) -> None:
        self.calls = 0
        self._clock = clock
        self._lifetime = lifetime

    def assume_role(self, source: Credentials, **kwargs: Any) -> Any:
        self.calls += 1
        expiration = float(int(self._clock() + self._lifetime))
        credentials = Credentials(f"STS.{self.calls}", "s", "t", expiration, "ram_role_arn")
        return type("Assumed", (), {"credentials": credentials})()


def test_cached_credentials_are_served_until_the_margin(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    sts = FakeSts(clock, lifetime=900)
    cache = RoleCache(tmp_path / "roles", clock=clock)
    source = Credentials("LTAIsource", PLANTED)
    request = RoleRequest("acs:ram::1:role/r", duration_seconds=900)

    def assume() -> Credentials:
        return assume_role_cached(source, request, sts=sts, cache=cache, clock=clock)  # type: ignore[arg-type]

    assert assume().access_key_id == "STS.1"
    now[0] += 900 - 181  # 181 s left of 900: still outside the 180 s margin
    assert assume().access_key_id == "STS.1"
    now[0] += 2
    assert assume().access_key_id == "STS.2"
    assert sts.calls == 2
    [file] = (tmp_path / "roles").iterdir()
    assert PLANTED not in file.read_text()
    assert "LTAIsource" not in file.read_text() + file.name


def test_a_cache_file_for_another_role_or_unreadable_is_a_miss(tmp_path: Path) -> None:
    clock = lambda: 1_800_000_000.0  # noqa: E731
    cache = RoleCache(tmp_path / "roles", clock=clock)
    request = RoleRequest("acs:ram::1:role/r")
    path = cache.path(request, "LTAIsource", "http://127.0.0.1:9")
    cache.put(path, request.role_arn, Credentials("STS.a", "s", "t", 1_800_003_600.0), clock())
    assert cache.get(path, request.role_arn) is not None
    assert cache.get(path, "acs:ram::1:role/other") is None
    path.chmod(0)
    if os.geteuid() != 0:  # root reads anything
        assert cache.get(path, request.role_arn) is None
    path.unlink()
    path.mkdir()
    assert cache.get(path, request.role_arn) is None


def test_a_cache_directory_of_someone_else_or_a_link_is_not_used(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "roles").symlink_to(real)
    cache = RoleCache(tmp_path / "cache" / "roles")
    request = RoleRequest("acs:ram::1:role/r")
    path = cache.path(request, "LTAIsource", "e")
    cache.put(path, request.role_arn, Credentials("STS.a", "s", "t", 4e9), 1e9)
    assert list(real.iterdir()) == []


def test_the_cache_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path(os.environ["HOME"])
    assert cache_directory({}) == home / ".cache" / "akless" / "roles"
    assert cache_directory({"XDG_CACHE_HOME": "/x/c"}) == Path("/x/c/akless/roles")
    assert cache_directory({"XDG_CACHE_HOME": "relative"}) == home / ".cache/akless/roles"


def test_policy_files(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text('  {"Version": "1", "Statement": []}\n')
    assert read_policy_file(policy) == '{"Version": "1", "Statement": []}'
    policy.write_text("[1, 2]")
    with pytest.raises(ConfigurationError, match="not an object"):
        read_policy_file(policy)
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_policy_file(tmp_path / "missing.json")


def test_the_sts_endpoint_is_part_of_the_cache_key(tmp_path: Path) -> None:
    cache = RoleCache(tmp_path)
    request = RoleRequest("acs:ram::1:role/r")
    one = cache.path(request, "LTAIsource", StsClient("http://127.0.0.1:1").endpoint)
    two = cache.path(request, "LTAIsource", StsClient("http://127.0.0.1:2").endpoint)
    assert one != two
    assert one.parent == two.parent == tmp_path
