"""Kill every unexpired STS token of a role: snapshot its policies, then detach them all.

A role's STS tokens cannot be revoked one by one; detaching the role's policies leaves every
token of it (the leaked one too) without permissions. The snapshot is written first, as an
owner-only JSON file (``RoleSnapshot``), so ``restore_policies`` can attach the same policies
again. Tokens live at most the role's ``MaxSessionDuration``: restoring earlier than that after
the revocation may let a leaked token work again where the cloud does not remember the
revocation (the emulator does), which ``Revocation.tokens_expire_by`` says when is safe.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from akless._files import read_credentials_file, write_credentials_file
from akless._parsing import parse_json
from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials
from akless.errors import AklessError, ConfigurationError, NotFound, ServiceError

if TYPE_CHECKING:
    from akless.ram import RamClient, RoleInfo

log = logging.getLogger("akless.actions")
WHAT = "role policy snapshot"
VERSION = 1


@dataclass(frozen=True)
class SnapshotPolicy:
    """A policy that was attached to the role."""

    name: str
    policy_type: str


@dataclass(frozen=True)
class RoleSnapshot:
    """What ``restore_policies`` puts back."""

    role_name: str
    arn: str
    max_session_duration: int | None
    taken: str
    policies: tuple[SnapshotPolicy, ...]


@dataclass(frozen=True)
class Revocation:
    """What ``revoke_sessions`` did."""

    role_name: str
    arn: str
    restore_file: str
    detached: tuple[str, ...]
    revoked_at: str
    tokens_expire_by: str | None
    """When the last token issued before the revocation expires anyway."""


@dataclass(frozen=True)
class Restoration:
    """What ``restore_policies`` did."""

    role_name: str
    restore_file: str
    attached: tuple[str, ...]
    already_attached: tuple[str, ...]


def role(ram: RamClient, caller: Credentials, role_name: str) -> RoleInfo:
    """The role, or ``NotFound``."""
    try:
        return ram.get_role(caller, role_name)
    except ServiceError as error:
        if error.code != "EntityNotExist.Role":
            raise
    raise NotFound(f"there is no role named {role_name!r}", kind="role", name=role_name)


def revoke_sessions(
    ram: RamClient,
    caller: Credentials,
    role_name: str,
    restore_file: Path,
    *,
    clock: Clock = system_clock,
) -> Revocation:
    """Snapshot ``role_name``'s policies to ``restore_file`` (which must not exist), then
    detach them all."""
    info = role(ram, caller, role_name)
    if restore_file.exists():
        raise ConfigurationError(
            f"{restore_file} exists; choose another --snapshot file", source=str(restore_file)
        )
    attached = ram.list_policies_for_role(caller, info.name)
    now = clock()
    snapshot = RoleSnapshot(
        role_name=info.name,
        arn=info.arn,
        max_session_duration=info.max_session_duration,
        taken=format_timestamp(now),
        policies=tuple(SnapshotPolicy(p.name, p.policy_type) for p in attached),
    )
    write_credentials_file(restore_file, json.dumps({"version": VERSION, **asdict(snapshot)}))
    log.info("saved the policies of role %s to %s", info.name, restore_file)
    detached: list[str] = []
    try:
        for policy in snapshot.policies:
            ram.detach_policy_from_role(caller, info.name, policy.name, policy.policy_type)
            detached.append(f"{policy.policy_type}:{policy.name}")
            log.info("detached policy %s (%s) from role %s", policy.name, policy.policy_type,
                     info.name)  # fmt: skip
    except AklessError as error:
        # A second run would snapshot only what is left: the file written above is the one
        # that can put everything back.
        error.add_hint(
            f"detached so far: {', '.join(detached) or 'nothing'}; every policy the role had is "
            f"saved in {restore_file}: detach the rest by running revoke-sessions again with "
            f"another --snapshot, and put them all back later with --restore {restore_file}"
        )
        raise
    lifetime = info.max_session_duration
    return Revocation(
        role_name=info.name,
        arn=info.arn,
        restore_file=str(restore_file),
        detached=tuple(detached),
        revoked_at=format_timestamp(now),
        tokens_expire_by=None if lifetime is None else format_timestamp(now + lifetime),
    )


def read_snapshot(path: Path) -> RoleSnapshot:
    """The snapshot in ``path``; ``ConfigurationError`` when it is not one."""
    try:
        text = read_credentials_file(path, what=WHAT)
    except FileNotFoundError:
        raise ConfigurationError(f"there is no {WHAT} at {path}", source=str(path)) from None
    data = parse_json(text).value
    snapshot = _snapshot(data) if isinstance(data, dict) else None
    if snapshot is None:
        raise ConfigurationError(
            f"{path} is not a {WHAT} written by akless revoke-sessions", source=str(path)
        )
    return snapshot


def restore_policies(
    ram: RamClient, caller: Credentials, snapshot: RoleSnapshot, restore_file: Path
) -> Restoration:
    """Attach the snapshot's policies to its role again (those still attached are left)."""
    role(ram, caller, snapshot.role_name)
    current = {
        (p.name, p.policy_type) for p in ram.list_policies_for_role(caller, snapshot.role_name)
    }
    attached, already = [], []
    for policy in snapshot.policies:
        label = f"{policy.policy_type}:{policy.name}"
        if (policy.name, policy.policy_type) in current:
            already.append(label)
            continue
        ram.attach_policy_to_role(caller, snapshot.role_name, policy.name, policy.policy_type)
        attached.append(label)
        log.info("attached policy %s (%s) to role %s again", policy.name, policy.policy_type,
                 snapshot.role_name)  # fmt: skip
    return Restoration(snapshot.role_name, str(restore_file), tuple(attached), tuple(already))


def default_snapshot_path(role_name: str, now: float, directory: Path | None = None) -> Path:
    """``./akless-revoke-<role>-<time>.json``."""
    stamp = format_timestamp(now).replace(":", "").replace("-", "")
    return (directory or Path(os.curdir)) / f"akless-revoke-{role_name}-{stamp}.json"


def _snapshot(data: dict[str, object]) -> RoleSnapshot | None:
    policies = data.get("policies")
    name, arn, taken = data.get("role_name"), data.get("arn"), data.get("taken")
    lifetime = data.get("max_session_duration")
    if data.get("version") != VERSION or not isinstance(policies, list):
        return None
    if not (isinstance(name, str) and isinstance(arn, str) and isinstance(taken, str)):
        return None
    items = []
    for item in policies:
        if not isinstance(item, dict):
            return None
        policy, kind = item.get("name"), item.get("policy_type")
        if not isinstance(policy, str) or kind not in ("System", "Custom"):
            return None
        items.append(SnapshotPolicy(policy, str(kind)))
    return RoleSnapshot(name, arn, lifetime if isinstance(lifetime, int) else None, taken,
                        tuple(items))  # fmt: skip
