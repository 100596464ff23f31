"""``RamClient`` against a scripted service: what each action sends, how answers parse, how
errors map, and that a new key's secret shows nowhere but in its own field."""

from __future__ import annotations

from typing import Any

import pytest

from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from akless.ram import (
    AccessKeyInfo,
    AttachedPolicy,
    NewAccessKey,
    RamClient,
    RoleInfo,
    resolve_ram_endpoint,
)
from tests.conftest import DEAD_ENDPOINT
from tests.library.fake_api import CALLER, PLANTED_SECRET, FakeApi, error

NEW_SECRET = "new-key-secret-Hd73kQ"
CREATED = {
    "RequestId": "R",
    "AccessKey": {
        "AccessKeyId": "LTAI5tNewKeyId0000000002",
        "AccessKeySecret": NEW_SECRET,
        "CreateDate": "2024-05-06T07:08:09Z",
        "Status": "Active",
    },
}


def client(**answers: Any) -> tuple[RamClient, FakeApi]:
    api = FakeApi(answers)
    return RamClient("http://ram.test", transport=api.transport), api


# --- AccessKeys -----------------------------------------------------------------------------


def test_create_access_key_returns_the_new_key() -> None:
    ram, api = client(CreateAccessKey=CREATED)

    key = ram.create_access_key(CALLER, user_name="alice")

    assert key == NewAccessKey("LTAI5tNewKeyId0000000002", NEW_SECRET, "Active", 1714979289.0)
    assert api.last.params == {"UserName": "alice"}
    credentials = key.credentials()
    assert (credentials.access_key_id, credentials.access_key_secret) == (
        key.access_key_id,
        NEW_SECRET,
    )
    assert credentials.provider_name == "static_ak"
    assert key.credentials(provider_name="rotated").provider_name == "rotated"


def test_without_a_user_name_the_caller_is_meant() -> None:
    ram, api = client(CreateAccessKey=CREATED, ListAccessKeys={"AccessKeys": {"AccessKey": []}})

    ram.create_access_key(CALLER)
    ram.list_access_keys(CALLER)

    assert [call.params for call in api.calls] == [{}, {}]


@pytest.mark.parametrize(
    "action", ["create_access_key", "list_access_keys", "delete_access_key", "last_used"]
)
def test_a_role_session_must_name_the_user_whose_keys_are_meant(action: str) -> None:
    ram, api = client()
    session = Credentials("STS.NUx8pBk2", PLANTED_SECRET, security_token="token-of-a-session")
    calls = {
        "create_access_key": lambda: ram.create_access_key(session),
        "list_access_keys": lambda: ram.list_access_keys(session),
        "delete_access_key": lambda: ram.delete_access_key(session, "LTAI5tOldKeyId0000000001"),
        "last_used": lambda: ram.get_access_key_last_used(session, "LTAI5tOldKeyId0000000001"),
    }

    with pytest.raises(ConfigurationError, match=r"role session.*--user NAME"):
        calls[action]()

    assert api.calls == []


def test_a_new_keys_secret_is_in_no_repr_or_str() -> None:
    ram, _ = client(CreateAccessKey=CREATED)

    key = ram.create_access_key(CALLER)

    assert NEW_SECRET not in repr(key)
    assert NEW_SECRET not in str(key)
    assert NEW_SECRET not in repr(key.credentials())
    assert "LTAI5tNewKeyId0000000002" in repr(key)


def test_a_third_key_is_refused_with_the_limit_code() -> None:
    ram, _ = client(
        CreateAccessKey=error(
            409,
            "LimitExceeded.User.AccessKey",
            "The access key count of the user access keys beyond the current limits.",
        )
    )

    with pytest.raises(ServiceError) as caught:
        ram.create_access_key(CALLER, user_name="alice")

    assert caught.value.code == "LimitExceeded.User.AccessKey"
    assert caught.value.status == 409
    assert "CreateAccessKey at http://ram.test failed" in str(caught.value)
    assert PLANTED_SECRET not in str(caught.value)


@pytest.mark.parametrize("missing", ["AccessKeyId", "AccessKeySecret", "CreateDate"])
def test_a_created_key_missing_a_field_is_malformed_naming_it(missing: str) -> None:
    body = {"AccessKey": {k: v for k, v in CREATED["AccessKey"].items() if k != missing}}
    ram, _ = client(CreateAccessKey=body)

    with pytest.raises(MalformedResponse) as caught:
        ram.create_access_key(CALLER)

    assert caught.value.field == f"AccessKey.{missing}"
    assert caught.value.endpoint == "http://ram.test"
    assert f"CreateAccessKey at http://ram.test answered without AccessKey.{missing}" in str(
        caught.value
    )
    assert NEW_SECRET not in str(caught.value)


