"""The emulated ECS instance metadata service (protocol fact sheet, section 5).

Raw HTTP (httpx) pins the wire behaviour; akless's own ``MetadataClient`` and ``StsClient`` show
credential rotation end to end.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from akless.emulator import EmulatorServer
from akless.errors import ServiceError
from akless.metadata import MetadataClient
from akless.sts import StsClient
from akless.transport import HttpTransport

TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"
CREDENTIALS = "/latest/meta-data/ram/security-credentials/"
INSTANCE_ROLE = "akless-instance-role"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def imds(akless_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A raw HTTP client of the emulator's metadata service."""
    with httpx.Client(base_url=akless_emulator.endpoint, timeout=5, trust_env=False) as client:
        yield client


@pytest.fixture
def transport() -> Iterator[HttpTransport]:
    """One connection pool for akless's clients, closed after the test."""
    pool = HttpTransport(environ={})
    yield pool
    pool.close()


def new_token(imds: httpx.Client, ttl: int = 60) -> str:
    response = imds.put(TOKEN_PATH, headers={TTL_HEADER: str(ttl)})
    assert response.status_code == 200, response.text
    return response.text


def epoch(timestamp: str) -> int:
    return calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))


# --- hardened mode: tokens ----------------------------------------------------------------------


@pytest.mark.parametrize("ttl", ["1", "21600"])
def test_a_token_ttl_of_1_to_21600_seconds_gets_a_token(imds: httpx.Client, ttl: str) -> None:
    response = imds.put(TOKEN_PATH, headers={TTL_HEADER: ttl})

    assert response.status_code == 200
    assert response.text
    assert response.text == response.text.strip()


@pytest.mark.parametrize(
    "ttl",
    [
        pytest.param(b"0", id="zero"),
        pytest.param(b"21601", id="above-6h"),
        pytest.param(None, id="missing"),
        pytest.param(b"soon", id="not-a-number"),
        pytest.param(b"1.5", id="fraction"),
        pytest.param(b"-5", id="negative"),
        pytest.param(b"\xb2", id="superscript-two"),  # str.isdigit() says yes, int() says no
    ],
)
def test_a_token_ttl_that_is_missing_or_outside_1_to_21600_is_400(
    imds: httpx.Client, ttl: bytes | None
) -> None:
    headers = {} if ttl is None else {TTL_HEADER: ttl}

    response = imds.put(TOKEN_PATH, headers=headers)

    assert response.status_code == 400
    assert "Missing or Invalid Parameters" in response.text


def test_a_token_request_carrying_x_forwarded_for_is_403(imds: httpx.Client) -> None:
    response = imds.put(TOKEN_PATH, headers={TTL_HEADER: "60", "X-Forwarded-For": "10.0.0.1"})

    assert response.status_code == 403


def test_reads_with_a_valid_token_work(imds: httpx.Client, akless_emulator: EmulatorServer) -> None:
    token = new_token(imds)

    response = imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: token})

    assert response.status_code == 200
    assert response.text == akless_emulator.cloud.identity.instance_id


def test_a_token_is_reusable_until_it_expires(imds: httpx.Client) -> None:
    token = new_token(imds)

    statuses = [
        imds.get("/latest/meta-data/region-id", headers={TOKEN_HEADER: token}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 200]


def test_a_token_the_instance_never_issued_is_401(imds: httpx.Client) -> None:
    response = imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: "made-up"})

    assert response.status_code == 401


def test_an_expired_token_is_401(imds: httpx.Client, akless_emulator: EmulatorServer) -> None:
    token = new_token(imds, ttl=1)
    assert imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: token}).is_success

    akless_emulator.cloud.set_clock_offset(2)
    response = imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: token})

    assert response.status_code == 401


def test_an_expired_token_is_401_in_real_time_too(imds: httpx.Client) -> None:
    token = new_token(imds, ttl=1)

    time.sleep(1.1)
    response = imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: token})

    assert response.status_code == 401


# --- normal mode and hardened-only instances ----------------------------------------------------


def test_tokenless_reads_work_in_normal_mode(imds: httpx.Client) -> None:
    response = imds.get(CREDENTIALS)

    assert response.status_code == 200
    assert response.text == INSTANCE_ROLE


