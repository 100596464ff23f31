"""``KmsClient`` against a scripted service: GetSecretValue parsing (rotation schedule, stages),
a RAM secret's AccessKey, and errors that name the secret but never show its data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from akless.kms import KmsClient, SecretValue, resolve_kms_endpoint, rotation_seconds
from tests.conftest import DEAD_ENDPOINT
from tests.library.fake_api import CALLER, PLANTED_SECRET, FakeApi, error

RAM_KEY_SECRET = "ram-secret-key-Pw02nLx"
RAM_DATA = json.dumps(
    {
        "AccessKeyId": "LTAI5tRotatedKeyId00001",
        "AccessKeySecret": RAM_KEY_SECRET,
        "GenerateTimestamp": "2023-03-25T10:42:40Z",
    }
)
RAM_SECRET = {
    "RequestId": "R",
    "SecretName": "app-ak",
    "SecretType": "RAMCredentials",
    "SecretDataType": "text",
    "SecretData": RAM_DATA,
    "VersionId": "v7",
    "VersionStages": {"VersionStage": ["ACSCurrent"]},
    "CreateTime": "2023-03-01T00:00:00Z",
    "AutomaticRotation": "Enabled",
    "RotationInterval": "604800s",
    "LastRotationDate": "2023-03-25T10:42:40Z",
    "NextRotationDate": "2023-04-01T10:42:40Z",
}


def client(**answers: Any) -> tuple[KmsClient, FakeApi]:
    api = FakeApi(answers)
    return KmsClient("http://kms.test", transport=api.transport), api


def secret_with(**changes: Any) -> SecretValue:
    kms, _ = client(GetSecretValue={**RAM_SECRET, **changes})
    return kms.get_secret_value(CALLER, "app-ak")


# --- GetSecretValue -------------------------------------------------------------------------


def test_get_secret_value_reads_the_secret_and_its_schedule() -> None:
    kms, api = client(GetSecretValue=RAM_SECRET)

    secret = kms.get_secret_value(CALLER, "app-ak")

    assert api.last.action == "GetSecretValue"
    assert api.last.params == {"SecretName": "app-ak", "VersionStage": "ACSCurrent"}
    assert secret.name == "app-ak"
    assert secret.secret_type == "RAMCredentials"
    assert secret.is_ram_secret
    assert secret.data == RAM_DATA
    assert secret.version_id == "v7"
    assert secret.version_stages == ("ACSCurrent",)
    assert secret.rotation_interval == 604800.0
    assert secret.last_rotation == 1679740960.0
    assert secret.next_rotation == 1680345760.0
    assert secret.automatic_rotation == "Enabled"
    assert secret.created == 1677628800.0
    assert secret.endpoint == "http://kms.test"


def test_another_version_stage_can_be_asked_for() -> None:
    kms, api = client(GetSecretValue=RAM_SECRET)

    kms.get_secret_value(CALLER, "app-ak", version_stage="ACSPrevious")

    assert api.last.params["VersionStage"] == "ACSPrevious"


def test_a_secret_without_a_schedule_has_none() -> None:
    body = {
        key: value
        for key, value in RAM_SECRET.items()
        if key not in {"RotationInterval", "NextRotationDate", "LastRotationDate", "VersionStages"}
    }
    kms, _ = client(GetSecretValue=body)

    secret = kms.get_secret_value(CALLER, "app-ak")

    assert (secret.rotation_interval, secret.next_rotation, secret.last_rotation) == (
        None,
        None,
        None,
    )
    assert secret.version_stages == ()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("604800s", 604800.0), ("7d", 604800.0), ("6h", 21600.0), ("30m", 1800.0), ("90", 90.0)],
)
def test_rotation_intervals_are_read_in_any_unit(text: str, seconds: float) -> None:
    assert rotation_seconds(text) == seconds
    assert secret_with(RotationInterval=text).rotation_interval == seconds


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"RotationInterval": "weekly"}, "RotationInterval"),
        ({"NextRotationDate": "2023-04-01 10:42:40"}, "NextRotationDate"),
        ({"LastRotationDate": "soon"}, "LastRotationDate"),
        ({"SecretData": None}, "SecretData"),
        ({"SecretData": {"AccessKeySecret": PLANTED_SECRET}}, "SecretData"),
        ({"VersionStages": ["ACSCurrent"]}, "VersionStages"),
    ],
)
def test_a_malformed_secret_answer_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        secret_with(**changes)

    assert caught.value.field == field
    assert caught.value.endpoint == "http://kms.test"
    assert field in str(caught.value)
    assert PLANTED_SECRET not in str(caught.value)


def test_the_secret_data_is_in_no_repr() -> None:
    secret = secret_with()

    assert RAM_KEY_SECRET not in repr(secret)
    assert RAM_KEY_SECRET not in str(secret)
    assert "app-ak" in repr(secret)


def test_an_unknown_secret_is_the_service_error() -> None:
    kms, _ = client(
        GetSecretValue=error(404, "Forbidden.ResourceNotFound", "The resource is not found.")
    )

    with pytest.raises(ServiceError) as caught:
        kms.get_secret_value(CALLER, "nope")

    assert caught.value.code == "Forbidden.ResourceNotFound"
    assert PLANTED_SECRET not in str(caught.value)


# --- the RAM secret's AccessKey -------------------------------------------------------------


def test_a_ram_secret_gives_its_access_key() -> None:
    credentials = secret_with().ram_credentials()

    assert credentials.access_key_id == "LTAI5tRotatedKeyId00001"
    assert credentials.access_key_secret == RAM_KEY_SECRET
    assert credentials.security_token is None
    assert credentials.expiration is None
    assert credentials.provider_name == "kms_ram_secret"
    assert secret_with().ram_credentials(provider_name="x").provider_name == "x"


def test_an_expire_timestamp_becomes_the_expiration() -> None:
    data = json.loads(RAM_DATA) | {"ExpireTimestamp": "2030-01-02T03:04:05Z"}

    credentials = secret_with(SecretData=json.dumps(data)).ram_credentials()

    assert credentials.expiration == 1893553445.0


def test_a_secret_of_another_type_is_a_configuration_error_naming_it() -> None:
    secret = secret_with(SecretType="Generic", SecretData=PLANTED_SECRET)

    with pytest.raises(ConfigurationError) as caught:
        secret.ram_credentials()

    message = str(caught.value)
    assert "'app-ak'" in message
    assert "Generic" in message
    assert "RAMCredentials" in message
    assert PLANTED_SECRET not in message


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (f"{{'AccessKeyId': 'LTAI5tX', 'AccessKeySecret': '{PLANTED_SECRET}'}}", "SecretData"),
        (f'"{PLANTED_SECRET}"', "SecretData"),
        (f'["{PLANTED_SECRET}"]', "SecretData"),
        (json.dumps({"AccessKeySecret": PLANTED_SECRET}), "SecretData.AccessKeyId"),
        (json.dumps({"AccessKeyId": "LTAI5tX"}), "SecretData.AccessKeySecret"),
        (
            json.dumps({"AccessKeyId": "LTAI5tX", "AccessKeySecret": "other-secret"}),
            None,
        ),
        (
            json.dumps(
                {
                    "AccessKeyId": "LTAI5tX",
                    "AccessKeySecret": PLANTED_SECRET,
                    "ExpireTimestamp": "next week",
                }
            ),
            "SecretData.ExpireTimestamp",
        ),
        (
            json.dumps(
                {
                    "AccessKeyId": "LTAI5tX",
                    "AccessKeySecret": PLANTED_SECRET,
                    "GenerateTimestamp": 5,
                }
            ),
            "SecretData.GenerateTimestamp",
        ),
    ],
)
def test_bad_ram_secret_data_is_malformed_naming_the_secret_never_the_data(
    data: str, field: str | None
) -> None:
    secret = secret_with(SecretData=data)

    if field is None:  # the control: well-formed data without a GenerateTimestamp is fine
        assert secret.ram_credentials().access_key_id == "LTAI5tX"
        return
    with pytest.raises(MalformedResponse) as caught:
        secret.ram_credentials()

    error = caught.value
    assert error.field == field
    assert "'app-ak'" in str(error)
    assert PLANTED_SECRET not in str(error)
    assert PLANTED_SECRET not in repr(error)
    assert error.__context__ is None  # the JSON parser's error (holding the data) is not kept


# --- writing and rotating -------------------------------------------------------------------


def test_put_secret_value_sends_the_data_and_version() -> None:
    kms, api = client(PutSecretValue={"RequestId": "R", "SecretName": "app-ak"})

    kms.put_secret_value(CALLER, "app-ak", RAM_DATA, "v8")

    assert api.last.action == "PutSecretValue"
    assert api.last.params == {"SecretName": "app-ak", "SecretData": RAM_DATA, "VersionId": "v8"}


def test_rotate_secret_sends_a_fresh_version_id_unless_given() -> None:
    kms, api = client(RotateSecret={"RequestId": "R", "VersionId": "x"})

    kms.rotate_secret(CALLER, "app-ak")
    kms.rotate_secret(CALLER, "app-ak")
    kms.rotate_secret(CALLER, "app-ak", version_id="retry-1")

    first, second, third = (call.params for call in api.calls)
    assert first["SecretName"] == "app-ak"
    assert first["VersionId"] != second["VersionId"]
    assert third["VersionId"] == "retry-1"


def test_rotating_without_permission_is_the_service_error() -> None:
    kms, _ = client(RotateSecret=error(403, "Forbidden.NoPermission", "not allowed"))

    with pytest.raises(ServiceError) as caught:
        kms.rotate_secret(CALLER, "app-ak")

    assert caught.value.code == "Forbidden.NoPermission"


# --- the endpoint ---------------------------------------------------------------------------


def test_the_endpoint_is_explicit_then_the_variable_then_the_region() -> None:
    environ = {"ALIBABA_CLOUD_KMS_ENDPOINT": "http://127.0.0.1:8080"}

    assert resolve_kms_endpoint("kms.example.test", environ=environ) == "https://kms.example.test"
    assert resolve_kms_endpoint(region_id="eu-central-1", environ=environ) == (
        "http://127.0.0.1:8080"
    )
    assert resolve_kms_endpoint(region_id="eu-central-1", environ={}) == (
        "https://kms.eu-central-1.aliyuncs.com"
    )
    assert resolve_kms_endpoint(environ={"ALIBABA_CLOUD_REGION_ID": "cn-shanghai"}) == (
        "https://kms.cn-shanghai.aliyuncs.com"
    )
    assert resolve_kms_endpoint(environ={}) == "https://kms.cn-hangzhou.aliyuncs.com"


def test_without_arguments_the_endpoint_comes_from_os_environ() -> None:
    assert KmsClient().endpoint == DEAD_ENDPOINT  # pinned by tests/conftest.py
