"""``akless.Client``, ``Config`` and ``CredentialModel`` against the official
``alibabacloud_credentials`` 1.0.12, side by side where their behaviour should match.

* ``Config`` takes every official keyword (plus ``sts_region_id`` and ``enable_vpc``) and maps
  them to the official camelCase keys; ``from_map`` reads those keys back.
* ``Client(Config(type=...))`` gives the official ``type`` and ``provider_name`` for every type:
  compared with the official client run on the same configuration (against the emulator for the
  types that call a service; for ``ecs_ram_role``, whose official host cannot be redirected
  through ``Config``, with the official name from the spec).
* What akless adds: ``sts_endpoint`` as a full URL, errors that name the missing fields, no thread
  started by any constructor, and nothing secret in any ``repr``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import inspect
import json
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_credentials.client import Client as OfficialClient
from alibabacloud_credentials.models import Config as OfficialConfig
from alibabacloud_credentials.models import CredentialModel as OfficialCredentialModel
from alibabacloud_credentials.provider import StaticAKCredentialsProvider

from akless import (
    Client,
    Config,
    ConfigurationError,
    CredentialModel,
    CredentialsUnavailable,
    NoCredentialsFound,
    TransportTimeout,
)
from akless._time import format_timestamp
from akless.emulator import EmulatorServer, Fault
from akless.providers.ecs_ram_role import NOT_ON_ECS
from akless.providers.static import StaticAKProvider

OFFICIAL_KEYWORDS = [
    name for name in inspect.signature(OfficialConfig.__init__).parameters if name != "self"
]
AKLESS_ONLY_KEYWORDS = ["sts_region_id", "enable_vpc"]
SUPPORTED_TYPES = [
    "access_key",
    "sts",
    "bearer",
    "ecs_ram_role",
    "ram_role_arn",
    "rsa_key_pair",
    "oidc_role_arn",
    "credentials_uri",
]
KEY_ID = "LTAI5tCompatKeyId0001"
SECRET = "compat-planted-secret-9f3k"
TOKEN = "compat-planted-token-7d2m"
BEARER = "compat-planted-bearer-4h8q"


@pytest.fixture(autouse=True)
def _forget_unreachable_metadata() -> Iterator[None]:
    NOT_ON_ECS.forget()
    yield
    NOT_ON_ECS.forget()


def sample_value(name: str) -> Any:
    """A value of the official annotation's type for keyword ``name``, unique to it."""
    kind = inspect.signature(OfficialConfig.__init__).parameters[name].annotation
    if kind is bool:
        return True
    if kind is int:
        return 1000 + OFFICIAL_KEYWORDS.index(name)
    assert kind is str, (name, kind)
    return f"value-of-{name}"


# --- Config -------------------------------------------------------------------------------------


def test_the_official_config_keywords_are_the_documented_ones() -> None:
    # If the pinned official library changes, the lists below must be looked at again.
    assert len(OFFICIAL_KEYWORDS) == 25
    assert "sts_region_id" not in OFFICIAL_KEYWORDS


def test_config_accepts_every_official_keyword_with_the_same_meaning() -> None:
    values = {name: sample_value(name) for name in OFFICIAL_KEYWORDS}

    ours, official = Config(**values), OfficialConfig(**values)

    for name in OFFICIAL_KEYWORDS:
        assert getattr(ours, name) == getattr(official, name) == values[name], name


def test_config_also_accepts_the_sts_region_and_the_vpc_switch() -> None:
    config = Config(type="ram_role_arn", sts_region_id="cn-shanghai", enable_vpc=True)

    assert (config.sts_region_id, config.enable_vpc) == ("cn-shanghai", True)
    assert config.to_map()["stsRegionId"] == "cn-shanghai"
    assert config.to_map()["enableVpc"] is True


def test_config_takes_keywords_only_like_the_official_one() -> None:
    with pytest.raises(TypeError):
        OfficialConfig("access_key")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Config("access_key")  # type: ignore[misc]


