"""The SQL behind KMS secrets: the ``secrets`` and ``secret_versions`` tables (schema in
``records.py``), as plain functions over the shared ``Store``."""

from __future__ import annotations

import json
from typing import Any

from akless.emulator.records import Secret, SecretVersion
from akless.emulator.store import Store


def load(store: Store, name: str) -> Secret | None:
    """The secret called ``name``, or ``None``."""
    row = store.query_one("SELECT * FROM secrets WHERE name = ?", (name,))
    return None if row is None else Secret(*row)


def load_all(store: Store) -> list[Secret]:
    """Every secret, by name."""
    return [Secret(*row) for row in store.query_all("SELECT * FROM secrets ORDER BY name")]


def insert(store: Store, secret: Secret) -> None:
    """Insert a new secret (the caller checked the name is free)."""
    store.execute(
        "INSERT INTO secrets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            secret.name,
            secret.secret_type,
            secret.description,
            secret.user_name,
            secret.rotation_interval,
            secret.grace,
            secret.created,
            secret.last_rotation,
            secret.next_rotation,
            secret.grace_until,
            secret.pending_disable,
        ),
    )


def update(store: Store, name: str, **fields: Any) -> None:
    """Set some columns of a secret (column names come from this package, never from input)."""
    assignments = ", ".join(f"{column} = ?" for column in fields)
    store.execute(
        f"UPDATE secrets SET {assignments} WHERE name = ?",  # noqa: S608
        (*fields.values(), name),
    )


def delete(store: Store, name: str) -> None:
    """Delete a secret and all its versions."""
    with store.transaction() as db:
        db.execute("DELETE FROM secret_versions WHERE secret_name = ?", (name,))
        db.execute("DELETE FROM secrets WHERE name = ?", (name,))


def due(store: Store, now: float) -> list[str]:
    """Secrets with a grace period that ended or an automatic rotation that fell due."""
    rows = store.query_all(
        "SELECT name FROM secrets WHERE grace_until <= ? "
        "UNION SELECT name FROM secrets WHERE next_rotation <= ?",
        (now, now),
    )
    return [row[0] for row in rows]


def versions(store: Store, name: str) -> list[SecretVersion]:
    """A secret's versions, oldest first."""
    rows = store.query_all(
        "SELECT * FROM secret_versions WHERE secret_name = ? ORDER BY created", (name,)
    )
    return [
        SecretVersion(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5])
        for row in rows
    ]


def add_version(store: Store, version: SecretVersion) -> None:
    """Insert a version."""
    store.execute(
        "INSERT INTO secret_versions VALUES (?, ?, ?, ?, ?, ?)",
        (
            version.secret_name,
            version.version_id,
            version.data,
            version.data_type,
            json.dumps(list(version.stages)),
            version.created,
        ),
    )


def restage(store: Store, name: str, version_id: str, stages: list[str]) -> None:
    """Replace a version's stages."""
    store.execute(
        "UPDATE secret_versions SET stages = ? WHERE secret_name = ? AND version_id = ?",
        (json.dumps(stages), name, version_id),
    )


def delete_version(store: Store, name: str, version_id: str) -> None:
    """Forget one version."""
    store.execute(
        "DELETE FROM secret_versions WHERE secret_name = ? AND version_id = ?", (name, version_id)
    )