def test_a_secret_of_the_wrong_kind_is_malformed_without_showing_it() -> None:
    body = {"AccessKey": {**CREATED["AccessKey"], "AccessKeySecret": [NEW_SECRET]}}
    ram, _ = client(CreateAccessKey=body)

    with pytest.raises(MalformedResponse) as caught:
        ram.create_access_key(CALLER)

    assert caught.value.field == "AccessKey.AccessKeySecret"
    assert NEW_SECRET not in str(caught.value)
    assert NEW_SECRET not in repr(caught.value)


@pytest.mark.parametrize("status", ["Active", "Inactive"])
def test_update_access_key_sends_the_key_and_status(status: str) -> None:
    ram, api = client(UpdateAccessKey={"RequestId": "R"})

    ram.update_access_key(CALLER, "LTAI5tOldKeyId0000000001", status, user_name="alice")

    assert api.last.params == {
        "UserAccessKeyId": "LTAI5tOldKeyId0000000001",
        "Status": status,
        "UserName": "alice",
    }


@pytest.mark.parametrize("status", ["active", "Disabled", ""])
def test_an_unknown_status_is_refused_before_any_call(status: str) -> None:
    ram, api = client()

    with pytest.raises(ConfigurationError, match="Active or Inactive"):
        ram.update_access_key(CALLER, "LTAI5tOldKeyId0000000001", status)

    assert api.calls == []


def test_deleting_an_unknown_key_is_the_not_found_code() -> None:
    ram, api = client(
        DeleteAccessKey=error(404, "EntityNotExist.User.AccessKey", "The user access key...")
    )

    with pytest.raises(ServiceError) as caught:
        ram.delete_access_key(CALLER, "LTAI5tGoneKeyId000000009")

    assert caught.value.code == "EntityNotExist.User.AccessKey"
    assert caught.value.status == 404
    assert caught.value.request_id == "REQ-1"
    assert api.last.params == {"UserAccessKeyId": "LTAI5tGoneKeyId000000009"}


def test_list_access_keys_reads_the_nested_list() -> None:
    ram, _ = client(
        ListAccessKeys={
            "AccessKeys": {
                "AccessKey": [
                    {
                        "AccessKeyId": "LTAI5tA",
                        "Status": "Active",
                        "CreateDate": "2024-01-01T00:00:00Z",
                    },
                    {
                        "AccessKeyId": "LTAI5tB",
                        "Status": "Inactive",
                        "CreateDate": "2024-01-02T00:00:00Z",
                        "UpdateDate": "2024-01-03T00:00:00Z",  # ignored
                    },
                ]
            }
        }
    )

    keys = ram.list_access_keys(CALLER, user_name="alice")

    assert keys == (
        AccessKeyInfo("LTAI5tA", "Active", 1704067200.0),
        AccessKeyInfo("LTAI5tB", "Inactive", 1704153600.0),
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "AccessKeys"),
        ({"AccessKeys": []}, "AccessKeys"),
        ({"AccessKeys": {"AccessKey": {"AccessKeyId": "x"}}}, "AccessKeys.AccessKey"),
        ({"AccessKeys": {"AccessKey": ["LTAI5tA"]}}, "AccessKeys.AccessKey[0]"),
        (
            {
                "AccessKeys": {
                    "AccessKey": [
                        {
                            "AccessKeyId": "A",
                            "Status": "Active",
                            "CreateDate": "2024-01-01T00:00:00Z",
                        },
                        {"AccessKeyId": "B", "Status": "Active", "CreateDate": "yesterday"},
                    ]
                }
            },
            "AccessKeys.AccessKey[1].CreateDate",
        ),
    ],
)
def test_a_malformed_key_list_names_the_field(body: dict[str, Any], field: str) -> None:
    ram, _ = client(ListAccessKeys=body)

    with pytest.raises(MalformedResponse) as caught:
        ram.list_access_keys(CALLER)

    assert caught.value.field == field
    assert field in str(caught.value)


def test_last_used_is_a_time_or_none_when_never_used() -> None:
    used = {"AccessKeyLastUsed": {"LastUsedDate": "2020-10-16T01:37:37Z"}}
    ram, api = client(GetAccessKeyLastUsed=used)

    assert ram.get_access_key_last_used(CALLER, "LTAI5tA", user_name="bob") == 1602812257.0
    assert api.last.params == {"UserAccessKeyId": "LTAI5tA", "UserName": "bob"}

    for never in ({"AccessKeyLastUsed": {}}, {"AccessKeyLastUsed": {"LastUsedDate": ""}}):
        api.answers["GetAccessKeyLastUsed"] = never
        assert ram.get_access_key_last_used(CALLER, "LTAI5tA") is None


