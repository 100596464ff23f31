"""``KmsRamSecretProvider`` against the emulator's KMS: a real RAM secret whose key the emulator
rotates (on its own clock, moved forward by tests), with the old key disabled after a grace
period. Wired in through ``Config`` and INI profiles too."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from akless.client import Client
from akless.config import Config
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, ServiceError
from akless.providers.kms_ram_secret import EXPIRED_KEY_CODES, KmsRamSecretProvider
from akless.providers.profile import ProfileProvider
from akless.providers.static import StaticAKProvider
from akless.sts import StsClient
from tests.providers.test_ram_role_arn import CountingTransport

SECRET_NAME = "app-ak"
INTERVAL = 60.0
"""A shortened rotation interval; the emulator then keeps the old key for INTERVAL / 12 s."""


@pytest.fixture
def transport() -> Iterator[CountingTransport]:
    with closing(CountingTransport()) as counting:
        yield counting


def fetches(transport: CountingTransport) -> int:
    """How many GetSecretValue requests ``transport`` sent."""
    return sum(r.headers.get("x-acs-action") == "GetSecretValue" for r in transport.requests)


@pytest.fixture
def emulator(akless_emulator: EmulatorServer) -> EmulatorServer:
    """The emulator with a RAM user ``app`` whose key a RAM secret rotates every minute."""
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    cloud.create_ram_secret(SECRET_NAME, "app", rotation_interval=INTERVAL)
    return akless_emulator


@pytest.fixture
def admin(emulator: EmulatorServer) -> StaticAKProvider:
    """The seeded administrator, whose key reads the secret."""
    identity = emulator.cloud.identity
    return StaticAKProvider(identity.access_key_id, identity.access_key_secret)


@pytest.fixture
def provider(
    emulator: EmulatorServer, admin: StaticAKProvider, transport: CountingTransport
) -> KmsRamSecretProvider:
    return KmsRamSecretProvider(
        SECRET_NAME,
        source=admin,
        kms_endpoint=emulator.endpoint,
        transport=transport,
        clock=emulator.cloud.now,
        rng=random.Random(6).random,
    )


@pytest.fixture
def sts(emulator: EmulatorServer) -> StsClient:
    return StsClient(emulator.endpoint, clock=emulator.cloud.now)


def current_key_id(emulator: EmulatorServer) -> str:
    keys = emulator.cloud.list_access_keys("app")
    version = emulator.cloud.secret_value(SECRET_NAME)
    (current,) = [key.access_key_id for key in keys if key.access_key_id in version.data]
    return current


def advance(emulator: EmulatorServer, seconds: float) -> None:
    cloud = emulator.cloud
    cloud.set_clock_offset(cloud.clock_offset + seconds)


def test_the_provider_serves_the_ram_users_key(
    provider: KmsRamSecretProvider, emulator: EmulatorServer, sts: StsClient
) -> None:
    credentials = provider.get_credentials()

    assert credentials.access_key_id == current_key_id(emulator)
    assert credentials.provider_name == "kms_ram_secret"
    caller = sts.get_caller_identity(credentials)
    assert caller.arn.endswith(":user/app")
    assert provider.secret is not None
    assert provider.secret.rotation_interval == INTERVAL


def test_after_an_automatic_rotation_the_new_key_is_fetched(
    provider: KmsRamSecretProvider,
    emulator: EmulatorServer,
    sts: StsClient,
    transport: CountingTransport,
) -> None:
    old = provider.get_credentials()

    advance(emulator, INTERVAL / 2)
    assert provider.get_credentials() is old
    advance(emulator, INTERVAL / 2 + 2)  # past the rotation, its settling time and the jitter
    fresh = provider.get_credentials()

    assert fresh.access_key_id != old.access_key_id
    assert fresh.access_key_id == current_key_id(emulator)
    assert sts.get_caller_identity(fresh).arn.endswith(":user/app")
    assert fetches(transport) == 2


def test_a_reported_disabled_key_is_replaced_by_exactly_one_fetch(
    provider: KmsRamSecretProvider,
    emulator: EmulatorServer,
    sts: StsClient,
    transport: CountingTransport,
) -> None:
    old = provider.get_credentials()
    emulator.cloud.rotate_secret(SECRET_NAME)  # an immediate rotation the schedule cannot know
    advance(emulator, INTERVAL / 12 + 1)  # the old key's grace period is over
    with pytest.raises(ServiceError) as caught:
        sts.get_caller_identity(old)
    assert caught.value.code in EXPIRED_KEY_CODES

    for _ in range(10):  # every call that failed with the old key reports it
        assert provider.report_auth_failure(caught.value.code, old.access_key_id)

    fresh = provider.get_credentials()
    assert fresh.access_key_id == current_key_id(emulator) != old.access_key_id
    assert sts.get_caller_identity(fresh).arn.endswith(":user/app")
    assert fetches(transport) == 2


def test_a_client_calling_through_two_rotations_never_fails(
    provider: KmsRamSecretProvider, emulator: EmulatorServer, sts: StsClient
) -> None:
    failures: list[str] = []
    keys_used: list[str] = []
    started = time.monotonic()

    for _ in range(int(2.5 * INTERVAL / 0.5)):
        advance(emulator, 0.5)
        credentials = provider.get_credentials()
        try:
            sts.get_caller_identity(credentials)
        except ServiceError as error:
            failures.append(error.code)
            if provider.report_auth_failure(error.code, credentials.access_key_id):
                sts.get_caller_identity(provider.get_credentials())
        if not keys_used or keys_used[-1] != credentials.access_key_id:
            keys_used.append(credentials.access_key_id)

    assert failures == []
    assert len(keys_used) == 3  # the first key and two rotations
    assert time.monotonic() - started < 20


def test_a_secret_that_is_not_a_ram_secret_is_refused(
    emulator: EmulatorServer, admin: StaticAKProvider
) -> None:
    emulator.cloud.create_secret("db-password", "planted-db-password-3kf9")
    provider = KmsRamSecretProvider(
        "db-password", source=admin, kms_endpoint=emulator.endpoint, clock=emulator.cloud.now
    )

    with pytest.raises(ConfigurationError) as caught:
        provider.get_credentials()

    assert "'db-password'" in str(caught.value)
    assert "planted-db-password-3kf9" not in str(caught.value)


def test_an_unknown_secret_is_kms_not_found(
    emulator: EmulatorServer, admin: StaticAKProvider
) -> None:
    provider = KmsRamSecretProvider("nope", source=admin, kms_endpoint=emulator.endpoint)

    with pytest.raises(ServiceError) as caught:
        provider.get_credentials()

    assert caught.value.code == "Forbidden.ResourceNotFound"


# --- wiring: Config and INI profiles ----------------------------------------------------------


def admin_environment(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    identity = emulator.cloud.identity
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", identity.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", identity.access_key_secret)


def test_config_type_kms_ram_secret_reads_kms_with_the_default_chain(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_environment(emulator, monkeypatch)
    config = Config(type="kms_ram_secret", secret_name=SECRET_NAME, kms_endpoint=emulator.endpoint)

    model = Client(config).get_credential()

    assert model.access_key_id == current_key_id(emulator)
    assert model.security_token is None
    assert (model.type, model.provider_name) == ("kms_ram_secret", "kms_ram_secret")
    assert "secretName" in config.to_map()


def test_config_kms_endpoint_defaults_to_the_variable(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_environment(emulator, monkeypatch)
    monkeypatch.setenv("ALIBABA_CLOUD_KMS_ENDPOINT", emulator.endpoint)

    client = Client(Config(type="kms_ram_secret", secret_name=SECRET_NAME, region_id="eu-west-1"))

    assert client.get_credential().access_key_id == current_key_id(emulator)
    assert isinstance(client.provider, KmsRamSecretProvider)
    assert client.provider.kms_endpoint == emulator.endpoint


def test_config_without_a_secret_name_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client(Config(type="kms_ram_secret"))

    assert "secret_name" in str(caught.value)


def write_profiles(path: Path, emulator: EmulatorServer, *, source: bool) -> None:
    identity = emulator.cloud.identity
    path.write_text(
        "[admin]\n"
        "type = access_key\n"
        f"access_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\n"
        "\n[app]\n"
        "type = kms_ram_secret\n"
        f"secret_name = {SECRET_NAME}\n"
        f"kms_endpoint = {emulator.endpoint}\n" + ("source_profile = admin\n" if source else "")
    )


def test_an_ini_profile_reads_kms_with_its_source_profile(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "credentials.ini"
    write_profiles(path, emulator, source=True)

    credentials = ProfileProvider("app", path=path).get_credentials()

    assert credentials.access_key_id == current_key_id(emulator)
    assert credentials.provider_name == "profile/kms_ram_secret"


def test_an_ini_profile_without_a_source_uses_the_chain_without_the_ini_file(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "credentials.ini"
    write_profiles(path, emulator, source=False)
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(path))
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "app")
    admin_environment(emulator, monkeypatch)

    credentials = ProfileProvider().get_credentials()

    assert credentials.access_key_id == current_key_id(emulator)


def test_an_ini_profile_missing_its_secret_name_is_an_error_naming_the_profile(
    tmp_path: Path,
) -> None:
    path = tmp_path / "credentials.ini"
    path.write_text("[app]\ntype = kms_ram_secret\n")

    with pytest.raises(ConfigurationError) as caught:
        ProfileProvider("app", path=path).get_credentials()

    assert "'app'" in str(caught.value)
    assert "secret_name" in str(caught.value)


def test_the_credentials_are_plain_long_term_keys(provider: KmsRamSecretProvider) -> None:
    credentials = provider.get_credentials()

    assert isinstance(credentials, Credentials)
    assert not credentials.is_temporary
    assert credentials.access_key_secret not in repr(credentials)
