"""What the emulator stores: the SQL schema, and one frozen record type per entity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    user_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL COLLATE NOCASE REFERENCES users(name),
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    last_used REAL
);
CREATE TABLE IF NOT EXISTS roles (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role_id TEXT NOT NULL UNIQUE,
    trust_policy TEXT NOT NULL,
    max_session_duration INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_providers (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    issuer_url TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    jwks TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    access_key_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    security_token TEXT NOT NULL UNIQUE,
    role_name TEXT NOT NULL COLLATE NOCASE,
    session_name TEXT NOT NULL,
    source TEXT NOT NULL,
    issued REAL NOT NULL,
    expiration REAL NOT NULL,
    policy TEXT
);
CREATE TABLE IF NOT EXISTS key_pairs (
    public_key_id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL COLLATE NOCASE REFERENCES users(name),
    private_key TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS session_access_keys (
    access_key_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    public_key_id TEXT NOT NULL,
    user_name TEXT NOT NULL COLLATE NOCASE,
    issued REAL NOT NULL,
    expiration REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    request_id TEXT NOT NULL,
    service TEXT NOT NULL,
    action TEXT NOT NULL,
    version TEXT NOT NULL,
    access_key_id TEXT,
    principal_arn TEXT,
    identity_type TEXT,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    status INTEGER NOT NULL,
    error_code TEXT,
    error_message TEXT,
    params TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_by_key_time ON calls (access_key_id, time);
CREATE INDEX IF NOT EXISTS calls_by_time ON calls (time);
CREATE INDEX IF NOT EXISTS calls_by_action_time ON calls (action, time);
CREATE INDEX IF NOT EXISTS calls_by_service_time ON calls (service, time);
CREATE INDEX IF NOT EXISTS calls_by_principal_time ON calls (principal_arn, time);
CREATE TABLE IF NOT EXISTS policy_attachments (
    principal_type TEXT NOT NULL,
    principal_name TEXT NOT NULL COLLATE NOCASE,
    policy_name TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    attached REAL NOT NULL,
    PRIMARY KEY (principal_type, principal_name, policy_type, policy_name)
);
CREATE TABLE IF NOT EXISTS custom_policies (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    document TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS role_revocations (
    role_name TEXT PRIMARY KEY COLLATE NOCASE,
    revoked REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    secret_type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    user_name TEXT COLLATE NOCASE,
    rotation_interval REAL,
    grace REAL NOT NULL,
    created REAL NOT NULL,
    last_rotation REAL,
    next_rotation REAL,
    grace_until REAL,
    pending_disable TEXT
);
CREATE INDEX IF NOT EXISTS secrets_by_next_rotation ON secrets (next_rotation);
CREATE INDEX IF NOT EXISTS secrets_by_grace_until ON secrets (grace_until);
CREATE TABLE IF NOT EXISTS secret_versions (
    secret_name TEXT NOT NULL,
    version_id TEXT NOT NULL,
    data TEXT NOT NULL,
    data_type TEXT NOT NULL,
    stages TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (secret_name, version_id)
);
"""


@dataclass(frozen=True)
class User:
    """A RAM user."""

    name: str
    user_id: str
    created: float


@dataclass(frozen=True)
class AccessKey:
    """A RAM user's long-term AccessKey pair."""

    access_key_id: str
    user_name: str
    secret: str
    status: str
    created: float
    last_used: float | None


@dataclass(frozen=True)
class KeyPair:
    """An RSA key pair: its public key ID signs GenerateSessionAccessKey, keyed (HMAC-SHA1, as
    the official Python and Java libraries do) by the private key's PEM text."""

    public_key_id: str
    user_name: str
    private_key: str = field(repr=False)
    created: float


@dataclass(frozen=True)
class SessionAccessKey:
    """A temporary AccessKey GenerateSessionAccessKey issued: no security token, an expiry."""

    access_key_id: str
    secret: str
    public_key_id: str
    user_name: str
    issued: float
    expiration: float


@dataclass(frozen=True)
class Role:
    """A RAM role with its trust policy (who may assume it)."""

    name: str
    role_id: str
    trust_policy: dict[str, Any]
    max_session_duration: int
    description: str
    created: float


@dataclass(frozen=True)
class OidcProvider:
    """A registered OIDC identity provider; ``jwks`` ``None`` means the emulator's own issuer."""

    name: str
    issuer_url: str
    client_ids: tuple[str, ...]
    jwks: dict[str, Any] | None
    created: float


@dataclass(frozen=True)
class Session:
    """An STS credential the emulator issued (by AssumeRole, OIDC, or to the instance)."""

    access_key_id: str
    secret: str
    security_token: str
    role_name: str
    session_name: str
    source: str
    issued: float
    expiration: float
    policy: str | None


@dataclass(frozen=True)
class CallRecord:
    """One API call as the emulator saw it (the source of ActionTrail events)."""

    time: float
    request_id: str
    service: str
    action: str
    version: str
    access_key_id: str | None
    principal_arn: str | None
    identity_type: str | None
    source_ip: str
    user_agent: str
    status: int
    error_code: str | None
    error_message: str | None
    params: dict[str, str]


def call_record(
    *,
    time: float,
    action: str,
    service: str = "sts",
    version: str = "2015-04-01",
    access_key_id: str | None = None,
    principal_arn: str | None = None,
    identity_type: str | None = None,
    source_ip: str = "127.0.0.1",
    user_agent: str = "",
    status: int = 200,
    error_code: str | None = None,
    error_message: str | None = None,
    params: dict[str, str] | None = None,
    request_id: str | None = None,
) -> CallRecord:
    """A ``CallRecord`` with defaults for everything but time and action (synthetic events for
    ``Cloud.record_calls``)."""
    return CallRecord(
        time=time,
        request_id=request_id or str(uuid.uuid4()).upper(),
        service=service,
        action=action,
        version=version,
        access_key_id=access_key_id,
        principal_arn=principal_arn,
        identity_type=identity_type,
        source_ip=source_ip,
        user_agent=user_agent,
        status=status,
        error_code=error_code,
        error_message=error_message,
        params=dict(params or {}),
    )


@dataclass(frozen=True)
class PolicyAttachment:
    """A policy attached to a user or a role."""

    policy_name: str
    policy_type: str
    """``System`` or ``Custom``."""
    attached: float


@dataclass(frozen=True)
class Secret:
    """A KMS secret's settings (its values are ``SecretVersion``s).

    ``grace_until`` and ``pending_disable``: after a RAM secret rotates, the previous AccessKey
    stays active until ``grace_until``, then it is disabled."""

    name: str
    secret_type: str
    """``Generic`` or ``RAMCredentials``."""
    description: str
    user_name: str | None
    rotation_interval: float | None
    """Seconds between automatic rotations; ``None`` when automatic rotation is off."""
    grace: float
    created: float
    last_rotation: float | None
    next_rotation: float | None
    grace_until: float | None
    pending_disable: str | None


@dataclass(frozen=True)
class SecretVersion:
    """One value of a secret, with its stages (``ACSCurrent``, ``ACSPrevious``...)."""

    secret_name: str
    version_id: str
    data: str = field(repr=False)
    data_type: str
    stages: tuple[str, ...]
    created: float
