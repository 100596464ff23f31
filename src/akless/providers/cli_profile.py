"""Credentials from a profile of the aliyun CLI's ``~/.aliyun/config.json``.

The file is ``ALIBABA_CLOUD_CONFIG_FILE``, else ``~/.aliyun/config.json``; the profile is the one
named to the provider, else ``use_profile()``'s, else ``ALIBABA_CLOUD_PROFILE``, else the file's
``current``. ``ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`` turns this step off (checked at every
call)::

    {"current": "dev",
     "profiles": [{"name": "dev", "mode": "AK", "access_key_id": "...", ...}]}

Modes (any case; an empty mode is inferred from the fields the way aliyun-cli does): AK,
StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, External, CredentialsURI. Unlike the
official libraries, a profile's ``sts_endpoint`` is honoured, and OIDC reads ``ram_session_name``
(what aliyun-cli writes). Results are named ``cli_profile/<inner>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from akless import _env
from akless._env import Environ
from akless._files import home_directory, read_credentials_file
from akless._parsing import parse_json
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.provider import CredentialsProvider
from akless.providers._profile_source import ProfileFields, ProfileSource, cycle_error
from akless.providers._selection import selected_profile
from akless.providers.ecs_ram_role import EcsRamRoleProvider
from akless.providers.oidc import OidcRoleArnProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.static import StaticAKProvider, StaticSTSProvider
from akless.transport import Transport

CONFIG_FILE = Path(".aliyun", "config.json")
DEFAULT_PROFILE = "default"
WHAT = "aliyun CLI config file"

MODES = (
    "AK",
    "StsToken",
    "RamRoleArn",
    "ChainableRamRoleArn",
    "EcsRamRole",
    "OIDC",
    "External",
    "CredentialsURI",
)
NOT_SUPPORTED_YET = (
    "CloudSSO",
    "OAuth",
    "RsaKeyPair",
    "RamRoleArnWithRoleName",
    "BearerToken",
    "Anonymous",
)
_CANONICAL = {mode.lower(): mode for mode in (*MODES, *NOT_SUPPORTED_YET)}

Profiles = Mapping[str, Mapping[str, object]]


def config_path(path: str | Path | None = None, environ: Environ | None = None) -> Path:
    """The config file the CLI provider reads."""
    configured = str(path) if path else _env.CONFIG_FILE.get(environ)
    if configured:
        return Path(configured).expanduser()
    return home_directory() / CONFIG_FILE


def parse_config(text: str, path: Path) -> tuple[str | None, Profiles]:
    """The ``current`` profile name and the profiles by name; ``ConfigurationError`` if malformed.

    Profiles without a name cannot be selected and are left out; of two with the same name the
    first counts, as in aliyun-cli.
    """
    source = str(path)
    parsed = parse_json(text)
    if parsed.problem is not None:
        raise ConfigurationError(
            f"{path} is not valid JSON ({parsed.problem}); fix it or run `aliyun configure` to "
            "write it again",
            source=source,
        )
    document = parsed.value
    if not isinstance(document, dict):
        raise ConfigurationError(
            f"{path} is not an aliyun CLI config: its top level is {_json_type(document)}, "
            "not an object",
            source=source,
        )
    current = document.get("current")
    if current is not None and not isinstance(current, str):
        raise ConfigurationError(
            f'{path}: "current" must be a profile name, not {_json_type(current)}', source=source
        )
    entries = document.get("profiles", [])
    if not isinstance(entries, list):
        raise ConfigurationError(
            f'{path}: "profiles" must be a list, not {_json_type(entries)}', source=source
        )
    profiles: dict[str, Mapping[str, object]] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigurationError(
                f"{path}: profiles[{index}] must be an object, not {_json_type(entry)}",
                source=source,
            )
        name = entry.get("name")
        if isinstance(name, str) and name and name not in profiles:
            profiles[name] = entry
    return (current.strip() or None) if current else None, profiles


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def detect_mode(fields: ProfileFields) -> str | None:
    """The mode aliyun-cli infers for a profile without one (``None`` if nothing fits)."""
    if fields.text("access_key_id") and fields.text("access_key_secret"):
        if fields.text("sts_token"):
            return "StsToken"
        return "RamRoleArn" if fields.text("ram_role_arn") else "AK"
    if fields.text("private_key") and fields.text("key_pair_name"):
        return "RsaKeyPair"
    if fields.text("ram_role_name"):
        return "EcsRamRole"
    if fields.text("process_command"):
        return "External"
    if all(fields.text(key) for key in ("oidc_provider_arn", "oidc_token_file", "ram_role_arn")):
        return "OIDC"
    if fields.text("cloud_sso_sign_in_url"):
        return "CloudSSO"
    if fields.text("bearer_token"):
        return "BearerToken"
    if fields.text("credentials_uri"):
        return "CredentialsURI"
    return None


class CliProfileProvider:
    """The ``cli_profile`` provider: profile ``profile_name`` of the aliyun CLI config.

    ``path`` replaces the file lookup. The file is read once, on first use; the provider the
    profile describes is then kept.
    """

    name = "cli_profile"

    def __init__(
        self,
        profile_name: str | None = None,
        *,
        path: str | Path | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
        transport: Transport | None = None,
    ) -> None:
        self._profile_name = profile_name
        self._path = path
        self._environ = environ
        self._clock = clock
        self._transport = transport
        self._loaded_from: tuple[Path, str] | None = None
        self._source = ProfileSource(self.name, self._load)

    @property
    def path(self) -> Path:
        """The config file used (before the first use: the one that would be used now)."""
        if self._loaded_from is not None:
            return self._loaded_from[0]
        return config_path(self._path, self._environ)

    @property
    def profile(self) -> str | None:
        """The profile used; before the first use ``None`` when it will be the file's current."""
        if self._loaded_from is not None:
            return self._loaded_from[1]
        return self._profile_name or selected_profile(self._environ)

    def load(self) -> CredentialsProvider:
        """The provider the profile describes, reading the file if that was not done yet."""
        self._check_enabled()
        return self._source.provider()

    def get_credentials(self) -> Credentials:
        """The profile's credentials; unavailable when disabled, or without file or profile."""
        self._check_enabled()
        return self._source.get()

    async def get_credentials_async(self) -> Credentials:
        """The profile's credentials, without blocking the event loop."""
        self._check_enabled()
        return await self._source.get_async()

    def get_provider_name(self) -> str:
        """``cli_profile`` (official getter)."""
        return self.name

    def _check_enabled(self) -> None:
        if _env.CLI_PROFILE_DISABLED.is_true(self._environ):
            raise CredentialsUnavailable(
                f"{_env.CLI_PROFILE_DISABLED.name} is true", provider=self.name
            )

    def _load(self) -> CredentialsProvider:
        path = config_path(self._path, self._environ)
        try:
            text = read_credentials_file(path, what=WHAT)
        except FileNotFoundError:
            raise CredentialsUnavailable(
                f"no aliyun CLI config file at {path}", provider=self.name
            ) from None
        current, profiles = parse_config(text, path)
        chosen = self._profile_name or selected_profile(self._environ)
        name = chosen or current or DEFAULT_PROFILE
        if name not in profiles:
            present = ", ".join(list(profiles)[:20]) or "none"
            if chosen is None and current is not None:
                problem = (
                    f"the current profile {name!r} named in {path} does not exist (profiles "
                    f'there: {present}); run `aliyun configure --profile {name}` or set "current" '
                    "to one of them"
                )
            else:
                problem = f"no profile {name!r} in {path} (profiles there: {present})"
            raise CredentialsUnavailable(problem, provider=self.name)
        builder = _Builder(
            profiles, path, environ=self._environ, clock=self._clock, transport=self._transport
        )
        provider = builder.build(name)
        self._loaded_from = (path, name)
        return provider