def test_an_empty_config_maps_to_an_empty_dict_like_the_official_one() -> None:
    assert Config().to_map() == OfficialConfig().to_map() == {}


@pytest.mark.parametrize("name", OFFICIAL_KEYWORDS)
def test_config_to_map_uses_the_official_key_for_each_field(name: str) -> None:
    value = sample_value(name)

    assert Config(**{name: value}).to_map() == OfficialConfig(**{name: value}).to_map()


def test_config_to_map_of_every_field_equals_the_official_map() -> None:
    values = {name: sample_value(name) for name in OFFICIAL_KEYWORDS}

    assert Config(**values).to_map() == OfficialConfig(**values).to_map()


def test_config_from_map_round_trips_every_field() -> None:
    values = {name: sample_value(name) for name in OFFICIAL_KEYWORDS}
    values.update(sts_region_id="cn-shanghai", enable_vpc=False)
    config = Config(**values)

    restored = Config().from_map(config.to_map())

    assert restored == config


def test_config_from_map_reads_an_official_map() -> None:
    values = {name: sample_value(name) for name in OFFICIAL_KEYWORDS}
    official_map = OfficialConfig(**values).to_map()

    assert Config().from_map(official_map) == Config(**values)
    assert OfficialConfig().from_map(Config(**values).to_map()).to_map() == official_map


def test_config_from_map_returns_the_config_itself_like_the_official_one() -> None:
    config = Config()

    assert config.from_map({"type": "sts"}) is config
    assert config.type == "sts"


def test_config_from_map_leaves_a_field_alone_when_the_map_holds_none_for_it() -> None:
    ours = Config(type="sts", role_arn="acs:ram::1:role/keep")
    official = OfficialConfig(type="sts", role_arn="acs:ram::1:role/keep")
    update = {"type": None, "roleArn": None, "policy": "{}", "notAField": "ignored"}

    ours.from_map(update)
    official.from_map(update)

    assert ours.to_map() == official.to_map()
    assert (ours.type, ours.role_arn, ours.policy) == ("sts", "acs:ram::1:role/keep", "{}")


def test_config_repr_hides_secrets_and_shows_the_rest() -> None:
    config = Config(
        type="ram_role_arn",
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        security_token=TOKEN,
        bearer_token=BEARER,
        role_arn="acs:ram::123456789012:role/visible",
        credentials_uri=f"https://vault.example/creds?token={TOKEN}-uri",
        proxy=f"http://user:{SECRET}-proxy@proxy.example:3128",
    )

    shown = repr(config)

    for planted in (SECRET, TOKEN, BEARER, KEY_ID):
        assert planted not in shown
        assert planted not in str(config)
    assert "acs:ram::123456789012:role/visible" in shown
    assert "ram_role_arn" in shown
    assert "LTAI****0001" in shown
    assert "proxy.example:3128" in shown
    assert "https://vault.example/creds" in shown


# --- CredentialModel ----------------------------------------------------------------------------

MODEL_VALUES = {
    "access_key_id": KEY_ID,
    "access_key_secret": SECRET,
    "security_token": TOKEN,
    "bearer_token": BEARER,
    "type": "sts",
    "provider_name": "static_sts",
}


def test_credential_model_to_map_uses_the_official_keys() -> None:
    assert CredentialModel(**MODEL_VALUES).to_map() == (
        OfficialCredentialModel(**MODEL_VALUES).to_map()
    )
    for name, value in MODEL_VALUES.items():
        single = CredentialModel(**{name: value}).to_map()
        assert single == OfficialCredentialModel(**{name: value}).to_map()


def test_credential_model_getters_are_the_official_ones() -> None:
    ours = CredentialModel(**MODEL_VALUES)
    official = OfficialCredentialModel(**MODEL_VALUES)

    for name in MODEL_VALUES:
        assert getattr(ours, f"get_{name}")() == getattr(official, f"get_{name}")(), name


