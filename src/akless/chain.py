"""The default credential chain: an ordered, editable list of providers.

``ChainProvider`` asks each provider in turn. ``CredentialsUnavailable`` means "not here": the
chain moves on. Any other error means the step applies but is broken, and stops the chain. When
no step applies, one ``NoCredentialsFound`` names every step and why. The provider that worked is
remembered and asked first next time, until the list is edited.

``default_chain()`` builds the official Python order: environment, OIDC (when its three
variables are set), the aliyun CLI profile, the INI profile, ECS metadata (unless disabled),
the credentials URI (when set). Each step reads the environment when credentials are asked for,
so variables set after the chain was made take effect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from akless import _env
from akless._env import Environ, EnvVar
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable, NoCredentialsFound
from akless.provider import CredentialsProvider, Prefixed, resolve_async

if TYPE_CHECKING:
    from akless.transport import Transport


class ChainProvider:
    """Ask ``providers`` in order; the first that applies wins (``default/<inner>``).

    ``providers`` is a plain list: read it, insert into it, remove from it. The provider that
    worked is asked first next time, for as long as the list is not edited; an edit (or that
    provider no longer applying) makes the next call walk the list from the start.
    """

    name = "default"

    def __init__(
        self, providers: Iterable[CredentialsProvider] | None = None, *, reuse_last: bool = True
    ) -> None:
        self.providers: list[CredentialsProvider] = (
            list(providers) if providers is not None else default_chain()
        )
        self.reuse_last = reuse_last
        self._last: tuple[CredentialsProvider, list[CredentialsProvider]] | None = None
        self._wrap = Prefixed(self.name)

    @property
    def last_used(self) -> CredentialsProvider | None:
        """The provider that served the last credential, if any."""
        last = self._last
        return None if last is None else last[0]

    def get_credentials(self) -> Credentials:
        """The first available credential, named ``default/<provider>``."""
        remembered, asked = self._remembered(), None
        if remembered is not None:
            try:
                return self._wrap(remembered.get_credentials())
            except CredentialsUnavailable as why:
                asked = (remembered, str(why))
        walk = _Walk(self.providers, asked)
        for provider in walk:
            try:
                credentials = provider.get_credentials()
            except CredentialsUnavailable as why:
                walk.unavailable(provider, why)
                continue
            return self._chose(provider, walk.providers, credentials)
        self._last = None
        raise walk.not_found()

    async def get_credentials_async(self) -> Credentials:
        """The same walk, with each step awaited (no step blocks the event loop)."""
        remembered, asked = self._remembered(), None
        if remembered is not None:
            try:
                return self._wrap(await resolve_async(remembered))
            except CredentialsUnavailable as why:
                asked = (remembered, str(why))
        walk = _Walk(self.providers, asked)
        for provider in walk:
            try:
                credentials = await resolve_async(provider)
            except CredentialsUnavailable as why:
                walk.unavailable(provider, why)
                continue
            return self._chose(provider, walk.providers, credentials)
        self._last = None
        raise walk.not_found()

    def get_provider_name(self) -> str:
        """``default`` (official getter)."""
        return self.name

    def _remembered(self) -> CredentialsProvider | None:
        last = self._last
        if last is None or not self.reuse_last:
            return None
        provider, chosen_from = last
        # An edited list starts a fresh walk: a provider removed from it must not be asked
        # again, and one inserted before it must get its turn.
        return provider if self.providers == chosen_from else None

    def _chose(
        self,
        provider: CredentialsProvider,
        providers: list[CredentialsProvider],
        credentials: Credentials,
    ) -> Credentials:
        self._last = (provider, providers)
        return self._wrap(credentials)


class _Walk:
    """One walk of a chain's providers in order, collecting why each did not apply.

    ``asked`` is the remembered provider, already asked this time, and why it did not apply:
    it is not asked twice, and its reason is reported in its place in the order.
    """

    def __init__(
        self,
        providers: Sequence[CredentialsProvider],
        asked: tuple[CredentialsProvider, str] | None,
    ) -> None:
        self.providers = list(providers)  # a snapshot: the list may be edited during the walk
        self._asked = asked
        self._reasons: list[tuple[str, str]] = []

    def __iter__(self) -> Iterator[CredentialsProvider]:
        for provider in self.providers:
            if self._asked is not None and provider is self._asked[0]:
                self._reasons.append((provider.name, self._asked[1]))
                continue
            yield provider

    def unavailable(self, provider: CredentialsProvider, why: CredentialsUnavailable) -> None:
        """Record that ``provider`` did not apply, and why."""
        self._reasons.append((provider.name, str(why)))

    def not_found(self) -> NoCredentialsFound:
        """The error naming every step and why it did not apply."""
        return _not_found(self._reasons)


def _not_found(reasons: Sequence[tuple[str, str]]) -> NoCredentialsFound:
    lines = "".join(f"\n  {index}. {name}: {why}" for index, (name, why) in enumerate(reasons, 1))
    return NoCredentialsFound(
        "no credentials found; the chain tried, in order:"
        + lines
        + "\nSet up one of them: a RAM role for the ECS instance, RRSA for an ACK pod, or a "
        "profile (`aliyun configure`) on a workstation.",
        steps=list(reasons),
    )


class WhenConfigured:
    """A chain step built from the environment when credentials are asked for.

    It applies only when all of ``variables`` are set (none listed: it always applies), and
    then builds its provider, which reads those and the ``watch`` variables. The provider is
    kept, so its credential is cached and refreshed as usual, and rebuilt when any of those
    variables changes: setting one after the chain was built takes effect.
    """

    def __init__(
        self,
        name: str,
        variables: Sequence[EnvVar],
        build: Callable[[], CredentialsProvider],
        environ: Environ | None = None,
        *,
        watch: Sequence[EnvVar] = (),
    ) -> None:
        self.name = name
        self._variables = tuple(variables)
        self._watch = tuple(watch)
        self._build = build
        self._environ = environ
        self._built: tuple[tuple[str | None, ...], CredentialsProvider] | None = None

    def provider(self) -> CredentialsProvider:
        """The configured provider; ``CredentialsUnavailable`` naming what is unset."""
        values = tuple(variable.get(self._environ) for variable in self._variables)
        missing = [v.name for v, value in zip(self._variables, values, strict=True) if not value]
        if missing:
            raise CredentialsUnavailable(f"{', '.join(missing)} not set", provider=self.name)
        values += tuple(variable.get(self._environ) for variable in self._watch)
        built = self._built
        if built is None or built[0] != values:
            built = (values, self._build())
            self._built = built
        return built[1]

    def get_credentials(self) -> Credentials:
        """The configured provider's credentials."""
        return self.provider().get_credentials()

    async def get_credentials_async(self) -> Credentials:
        """The configured provider's credentials, awaited."""
        return await resolve_async(self.provider())

    def get_provider_name(self) -> str:
        """The step's name (official getter)."""
        return self.name


