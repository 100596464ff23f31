"""``akless.testing`` and the pytest plugin: the emulator as a test fixture."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer, Fault
from akless.metadata import MetadataClient
from akless.sts import StsClient
from akless.testing import (
    EmulatorBug,
    emulator_environment,
    raise_server_errors,
    running_emulator,
)
from akless.transport import HttpTransport

pytest_plugins = ["pytester"]

INSTANCE_ID = "/latest/meta-data/instance-id"
ROLE_CREDENTIALS = "/latest/meta-data/ram/security-credentials/akless-instance-role"


def get(endpoint: str, path: str) -> httpx.Response:
    return httpx.get(endpoint + path, timeout=2, trust_env=False)


# --- running_emulator ---------------------------------------------------------------------------


def test_running_emulator_serves_inside_the_block_and_stops_after_it() -> None:
    with running_emulator() as emulator:
        inside = get(emulator.endpoint, INSTANCE_ID)

    assert inside.status_code == 200
    assert inside.text == emulator.cloud.identity.instance_id
    with pytest.raises(httpx.ConnectError):
        get(emulator.endpoint, INSTANCE_ID)


def test_running_emulator_listens_on_a_free_loopback_port() -> None:
    with running_emulator() as first, running_emulator() as second:
        assert first.endpoint.startswith("http://127.0.0.1:")
        assert first.endpoint != second.endpoint


def test_running_emulator_can_start_hardened_only() -> None:
    with running_emulator(hardened_only=True) as emulator:
        assert get(emulator.endpoint, INSTANCE_ID).status_code == 403


def test_running_emulator_raises_emulator_bug_when_the_emulator_failed_to_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bug = RuntimeError("the instance credential is broken")
    answers: list[httpx.Response] = []

    def broken() -> None:
        raise bug

    def ask_a_broken_emulator() -> None:
        with running_emulator() as emulator:
            monkeypatch.setattr(emulator.cloud, "instance_credentials", broken)
            answers.append(get(emulator.endpoint, ROLE_CREDENTIALS))

    with pytest.raises(EmulatorBug) as raised:
        ask_a_broken_emulator()

    assert [answer.status_code for answer in answers] == [500]
    assert answers[0].json()["Code"] == "InternalError"
    assert raised.value.__cause__ is bug


# --- raise_server_errors ------------------------------------------------------------------------


def test_raise_server_errors_is_quiet_while_the_emulator_has_not_failed(
    akless_emulator: EmulatorServer,
) -> None:
    raise_server_errors(akless_emulator)


def test_raise_server_errors_raises_emulator_bug_naming_the_first_failure() -> None:
    with running_emulator() as emulator:
        emulator.cloud.server_errors.extend([KeyError("first"), KeyError("second")])

        with pytest.raises(EmulatorBug, match=r"failed 2 time\(s\): KeyError\('first'\)"):
            raise_server_errors(emulator)

        emulator.cloud.server_errors.clear()  # or leaving the block raises it again


@pytest.mark.parametrize("path", ["/", "/_emulator/users"])
def test_a_client_hanging_up_mid_request_is_not_an_emulator_failure(
    akless_emulator: EmulatorServer, path: str
) -> None:
    address = urlsplit(akless_emulator.endpoint)
    with socket.create_connection((address.hostname, address.port), timeout=2) as client:
        # Announce a 50-byte body, send 2 bytes of it, then hang up.
        client.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nab".encode())
        time.sleep(0.1)
    time.sleep(0.3)  # let the emulator notice the hang-up

    assert akless_emulator.cloud.server_errors == []
    raise_server_errors(akless_emulator)


def test_emulator_bug_is_an_assertion_error_so_pytest_reports_a_failure() -> None:
    assert issubclass(EmulatorBug, AssertionError)


# --- emulator_environment -----------------------------------------------------------------------


def test_emulator_environment_points_every_endpoint_variable_at_the_emulator(
    akless_emulator: EmulatorServer,
) -> None:
    environment = emulator_environment(akless_emulator)

    assert environment == {
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint,
        "ALIBABA_CLOUD_STS_ENDPOINT": akless_emulator.endpoint,
        "ALIBABA_CLOUD_RAM_ENDPOINT": akless_emulator.endpoint,
        "ALIBABA_CLOUD_KMS_ENDPOINT": akless_emulator.endpoint,
        "ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT": akless_emulator.endpoint,
    }


def test_clients_configured_by_the_emulator_environment_reach_the_emulator(
    akless_emulator: EmulatorServer, transport: HttpTransport
) -> None:
    environment = emulator_environment(akless_emulator)

    credentials = MetadataClient(environ=environment, transport=transport).role_credentials()
    caller = StsClient(environ=environment, transport=transport).get_caller_identity(credentials)

    assert caller.arn.endswith(f"/{akless_emulator.cloud.identity.instance_id}")


# --- the pytest fixtures ------------------------------------------------------------------------


def test_the_fixture_is_the_sessions_emulator(
    akless_emulator: EmulatorServer, akless_emulator_server: EmulatorServer
) -> None:
    assert akless_emulator is akless_emulator_server


@pytest.mark.parametrize("run", ["once", "again"])
def test_every_test_gets_the_emulator_as_it_started(
    akless_emulator: EmulatorServer, run: str
) -> None:
    # Each run checks the state a fresh emulator has, then spoils it: whichever runs second
    # fails unless the fixture reset the emulator in between.
    cloud = akless_emulator.cloud
    identity = cloud.identity
    assert cloud.store.get_user("left-behind") is None
    assert cloud.faults.active() == []
    assert cloud.clock_offset == 0
    assert cloud.credential_lifetime is None
    assert cloud.hardened_only is False
    assert cloud.instance_role == identity.instance_role
    assert get(akless_emulator.endpoint, INSTANCE_ID).status_code == 200

    cloud.create_user("left-behind")
    cloud.faults.add(Fault(service="metadata", status=503))
    cloud.set_clock_offset(900)
    cloud.set_credential_lifetime(60)
    cloud.set_hardened_only(True)
    cloud.set_instance_role(None)


def test_the_fixture_reports_an_emulator_failure_once_as_an_error_of_the_test_that_caused_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_broken=f"""
        import httpx

        def test_fine(akless_emulator):
            pass

        def test_breaks_the_emulator(akless_emulator, monkeypatch):
            def broken():
                raise RuntimeError("boom")

            monkeypatch.setattr(akless_emulator.cloud, "instance_credentials", broken)
            httpx.get(akless_emulator.endpoint + "{ROLE_CREDENTIALS}", trust_env=False)
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-rN")

    result.assert_outcomes(passed=2, errors=1)  # test_breaks_the_emulator passes, then errors
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_breaks_the_emulator*"])
    report = "EmulatorBug: the emulator failed 1 time(s): RuntimeError('boom')"
    assert result.stdout.str().count(report) == 1


def test_the_fixtures_default_user_can_sign_calls(
    akless_emulator: EmulatorServer, transport: HttpTransport
) -> None:
    identity = akless_emulator.cloud.identity
    key = Credentials(identity.access_key_id, identity.access_key_secret)

    caller = StsClient(akless_emulator.endpoint, transport=transport).get_caller_identity(key)

    assert caller.arn == f"acs:ram::{identity.account_id}:user/akless-dev"