def test_credential_model_is_immutable() -> None:
    model = CredentialModel(**MODEL_VALUES)

    with pytest.raises(AttributeError):
        model.access_key_secret = "changed"  # type: ignore[misc]
    assert model.access_key_secret == SECRET


def test_credential_model_repr_hides_secrets() -> None:
    model = CredentialModel(**MODEL_VALUES)

    for text in (repr(model), str(model)):
        for planted in (SECRET, TOKEN, BEARER, KEY_ID):
            assert planted not in text
        assert "static_sts" in text
        assert "LTAI****0001" in text


# --- Client(Config(type=...)) for the types that need no service --------------------------------

STATIC_CONFIGS = [
    pytest.param({"type": "access_key", "access_key_id": KEY_ID, "access_key_secret": SECRET}),
    pytest.param(
        {
            "type": "sts",
            "access_key_id": "STS.NCompatKeyId0001",
            "access_key_secret": SECRET,
            "security_token": TOKEN,
        },
        id="sts",
    ),
    pytest.param({"type": "bearer", "bearer_token": BEARER}, id="bearer"),
]
MODEL_FIELDS = [
    "type",
    "provider_name",
    "access_key_id",
    "access_key_secret",
    "security_token",
    "bearer_token",
]


def fields_of(model: Any) -> dict[str, Any]:
    return {name: getattr(model, name) for name in MODEL_FIELDS}


@pytest.mark.parametrize("values", STATIC_CONFIGS)
def test_static_types_give_the_same_credential_model_as_the_official_client(
    values: dict[str, Any],
) -> None:
    ours = Client(Config(**values)).get_credential()
    official = OfficialClient(OfficialConfig(**values)).get_credential()

    assert fields_of(ours) == fields_of(official)


@pytest.mark.parametrize("values", STATIC_CONFIGS)
def test_get_credential_async_gives_the_same_model(values: dict[str, Any]) -> None:
    client = Client(Config(**values))

    awaited = asyncio.run(client.get_credential_async())

    assert fields_of(awaited) == fields_of(client.get_credential())


def test_the_same_model_object_is_returned_while_the_credential_is_unchanged() -> None:
    client = Client(Config(type="access_key", access_key_id=KEY_ID, access_key_secret=SECRET))

    assert client.get_credential() is client.get_credential()


# --- Client(Config(type=...)) for the types that call a service ---------------------------------


