"""RAM 2015-05-01 AccessKeys in the emulator, through the official ``alibabacloud_ram20150501``
SDK (every test with both signatures): two keys per user, Active/Inactive, last use, and who
may manage whose keys.

Wire format, for client writers: RPC-style POST, parameters in the query; ``ListAccessKeys``
answers ``{"AccessKeys": {"AccessKey": [{"AccessKeyId", "Status", "CreateDate"}]}}``,
``CreateAccessKey`` ``{"AccessKey": {"AccessKeyId", "AccessKeySecret", "Status",
"CreateDate"}}``, dates as ``YYYY-MM-DDThh:mm:ssZ``.
"""

from __future__ import annotations

import re

import pytest
from alibabacloud_ram20150501 import models as ram_models

from akless.emulator import EmulatorServer
from tests.emulator.helpers import Key
from tests.emulator.official_clients import SIGNATURES, fails, key_of, ram, seeded_key

DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
pytestmark = pytest.mark.parametrize("signature", SIGNATURES)


def new_user(emulator: EmulatorServer, name: str, *policies: str) -> Key:
    """A RAM user with one AccessKey and the given system policies."""
    emulator.cloud.create_user(name, policies=policies)
    return key_of(emulator.cloud.create_access_key(name))


def test_a_user_creates_lists_and_deletes_its_own_keys_without_any_policy(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    alice = new_user(akless_emulator, "alice")
    client = ram(akless_emulator, alice, signature)

    created = client.create_access_key(ram_models.CreateAccessKeyRequest()).body.access_key
    listed = client.list_access_keys(ram_models.ListAccessKeysRequest()).body.access_keys

    assert created.status == "Active"
    assert DATE.fullmatch(created.create_date)
    assert len(created.access_key_secret) == 30
    assert [k.access_key_id for k in listed.access_key] == [
        alice.access_key_id,
        created.access_key_id,
    ]
    assert listed.access_key[1].to_map().keys() == {"AccessKeyId", "Status", "CreateDate"}

    client.delete_access_key(
        ram_models.DeleteAccessKeyRequest(user_access_key_id=created.access_key_id)
    )
    remaining = client.list_access_keys(ram_models.ListAccessKeysRequest(user_name="alice"))
    assert [k.access_key_id for k in remaining.body.access_keys.access_key] == [alice.access_key_id]


def test_a_third_key_exceeds_the_limit_of_two(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, new_user(akless_emulator, "alice"), signature)
    client.create_access_key(ram_models.CreateAccessKeyRequest(user_name="alice"))

    error = fails(
        lambda: client.create_access_key(ram_models.CreateAccessKeyRequest()),
        409,
        "LimitExceeded.User.AccessKey",
    )

    assert "beyond the current limits" in error.message


def test_a_disabled_key_is_refused_and_can_be_enabled_again(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    alice = new_user(akless_emulator, "alice")
    spare = key_of(akless_emulator.cloud.create_access_key("alice"))
    client = ram(akless_emulator, alice, signature)

    def set_status(status: str) -> None:
        request = ram_models.UpdateAccessKeyRequest(
            user_access_key_id=spare.access_key_id, status=status
        )
        client.update_access_key(request)

    set_status("Inactive")
    spare_client = ram(akless_emulator, spare, signature)
    fails(
        lambda: spare_client.list_access_keys(ram_models.ListAccessKeysRequest()),
        400,
        "InvalidAccessKeyId.Inactive",
    )
    listed = client.list_access_keys(ram_models.ListAccessKeysRequest()).body
    assert [k.status for k in listed.access_keys.access_key] == ["Active", "Inactive"]

    set_status("Active")
    spare_client.list_access_keys(ram_models.ListAccessKeysRequest())


def test_status_must_be_active_or_inactive(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    alice = new_user(akless_emulator, "alice")
    request = ram_models.UpdateAccessKeyRequest(
        user_access_key_id=alice.access_key_id, status="Disabled"
    )

    fails(
        lambda: ram(akless_emulator, alice, signature).update_access_key(request),
        400,
        "InvalidParameter.Status",
    )


def test_last_used_date_comes_from_the_gateway(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    alice = new_user(akless_emulator, "alice")
    unused = key_of(akless_emulator.cloud.create_access_key("alice"))
    client = ram(akless_emulator, alice, signature)

    def last_used(key: Key) -> str | None:
        request = ram_models.GetAccessKeyLastUsedRequest(user_access_key_id=key.access_key_id)
        return client.get_access_key_last_used(request).body.access_key_last_used.last_used_date

    used = last_used(alice)  # this very call used alice's key

    assert used is not None
    assert DATE.fullmatch(used)
    assert last_used(unused) is None  # never used: no LastUsedDate at all


def test_a_user_without_policies_cannot_touch_another_users_keys(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    new_user(akless_emulator, "alice")
    bob = ram(akless_emulator, new_user(akless_emulator, "bob"), signature)

    error = fails(
        lambda: bob.list_access_keys(ram_models.ListAccessKeysRequest(user_name="alice")),
        403,
        "NoPermission",
    )
    fails(
        lambda: bob.create_access_key(ram_models.CreateAccessKeyRequest(user_name="alice")),
        403,
        "NoPermission",
    )

    assert error.data["Message"] == "You are not authorized to do this action."


def test_ram_full_access_manages_every_users_keys(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    alice = new_user(akless_emulator, "alice")
    admin = ram(
        akless_emulator, new_user(akless_emulator, "admin", "AliyunRAMFullAccess"), signature
    )

    admin.update_access_key(
        ram_models.UpdateAccessKeyRequest(
            user_name="alice", user_access_key_id=alice.access_key_id, status="Inactive"
        )
    )

    assert akless_emulator.cloud.list_access_keys("alice")[0].status == "Inactive"


def test_read_only_access_lists_but_does_not_create(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    new_user(akless_emulator, "alice")
    reader = ram(
        akless_emulator, new_user(akless_emulator, "auditor", "AliyunRAMReadOnlyAccess"), signature
    )

    reader.list_access_keys(ram_models.ListAccessKeysRequest(user_name="alice"))
    fails(
        lambda: reader.create_access_key(ram_models.CreateAccessKeyRequest(user_name="alice")),
        403,
        "NoPermission",
    )


def test_unknown_users_and_keys_and_keys_of_another_user(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    alice = new_user(akless_emulator, "alice")
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)

    fails(
        lambda: client.list_access_keys(ram_models.ListAccessKeysRequest(user_name="nobody")),
        404,
        "EntityNotExist.User",
    )
    fails(
        lambda: client.delete_access_key(
            ram_models.DeleteAccessKeyRequest(user_access_key_id="LTAI5tNoSuchKey0000000000")
        ),
        404,
        "EntityNotExist.User.AccessKey",
    )
    # alice's key exists, but not as a key of akless-dev (the caller, the default UserName)
    fails(
        lambda: client.delete_access_key(
            ram_models.DeleteAccessKeyRequest(user_access_key_id=alice.access_key_id)
        ),
        404,
        "EntityNotExist.User.AccessKey",
    )


def test_a_role_session_must_name_the_user(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    role = cloud.store.get_role("akless-dev-role")
    assert role is not None
    session = cloud.issue_session(role, "s1", source="test", duration=3600)
    client = ram(
        akless_emulator,
        Key(session.access_key_id, session.secret, session.security_token),
        signature,
    )

    fails(
        lambda: client.list_access_keys(ram_models.ListAccessKeysRequest()),
        400,
        "MissingUserName",
    )
    listed = client.list_access_keys(ram_models.ListAccessKeysRequest(user_name="akless-dev"))
    assert len(listed.body.access_keys.access_key) == 1
