"""RAM secrets (``RAMCredentials``) in the emulator's state: KMS secrets that hold and rotate
a RAM user's AccessKey, as the ``Cloud`` Python API and for the KMS service.

Rotating a RAM secret (``RotateSecret``, or automatically once ``NextRotationDate`` passes):
if the user already has two AccessKeys, the one that is not the secret's current key is
deleted; a new key is created and becomes ``ACSCurrent``, the old current key ``ACSPrevious``.
The old key stays active for the secret's grace period (default five minutes, but at most a
twelfth of the rotation interval, so shortened intervals shorten it in proportion), then it is
disabled (``Inactive``). While that grace period runs the rotation is still in progress: a new
``RotateSecret`` is refused (``Rejected.Rotating``) and a due automatic rotation waits.

Nothing runs in the background: due rotations and due disables are applied by
``apply_due_secret_work()`` at the start of every API request and of every Python-API read,
on the emulated clock (``cloud.now()``, which honours clock offsets).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from akless._time import format_timestamp
from akless.emulator import ids, secret_store
from akless.emulator.cloud_kms import CURRENT, PREVIOUS, RAM_TYPE, SecretsApi, unsupported
from akless.emulator.errors import Refused
from akless.emulator.records import AccessKey, Secret, SecretVersion, User

DEFAULT_GRACE = 300.0


def default_grace(rotation_interval: float | None) -> float:
    """Five minutes, or a twelfth of a shorter rotation interval."""
    return (
        DEFAULT_GRACE if rotation_interval is None else min(DEFAULT_GRACE, rotation_interval / 12)
    )


def extended_config(secret: Secret) -> str | None:
    """The ``ExtendedConfig`` JSON text of a RAM secret (``None`` for a generic secret)."""
    if secret.user_name is None:
        return None
    config = {"SecretSubType": "RamUserAccessKey", "UserName": secret.user_name, "CustomData": {}}
    return json.dumps(config)


class RamSecretsApi(SecretsApi):
    """Mixin of ``Cloud``: RAM secrets and their rotation, on top of the KMS secrets."""

    if TYPE_CHECKING:  # provided by IamApi

        def require_user(self, name: str) -> User: ...

    def create_ram_secret(
        self,
        name: str,
        user_name: str,
        *,
        access_key_id: str | None = None,
        rotation_interval: float | None = None,
        grace: float | None = None,
        description: str = "",
    ) -> Secret:
        """Create a RAM secret managing ``user_name``'s AccessKey.

        Its current value is ``access_key_id``, else the user's newest active key, else a new
        key. ``rotation_interval`` (seconds, any length here; 6 h to 8760 h through the API)
        turns automatic rotation on; ``grace`` overrides ``default_grace``.
        """
        user = self.require_user(user_name)
        with self._lock:
            keys = self.store.list_access_keys(user.name)
            if access_key_id is not None:
                chosen = next((k for k in keys if k.access_key_id == access_key_id), None)
                if chosen is None:
                    raise ValueError(f"{user.name} has no AccessKey {access_key_id!r}")
            else:
                active = [key for key in keys if key.status == "Active"]
                chosen = active[-1] if active else self._new_key(user)
            return self._create_ram_secret(
                name, user, chosen, rotation_interval, grace, description
            )

    def adopt_ram_secret(
        self,
        name: str,
        user_name: str,
        access_keys: Mapping[str, str],
        *,
        rotation_interval: float | None = None,
        description: str = "",
    ) -> Secret:
        """``CreateSecret`` of a RAM secret: ``access_keys`` (ID to secret) must be exactly
        the user's AccessKeys; the newest becomes current (a user without keys gets one)."""
        user = self.require_user(user_name)
        with self._lock:
            keys = self.store.list_access_keys(user.name)
            if {key.access_key_id: key.secret for key in keys} != dict(access_keys):
                raise Refused(
                    400,
                    "InvalidParameter.SecretData",
                    "SecretData must list every AccessKey of the RAM user, each with its secret.",
                )
            current = keys[-1] if keys else self._new_key(user)
            return self._create_ram_secret(
                name, user, current, rotation_interval, None, description
            )

    def _create_ram_secret(
        self,
        name: str,
        user: User,
        key: AccessKey,
        rotation_interval: float | None,
        grace: float | None,
        description: str,
    ) -> Secret:
        now = self.now()
        if rotation_interval is not None and rotation_interval <= 0:
            raise ValueError("rotation_interval must be positive")
        secret = Secret(
            name=name,
            secret_type=RAM_TYPE,
            description=description,
            user_name=user.name,
            rotation_interval=rotation_interval,
            grace=default_grace(rotation_interval) if grace is None else float(grace),
            created=now,
            last_rotation=now,
            next_rotation=None if rotation_interval is None else now + rotation_interval,
            grace_until=None,
            pending_disable=None,
        )
        self._insert(secret)
        secret_store.add_version(self.store, _key_version(name, key, now))
        return secret

    def _new_key(self, user: User) -> AccessKey:
        key = AccessKey(
            ids.access_key_id(), user.name, ids.access_key_secret(), "Active", self.now(), None
        )
        self.store.add_access_key(key)
        return key

    def set_secret_rotation(
        self, name: str, *, rotation_interval: float | None = None, grace: float | None = None
    ) -> Secret:
        """Change a RAM secret's rotation interval (``None``: automatic rotation off, the
        next rotation counted from now) and/or its grace period."""
        with self._lock:
            secret = self._load(name)
            if secret.secret_type != RAM_TYPE:
                raise unsupported("Only RAM secrets rotate.")
            if rotation_interval is not None and rotation_interval <= 0:
                raise ValueError("rotation_interval must be positive")
            next_rotation = None if rotation_interval is None else self.now() + rotation_interval
            secret_store.update(
                self.store,
                name,
                rotation_interval=rotation_interval,
                next_rotation=next_rotation,
                grace=secret.grace if grace is None else float(grace),
            )
            return self._load(name)

    def rotate_secret(self, name: str) -> SecretVersion:
        """Rotate a RAM secret now; its new ``ACSCurrent`` version (``Rejected.Rotating``
        while the previous rotation's grace period runs)."""
        self.apply_due_secret_work()
        with self._lock:
            secret = self._load(name)
            if secret.secret_type != RAM_TYPE:
                raise unsupported("The emulator rotates only RAM secrets; use PutSecretValue.")
            if secret.grace_until is not None:
                raise Refused(
                    400,
                    "Rejected.Rotating",
                    "The secret is being rotated: the previous AccessKey is still in its grace "
                    "period. Try again once that rotation completes.",
                )
            return self._rotate(secret, self.now())

    def _rotate(self, secret: Secret, now: float) -> SecretVersion:
        user = self.store.get_user(secret.user_name or "")
        if user is None:
            raise Refused(
                404,
                "EntityNotExist.User",
                "The RAM user of the secret does not exist; the rotation failed.",
            )
        versions = secret_store.versions(self.store, secret.name)
        current = next((v for v in versions if CURRENT in v.stages), None)
        current_id = None if current is None else json.loads(current.data)["AccessKeyId"]
        keys = self.store.list_access_keys(user.name)
        for key in keys:
            if len(keys) < 2:
                break
            if key.access_key_id != current_id:
                self.store.delete_access_key(key.access_key_id)
                keys = [k for k in keys if k.access_key_id != key.access_key_id]
        for version in versions:
            if PREVIOUS in version.stages:
                secret_store.delete_version(self.store, secret.name, version.version_id)
        if current is not None:
            secret_store.restage(self.store, secret.name, current.version_id, [PREVIOUS])
        fresh = _key_version(secret.name, self._new_key(user), now)
        secret_store.add_version(self.store, fresh)
        interval = secret.rotation_interval
        secret_store.update(
            self.store,
            secret.name,
            last_rotation=now,
            next_rotation=None if interval is None else now + interval,
            grace_until=now + secret.grace if current_id else None,
            pending_disable=current_id,
        )
        return fresh

    # -- the clock's work --

    def apply_due_secret_work(self) -> None:
        """Disable old keys whose grace period ended and run automatic rotations that are due."""
        now = self.now()
        due = secret_store.due(self.store, now)
        if not due:
            return
        with self._lock:
            for name in due:
                self._settle(name, now)

    def _settle(self, name: str, now: float) -> None:
        """Catch one secret up with the clock, each step at the time it fell due: the end of
        a grace period, then the latest automatic rotation due (one, however many intervals
        were skipped), then that rotation's grace period if it has ended too."""
        secret = self._end_grace(name, now)
        if secret is None or secret.grace_until is not None or secret.next_rotation is None:
            return
        if secret.next_rotation > now:
            return
        interval = secret.rotation_interval or 0.0
        when = secret.next_rotation
        if interval > 0:
            when += (now - when) // interval * interval
        try:
            self._rotate(secret, when)
        except Refused:  # the user is gone: try again next interval
            secret_store.update(self.store, name, next_rotation=now + interval)
            return
        self._end_grace(name, now)

    def _end_grace(self, name: str, now: float) -> Secret | None:
        secret = secret_store.load(self.store, name)
        if secret is None or secret.grace_until is None or secret.grace_until > now:
            return secret
        if secret.pending_disable and self.store.get_access_key(secret.pending_disable):
            self.store.set_access_key_status(secret.pending_disable, "Inactive")
        secret_store.update(self.store, name, grace_until=None, pending_disable=None)
        return self._load(name)


def _key_version(secret_name: str, key: AccessKey, now: float) -> SecretVersion:
    data = {
        "AccessKeyId": key.access_key_id,
        "AccessKeySecret": key.secret,
        "GenerateTimestamp": format_timestamp(now),
    }
    return SecretVersion(secret_name, uuid.uuid4().hex, json.dumps(data), "text", (CURRENT,), now)
