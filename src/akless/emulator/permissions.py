"""Who may call what: policies attached to users and roles, and the emulator's small permission
model for RAM, KMS and ActionTrail (STS is not gated: a trust policy decides AssumeRole).

A caller may call ``<service>:<Action>`` when a policy attached to it (a RAM user's own
policies; a role session's role's policies, narrowed by the session's ``Policy`` if it had one)
has an ``Allow`` statement whose ``Action`` matches and no ``Deny`` statement does. Actions
match case-insensitively with ``*`` wildcards. ``Resource`` is not evaluated, and a statement
with a ``Condition`` is taken to apply only when it denies (so a conditional grant never grants
more than the real service would).

System policies are a small table, each reduced to the actions it allows:

==================================  =========================================================
``AdministratorAccess``             everything
``AliyunRAMFullAccess``             ``ram:*``
``AliyunRAMReadOnlyAccess``         ``ram:Get*``, ``ram:List*``
``AliyunKMSFullAccess``             ``kms:*``
``AliyunKMSSecretAdminAccess``      ``kms:*Secret*`` (every secrets action)
``AliyunKMSReadOnlyAccess``         ``kms:Describe*``, ``kms:List*`` (no secret values)
``AliyunActionTrailFullAccess``     ``actiontrail:*``
``AliyunActionTrailReadOnlyAccess`` ``actiontrail:Describe*``, ``Get*``, ``List*``, ``Lookup*``
``AliyunSTSAssumeRoleAccess``       ``sts:AssumeRole`` (listed for completeness: not enforced)
==================================  =========================================================

Custom policies are documents created with ``Cloud.create_policy``.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from akless.emulator.errors import ApiError
from akless.emulator.principals import Caller
from akless.emulator.records import PolicyAttachment
from akless.emulator.store import Store

PrincipalType = Literal["User", "Role"]
POLICY_TYPES = ("System", "Custom")
SYSTEM_POLICIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "AdministratorAccess": ("Full access to all Alibaba Cloud resources.", ("*",)),
    "AliyunRAMFullAccess": ("Full access to Resource Access Management.", ("ram:*",)),
    "AliyunRAMReadOnlyAccess": (
        "Read-only access to Resource Access Management.",
        ("ram:Get*", "ram:List*"),
    ),
    "AliyunKMSFullAccess": ("Full access to Key Management Service.", ("kms:*",)),
    "AliyunKMSSecretAdminAccess": ("Manage and read KMS secrets.", ("kms:*Secret*",)),
    "AliyunKMSReadOnlyAccess": (
        "Read-only access to KMS metadata.",
        ("kms:Describe*", "kms:List*"),
    ),
    "AliyunActionTrailFullAccess": ("Full access to ActionTrail.", ("actiontrail:*",)),
    "AliyunActionTrailReadOnlyAccess": (
        "Read-only access to ActionTrail.",
        ("actiontrail:Describe*", "actiontrail:Get*", "actiontrail:List*", "actiontrail:Lookup*"),
    ),
    "AliyunSTSAssumeRoleAccess": ("Call AssumeRole of STS.", ("sts:AssumeRole",)),
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def system_document(name: str) -> dict[str, Any]:
    """The policy document a system policy stands for."""
    actions = list(SYSTEM_POLICIES[name][1])
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


def _verdict(document: Any, action: str) -> bool | None:
    """``False`` if ``document`` denies ``action``, ``True`` if it allows it, else ``None``."""
    if not isinstance(document, dict):
        return None
    allowed: bool | None = None
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        patterns = [item for item in _as_list(statement.get("Action")) if isinstance(item, str)]
        if not any(fnmatch.fnmatchcase(action.lower(), item.lower()) for item in patterns):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow" and not statement.get("Condition"):
            allowed = True
    return allowed


def documents_allow(documents: Iterable[Any], action: str) -> bool:
    """Whether some document allows ``action`` and none denies it."""
    verdicts = [_verdict(document, action) for document in documents]
    return False not in verdicts and True in verdicts


# -- storage --


def attach(
    store: Store, kind: PrincipalType, name: str, policy: str, policy_type: str, now: float
) -> None:
    """Attach a policy (the caller checked it exists and is not attached yet)."""
    store.execute(
        "INSERT INTO policy_attachments VALUES (?, ?, ?, ?, ?)",
        (kind, name, policy, policy_type, now),
    )


def detach(store: Store, kind: PrincipalType, name: str, policy: str, policy_type: str) -> bool:
    """Detach a policy; ``False`` when it was not attached."""
    cursor = store.execute(
        "DELETE FROM policy_attachments WHERE principal_type = ? AND principal_name = ? "
        "AND policy_name = ? AND policy_type = ?",
        (kind, name, policy, policy_type),
    )
    return cursor.rowcount > 0


def attached(store: Store, kind: PrincipalType, name: str) -> list[PolicyAttachment]:
    """The policies attached to a user or role, in the order they were attached."""
    rows = store.query_all(
        "SELECT policy_name, policy_type, attached FROM policy_attachments "
        "WHERE principal_type = ? AND principal_name = ? ORDER BY attached, policy_name",
        (kind, name),
    )
    return [PolicyAttachment(row[0], row[1], row[2]) for row in rows]


def detach_all(store: Store, kind: PrincipalType, name: str) -> None:
    """Forget every attachment of a user or role that is being deleted."""
    store.execute(
        "DELETE FROM policy_attachments WHERE principal_type = ? AND principal_name = ?",
        (kind, name),
    )


def policy_exists(store: Store, name: str, policy_type: str) -> bool:
    """Whether a system or custom policy of that name exists."""
    if policy_type == "System":
        return name in SYSTEM_POLICIES
    return store.query_one("SELECT 1 FROM custom_policies WHERE name = ?", (name,)) is not None


def policy_description(store: Store, name: str, policy_type: str) -> str:
    """A policy's description."""
    if policy_type == "System":
        return SYSTEM_POLICIES[name][0] if name in SYSTEM_POLICIES else ""
    row = store.query_one("SELECT description FROM custom_policies WHERE name = ?", (name,))
    return "" if row is None else str(row[0])


def _document(store: Store, attachment: PolicyAttachment) -> Any:
    if attachment.policy_type == "System":
        if attachment.policy_name not in SYSTEM_POLICIES:
            return None
        return system_document(attachment.policy_name)
    row = store.query_one(
        "SELECT document FROM custom_policies WHERE name = ?", (attachment.policy_name,)
    )
    return None if row is None else json.loads(row[0])


def caller_may(store: Store, caller: Caller, action: str) -> bool:
    """Whether ``caller`` may call ``action`` (``ram:CreateAccessKey``...)."""
    if caller.user is not None:
        owned = attached(store, "User", caller.user.name)
    elif caller.session is not None:
        owned = attached(store, "Role", caller.session.role_name)
    else:
        return False
    if not documents_allow((_document(store, item) for item in owned), action):
        return False
    if caller.session is not None and caller.session.policy is not None:
        try:
            session_policy = json.loads(caller.session.policy)
        except ValueError:
            return False
        return documents_allow([session_policy], action)
    return True


def require(store: Store, caller: Caller, action: str, *, code: str = "NoPermission") -> None:
    """``ApiError`` 403 with ``code`` unless ``caller`` may call ``action``."""
    if not caller_may(store, caller, action):
        raise ApiError(403, code, "You are not authorized to do this action.")
