"""The emulator's state: a SQLite file keeps it across restarts; ``Cloud.reset()`` brings a
running emulator back to how it started."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from akless._openapi import OpenApiClient
from akless.credentials import Credentials
from akless.emulator import Cloud, EmulatorServer, Fault
from akless.sts import StsClient
from akless.testing import running_emulator
from akless.transport import HttpTransport

TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    """A cloud in memory, served by nothing: the Python API alone."""
    in_memory = Cloud()
    yield in_memory
    in_memory.close()


# --- a state file survives restarts -------------------------------------------------------------


def test_a_state_file_keeps_the_identity_and_the_oidc_signing_key(tmp_path: Path) -> None:
    state = tmp_path / "emulator.db"
    first = Cloud(state)
    identity, jwks = first.identity, first.oidc.jwks()
    first.close()

    second = Cloud(state)
    try:
        assert second.identity == identity
        assert second.oidc.jwks() == jwks
    finally:
        second.close()


def test_a_state_file_keeps_users_keys_roles_and_oidc_providers(tmp_path: Path) -> None:
    state = tmp_path / "emulator.db"
    first = Cloud(state)
    first.create_user("bob")
    key = first.create_access_key("bob")
    first.set_access_key_status(key.access_key_id, "Inactive")
    first.create_role("deployer", trusted=[first.user_arn("bob")])
    first.create_oidc_provider("ack-rrsa-c123")
    first.set_instance_role("deployer")
    first.close()

    second = Cloud(state)
    try:
        stored_key = second.store.get_access_key(key.access_key_id)
        assert second.store.get_user("bob") is not None
        assert stored_key is not None
        assert (stored_key.secret, stored_key.status) == (key.secret, "Inactive")
        assert second.store.get_role("deployer") is not None
        assert second.store.get_oidc_provider("ack-rrsa-c123") is not None
        assert second.instance_role == "deployer"
    finally:
        second.close()


def test_a_user_created_before_a_restart_still_signs_calls_and_old_calls_stay_recorded(
    tmp_path: Path, transport: HttpTransport
) -> None:
    state = tmp_path / "emulator.db"
    with running_emulator(state=state) as first:
        first.cloud.create_user("bob")
        created = first.cloud.create_access_key("bob")
        bob = Credentials(created.access_key_id, created.secret)
        StsClient(first.endpoint, transport=transport).get_caller_identity(bob)
        identity = first.cloud.identity
    transport.close()

    with running_emulator(state=state) as second:
        caller = StsClient(second.endpoint, transport=transport).get_caller_identity(bob)
        calls = second.cloud.store.calls(access_key_id=bob.access_key_id)

    assert second.cloud.identity == identity
    assert caller.arn == f"acs:ram::{identity.account_id}:user/bob"
    assert [call.action for call in calls] == ["GetCallerIdentity", "GetCallerIdentity"]


def test_without_a_state_file_every_cloud_is_a_new_account(cloud: Cloud) -> None:
    other = Cloud()
    try:
        assert other.identity.account_id != cloud.identity.account_id
        assert other.identity.access_key_id != cloud.identity.access_key_id
    finally:
        other.close()


# --- reset --------------------------------------------------------------------------------------


def test_reset_forgets_what_was_created_and_keeps_the_start_up_identity(cloud: Cloud) -> None:
    identity = cloud.identity
    cloud.create_user("bob")
    cloud.create_role("deployer", trusted=[cloud.user_arn("bob")])
    cloud.create_oidc_provider("ack-rrsa-c123")
    cloud.set_access_key_status(identity.access_key_id, "Inactive")

    cloud.reset()

    default_key = cloud.store.get_access_key(identity.access_key_id)
    assert cloud.store.get_user("bob") is None
    assert cloud.store.get_role("deployer") is None
    assert cloud.store.get_oidc_provider("ack-rrsa-c123") is None
    assert default_key is not None
    assert default_key.status == "Active"
    assert cloud.identity == identity


def test_reset_clears_faults(cloud: Cloud) -> None:
    cloud.faults.add(Fault(service="sts", status=503))

    cloud.reset()

    assert cloud.faults.active() == []


def test_reset_sets_the_clock_offset_back_to_zero(cloud: Cloud) -> None:
    cloud.set_clock_offset(3600)

    cloud.reset()

    assert cloud.clock_offset == 0


def test_reset_restores_the_normal_credential_lifetime(cloud: Cloud) -> None:
    cloud.set_credential_lifetime(24)

    cloud.reset()

    session = cloud.instance_credentials()
    assert cloud.credential_lifetime is None
    assert session is not None
    assert session.expiration - session.issued == 6 * 3600


def test_reset_reattaches_the_instance_role(cloud: Cloud) -> None:
    cloud.set_instance_role(None)

    cloud.reset()

    assert cloud.instance_role == "akless-instance-role"


@pytest.mark.parametrize("initially", [False, True])
def test_reset_puts_hardened_only_back_to_its_start_up_value(initially: bool) -> None:
    cloud = Cloud(hardened_only=initially)
    try:
        cloud.set_hardened_only(not initially)

        cloud.reset()

        assert cloud.hardened_only is initially
    finally:
        cloud.close()


def test_reset_forgets_issued_metadata_tokens(akless_emulator: EmulatorServer) -> None:
    with httpx.Client(base_url=akless_emulator.endpoint, trust_env=False) as imds:
        token = imds.put("/latest/api/token", headers={TTL_HEADER: "600"}).text
        before = imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: token})

        akless_emulator.cloud.reset()
        after = imds.get("/latest/meta-data/instance-id", headers={TOKEN_HEADER: token})

    assert before.status_code == 200
    assert after.status_code == 401


def test_reset_forgets_used_signature_nonces(
    akless_emulator: EmulatorServer, transport: HttpTransport
) -> None:
    identity = akless_emulator.cloud.identity
    key = Credentials(identity.access_key_id, identity.access_key_secret)
    signed = OpenApiClient(akless_emulator.endpoint, "2015-04-01").request(
        "GetCallerIdentity", {}, key
    )

    first = transport.send(signed)
    replayed = transport.send(signed)
    akless_emulator.cloud.reset()
    after_reset = transport.send(signed)

    assert first.status == 200
    assert replayed.status == 400
    assert b"SignatureNonceUsed" in replayed.body
    assert after_reset.status == 200


def test_reset_forgets_server_errors(cloud: Cloud) -> None:
    cloud.server_errors.append(RuntimeError("an emulator bug"))

    cloud.reset()

    assert cloud.server_errors == []
