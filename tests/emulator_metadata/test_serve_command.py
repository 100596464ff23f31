"""``akless emulator serve`` as a real process: one JSON line on stdout, clean stops on
SIGTERM/SIGINT, a state file, hardened-only mode, and one clear line for each start-up error."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from alibabacloud_sts20150401.client import Client as OfficialStsClient
from alibabacloud_tea_openapi.models import Config

AKLESS = [sys.executable, "-m", "akless.cli.main"]
SERVE = [*AKLESS, "emulator", "serve", "--port", "0"]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
INSTANCE_ID = "/latest/meta-data/instance-id"


class Served:
    """A running ``akless emulator serve`` and what it announced."""

    def __init__(self, process: subprocess.Popen[str], announcement: dict[str, Any]) -> None:
        self.process = process
        self.announcement = announcement
        self.endpoint: str = announcement["endpoint"]

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``signum``; the exit code and whatever else it wrote to stdout and stderr."""
        self.process.send_signal(signum)
        stdout, stderr = self.process.communicate(timeout=STOP_TIMEOUT)
        return self.process.returncode, stdout, stderr


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line ``process`` writes to stdout, or fail the test after ``timeout``."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"akless emulator serve printed nothing within {timeout} s")


@contextmanager
def serving(*options: str) -> Iterator[Served]:
    """Run ``akless emulator serve`` until the block ends; it is killed if still running."""
    process = subprocess.Popen(
        [*SERVE, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = first_line(process, START_TIMEOUT)
        if not line:
            _, stderr = process.communicate(timeout=STOP_TIMEOUT)
            pytest.fail(f"akless emulator serve exited before announcing itself: {stderr}")
        yield Served(process, json.loads(line))
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None and not process.stdout.closed:
            process.communicate(timeout=STOP_TIMEOUT)


def run_akless(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AKLESS, *arguments], capture_output=True, text=True, timeout=START_TIMEOUT, check=False
    )


def host_of(endpoint: str) -> str:
    """``127.0.0.1:PORT``: what the official SDK calls an endpoint."""
    return endpoint.split("://", 1)[1]


# --- the announcement ---------------------------------------------------------------------------


def test_serve_prints_exactly_one_json_line_describing_the_emulator() -> None:
    with serving() as served:
        code, rest_of_stdout, stderr = served.stop()

    announcement = served.announcement
    assert {
        "endpoint",
        "account_id",
        "access_key_id",
        "access_key_secret",
        "role_arn",
        "instance_role",
    } <= set(announcement)
    assert served.endpoint.startswith("http://127.0.0.1:")
    assert announcement["role_arn"].startswith(f"acs:ram::{announcement['account_id']}:role/")
    assert rest_of_stdout == ""
    assert "Traceback" not in stderr
    assert code == 0


def test_the_announced_endpoint_serves_the_metadata_service() -> None:
    with serving() as served:
        response = httpx.get(served.endpoint + INSTANCE_ID, timeout=5, trust_env=False)
        role = httpx.get(
            served.endpoint + "/latest/meta-data/ram/security-credentials/", trust_env=False
        )

    assert response.status_code == 200
    assert response.text.startswith("i-")
    assert role.text == served.announcement["instance_role"]


def test_the_official_sdk_calls_sts_with_the_announced_key() -> None:
    with serving() as served:
        announcement = served.announcement
        client = OfficialStsClient(
            Config(
                access_key_id=announcement["access_key_id"],
                access_key_secret=announcement["access_key_secret"],
                endpoint=host_of(served.endpoint),
                protocol="http",
            )
        )
        caller = client.get_caller_identity().body

    assert caller.account_id == announcement["account_id"]
    assert caller.identity_type == "RAMUser"
    assert caller.arn == f"acs:ram::{announcement['account_id']}:user/akless-dev"


# --- stopping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_it_cleanly_with_exit_code_0(signum: int) -> None:
    with serving() as served:
        started = time.monotonic()
        code, _, stderr = served.stop(signum)

    assert code == 0, stderr
    assert time.monotonic() - started < STOP_TIMEOUT
    assert "Traceback" not in stderr


# --- options ------------------------------------------------------------------------------------


def test_a_state_file_keeps_the_same_identity_across_two_runs(tmp_path: Path) -> None:
    state = tmp_path / "emulator.db"
    with serving("--state", str(state)) as first:
        first.stop()
    with serving("--state", str(state)) as second:
        second.stop()

    def without_endpoint(announcement: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in announcement.items() if key != "endpoint"}

    assert without_endpoint(second.announcement) == without_endpoint(first.announcement)


def test_without_a_state_file_every_run_is_a_new_account() -> None:
    with serving() as first:
        first.stop()
    with serving() as second:
        second.stop()

    assert second.announcement["account_id"] != first.announcement["account_id"]


def test_hardened_only_refuses_tokenless_metadata_reads() -> None:
    with (
        serving("--hardened-only") as served,
        httpx.Client(base_url=served.endpoint, timeout=5, trust_env=False) as imds,
    ):
        tokenless = imds.get(INSTANCE_ID)
        token = imds.put(
            "/latest/api/token", headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "60"}
        ).text
        with_token = imds.get(INSTANCE_ID, headers={"X-aliyun-ecs-metadata-token": token})

    assert tokenless.status_code == 403
    assert with_token.status_code == 200


# --- start-up errors ----------------------------------------------------------------------------


def test_a_port_already_in_use_exits_2_with_one_clear_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_akless("emulator", "serve", "--port", str(port))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_state_file_that_is_not_sqlite_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    state = tmp_path / "notes.txt"
    state.write_text("these are my notes, not an emulator database\n" * 20)

    result = run_akless("emulator", "serve", "--port", "0", "--state", str(state))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert str(state) in result.stderr
    assert "not an emulator state file" in result.stderr
    assert "Traceback" not in result.stderr
    assert state.read_text().startswith("these are my notes")


# --- the command line itself --------------------------------------------------------------------


def test_akless_help_lists_the_emulator_command() -> None:
    result = run_akless("--help")

    assert result.returncode == 0
    assert "emulator" in result.stdout


def test_emulator_serve_help_documents_its_options() -> None:
    result = run_akless("emulator", "serve", "--help")

    assert result.returncode == 0
    for option in ("--host", "--port", "--state", "--hardened-only"):
        assert option in result.stdout
