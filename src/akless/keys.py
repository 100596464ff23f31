"""A RAM user's AccessKeys: list, create, enable, disable, delete, and when each was last used.

Each function takes a ``RamClient`` and the credential that signs the calls (``caller``), and
returns a frozen result without any secret. ``user_name=None`` means the calling RAM user. An
AccessKey ID is checked against the user's own keys first, so an unknown key, or another user's,
is a ``NotFound`` that says which, rather than RAM's bare ``EntityNotExist``.

``create_key`` puts the new key's secret in a target (an INI profile that does not exist yet, a
``Generic`` KMS secret, or standard output as shell lines); the secret goes nowhere else, and if
it cannot be stored the new key is deleted again. Every change is logged to ``akless.actions``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from akless._time import format_timestamp
from akless.credentials import Credentials, mask_key_id
from akless.errors import ConfigurationError, NotFound, ServiceError
from akless.rotation_targets import IniTarget, Target

if TYPE_CHECKING:
    from akless.ram import AccessKeyInfo, RamClient

log = logging.getLogger("akless.actions")
ACCESS_KEY_LIMIT = "LimitExceeded.User.AccessKey"


@dataclass(frozen=True)
class Key:
    """One AccessKey of a user."""

    access_key_id: str
    status: str
    """``Active`` or ``Inactive``."""
    created: str
    in_use: bool
    """It is the key signing this very call."""


@dataclass(frozen=True)
class KeyListing:
    """A user's AccessKeys (RAM allows two)."""

    user_name: str | None
    keys: tuple[Key, ...]


@dataclass(frozen=True)
class KeyChange:
    """What a command did to one key."""

    access_key_id: str
    user_name: str | None
    action: str
    """``created``, ``enabled``, ``disabled``, ``deleted``, or ``unchanged``."""
    status: str | None
    """The key's status now (``None`` once deleted)."""
    target: str | None = None
    """Where a created key's secret went."""


@dataclass(frozen=True)
class LastUsed:
    """When RAM last saw a call signed with the key."""

    access_key_id: str
    user_name: str | None
    status: str
    last_used: str | None
    """``YYYY-MM-DDThh:mm:ssZ``, or ``None``: never used."""


def whose(user_name: str | None) -> str:
    """``user 'NAME'``, or ``the calling user``."""
    return f"user {user_name!r}" if user_name else "the calling user"


def list_keys(ram: RamClient, caller: Credentials, user_name: str | None = None) -> KeyListing:
    """The user's AccessKeys, marking the one signing this call."""
    keys = ram.list_access_keys(caller, user_name)
    return KeyListing(user_name, tuple(_key(info, caller) for info in keys))


def find_key(
    ram: RamClient, caller: Credentials, access_key_id: str, user_name: str | None = None
) -> AccessKeyInfo:
    """The user's key ``access_key_id``; ``NotFound`` when it is not one of the user's keys."""
    keys = ram.list_access_keys(caller, user_name)
    for info in keys:
        if info.access_key_id == access_key_id:
            return info
    theirs = ", ".join(info.access_key_id for info in keys) or "none"
    masked = mask_key_id(access_key_id)
    raise NotFound(
        f"AccessKey {masked} is not one of the keys of {whose(user_name)} (its keys: {theirs}); "
        "pass --user NAME for another user's key",
        kind="AccessKey",
        name=masked,
    )


def set_key_status(
    ram: RamClient,
    caller: Credentials,
    access_key_id: str,
    status: str,
    user_name: str | None = None,
) -> KeyChange:
    """Enable (``Active``) or disable (``Inactive``) the key; nothing when it already is."""
    info = find_key(ram, caller, access_key_id, user_name)
    if info.status == status:
        return KeyChange(access_key_id, user_name, "unchanged", status)
    ram.update_access_key(caller, access_key_id, status, user_name)
    action = "enabled" if status == "Active" else "disabled"
    log.info("%s AccessKey %s of %s", action, access_key_id, whose(user_name))
    return KeyChange(access_key_id, user_name, action, status)


def delete_key(
    ram: RamClient, caller: Credentials, access_key_id: str, user_name: str | None = None
) -> KeyChange:
    """Delete the key for good."""
    find_key(ram, caller, access_key_id, user_name)
    ram.delete_access_key(caller, access_key_id, user_name)
    log.info("deleted AccessKey %s of %s", access_key_id, whose(user_name))
    return KeyChange(access_key_id, user_name, "deleted", None)


def last_used(
    ram: RamClient, caller: Credentials, access_key_id: str, user_name: str | None = None
) -> LastUsed:
    """When the key was last used (``None``: never)."""
    info = find_key(ram, caller, access_key_id, user_name)
    when = ram.get_access_key_last_used(caller, access_key_id, user_name)
    stamp = None if when is None else format_timestamp(when)
    return LastUsed(access_key_id, user_name, info.status, stamp)


def create_key(
    ram: RamClient, caller: Credentials, target: Target, user_name: str | None = None
) -> KeyChange:
    """A new key for the user, its secret stored in ``target`` (and nowhere else)."""
    if isinstance(target, IniTarget):
        _require_new_profile(target)
    elif target.managed_by_kms:
        raise ConfigurationError(
            f"{target.describe()} is a RAM secret: KMS creates its keys itself", source="--target"
        )
    elif target.current() is not None:
        raise ConfigurationError(
            f"{target.describe()} already holds an AccessKey; replace it with "
            f"`akless keys rotate --target {target.spec}`",
            source="--target",
        )
    try:
        created = ram.create_access_key(caller, user_name)
    except ServiceError as error:
        if not error.code.startswith(ACCESS_KEY_LIMIT):
            raise
        raise ServiceError(
            f"{error}; RAM allows two AccessKeys per user: delete one {whose(user_name)} no "
            "longer needs (akless keys list, then akless keys delete ID) and create again",
            endpoint=error.endpoint,
            status=error.status,
            code=error.code,
            request_id=error.request_id,
        ) from error
    try:
        _store(target, created.credentials())
    except BaseException:
        # The secret is lost with this process: a key nobody can use only takes a slot.
        ram.delete_access_key(caller, created.access_key_id, user_name)
        raise
    log.info(
        "created AccessKey %s for %s; its secret went to %s",
        created.access_key_id,
        whose(user_name),
        target.describe(),
    )
    return KeyChange(created.access_key_id, user_name, "created", "Active", target.describe())


def _require_new_profile(target: IniTarget) -> None:
    from akless.profiles_file import list_profiles

    names = {
        name
        for p in list_profiles(path=target.path, environ=target.environ)
        for name in (p.name, p.section)
    }
    if target.profile in names:
        raise ConfigurationError(
            f"{target.describe()} exists; to replace the key it holds use "
            f"`akless keys rotate --target {target.spec}`",
            source="--target",
        )


def _store(target: Target, credentials: Credentials) -> None:
    if isinstance(target, IniTarget):
        from akless.profiles_file import set_profile

        values = {
            "access_key_id": credentials.access_key_id,
            "access_key_secret": credentials.access_key_secret,
        }
        set_profile(target.profile, "access_key", values, path=target.path, environ=target.environ)
    else:
        target.write(credentials)


def _key(info: AccessKeyInfo, caller: Credentials) -> Key:
    return Key(
        access_key_id=info.access_key_id,
        status=info.status,
        created=format_timestamp(info.created),
        in_use=info.access_key_id == caller.access_key_id,
    )
