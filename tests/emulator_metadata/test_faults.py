"""Fault injection: a slow, failing, flaky or unreachable metadata service or STS, on demand."""

from __future__ import annotations

import http.client
import math
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer, Fault
from akless.errors import ServiceError
from akless.sts import StsClient

INSTANCE_ID = "/latest/meta-data/instance-id"
TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
GET_CALLER_IDENTITY = {"Action": "GetCallerIdentity", "Version": "2015-04-01"}
"""An (unsigned) STS call: faults strike before the gateway checks signatures."""


@pytest.fixture
def user(akless_emulator: EmulatorServer) -> Credentials:
    """The AccessKey of the user a fresh emulator seeds."""
    identity = akless_emulator.cloud.identity
    return Credentials(identity.access_key_id, identity.access_key_secret)


def metadata_status(web: httpx.Client) -> int:
    return web.get(INSTANCE_ID).status_code


# --- latency --------------------------------------------------------------------------------------


def test_latency_delays_metadata_answers_by_at_least_that_long(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", latency=0.3))

    started = time.monotonic()
    response = web.get(INSTANCE_ID)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_latency_delays_sts_answers_by_at_least_that_long(
    akless_emulator: EmulatorServer, sts: StsClient, user: Credentials
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", latency=0.3))

    started = time.monotonic()
    caller = sts.get_caller_identity(user)
    elapsed = time.monotonic() - started

    assert caller.identity_type == "RAMUser"
    assert elapsed >= 0.3


# --- error statuses -------------------------------------------------------------------------------


def test_status_503_makes_every_sts_call_answer_503_service_unavailable(
    akless_emulator: EmulatorServer, sts: StsClient, user: Credentials
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", status=503))

    for _ in range(3):
        with pytest.raises(ServiceError) as failed:
            sts.get_caller_identity(user)
        assert failed.value.status == 503
        assert failed.value.code == "ServiceUnavailable"


def test_an_injected_sts_error_uses_the_real_error_envelope(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", status=503))

    response = web.post("/", data=GET_CALLER_IDENTITY)

    assert response.status_code == 503
    body = response.json()
    assert body["Code"] == "ServiceUnavailable"
    assert {"RequestId", "HostId", "Code", "Message"} <= set(body)


def test_an_injected_status_can_carry_its_own_code(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", status=400, code="Throttling.User"))

    response = web.post("/", data=GET_CALLER_IDENTITY)

    assert response.status_code == 400
    assert response.json()["Code"] == "Throttling.User"


def test_status_503_makes_the_metadata_service_answer_503(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", status=503))

    token = web.put("/latest/api/token", headers={TTL_HEADER: "60"})

    assert token.status_code == 503
    assert metadata_status(web) == 503


def test_rate_one_half_fails_some_requests_but_not_all(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", status=503, rate=0.5))

    statuses = [metadata_status(web) for _ in range(40)]

    failures = statuses.count(503)
    assert 0 < failures < 40  # all or none has a chance of 2**-39
    assert failures + statuses.count(200) == 40


def test_count_2_fails_only_the_next_two_requests(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    faults = akless_emulator.cloud.faults
    faults.add(Fault(service="metadata", status=503, count=2))

    statuses = [metadata_status(web) for _ in range(4)]

    assert statuses == [503, 503, 200, 200]
    assert faults.active() == []


def test_a_fault_for_the_metadata_service_leaves_sts_alone(
    akless_emulator: EmulatorServer, web: httpx.Client, sts: StsClient, user: Credentials
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", status=503))

    assert metadata_status(web) == 503
    assert sts.get_caller_identity(user).identity_type == "RAMUser"


def test_a_fault_for_every_service_strikes_both(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="*", status=500))

    assert metadata_status(web) == 500
    assert web.post("/", data=GET_CALLER_IDENTITY).json()["Code"] == "InternalError"


def test_clearing_faults_restores_service(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    faults = akless_emulator.cloud.faults
    faults.add(Fault(service="metadata", status=503))
    faults.add(Fault(service="sts", down="refuse"))
    assert metadata_status(web) == 503

    faults.clear()

    assert faults.active() == []
    assert metadata_status(web) == 200


# --- outages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [INSTANCE_ID, "/?Action=GetCallerIdentity&Version=2015-04-01"])
def test_refuse_closes_the_connection_without_an_answer(
    akless_emulator: EmulatorServer, path: str
) -> None:
    akless_emulator.cloud.faults.add(Fault(down="refuse"))
    address = urlsplit(akless_emulator.endpoint)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
    try:
        connection.request("GET", path)
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
    finally:
        connection.close()


def test_refuse_is_a_protocol_error_for_httpx(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", down="refuse"))

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        web.get(INSTANCE_ID)


def test_hang_never_answers_so_the_clients_read_timeout_fires(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="metadata", down="hang"))

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        web.get(INSTANCE_ID, timeout=0.5)

    assert time.monotonic() - started >= 0.5


def test_a_hanging_service_does_not_stall_the_others_and_recovers_when_cleared(
    akless_emulator: EmulatorServer, web: httpx.Client
) -> None:
    faults = akless_emulator.cloud.faults
    faults.add(Fault(service="metadata", down="hang"))
    with pytest.raises(httpx.ReadTimeout):
        web.get(INSTANCE_ID, timeout=0.5)

    sts_meanwhile = web.post("/", data=GET_CALLER_IDENTITY, timeout=2)
    faults.clear()
    metadata_after = web.get(INSTANCE_ID, timeout=2)

    assert sts_meanwhile.status_code == 400  # answered: unsigned, so the gateway refuses it
    assert metadata_after.status_code == 200
    assert metadata_after.text == akless_emulator.cloud.identity.instance_id


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"service": "s3"}, id="unknown-service"),
        pytest.param({"latency": -1}, id="negative-latency"),
        pytest.param({"latency": math.inf}, id="endless-latency"),
        pytest.param({"latency": math.nan}, id="nan-latency"),
        pytest.param({"status": 200}, id="success-status"),
        pytest.param({"status": 600}, id="status-beyond-599"),
        pytest.param({"rate": 2}, id="rate-above-1"),
        pytest.param({"rate": -0.1}, id="negative-rate"),
        pytest.param({"down": "explode"}, id="unknown-down-mode"),
        pytest.param({"count": 0}, id="count-0"),
    ],
)
def test_an_invalid_fault_raises_value_error(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(fields))):
        Fault(**fields)


def test_a_fault_round_trips_through_json() -> None:
    fault = Fault(service="sts", status=429, rate=0.25, count=3)

    assert Fault.from_json(fault.to_json()) == fault


def test_a_fault_from_json_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="unknown fault field"):
        Fault.from_json({"service": "sts", "stauts": 503})
