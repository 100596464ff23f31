"""KMS 2016-01-20 secrets in the emulator, through the official ``alibabacloud_kms20160120`` SDK
(both signatures): generic secrets, and RAM secrets that rotate a RAM user's AccessKey.

Wire format, for client writers: RPC-style POST; ``ExtendedConfig`` goes in the query as JSON
(pass a dict to the SDK), ``SecretData`` in the form body. ``GetSecretValue`` of a RAM secret
answers ``SecretData`` as a JSON string ``{"AccessKeyId", "AccessKeySecret",
"GenerateTimestamp"}`` and ``RotationInterval`` in seconds (``"604800s"``).

Rotation (``cloud_kms.py``): a new key becomes ``ACSCurrent``, the old one ``ACSPrevious`` and
stays active for the secret's grace period, then is disabled. The tests shorten intervals with
the Python API and move the emulated clock (by less than the gateway's 15-minute skew limit)
instead of sleeping.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_ram20150501 import models as ram_models

from akless.emulator import EmulatorServer
from tests.emulator.helpers import Key
from tests.emulator.official_clients import SIGNATURES, fails, key_of, kms, ram, seeded_key

pytestmark = pytest.mark.parametrize("signature", SIGNATURES)
RAM_SECRET_KEYS = {
    "RequestId",
    "SecretName",
    "SecretType",
    "SecretDataType",
    "SecretData",
    "VersionId",
    "VersionStages",
    "CreateTime",
    "AutomaticRotation",
    "RotationInterval",
    "LastRotationDate",
    "NextRotationDate",
    "ExtendedConfig",
}


def admin_kms(emulator: EmulatorServer, signature: str | None) -> KmsClient:
    return kms(emulator, seeded_key(emulator), signature)


def value(client: KmsClient, name: str, stage: str = "ACSCurrent") -> dict[str, object]:
    request = kms_models.GetSecretValueRequest(
        secret_name=name, version_stage=stage, fetch_extended_config=True
    )
    body: dict[str, object] = client.get_secret_value(request).body.to_map()
    return body


def current_key(client: KmsClient, name: str, stage: str = "ACSCurrent") -> Key:
    data = json.loads(str(value(client, name, stage)["SecretData"]))
    return Key(data["AccessKeyId"], data["AccessKeySecret"])


def can_call(emulator: EmulatorServer, key: Key, signature: str | None) -> bool | str:
    """``True`` if ``key`` signs a RAM call successfully, else the error code."""
    try:
        ram(emulator, key, signature).list_access_keys(ram_models.ListAccessKeysRequest())
    except Exception as error:
        return str(getattr(error, "code", error))
    return True


def create_ram_secret(client: KmsClient, name: str, user: str, keys: list[Key]) -> None:
    listed = [{"AccessKeyId": k.access_key_id, "AccessKeySecret": k.secret} for k in keys]
    client.create_secret(
        kms_models.CreateSecretRequest(
            secret_name=name,
            secret_type="RAMCredentials",
            extended_config={"SecretSubType": "RamUserAccessKey", "UserName": user},
            secret_data=json.dumps({"AccessKeys": listed}),
            enable_automatic_rotation=True,
            rotation_interval="7d",
        )
    )


# --- generic secrets ------------------------------------------------------------------------


def test_generic_secret_versions_move_between_stages(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = admin_kms(akless_emulator, signature)
    client.create_secret(
        kms_models.CreateSecretRequest(secret_name="db", secret_data="one", version_id="v1")
    )

    client.put_secret_value(
        kms_models.PutSecretValueRequest(secret_name="db", secret_data="two", version_id="v2")
    )

    current, previous = value(client, "db"), value(client, "db", "ACSPrevious")
    assert (current["SecretData"], current["VersionId"]) == ("two", "v2")
    assert (previous["SecretData"], previous["VersionId"]) == ("one", "v1")
    assert current["SecretType"] == "Generic"
    assert current["AutomaticRotation"] == "Invalid"
    assert "ExtendedConfig" not in current
    described = client.describe_secret(kms_models.DescribeSecretRequest(secret_name="db")).body
    assert described.secret_name == "db"
    listed = client.list_secrets(kms_models.ListSecretsRequest()).body
    assert [s.secret_name for s in listed.secret_list.secret] == ["db"]


def test_unknown_and_deleted_secrets_are_not_found(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = admin_kms(akless_emulator, signature)
    client.create_secret(kms_models.CreateSecretRequest(secret_name="db", secret_data="x"))
    fails(
        lambda: client.create_secret(
            kms_models.CreateSecretRequest(secret_name="db", secret_data="y")
        ),
        400,
        "Rejected.ResourceExist",
    )

    client.delete_secret(kms_models.DeleteSecretRequest(secret_name="db"))

    fails(lambda: value(client, "db"), 404, "Forbidden.ResourceNotFound")
    fails(lambda: value(client, "never"), 404, "Forbidden.ResourceNotFound")


def test_kms_needs_a_policy(akless_emulator: EmulatorServer, signature: str | None) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    cloud.create_user("secrets-admin", policies=["AliyunKMSSecretAdminAccess"])
    app = kms(akless_emulator, key_of(cloud.create_access_key("app")), signature)
    owner = kms(akless_emulator, key_of(cloud.create_access_key("secrets-admin")), signature)
    cloud.create_secret("db", "x")

    fails(lambda: value(app, "db"), 403, "Forbidden.NoPermission")
    assert value(owner, "db")["SecretData"] == "x"


# --- RAM secrets ----------------------------------------------------------------------------


def test_ram_secret_answers_the_plugin_shape(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    app_key = key_of(cloud.create_access_key("app"))
    client = admin_kms(akless_emulator, signature)

    create_ram_secret(client, "app-ak", "app", [app_key])
    body = value(client, "app-ak")

    assert set(body) == RAM_SECRET_KEYS
    assert body["SecretType"] == "RAMCredentials"
    assert body["RotationInterval"] == "604800s"
    assert body["AutomaticRotation"] == "Enabled"
    assert body["VersionStages"] == {"VersionStage": ["ACSCurrent"]}
    data = json.loads(str(body["SecretData"]))
    assert set(data) == {"AccessKeyId", "AccessKeySecret", "GenerateTimestamp"}
    assert Key(data["AccessKeyId"], data["AccessKeySecret"]) == app_key
    assert json.loads(str(body["ExtendedConfig"]))["UserName"] == "app"
    fails(lambda: value(client, "app-ak", "ACSPrevious"), 404, "Forbidden.ResourceNotFound")


def test_ram_secret_creation_checks_its_inputs(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    first = key_of(cloud.create_access_key("app"))
    cloud.create_access_key("app")
    client = admin_kms(akless_emulator, signature)

    fails(  # the user has two keys: both must be listed
        lambda: create_ram_secret(client, "s", "app", [first]), 400, "InvalidParameter.SecretData"
    )
    fails(lambda: create_ram_secret(client, "s", "ghost", []), 404, "EntityNotExist.User")
    request = kms_models.CreateSecretRequest(
        secret_name="s",
        secret_type="RAMCredentials",
        extended_config={"SecretSubType": "RamUserAccessKey", "UserName": "app"},
        secret_data="{}",
        enable_automatic_rotation=True,
        rotation_interval="1h",  # under the 6 h minimum
    )
    fails(lambda: client.create_secret(request), 400, "InvalidParameter.RotationInterval")


def test_put_secret_value_is_refused_for_a_ram_secret(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    cloud.create_ram_secret("app-ak", "app")
    request = kms_models.PutSecretValueRequest(
        secret_name="app-ak", secret_data="{}", version_id="v9"
    )

    error = fails(
        lambda: admin_kms(akless_emulator, signature).put_secret_value(request),
        400,
        "UnsupportedOperation",
    )

    assert "RotateSecret" in error.data["Message"]


def test_rotation_keeps_the_old_key_working_for_the_grace_period(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    old = key_of(cloud.create_access_key("app"))
    cloud.create_ram_secret("app-ak", "app", grace=60)
    client = admin_kms(akless_emulator, signature)

    rotated = client.rotate_secret(kms_models.RotateSecretRequest(secret_name="app-ak")).body

    new = current_key(client, "app-ak")
    assert new != old
    assert value(client, "app-ak")["VersionId"] == rotated.version_id
    assert current_key(client, "app-ak", "ACSPrevious") == old
    assert can_call(akless_emulator, old, signature) is True  # within the grace period
    assert can_call(akless_emulator, new, signature) is True
    fails(  # a rotation is still in progress
        lambda: client.rotate_secret(kms_models.RotateSecretRequest(secret_name="app-ak")),
        400,
        "Rejected.Rotating",
    )

    cloud.set_clock_offset(61)

    assert can_call(akless_emulator, old, signature) == "InvalidAccessKeyId.Inactive"
    assert can_call(akless_emulator, new, signature) is True
    client.rotate_secret(kms_models.RotateSecretRequest(secret_name="app-ak"))  # allowed again


def test_rotation_deletes_the_users_other_key_first(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    current = key_of(cloud.create_access_key("app"))
    other = key_of(cloud.create_access_key("app"))
    cloud.create_ram_secret("app-ak", "app", access_key_id=current.access_key_id)

    admin_kms(akless_emulator, signature).rotate_secret(
        kms_models.RotateSecretRequest(secret_name="app-ak")
    )

    ids = [key.access_key_id for key in cloud.list_access_keys("app")]
    assert len(ids) == 2
    assert current.access_key_id in ids
    assert other.access_key_id not in ids


def test_automatic_rotation_happens_when_next_rotation_date_passes(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    old = key_of(cloud.create_access_key("app"))
    cloud.create_ram_secret("app-ak", "app", rotation_interval=300)  # grace: 300/12 = 25 s
    client = admin_kms(akless_emulator, signature)
    assert current_key(client, "app-ak") == old

    cloud.set_clock_offset(301)

    assert current_key(client, "app-ak") != old
    assert can_call(akless_emulator, old, signature) is True
    cloud.set_clock_offset(327)
    assert can_call(akless_emulator, old, signature) == "InvalidAccessKeyId.Inactive"


def test_due_rotations_apply_on_python_api_reads_without_any_request(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    first = cloud.create_ram_secret("app-ak", "app", rotation_interval=300, grace=10)
    before = cloud.secret_value(first.name)

    cloud.set_clock_offset(311)

    after = cloud.secret_value("app-ak")
    assert after.version_id != before.version_id
    statuses = {key.access_key_id: key.status for key in cloud.list_access_keys("app")}
    assert statuses[json.loads(before.data)["AccessKeyId"]] == "Inactive"
    assert statuses[json.loads(after.data)["AccessKeyId"]] == "Active"


def test_deleting_a_ram_secret_leaves_the_users_keys(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    key = key_of(cloud.create_access_key("app"))
    cloud.create_ram_secret("app-ak", "app")

    admin_kms(akless_emulator, signature).delete_secret(
        kms_models.DeleteSecretRequest(secret_name="app-ak")
    )

    assert [k.access_key_id for k in cloud.list_access_keys("app")] == [key.access_key_id]
    assert can_call(akless_emulator, key, signature) is True
