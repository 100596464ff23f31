"""``Config``: the official ``alibabacloud_credentials.models.Config``, field for field, and how
each ``type`` becomes a provider.

Timeouts keep the official unit, milliseconds. ``sts_endpoint`` also accepts a full URL such as
``http://127.0.0.1:8080`` (the official library accepts only a host).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from akless import _env
from akless.credentials import mask_key_id
from akless.errors import ConfigurationError
from akless.provider import CredentialsProvider

if TYPE_CHECKING:
    from akless.transport import Timeout

_REQUIRED: dict[str, tuple[tuple[str, _env.EnvVar | None], ...]] = {
    "access_key": (("access_key_id", None), ("access_key_secret", None)),
    "sts": (("access_key_id", None), ("access_key_secret", None), ("security_token", None)),
    "bearer": (("bearer_token", None),),
    "ecs_ram_role": (),
    "ram_role_arn": (
        ("access_key_id", None),
        ("access_key_secret", None),
        ("role_arn", _env.ROLE_ARN),
    ),
    "rsa_key_pair": (("public_key_id", None), ("private_key_file", None)),
    "oidc_role_arn": (
        ("role_arn", _env.ROLE_ARN),
        ("oidc_provider_arn", _env.OIDC_PROVIDER_ARN),
        ("oidc_token_file_path", _env.OIDC_TOKEN_FILE),
    ),
    "credentials_uri": (("credentials_uri", _env.CREDENTIALS_URI),),
    "kms_ram_secret": (("secret_name", None),),
}
"""Every type, in the official order, with the fields it needs and the variable that may
stand in for a field (``kms_ram_secret`` is akless's own)."""
TYPES = tuple(_REQUIRED)
_CONFIG_FIELDS = {
    "duration_seconds": "role_session_expiration",
    "oidc_token_file": "oidc_token_file_path",
}
"""Providers' parameter names that ``Config`` spells differently."""
_SECRET_FIELDS = frozenset({"access_key_secret", "security_token", "bearer_token"})
_URL_FIELDS = frozenset({"proxy", "credentials_uri", "kms_endpoint"})
"""Shown without user info (a proxy password) or query string (a token)."""
_STS_TIMEOUT_MS = (5000, 10000)
_METADATA_TIMEOUT_MS = (1000, 1000)
_CAMEL = {
    "disable_imds_v1": "disableIMDSv1",
    "enable_imds_v2": "enableIMDSv2",
    "credentials_uri": "credentialsUri",
    "oidc_provider_arn": "oidcProviderArn",
    "oidc_token_file_path": "oidcTokenFilePath",
}


def _camel(name: str) -> str:
    if name in _CAMEL:
        return _CAMEL[name]
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


FIELDS = (
    "type",
    "access_key_id",
    "access_key_secret",
    "security_token",
    "bearer_token",
    "duration_seconds",
    "role_arn",
    "oidc_provider_arn",
    "oidc_token_file_path",
    "role_session_name",
    "role_session_expiration",
    "policy",
    "external_id",
    "sts_endpoint",
    "sts_region_id",
    "enable_vpc",
    "public_key_id",
    "private_key_file",
    "role_name",
    "enable_imds_v2",
    "disable_imds_v1",
    "metadata_token_duration",
    "credentials_uri",
    "host",
    "timeout",
    "connect_timeout",
    "proxy",
    "secret_name",
    "kms_endpoint",
    "region_id",
)
"""Every field, in the official order (plus ``sts_region_id`` and ``enable_vpc``, and the
``kms_ram_secret`` type's ``secret_name``, ``kms_endpoint`` and ``region_id``)."""


class Config:
    """What credential to use, and how to reach the services that provide it.

    ``type`` is one of ``access_key``, ``sts``, ``bearer``, ``ecs_ram_role``, ``ram_role_arn``,
    ``rsa_key_pair``, ``oidc_role_arn``, ``credentials_uri``, or akless's own ``kms_ram_secret``
    (the AccessKey in KMS RAM secret ``secret_name``, read from ``kms_endpoint`` or the KMS of
    ``region_id`` with the default chain's credentials). ``repr`` shows the fields that are
    set, but never a secret, token, proxy password or URL query, and the AccessKey ID masked.

    As in the official library: ``timeout`` (read) and ``connect_timeout`` are milliseconds;
    ``duration_seconds``, ``enable_imds_v2``, ``metadata_token_duration`` and ``host`` are
    accepted and ignored. Fields may be set after construction.
    """

    type: str | None
    access_key_id: str | None
    access_key_secret: str | None
    security_token: str | None
    bearer_token: str | None
    duration_seconds: int | None
    role_arn: str | None
    oidc_provider_arn: str | None
    oidc_token_file_path: str | None
    role_session_name: str | None
    role_session_expiration: int | None
    policy: str | None
    external_id: str | None
    sts_endpoint: str | None
    sts_region_id: str | None
    enable_vpc: bool | None
    public_key_id: str | None
    private_key_file: str | None
    role_name: str | None
    enable_imds_v2: bool | None
    disable_imds_v1: bool | None
    metadata_token_duration: int | None
    credentials_uri: str | None
    host: str | None
    timeout: int | None
    connect_timeout: int | None
    proxy: str | None
    secret_name: str | None
    kms_endpoint: str | None
    region_id: str | None

    def __init__(
        self,
        *,
        type: str | None = None,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        bearer_token: str | None = None,
        duration_seconds: int | None = None,
        role_arn: str | None = None,
        oidc_provider_arn: str | None = None,
        oidc_token_file_path: str | None = None,
        role_session_name: str | None = None,
        role_session_expiration: int | None = None,
        policy: str | None = None,
        external_id: str | None = None,
        sts_endpoint: str | None = None,
        sts_region_id: str | None = None,
        enable_vpc: bool | None = None,
        public_key_id: str | None = None,
        private_key_file: str | None = None,
        role_name: str | None = None,
        enable_imds_v2: bool | None = None,
        disable_imds_v1: bool | None = None,
        metadata_token_duration: int | None = None,
        credentials_uri: str | None = None,
        host: str | None = None,
        timeout: int | None = None,
        connect_timeout: int | None = None,
        proxy: str | None = None,
        secret_name: str | None = None,
        kms_endpoint: str | None = None,
        region_id: str | None = None,
    ) -> None:
        self.type = type
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        self.bearer_token = bearer_token
        self.duration_seconds = duration_seconds
        self.role_arn = role_arn
        self.oidc_provider_arn = oidc_provider_arn
        self.oidc_token_file_path = oidc_token_file_path
        self.role_session_name = role_session_name
        self.role_session_expiration = role_session_expiration
        self.policy = policy
        self.external_id = external_id
        self.sts_endpoint = sts_endpoint
        self.sts_region_id = sts_region_id
        self.enable_vpc = enable_vpc
        self.public_key_id = public_key_id
        self.private_key_file = private_key_file
        self.role_name = role_name
        self.enable_imds_v2 = enable_imds_v2
        self.disable_imds_v1 = disable_imds_v1
        self.metadata_token_duration = metadata_token_duration
        self.credentials_uri = credentials_uri
        self.host = host
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.proxy = proxy
        self.secret_name = secret_name
        self.kms_endpoint = kms_endpoint
        self.region_id = region_id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (as a dataclass would be)

    def __repr__(self) -> str:
        shown = []
        for name in FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if name in _SECRET_FIELDS:
                text = "<hidden>"
            elif name == "access_key_id" and isinstance(value, str):
                text = repr(mask_key_id(value))
            elif name in _URL_FIELDS and isinstance(value, str):
                from akless.transport import display_url

                text = repr(display_url(value if "://" in value else f"http://{value}"))
            else:
                text = repr(value)
            shown.append(f"{name}={text}")
        return f"Config({', '.join(shown)})"

    def to_map(self) -> dict[str, Any]:
        """The set fields under the official camelCase keys (secrets included, as there)."""
        return {
            _camel(name): getattr(self, name) for name in FIELDS if getattr(self, name) is not None
        }

    def from_map(self, values: dict[str, Any] | None = None) -> Config:
        """Set fields from official camelCase keys; returns ``self``, as the official does.

        As there, a key that is absent or ``None`` leaves its field unchanged.
        """
        by_key = {_camel(name): name for name in FIELDS}
        for key, value in (values or {}).items():
            if key in by_key and value is not None:
                setattr(self, by_key[key], value)
        return self

    def validate(self) -> None:
        """The official model's hook; checking happens when a ``Client`` is built."""


def _timeout(config: Config, default_ms: tuple[int, int]) -> Timeout:
    from akless.transport import Timeout  # here, not at the top: it keeps import akless light

    connect = config.connect_timeout if config.connect_timeout is not None else default_ms[0]
    read = config.timeout if config.timeout is not None else default_ms[1]
    for name, value in (("connect_timeout", connect), ("timeout", read)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or value <= 0:
            # A number is quoted; anything else only by its type (it could be a pasted secret).
            shown = repr(value) if number else f"a {type(value).__name__}"
            raise ConfigurationError(
                f"Config.{name} must be a positive number of milliseconds, not {shown}",
                source=name,
            )
    return Timeout(connect=connect / 1000, read=read / 1000)


def provider_for(config: Config) -> CredentialsProvider:
    """The provider ``config`` describes (``ConfigurationError`` naming what is wrong)."""
    kind = config.type
    if not isinstance(kind, str) or kind not in _REQUIRED:
        raise ConfigurationError(
            f"invalid Config.type {kind!r}; supported: {', '.join(TYPES)}", source="type"
        )
    _check_required(config, kind)
    try:
        return _build(config, kind)
    except ConfigurationError as error:
        # Name the Config field the user set, not the provider parameter it became.
        field_name = _CONFIG_FIELDS.get(error.source or "")
        if field_name is None:
            raise
        raise ConfigurationError(f"Config.{field_name}: {error}", source=field_name) from error


def _check_required(config: Config, kind: str) -> None:
    """``ConfigurationError`` naming every field ``kind`` needs that is not set."""
    missing = [
        (name, variable)
        for name, variable in _REQUIRED[kind]
        if not str(getattr(config, name) or "").strip() and not (variable and variable.get())
    ]
    if missing:
        names = ", ".join(
            f"{name} (or {variable.name})" if variable else name for name, variable in missing
        )
        raise ConfigurationError(f"Config(type={kind!r}) needs {names}", source=missing[0][0])


def _build(config: Config, kind: str) -> CredentialsProvider:
    if kind == "access_key":
        from akless.providers.static import StaticAKProvider

        return StaticAKProvider(config.access_key_id, config.access_key_secret)
    if kind == "sts":
        from akless.providers.static import StaticSTSProvider

        return StaticSTSProvider(
            config.access_key_id, config.access_key_secret, config.security_token
        )
    if kind == "bearer":
        from akless.providers.static import BearerTokenProvider

        return BearerTokenProvider(config.bearer_token)
    if kind == "ecs_ram_role":
        from akless.providers.ecs_ram_role import EcsRamRoleProvider

        return EcsRamRoleProvider(
            role_name=config.role_name,
            disable_imds_v1=config.disable_imds_v1,
            timeout=_timeout(config, _METADATA_TIMEOUT_MS),
        )
    sts: dict[str, Any] = {
        "sts_endpoint": config.sts_endpoint,
        "sts_region_id": config.sts_region_id,
        "enable_vpc": config.enable_vpc,
        "timeout": _timeout(config, _STS_TIMEOUT_MS),
        "proxy": config.proxy,
    }
    if kind == "ram_role_arn":
        from akless.providers.ram_role_arn import RamRoleArnProvider

        return RamRoleArnProvider(
            access_key_id=config.access_key_id,
            access_key_secret=config.access_key_secret,
            security_token=config.security_token,
            role_arn=config.role_arn,
            role_session_name=config.role_session_name,
            duration_seconds=config.role_session_expiration,
            policy=config.policy,
            external_id=config.external_id,
            **sts,
        )
    if kind == "oidc_role_arn":
        from akless.providers.oidc import OidcRoleArnProvider

        return OidcRoleArnProvider(
            role_arn=config.role_arn,
            oidc_provider_arn=config.oidc_provider_arn,
            oidc_token_file=config.oidc_token_file_path,
            role_session_name=config.role_session_name,
            duration_seconds=config.role_session_expiration,
            policy=config.policy,
            **sts,
        )
    if kind == "rsa_key_pair":
        from akless.providers.rsa_key_pair import RsaKeyPairProvider

        return RsaKeyPairProvider(
            public_key_id=config.public_key_id,
            private_key_file=config.private_key_file,
            duration_seconds=config.role_session_expiration,
            **sts,
        )
    if kind == "kms_ram_secret":
        from akless.providers.kms_ram_secret import KmsRamSecretProvider

        return KmsRamSecretProvider(
            str(config.secret_name),
            kms_endpoint=config.kms_endpoint,
            region_id=config.region_id,
            timeout=sts["timeout"],
            proxy=config.proxy,
        )
    if kind == "credentials_uri":
        from akless.providers.credentials_uri import CredentialsUriProvider

        return CredentialsUriProvider(
            config.credentials_uri, timeout=sts["timeout"], proxy=config.proxy
        )
    raise AssertionError(f"no provider for Config.type {kind!r}")  # _REQUIRED lists every type