def test_a_hardened_only_instance_refuses_tokenless_reads_with_403(
    imds: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    akless_emulator.cloud.set_hardened_only(True)

    tokenless = imds.get(CREDENTIALS)
    with_token = imds.get(CREDENTIALS, headers={TOKEN_HEADER: new_token(imds)})

    assert tokenless.status_code == 403
    assert with_token.status_code == 200
    assert with_token.text == INSTANCE_ROLE


# --- the instance's RAM role --------------------------------------------------------------------


def test_the_role_name_is_served_bare_without_a_trailing_newline(imds: httpx.Client) -> None:
    response = imds.get(CREDENTIALS)

    assert response.content == INSTANCE_ROLE.encode()


def test_the_role_credential_has_exactly_the_official_fields(imds: httpx.Client) -> None:
    response = imds.get(CREDENTIALS + INSTANCE_ROLE)

    assert response.status_code == 200
    document = json.loads(response.text)
    assert set(document) == {
        "AccessKeyId",
        "AccessKeySecret",
        "Expiration",
        "SecurityToken",
        "LastUpdated",
        "Code",
    }
    assert document["Code"] == "Success"
    assert document["AccessKeyId"].startswith("STS.")
    assert TIMESTAMP.match(document["Expiration"])
    assert TIMESTAMP.match(document["LastUpdated"])


def test_the_role_credential_lives_six_hours_by_default(imds: httpx.Client) -> None:
    document = imds.get(CREDENTIALS + INSTANCE_ROLE).json()

    lifetime = epoch(document["Expiration"]) - epoch(document["LastUpdated"])

    assert lifetime == 6 * 3600


def test_a_role_name_the_instance_does_not_have_is_404(imds: httpx.Client) -> None:
    response = imds.get(CREDENTIALS + "some-other-role")

    assert response.status_code == 404


def test_an_instance_without_a_role_answers_404_for_the_name_and_the_credential(
    imds: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    akless_emulator.cloud.set_instance_role(None)

    assert imds.get(CREDENTIALS).status_code == 404
    assert imds.get(CREDENTIALS + INSTANCE_ROLE).status_code == 404


# --- other items ---------------------------------------------------------------------------------


def test_instance_id_and_region_id_are_the_emulated_instances(
    imds: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity

    assert imds.get("/latest/meta-data/instance-id").text == identity.instance_id
    assert imds.get("/latest/meta-data/region-id").text == identity.region_id
    assert identity.region_id == "cn-hangzhou"


def test_the_instance_identity_document_is_json_about_this_instance(
    imds: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity

    response = imds.get("/latest/dynamic/instance-identity/document")

    assert response.status_code == 200
    document = response.json()
    assert document["instance-id"] == identity.instance_id
    assert document["region-id"] == identity.region_id
    assert document["owner-account-id"] == identity.account_id


def test_an_unknown_path_is_404(imds: httpx.Client) -> None:
    assert imds.get("/latest/meta-data/no-such-item").status_code == 404


def test_a_post_is_405(imds: httpx.Client) -> None:
    response = imds.post("/latest/meta-data/instance-id")

    assert response.status_code == 405


# --- rotation, seen through akless's own clients -----------------------------------------------


def test_the_instance_credential_signs_calls_as_the_instance_role_session(
    akless_emulator: EmulatorServer, transport: HttpTransport
) -> None:
    identity = akless_emulator.cloud.identity
    credentials = MetadataClient(akless_emulator.endpoint, transport=transport).role_credentials()

    caller = StsClient(akless_emulator.endpoint, transport=transport).get_caller_identity(
        credentials
    )

    assert caller.identity_type == "AssumedRoleUser"
    assert caller.account_id == identity.account_id
    assert caller.arn == (
        f"acs:ram::{identity.account_id}:assumed-role/{INSTANCE_ROLE}/{identity.instance_id}"
    )


def test_the_same_credential_is_served_until_its_rotation_margin(
    akless_emulator: EmulatorServer, transport: HttpTransport
) -> None:
    # A 24 s lifetime rotates 24/12 = 2 s before expiry, as 6 h rotates 30 min before.
    cloud = akless_emulator.cloud
    cloud.set_credential_lifetime(24)
    metadata = MetadataClient(akless_emulator.endpoint, transport=transport)
    first = metadata.role_credentials()

    cloud.set_clock_offset(21)
    still_first = metadata.role_credentials()
    cloud.set_clock_offset(22.5)
    rotated = metadata.role_credentials()

    assert still_first.access_key_id == first.access_key_id
    assert rotated.access_key_id != first.access_key_id
    assert first.expiration is not None
    assert rotated.expiration is not None
    assert rotated.expiration > first.expiration


def test_a_rotated_out_credential_keeps_signing_until_its_own_expiry(
    akless_emulator: EmulatorServer, transport: HttpTransport
) -> None:
    cloud = akless_emulator.cloud
    cloud.set_credential_lifetime(24)
    metadata = MetadataClient(akless_emulator.endpoint, transport=transport)
    sts = StsClient(akless_emulator.endpoint, transport=transport)
    old = metadata.role_credentials()

    cloud.set_clock_offset(23)  # inside the 2 s margin: a new credential is served
    new = metadata.role_credentials()
    assert new.access_key_id != old.access_key_id
    assert sts.get_caller_identity(old).identity_type == "AssumedRoleUser"
    assert sts.get_caller_identity(new).identity_type == "AssumedRoleUser"

    cloud.set_clock_offset(24.5)  # past the old one's expiry, well before the new one's
    with pytest.raises(ServiceError) as expired:
        sts.get_caller_identity(old)
    assert expired.value.code == "InvalidSecurityToken.Expired"
    assert sts.get_caller_identity(new).identity_type == "AssumedRoleUser"
