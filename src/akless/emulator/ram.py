"""RAM 2015-05-01: AccessKeys (two per user), role policies and roles, user policies.

Parameters, response shapes and errors follow section 6 of the protocol fact sheet. Every action
needs an allowing policy (``permissions.py``: ``NoPermission``, 403), except that a RAM user may
manage its own AccessKeys (``CreateAccessKey``, ``UpdateAccessKey``, ``DeleteAccessKey``,
``ListAccessKeys``, ``GetAccessKeyLastUsed`` naming itself or no user at all).

Emulator choices where the fact sheet is silent: attaching a policy twice answers
``EntityAlreadyExists.Role.Policy`` (``.User.Policy``) 409; detaching one that is not attached
``EntityNotExist.Role.Policy`` (``.User.Policy``) 404; an AccessKey call without ``UserName`` by
a role session ``MissingUserName``; ``GetAccessKeyLastUsed`` of a never-used key has no
``LastUsedDate``. Detaching a role's last policy and ``DeleteRole`` revoke the role's sessions
(see ``cloud_iam.py``).
"""

from __future__ import annotations

import json
from typing import Any

from akless._time import format_timestamp
from akless.emulator import permissions
from akless.emulator.errors import invalid, missing
from akless.emulator.principals import role_arn
from akless.emulator.records import AccessKey, PolicyAttachment, User
from akless.emulator.services import ActionContext, Service

VERSION = "2015-05-01"
_SELF_SERVICE = frozenset(
    {
        "CreateAccessKey",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
    }
)


def _authorize(ctx: ActionContext) -> None:
    permissions.require(ctx.cloud.store, ctx.caller, f"ram:{ctx.request.action}")


def _key_owner(ctx: ActionContext) -> User:
    """The user an AccessKey action is about, once the caller may act on its keys."""
    name = ctx.optional("UserName")
    caller_user = ctx.caller.user
    if name is None:
        if caller_user is None:
            raise missing("UserName")
        name = caller_user.name
    own = caller_user is not None and caller_user.name.lower() == name.lower()
    if not (own and ctx.request.action in _SELF_SERVICE):
        _authorize(ctx)
    return ctx.cloud.require_user(name)


def _key_json(key: AccessKey) -> dict[str, Any]:
    return {
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": format_timestamp(key.created),
    }


def create_access_key(ctx: ActionContext) -> dict[str, Any]:
    """A new AccessKey for the user (at most two per user); its secret is shown only here."""
    key = ctx.cloud.new_access_key(_key_owner(ctx).name)
    return {"AccessKey": {**_key_json(key), "AccessKeySecret": key.secret}}


def update_access_key(ctx: ActionContext) -> dict[str, Any]:
    """Enable or disable an AccessKey."""
    user = _key_owner(ctx)
    key_id = ctx.required("UserAccessKeyId")
    status = ctx.required("Status")
    if status not in ("Active", "Inactive"):
        raise invalid("Status", "The parameter Status must be Active or Inactive.")
    key = ctx.cloud.user_access_key(user.name, key_id)
    ctx.cloud.set_access_key_status(key.access_key_id, status)
    return {}


def delete_access_key(ctx: ActionContext) -> dict[str, Any]:
    """Delete an AccessKey."""
    user = _key_owner(ctx)
    key = ctx.cloud.user_access_key(user.name, ctx.required("UserAccessKeyId"))
    ctx.cloud.delete_access_key(key.access_key_id)
    return {}


def list_access_keys(ctx: ActionContext) -> dict[str, Any]:
    """The user's AccessKeys (without secrets)."""
    user = _key_owner(ctx)
    keys = ctx.cloud.list_access_keys(user.name)
    return {"AccessKeys": {"AccessKey": [_key_json(key) for key in keys]}}


def get_access_key_last_used(ctx: ActionContext) -> dict[str, Any]:
    """When the gateway last accepted a call signed with the AccessKey."""
    user = _key_owner(ctx)
    key = ctx.cloud.user_access_key(user.name, ctx.required("UserAccessKeyId"))
    if key.last_used is None:
        return {"AccessKeyLastUsed": {}}
    return {"AccessKeyLastUsed": {"LastUsedDate": format_timestamp(key.last_used)}}


