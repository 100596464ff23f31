"""Where a rotated AccessKey goes: an INI profile, a KMS secret, or standard output.

``parse_target("ini:PATH:PROFILE" | "kms:SECRET_NAME" | "stdout")`` builds one; ``default_target``
finds the INI profile the current credential came from. A target says which key it holds now
(``current``, with its secret, so the rotation can prove it) and takes a new one (``write``).

A KMS secret of type ``RAMCredentials`` is rotated by KMS itself (``RotateSecret``): KMS creates
the new key, stores it and deletes the old one, so its target only reports ``managed_by_kms``.
A ``Generic`` secret gets the new pair as JSON (``{"AccessKeyId": ..., "AccessKeySecret": ...}``)
in a new version. No other secret type is a place for an AccessKey.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from akless._env import Environ
from akless._parsing import parse_json
from akless.credentials import Credentials
from akless.errors import ConfigurationError

if TYPE_CHECKING:
    from akless.kms import KmsClient
    from akless.provider import CredentialsProvider

TARGET_HELP = "ini:PATH:PROFILE (PATH may be empty: the credentials file), kms:SECRET_NAME, stdout"
RAM_SECRET_TYPE = "RAMCredentials"  # noqa: S105 - a secret type, not a password
GENERIC_SECRET_TYPE = "Generic"  # noqa: S105 - the same


class Target(Protocol):
    """A place that holds one AccessKey."""

    @property
    def spec(self) -> str:
        """The target in ``--target`` form; also what a journal is keyed by."""
        ...

    @property
    def managed_by_kms(self) -> bool:
        """Whether KMS rotates the key itself (a ``RAMCredentials`` secret)."""
        ...

    def describe(self) -> str:
        """For people: ``profile 'dev' in /home/me/.alibabacloud/credentials.ini``."""
        ...

    def current(self) -> Credentials | None:
        """The key the target holds now, with its secret; ``None`` when it holds none (or, for
        standard output, cannot say)."""
        ...

    def write(self, credentials: Credentials) -> None:
        """Store ``credentials`` in place of the current key."""
        ...


@dataclass
class IniTarget:
    """An ``access_key`` profile (or a ``ram_role_arn`` profile with its own key)."""

    path: Path
    profile: str
    environ: Environ | None = None
    managed_by_kms: bool = False

    @property
    def spec(self) -> str:
        return f"ini:{self.path}:{self.profile}"

    def describe(self) -> str:
        return f"profile {self.profile!r} in {self.path}"

    def current(self) -> Credentials | None:
        from akless.profiles_file import stored_access_key

        return stored_access_key(self.profile, path=self.path, environ=self.environ)

    def write(self, credentials: Credentials) -> None:
        from akless.profiles_file import replace_access_key

        replace_access_key(self.profile, credentials, path=self.path, environ=self.environ)


@dataclass
class KmsTarget:
    """A KMS secret: ``RAMCredentials`` (KMS rotates it) or ``Generic`` (holding the pair)."""

    secret_name: str
    kms: KmsClient
    caller: Credentials
    """Signs the KMS calls (the credential the rotation runs with)."""
    _type: str | None = field(default=None, init=False)

    @property
    def spec(self) -> str:
        return f"kms:{self.secret_name}"

    @property
    def managed_by_kms(self) -> bool:
        self._load()
        return self._type == RAM_SECRET_TYPE

    def describe(self) -> str:
        return f"KMS secret {self.secret_name!r}"

    def current(self) -> Credentials | None:
        value = self._load()
        if self._type == RAM_SECRET_TYPE:
            return value.ram_credentials()  # type: ignore[no-any-return]
        return _pair_from_json(value.data, self.secret_name)

    def write(self, credentials: Credentials) -> None:
        if self.managed_by_kms:
            raise ConfigurationError(f"{self.describe()} is rotated by KMS, not written to")
        document = {
            "AccessKeyId": credentials.access_key_id,
            "AccessKeySecret": credentials.access_key_secret,
        }
        # One version per key: a second write of the same key is the same version.
        version_id = f"akless-{credentials.access_key_id}"
        self.kms.put_secret_value(self.caller, self.secret_name, json.dumps(document), version_id)

    def rotate(self) -> None:
        """Ask KMS to rotate a ``RAMCredentials`` secret now."""
        self.kms.rotate_secret(self.caller, self.secret_name)

    def _load(self) -> Any:
        value = self.kms.get_secret_value(self.caller, self.secret_name)
        kind = value.secret_type
        if kind not in (RAM_SECRET_TYPE, GENERIC_SECRET_TYPE):
            raise ConfigurationError(
                f"KMS secret {self.secret_name!r} is a {kind or 'untyped'} secret, not a place "
                f"for an AccessKey: use a {RAM_SECRET_TYPE} secret (KMS rotates it) or a "
                f'{GENERIC_SECRET_TYPE} one holding {{"AccessKeyId", "AccessKeySecret"}}',
                source=self.spec,
            )
        self._type = kind
        return value


@dataclass
class StdoutTarget:
    """Standard output, in a format a tool consumes (shell ``export`` lines)."""

    emit: Callable[[str], None]
    spec: str = "stdout"
    managed_by_kms: bool = False

    def describe(self) -> str:
        return "standard output"

    def current(self) -> Credentials | None:
        return None

    def write(self, credentials: Credentials) -> None:
        from akless.export import render_credentials

        self.emit(render_credentials(credentials, "env"))


def _pair_from_json(data: str, name: str) -> Credentials | None:
    if not data.strip():
        return None
    parsed = parse_json(data)
    value = parsed.value
    if isinstance(value, dict):
        key_id, secret = value.get("AccessKeyId"), value.get("AccessKeySecret")
        if isinstance(key_id, str) and isinstance(secret, str) and key_id and secret:
            return Credentials(key_id, secret, provider_name="kms_secret")
    raise ConfigurationError(
        f"KMS secret {name!r} does not hold an AccessKey as JSON "
        '{"AccessKeyId": ..., "AccessKeySecret": ...}; refusing to overwrite it',
        source=f"kms:{name}",
    )


def parse_target(
    spec: str,
    *,
    environ: Environ | None = None,
    kms: Callable[[], KmsClient] | None = None,
    caller: Credentials | None = None,
    emit: Callable[[str], None] | None = None,
) -> Target:
    """The target ``spec`` names (see ``TARGET_HELP``); ``ConfigurationError`` when malformed."""
    text = spec.strip()
    kind, _, rest = text.partition(":")
    if text == "stdout" and emit is not None:
        return StdoutTarget(emit)
    if kind == "ini" and ":" in rest:
        from akless.profiles_file import credentials_path

        path_text, _, profile = rest.rpartition(":")
        if profile:
            path = credentials_path(Path(path_text).expanduser() if path_text else None, environ)
            return IniTarget(path, profile, environ)
    if kind == "kms" and rest and kms is not None and caller is not None:
        return KmsTarget(rest, kms(), caller)
    raise ConfigurationError(f"--target {spec!r}: expected {TARGET_HELP}", source="--target")


def default_target(provider: CredentialsProvider, environ: Environ | None = None) -> IniTarget:
    """The INI profile ``provider``'s credential came from (ask it for credentials first);
    a ``ConfigurationError`` when it came from anywhere else."""
    from akless.chain import ChainProvider
    from akless.providers.profile import ProfileProvider

    used = provider.last_used if isinstance(provider, ChainProvider) else provider
    if isinstance(used, ProfileProvider):
        return IniTarget(used.path, used.profile, environ)
    name = getattr(used, "name", None) or "an unknown source"
    raise ConfigurationError(
        f"the current credential comes from {name}, not from an INI profile, so there is no "
        f"file to put the new key in: say where it goes with --target ({TARGET_HELP})",
        source="--target",
    )
