"""Assumed-role credentials kept on disk, so that running ``akless exec --role-arn`` again within
a credential's lifetime makes no STS call.

Files live in ``$XDG_CACHE_HOME/akless/roles/`` (``~/.cache/akless/roles/`` without it), a
directory only its owner may enter (0700; not used at all when it is another user's or a link).
Each file is named by a SHA-256 of everything that makes the credential what it is (role ARN,
the source AccessKey ID, session name, policy, duration, external ID, STS endpoint), so neither
the name nor the key holds a secret; the file holds the temporary credential, written
atomically with mode 0600. A cached credential is served until ``margin`` before it expires: the
last 5 minutes, or the last 20 % of its lifetime for short ones. A file that is missing,
corrupt, unreadable or for another role is a cache miss; the next AssumeRole replaces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akless import _env
from akless._env import Environ
from akless._files import home_directory, read_credentials_file, write_credentials_file
from akless._parsing import parse_json, utc_timestamp
from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.sts import DEFAULT_DURATION, StsClient

log = logging.getLogger("akless")

CACHE_VERSION = 1
DEFAULT_SESSION_NAME = "akless-exec"
MARGIN_MAX = 5 * 60.0
MARGIN_FRACTION = 0.20
POLICY_MAX_BYTES = 64 * 1024
WHAT = "assumed-role cache file"
PROVIDER_NAME = "ram_role_arn/cache"


@dataclass(frozen=True)
class RoleRequest:
    """One AssumeRole, as ``akless exec --role-arn`` asks for it."""

    role_arn: str
    role_session_name: str = DEFAULT_SESSION_NAME
    duration_seconds: int = DEFAULT_DURATION
    policy: str | None = None
    external_id: str | None = None


def cache_directory(environ: Environ | None = None) -> Path:
    """``$XDG_CACHE_HOME/akless/roles``, or ``~/.cache/akless/roles``."""
    base = _env.XDG_CACHE_HOME.get(environ) or ""
    # The XDG rule: a relative value is invalid and ignored.
    root = Path(base) if os.path.isabs(base) else home_directory() / ".cache"
    return root / "akless" / "roles"


def default_cache(
    environ: Environ | None = None, *, clock: Clock = system_clock
) -> RoleCache | None:
    """The cache in ``cache_directory(environ)``; ``None`` when there is no home to put it in."""
    try:
        return RoleCache(cache_directory(environ), clock=clock)
    except CredentialsUnavailable as error:
        log.warning("not caching assumed roles: %s", error)
        return None


def margin(lifetime: float) -> float:
    """How long before expiry a cached credential stops being served."""
    return min(MARGIN_MAX, max(0.0, lifetime) * MARGIN_FRACTION)


def read_policy_file(path: str | Path) -> str:
    """The session policy in ``path``, which must hold a JSON object; errors name the file."""
    try:
        with open(path, "rb") as file:
            raw = file.read(POLICY_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigurationError(
            f"the policy file {path} does not exist", source=str(path)
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"cannot read the policy file {path}: {error.strerror or type(error).__name__}",
            source=str(path),
        ) from None
    if len(raw) > POLICY_MAX_BYTES:
        raise ConfigurationError(
            f"the policy file {path} is larger than 64 KiB, so it is not a session policy",
            source=str(path),
        )
    parsed = parse_json(raw)
    if parsed.problem is not None:
        raise ConfigurationError(
            f"the policy file {path} is not JSON ({parsed.problem}); a session policy is a "
            'JSON object such as {"Version": "1", "Statement": [...]}',
            source=str(path),
        )
    if not isinstance(parsed.value, dict):
        raise ConfigurationError(
            f"the policy file {path} is JSON but not an object; a session policy is a JSON "
            'object such as {"Version": "1", "Statement": [...]}',
            source=str(path),
        )
    return raw.decode("utf-8").strip()


class RoleCache:
    """The on-disk cache of assumed-role credentials (see the module docstring)."""

    def __init__(self, directory: str | Path, *, clock: Clock = system_clock) -> None:
        self.directory = Path(directory)
        self._clock = clock

    def path(self, request: RoleRequest, source_access_key_id: str, sts_endpoint: str) -> Path:
        """The file that caches ``request`` made with that source key at that endpoint."""
        material = json.dumps(
            [
                CACHE_VERSION,
                request.role_arn,
                source_access_key_id,
                request.role_session_name,
                request.policy,
                request.duration_seconds,
                request.external_id,
                sts_endpoint,
            ]
        )
        return self.directory / f"{hashlib.sha256(material.encode()).hexdigest()}.json"

    def get(self, path: Path, role_arn: str) -> Credentials | None:
        """The credential cached in ``path`` for ``role_arn`` if it is still good to serve."""
        if not self._usable_directory():
            return None
        try:
            text = read_credentials_file(path, what=WHAT)
        except (FileNotFoundError, ConfigurationError, CredentialsUnavailable):
            return None
        entry = _parse_entry(text, role_arn)
        if entry is None:
            log.info("ignoring the corrupt %s %s; it will be replaced", WHAT, path)
            return None
        credentials, expiration, obtained_at = entry
        if self._clock() >= expiration - margin(expiration - obtained_at):
            return None
        return credentials

    def put(self, path: Path, role_arn: str, credentials: Credentials, obtained_at: float) -> None:
        """Cache ``credentials``; a cache that cannot be written is a warning, not an error."""
        if credentials.expiration is None or not credentials.security_token:
            return
        if not self._usable_directory():
            return
        entry = {
            "version": CACHE_VERSION,
            "role_arn": role_arn,
            "obtained_at": format_timestamp(obtained_at),
            "AccessKeyId": credentials.access_key_id,
            "AccessKeySecret": credentials.access_key_secret,
            "SecurityToken": credentials.security_token,
            "Expiration": format_timestamp(credentials.expiration),
        }
        try:
            write_credentials_file(path, json.dumps(entry) + "\n")
        except ConfigurationError as error:
            log.warning("not caching the assumed role: %s", error)

    def _usable_directory(self) -> bool:
        """Create the directory (0700) if needed; whether it is safe to use."""
        directory = self.directory
        try:
            directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(directory)
            if not stat.S_ISDIR(info.st_mode):
                raise NotADirectoryError(20, "not a directory (or a link to one)")
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                raise PermissionError(1, "owned by another user")
            if stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(directory, 0o700)
        except OSError as error:
            log.warning(
                "not using the role cache %s: %s", directory, error.strerror or type(error).__name__
            )
            return False
        return True


def _parse_entry(text: str, role_arn: str) -> tuple[Credentials, float, float] | None:
    """The cached credential, its expiry and when it was obtained; ``None`` if corrupt."""
    parsed = parse_json(text)
    data: Any = parsed.value
    if parsed.problem is not None or not isinstance(data, Mapping):
        return None
    if data.get("version") != CACHE_VERSION or data.get("role_arn") != role_arn:
        return None
    names = ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "obtained_at")
    values = [data.get(name) for name in names]
    texts = [value for value in values if isinstance(value, str) and value]
    if len(texts) != len(names):
        return None
    key_id, secret, token, expires, obtained = texts
    expiration, obtained_at = utc_timestamp(expires), utc_timestamp(obtained)
    if expiration is None or obtained_at is None:
        return None
    credentials = Credentials(key_id, secret, token, expiration, PROVIDER_NAME)
    return credentials, expiration, obtained_at


def assume_role_cached(
    source: Credentials,
    request: RoleRequest,
    *,
    sts: StsClient,
    cache: RoleCache | None,
    clock: Clock = system_clock,
) -> Credentials:
    """The credentials of ``request.role_arn`` assumed with ``source``: from ``cache`` while they
    are good, else from STS (and then cached)."""
    if not source.access_key_id or not source.access_key_secret:
        raise ConfigurationError(
            f"the source credential ({source.provider_name}) is a bearer token; assuming a role "
            "needs an AccessKey",
            source="credentials",
        )
    path = None
    if cache is not None:
        path = cache.path(request, source.access_key_id, sts.endpoint)
        cached = cache.get(path, request.role_arn)
        if cached is not None:
            return cached
    obtained_at = clock()
    assumed = sts.assume_role(
        source,
        role_arn=request.role_arn,
        role_session_name=request.role_session_name,
        duration_seconds=request.duration_seconds,
        policy=request.policy,
        external_id=request.external_id,
        provider_name=f"ram_role_arn/{source.provider_name}",
    )
    if cache is not None and path is not None:
        cache.put(path, request.role_arn, assumed.credentials, obtained_at)
    return assumed.credentials