def get_role(ctx: ActionContext) -> dict[str, Any]:
    """A role and its trust policy."""
    _authorize(ctx)
    role = ctx.cloud.require_role(ctx.required("RoleName"))
    account = ctx.cloud.account_id
    created = format_timestamp(role.created)
    return {
        "Role": {
            "RoleId": role.role_id,
            "RoleName": role.name,
            "Arn": role_arn(account, role.name),
            "AssumeRolePolicyDocument": json.dumps(role.trust_policy, indent=2),
            "Description": role.description,
            "MaxSessionDuration": role.max_session_duration,
            "CreateDate": created,
            "UpdateDate": created,
            "IsServiceLinkedRole": False,
            "RolePrincipalName": f"{role.name}@role.{account}.onaliyunservice.com",
        }
    }


def _policies_json(ctx: ActionContext, attachments: list[PolicyAttachment]) -> dict[str, Any]:
    store = ctx.cloud.store
    return {
        "Policies": {
            "Policy": [
                {
                    "PolicyName": item.policy_name,
                    "PolicyType": item.policy_type,
                    "Description": permissions.policy_description(
                        store, item.policy_name, item.policy_type
                    ),
                    "DefaultVersion": "v1",
                    "AttachDate": format_timestamp(item.attached),
                }
                for item in attachments
            ]
        }
    }


def _policy_params(ctx: ActionContext) -> tuple[str, str]:
    return ctx.required("PolicyName"), ctx.required("PolicyType")


def list_policies_for_role(ctx: ActionContext) -> dict[str, Any]:
    """The policies attached to a role."""
    _authorize(ctx)
    return _policies_json(ctx, ctx.cloud.list_policies_for_role(ctx.required("RoleName")))


def attach_policy_to_role(ctx: ActionContext) -> dict[str, Any]:
    """Attach a system or custom policy to a role."""
    _authorize(ctx)
    name, kind = _policy_params(ctx)
    ctx.cloud.attach_policy_to_role(ctx.required("RoleName"), name, kind)
    return {}


def detach_policy_from_role(ctx: ActionContext) -> dict[str, Any]:
    """Detach a policy from a role (the last one: the role's sessions are revoked)."""
    _authorize(ctx)
    name, kind = _policy_params(ctx)
    ctx.cloud.detach_policy_from_role(ctx.required("RoleName"), name, kind)
    return {}


def delete_role(ctx: ActionContext) -> dict[str, Any]:
    """Delete a role that has no policy attached; its sessions are revoked."""
    _authorize(ctx)
    ctx.cloud.delete_role(ctx.required("RoleName"))
    return {}


def list_policies_for_user(ctx: ActionContext) -> dict[str, Any]:
    """The policies attached to a RAM user."""
    _authorize(ctx)
    return _policies_json(ctx, ctx.cloud.list_policies_for_user(ctx.required("UserName")))


def attach_policy_to_user(ctx: ActionContext) -> dict[str, Any]:
    """Attach a system or custom policy to a RAM user."""
    _authorize(ctx)
    name, kind = _policy_params(ctx)
    ctx.cloud.attach_policy_to_user(ctx.required("UserName"), name, kind)
    return {}


def detach_policy_from_user(ctx: ActionContext) -> dict[str, Any]:
    """Detach a policy from a RAM user."""
    _authorize(ctx)
    name, kind = _policy_params(ctx)
    ctx.cloud.detach_policy_from_user(ctx.required("UserName"), name, kind)
    return {}


SERVICE = Service(
    name="ram",
    product="Ram",
    version=VERSION,
    actions={
        "CreateAccessKey": create_access_key,
        "UpdateAccessKey": update_access_key,
        "DeleteAccessKey": delete_access_key,
        "ListAccessKeys": list_access_keys,
        "GetAccessKeyLastUsed": get_access_key_last_used,
        "GetRole": get_role,
        "ListPoliciesForRole": list_policies_for_role,
        "AttachPolicyToRole": attach_policy_to_role,
        "DetachPolicyFromRole": detach_policy_from_role,
        "DeleteRole": delete_role,
        "ListPoliciesForUser": list_policies_for_user,
        "AttachPolicyToUser": attach_policy_to_user,
        "DetachPolicyFromUser": detach_policy_from_user,
    },
)
