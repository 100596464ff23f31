"""The default credential chain: a plain, editable list of providers walked in order.

* The default order is the official Python one: environment, OIDC (RRSA, when its three variables
  are set), the aliyun CLI profile, the INI profile, ECS metadata, the credentials URI (when set).
* Three outcomes per step: ``CredentialsUnavailable`` moves on, any other error stops the chain,
  and when nothing applies one ``NoCredentialsFound`` names every step and why, in order.
* The provider that worked is asked first next time; when it stops applying, the chain walks
  again. Credentials are named ``default/<inner>``.
* The environment is read when credentials are asked for, not when the chain is built.

Every walk is checked twice: with ``get_credentials`` and with ``get_credentials_async``.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import akless
from akless import ChainProvider, Credentials, _env, default_chain
from akless._time import format_timestamp
from akless.chain import WhenConfigured
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, CredentialsUnavailable, NoCredentialsFound
from akless.providers.ecs_ram_role import NOT_ON_ECS

DEFAULT_ORDER = ["env", "oidc_role_arn", "cli_profile", "profile", "ecs_ram_role", "credential_uri"]
OIDC_VARIABLES = (
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
)


@pytest.fixture(autouse=True)
def _forget_unreachable_metadata() -> Iterator[None]:
    """A metadata endpoint that failed once is remembered for the process: not across tests."""
    NOT_ON_ECS.forget()
    yield
    NOT_ON_ECS.forget()


# --- providers that script the three outcomes ---------------------------------------------------


class Answers:
    """A provider that answers while ``available`` (and says why not otherwise), counting calls."""

    def __init__(self, name: str, *, available: bool = True) -> None:
        self.name = name
        self.available = available
        self.calls = 0
        self.credentials = Credentials(f"LTAI5t{name}KeyId", f"{name}-secret", provider_name=name)

    def get_credentials(self) -> Credentials:
        self.calls += 1
        if not self.available:
            raise CredentialsUnavailable(f"{self.name} is switched off", provider=self.name)
        return self.credentials


class NotHere(Answers):
    """A provider that never applies."""

    def __init__(self, name: str, reason: str | None = None) -> None:
        super().__init__(name, available=False)
        self.reason = reason or f"{name} does not apply"

    def get_credentials(self) -> Credentials:
        self.calls += 1
        raise CredentialsUnavailable(self.reason, provider=self.name)


class Broken(Answers):
    """A provider that applies but is misconfigured."""

    def get_credentials(self) -> Credentials:
        self.calls += 1
        raise ConfigurationError(f"{self.name} is misconfigured", source=self.name)


def walk_sync(chain: ChainProvider) -> Credentials:
    return chain.get_credentials()


def walk_async(chain: ChainProvider) -> Credentials:
    return asyncio.run(chain.get_credentials_async())


Walk = Callable[[ChainProvider], Credentials]


@pytest.fixture(params=[walk_sync, walk_async], ids=["sync", "async"])
def walk(request: pytest.FixtureRequest) -> Walk:
    """Ask a chain for credentials, blocking or from an event loop."""
    walker: Walk = request.param
    return walker


# --- the default order, and the list as data ----------------------------------------------------


def test_the_default_chain_is_the_official_python_order() -> None:
    assert [provider.name for provider in default_chain()] == DEFAULT_ORDER


def test_a_chain_built_without_providers_walks_the_default_chain() -> None:
    chain = ChainProvider()

    assert [provider.name for provider in chain.providers] == DEFAULT_ORDER
    assert chain.name == "default"
    assert chain.get_provider_name() == "default"


def test_each_default_chain_is_a_new_list_so_editing_one_leaves_others_alone() -> None:
    first, second = default_chain(), default_chain()
    first.pop(0)

    assert [provider.name for provider in second] == DEFAULT_ORDER
    assert first is not second


def test_a_provider_inserted_before_the_others_is_asked_first(walk: Walk) -> None:
    chain = ChainProvider()
    vault = Answers("vault")

    chain.providers.insert(0, vault)

    assert walk(chain).provider_name == "default/vault"


def test_a_removed_provider_is_no_longer_asked(walk: Walk) -> None:
    first, second = Answers("first"), Answers("second")
    chain = ChainProvider([first, second])
    assert walk(chain).provider_name == "default/first"

    chain.providers.remove(first)

    assert walk(chain).provider_name == "default/second"
    assert first.calls == 1


def test_a_replaced_provider_is_no_longer_asked(walk: Walk) -> None:
    old, new = Answers("old"), Answers("new")
    chain = ChainProvider([NotHere("env"), old])
    assert walk(chain).provider_name == "default/old"

    chain.providers[1] = new

    assert walk(chain).provider_name == "default/new"
    assert old.calls == 1


def test_a_provider_inserted_after_a_success_is_asked_in_its_place(walk: Walk) -> None:
    later = Answers("later")
    chain = ChainProvider([NotHere("env"), later])
    assert walk(chain).provider_name == "default/later"

    chain.providers.insert(1, Answers("inserted"))

    assert walk(chain).provider_name == "default/inserted"


def test_removing_a_default_step_by_name_takes_it_out_of_the_walk(
    monkeypatch: pytest.MonkeyPatch, walk: Walk
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tEnvironmentKey")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "environment-secret")
    chain = ChainProvider()

    chain.providers[:] = [step for step in chain.providers if step.name != "env"]

    with pytest.raises(NoCredentialsFound) as caught:
        walk(chain)
    assert [name for name, _ in caught.value.steps] == DEFAULT_ORDER[1:]


# --- the three outcomes -------------------------------------------------------------------------


def test_an_unavailable_step_moves_the_chain_to_the_next(walk: Walk) -> None:
    skipped, used = NotHere("skipped"), Answers("used")

    credentials = walk(ChainProvider([skipped, used]))

    assert credentials.provider_name == "default/used"
    assert credentials.access_key_id == used.credentials.access_key_id
    assert (skipped.calls, used.calls) == (1, 1)


def test_any_other_error_stops_the_chain_before_a_working_provider(walk: Walk) -> None:
    broken, working = Broken("broken"), Answers("working")

    with pytest.raises(ConfigurationError, match="broken is misconfigured"):
        walk(ChainProvider([NotHere("env"), broken, working]))

    assert working.calls == 0


def test_an_unexpected_exception_stops_the_chain_too(walk: Walk) -> None:
    class Crashes(Answers):
        def get_credentials(self) -> Credentials:
            raise RuntimeError("a bug in a custom provider")

    working = Answers("working")

    with pytest.raises(RuntimeError, match="a bug"):
        walk(ChainProvider([Crashes("custom"), working]))
    assert working.calls == 0


def test_nothing_found_names_every_step_and_its_reason_in_order(walk: Walk) -> None:
    steps = [NotHere("alpha", "no alpha here"), NotHere("beta", "beta is off"), NotHere("gamma")]

    with pytest.raises(NoCredentialsFound) as caught:
        walk(ChainProvider(steps))

    error = caught.value
    assert error.steps == [
        ("alpha", "no alpha here"),
        ("beta", "beta is off"),
        ("gamma", "gamma does not apply"),
    ]
    message = str(error)
    lines = ["1. alpha: no alpha here", "2. beta: beta is off", "3. gamma: gamma does not apply"]
    positions = [message.index(line) for line in lines]
    assert positions == sorted(positions)


def test_an_empty_chain_finds_nothing(walk: Walk) -> None:
    with pytest.raises(NoCredentialsFound) as caught:
        walk(ChainProvider([]))

    assert caught.value.steps == []


def test_the_default_chain_off_the_cloud_explains_every_step(walk: Walk) -> None:
    with pytest.raises(NoCredentialsFound) as caught:
        walk(ChainProvider())

    reasons = dict(caught.value.steps)
    assert [name for name, _ in caught.value.steps] == DEFAULT_ORDER
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in reasons["env"]
    assert all(variable in reasons["oidc_role_arn"] for variable in OIDC_VARIABLES)
    assert str(Path.home() / ".aliyun" / "config.json") in reasons["cli_profile"]
    assert str(Path.home() / ".alibabacloud" / "credentials.ini") in reasons["profile"]
    assert "ALIBABA_CLOUD_ECS_METADATA_DISABLED" in reasons["ecs_ram_role"]
    assert "ALIBABA_CLOUD_CREDENTIALS_URI" in reasons["credential_uri"]
    for name, reason in caught.value.steps:
        assert f"{name}: {reason}" in str(caught.value)


def test_no_credentials_found_is_unavailable_so_a_chain_inside_a_chain_moves_on(
    walk: Walk,
) -> None:
    inner = ChainProvider([NotHere("inner-step")])
    outer = ChainProvider([inner, Answers("fallback")])

    assert issubclass(NoCredentialsFound, CredentialsUnavailable)
    assert walk(outer).provider_name == "default/fallback"
    with pytest.raises(NoCredentialsFound) as caught:
        walk(ChainProvider([ChainProvider([NotHere("deep")])]))
    ((name, reason),) = caught.value.steps
    assert name == "default"
    assert "deep: deep does not apply" in reason


def test_a_chain_inside_a_chain_names_both_levels(walk: Walk) -> None:
    nested = ChainProvider([ChainProvider([Answers("inner")])])

    assert walk(nested).provider_name == "default/default/inner"


# --- remembering what worked --------------------------------------------------------------------


def test_the_provider_that_worked_is_asked_first_next_time(walk: Walk) -> None:
    skipped, first, second = NotHere("skipped"), Answers("first"), Answers("second")
    chain = ChainProvider([skipped, first, second])

    for _ in range(3):
        assert walk(chain).provider_name == "default/first"

    assert (skipped.calls, first.calls, second.calls) == (1, 3, 0)
    assert chain.last_used is first


def test_when_the_remembered_provider_stops_applying_the_chain_walks_again(walk: Walk) -> None:
    counting, fallback = Answers("counting"), Answers("fallback")
    chain = ChainProvider([counting, fallback])
    assert walk(chain).provider_name == "default/counting"

    counting.available = False

    assert walk(chain).provider_name == "default/fallback"
    assert counting.calls == 2  # asked once more, and not again during the new walk
    assert chain.last_used is fallback
    assert walk(chain).provider_name == "default/fallback"
    assert counting.calls == 2


def test_when_the_remembered_provider_stops_applying_its_reason_is_reported(walk: Walk) -> None:
    counting = Answers("counting")
    chain = ChainProvider([counting, NotHere("other")])
    walk(chain)

    counting.available = False

    with pytest.raises(NoCredentialsFound) as caught:
        walk(chain)
    assert caught.value.steps == [
        ("counting", "counting is switched off"),
        ("other", "other does not apply"),
    ]


def test_without_reuse_every_call_walks_from_the_start(walk: Walk) -> None:
    skipped, used = NotHere("skipped"), Answers("used")
    chain = ChainProvider([skipped, used], reuse_last=False)

    walk(chain)
    walk(chain)

    assert (skipped.calls, used.calls) == (2, 2)
    assert chain.last_used is used


def test_the_same_credential_object_is_returned_while_the_inner_one_is_unchanged(
    walk: Walk,
) -> None:
    provider = Answers("stable")
    chain = ChainProvider([provider])

    first = walk(chain)

    assert walk(chain) is first
    provider.credentials = Credentials("LTAI5tRotatedKeyId", "rotated", provider_name="stable")
    rotated = walk(chain)
    assert rotated is not first
    assert rotated.access_key_id == "LTAI5tRotatedKeyId"
    assert walk(chain) is rotated


def test_the_renamed_credential_keeps_every_field_but_the_name() -> None:
    inner = Credentials(
        "STS.NInnerKeyId0001",
        "inner-secret",
        "inner-token",
        expiration=time.time() + 3600,
        provider_name="inner",
    )

    class Temporary(Answers):
        def get_credentials(self) -> Credentials:
            return inner

    outer = ChainProvider([Temporary("inner")]).get_credentials()

    assert outer.provider_name == "default/inner"
    assert (outer.access_key_id, outer.access_key_secret, outer.security_token) == (
        inner.access_key_id,
        inner.access_key_secret,
        inner.security_token,
    )
    assert outer.expiration == inner.expiration


# --- each default step, for real ---------------------------------------------------------------


def _write_private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def _env_step(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, tmp_path: Path) -> None:
    identity = emulator.cloud.identity
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", identity.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", identity.access_key_secret)


def _cli_profile_step(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, tmp_path: Path
) -> None:
    identity = emulator.cloud.identity
    profile = {
        "name": "default",
        "mode": "AK",
        "access_key_id": identity.access_key_id,
        "access_key_secret": identity.access_key_secret,
    }
    config = {"current": "default", "profiles": [profile]}
    _write_private(Path.home() / ".aliyun" / "config.json", json.dumps(config))


def _profile_step(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, tmp_path: Path
) -> None:
    identity = emulator.cloud.identity
    _write_private(
        Path.home() / ".alibabacloud" / "credentials.ini",
        "[default]\ntype = access_key\n"
        f"access_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\n",
    )


def _ecs_step(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, tmp_path: Path) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", emulator.endpoint)


def _oidc_step(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, tmp_path: Path) -> None:
    cloud = emulator.cloud
    token_file = _write_private(tmp_path / "token", cloud.mint_oidc_token() + "\n")
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", cloud.identity.oidc_role_arn)
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", cloud.identity.oidc_provider_arn)
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", emulator.endpoint)


STEPS = [
    pytest.param(_env_step, "default/env", id="env"),
    pytest.param(_oidc_step, "default/oidc_role_arn", id="oidc_role_arn"),
    pytest.param(_cli_profile_step, "default/cli_profile/static_ak", id="cli_profile"),
    pytest.param(_profile_step, "default/profile/static_ak", id="profile"),
    pytest.param(_ecs_step, "default/ecs_ram_role", id="ecs_ram_role"),
]
SetUp = Callable[[pytest.MonkeyPatch, EmulatorServer, Path], None]


@pytest.mark.parametrize(("set_up", "provider_name"), STEPS)
def test_each_default_step_serves_credentials_named_default_slash_inner(
    set_up: SetUp,
    provider_name: str,
    akless_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    walk: Walk,
) -> None:
    set_up(monkeypatch, akless_emulator, tmp_path)

    credentials = walk(ChainProvider())

    assert credentials.provider_name == provider_name
    identity = akless_emulator.cloud.identity
    if provider_name.endswith("static_ak") or provider_name == "default/env":
        assert credentials.access_key_id == identity.access_key_id
    else:
        assert credentials.access_key_id.startswith("STS.")
        assert credentials.security_token


def test_client_reports_the_step_that_served_as_provider_name(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _ecs_step(monkeypatch, akless_emulator, tmp_path)

    model = akless.Client().get_credential()

    assert (model.type, model.provider_name) == ("default", "default/ecs_ram_role")


@pytest.mark.parametrize(
    ("earlier", "later", "provider_name"),
    [
        pytest.param(_env_step, _oidc_step, "default/env", id="env-before-oidc"),
        pytest.param(_oidc_step, _cli_profile_step, "default/oidc_role_arn", id="oidc-before-cli"),
        pytest.param(_cli_profile_step, _profile_step, "default/cli_profile/static_ak", id="cli"),
        pytest.param(_profile_step, _ecs_step, "default/profile/static_ak", id="profile-first"),
    ],
)
def test_an_earlier_step_wins_over_a_later_one(
    earlier: SetUp,
    later: SetUp,
    provider_name: str,
    akless_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    later(monkeypatch, akless_emulator, tmp_path)
    earlier(monkeypatch, akless_emulator, tmp_path)

    assert ChainProvider().get_credentials().provider_name == provider_name


def test_the_cli_profile_step_is_skipped_when_disabled(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _cli_profile_step(monkeypatch, akless_emulator, tmp_path)
    _profile_step(monkeypatch, akless_emulator, tmp_path)
    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")

    assert ChainProvider().get_credentials().provider_name == "default/profile/static_ak"


def test_a_broken_profile_file_stops_the_chain_naming_the_file(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _write_private(Path.home() / ".aliyun" / "config.json", '{"profiles": [')
    _ecs_step(monkeypatch, akless_emulator, tmp_path)  # would work, but is never reached

    with pytest.raises(ConfigurationError) as caught:
        ChainProvider().get_credentials()

    assert str(config) in str(caught.value)
    assert akless_emulator.cloud.metadata_requests == {}


# --- the steps that apply only when configured --------------------------------------------------


@pytest.mark.parametrize("missing", OIDC_VARIABLES)
def test_the_oidc_step_applies_only_when_all_three_variables_are_set(
    missing: str,
    akless_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    walk: Walk,
) -> None:
    _oidc_step(monkeypatch, akless_emulator, tmp_path)
    monkeypatch.delenv(missing)

    with pytest.raises(NoCredentialsFound) as caught:
        walk(ChainProvider())

    reason = dict(caught.value.steps)["oidc_role_arn"]
    assert reason == f"{missing} not set"


def test_a_blank_oidc_variable_counts_as_unset(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _oidc_step(monkeypatch, akless_emulator, tmp_path)
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", "  ")

    with pytest.raises(NoCredentialsFound) as caught:
        ChainProvider().get_credentials()

    assert dict(caught.value.steps)["oidc_role_arn"] == "ALIBABA_CLOUD_ROLE_ARN not set"


def test_a_configured_oidc_step_with_a_missing_token_file_stops_the_chain(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _oidc_step(monkeypatch, akless_emulator, tmp_path)
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", str(tmp_path / "not-mounted"))
    _ecs_step(monkeypatch, akless_emulator, tmp_path)

    with pytest.raises(ConfigurationError, match="not-mounted"):
        ChainProvider().get_credentials()


def test_when_configured_builds_its_provider_once_and_again_when_a_variable_changes() -> None:
    environ = {"ALIBABA_CLOUD_CREDENTIALS_URI": "http://127.0.0.1:1/a"}
    built: list[Answers] = []

    def build() -> Answers:
        built.append(Answers(f"built-{len(built)}"))
        return built[-1]

    step = WhenConfigured("custom", (_env.CREDENTIALS_URI,), build, environ)

    assert step.get_credentials().provider_name == "built-0"
    assert step.get_credentials().provider_name == "built-0"
    environ["ALIBABA_CLOUD_CREDENTIALS_URI"] = "http://127.0.0.1:1/b"
    assert step.get_credentials().provider_name == "built-1"
    assert step.get_provider_name() == "custom"
    del environ["ALIBABA_CLOUD_CREDENTIALS_URI"]
    with pytest.raises(CredentialsUnavailable, match="ALIBABA_CLOUD_CREDENTIALS_URI not set"):
        step.get_credentials()


def test_when_configured_rebuilds_when_a_watched_variable_changes_but_does_not_need_it() -> None:
    environ: dict[str, str] = {}
    built: list[Answers] = []

    def build() -> Answers:
        built.append(Answers(f"built-{len(built)}"))
        return built[-1]

    step = WhenConfigured("always", (), build, environ, watch=(_env.STS_ENDPOINT,))

    assert step.get_credentials().provider_name == "built-0"  # applies with nothing set
    environ["ALIBABA_CLOUD_STS_ENDPOINT"] = "http://127.0.0.1:1"
    assert step.get_credentials().provider_name == "built-1"
    assert step.get_credentials().provider_name == "built-1"


class CredentialsServer:
    """A loopback credentials URI answering the official format; ``hits`` counts requests."""

    def __init__(self) -> None:
        self.hits = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
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


def test_the_credentials_uri_step_applies_only_when_its_variable_is_set(
    credentials_server: CredentialsServer, monkeypatch: pytest.MonkeyPatch, walk: Walk
) -> None:
    chain = ChainProvider()
    with pytest.raises(NoCredentialsFound) as caught:
        walk(chain)
    assert dict(caught.value.steps)["credential_uri"] == "ALIBABA_CLOUD_CREDENTIALS_URI not set"
    assert credentials_server.hits == 0

    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_URI", credentials_server.url)
    credentials = walk(chain)

    assert credentials.provider_name == "default/credential_uri"
    assert credentials.access_key_id == "STS.NFromTheCredentialsUri"
    assert credentials_server.hits == 1


# --- the environment is read at call time -------------------------------------------------------


def test_environment_credentials_set_after_the_chain_was_built_are_found(
    monkeypatch: pytest.MonkeyPatch, walk: Walk
) -> None:
    chain = ChainProvider()
    with pytest.raises(NoCredentialsFound):
        walk(chain)

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tSetLaterKeyId")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "set-later-secret")

    assert walk(chain).access_key_id == "LTAI5tSetLaterKeyId"


def test_oidc_variables_set_after_the_chain_was_built_are_used(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, walk: Walk
) -> None:
    chain = ChainProvider()

    _oidc_step(monkeypatch, akless_emulator, tmp_path)

    assert walk(chain).provider_name == "default/oidc_role_arn"


def test_an_sts_endpoint_set_after_the_oidc_step_was_first_used_is_used(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _oidc_step(monkeypatch, akless_emulator, tmp_path)
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")
    chain = ChainProvider()
    with pytest.raises(akless.TransportError):
        chain.get_credentials()

    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", akless_emulator.endpoint)

    assert chain.get_credentials().provider_name == "default/oidc_role_arn"


def test_a_metadata_endpoint_set_after_the_chain_was_built_is_used(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, walk: Walk
) -> None:
    chain = ChainProvider()  # built while the metadata step is disabled and points nowhere

    _ecs_step(monkeypatch, akless_emulator, tmp_path)

    assert walk(chain).provider_name == "default/ecs_ram_role"


def test_disabling_the_metadata_step_after_the_chain_was_built_takes_effect(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _ecs_step(monkeypatch, akless_emulator, tmp_path)
    chain = ChainProvider(reuse_last=False)
    assert chain.get_credentials().provider_name == "default/ecs_ram_role"

    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")

    with pytest.raises(NoCredentialsFound) as caught:
        chain.get_credentials()
    assert "ALIBABA_CLOUD_ECS_METADATA_DISABLED" in dict(caught.value.steps)["ecs_ram_role"]


def test_a_profile_file_written_after_the_chain_was_built_is_read(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, walk: Walk
) -> None:
    chain = ChainProvider()
    ini = tmp_path / "elsewhere.ini"

    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(ini))
    _write_private(
        ini, "[default]\ntype = access_key\naccess_key_id = LTAI5tIniKeyId\naccess_key_secret = s\n"
    )

    credentials = walk(chain)

    assert credentials.provider_name == "default/profile/static_ak"
    assert credentials.access_key_id == "LTAI5tIniKeyId"


def test_an_injected_environment_is_used_instead_of_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tProcessKeyId")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "process-secret")
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tInjectedKeyId",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "injected-secret",
    }

    credentials = ChainProvider(default_chain(environ=environ)).get_credentials()

    assert credentials.access_key_id == "LTAI5tInjectedKeyId"


# --- the environment step -----------------------------------------------------------------------


def test_half_an_environment_access_key_stops_the_chain(
    monkeypatch: pytest.MonkeyPatch, walk: Walk
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tHalfKeyId")

    with pytest.raises(ConfigurationError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        walk(ChainProvider())


def test_the_environment_credential_object_is_the_same_while_the_variables_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tStableKeyId")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "stable-secret")
    chain = ChainProvider()

    first = chain.get_credentials()

    assert chain.get_credentials() is first
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "now-a-token")
    changed = chain.get_credentials()
    assert changed is not first
    assert changed.security_token == "now-a-token"
    assert changed.provider_name == "default/env"


def test_sync_and_async_walks_give_the_same_answers(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _profile_step(monkeypatch, akless_emulator, tmp_path)
    chain = ChainProvider()

    blocking = chain.get_credentials()
    awaited = asyncio.run(chain.get_credentials_async())

    assert awaited is blocking
