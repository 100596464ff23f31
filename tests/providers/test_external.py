"""The external-process provider: small Python helpers written to ``tmp_path`` and run as
``[sys.executable, helper]`` (never through a shell). The output format is the aliyun CLI's
``External`` one; errors name the program only, never its arguments or its output."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import stat
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import AklessError, ConfigurationError, CredentialsRefreshError
from akless.providers.external import ExternalProcessProvider, parse_output, split_command

NOW = 1_700_000_000.0
PLANTED_ARGUMENT = "--password=planted-argument-5e1c"
PLANTED_STDOUT = "planted-stdout-secret-9b04"


class FakeClock:
    """Wall time that only moves when the test says so."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def helper(tmp_path: Path, body: str, name: str = "helper.py") -> list[str]:
    """Write a Python helper and return the argv that runs it."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("import json, os, sys, time\n" + textwrap.dedent(body), encoding="utf-8")
    return [sys.executable, str(path)]


def printing(tmp_path: Path, answer: dict[str, Any], prelude: str = "") -> list[str]:
    """A helper that runs ``prelude`` and then prints ``answer`` as JSON."""
    return helper(tmp_path, f"{textwrap.dedent(prelude)}\nprint(json.dumps({answer!r}))\n")


AK_ANSWER = {
    "mode": "AK",
    "access_key_id": "LTAI5tExternalKey",
    "access_key_secret": "planted-external-secret",
}
STS_ANSWER = {
    "mode": "StsToken",
    "access_key_id": "STS.NUexternal",
    "access_key_secret": "planted-external-secret",
    "sts_token": "planted-sts-token",
    "expiration": format_timestamp(NOW + 3600),
}


def provider(command: str | list[str], **options: Any) -> ExternalProcessProvider:
    options.setdefault("clock", FakeClock())
    options.setdefault("timeout", 10.0)
    return ExternalProcessProvider(command, **options)


# --- what the command prints ------------------------------------------------------------


def test_ak_mode_gives_a_long_term_credential(tmp_path: Path) -> None:
    credentials = provider(printing(tmp_path, AK_ANSWER)).get_credentials()

    assert credentials == Credentials(
        "LTAI5tExternalKey", "planted-external-secret", provider_name="external"
    )
    assert credentials.security_token is None
    assert credentials.expiration is None


def test_sts_token_mode_gives_an_sts_credential_with_its_expiration(tmp_path: Path) -> None:
    credentials = provider(printing(tmp_path, STS_ANSWER)).get_credentials()

    assert credentials == Credentials(
        "STS.NUexternal",
        "planted-external-secret",
        "planted-sts-token",
        expiration=NOW + 3600,
        provider_name="external",
    )


def test_the_provider_is_named_external(tmp_path: Path) -> None:
    external = provider(printing(tmp_path, AK_ANSWER))

    assert external.name == external.get_provider_name() == "external"
    assert external.program == sys.executable


# --- how the command runs -----------------------------------------------------------------


def test_stderr_reaches_the_user_so_prompts_show(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    command = printing(tmp_path, AK_ANSWER, 'sys.stderr.write("Enter the MFA code: \\n")')

    provider(command).get_credentials()

    assert "Enter the MFA code:" in capfd.readouterr().err


def test_stdin_is_closed_so_a_helper_that_reads_it_gets_end_of_file_at_once(
    tmp_path: Path,
) -> None:
    command = helper(
        tmp_path,
        """
        typed = sys.stdin.read()
        print(json.dumps({"mode": "AK", "access_key_id": f"read-{len(typed)}-bytes",
                          "access_key_secret": "s"}))
        """,
    )
    started = time.monotonic()

    credentials = provider(command, timeout=5.0).get_credentials()

    assert credentials.access_key_id == "read-0-bytes"
    assert time.monotonic() - started < 4


def test_no_shell_runs_the_command(tmp_path: Path) -> None:
    command = helper(
        tmp_path,
        """
        print(json.dumps({"mode": "AK", "access_key_id": "|".join(sys.argv[1:]),
                          "access_key_secret": "s"}))
        """,
    )

    credentials = provider([*command, "$HOME", "*", "a;b"]).get_credentials()

    assert credentials.access_key_id == "$HOME|*|a;b"


def test_a_command_string_is_split_with_shell_quoting(tmp_path: Path) -> None:
    [python, script] = helper(
        tmp_path / "a dir with spaces",
        """
        print(json.dumps({"mode": "AK", "access_key_id": "|".join(sys.argv[1:]),
                          "access_key_secret": "s"}))
        """,
    )
    command = f'"{python}" "{script}" --profile "my profile" it\\\'s'

    credentials = provider(command).get_credentials()

    assert credentials.access_key_id == "--profile|my profile|it's"


def test_the_command_gets_the_given_environment(tmp_path: Path) -> None:
    command = helper(
        tmp_path,
        """
        print(json.dumps({"mode": "AK", "access_key_id": os.environ.get("HELPER_KEY", "unset"),
                          "access_key_secret": os.environ.get("HOME", "no-home")}))
        """,
    )

    credentials = provider(command, environ={"HELPER_KEY": "from-environ"}).get_credentials()

    assert (credentials.access_key_id, credentials.access_key_secret) == ("from-environ", "no-home")


def test_without_an_environment_the_command_inherits_the_process_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPER_KEY", "from-os-environ")
    command = helper(
        tmp_path,
        """
        print(json.dumps({"mode": "AK", "access_key_id": os.environ["HELPER_KEY"],
                          "access_key_secret": "s"}))
        """,
    )

    assert provider(command).get_credentials().access_key_id == "from-os-environ"


# --- refresh ------------------------------------------------------------------------------


def counting(tmp_path: Path, answer: dict[str, Any]) -> tuple[list[str], Path]:
    """A helper that appends a line to a counter file on each run."""
    counter = tmp_path / "runs.txt"
    prelude = f"open({str(counter)!r}, 'a').write('run\\n')"
    return printing(tmp_path, answer, prelude), counter


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_a_credential_without_expiration_is_reused_for_fifteen_minutes(tmp_path: Path) -> None:
    command, counter = counting(tmp_path, AK_ANSWER)
    clock = FakeClock()
    external = provider(command, clock=clock)

    for _ in range(3):
        external.get_credentials()
        clock.advance(4 * 60)
    external.get_credentials()

    assert runs(counter) == 1

    clock.advance(4 * 60)  # 16 minutes after the first run
    external.get_credentials()

    assert runs(counter) == 2


def test_nothing_runs_until_credentials_are_asked_for(tmp_path: Path) -> None:
    command, counter = counting(tmp_path, AK_ANSWER)

    provider(command)

    assert runs(counter) == 0


def test_get_credentials_async_does_not_block_the_event_loop(tmp_path: Path) -> None:
    command = printing(tmp_path, AK_ANSWER, "time.sleep(0.3)")
    external = provider(command)

    async def scenario() -> tuple[Credentials, float]:
        longest_gap = 0.0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal longest_gap
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                longest_gap = max(longest_gap, now - last)
                last = now

        ticker = asyncio.create_task(tick())
        credentials = await external.get_credentials_async()
        done.set()
        await ticker
        return credentials, longest_gap

    credentials, longest_gap = asyncio.run(scenario())

    assert credentials.access_key_id == "LTAI5tExternalKey"
    assert longest_gap < 0.2


# --- failures -------------------------------------------------------------------------------


def test_a_non_zero_exit_is_an_error_with_the_exit_status(tmp_path: Path) -> None:
    command = helper(tmp_path, 'sys.stderr.write("not logged in\\n")\nsys.exit(3)\n')

    with pytest.raises(CredentialsRefreshError, match="exited with status 3") as raised:
        provider([*command, PLANTED_ARGUMENT]).get_credentials()

    assert raised.value.provider == "external"


def test_a_command_that_does_not_finish_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    command = helper(tmp_path, "time.sleep(30)\n")
    started = time.monotonic()

    with pytest.raises(CredentialsRefreshError, match=r"did not finish within 0\.5 seconds"):
        provider(command, timeout=0.5).get_credentials()

    assert time.monotonic() - started < 2


def test_a_command_that_closes_stdout_but_keeps_running_is_stopped_too(tmp_path: Path) -> None:
    command = helper(tmp_path, "os.close(1)\ntime.sleep(30)\n")
    started = time.monotonic()

    with pytest.raises(CredentialsRefreshError, match="did not finish"):
        provider(command, timeout=0.5).get_credentials()

    assert time.monotonic() - started < 2


def test_a_flood_of_output_is_cut_off_at_the_cap(tmp_path: Path) -> None:
    command = helper(tmp_path, 'while True:\n    sys.stdout.write("x" * 65536)\n')
    started = time.monotonic()

    with pytest.raises(ConfigurationError, match="more than 1024 bytes"):
        provider(command, max_output_bytes=1024, timeout=5.0).get_credentials()

    assert time.monotonic() - started < 2


def test_output_up_to_the_cap_is_accepted(tmp_path: Path) -> None:
    size = len(json.dumps(AK_ANSWER)) + 1  # with print's newline

    credentials = provider(printing(tmp_path, AK_ANSWER), max_output_bytes=size).get_credentials()

    assert credentials.access_key_id == "LTAI5tExternalKey"


def test_a_command_that_is_not_found_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-helper")

    with pytest.raises(ConfigurationError, match="was not found") as raised:
        provider([missing, PLANTED_ARGUMENT]).get_credentials()

    assert missing in str(raised.value)


def test_a_program_that_is_not_on_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="'akless-no-such-helper' was not found"):
        provider("akless-no-such-helper --flag", environ={"PATH": str(tmp_path)}).get_credentials()


def test_a_command_that_is_not_executable_is_named(tmp_path: Path) -> None:
    script = tmp_path / "helper.sh"
    script.write_text("#!/bin/sh\necho {}\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)

    with pytest.raises(ConfigurationError, match="is not executable"):
        provider([str(script)]).get_credentials()


def test_output_that_is_not_json_is_a_configuration_error(tmp_path: Path) -> None:
    command = helper(tmp_path, f"print('Hello {PLANTED_STDOUT}')\n")

    with pytest.raises(ConfigurationError, match="not JSON"):
        provider(command).get_credentials()


@pytest.mark.parametrize(
    ("command", "complaint"),
    [
        ("", "non-empty"),
        ("   ", "non-empty"),
        ([], "non-empty"),
        ([""], "non-empty"),
        (f"helper '{PLANTED_ARGUMENT}", "cannot be parsed"),
    ],
)
def test_a_command_line_that_cannot_be_used_is_refused_at_construction(
    command: str | list[str], complaint: str
) -> None:
    with pytest.raises(ConfigurationError, match=complaint) as raised:
        ExternalProcessProvider(command)

    assert PLANTED_ARGUMENT not in str(raised.value)


@pytest.mark.parametrize(("option", "value"), [("timeout", 0), ("max_output_bytes", 0)])
def test_limits_must_be_positive(option: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match="positive"):
        ExternalProcessProvider("helper", **{option: value})


def test_split_command_leaves_a_list_as_it_is() -> None:
    assert split_command(["helper", "a b", "$X"]) == ("helper", "a b", "$X")
    assert split_command("helper 'a b' \"c d\" e\\ f") == ("helper", "a b", "c d", "e f")


# --- the output format, without a process -------------------------------------------------


def dumps(answer: Any) -> bytes:
    return json.dumps(answer).encode()


@pytest.mark.parametrize(
    ("output", "complaint"),
    [
        (f"{PLANTED_STDOUT}".encode(), "not JSON"),
        (b"", "not JSON"),
        (b"\xff\xfe" + PLANTED_STDOUT.encode(), "not JSON"),
        (dumps([PLANTED_STDOUT]), "not an object"),
        (dumps(PLANTED_STDOUT), "not an object"),
        (dumps({"access_key_id": "a", "access_key_secret": PLANTED_STDOUT}), "no mode"),
        (dumps({**AK_ANSWER, "mode": "CloudSSO"}), "neither"),
        (dumps({**AK_ANSWER, "mode": "ak"}), "neither"),
        (dumps({**AK_ANSWER, "access_key_id": None}), "no access_key_id"),
        (dumps({**AK_ANSWER, "access_key_id": " "}), "invalid access_key_id"),
        (dumps({"mode": "AK", "access_key_id": "a"}), "no access_key_secret"),
        (dumps({**AK_ANSWER, "access_key_secret": 7}), "invalid access_key_secret"),
        (dumps({**STS_ANSWER, "sts_token": None}), "no sts_token"),
        (dumps({**STS_ANSWER, "expiration": "in an hour"}), "YYYY-MM-DDThh:mm:ssZ"),
        (dumps({**STS_ANSWER, "expiration": 1700000000}), "YYYY-MM-DDThh:mm:ssZ"),
    ],
)
def test_each_wrong_output_is_named_without_quoting_it(output: bytes, complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint) as raised:
        parse_output(output, "helper")

    shown = str(raised.value)
    assert "'helper'" in shown
    assert PLANTED_STDOUT not in shown
    assert "planted-external-secret" not in shown
    assert "External format" in shown


def test_an_ak_answer_ignores_an_sts_token() -> None:
    credentials = parse_output(dumps({**AK_ANSWER, "sts_token": "ignored"}), "helper")

    assert credentials.security_token is None


@pytest.mark.parametrize("expiration", [None, ""])
def test_an_empty_expiration_means_none(expiration: str | None) -> None:
    credentials = parse_output(dumps({**STS_ANSWER, "expiration": expiration}), "helper")

    assert credentials.expiration is None


def test_an_expiration_in_the_past_is_rejected(tmp_path: Path) -> None:
    answer = {**STS_ANSWER, "expiration": format_timestamp(NOW - 60)}

    with pytest.raises(CredentialsRefreshError, match="already expired"):
        provider(printing(tmp_path, answer)).get_credentials()


# --- secrets never show ---------------------------------------------------------------------


FAILING_HELPERS = {
    "exit": f"print({PLANTED_STDOUT!r})\nsys.exit(2)\n",
    "not json": f"print({PLANTED_STDOUT!r})\n",
    "missing field": f"print(json.dumps({{'mode': 'AK', 'access_key_id': {PLANTED_STDOUT!r}}}))\n",
    "flood": f"while True:\n    print({PLANTED_STDOUT!r} * 100)\n",
    "timeout": f"print({PLANTED_STDOUT!r}, flush=True)\ntime.sleep(30)\n",
}


@pytest.mark.parametrize("body", FAILING_HELPERS.values(), ids=FAILING_HELPERS.keys())
def test_no_error_shows_the_output_or_the_arguments(tmp_path: Path, body: str) -> None:
    script_directory = tmp_path / "token=planted-path-secret"
    command = [*helper(script_directory, body), PLANTED_ARGUMENT]
    external = provider(command, timeout=1.0, max_output_bytes=4096)

    with pytest.raises(AklessError) as raised:
        external.get_credentials()

    shown = f"{raised.value!s} {raised.value!r} {vars(raised.value)!r} {external!r}"
    assert PLANTED_STDOUT not in shown
    assert PLANTED_ARGUMENT not in shown
    assert "planted-path-secret" not in shown
    assert repr(sys.executable) in str(raised.value)


def test_a_string_commands_arguments_never_show(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    command = f"{shlex.quote(str(missing))} {shlex.quote(PLANTED_ARGUMENT)}"
    external = provider(command)

    with pytest.raises(ConfigurationError) as raised:
        external.get_credentials()

    assert PLANTED_ARGUMENT not in f"{raised.value} {external!r}"


def test_no_process_is_left_running_after_a_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    command = helper(
        tmp_path, f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(30)\n"
    )

    with pytest.raises(CredentialsRefreshError):
        provider(command, timeout=0.5).get_credentials()

    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_helper_that_leaves_a_background_process_holding_stdout_is_not_waited_for(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "background.pid"
    command = printing(
        tmp_path,
        AK_ANSWER,
        f"""
        import subprocess
        background = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        open({str(pid_file)!r}, "w").write(str(background.pid))
        """,
    )
    started = time.monotonic()
    try:
        credentials = provider(command, timeout=5.0).get_credentials()
        elapsed = time.monotonic() - started
    finally:
        os.kill(int(pid_file.read_text()), 9)

    assert credentials.access_key_id == "LTAI5tExternalKey"
    assert elapsed < 2
