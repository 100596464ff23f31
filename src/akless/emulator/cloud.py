"""The emulated cloud: one account with its users, keys, roles, OIDC providers, an ECS instance,
the clock, the faults, and the Python API that tests use to shape all of it.

The HTTP layer (``app.py``) and the admin endpoint call into a ``Cloud``; tests call the same
methods directly. A fresh ``Cloud`` seeds a default identity (see ``Identity``); ``reset()``
brings the whole state back to how it was when the ``Cloud`` started.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from akless._time import Clock
from akless.emulator import ids
from akless.emulator.cloud_iam import IamApi
from akless.emulator.cloud_ram_secrets import RamSecretsApi
from akless.emulator.faults import Faults
from akless.emulator.gateway import Gateway
from akless.emulator.identity import (
    STS_AUDIENCE,
    load_or_create_issuer,
    load_or_seed,
)
from akless.emulator.policy import trust_policy
from akless.emulator.principals import oidc_provider_arn, role_arn, user_arn
from akless.emulator.records import (
    AccessKey,
    KeyPair,
    OidcProvider,
    Role,
    Session,
    SessionAccessKey,
    User,
)
from akless.emulator.store import Store

INSTANCE_CREDENTIAL_LIFETIME = 6 * 3600
INSTANCE_ROTATION_MARGIN = 30 * 60
"""The real metadata service offers a new credential 30 minutes before the old one expires."""
MAX_METADATA_TOKENS = 100_000
# RAM's naming rules; a role or provider named otherwise would have an ARN STS cannot parse.
_USER_NAME = (re.compile(r"[A-Za-z0-9._\-]{1,64}"), "1-64 letters, digits, '.', '_' or '-'")
_ROLE_NAME = (re.compile(r"[A-Za-z0-9.\-]{1,64}"), "1-64 letters, digits, '.' or '-'")
_OIDC_PROVIDER_NAME = (re.compile(r"[A-Za-z0-9.\-]{1,128}"), "1-128 letters, digits, '.' or '-'")


def _check_name(kind: str, name: object, rule: tuple[re.Pattern[str], str]) -> str:
    pattern, description = rule
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise ValueError(f"{kind} names are {description}, not {name!r}")
    return name


_MAX_SECONDS = 100 * 365 * 86400
"""Bound on clock offsets and lifetimes, so every emulated time stays a formattable date."""


def _finite(what: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > _MAX_SECONDS:
        raise ValueError(f"{what} must be a number of seconds within 100 years")
    return number


class Cloud(IamApi, RamSecretsApi):
    """The state and rules of one emulated account (thread-safe).

    Policies, AccessKey management and session revocation come from ``IamApi``, KMS secrets
    from ``SecretsApi`` and RAM secrets' rotation from ``RamSecretsApi``.
    """

    def __init__(
        self,
        state: str | Path | None = None,
        *,
        hardened_only: bool = False,
        clock: Clock = time.time,
    ) -> None:
        self.store = Store(state)
        self.faults = Faults()
        self._base_clock = clock
        self._lock = threading.RLock()
        self._clock_offset = 0.0
        self._credential_lifetime: float | None = None
        self._initial_hardened_only = hardened_only
        self.hardened_only = hardened_only
        self._metadata_tokens: dict[str, float] = {}
        self._instance_session: Session | None = None
        self.server_errors: list[BaseException] = []
        self.metadata_requests: Counter[tuple[str, str]] = Counter()
        """How many times each ``(method, path)`` of the metadata service was requested."""
        self.account_id = self.store.get_meta("account_id") or ids.account_id()
        self.store.set_meta("account_id", self.account_id)
        self.oidc = load_or_create_issuer(self.store, self.account_id)
        self.identity = load_or_seed(self)
        self.gateway = Gateway(self.store, self.now, self.account_id)
        self._seed: sqlite3.Connection = self.store.snapshot()

    # -- time --

    def now(self) -> float:
        """The emulated time: the real clock plus the offset tests set."""
        return self._base_clock() + self._clock_offset

    def set_clock_offset(self, seconds: float) -> None:
        """Run the emulated clock ``seconds`` ahead (or behind, if negative) of the real one."""
        self._clock_offset = _finite("clock offset", seconds)

    @property
    def clock_offset(self) -> float:
        """Seconds the emulated clock runs ahead of the real one."""
        return self._clock_offset

    def set_credential_lifetime(self, seconds: float | None) -> None:
        """Make every STS credential issued from now on live ``seconds`` (``None``: normal).

        The instance credential then rotates ``seconds / 12`` before it expires, keeping the
        real service's proportion (30 minutes of 6 hours).
        """
        if seconds is not None and _finite("credential lifetime", seconds) <= 0:
            raise ValueError("credential lifetime must be positive")
        with self._lock:
            self._credential_lifetime = seconds
            self._instance_session = None

    @property
    def credential_lifetime(self) -> float | None:
        """The shortened lifetime of new STS credentials, or ``None`` when normal."""
        return self._credential_lifetime

    # -- the instance --

    def set_instance_role(self, role: str | None) -> None:
        """Attach ``role`` to the instance; ``None`` detaches the instance's role."""
        if role is not None and self.store.get_role(role) is None:
            raise ValueError(f"no role named {role!r}")
        with self._lock:
            self.store.set_meta("instance_role", role or "")
            self._instance_session = None

    def set_hardened_only(self, hardened_only: bool) -> None:
        """Whether the instance refuses tokenless (normal-mode) metadata reads."""
        self.hardened_only = hardened_only

    @property
    def instance_role(self) -> str | None:
        """The role attached to the emulated instance, or ``None``."""
        return self.store.get_meta("instance_role") or None

    def issue_metadata_token(self, ttl_seconds: int) -> str:
        """A new hardened-mode metadata token valid for ``ttl_seconds``."""
        now = self.now()
        token = ids.metadata_token()
        with self._lock:
            if len(self._metadata_tokens) >= MAX_METADATA_TOKENS:
                self._metadata_tokens = {
                    key: expiry for key, expiry in self._metadata_tokens.items() if expiry > now
                }
            self._metadata_tokens[token] = now + ttl_seconds
        return token

    def metadata_token_valid(self, token: str) -> bool:
        """Whether ``token`` was issued by this instance and has not expired."""
        expiry = self._metadata_tokens.get(token)
        return expiry is not None and expiry > self.now()

    def instance_credentials(self) -> Session | None:
        """The instance role's current STS credential, rotated like the real service's."""
        role_name = self.instance_role
        if role_name is None:
            return None
        role = self.store.get_role(role_name)
        if role is None:
            return None
        with self._lock:
            now = self.now()
            lifetime = self._credential_lifetime or INSTANCE_CREDENTIAL_LIFETIME
            margin = lifetime * INSTANCE_ROTATION_MARGIN / INSTANCE_CREDENTIAL_LIFETIME
            current = self._instance_session
            if current is None or now >= current.expiration - margin:
                current = self.issue_session(
                    role, self.identity.instance_id, source="ecs", duration=lifetime
                )
                self._instance_session = current
            return current

    # -- STS sessions --

    def issue_session(
        self,
        role: Role,
        session_name: str,
        *,
        source: str,
        duration: float,
        policy: str | None = None,
    ) -> Session:
        """Issue an STS credential for ``role``; it signs calls until it expires."""
        now = self.now()
        lifetime = self._credential_lifetime or duration
        session = Session(
            access_key_id=ids.sts_access_key_id(),
            secret=ids.access_key_secret(),
            security_token=ids.security_token(),
            role_name=role.name,
            session_name=session_name,
            source=source,
            issued=now,
            expiration=now + lifetime,
            policy=policy,
        )
        self.store.add_session(session)
        return session

    def issue_session_access_key(self, key_pair: KeyPair, *, duration: float) -> SessionAccessKey:
        """Issue a session AccessKey (no security token) that signs calls as the key pair's
        user until it expires."""
        now = self.now()
        key = SessionAccessKey(
            access_key_id=ids.session_access_key_id(),
            secret=ids.access_key_secret(),
            public_key_id=key_pair.public_key_id,
            user_name=key_pair.user_name,
            issued=now,
            expiration=now + (self._credential_lifetime or duration),
        )
        self.store.add_session_access_key(key)
        return key

    # -- users, keys, key pairs, roles, OIDC providers --

    def create_user(self, name: str, *, policies: Sequence[str] = ()) -> User:
        """Create a RAM user (``ValueError`` if the name is taken) with these system policies."""
        user = User(_check_name("user", name, _USER_NAME), ids.principal_id(), self.now())
        try:
            self.store.add_user(user)
        except sqlite3.IntegrityError:
            raise ValueError(f"a user named {name!r} already exists") from None
        for policy in policies:
            self.attach_policy_to_user(user.name, policy)
        return user

    def create_access_key(self, user_name: str) -> AccessKey:
        """Create an active AccessKey for ``user_name``.

        Unlike RAM's ``CreateAccessKey`` (see ``new_access_key``) this does not apply the limit
        of two keys per user, so tests can set up any state."""
        if self.store.get_user(user_name) is None:
            raise ValueError(f"no user named {user_name!r}")
        key = AccessKey(
            ids.access_key_id(), user_name, ids.access_key_secret(), "Active", self.now(), None
        )
        self.store.add_access_key(key)
        return key

    def create_key_pair(self, user_name: str) -> tuple[str, str]:
        """Create an RSA key pair for ``user_name``: ``(public_key_id, private_key_pem_text)``.

        The PEM text is what a downloaded private key file holds; GenerateSessionAccessKey calls
        are signed with exactly that text as the secret.
        """
        if self.store.get_user(user_name) is None:
            raise ValueError(f"no user named {user_name!r}")
        key_pair = KeyPair(ids.key_pair_id(), user_name, ids.rsa_private_key_pem(), self.now())
        self.store.add_key_pair(key_pair)
        return key_pair.public_key_id, key_pair.private_key

    def set_access_key_status(self, access_key_id: str, status: str) -> None:
        """Enable (``Active``) or disable (``Inactive``) an AccessKey (``UpdateAccessKey``)."""
        if status not in ("Active", "Inactive"):
            raise ValueError("status must be 'Active' or 'Inactive'")
        if self.store.get_access_key(access_key_id) is None:
            raise ValueError(f"no AccessKey {access_key_id!r}")
        self.store.set_access_key_status(access_key_id, status)

    def create_role(
        self,
        name: str,
        *,
        trusted: Sequence[str] = (),
        services: Sequence[str] = (),
        federated: Sequence[str] = (),
        conditions: Mapping[str, Mapping[str, str | list[str]]] | None = None,
        trust: Mapping[str, Any] | None = None,
        max_session_duration: int = 3600,
        description: str = "",
        policies: Sequence[str] = ("AdministratorAccess",),
    ) -> Role:
        """Create a role trusting the given principals, or exactly the ``trust`` policy given.

        ``trusted`` are RAM ARNs (users, roles, or the account root), ``services`` service
        names, ``federated`` OIDC provider ARNs. ``policies`` are the system policies attached
        to it (by default ``AdministratorAccess``, so its sessions may call every service).
        """
        _check_name("role", name, _ROLE_NAME)
        if not 3600 <= max_session_duration <= 43200:
            raise ValueError("max_session_duration must be 3600..43200 seconds")
        document = (
            dict(trust)
            if trust is not None
            else trust_policy(
                ram=trusted, services=services, federated=federated, conditions=conditions
            )
        )
        role = Role(
            name, ids.principal_id(), document, max_session_duration, description, self.now()
        )
        try:
            self.store.add_role(role)
        except sqlite3.IntegrityError:
            raise ValueError(f"a role named {name!r} already exists") from None
        for policy in policies:
            self.attach_policy_to_role(role.name, policy)
        return role

    def role_arn(self, name: str) -> str:
        """The ARN of role ``name`` in this account."""
        return role_arn(self.account_id, name)

    def user_arn(self, name: str) -> str:
        """The ARN of user ``name`` in this account."""
        return user_arn(self.account_id, name)

    def create_oidc_provider(
        self,
        name: str,
        *,
        issuer_url: str | None = None,
        client_ids: Sequence[str] = (STS_AUDIENCE,),
        jwks: Mapping[str, Any] | None = None,
    ) -> str:
        """Register an OIDC provider; its ARN. Without ``jwks`` it trusts the emulator's keys."""
        provider = OidcProvider(
            _check_name("OIDC provider", name, _OIDC_PROVIDER_NAME),
            issuer_url or self.oidc.issuer,
            tuple(client_ids),
            None if jwks is None else dict(jwks),
            self.now(),
        )
        try:
            self.store.add_oidc_provider(provider)
        except sqlite3.IntegrityError:
            raise ValueError(f"an OIDC provider named {name!r} already exists") from None
        return oidc_provider_arn(self.account_id, name)

    def mint_oidc_token(
        self,
        subject: str = "system:serviceaccount:default:akless",
        *,
        audience: str | Sequence[str] = STS_AUDIENCE,
        expires_in: float = 3600,
        issuer: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A token from the emulator's issuer, as ACK would project into a pod."""
        return self.oidc.mint(
            subject=subject,
            audience=audience,
            now=self.now(),
            expires_in=_finite("expires_in", expires_in),
            issuer=issuer,
            extra_claims=extra_claims,
        )

    # -- reset --

    def reset(self) -> None:
        """Bring everything back to how it was when this ``Cloud`` started."""
        with self._lock:
            self.store.restore(self._seed)
            self.faults.clear()
            self.gateway.nonces.clear()
            self._metadata_tokens.clear()
            self._instance_session = None
            self._clock_offset = 0.0
            self._credential_lifetime = None
            self.hardened_only = self._initial_hardened_only
            self.server_errors.clear()
            self.metadata_requests.clear()

    def close(self) -> None:
        """Close the state database (and the start-up snapshot ``reset()`` restores)."""
        self._seed.close()
        self.store.close()
