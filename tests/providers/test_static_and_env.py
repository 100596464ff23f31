"""Credentials given directly (``static_ak``, ``static_sts``, ``bearer``) and from the
``ALIBABA_CLOUD_*`` environment variables (``env``), which are read at every call."""

from __future__ import annotations

import asyncio

import pytest

from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.provider import CredentialsProvider
from akless.providers.environment import EnvironmentProvider
from akless.providers.static import BearerTokenProvider, StaticAKProvider, StaticSTSProvider

KEY_ID = "LTAI5tExampleKeyId01"
SECRET = "static-secret-never-shown"
TOKEN = "CAIS-static-token-never-shown"
ID_VAR = "ALIBABA_CLOUD_ACCESS_KEY_ID"
SECRET_VAR = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
TOKEN_VAR = "ALIBABA_CLOUD_SECURITY_TOKEN"


# --- static AccessKey, STS credential, bearer token ---------------------------------------------


def test_static_ak_provider_returns_the_pair_as_a_long_term_credential() -> None:
    provider = StaticAKProvider(KEY_ID, SECRET)

    credentials = provider.get_credentials()

    assert (credentials.access_key_id, credentials.access_key_secret) == (KEY_ID, SECRET)
    assert credentials.security_token is None
    assert credentials.expiration is None
    assert not credentials.is_temporary
    assert credentials.provider_name == provider.name == provider.get_provider_name()
    assert provider.name == "static_ak"


def test_static_sts_provider_returns_the_token_and_expiry_it_was_given() -> None:
    provider = StaticSTSProvider("STS.NExampleKeyId01", SECRET, TOKEN, expiration=2_000_000_000.0)

    credentials = provider.get_credentials()

    assert credentials.access_key_id == "STS.NExampleKeyId01"
    assert credentials.access_key_secret == SECRET
    assert credentials.security_token == TOKEN
    assert credentials.expiration == 2_000_000_000.0
    assert credentials.is_temporary
    assert credentials.provider_name == provider.get_provider_name() == "static_sts"


def test_bearer_token_provider_returns_a_token_without_an_access_key() -> None:
    provider = BearerTokenProvider("bearer-token-never-shown")

    credentials = provider.get_credentials()

    assert credentials.bearer_token == "bearer-token-never-shown"
    assert credentials.access_key_id == credentials.access_key_secret == ""
    assert credentials.provider_name == provider.get_provider_name() == "bearer"


def test_static_values_are_stripped_of_surrounding_whitespace() -> None:
    credentials = StaticAKProvider(f" {KEY_ID}\n", f"{SECRET}\n").get_credentials()

    assert (credentials.access_key_id, credentials.access_key_secret) == (KEY_ID, SECRET)


def test_static_providers_return_the_same_frozen_value_every_call() -> None:
    provider = StaticAKProvider(KEY_ID, SECRET)

    assert provider.get_credentials() is provider.get_credentials()
    assert asyncio.run(provider.get_credentials_async()) is provider.get_credentials()


def test_every_static_provider_is_a_credentials_provider() -> None:
    providers = [
        StaticAKProvider(KEY_ID, SECRET),
        StaticSTSProvider(KEY_ID, SECRET, TOKEN),
        BearerTokenProvider(TOKEN),
        EnvironmentProvider(),
    ]

    assert all(isinstance(provider, CredentialsProvider) for provider in providers)


@pytest.mark.parametrize("missing", [None, "", "   ", "\n"], ids=["none", "empty", "blank", "nl"])
@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda v: StaticAKProvider(v, SECRET), "access_key_id"),
        (lambda v: StaticAKProvider(KEY_ID, v), "access_key_secret"),
        (lambda v: StaticSTSProvider(v, SECRET, TOKEN), "access_key_id"),
        (lambda v: StaticSTSProvider(KEY_ID, v, TOKEN), "access_key_secret"),
        (lambda v: StaticSTSProvider(KEY_ID, SECRET, v), "security_token"),
        (lambda v: BearerTokenProvider(v), "bearer_token"),
    ],
    ids=["ak-id", "ak-secret", "sts-id", "sts-secret", "sts-token", "bearer"],
)
def test_a_missing_or_blank_static_value_is_a_configuration_error_naming_the_field(
    build: object, field: str, missing: str | None
) -> None:
    with pytest.raises(ConfigurationError, match=field) as caught:
        build(missing)  # type: ignore[operator]

    assert caught.value.source == field


