"""RAM 2015-05-01 roles and their policies in the emulator, through the official SDKs: GetRole,
ListPoliciesForRole, AttachPolicyToRole, DetachPolicyFromRole, DeleteRole, and what they do to
the role's STS sessions.

Revocation: detaching a role's last policy, or deleting the role, kills every STS credential of
that role issued until then, on every call (``InvalidSecurityToken.Expired``, as for an expired
token). Attaching a policy again does not revive them; sessions assumed afterwards work.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config

from akless.emulator import EmulatorServer
from tests.emulator.helpers import Key
from tests.emulator.official_clients import SIGNATURES, fails, key_of, ram, seeded_key

ROLE = "akless-dev-role"
pytestmark = pytest.mark.parametrize("signature", SIGNATURES)


def sts(emulator: EmulatorServer, key: Key, signature: str | None) -> StsClient:
    return StsClient(
        Config(
            access_key_id=key.access_key_id,
            access_key_secret=key.secret,
            security_token=key.security_token,
            endpoint=emulator.endpoint.split("://", 1)[1],
            protocol="http",
            signature_algorithm=signature,
        )
    )


def assume(emulator: EmulatorServer, signature: str | None, session: str = "s1") -> Key:
    """AssumeRole of the seeded role by the seeded user; the session's credential."""
    request = sts_models.AssumeRoleRequest(
        role_arn=emulator.cloud.identity.role_arn, role_session_name=session
    )
    body = sts(emulator, seeded_key(emulator), signature).assume_role(request).body
    credentials = body.credentials
    return Key(credentials.access_key_id, credentials.access_key_secret, credentials.security_token)


def whoami(emulator: EmulatorServer, key: Key, signature: str | None) -> str:
    return str(sts(emulator, key, signature).get_caller_identity().body.arn)


def detach(client: object, policy: str = "AdministratorAccess", role: str = ROLE) -> None:
    request = ram_models.DetachPolicyFromRoleRequest(
        policy_name=policy, policy_type="System", role_name=role
    )
    client.detach_policy_from_role(request)  # type: ignore[attr-defined]


def attach(client: object, policy: str = "AdministratorAccess", role: str = ROLE) -> None:
    request = ram_models.AttachPolicyToRoleRequest(
        policy_name=policy, policy_type="System", role_name=role
    )
    client.attach_policy_to_role(request)  # type: ignore[attr-defined]


def test_get_role_describes_the_role_and_its_trust_policy(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)

    role = client.get_role(ram_models.GetRoleRequest(role_name=ROLE)).body.role

    assert role.role_name == ROLE
    assert role.arn == akless_emulator.cloud.identity.role_arn
    assert role.max_session_duration == 3600
    trust = json.loads(role.assume_role_policy_document)
    assert trust["Statement"][0]["Action"] == "sts:AssumeRole"
    fails(
        lambda: client.get_role(ram_models.GetRoleRequest(role_name="nope")),
        404,
        "EntityNotExist.Role",
    )


def test_roles_start_with_administrator_access_and_policies_attach_and_detach(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)

    def names() -> list[str]:
        request = ram_models.ListPoliciesForRoleRequest(role_name=ROLE)
        policies = client.list_policies_for_role(request).body.policies.policy
        return [p.policy_name for p in policies]

    first = client.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=ROLE))
    policy = first.body.policies.policy[0]
    assert (policy.policy_name, policy.policy_type, policy.default_version) == (
        "AdministratorAccess",
        "System",
        "v1",
    )

    attach(client, "AliyunKMSFullAccess")
    assert names() == ["AdministratorAccess", "AliyunKMSFullAccess"]
    detach(client, "AdministratorAccess")
    assert names() == ["AliyunKMSFullAccess"]


def test_policy_errors(akless_emulator: EmulatorServer, signature: str | None) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)

    fails(lambda: attach(client, "AdministratorAccess"), 409, "EntityAlreadyExists.Role.Policy")
    fails(lambda: attach(client, "NoSuchPolicy"), 404, "EntityNotExist.Policy")
    fails(lambda: attach(client, role="nope"), 404, "EntityNotExist.Role")
    fails(lambda: detach(client, "AliyunKMSFullAccess"), 404, "EntityNotExist.Role.Policy")
    fails(
        lambda: client.attach_policy_to_role(
            ram_models.AttachPolicyToRoleRequest(
                policy_name="AdministratorAccess", policy_type="Managed", role_name=ROLE
            )
        ),
        400,
        "InvalidParameter.PolicyType",
    )