class _Builder:
    """The profiles of one config file, turned into providers."""

    def __init__(
        self,
        profiles: Profiles,
        path: Path,
        *,
        environ: Environ | None,
        clock: Clock,
        transport: Transport | None,
    ) -> None:
        self._profiles = profiles
        self._path = path
        self._environ = environ
        self._common: dict[str, Any] = {"environ": environ, "clock": clock, "transport": transport}
        self._builders: dict[str, Callable[[ProfileFields, tuple[str, ...]], CredentialsProvider]]
        self._builders = {
            "AK": self._ak,
            "StsToken": self._sts_token,
            "RamRoleArn": self._ram_role_arn,
            "ChainableRamRoleArn": self._chainable_ram_role_arn,
            "EcsRamRole": self._ecs_ram_role,
            "OIDC": self._oidc,
            "External": self._external,
            "CredentialsURI": self._credentials_uri,
        }

    def build(self, name: str, chain: tuple[str, ...] = ()) -> CredentialsProvider:
        """The provider profile ``name`` describes; ``chain`` is the ``source_profile`` path."""
        path = self._path
        if name in chain:
            raise cycle_error(path, chain, name)
        values = self._profiles.get(name)
        if values is None:
            raise ConfigurationError(
                f"profile {chain[-1]!r} in {path} names source_profile {name!r}, which is not "
                "in that file",
                source=str(path),
            )
        fields = ProfileFields(values, profile=name, path=path)
        declared = fields.text("mode")
        mode = _CANONICAL.get(declared.lower(), declared) if declared else detect_mode(fields)
        if mode is None:
            raise fields.error(
                f"no mode, and no fields to infer one from; run `aliyun configure --profile {name}`"
            )
        if mode in NOT_SUPPORTED_YET:
            raise fields.error(
                f"mode {mode} is not supported by akless yet; switch the profile to a supported "
                f"mode, e.g. `aliyun configure --profile {name} --mode RamRoleArn` (supported: "
                f"{', '.join(MODES)})"
            )
        if mode not in self._builders:
            raise fields.error(f"unknown mode {mode!r}; supported modes: {', '.join(MODES)}")
        fields.kind = f"mode {mode}"
        return self._builders[mode](fields, (*chain, name))

    def _ak(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        key_id, secret = fields.need("access_key_id"), fields.need("access_key_secret")
        with fields.building():
            return StaticAKProvider(key_id, secret)

    def _sts_token(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        key_id, secret = fields.need("access_key_id"), fields.need("access_key_secret")
        token = fields.need("sts_token")
        with fields.building():
            return StaticSTSProvider(key_id, secret, token)

    def _ram_role_arn(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        key_id, secret = fields.need("access_key_id"), fields.need("access_key_secret")
        role_arn = fields.need("ram_role_arn")
        with fields.building():
            return RamRoleArnProvider(
                access_key_id=key_id,
                access_key_secret=secret,
                security_token=fields.text("sts_token"),
                role_arn=role_arn,
                external_id=fields.text("external_id"),
                **self._role_settings(fields),
            )

    def _chainable_ram_role_arn(
        self, fields: ProfileFields, chain: tuple[str, ...]
    ) -> CredentialsProvider:
        source = self.build(fields.need("source_profile"), chain)
        role_arn = fields.need("ram_role_arn")
        with fields.building():
            return RamRoleArnProvider(
                source,
                role_arn=role_arn,
                external_id=fields.text("external_id"),
                **self._role_settings(fields),
            )

    def _ecs_ram_role(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        with fields.building():
            return EcsRamRoleProvider(role_name=fields.text("ram_role_name"), **self._common)

    def _oidc(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        role_arn, provider_arn = fields.need("ram_role_arn"), fields.need("oidc_provider_arn")
        token_file = fields.need("oidc_token_file")
        settings = self._role_settings(fields)
        # aliyun-cli writes ram_session_name; the official Python library reads role_session_name.
        settings["role_session_name"] = settings["role_session_name"] or fields.text(
            "role_session_name"
        )
        with fields.building():
            return OidcRoleArnProvider(
                role_arn=role_arn,
                oidc_provider_arn=provider_arn,
                oidc_token_file=token_file,
                **settings,
            )

    def _external(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        from akless.providers.external import ExternalProcessProvider

        command = fields.need("process_command")
        with fields.building():
            return ExternalProcessProvider(
                command, environ=self._common["environ"], clock=self._common["clock"]
            )

    def _credentials_uri(
        self, fields: ProfileFields, chain: tuple[str, ...]
    ) -> CredentialsProvider:
        from akless.providers.credentials_uri import CredentialsUriProvider

        uri = fields.text("credentials_uri") or _env.CREDENTIALS_URI.get(self._environ)
        if uri is None:
            fields.need("credentials_uri", alternative=_env.CREDENTIALS_URI.name)
        with fields.building():
            return CredentialsUriProvider(uri, **self._common)

    def _role_settings(self, fields: ProfileFields) -> dict[str, Any]:
        return {
            "role_session_name": fields.text("ram_session_name"),
            # aliyun-cli writes 0 for "not set"
            "duration_seconds": fields.integer("expired_seconds") or None,
            "policy": fields.text("policy"),
            "sts_endpoint": fields.text("sts_endpoint"),
            "sts_region_id": fields.text("sts_region"),
            **self._common,
        }