# --- the environment ----------------------------------------------------------------------------


def test_environment_provider_reads_the_access_key_from_the_environment() -> None:
    provider = EnvironmentProvider({ID_VAR: KEY_ID, SECRET_VAR: SECRET})

    credentials = provider.get_credentials()

    assert (credentials.access_key_id, credentials.access_key_secret) == (KEY_ID, SECRET)
    assert credentials.security_token is None
    assert not credentials.is_temporary
    assert credentials.provider_name == provider.get_provider_name() == "env"


def test_environment_provider_reads_the_variables_at_each_call_not_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = EnvironmentProvider()  # os.environ, which has no credentials yet
    with pytest.raises(CredentialsUnavailable):
        provider.get_credentials()

    monkeypatch.setenv(ID_VAR, KEY_ID)
    monkeypatch.setenv(SECRET_VAR, SECRET)
    assert provider.get_credentials().access_key_id == KEY_ID

    monkeypatch.setenv(ID_VAR, "LTAI5tRotatedKeyId02")
    monkeypatch.setenv(SECRET_VAR, "rotated-secret")
    rotated = provider.get_credentials()
    assert (rotated.access_key_id, rotated.access_key_secret) == (
        "LTAI5tRotatedKeyId02",
        "rotated-secret",
    )

    monkeypatch.delenv(ID_VAR)
    monkeypatch.delenv(SECRET_VAR)
    with pytest.raises(CredentialsUnavailable):
        provider.get_credentials()


def test_environment_provider_is_unavailable_when_neither_variable_is_set() -> None:
    with pytest.raises(CredentialsUnavailable) as caught:
        EnvironmentProvider({}).get_credentials()

    assert caught.value.provider == "env"
    assert ID_VAR in str(caught.value)
    assert SECRET_VAR in str(caught.value)


def test_blank_variables_count_as_unset() -> None:
    with pytest.raises(CredentialsUnavailable):
        EnvironmentProvider({ID_VAR: " ", SECRET_VAR: ""}).get_credentials()


@pytest.mark.parametrize(
    ("environ", "absent"),
    [({ID_VAR: KEY_ID}, SECRET_VAR), ({SECRET_VAR: SECRET}, ID_VAR)],
    ids=["only-id", "only-secret"],
)
def test_only_one_of_the_pair_set_is_a_configuration_error_naming_both_variables(
    environ: dict[str, str], absent: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EnvironmentProvider(environ).get_credentials()

    # Not CredentialsUnavailable: half a key is a mistake the chain must not skip over.
    assert not isinstance(caught.value, CredentialsUnavailable)
    assert ID_VAR in str(caught.value)
    assert SECRET_VAR in str(caught.value)
    assert caught.value.source == absent
    assert SECRET not in str(caught.value)


def test_a_security_token_in_the_environment_makes_the_credential_sts() -> None:
    provider = EnvironmentProvider(
        {ID_VAR: "STS.NExampleKeyId01", SECRET_VAR: SECRET, TOKEN_VAR: TOKEN}
    )

    credentials = provider.get_credentials()

    assert credentials.security_token == TOKEN
    assert credentials.is_temporary
    assert credentials.provider_name == "env"


def test_environment_provider_returns_the_same_object_while_nothing_changes() -> None:
    environ = {ID_VAR: KEY_ID, SECRET_VAR: SECRET}
    provider = EnvironmentProvider(environ)

    first = provider.get_credentials()
    assert provider.get_credentials() is first
    assert asyncio.run(provider.get_credentials_async()) is first

    environ[TOKEN_VAR] = TOKEN
    with_token = provider.get_credentials()
    assert with_token is not first
    assert with_token.security_token == TOKEN
    assert provider.get_credentials() is with_token

    environ[SECRET_VAR] = "rotated-secret"
    assert provider.get_credentials().access_key_secret == "rotated-secret"


def test_environment_credentials_are_the_frozen_value() -> None:
    credentials = EnvironmentProvider({ID_VAR: KEY_ID, SECRET_VAR: SECRET}).get_credentials()

    assert isinstance(credentials, Credentials)
    with pytest.raises(AttributeError):
        credentials.access_key_secret = "changed"  # type: ignore[misc]
