"""The ``Cloud`` Python API for RAM's policies, AccessKeys and role-session revocation, shared
with the RAM service (which calls these methods after its permission check).

Errors are ``Refused``: a ``ValueError`` to Python callers, the real RAM error to API callers.

Revocation: detaching a role's last policy, or deleting the role, records the time; from then on
every STS credential of that role issued at or before that time is refused on every call (the
gateway answers ``InvalidSecurityToken.Expired``). Attaching policies again does not revive
them; credentials issued afterwards work.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from akless.emulator import ids, permissions
from akless.emulator.errors import Refused
from akless.emulator.permissions import POLICY_TYPES, PrincipalType
from akless.emulator.records import AccessKey, CallRecord, PolicyAttachment, Role, Session, User
from akless.emulator.store import Store

MAX_ACCESS_KEYS_PER_USER = 2
_POLICY_NAME = re.compile(r"[A-Za-z0-9\-]{1,128}")


def no_such_user() -> Refused:
    """RAM's answer for an unknown user."""
    return Refused(404, "EntityNotExist.User", "The user does not exist.")


def no_such_key() -> Refused:
    """RAM's answer for an AccessKey that does not exist or is another user's."""
    return Refused(404, "EntityNotExist.User.AccessKey", "The user access key does not exist.")


class IamApi:
    """Mixin of ``Cloud``: policies, AccessKey management and session revocation."""

    store: Store
    _lock: threading.RLock
    _instance_session: Session | None

    if TYPE_CHECKING:  # provided by Cloud and SecretsApi

        def now(self) -> float: ...

        def apply_due_secret_work(self) -> None: ...

    # -- lookups --

    def require_user(self, name: str) -> User:
        """The user called ``name`` (``EntityNotExist.User``)."""
        user = self.store.get_user(name)
        if user is None:
            raise no_such_user()
        return user

    def require_role(self, name: str) -> Role:
        """The role called ``name`` (``EntityNotExist.Role``)."""
        role = self.store.get_role(name)
        if role is None:
            raise Refused(404, "EntityNotExist.Role", "The role does not exist.")
        return role

    def _policy(self, name: str, policy_type: str) -> None:
        if policy_type not in POLICY_TYPES:
            raise Refused(
                400,
                "InvalidParameter.PolicyType",
                "The parameter PolicyType must be System or Custom.",
            )
        if not permissions.policy_exists(self.store, name, policy_type):
            raise Refused(404, "EntityNotExist.Policy", "The policy does not exist.")

    # -- policies --

    def create_policy(
        self, name: str, document: Mapping[str, Any], *, description: str = ""
    ) -> None:
        """Create a custom policy from a document: ``{"Version": "1", "Statement": [...]}``."""
        if not _POLICY_NAME.fullmatch(name):
            raise ValueError("policy names are 1-128 letters, digits or '-'")
        if permissions.policy_exists(self.store, name, "Custom"):
            raise Refused(409, "EntityAlreadyExists.Policy", "The policy already exists.")
        self.store.execute(
            "INSERT INTO custom_policies VALUES (?, ?, ?, ?)",
            (name, json.dumps(dict(document)), description, self.now()),
        )

    def _attach(self, kind: PrincipalType, name: str, policy: str, policy_type: str) -> None:
        self._policy(policy, policy_type)
        current = permissions.attached(self.store, kind, name)
        if any((a.policy_name, a.policy_type) == (policy, policy_type) for a in current):
            raise Refused(
                409,
                f"EntityAlreadyExists.{kind}.Policy",
                f"The policy has already been attached to the {kind.lower()}.",
            )
        permissions.attach(self.store, kind, name, policy, policy_type, self.now())

    def _detach(self, kind: PrincipalType, name: str, policy: str, policy_type: str) -> None:
        self._policy(policy, policy_type)
        if not permissions.detach(self.store, kind, name, policy, policy_type):
            raise Refused(
                404,
                f"EntityNotExist.{kind}.Policy",
                f"The policy is not attached to the {kind.lower()}.",
            )

    def attach_policy_to_role(self, role: str, policy: str, policy_type: str = "System") -> None:
        """Attach a system or custom policy to a role."""
        self._attach("Role", self.require_role(role).name, policy, policy_type)

    def detach_policy_from_role(self, role: str, policy: str, policy_type: str = "System") -> None:
        """Detach a policy from a role; detaching the last one revokes the role's sessions."""
        name = self.require_role(role).name
        with self._lock:
            self._detach("Role", name, policy, policy_type)
            if not permissions.attached(self.store, "Role", name):
                self.revoke_role_sessions(name)

    def list_policies_for_role(self, role: str) -> list[PolicyAttachment]:
        """The policies attached to a role."""
        return permissions.attached(self.store, "Role", self.require_role(role).name)

    def attach_policy_to_user(self, user: str, policy: str, policy_type: str = "System") -> None:
        """Attach a system or custom policy to a RAM user."""
        self._attach("User", self.require_user(user).name, policy, policy_type)

    def detach_policy_from_user(self, user: str, policy: str, policy_type: str = "System") -> None:
        """Detach a policy from a RAM user."""
        self._detach("User", self.require_user(user).name, policy, policy_type)

    def list_policies_for_user(self, user: str) -> list[PolicyAttachment]:
        """The policies attached to a RAM user."""
        return permissions.attached(self.store, "User", self.require_user(user).name)

    # -- roles and their sessions --

    def delete_role(self, name: str) -> None:
        """Delete a role (it must have no policy attached) and revoke its sessions."""
        role = self.require_role(name)
        with self._lock:
            if permissions.attached(self.store, "Role", role.name):
                raise Refused(
                    409,
                    "DeleteConflict.Role.Policy",
                    "The role CAN NOT has any attached policy while deleting the role.",
                )
            self.store.delete_role(role.name)
            self.revoke_role_sessions(role.name)

    def revoke_role_sessions(self, role: str) -> float:
        """Refuse every STS credential of ``role`` issued until now; the revocation time."""
        now = self.now()
        with self._lock:
            self.store.revoke_role_sessions(role, now)
            if self._instance_session is not None and (
                self._instance_session.role_name.lower() == role.lower()
            ):
                self._instance_session = None  # the metadata service hands out a fresh one
        return now

    def role_revoked_at(self, role: str) -> float | None:
        """When the sessions of ``role`` were last revoked, or ``None``."""
        return self.store.role_revoked_at(role)

    # -- AccessKeys --

    def new_access_key(self, user_name: str) -> AccessKey:
        """Create an AccessKey as RAM does: at most two per user (``LimitExceeded``)."""
        user = self.require_user(user_name)
        with self._lock:
            if len(self.store.list_access_keys(user.name)) >= MAX_ACCESS_KEYS_PER_USER:
                raise Refused(
                    409,
                    "LimitExceeded.User.AccessKey",
                    "The access key count of the user access keys beyond the current limits.",
                )
            key = AccessKey(
                ids.access_key_id(), user.name, ids.access_key_secret(), "Active", self.now(), None
            )
            self.store.add_access_key(key)
        return key

    def user_access_key(self, user_name: str, access_key_id: str) -> AccessKey:
        """``user_name``'s AccessKey ``access_key_id`` (``EntityNotExist.User.AccessKey``)."""
        user = self.require_user(user_name)
        self.apply_due_secret_work()
        key = self.store.get_access_key(access_key_id)
        if key is None or key.user_name.lower() != user.name.lower():
            raise no_such_key()
        return key

    def list_access_keys(self, user_name: str) -> list[AccessKey]:
        """A user's AccessKeys, oldest first (secrets included: this is the Python API)."""
        user = self.require_user(user_name)
        self.apply_due_secret_work()
        return self.store.list_access_keys(user.name)

    def delete_access_key(self, access_key_id: str) -> None:
        """Delete an AccessKey."""
        if self.store.get_access_key(access_key_id) is None:
            raise no_such_key()
        self.store.delete_access_key(access_key_id)

    # -- call records --

    def record_calls(self, calls: Iterable[CallRecord]) -> int:
        """Add calls to the record in one transaction (synthetic ActionTrail events); how many.

        Build them with ``akless.emulator.records.call_record(time=..., action=..., ...)``.
        """
        return self.store.record_calls(calls)