# --- roles ----------------------------------------------------------------------------------


def test_get_role_reads_the_role() -> None:
    ram, api = client(
        GetRole={
            "Role": {
                "RoleName": "deploy",
                "RoleId": "3012345678901234",
                "Arn": "acs:ram::123:role/deploy",
                "MaxSessionDuration": 3600,
                "Description": "CI deploys",
                "AssumeRolePolicyDocument": "{}",
                "CreateDate": "2024-01-01T00:00:00Z",
                "IsServiceLinkedRole": False,  # ignored
            }
        }
    )

    role = ram.get_role(CALLER, "deploy")

    assert role == RoleInfo(
        name="deploy",
        role_id="3012345678901234",
        arn="acs:ram::123:role/deploy",
        max_session_duration=3600,
        description="CI deploys",
        assume_role_policy_document="{}",
        created=1704067200.0,
        updated=None,
    )
    assert api.last.params == {"RoleName": "deploy"}


def test_an_unknown_role_is_the_not_found_code() -> None:
    ram, _ = client(GetRole=error(404, "EntityNotExist.Role", "The role does not exist."))

    with pytest.raises(ServiceError) as caught:
        ram.get_role(CALLER, "nope")

    assert caught.value.code == "EntityNotExist.Role"


def test_list_policies_for_role_reads_each_policy() -> None:
    ram, _ = client(
        ListPoliciesForRole={
            "Policies": {
                "Policy": [
                    {
                        "PolicyName": "AliyunOSSReadOnlyAccess",
                        "PolicyType": "System",
                        "Description": "read OSS",
                        "DefaultVersion": "v1",
                        "AttachDate": "2024-01-01T00:00:00Z",
                    },
                    {"PolicyName": "deploy-extra", "PolicyType": "Custom"},
                ]
            }
        }
    )

    policies = ram.list_policies_for_role(CALLER, "deploy")

    assert policies == (
        AttachedPolicy("AliyunOSSReadOnlyAccess", "System", "read OSS", 1704067200.0, "v1"),
        AttachedPolicy("deploy-extra", "Custom"),
    )


@pytest.mark.parametrize("action", ["attach_policy_to_role", "detach_policy_from_role"])
def test_attaching_and_detaching_send_the_policy_and_role(action: str) -> None:
    ram, api = client(
        AttachPolicyToRole={"RequestId": "R"}, DetachPolicyFromRole={"RequestId": "R"}
    )

    getattr(ram, action)(CALLER, "deploy", "deploy-extra", "Custom")

    assert (
        api.last.action
        == {
            "attach_policy_to_role": "AttachPolicyToRole",
            "detach_policy_from_role": "DetachPolicyFromRole",
        }[action]
    )
    assert api.last.params == {
        "RoleName": "deploy",
        "PolicyName": "deploy-extra",
        "PolicyType": "Custom",
    }


def test_an_unknown_policy_type_is_refused_before_any_call() -> None:
    ram, api = client()

    with pytest.raises(ConfigurationError, match="System or Custom"):
        ram.detach_policy_from_role(CALLER, "deploy", "p", "custom")

    assert api.calls == []


def test_missing_permission_is_the_no_permission_code() -> None:
    ram, _ = client(
        DetachPolicyFromRole=error(403, "NoPermission", "You are not authorized to do this action.")
    )

    with pytest.raises(ServiceError) as caught:
        ram.detach_policy_from_role(CALLER, "deploy", "p", "System")

    assert (caught.value.code, caught.value.status) == ("NoPermission", 403)
    assert PLANTED_SECRET not in str(caught.value)


# --- the endpoint ---------------------------------------------------------------------------


def test_the_endpoint_is_explicit_then_the_variable_then_the_global_host() -> None:
    environ = {"ALIBABA_CLOUD_RAM_ENDPOINT": "http://127.0.0.1:8080/"}

    assert resolve_ram_endpoint("ram.example.test", environ=environ) == "https://ram.example.test"
    assert resolve_ram_endpoint(environ=environ) == "http://127.0.0.1:8080"
    assert resolve_ram_endpoint(environ={}) == "https://ram.aliyuncs.com"
    assert RamClient(environ={"ALIBABA_CLOUD_REGION_ID": "eu-central-1"}).endpoint == (
        "https://ram.aliyuncs.com"
    )


def test_without_arguments_the_endpoint_comes_from_os_environ() -> None:
    assert RamClient().endpoint == DEAD_ENDPOINT  # pinned by tests/conftest.py


def test_an_invalid_endpoint_variable_is_named() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RamClient(environ={"ALIBABA_CLOUD_RAM_ENDPOINT": "ftp://ram.test"})

    assert caught.value.source == "ALIBABA_CLOUD_RAM_ENDPOINT"
