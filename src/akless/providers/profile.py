"""Credentials from a profile in the INI credentials file.

The file is ``ALIBABA_CLOUD_CREDENTIALS_FILE``, else ``~/.alibabacloud/credentials.ini``, else the
Go tool's ``~/.alibabacloud/credentials``; the profile is the one named to the provider, else
``use_profile()``'s, else ``ALIBABA_CLOUD_PROFILE``, else ``default``::

    [default]                       # the section name is the profile name
    type = access_key               # access_key, sts, bearer, ecs_ram_role, ram_role_arn,
    access_key_id = LTAI...         # oidc_role_arn, rsa_key_pair, credentials_uri
    access_key_secret = ...

    [deploy]
    type = ram_role_arn
    source_profile = default        # or access_key_id / access_key_secret here
    role_arn = acs:ram::123456789012:role/deploy
    enable = true                   # false hides the profile

    [app]
    type = kms_ram_secret           # akless's own: the AccessKey a KMS RAM secret holds
    secret_name = app-access-key
    region_id = cn-hangzhou         # or kms_endpoint = host or URL
    source_profile = deploy         # reads KMS; without it, the default chain minus this file

Results are named ``profile/<inner>``: ``profile/static_ak``, ``profile/ram_role_arn/static_ak``.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from akless import _env
from akless._env import Environ
from akless._files import home_directory, read_credentials_file
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.provider import CredentialsProvider
from akless.providers._profile_source import ProfileFields, ProfileSource, cycle_error
from akless.providers._selection import selected_profile
from akless.providers.ecs_ram_role import EcsRamRoleProvider
from akless.providers.oidc import OidcRoleArnProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.static import BearerTokenProvider, StaticAKProvider, StaticSTSProvider
from akless.transport import Transport

DEFAULT_PROFILE = "default"
INI_FILE = Path(".alibabacloud", "credentials.ini")
GO_TOOL_FILE = Path(".alibabacloud", "credentials")
WHAT = "credentials file"

TYPES = (
    "access_key",
    "sts",
    "bearer",
    "ecs_ram_role",
    "ram_role_arn",
    "oidc_role_arn",
    "rsa_key_pair",
    "credentials_uri",
    "kms_ram_secret",
)
ALIASES = {"sts_token": "sts", "bearer_token": "bearer"}

# configparser copies the keys of its "default section" into every other section; a file with a
# [DEFAULT] section would so hand one profile's keys to all. This name cannot be a section header.
_NO_DEFAULT_SECTION = "\x00"


def candidate_paths(path: str | Path | None = None, environ: Environ | None = None) -> list[Path]:
    """The files the INI provider looks at, in order (the first that exists is used)."""
    configured = str(path) if path else _env.CREDENTIALS_FILE.get(environ)
    if configured:
        return [Path(configured).expanduser()]
    home = home_directory()
    return [home / INI_FILE, home / GO_TOOL_FILE]


def parse_ini(text: str, path: Path) -> configparser.ConfigParser:
    """The parsed file; ``ConfigurationError`` naming the file and line when it is not INI."""
    parser = configparser.ConfigParser(
        interpolation=None,
        inline_comment_prefixes=("#", ";"),
        default_section=_NO_DEFAULT_SECTION,
        strict=True,
    )
    problem: str | None = None
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        # configparser's own messages quote the offending line, which may hold a secret: only
        # line numbers and section names go into ours, raised outside this block so that its
        # error is not even reachable as our error's __context__.
        problem = _describe(error, path)
    if problem is not None:
        raise ConfigurationError(problem, source=str(path))
    return parser


def _describe(error: configparser.Error, path: Path) -> str:
    if isinstance(error, configparser.DuplicateSectionError):
        return f"{path} line {error.lineno}: section [{error.section}] appears twice; merge them"
    if isinstance(error, configparser.DuplicateOptionError):
        return (
            f"{path} line {error.lineno}: key {error.option!r} appears twice in "
            f"[{error.section}]; keep one"
        )
    if isinstance(error, configparser.MissingSectionHeaderError):
        return (
            f"{path} line {error.lineno}: a setting before the first section header; "
            "start the file with a profile header such as [default]"
        )
    if isinstance(error, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in error.errors[:5])
        return (
            f"{path} is not a valid INI file: cannot parse line {lines} "
            "(expected `key = value` or `[profile]`)"
        )
    return f"{path} is not a valid INI file ({type(error).__name__})"


class ProfileProvider:
    """The ``profile`` provider: the profile ``profile_name`` of the INI credentials file.

    ``path`` replaces the file lookup. The file is read once, on first use; the provider it
    describes is then kept (so a role's credentials are cached and refreshed as usual).
    """

    name = "profile"

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
        """The file used (before the first use: the file that would be used now)."""
        if self._loaded_from is not None:
            return self._loaded_from[0]
        candidates = candidate_paths(self._path, self._environ)
        return next((path for path in candidates if path.exists()), candidates[0])

    @property
    def profile(self) -> str:
        """The profile used (before the first use: the profile that would be used now)."""
        if self._loaded_from is not None:
            return self._loaded_from[1]
        return self._profile_name or selected_profile(self._environ) or DEFAULT_PROFILE

    def load(self) -> CredentialsProvider:
        """The provider the profile describes, reading the file if that was not done yet."""
        return self._source.provider()

    def get_credentials(self) -> Credentials:
        """The profile's credentials; unavailable without a file, profile or when disabled."""
        return self._source.get()

    async def get_credentials_async(self) -> Credentials:
        """The profile's credentials, without blocking the event loop."""
        return await self._source.get_async()

    def get_provider_name(self) -> str:
        """``profile`` (official getter)."""
        return self.name

    def _load(self) -> CredentialsProvider:
        candidates = candidate_paths(self._path, self._environ)
        profile = self.profile
        for path in candidates:
            try:
                text = read_credentials_file(path, what=WHAT)
            except FileNotFoundError:
                continue
            sections = _Sections(
                parse_ini(text, path),
                path,
                environ=self._environ,
                clock=self._clock,
                transport=self._transport,
            )
            provider = sections.build(profile)
            self._loaded_from = (path, profile)
            return provider
        looked_at = " or ".join(str(path) for path in candidates)
        raise CredentialsUnavailable(f"no credentials file at {looked_at}", provider=self.name)


class _Sections:
    """The profiles of one parsed file, turned into providers."""

    def __init__(
        self,
        parser: configparser.ConfigParser,
        path: Path,
        *,
        environ: Environ | None,
        clock: Clock,
        transport: Transport | None,
    ) -> None:
        self._parser = parser
        self._path = path
        self._common: dict[str, Any] = {"environ": environ, "clock": clock, "transport": transport}
        self._builders: dict[str, Callable[[ProfileFields, tuple[str, ...]], CredentialsProvider]]
        self._builders = {
            "access_key": self._access_key,
            "sts": self._sts,
            "bearer": self._bearer,
            "ecs_ram_role": self._ecs_ram_role,
            "ram_role_arn": self._ram_role_arn,
            "oidc_role_arn": self._oidc_role_arn,
            "rsa_key_pair": self._rsa_key_pair,
            "credentials_uri": self._credentials_uri,
            "kms_ram_secret": self._kms_ram_secret,
        }

    def _section_of(self, name: str) -> str:
        """The section holding profile ``name``: ``[name]``, or else the ``[default]`` that
        ``akless configure use name`` made of it (it records ``akless_name = name``)."""
        if self._parser.has_section(name) or not self._parser.has_section(DEFAULT_PROFILE):
            return name
        recorded = self._parser[DEFAULT_PROFILE].get("akless_name", "").strip()
        return DEFAULT_PROFILE if recorded == name else name

    def build(self, name: str, chain: tuple[str, ...] = ()) -> CredentialsProvider:
        """The provider profile ``name`` describes; ``chain`` is the ``source_profile`` path."""
        path = self._path
        if name in chain:
            raise cycle_error(path, chain, name)
        referrer = f"profile {chain[-1]!r} in {path} names source_profile {name!r}" if chain else ""
        name = self._section_of(name)
        if not self._parser.has_section(name):
            if referrer:
                raise ConfigurationError(f"{referrer}, which is not in that file", source=str(path))
            present = ", ".join(self._parser.sections()[:20]) or "none"
            raise CredentialsUnavailable(
                f"no profile [{name}] in {path} (profiles there: {present})", provider="profile"
            )
        fields = ProfileFields(self._parser[name], profile=name, path=path)
        if fields.flag("enable") is False:
            if referrer:
                raise ConfigurationError(
                    f"{referrer}, which is disabled (enable = false)", source=str(path)
                )
            raise CredentialsUnavailable(
                f"profile [{name}] in {path} is disabled (enable = false)", provider="profile"
            )
        declared = (fields.text("type") or "").lower()
        kind = ALIASES.get(declared, declared)
        if kind not in self._builders:
            problem = f"unknown type {declared!r}" if declared else "no type"
            raise fields.error(f"{problem}; supported types: {', '.join(TYPES)}")
        fields.kind = f"type {kind}"
        return self._builders[kind](fields, (*chain, name))

    def _access_key(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        key_id, secret = fields.need("access_key_id"), fields.need("access_key_secret")
        with fields.building():
            return StaticAKProvider(key_id, secret)

    def _sts(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        key_id, secret = fields.need("access_key_id"), fields.need("access_key_secret")
        token = fields.need("security_token")
        with fields.building():
            return StaticSTSProvider(key_id, secret, token)

    def _bearer(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        token = fields.need("bearer_token")
        with fields.building():
            return BearerTokenProvider(token)

    def _ecs_ram_role(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        with fields.building():
            return EcsRamRoleProvider(role_name=fields.text("role_name"), **self._common)

    def _ram_role_arn(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        source_name = fields.text("source_profile")
        keys: dict[str, Any] = {}
        source: CredentialsProvider | None = None
        if source_name is not None:
            if fields.text("access_key_id") or fields.text("access_key_secret"):
                raise fields.error(
                    "set either source_profile or access_key_id/access_key_secret, not both"
                )
            source = self.build(source_name, chain)
        else:
            keys = {
                "access_key_id": fields.need("access_key_id", alternative="source_profile"),
                "access_key_secret": fields.need("access_key_secret", alternative="source_profile"),
                "security_token": fields.text("security_token"),
            }
        role_arn = fields.need("role_arn")
        with fields.building():
            return RamRoleArnProvider(
                source,
                **keys,
                role_arn=role_arn,
                external_id=fields.text("external_id"),
                **self._role_settings(fields),
            )

    def _oidc_role_arn(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        role_arn, provider_arn = fields.need("role_arn"), fields.need("oidc_provider_arn")
        token_file = fields.need("oidc_token_file_path")
        with fields.building():
            return OidcRoleArnProvider(
                role_arn=role_arn,
                oidc_provider_arn=provider_arn,
                oidc_token_file=token_file,
                **self._role_settings(fields),
            )

    def _rsa_key_pair(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        from akless.providers.rsa_key_pair import RsaKeyPairProvider

        key_id, key_file = fields.need("public_key_id"), fields.need("private_key_file")
        settings = self._role_settings(fields)
        del settings["role_session_name"], settings["policy"]
        with fields.building():
            return RsaKeyPairProvider(public_key_id=key_id, private_key_file=key_file, **settings)

    def _credentials_uri(
        self, fields: ProfileFields, chain: tuple[str, ...]
    ) -> CredentialsProvider:
        from akless.providers.credentials_uri import CredentialsUriProvider

        uri = fields.need("credentials_uri")
        with fields.building():
            return CredentialsUriProvider(uri, **self._common)

    def _kms_ram_secret(self, fields: ProfileFields, chain: tuple[str, ...]) -> CredentialsProvider:
        from akless.providers.kms_ram_secret import KmsRamSecretProvider

        secret_name = fields.need("secret_name")
        source_name = fields.text("source_profile")
        if source_name is not None:
            source = self.build(source_name, chain)
        else:
            # The default chain, less this file's step: that step could lead back to this
            # very profile, and a profile here that reads KMS is named by source_profile.
            from akless.chain import ChainProvider, default_chain

            steps = default_chain(**self._common)
            source = ChainProvider(
                [step for step in steps if not isinstance(step, ProfileProvider)]
            )
        with fields.building():
            return KmsRamSecretProvider(
                secret_name,
                source=source,
                kms_endpoint=fields.text("kms_endpoint"),
                region_id=fields.text("region_id"),
                **self._common,
            )

    def _role_settings(self, fields: ProfileFields) -> dict[str, Any]:
        return {
            "role_session_name": fields.text("role_session_name"),
            "policy": fields.text("policy"),
            "duration_seconds": fields.text("duration_seconds"),
            "sts_endpoint": fields.text("sts_endpoint"),
            "sts_region_id": fields.text("sts_region") or fields.text("region_id"),
            "enable_vpc": fields.flag("enable_vpc"),
            **self._common,
        }