class CredentialsServer:
    """A loopback credentials URI answering the official format."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(
                    {
                        "Code": "Success",
                        "AccessKeyId": "STS.NFromTheCredentialsUri",
                        "AccessKeySecret": "uri-secret",
                        "SecurityToken": "uri-token",
                        "Expiration": format_timestamp(time.time() + 3600),
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/credentials"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def credentials_server() -> Iterator[CredentialsServer]:
    server = CredentialsServer()
    yield server
    server.close()


def _private(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


@dataclasses.dataclass
class Setting:
    """Everything a test needs for one network type."""

    emulator: EmulatorServer
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch
    credentials_server: CredentialsServer


def _ecs(setting: Setting) -> dict[str, Any]:
    setting.monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    setting.monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", setting.emulator.endpoint)
    return {"type": "ecs_ram_role"}


def _ram_role_arn(setting: Setting) -> dict[str, Any]:
    identity = setting.emulator.cloud.identity
    return {
        "type": "ram_role_arn",
        "access_key_id": identity.access_key_id,
        "access_key_secret": identity.access_key_secret,
        "role_arn": identity.role_arn,
        "role_session_name": "compat",
        "sts_endpoint": setting.emulator.endpoint,
    }


def _oidc_role_arn(setting: Setting) -> dict[str, Any]:
    cloud = setting.emulator.cloud
    return {
        "type": "oidc_role_arn",
        "role_arn": cloud.identity.oidc_role_arn,
        "oidc_provider_arn": cloud.identity.oidc_provider_arn,
        "oidc_token_file_path": _private(setting.tmp_path / "token", cloud.mint_oidc_token()),
        "role_session_name": "compat",
        "sts_endpoint": setting.emulator.endpoint,
    }


def _rsa_key_pair(setting: Setting) -> dict[str, Any]:
    cloud = setting.emulator.cloud
    public_key_id, pem = cloud.create_key_pair(cloud.identity.user_name)
    return {
        "type": "rsa_key_pair",
        "public_key_id": public_key_id,
        "private_key_file": _private(setting.tmp_path / "key.pem", pem),
        "sts_endpoint": setting.emulator.endpoint,
    }


def _credentials_uri(setting: Setting) -> dict[str, Any]:
    return {"type": "credentials_uri", "credentials_uri": setting.credentials_server.url}


NETWORK_TYPES = [
    pytest.param(_ecs, ("ecs_ram_role", "ecs_ram_role"), False, "STS.", id="ecs_ram_role"),
    pytest.param(
        _ram_role_arn, ("ram_role_arn", "ram_role_arn/static_ak"), True, "STS.", id="ram_role_arn"
    ),
    pytest.param(
        _oidc_role_arn, ("oidc_role_arn", "oidc_role_arn"), True, "STS.", id="oidc_role_arn"
    ),
    pytest.param(
        _credentials_uri,
        ("credentials_uri", "credential_uri"),
        True,
        "STS.",
        id="credentials_uri",
    ),
    pytest.param(_rsa_key_pair, ("rsa_key_pair", "rsa_key_pair"), True, "TMPSK.", id="rsa"),
]


@pytest.fixture
def setting(
    akless_emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    credentials_server: CredentialsServer,
) -> Setting:
    return Setting(akless_emulator, tmp_path, monkeypatch, credentials_server)


@pytest.mark.parametrize(("make", "official_names", "run_official", "key_prefix"), NETWORK_TYPES)
def test_network_types_give_the_official_type_and_provider_name(
    make: Callable[[Setting], dict[str, Any]],
    official_names: tuple[str, str],
    run_official: bool,
    key_prefix: str,
    setting: Setting,
) -> None:
    values = make(setting)

    model = Client(Config(**values)).get_credential()

    assert (model.type, model.provider_name) == official_names
    assert model.access_key_id is not None
    assert model.access_key_id.startswith(key_prefix)
    assert model.access_key_secret
    if run_official:
        official = OfficialClient(OfficialConfig(**values)).get_credential()
        assert (official.type, official.provider_name) == official_names


@pytest.mark.parametrize(("make", "official_names", "run_official", "key_prefix"), NETWORK_TYPES)
def test_network_types_work_from_an_event_loop(
    make: Callable[[Setting], dict[str, Any]],
    official_names: tuple[str, str],
    run_official: bool,
    key_prefix: str,
    setting: Setting,
) -> None:
    client = Client(Config(**make(setting)))

    model = asyncio.run(client.get_credential_async())

    assert (model.type, model.provider_name) == official_names
    assert client.get_credential() is model  # the async fetch is cached for blocking callers


# --- configuration errors -----------------------------------------------------------------------


def test_an_unknown_type_is_an_error_listing_the_supported_types_like_the_official_one() -> None:
    with pytest.raises(Exception, match="invalid type option") as official:
        OfficialClient(OfficialConfig(type="acess_key"))
    official_types = str(official.value).split("support: ", 1)[1].split(", ")

    with pytest.raises(ConfigurationError) as caught:
        Client(Config(type="acess_key"))

    message = str(caught.value)
    assert "'acess_key'" in message
    assert sorted(official_types) == sorted(SUPPORTED_TYPES)
    for supported in official_types:
        assert supported in message


def test_a_config_without_a_type_is_an_error_listing_the_supported_types() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client(Config(access_key_id=KEY_ID, access_key_secret=SECRET))

    assert all(supported in str(caught.value) for supported in SUPPORTED_TYPES)


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        pytest.param({"type": "access_key"}, ["access_key_id", "access_key_secret"], id="ak"),
        pytest.param(
            {"type": "access_key", "access_key_id": KEY_ID}, ["access_key_secret"], id="ak-secret"
        ),
        pytest.param(
            {"type": "sts", "access_key_id": KEY_ID, "access_key_secret": SECRET},
            ["security_token"],
            id="sts",
        ),
        pytest.param({"type": "bearer"}, ["bearer_token"], id="bearer"),
        pytest.param(
            {"type": "ram_role_arn", "access_key_id": KEY_ID, "access_key_secret": SECRET},
            ["role_arn"],
            id="ram-role-arn",
        ),
        pytest.param(
            {"type": "ram_role_arn", "role_arn": "acs:ram::1:role/r"},
            ["access_key_id", "access_key_secret"],
            id="ram-role-arn-keys",
        ),
        pytest.param(
            {"type": "oidc_role_arn", "role_arn": "acs:ram::1:role/r"},
            ["oidc_provider_arn", "oidc_token_file_path"],
            id="oidc",
        ),
        pytest.param(
            {"type": "rsa_key_pair", "private_key_file": "/nonexistent/key.pem"},
            ["public_key_id"],
            id="rsa-id",
        ),
        pytest.param({"type": "rsa_key_pair", "public_key_id": "KP-1"}, ["private_key_file"]),
        pytest.param({"type": "credentials_uri"}, ["credentials_uri"], id="uri"),
    ],
)
def test_missing_required_fields_are_a_configuration_error_naming_them(
    values: dict[str, Any], missing: list[str]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client(Config(**values))

    for name in missing:
        assert name in str(caught.value)


def test_a_session_shorter_than_900_seconds_is_refused_naming_the_config_field() -> None:
    config = Config(
        type="ram_role_arn",
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        role_arn="acs:ram::1:role/r",
        role_session_expiration=600,
    )

    with pytest.raises(ConfigurationError, match="900") as caught:
        Client(config)
    assert "role_session_expiration" in str(caught.value)


@pytest.mark.parametrize("setting_name", ["timeout", "connect_timeout"])
@pytest.mark.parametrize("value", [0, -5, "fast", True])
def test_a_timeout_that_is_not_a_positive_number_is_refused(setting_name: str, value: Any) -> None:
    config = Config(type="credentials_uri", credentials_uri="http://127.0.0.1:1/c")
    setattr(config, setting_name, value)

    with pytest.raises(ConfigurationError, match=setting_name):
        Client(config)


# --- Client() and Client(provider=...) ----------------------------------------------------------


def test_client_without_config_is_the_default_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client()
    with pytest.raises(NoCredentialsFound):
        client.get_credential()

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    model = client.get_credential()

    assert (model.type, model.provider_name) == ("default", "default/env")
    assert (model.access_key_id, model.access_key_secret) == (KEY_ID, SECRET)
    with pytest.deprecated_call():
        assert client.get_type() == "default"


def test_client_with_an_akless_provider_matches_the_official_client_with_its_own() -> None:
    ours = Client(provider=StaticAKProvider(KEY_ID, SECRET)).get_credential()
    official = OfficialClient(
        provider=StaticAKCredentialsProvider(access_key_id=KEY_ID, access_key_secret=SECRET)
    ).get_credential()

    assert fields_of(ours) == fields_of(official)
    assert (ours.type, ours.provider_name) == ("static_ak", "static_ak")


def test_client_accepts_an_official_provider() -> None:
    official_provider = StaticAKCredentialsProvider(access_key_id=KEY_ID, access_key_secret=SECRET)
    client = Client(provider=official_provider)

    model = client.get_credential()
    awaited = asyncio.run(client.get_credential_async())

    expected = fields_of(OfficialClient(provider=official_provider).get_credential())
    assert fields_of(model) == fields_of(awaited) == expected


def test_the_official_client_accepts_an_akless_provider() -> None:
    model = OfficialClient(provider=StaticAKProvider(KEY_ID, SECRET)).get_credential()

    assert (model.access_key_id, model.access_key_secret) == (KEY_ID, SECRET)
    assert (model.type, model.provider_name) == ("static_ak", "static_ak")


def test_a_provider_wins_over_a_config_like_the_official_client() -> None:
    provider = StaticAKProvider(KEY_ID, SECRET)

    model = Client(Config(type="bearer", bearer_token=BEARER), provider=provider).get_credential()

    assert model.type == "static_ak"


def test_something_that_is_not_a_provider_is_refused() -> None:
    with pytest.raises(TypeError, match="provider"):
        Client(provider=object())


# --- the deprecated getters ---------------------------------------------------------------------

GETTERS = [
    "get_access_key_id",
    "get_access_key_secret",
    "get_security_token",
    "get_type",
    "get_bearer_token",
]
ASYNC_GETTERS = [
    "get_access_key_id_async",
    "get_access_key_secret_async",
    "get_security_token_async",
]


def _call_deprecated(client: Any, getter: str) -> Any:
    method = getattr(client, getter)
    with pytest.deprecated_call():
        if getter.endswith("_async"):
            return asyncio.run(method())
        return method()


@pytest.mark.parametrize("getter", GETTERS + ASYNC_GETTERS)
@pytest.mark.parametrize("values", STATIC_CONFIGS)
def test_each_deprecated_getter_warns_and_answers_like_the_official_one(
    getter: str, values: dict[str, Any]
) -> None:
    ours = _call_deprecated(Client(Config(**values)), getter)
    official = _call_deprecated(OfficialClient(OfficialConfig(**values)), getter)

    assert ours == official


def test_the_deprecated_getters_name_the_replacement() -> None:
    client = Client(Config(type="access_key", access_key_id=KEY_ID, access_key_secret=SECRET))

    with pytest.warns(DeprecationWarning, match=r"get_credential\(\)\.access_key_id"):
        client.get_access_key_id()


def test_the_deprecation_warning_points_at_the_caller() -> None:
    client = Client(Config(type="access_key", access_key_id=KEY_ID, access_key_secret=SECRET))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.get_access_key_secret()

    assert [Path(warning.filename).name for warning in caught] == [Path(__file__).name]


# --- endpoints ----------------------------------------------------------------------------------


def _role_config(**values: Any) -> Config:
    return Config(
        type="ram_role_arn",
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        role_arn="acs:ram::123456789012:role/compat",
        **values,
    )


def _oidc_config(tmp_path: Path, **values: Any) -> Config:
    return Config(
        type="oidc_role_arn",
        role_arn="acs:ram::123456789012:role/compat",
        oidc_provider_arn="acs:ram::123456789012:oidc-provider/ack",
        oidc_token_file_path=str(tmp_path / "token"),
        **values,
    )


def _rsa_config(tmp_path: Path, **values: Any) -> Config:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIplaceholder\n-----END RSA PRIVATE KEY-----\n"
    return Config(
        type="rsa_key_pair",
        public_key_id="KP-compat",
        private_key_file=_private(tmp_path / "key.pem", pem),
        **values,
    )


@pytest.mark.parametrize("make", ["role", "oidc", "rsa"])
def test_an_sts_endpoint_host_means_https_to_that_host(make: str, tmp_path: Path) -> None:
    host = "sts.cn-hangzhou.aliyuncs.com"
    config = {
        "role": lambda: _role_config(sts_endpoint=host),
        "oidc": lambda: _oidc_config(tmp_path, sts_endpoint=host),
        "rsa": lambda: _rsa_config(tmp_path, sts_endpoint=host),
    }[make]()

    provider: Any = Client(config).provider

    assert provider.sts_endpoint == f"https://{host}"


def test_an_sts_endpoint_url_is_used_as_given(akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity
    config = Config(
        type="ram_role_arn",
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret,
        role_arn=identity.role_arn,
        sts_endpoint=akless_emulator.endpoint,  # http://127.0.0.1:PORT
    )
    client = Client(config)

    model = client.get_credential()

    assert client.provider.sts_endpoint == akless_emulator.endpoint  # type: ignore[attr-defined]
    assert model.access_key_id is not None
    assert model.access_key_id.startswith("STS.")


def test_the_sts_endpoint_variable_takes_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", "sts.ap-southeast-1.aliyuncs.com")

    provider: Any = Client(_role_config()).provider

    assert provider.sts_endpoint == "https://sts.ap-southeast-1.aliyuncs.com"


def test_the_sts_endpoint_variable_takes_a_url(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = akless_emulator.cloud.identity
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", akless_emulator.endpoint)
    config = Config(
        type="ram_role_arn",
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret,
        role_arn=identity.role_arn,
    )

    model = Client(config).get_credential()

    assert model.provider_name == "ram_role_arn/static_ak"


def test_an_explicit_sts_endpoint_beats_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", "sts.ap-southeast-1.aliyuncs.com")

    provider: Any = Client(_role_config(sts_endpoint="sts.cn-beijing.aliyuncs.com")).provider

    assert provider.sts_endpoint == "https://sts.cn-beijing.aliyuncs.com"


@pytest.mark.parametrize(
    ("vpc", "host"),
    [(True, "sts-vpc.cn-shanghai.aliyuncs.com"), (False, "sts.cn-shanghai.aliyuncs.com")],
)
def test_the_sts_region_and_vpc_switch_choose_the_regional_endpoint(
    vpc: bool, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_STS_ENDPOINT")

    provider: Any = Client(_role_config(sts_region_id="cn-shanghai", enable_vpc=vpc)).provider

    assert provider.sts_endpoint == f"https://{host}"


# --- timeouts (milliseconds, as in the official Config) -----------------------------------------


def test_timeouts_are_milliseconds_so_a_hanging_sts_fails_within_a_second(
    akless_emulator: EmulatorServer,
) -> None:
    identity = akless_emulator.cloud.identity
    akless_emulator.cloud.faults.add(Fault(service="sts", down="hang"))
    client = Client(
        Config(
            type="ram_role_arn",
            access_key_id=identity.access_key_id,
            access_key_secret=identity.access_key_secret,
            role_arn=identity.role_arn,
            sts_endpoint=akless_emulator.endpoint,
            timeout=300,
            connect_timeout=300,
        )
    )

    started = time.monotonic()
    with pytest.raises(TransportTimeout):
        client.get_credential()

    assert time.monotonic() - started < 1.0


def test_timeouts_are_milliseconds_for_the_metadata_service_too(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", akless_emulator.endpoint)
    akless_emulator.cloud.faults.add(Fault(service="metadata", latency=0.6))
    client = Client(Config(type="ecs_ram_role", timeout=200, connect_timeout=200))

    started = time.monotonic()
    with pytest.raises(CredentialsUnavailable, match="timed out"):
        client.get_credential()

    assert time.monotonic() - started < 0.6


# --- nothing runs in the background -------------------------------------------------------------


def test_constructing_clients_of_every_type_starts_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    before = threading.active_count()

    clients = [
        Client(),
        Client(Config(type="access_key", access_key_id=KEY_ID, access_key_secret=SECRET)),
        Client(
            Config(type="sts", access_key_id=KEY_ID, access_key_secret=SECRET, security_token=TOKEN)
        ),
        Client(Config(type="bearer", bearer_token=BEARER)),
        Client(Config(type="ecs_ram_role")),
        Client(Config(type="ecs_ram_role", role_name="app-role", disable_imds_v1=True)),
        Client(_role_config()),
        Client(_oidc_config(tmp_path)),
        Client(_rsa_config(tmp_path)),
        Client(Config(type="credentials_uri", credentials_uri="http://127.0.0.1:1/c")),
        Client(provider=StaticAKProvider(KEY_ID, SECRET)),
    ]

    assert threading.active_count() == before
    assert len(clients) == 11
