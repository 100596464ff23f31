"""KMS secrets in the emulator's state, as the ``Cloud`` Python API and for the KMS service:
what every secret shares (reading a version by stage or ID, deleting) and generic secrets, whose
versions are written with ``PutSecretValue``.

RAM secrets (``RAMCredentials``), which rotate a RAM user's AccessKey, add their creation and
rotation in ``cloud_ram_secrets.py``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from akless.emulator import secret_store
from akless.emulator.errors import Refused
from akless.emulator.records import Secret, SecretVersion
from akless.emulator.store import Store

CURRENT, PREVIOUS = "ACSCurrent", "ACSPrevious"
RAM_TYPE = "RAMCredentials"
GENERIC_TYPE = "Generic"


def no_such_secret() -> Refused:
    """KMS's answer for an unknown secret (or version)."""
    return Refused(
        404, "Forbidden.ResourceNotFound", "The specified secret or version does not exist."
    )


def unsupported(message: str) -> Refused:
    """An operation the secret's type does not support."""
    return Refused(400, "UnsupportedOperation", message)


class SecretsApi:
    """Mixin of ``Cloud`` (through ``RamSecretsApi``): KMS secrets."""

    store: Store
    _lock: threading.RLock

    if TYPE_CHECKING:  # provided by Cloud

        def now(self) -> float: ...

    # -- reading --

    def _load(self, name: str) -> Secret:
        secret = secret_store.load(self.store, name)
        if secret is None:
            raise no_such_secret()
        return secret

    def describe_secret(self, name: str) -> Secret:
        """A secret's settings and rotation state (``Forbidden.ResourceNotFound``)."""
        self.apply_due_secret_work()
        return self._load(name)

    def list_secrets(self) -> list[Secret]:
        """Every secret, by name."""
        self.apply_due_secret_work()
        return secret_store.load_all(self.store)

    def secret_value(
        self, name: str, *, stage: str = CURRENT, version_id: str | None = None
    ) -> SecretVersion:
        """The version of a secret in ``stage`` (or with ``version_id``, for generic secrets)."""
        self.apply_due_secret_work()
        secret = self._load(name)
        for version in reversed(secret_store.versions(self.store, secret.name)):
            if version_id is not None and secret.secret_type == GENERIC_TYPE:
                if version.version_id == version_id:
                    return version
            elif stage in version.stages:
                return version
        raise no_such_secret()

    # -- creating and changing --

    def _insert(self, secret: Secret) -> None:
        if secret_store.load(self.store, secret.name) is not None:
            raise Refused(400, "Rejected.ResourceExist", "A secret with this name already exists.")
        secret_store.insert(self.store, secret)

    def create_secret(
        self,
        name: str,
        data: str,
        *,
        version_id: str = "v1",
        data_type: str = "text",
        description: str = "",
    ) -> Secret:
        """Create a generic secret whose first version is ``ACSCurrent``."""
        now = self.now()
        secret = Secret(
            name, GENERIC_TYPE, description, None, None, 0.0, now, None, None, None, None
        )
        with self._lock:
            self._insert(secret)
            secret_store.add_version(
                self.store, SecretVersion(name, version_id, data, data_type, (CURRENT,), now)
            )
        return secret

    def put_secret_value(
        self,
        name: str,
        version_id: str,
        data: str,
        *,
        data_type: str = "text",
        stages: tuple[str, ...] = (CURRENT,),
    ) -> SecretVersion:
        """Store a new version of a generic secret; ``ACSCurrent`` moves to it from the
        previous current version, which becomes ``ACSPrevious``."""
        with self._lock:
            secret = self._load(name)
            if secret.secret_type != GENERIC_TYPE:
                raise unsupported(
                    "PutSecretValue is not supported for RAM secrets: KMS writes their values "
                    "when it rotates them (use RotateSecret)."
                )
            versions = secret_store.versions(self.store, name)
            if any(version.version_id == version_id for version in versions):
                raise Refused(400, "Rejected.ResourceExist", "The secret version already exists.")
            if CURRENT in stages:
                for version in versions:
                    kept = [s for s in version.stages if s not in (CURRENT, PREVIOUS)]
                    if CURRENT in version.stages:
                        kept.append(PREVIOUS)
                    if kept != list(version.stages):
                        secret_store.restage(self.store, name, version.version_id, kept)
            version = SecretVersion(name, version_id, data, data_type, tuple(stages), self.now())
            secret_store.add_version(self.store, version)
        return version

    def delete_secret(self, name: str) -> None:
        """Delete a secret and its versions now (a RAM secret's AccessKeys are left alone)."""
        with self._lock:
            secret = self._load(name)
            secret_store.delete(self.store, secret.name)

    # -- the clock's work --

    def apply_due_secret_work(self) -> None:
        """Catch the secrets up with the clock before each read: generic secrets have nothing
        due (``RamSecretsApi`` runs RAM secrets' due rotations here)."""