_STS_SETTINGS = (
    _env.ROLE_SESSION_NAME,
    _env.STS_ENDPOINT,
    _env.STS_REGION,
    _env.VPC_ENDPOINT_ENABLED,
)
"""What an STS-based provider reads from the environment when it is built."""


def default_chain(
    *,
    environ: Environ | None = None,
    clock: Clock = system_clock,
    transport: Transport | None = None,
) -> list[CredentialsProvider]:
    """A new list of the default steps, in the official Python order.

    Every step reads the environment when credentials are asked for, not when the list is made.
    """
    from akless.providers.cli_profile import CliProfileProvider
    from akless.providers.credentials_uri import CredentialsUriProvider
    from akless.providers.ecs_ram_role import EcsRamRoleProvider
    from akless.providers.environment import EnvironmentProvider
    from akless.providers.oidc import OidcRoleArnProvider
    from akless.providers.profile import ProfileProvider

    return [
        EnvironmentProvider(environ),
        WhenConfigured(
            "oidc_role_arn",
            (_env.OIDC_TOKEN_FILE, _env.ROLE_ARN, _env.OIDC_PROVIDER_ARN),
            lambda: OidcRoleArnProvider(environ=environ, clock=clock, transport=transport),
            environ,
            watch=_STS_SETTINGS,
        ),
        CliProfileProvider(environ=environ, clock=clock, transport=transport),
        ProfileProvider(environ=environ, clock=clock, transport=transport),
        # Not skipped here when ALIBABA_CLOUD_ECS_METADATA_DISABLED is true: the provider checks
        # that at every call, and so says why in the chain's error.
        WhenConfigured(
            "ecs_ram_role",
            (),
            lambda: EcsRamRoleProvider(environ=environ, clock=clock, transport=transport),
            environ,
            watch=(_env.ECS_METADATA_ENDPOINT, _env.ECS_METADATA, _env.IMDSV1_DISABLED),
        ),
        WhenConfigured(
            "credential_uri",
            (_env.CREDENTIALS_URI,),
            lambda: CredentialsUriProvider(environ=environ, clock=clock, transport=transport),
            environ,
            watch=(_env.ALLOW_HTTP_CREDENTIALS_URI,),
        ),
    ]


def resolve_provider(
    profile: str | None = None,
    *,
    environ: Environ | None = None,
    clock: Clock = system_clock,
    transport: Transport | None = None,
) -> CredentialsProvider:
    """What a command should use: the default chain, or exactly the named profile.

    A named profile is looked up in the INI credentials file, then in the aliyun CLI
    config.json; a name found in neither is a ``ConfigurationError`` naming both files.
    """
    if not profile:
        return ChainProvider(default_chain(environ=environ, clock=clock, transport=transport))
    from akless.providers.cli_profile import CliProfileProvider, config_path
    from akless.providers.profile import ProfileProvider, candidate_paths

    for candidate in (
        ProfileProvider(profile, environ=environ, clock=clock, transport=transport),
        CliProfileProvider(profile, environ=environ, clock=clock, transport=transport),
    ):
        try:
            candidate.load()
        except CredentialsUnavailable:
            continue
        return candidate
    looked_at = [*candidate_paths(environ=environ), config_path(environ=environ)]
    raise ConfigurationError(
        f"no profile named {profile!r} in {', '.join(str(path) for path in looked_at)}; "
        "list them with `akless configure list`",
        source="profile",
    )
