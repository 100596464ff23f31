"""Why is this credential used? The chain walked step by step, and what a reviewer would flag.

``diagnose()`` asks each step of the default chain (or of ``--profile``'s lookup: the INI file,
then the aliyun CLI config) in order, exactly as the chain does, and records for each its status:

* ``used``: it served the credential; the walk stops here (later steps are ``not reached`` and
  cost no network);
* ``not configured``: it does not apply, and why (the chain moved on);
* ``failed``: it applies but is broken, and the error (the chain stops here too);
* ``not reached``: an earlier step was used or failed.

Each step also lists the environment variables it reads (set or not; values only for settings
that are not secret) and the files it reads (present or not, and their mode). Then come the
warnings (``Finding``) and, when a credential resolves, whose it is (``WhoAmI``). Nothing here
raises for a broken step, and nothing in the result holds a secret. The warnings are checked in
``akless._doctor_checks``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akless import _env
from akless._doctor_checks import RRSA_VARIABLES, Checks, Finding, probe_metadata
from akless._env import Environ, EnvVar
from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials, mask_key_id
from akless.errors import AklessError, CredentialsUnavailable
from akless.provider import CredentialsProvider
from akless.providers.ecs_ram_role import DMI_VENDOR, Unreachable
from akless.transport import Transport, display_url
from akless.whoami import WhoAmI, identify

USED = "used"
NOT_CONFIGURED = "not configured"
FAILED = "failed"
NOT_REACHED = "not reached"


@dataclass(frozen=True)
class Variable:
    """An environment variable a step reads: whether it is set, and its value when that is
    a setting rather than a secret (an AccessKey ID is shown masked)."""

    name: str
    is_set: bool
    value: str | None = None


@dataclass(frozen=True)
class FileInfo:
    """A file a step reads: whether it exists, its permission bits (``0600``), and whether
    users other than its owner can read or write it."""

    path: str
    exists: bool
    mode: str | None = None
    open_to_others: bool = False


@dataclass(frozen=True)
class Step:
    """One step of the chain and what became of it."""

    name: str
    status: str
    detail: str
    variables: tuple[Variable, ...] = ()
    files: tuple[FileInfo, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """The walk, the warnings and, when a credential resolved, whose it is."""

    chain: str
    """``default``, or ``profile 'NAME'`` for ``--profile``."""
    steps: tuple[Step, ...]
    provider_name: str | None
    """The provider that served the credential (``default/env``...), ``None`` when none did."""
    warnings: tuple[Finding, ...]
    identity: WhoAmI | None
    identity_error: str | None
    """Why ``identity`` is ``None``: no credential, or the STS call failed."""

    @property
    def resolved(self) -> bool:
        """Whether a credential resolved."""
        return self.provider_name is not None


_HIDDEN = frozenset({_env.ACCESS_KEY_SECRET.name, _env.SECURITY_TOKEN.name})
_STS = (_env.STS_ENDPOINT, _env.STS_REGION, _env.VPC_ENDPOINT_ENABLED)
READS: dict[str, tuple[EnvVar, ...]] = {
    "env": (_env.ACCESS_KEY_ID, _env.ACCESS_KEY_SECRET, _env.SECURITY_TOKEN),
    "oidc_role_arn": (*RRSA_VARIABLES, _env.ROLE_SESSION_NAME, *_STS),
    "cli_profile": (_env.CONFIG_FILE, _env.PROFILE, _env.CLI_PROFILE_DISABLED),
    "profile": (_env.CREDENTIALS_FILE, _env.PROFILE),
    "ecs_ram_role": (
        _env.ECS_METADATA_DISABLED,
        _env.ECS_METADATA_ENDPOINT,
        _env.ECS_METADATA,
        _env.IMDSV1_DISABLED,
    ),
    "credential_uri": (_env.CREDENTIALS_URI, _env.ALLOW_HTTP_CREDENTIALS_URI),
}
"""The environment variables each step reads, by step name."""


def diagnose(
    *,
    environ: Environ | None = None,
    profile: str | None = None,
    clock: Clock = system_clock,
    transport: Transport | None = None,
    dmi_path: Path = DMI_VENDOR,
) -> Diagnosis:
    """Walk the default chain (or the named ``profile``'s lookup) and diagnose it."""
    unreachable = Unreachable()  # this walk's own memory: the doctor re-checks every time
    providers = _steps(profile, environ, clock, transport, dmi_path, unreachable)
    walk = _Walk(environ)
    credentials = walk.run(providers)
    provider_name = None
    if credentials is not None:
        inner = credentials.provider_name
        provider_name = inner if profile else f"default/{inner}"
        credentials = credentials.with_provider_name(provider_name)
    identity, skew, problem = _identity(credentials, walk, environ, transport, clock)
    try:
        probe = probe_metadata(environ, transport, dmi_path, unreachable)
    except Exception:  # a look for warnings' sake must never break the doctor
        probe = None
    checks = Checks(environ, credentials)
    files = [info for step in walk.steps for info in step.files]
    checks.open_files([(info.path, info.mode) for info in files if info.open_to_others])
    checks.long_term_key(probe)
    checks.metadata(probe)
    checks.clock(skew, problem)
    if not profile:
        checks.environment_beats_profile()
    return Diagnosis(
        chain=f"profile {profile!r}" if profile else "default",
        steps=tuple(walk.steps),
        provider_name=provider_name,
        warnings=tuple(checks.found),
        identity=identity,
        identity_error=None if identity is not None else problem,
    )


def _steps(
    profile: str | None,
    environ: Environ | None,
    clock: Clock,
    transport: Transport | None,
    dmi_path: Path,
    unreachable: Unreachable,
) -> list[CredentialsProvider]:
    from akless.providers.cli_profile import CliProfileProvider
    from akless.providers.profile import ProfileProvider

    common: dict[str, Any] = {"environ": environ, "clock": clock, "transport": transport}
    if profile:  # what ``resolve_provider(profile)`` looks at, in its order
        return [ProfileProvider(profile, **common), CliProfileProvider(profile, **common)]
    from akless.chain import WhenConfigured, default_chain
    from akless.providers.ecs_ram_role import EcsRamRoleProvider

    chain = default_chain(environ=environ, clock=clock, transport=transport)

    def ecs() -> CredentialsProvider:
        return EcsRamRoleProvider(**common, dmi_path=dmi_path, unreachable=unreachable)

    # The same list, with the ECS step told where the DMI vendor is and given its own memory
    # of unreachable endpoints.
    return [
        WhenConfigured("ecs_ram_role", (), ecs, environ) if step.name == "ecs_ram_role" else step
        for step in chain
    ]


class _Walk:
    """One walk of the steps, with the chain's three outcomes."""

    def __init__(self, environ: Environ | None) -> None:
        self._environ = environ
        self.steps: list[Step] = []
        self.stopped: str | None = None
        """Why the chain stopped without a credential, when it stopped at a failed step."""
        self.reasons: list[tuple[str, str]] = []

    def run(self, providers: Sequence[CredentialsProvider]) -> Credentials | None:
        found: Credentials | None = None
        for provider in providers:
            if found is not None or self.stopped is not None:
                after = "an earlier step was used" if found else "the chain stops at a failure"
                self._add(provider, NOT_REACHED, after)
                continue
            try:
                found = provider.get_credentials()
            except CredentialsUnavailable as why:
                self.reasons.append((provider.name, str(why)))
                self._add(provider, NOT_CONFIGURED, str(why))
            except AklessError as error:
                self.stopped = f"{provider.name} failed: {error}"
                self._add(provider, FAILED, str(error))
            except Exception as error:  # a broken step is reported, never raised
                # Only the type: a foreign exception's message was never checked for secrets.
                self.stopped = f"{provider.name} failed with {type(error).__name__}"
                self._add(provider, FAILED, f"unexpected {type(error).__name__} (an akless bug)")
            else:
                self._add(provider, USED, _served(provider, found))
        return found

    def _add(self, provider: CredentialsProvider, status: str, detail: str) -> None:
        names = READS.get(provider.name, ())
        variables = tuple(_variable(variable, self._environ) for variable in names)
        files = tuple(file_info(path) for path in _files(provider, status, self._environ))
        self.steps.append(Step(provider.name, status, detail, variables, files))


def _served(provider: CredentialsProvider, credentials: Credentials) -> str:
    kind = (
        "a bearer token"
        if credentials.bearer_token
        else f"a temporary STS credential {mask_key_id(credentials.access_key_id)}"
        if credentials.is_temporary
        else f"a long-term AccessKey {mask_key_id(credentials.access_key_id)}"
    )
    if credentials.expiration is not None:
        kind += f" (expires {format_timestamp(credentials.expiration)})"
    where = ""
    path, name = getattr(provider, "path", None), getattr(provider, "profile", None)
    if path is not None and name is not None:
        where = f" from profile {name!r} in {path}"
    from akless.chain import WhenConfigured

    inner = provider.provider() if isinstance(provider, WhenConfigured) else provider
    endpoint = getattr(inner, "endpoint", None)
    if isinstance(endpoint, str):
        where = f" from {endpoint}"
    return f"served {kind} as {credentials.provider_name}{where}"


def _variable(variable: EnvVar, environ: Environ | None) -> Variable:
    value = variable.get(environ)
    if value is None:
        return Variable(variable.name, False)
    if variable.name in _HIDDEN:
        return Variable(variable.name, True)
    if variable is _env.ACCESS_KEY_ID:
        return Variable(variable.name, True, mask_key_id(value))
    return Variable(variable.name, True, display_url(value) if "://" in value else value)


def _files(provider: CredentialsProvider, status: str, environ: Environ | None) -> list[Path]:
    """The credential files ``provider`` reads (stat only: nothing here opens them)."""
    paths: list[Path] = []
    try:
        if provider.name == "profile":
            from akless.providers.profile import candidate_paths

            paths += candidate_paths(environ=environ)
        elif provider.name == "cli_profile":
            from akless.providers.cli_profile import config_path

            paths.append(config_path(environ=environ))
    except CredentialsUnavailable:  # no home directory: the step itself says so
        pass
    if provider.name == "oidc_role_arn":
        token_file = _env.OIDC_TOKEN_FILE.get(environ)
        paths += [Path(token_file)] if token_file else []
    if status == USED:
        load = getattr(provider, "load", None)
        paths += _key_files(load() if callable(load) else None)
    return list(dict.fromkeys(paths))


def _key_files(provider: object, depth: int = 0) -> list[Path]:
    """The private key or OIDC token file a profile's provider reads, through role chains."""
    if provider is None or depth > 8:
        return []
    found = [
        value
        for value in (
            getattr(provider, "private_key_file", None),
            getattr(provider, "token_file", None),
        )
        if isinstance(value, Path)
    ]
    return found + _key_files(getattr(provider, "source", None), depth + 1)


def file_info(path: Path) -> FileInfo:
    """Whether ``path`` exists and its mode (never its content)."""
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return FileInfo(str(path), False)
    except OSError:
        return FileInfo(str(path), True)
    mode = stat.S_IMODE(status.st_mode)
    others = os.name == "posix" and stat.S_ISREG(status.st_mode) and bool(mode & 0o077)
    return FileInfo(str(path), True, f"{mode:04o}", others)


def _identity(
    credentials: Credentials | None,
    walk: _Walk,
    environ: Environ | None,
    transport: Transport | None,
    clock: Clock,
) -> tuple[WhoAmI | None, float | None, str | None]:
    """Whose the credential is, the clock skew, and why there is no identity."""
    if credentials is None:
        if walk.stopped is not None:
            return None, None, f"no credential: {walk.stopped}"
        reasons = "; ".join(f"{name}: {why}" for name, why in walk.reasons)
        return None, None, f"no credentials found ({reasons})"
    if credentials.bearer_token:
        return None, None, "a bearer token cannot call STS GetCallerIdentity"
    try:
        identified = identify(credentials, environ=environ, transport=transport, clock=clock)
    except AklessError as error:
        return None, None, str(error)
    except Exception as error:  # reported, never raised
        return None, None, f"GetCallerIdentity failed with {type(error).__name__}"
    return identified.whoami, identified.clock_skew, None


__all__ = [
    "Diagnosis",
    "FileInfo",
    "Finding",
    "Step",
    "Variable",
    "diagnose",
]