def test_a_custom_policy_attaches_with_policy_type_custom(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    document = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*"}]}
    akless_emulator.cloud.create_policy("kms-only", document)
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)

    client.attach_policy_to_role(
        ram_models.AttachPolicyToRoleRequest(
            policy_name="kms-only", policy_type="Custom", role_name=ROLE
        )
    )

    attached = akless_emulator.cloud.list_policies_for_role(ROLE)
    assert [(a.policy_name, a.policy_type) for a in attached][-1] == ("kms-only", "Custom")


def test_delete_role_conflicts_while_a_policy_is_attached(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)

    error = fails(
        lambda: client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE)),
        409,
        "DeleteConflict.Role.Policy",
    )
    assert "attached policy" in error.message

    detach(client)
    client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE))
    fails(
        lambda: client.get_role(ram_models.GetRoleRequest(role_name=ROLE)),
        404,
        "EntityNotExist.Role",
    )


def test_detaching_the_last_policy_kills_existing_sessions_not_later_ones(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)
    before = assume(akless_emulator, signature, "before")
    whoami(akless_emulator, before, signature)

    detach(client)

    fails(lambda: whoami(akless_emulator, before, signature), 400, "InvalidSecurityToken.Expired")
    fails(
        lambda: ram(akless_emulator, before, signature).get_role(
            ram_models.GetRoleRequest(role_name=ROLE)
        ),
        400,
        "InvalidSecurityToken.Expired",
    )

    attach(client)
    fails(  # re-attaching revives nothing
        lambda: whoami(akless_emulator, before, signature), 400, "InvalidSecurityToken.Expired"
    )
    after = assume(akless_emulator, signature, "after")
    assert whoami(akless_emulator, after, signature).endswith("/after")
    ram(akless_emulator, after, signature).get_role(ram_models.GetRoleRequest(role_name=ROLE))


def test_detaching_one_of_two_policies_revokes_nothing(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)
    attach(client, "AliyunRAMReadOnlyAccess")
    session = assume(akless_emulator, signature)

    detach(client)

    whoami(akless_emulator, session, signature)
    session_ram = ram(akless_emulator, session, signature)
    session_ram.get_role(ram_models.GetRoleRequest(role_name=ROLE))  # read-only still allows
    fails(lambda: detach(session_ram, "AliyunRAMReadOnlyAccess"), 403, "NoPermission")


def test_deleting_the_role_kills_its_sessions(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = ram(akless_emulator, seeded_key(akless_emulator), signature)
    session = assume(akless_emulator, signature)
    akless_emulator.cloud.detach_policy_from_role(ROLE, "AdministratorAccess")
    akless_emulator.cloud.attach_policy_to_role(ROLE, "AliyunKMSFullAccess")
    later = assume(akless_emulator, signature, "later")
    akless_emulator.cloud.detach_policy_from_role(ROLE, "AliyunKMSFullAccess")

    client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE))

    for key in (session, later):
        fails(
            lambda k=key: whoami(akless_emulator, k, signature), 400, "InvalidSecurityToken.Expired"
        )


def test_a_session_of_a_role_without_policies_may_not_call_ram(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_role("bare", trusted=[cloud.user_arn("akless-dev")], policies=())
    role = cloud.store.get_role("bare")
    assert role is not None
    session = cloud.issue_session(role, "s1", source="test", duration=3600)
    key = Key(session.access_key_id, session.secret, session.security_token)

    fails(
        lambda: ram(akless_emulator, key, signature).get_role(
            ram_models.GetRoleRequest(role_name="bare")
        ),
        403,
        "NoPermission",
    )
    whoami(akless_emulator, key, signature)  # STS is not gated by policies


def test_user_policies_attach_list_and_detach(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("alice")
    alice = key_of(cloud.create_access_key("alice"))
    admin = ram(akless_emulator, seeded_key(akless_emulator), signature)
    alice_ram = ram(akless_emulator, alice, signature)
    get_role = ram_models.GetRoleRequest(role_name=ROLE)
    fails(lambda: alice_ram.get_role(get_role), 403, "NoPermission")

    admin.attach_policy_to_user(
        ram_models.AttachPolicyToUserRequest(
            policy_name="AliyunRAMReadOnlyAccess", policy_type="System", user_name="alice"
        )
    )
    listed = admin.list_policies_for_user(ram_models.ListPoliciesForUserRequest(user_name="alice"))

    assert [p.policy_name for p in listed.body.policies.policy] == ["AliyunRAMReadOnlyAccess"]
    alice_ram.get_role(get_role)
    admin.detach_policy_from_user(
        ram_models.DetachPolicyFromUserRequest(
            policy_name="AliyunRAMReadOnlyAccess", policy_type="System", user_name="alice"
        )
    )
    fails(lambda: alice_ram.get_role(get_role), 403, "NoPermission")
