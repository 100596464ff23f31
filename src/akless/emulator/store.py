"""The emulator's state in SQLite: account, users, AccessKeys, RSA key pairs, roles, OIDC
providers, STS sessions, session AccessKeys and the record of every API call.

In memory by default; with a file path the state survives restarts (every table is created
``IF NOT EXISTS``, so a state file from an older emulator opens and gains the newer tables).
One connection is shared by the server's event loop and the Python API, guarded by a lock
(every operation is short).
``snapshot()`` / ``restore()`` copy the whole database, which is how per-test reset works.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from akless.emulator.records import (
    SCHEMA,
    AccessKey,
    CallRecord,
    KeyPair,
    OidcProvider,
    Role,
    Session,
    SessionAccessKey,
    User,
)


class Store:
    """Typed access to the emulator's SQLite database."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        target = ":memory:" if path is None else str(path)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run several statements atomically."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _one(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # Sibling modules that own tables of their own (policies, secrets, events) query through
    # these, so every statement still runs under the one lock.
    execute = _execute
    query_one = _one
    query_all = _all

    # -- whole-database copies --

    def snapshot(self) -> sqlite3.Connection:
        """An in-memory copy of the whole database."""
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        with self._lock:
            self._db.backup(copy)
        return copy

    def restore(self, snapshot: sqlite3.Connection) -> None:
        """Replace the whole database with ``snapshot``'s contents."""
        with self._lock:
            snapshot.backup(self._db)

    # -- meta --

    def get_meta(self, key: str) -> str | None:
        """A stored setting, or ``None``."""
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self._execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- users and AccessKeys --

    def add_user(self, user: User) -> None:
        """Insert a user; ``sqlite3.IntegrityError`` when the name is taken."""
        self._execute(
            "INSERT INTO users (name, user_id, created) VALUES (?, ?, ?)",
            (user.name, user.user_id, user.created),
        )

    def get_user(self, name: str) -> User | None:
        """The user called ``name`` (any case), or ``None``."""
        row = self._one("SELECT * FROM users WHERE name = ?", (name,))
        return None if row is None else User(row["name"], row["user_id"], row["created"])

    def add_access_key(self, key: AccessKey) -> None:
        """Insert an AccessKey."""
        self._execute(
            "INSERT INTO access_keys VALUES (?, ?, ?, ?, ?, ?)",
            (
                key.access_key_id,
                key.user_name,
                key.secret,
                key.status,
                key.created,
                key.last_used,
            ),
        )

    def get_access_key(self, access_key_id: str) -> AccessKey | None:
        """The AccessKey with this ID, or ``None``."""
        row = self._one("SELECT * FROM access_keys WHERE access_key_id = ?", (access_key_id,))
        return None if row is None else AccessKey(*row)

    def list_access_keys(self, user_name: str) -> list[AccessKey]:
        """A user's AccessKeys, oldest first."""
        rows = self._all(
            "SELECT * FROM access_keys WHERE user_name = ? ORDER BY created, access_key_id",
            (user_name,),
        )
        return [AccessKey(*row) for row in rows]

    def set_access_key_status(self, access_key_id: str, status: str) -> None:
        """Mark an AccessKey ``Active`` or ``Inactive``."""
        self._execute(
            "UPDATE access_keys SET status = ? WHERE access_key_id = ?", (status, access_key_id)
        )

    def delete_access_key(self, access_key_id: str) -> None:
        """Delete an AccessKey."""
        self._execute("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,))

    def touch_access_key(self, access_key_id: str, when: float) -> None:
        """Remember when an AccessKey was last used."""
        self._execute(
            "UPDATE access_keys SET last_used = ? WHERE access_key_id = ?", (when, access_key_id)
        )

    # -- RSA key pairs and the session AccessKeys they issue --

    def add_key_pair(self, key_pair: KeyPair) -> None:
        """Insert an RSA key pair."""
        self._execute(
            "INSERT INTO key_pairs VALUES (?, ?, ?, ?)",
            (key_pair.public_key_id, key_pair.user_name, key_pair.private_key, key_pair.created),
        )

    def get_key_pair(self, public_key_id: str) -> KeyPair | None:
        """The RSA key pair with this public key ID, or ``None``."""
        row = self._one("SELECT * FROM key_pairs WHERE public_key_id = ?", (public_key_id,))
        return None if row is None else KeyPair(*row)

    def add_session_access_key(self, key: SessionAccessKey) -> None:
        """Insert an issued session AccessKey."""
        self._execute(
            "INSERT INTO session_access_keys VALUES (?, ?, ?, ?, ?, ?)",
            (
                key.access_key_id,
                key.secret,
                key.public_key_id,
                key.user_name,
                key.issued,
                key.expiration,
            ),
        )

    def get_session_access_key(self, access_key_id: str) -> SessionAccessKey | None:
        """The session AccessKey with this ID, or ``None``."""
        row = self._one(
            "SELECT * FROM session_access_keys WHERE access_key_id = ?", (access_key_id,)
        )
        return None if row is None else SessionAccessKey(*row)

    # -- roles --

    def add_role(self, role: Role) -> None:
        """Insert a role; ``sqlite3.IntegrityError`` when the name is taken."""
        self._execute(
            "INSERT INTO roles VALUES (?, ?, ?, ?, ?, ?)",
            (
                role.name,
                role.role_id,
                json.dumps(role.trust_policy),
                role.max_session_duration,
                role.description,
                role.created,
            ),
        )

    def get_role(self, name: str) -> Role | None:
        """The role called ``name`` (any case), or ``None``."""
        row = self._one("SELECT * FROM roles WHERE name = ?", (name,))
        if row is None:
            return None
        return Role(
            row["name"],
            row["role_id"],
            json.loads(row["trust_policy"]),
            row["max_session_duration"],
            row["description"],
            row["created"],
        )

    def delete_role(self, name: str) -> None:
        """Delete a role (its policy attachments must be gone already)."""
        self._execute("DELETE FROM roles WHERE name = ?", (name,))

    def revoke_role_sessions(self, name: str, when: float) -> None:
        """Refuse every STS credential of role ``name`` issued at or before ``when``."""
        self._execute(
            "INSERT INTO role_revocations (role_name, revoked) VALUES (?, ?) "
            "ON CONFLICT (role_name) DO UPDATE SET revoked = max(revoked, excluded.revoked)",
            (name, when),
        )

    def role_revoked_at(self, name: str) -> float | None:
        """When the sessions of role ``name`` were last revoked, or ``None``."""
        row = self._one("SELECT revoked FROM role_revocations WHERE role_name = ?", (name,))
        return None if row is None else float(row["revoked"])

    # -- OIDC providers --

    def add_oidc_provider(self, provider: OidcProvider) -> None:
        """Insert an OIDC provider; ``sqlite3.IntegrityError`` when the name is taken."""
        self._execute(
            "INSERT INTO oidc_providers VALUES (?, ?, ?, ?, ?)",
            (
                provider.name,
                provider.issuer_url,
                json.dumps(list(provider.client_ids)),
                None if provider.jwks is None else json.dumps(provider.jwks),
                provider.created,
            ),
        )

    def get_oidc_provider(self, name: str) -> OidcProvider | None:
        """The OIDC provider called ``name`` (any case), or ``None``."""
        row = self._one("SELECT * FROM oidc_providers WHERE name = ?", (name,))
        if row is None:
            return None
        jwks = None if row["jwks"] is None else json.loads(row["jwks"])
        return OidcProvider(
            row["name"],
            row["issuer_url"],
            tuple(json.loads(row["client_ids"])),
            jwks,
            row["created"],
        )

    # -- STS sessions --

    def add_session(self, session: Session) -> None:
        """Insert an issued STS credential."""
        self._execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session.access_key_id,
                session.secret,
                session.security_token,
                session.role_name,
                session.session_name,
                session.source,
                session.issued,
                session.expiration,
                session.policy,
            ),
        )

    def get_session(self, access_key_id: str) -> Session | None:
        """The STS credential with this AccessKey ID, or ``None``."""
        row = self._one("SELECT * FROM sessions WHERE access_key_id = ?", (access_key_id,))
        return None if row is None else Session(*row)

    def session_token_exists(self, security_token: str) -> bool:
        """Whether ``security_token`` belongs to any issued STS credential."""
        row = self._one("SELECT 1 FROM sessions WHERE security_token = ?", (security_token,))
        return row is not None

    def purge_sessions(self, expired_before: float) -> int:
        """Forget STS credentials that expired before ``expired_before``; how many."""
        cursor = self._execute("DELETE FROM sessions WHERE expiration < ?", (expired_before,))
        return cursor.rowcount

    # -- call records --

    def record_call(self, call: CallRecord) -> None:
        """Append one call to the record."""
        self._execute(_INSERT_CALL, _call_row(call))

    def record_calls(self, calls: Iterable[CallRecord]) -> int:
        """Append many calls in one transaction; how many."""
        rows = [_call_row(call) for call in calls]
        with self.transaction() as db:
            db.executemany(_INSERT_CALL, rows)
        return len(rows)

    def calls(self, *, access_key_id: str | None = None, limit: int = 1000) -> list[CallRecord]:
        """Recorded calls, newest first, optionally only those made with one AccessKey."""
        if access_key_id is None:
            rows = self._all("SELECT * FROM calls ORDER BY time DESC, id DESC LIMIT ?", (limit,))
        else:
            rows = self._all(
                "SELECT * FROM calls WHERE access_key_id = ? ORDER BY time DESC, id DESC LIMIT ?",
                (access_key_id, limit),
            )
        return [call_from_row(row) for row in rows]


_INSERT_CALL = (
    "INSERT INTO calls (time, request_id, service, action, version, access_key_id, "
    "principal_arn, identity_type, source_ip, user_agent, status, error_code, "
    "error_message, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _call_row(call: CallRecord) -> tuple[Any, ...]:
    return (
        call.time,
        call.request_id,
        call.service,
        call.action,
        call.version,
        call.access_key_id,
        call.principal_arn,
        call.identity_type,
        call.source_ip,
        call.user_agent,
        call.status,
        call.error_code,
        call.error_message,
        json.dumps(call.params, sort_keys=True),
    )


def call_from_row(row: sqlite3.Row) -> CallRecord:
    """The ``CallRecord`` of one row of ``calls``."""
    return CallRecord(
        row["time"],
        row["request_id"],
        row["service"],
        row["action"],
        row["version"],
        row["access_key_id"],
        row["principal_arn"],
        row["identity_type"],
        row["source_ip"],
        row["user_agent"],
        row["status"],
        row["error_code"],
        row["error_message"],
        json.loads(row["params"]),
    )
