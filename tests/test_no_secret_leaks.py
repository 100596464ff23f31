"""No secret, security token, bearer token, OIDC token or private key ever shows.

Unique values are planted where a user or a service would put them, every provider type is
driven through its success and failure paths (bad STS answers, errors from the emulator,
expired credentials, malformed files holding the secret, an external command that prints the
secret and fails, a credentials URI that answers the secret in a body that is not JSON), and the
planted values must appear nowhere a person or a log collector could read them:

* ``str`` and ``repr`` of every error, with its attributes, along its whole
  ``__cause__`` / ``__context__`` chain;
* ``str`` and ``repr`` of every ``Credentials``, ``CredentialModel``, ``Config``, ``Client`` and
  provider involved;
* every log record, at DEBUG, of the ``akless`` logger and the root logger (with tracebacks).

Hypothesis checks the value types for any text at all.
"""

from __future__ import annotations

import json
import logging
import string
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from akless import (
    AklessError,
    ChainProvider,
    Client,
    Config,
    ConfigurationError,
    CredentialModel,
    Credentials,
    CredentialsRefreshError,
    MalformedResponse,
    NoCredentialsFound,
    ServiceError,
    TransportError,
)
from akless._time import format_timestamp
from akless.emulator import EmulatorServer, Fault
from akless.providers.cli_profile import CliProfileProvider
from akless.providers.credentials_uri import CredentialsUriProvider
from akless.providers.ecs_ram_role import NOT_ON_ECS, EcsRamRoleProvider, Unreachable
from akless.providers.external import ExternalProcessProvider
from akless.providers.oidc import OidcRoleArnProvider
from akless.providers.profile import ProfileProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.rsa_key_pair import RsaKeyPairProvider
from akless.providers.static import StaticSTSProvider
from akless.transport import FakeTransport, Request, Response

SECRET = "leakcheck-secret-Zq81x"
TOKEN = "leakcheck-token-Jw47p"
BEARER = "leakcheck-bearer-Hd26c"
OIDC_TOKEN = "eyJleakcheck.oidc-payload.Xr93k"
PRIVATE_KEY_BODY = "leakcheckPRIVATEkeyBODYMb55t"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n" + PRIVATE_KEY_BODY + "\n-----END RSA PRIVATE KEY-----\n"
)
ANSWER_SECRET = "leakcheck-answer-secret-Pn62w"
ANSWER_TOKEN = "leakcheck-answer-token-Ck39v"
METADATA_TOKEN = "leakcheck-metadata-token-Tg14r"
PROXY_PASSWORD = "leakcheck-proxy-password-Ue70s"
URI_TOKEN = "leakcheck-uri-token-Ya58d"
PLANTED = (
    SECRET,
    TOKEN,
    BEARER,
    OIDC_TOKEN,
    PRIVATE_KEY_BODY,
    ANSWER_SECRET,
    ANSWER_TOKEN,
    METADATA_TOKEN,
    PROXY_PASSWORD,
    URI_TOKEN,
)
KEY_ID = "LTAI5tLeakcheckKey01"
ROLE_ARN = "acs:ram::123456789012:role/leakcheck"
OIDC_PROVIDER_ARN = "acs:ram::123456789012:oidc-provider/ack"
FAKE_STS = "http://sts.test"
FAKE_METADATA = "http://metadata.test"


# --- the watch ----------------------------------------------------------------------------------


def _exception_texts(error: BaseException, seen: set[int]) -> Iterator[str]:
    """Everything an error holds: its text, its attributes, and those of every exception
    linked to it, a suppressed ``__context__`` included (``raise ... from None`` hides it from
    tracebacks, but it stays reachable from the error and keeps its data alive)."""
    if id(error) in seen:
        return
    seen.add(id(error))
    yield str(error)
    yield repr(error)
    yield repr(vars(error))
    yield repr(error.args)
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            yield from _exception_texts(linked, seen)


def _shown_texts(error: BaseException) -> Iterator[str]:
    """What a user or an error reporter shows of an error: its text and its traceback."""
    yield str(error)
    yield repr(error)
    yield "".join(traceback.format_exception(type(error), error, error.__traceback__))


class Watch:
    """What a test showed: objects and errors, and everything logged at DEBUG."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog
        self.planted = set(PLANTED)
        self._subjects: list[object] = []
        self.checked = False

    def plant(self, *values: str | None) -> None:
        """Also watch for ``values`` (secrets a service issued during the test)."""
        self.planted.update(value for value in values if value)

    def see(self, *subjects: object) -> None:
        """Check ``subjects``' ``str`` and ``repr`` (and, for errors, their whole chain)."""
        self._subjects.extend(subjects)

    def error(self, call: Callable[[], object], kind: type[BaseException] = AklessError) -> Any:
        """The error ``call`` raises (which must be a ``kind``), watched."""
        with pytest.raises(kind) as caught:
            call()
        self.see(caught.value)
        return caught.value

    def records(self) -> list[logging.LogRecord]:
        return list(self._caplog.records)

    def logged(self) -> Iterator[str]:
        yield self._caplog.text  # formatted records, tracebacks included
        for record in self._caplog.records:
            yield record.getMessage()
            yield repr(record.args)

    def texts(self) -> Iterator[str]:
        for subject in self._subjects:
            if isinstance(subject, BaseException):
                yield from _exception_texts(subject, set())
            else:
                yield str(subject)
                yield repr(subject)
        yield from self.logged()

    def shown(self) -> Iterator[str]:
        """Only what is displayed: errors' text and tracebacks, objects, the log."""
        for subject in self._subjects:
            if isinstance(subject, BaseException):
                yield from _shown_texts(subject)
            else:
                yield str(subject)
                yield repr(subject)
        yield from self.logged()

    def leaks(self, texts: Iterable[str] | None = None) -> list[str]:
        found = list(self.texts() if texts is None else texts)
        return sorted(value for value in self.planted if any(value in text for text in found))

    def where(self) -> list[str]:
        """The texts that show a planted value (for the failure message)."""
        return [text for text in self.texts() if any(value in text for value in self.planted)]

    def assert_clean(self) -> None:
        self.checked = True
        assert self.leaks() == [], self.where()


@pytest.fixture
def watch(caplog: pytest.LogCaptureFixture) -> Iterator[Watch]:
    """A ``Watch`` over DEBUG logging of the root and ``akless`` loggers, checked at the end
    (unless the test checked it itself)."""
    NOT_ON_ECS.forget()
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="akless"):
        watching = Watch(caplog)
        yield watching
        if not watching.checked:
            watching.assert_clean()
    NOT_ON_ECS.forget()


def test_the_watch_finds_a_planted_value_in_an_error_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watching = Watch(caplog)
    try:
        try:
            raise ValueError(f"the secret is {SECRET}")
        except ValueError as inner:
            raise ConfigurationError("clean outer message") from inner
    except ConfigurationError as outer:
        watching.see(outer)

    assert watching.leaks() == [SECRET]


def test_the_watch_finds_a_planted_value_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="akless"):
        logging.getLogger("akless").debug("token %s", TOKEN)

    assert Watch(caplog).leaks() == [TOKEN]


def _private(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    path.chmod(0o600)
    return path


def in_an_hour() -> str:
    return format_timestamp(time.time() + 3600)


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


# --- the value types, for any text (Hypothesis) -------------------------------------------------

any_text = st.text(min_size=1, max_size=40)
url_safe = st.text(string.ascii_letters + string.digits + "-._~", min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(secret=any_text, token=any_text, bearer=any_text)
def test_credentials_repr_never_depends_on_the_secret_values(
    secret: str, token: str, bearer: str
) -> None:
    def shown(*values: str) -> str:
        credentials = Credentials(
            KEY_ID,
            values[0],
            values[1],
            expiration=1_700_000_000,
            provider_name="static_sts",
            bearer_token=values[2],
        )
        assert str(credentials) == repr(credentials)
        return repr(credentials)

    assert shown(secret, token, bearer) == shown("x", "y", "z")


@settings(max_examples=150, deadline=None)
@given(secret=any_text, token=any_text, bearer=any_text)
def test_credential_model_repr_never_depends_on_the_secret_values(
    secret: str, token: str, bearer: str
) -> None:
    def shown(*values: str) -> str:
        model = CredentialModel(
            access_key_id=KEY_ID,
            access_key_secret=values[0],
            security_token=values[1],
            bearer_token=values[2],
            type="sts",
            provider_name="static_sts",
        )
        assert str(model) == repr(model)
        return repr(model)

    assert shown(secret, token, bearer) == shown("x", "y", "z")


@settings(max_examples=150, deadline=None)
@given(secret=any_text, token=any_text, bearer=any_text, password=url_safe, uri_token=url_safe)
def test_config_repr_never_depends_on_secrets_proxy_passwords_or_uri_queries(
    secret: str, token: str, bearer: str, password: str, uri_token: str
) -> None:
    def shown(*values: str) -> str:
        config = Config(
            type="ram_role_arn",
            access_key_id=KEY_ID,
            access_key_secret=values[0],
            security_token=values[1],
            bearer_token=values[2],
            proxy=f"http://user:{values[3]}@proxy.example:3128",
            credentials_uri=f"https://vault.example/credentials?token={values[4]}",
            role_arn=ROLE_ARN,
        )
        return repr(config)

    assert shown(secret, token, bearer, password, uri_token) == shown("x", "y", "z", "p", "q")


def _holding(secret: str) -> list[object]:
    return [
        Credentials(KEY_ID, secret, secret, bearer_token=secret),
        CredentialModel(
            access_key_id=KEY_ID,
            access_key_secret=secret,
            security_token=secret,
            bearer_token=secret,
        ),
        Config(access_key_secret=secret, security_token=secret, bearer_token=secret),
    ]


@settings(max_examples=100, deadline=None)
@given(secret=st.text(min_size=8, max_size=60))
def test_a_secret_never_appears_in_any_value_repr(secret: str) -> None:
    # Text that every repr contains anyway (such as "Credentials(") proves nothing.
    assume(not any(secret in repr(subject) for subject in _holding("x")))

    for subject in _holding(secret):
        assert secret not in repr(subject)
        assert secret not in str(subject)


# --- every Config type through Client -----------------------------------------------------------


def test_static_clients_show_no_secret(watch: Watch) -> None:
    configs = [
        Config(type="access_key", access_key_id=KEY_ID, access_key_secret=SECRET),
        Config(type="sts", access_key_id=KEY_ID, access_key_secret=SECRET, security_token=TOKEN),
        Config(type="bearer", bearer_token=BEARER),
    ]
    for config in configs:
        client = Client(config)
        credentials = client.provider.get_credentials()
        watch.see(config, client, client.provider, credentials, client.get_credential())


@pytest.mark.parametrize(
    "values",
    [
        {"type": "access_key", "access_key_secret": SECRET},
        {"type": "access_key", "access_key_id": " ", "access_key_secret": SECRET},
        {"type": "sts", "access_key_id": KEY_ID, "access_key_secret": SECRET},
        {"type": "sts", "access_key_secret": SECRET, "security_token": TOKEN},
        {"type": "ram_role_arn", "access_key_secret": SECRET, "security_token": TOKEN},
        {"type": "oidc_role_arn", "security_token": TOKEN, "bearer_token": BEARER},
        {"type": SECRET[:4], "access_key_secret": SECRET, "bearer_token": BEARER},
        {
            "type": "ram_role_arn",
            "access_key_id": KEY_ID,
            "access_key_secret": SECRET,
            "role_arn": ROLE_ARN,
            "role_session_expiration": 60,
        },
        {
            "type": "credentials_uri",
            "credentials_uri": f"http://vault.example/credentials?token={URI_TOKEN}",
        },
        {
            "type": "credentials_uri",
            "credentials_uri": f"ftp://user:{PROXY_PASSWORD}@vault.example/?t={URI_TOKEN}",
        },
    ],
    ids=[
        "ak-no-id",
        "ak-blank-id",
        "sts-no-token",
        "sts-no-id",
        "role-no-keys",
        "oidc-nothing",
        "unknown-type",
        "short-session",
        "plain-http-uri",
        "ftp-uri",
    ],
)
def test_a_config_that_cannot_be_used_is_refused_without_showing_its_secrets(
    values: dict[str, Any], watch: Watch
) -> None:
    config = Config(**values)

    watch.error(lambda: Client(config), ConfigurationError)
    watch.see(config)


def test_a_timeout_that_is_not_a_number_is_refused_without_quoting_it(watch: Watch) -> None:
    # Only the error is watched: Config's repr shows a timeout as given (it is not a secret
    # field), but the error must not repeat a string pasted there by mistake.
    config = Config(type="credentials_uri", credentials_uri="http://127.0.0.1:1/", timeout=SECRET)

    error = watch.error(lambda: Client(config), ConfigurationError)

    assert "Config.timeout" in str(error)
    assert "a str" in str(error)


# --- the emulator's refusals --------------------------------------------------------------------


def _role_client(emulator: EmulatorServer, **values: Any) -> Client:
    config: dict[str, Any] = {
        "type": "ram_role_arn",
        "role_arn": emulator.cloud.identity.role_arn,
        "sts_endpoint": emulator.endpoint,
    }
    config.update(values)
    return Client(Config(**config))


def _session(emulator: EmulatorServer, watch: Watch) -> Any:
    """A real role session from the emulator, whose secret and token are watched."""
    identity = emulator.cloud.identity
    model = _role_client(
        emulator,
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret,
    ).get_credential()
    watch.plant(model.access_key_secret, model.security_token)
    return model


def test_signature_does_not_match_from_the_emulator_shows_no_secret(
    akless_emulator: EmulatorServer, watch: Watch
) -> None:
    session = _session(akless_emulator, watch)
    client = _role_client(
        akless_emulator,
        access_key_id=session.access_key_id,
        access_key_secret=SECRET,  # not the session's secret: the signature cannot match
        security_token=session.security_token,
    )

    error = watch.error(client.get_credential, ServiceError)

    assert error.code == "SignatureDoesNotMatch"
    watch.see(client, client.provider)


def test_an_expired_source_session_from_the_emulator_shows_no_token(
    akless_emulator: EmulatorServer, watch: Watch
) -> None:
    akless_emulator.cloud.set_credential_lifetime(1)
    session = _session(akless_emulator, watch)
    # The emulated clock, not a sleep: 2 s on is past the session's end, and within the
    # gateway's allowed skew for the request's own timestamp.
    akless_emulator.cloud.set_clock_offset(2)
    client = _role_client(
        akless_emulator,
        access_key_id=session.access_key_id,
        access_key_secret=session.access_key_secret,
        security_token=session.security_token,
    )

    error = watch.error(client.get_credential, ServiceError)

    assert error.code.startswith("InvalidSecurityToken")


def test_a_disabled_source_key_from_the_emulator_shows_no_secret(
    akless_emulator: EmulatorServer, watch: Watch
) -> None:
    identity = akless_emulator.cloud.identity
    watch.plant(identity.access_key_secret)
    akless_emulator.cloud.set_access_key_status(identity.access_key_id, "Inactive")
    client = _role_client(
        akless_emulator,
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret,
    )

    error = watch.error(client.get_credential, ServiceError)

    assert error.code == "InvalidAccessKeyId.Inactive"


def test_an_oidc_token_the_emulator_refuses_is_never_shown(
    akless_emulator: EmulatorServer, tmp_path: Path, watch: Watch
) -> None:
    cloud = akless_emulator.cloud
    token = cloud.mint_oidc_token(audience="not-sts")
    watch.plant(token)
    token_file = _private(tmp_path / "token", token)
    client = Client(
        Config(
            type="oidc_role_arn",
            role_arn=cloud.identity.oidc_role_arn,
            oidc_provider_arn=cloud.identity.oidc_provider_arn,
            oidc_token_file_path=str(token_file),
            sts_endpoint=akless_emulator.endpoint,
        )
    )

    watch.error(client.get_credential, ServiceError)
    watch.see(client.provider)


def test_a_wrong_rsa_private_key_is_never_shown(
    akless_emulator: EmulatorServer, tmp_path: Path, watch: Watch
) -> None:
    cloud = akless_emulator.cloud
    public_key_id, _ = cloud.create_key_pair(cloud.identity.user_name)
    _, other_pem = cloud.create_key_pair(cloud.identity.user_name)
    watch.plant(*other_pem.splitlines()[1:-1])  # the key's body, line by line
    config = Config(
        type="rsa_key_pair",
        public_key_id=public_key_id,
        private_key_file=str(_private(tmp_path / "key.pem", other_pem)),
        sts_endpoint=akless_emulator.endpoint,
    )
    client = Client(config)

    error = watch.error(client.get_credential, ServiceError)

    assert error.code == "SignatureDoesNotMatch"
    watch.see(config, client.provider)


def test_a_hanging_sts_shows_no_source_secret(
    akless_emulator: EmulatorServer, watch: Watch
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", down="hang"))
    client = _role_client(
        akless_emulator,
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        security_token=TOKEN,
        timeout=200,
        connect_timeout=200,
    )

    watch.error(client.get_credential, TransportError)


def test_a_proxy_password_is_never_shown(akless_emulator: EmulatorServer, watch: Watch) -> None:
    client = _role_client(
        akless_emulator,
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        proxy=f"http://leakcheck:{PROXY_PASSWORD}@127.0.0.1:9",
    )

    watch.error(client.get_credential, TransportError)
    watch.see(client.provider)


# --- the metadata service ------------------------------------------------------------------------


def test_ecs_role_credentials_and_their_refresh_failures_show_no_secret(
    akless_emulator: EmulatorServer, tmp_path: Path, watch: Watch
) -> None:
    clock = FakeClock()
    provider = EcsRamRoleProvider(
        endpoint=akless_emulator.endpoint,
        environ={},
        clock=clock,
        unreachable=Unreachable(),
        dmi_path=tmp_path / "sys_vendor",
    )
    first = provider.get_credentials()
    assert first.expiration is not None
    watch.plant(first.access_key_secret, first.security_token)
    watch.see(first, provider)

    akless_emulator.cloud.faults.add(Fault(service="metadata", status=500))
    clock.now = first.expiration - 60  # must refresh, cannot: logged, the old one still served
    assert provider.get_credentials() is first
    clock.now = first.expiration + 1  # expired: the failure is raised

    watch.error(provider.get_credentials, CredentialsRefreshError)
    assert any(record.levelno == logging.WARNING for record in watch.records())


def test_an_already_expired_ecs_credential_is_refused_without_showing_it(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, watch: Watch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", akless_emulator.endpoint)
    akless_emulator.cloud.set_clock_offset(-7 * 3600)  # its credentials expired an hour ago
    session = akless_emulator.cloud.instance_credentials()
    assert session is not None
    watch.plant(session.secret, session.security_token)
    client = Client(Config(type="ecs_ram_role"))

    error = watch.error(client.get_credential, CredentialsRefreshError)

    assert "already expired" in str(error)


def _metadata_provider(tmp_path: Path, answer: Callable[[Request], Response]) -> Any:
    return EcsRamRoleProvider(
        endpoint=FAKE_METADATA,
        transport=FakeTransport(answer),
        environ={},
        unreachable=Unreachable(),
        dmi_path=tmp_path / "sys_vendor",
    )


METADATA_ANSWERS = {
    "not-json": f"AccessKeySecret={ANSWER_SECRET}; SecurityToken={ANSWER_TOKEN}",
    "not-success": json.dumps(
        {"Code": "Failed", "AccessKeySecret": ANSWER_SECRET, "SecurityToken": ANSWER_TOKEN}
    ),
    "no-key-id": json.dumps(
        {
            "Code": "Success",
            "AccessKeySecret": ANSWER_SECRET,
            "SecurityToken": ANSWER_TOKEN,
            "Expiration": in_an_hour(),
        }
    ),
    "expired": json.dumps(
        {
            "Code": "Success",
            "AccessKeyId": "STS.NLeakcheck",
            "AccessKeySecret": ANSWER_SECRET,
            "SecurityToken": ANSWER_TOKEN,
            "Expiration": "2001-01-01T00:00:00Z",
        }
    ),
}


@pytest.mark.parametrize("body", METADATA_ANSWERS.values(), ids=METADATA_ANSWERS.keys())
def test_a_bad_metadata_answer_shows_neither_its_secrets_nor_the_metadata_token(
    body: str, tmp_path: Path, watch: Watch
) -> None:
    def answer(request: Request) -> Response:
        if request.method == "PUT":
            return Response(200, {}, METADATA_TOKEN.encode(), request.url)
        if request.url.endswith("/security-credentials/"):
            return Response(200, {}, b"app-role", request.url)
        return Response(200, {}, body.encode(), request.url)

    provider = _metadata_provider(tmp_path, answer)

    watch.error(provider.get_credentials)
    watch.see(provider)


def test_a_metadata_error_page_shows_no_token(tmp_path: Path, watch: Watch) -> None:
    def answer(request: Request) -> Response:
        if request.method == "PUT":
            return Response(200, {}, METADATA_TOKEN.encode(), request.url)
        echoed = f"denied: X-aliyun-ecs-metadata-token: {METADATA_TOKEN}".encode()
        return Response(403, {}, echoed, request.url)

    provider = _metadata_provider(tmp_path, answer)

    watch.error(provider.get_credentials, ServiceError)


# --- bad STS answers (a scripted transport) -----------------------------------------------------


def _sts_answer(credentials: Any, status: int = 200) -> Callable[[Request], Response]:
    body = {
        "RequestId": "req-leakcheck",
        "AssumedRoleUser": {"Arn": f"{ROLE_ARN}/s", "AssumedRoleId": "1:s"},
        "Credentials": credentials,
        "SessionAccessKey": credentials,
    }

    def answer(request: Request) -> Response:
        return Response(status, {}, json.dumps(body).encode(), request.url)

    return answer


def _answer(raw: bytes, status: int) -> Callable[[Request], Response]:
    def answer(request: Request) -> Response:
        return Response(status, {}, raw, request.url)

    return answer


def _timeout_answer(request: Request) -> Response:
    from akless.errors import TransportTimeout

    raise TransportTimeout(f"timed out reading from {request.url}", url=request.url)


STS_ANSWERS = {
    "no-key-id": _sts_answer({"AccessKeySecret": ANSWER_SECRET, "SecurityToken": ANSWER_TOKEN}),
    "no-token": _sts_answer(
        {"AccessKeyId": "STS.N1", "AccessKeySecret": ANSWER_SECRET, "Expiration": in_an_hour()}
    ),
    "bad-expiration": _sts_answer(
        {
            "AccessKeyId": "STS.N1",
            "AccessKeySecret": ANSWER_SECRET,
            "SessionAccessKeyId": "TMPSK.N1",
            "SessionAccessKeySecret": ANSWER_SECRET,
            "SecurityToken": ANSWER_TOKEN,
            "Expiration": "tomorrow",
        }
    ),
    "expired": _sts_answer(
        {
            "AccessKeyId": "STS.N1",
            "AccessKeySecret": ANSWER_SECRET,
            "SessionAccessKeyId": "TMPSK.N1",
            "SessionAccessKeySecret": ANSWER_SECRET,
            "SecurityToken": ANSWER_TOKEN,
            "Expiration": "2001-01-01T00:00:00Z",
        }
    ),
    "credentials-not-an-object": _sts_answer([ANSWER_SECRET, ANSWER_TOKEN]),
    "signature-mismatch-echoing-the-token": _answer(
        json.dumps(
            {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation. server "
                f"string to sign is:POST&%2F&AccessKeyId%3DSTS.N1%26SecurityToken%3D{TOKEN}"
                f"%26OIDCToken%3D{OIDC_TOKEN}",
                "RequestId": "req-1",
            }
        ).encode(),
        400,
    ),
    "truncated": _answer(b'{"Credentials": {"AccessKeySecret": "' + ANSWER_SECRET.encode(), 200),
    "timeout": _timeout_answer,
}
STS_PROVIDERS = ["ram_role_arn", "oidc_role_arn", "rsa_key_pair"]


def _sts_provider(kind: str, tmp_path: Path, transport: FakeTransport) -> Any:
    common: dict[str, Any] = {"sts_endpoint": FAKE_STS, "transport": transport, "environ": {}}
    if kind == "ram_role_arn":
        source = StaticSTSProvider("STS.NLeakcheckSource", SECRET, TOKEN)
        return RamRoleArnProvider(source, role_arn=ROLE_ARN, **common)
    if kind == "oidc_role_arn":
        return OidcRoleArnProvider(
            role_arn=ROLE_ARN,
            oidc_provider_arn=OIDC_PROVIDER_ARN,
            oidc_token_file=_private(tmp_path / "token", OIDC_TOKEN + "\n"),
            **common,
        )
    return RsaKeyPairProvider(
        public_key_id="KP-leakcheck",
        private_key_file=_private(tmp_path / "key.pem", PRIVATE_KEY),
        **common,
    )


@pytest.mark.parametrize("answer", STS_ANSWERS.values(), ids=STS_ANSWERS.keys())
@pytest.mark.parametrize("kind", STS_PROVIDERS)
def test_a_bad_sts_answer_shows_no_secret_of_the_caller_or_the_answer(
    kind: str, answer: Callable[[Request], Response], tmp_path: Path, watch: Watch
) -> None:
    transport = FakeTransport(answer)
    provider = _sts_provider(kind, tmp_path, transport)

    watch.error(provider.get_credentials)
    watch.see(provider)
    for request in transport.requests:
        assert OIDC_TOKEN not in request.url  # the token travels in the body only
        assert TOKEN not in request.url


def test_an_sts_error_page_that_echoes_the_request_shows_no_oidc_token(
    tmp_path: Path, watch: Watch
) -> None:
    def echo(request: Request) -> Response:
        return Response(502, {}, b"<html>bad gateway: " + request.body + b"</html>", request.url)

    provider = _sts_provider("oidc_role_arn", tmp_path, FakeTransport(echo))

    watch.error(provider.get_credentials, ServiceError)


def test_refresh_failures_before_and_after_expiry_show_no_secret(
    tmp_path: Path, watch: Watch
) -> None:
    clock = FakeClock()
    good = _sts_answer(
        {
            "AccessKeyId": "STS.NLeakcheckAnswer",
            "AccessKeySecret": ANSWER_SECRET,
            "SecurityToken": ANSWER_TOKEN,
            "Expiration": format_timestamp(clock.now + 3600),
        }
    )
    script = {"answer": good}
    provider = RamRoleArnProvider(
        StaticSTSProvider("STS.NLeakcheckSource", SECRET, TOKEN),
        role_arn=ROLE_ARN,
        sts_endpoint=FAKE_STS,
        transport=FakeTransport(lambda request: script["answer"](request)),
        environ={},
        clock=clock,
    )
    first = provider.get_credentials()
    watch.see(first)

    script["answer"] = STS_ANSWERS["signature-mismatch-echoing-the-token"]
    clock.now += 3600 - 60  # in the mandatory window: the failure is logged, the old one served
    assert provider.get_credentials() is first
    clock.now += 120  # expired: the failure is raised
    error = watch.error(provider.get_credentials, CredentialsRefreshError)

    assert any(record.levelno == logging.WARNING for record in watch.records())
    assert error.__cause__ is not None


# --- the credentials URI ------------------------------------------------------------------------
#
# Each case below builds the provider that fails; the tests then check it twice: everything the
# error holds (strict), and, for the cases with a known defect, what is shown of it.

Case = Callable[[Path], Any]
"""Builds (in a temporary directory) a provider whose ``get_credentials`` fails."""


def uri_answering(status: int, body: str) -> Case:
    def build(tmp_path: Path) -> Any:
        uri = f"http://127.0.0.1:1/credentials?token={URI_TOKEN}"
        transport = FakeTransport(_answer(body.encode(), status))
        return CredentialsUriProvider(uri, transport=transport, environ={})

    return build


URI_CASES = [
    pytest.param(
        uri_answering(200, f"AccessKeySecret: {ANSWER_SECRET}\nSecurityToken: {ANSWER_TOKEN}"),
        id="not-json",
    ),
    pytest.param(
        uri_answering(200, json.dumps({"Code": ANSWER_SECRET, "AccessKeySecret": ANSWER_SECRET})),
        id="not-success",
    ),
    pytest.param(
        uri_answering(500, f"internal error while serving {ANSWER_SECRET} / {ANSWER_TOKEN}"),
        id="error-status",
    ),
    pytest.param(
        uri_answering(
            200,
            json.dumps({"Code": "Success", "AccessKeySecret": ANSWER_SECRET, "SecurityToken": 7}),
        ),
        id="missing-field",
    ),
    pytest.param(
        uri_answering(
            200,
            json.dumps(
                {
                    "Code": "Success",
                    "AccessKeyId": "STS.N1",
                    "AccessKeySecret": ANSWER_SECRET,
                    "SecurityToken": ANSWER_TOKEN,
                    "Expiration": "soon",
                }
            ),
        ),
        id="bad-expiration",
    ),
]


@pytest.mark.parametrize("case", URI_CASES)
def test_a_bad_credentials_uri_answer_shows_no_secret_and_no_query(
    case: Case, tmp_path: Path, watch: Watch
) -> None:
    provider = case(tmp_path)

    watch.error(provider.get_credentials)
    watch.see(provider, provider.display_uri)
    watch.assert_clean()


def test_a_credentials_uri_that_cannot_be_reached_shows_no_query(watch: Watch) -> None:
    client = Client(
        Config(
            type="credentials_uri",
            credentials_uri=f"http://127.0.0.1:9/credentials?token={URI_TOKEN}",
        )
    )

    watch.error(client.get_credential, TransportError)
    watch.see(client.provider)


# --- an external command ------------------------------------------------------------------------


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def command_running(code: str) -> Case:
    def build(tmp_path: Path) -> Any:
        # The command line itself carries a secret too: errors name the program only.
        return ExternalProcessProvider([*_python(code), "--token", TOKEN], timeout=10)

    return build


EXTERNAL_CASES = [
    pytest.param(
        command_running(f"print({ANSWER_SECRET!r}); raise SystemExit(3)"), id="prints-then-fails"
    ),
    pytest.param(
        command_running(f"print('secret=' + {ANSWER_SECRET!r})"),
        id="not-json",
    ),
    pytest.param(
        command_running(
            f"import json; print(json.dumps({{'access_key_secret': {ANSWER_SECRET!r}}}))"
        ),
        id="json-without-mode",
    ),
    pytest.param(
        command_running(
            "import json; print(json.dumps({'mode': 'StsToken', 'access_key_id': 'STS.N1', "
            f"'access_key_secret': {ANSWER_SECRET!r}}}))"
        ),
        id="sts-without-token",
    ),
    pytest.param(
        command_running(
            "import json; print(json.dumps({'mode': 'StsToken', 'access_key_id': 'STS.N1', "
            f"'access_key_secret': {ANSWER_SECRET!r}, 'sts_token': {ANSWER_TOKEN!r}, "
            "'expiration': '2001-01-01T00:00:00Z'}))"
        ),
        id="expired",
    ),
]


@pytest.mark.parametrize("case", EXTERNAL_CASES)
def test_an_external_command_that_prints_the_secret_and_fails_is_never_quoted(
    case: Case, tmp_path: Path, watch: Watch
) -> None:
    provider = case(tmp_path)

    watch.error(provider.get_credentials)
    watch.see(provider, provider.program)
    watch.assert_clean()


def test_an_external_command_in_a_cli_profile_is_never_quoted(tmp_path: Path, watch: Watch) -> None:
    command = f"{sys.executable} -c 'print({ANSWER_SECRET!r}); raise SystemExit(1)' {TOKEN}"
    config = {
        "current": "ext",
        "profiles": [{"name": "ext", "mode": "External", "process_command": command}],
    }
    path = _private(tmp_path / "config.json", json.dumps(config))
    provider = CliProfileProvider(path=path, environ={})

    watch.error(provider.get_credentials, CredentialsRefreshError)
    watch.see(provider)


# --- files that hold secrets, broken ------------------------------------------------------------


def ini_file(content: str | bytes) -> Case:
    def build(tmp_path: Path) -> Any:
        path = _private(tmp_path / "credentials.ini", content)
        return ProfileProvider(path=path, environ={})

    return build


BROKEN_INI = f"[default]\ntype = access_key\n{SECRET}\n"
INI_CASES = [
    pytest.param(
        ini_file(BROKEN_INI),
        id="line-without-equals",
    ),
    pytest.param(
        ini_file(f"[default]\naccess_key_secret = {SECRET}\naccess_key_secret = {TOKEN}\n"),
        id="duplicate-key",
    ),
    pytest.param(
        ini_file(f"access_key_secret = {SECRET}\n"),
        id="no-section",
    ),
    pytest.param(
        ini_file(
            f"[default]\ntype = sts\naccess_key_id = {KEY_ID}\naccess_key_secret = {SECRET}\n"
        ),
        id="missing-field",
    ),
    pytest.param(
        ini_file(f"[default]\ntype = access_key\nenable = {SECRET}\naccess_key_secret = {TOKEN}\n"),
        id="bad-flag",
    ),
    pytest.param(ini_file(f"[default]\naccess_key_secret = {SECRET}\x00\n"), id="binary"),
    pytest.param(
        ini_file(f"[default]\naccess_key_secret = {SECRET}\n".encode() + b"\xff\xfe"),
        id="not-utf-8",
    ),
    pytest.param(
        ini_file(
            "[default]\ntype = ram_role_arn\nsource_profile = other\n"
            f"role_arn = {ROLE_ARN}\n[other]\ntype = ram_role_arn\nsource_profile = default\n"
            f"role_arn = {ROLE_ARN}\naccess_key_secret = {SECRET}\n"
        ),
        id="role-source-cycle",
    ),
]


@pytest.mark.parametrize("case", INI_CASES)
def test_a_broken_ini_file_is_described_without_its_content(
    case: Case, tmp_path: Path, watch: Watch
) -> None:
    provider = case(tmp_path)

    watch.error(provider.get_credentials, ConfigurationError)
    watch.see(provider)
    watch.assert_clean()


def cli_config(document: str | dict[str, Any]) -> Case:
    def build(tmp_path: Path) -> Any:
        text = document if isinstance(document, str) else json.dumps(document)
        return CliProfileProvider(path=_private(tmp_path / "config.json", text), environ={})

    return build


def _one_profile(**fields: Any) -> dict[str, Any]:
    return {"current": "default", "profiles": [{"name": "default", **fields}]}


CLI_CASES = [
    pytest.param(
        cli_config('{"profiles": [{"name": "default", "access_key_secret": "' + SECRET + '",'),
        id="not-json",
    ),
    pytest.param(cli_config({"profiles": [SECRET]}), id="profile-not-an-object"),
    pytest.param(cli_config({"current": [SECRET], "profiles": []}), id="current-not-a-name"),
    pytest.param(
        cli_config(
            _one_profile(mode="AK", access_key_id=[SECRET], access_key_secret=TOKEN),
        ),
        id="field-not-a-string",
    ),
    pytest.param(
        cli_config(_one_profile(mode="StsToken", access_key_secret=SECRET)), id="missing-field"
    ),
    pytest.param(
        cli_config(_one_profile(mode="CloudSSO", access_key_secret=SECRET)),
        id="unsupported-mode",
    ),
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_a_broken_cli_config_is_described_without_its_content(
    case: Case, tmp_path: Path, watch: Watch
) -> None:
    provider = case(tmp_path)

    watch.error(provider.get_credentials, ConfigurationError)
    watch.see(provider)
    watch.assert_clean()


@pytest.mark.parametrize(
    "content",
    [
        f"-----BEGIN PUBLIC KEY-----\n{PRIVATE_KEY_BODY}\n-----END PUBLIC KEY-----\n",
        f"{PRIVATE_KEY_BODY}\n",
        PRIVATE_KEY.replace("-----END RSA PRIVATE KEY-----", ""),
    ],
    ids=["public-key", "no-pem-armour", "truncated"],
)
def test_a_wrong_private_key_file_is_described_without_its_content(
    content: str, tmp_path: Path, watch: Watch
) -> None:
    path = _private(tmp_path / "key.pem", content)
    config = Config(type="rsa_key_pair", public_key_id="KP-leakcheck", private_key_file=str(path))

    watch.error(lambda: Client(config), ConfigurationError)
    watch.see(config)


@pytest.mark.parametrize(
    "content",
    [
        OIDC_TOKEN.encode() + b"\x00\xff",
        (OIDC_TOKEN * 4000).encode(),
    ],
    ids=["binary", "too-large"],
)
def test_a_wrong_oidc_token_file_is_described_without_its_content(
    content: bytes, tmp_path: Path, watch: Watch
) -> None:
    config = Config(
        type="oidc_role_arn",
        role_arn=ROLE_ARN,
        oidc_provider_arn=OIDC_PROVIDER_ARN,
        oidc_token_file_path=str(_private(tmp_path / "token", content)),
        sts_endpoint=FAKE_STS,
    )
    client = Client(config)

    watch.error(client.get_credential, ConfigurationError)
    watch.see(config, client.provider)


# --- the chain ----------------------------------------------------------------------------------


def test_the_default_chain_shows_no_secret_when_half_an_access_key_is_set(
    monkeypatch: pytest.MonkeyPatch, watch: Watch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    chain = ChainProvider()

    watch.error(chain.get_credentials, ConfigurationError)
    watch.see(chain, *chain.providers)


def test_the_default_chain_shows_no_secret_when_a_profile_is_broken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, watch: Watch
) -> None:
    _private(Path.home() / ".alibabacloud" / "credentials.ini", f"[default]\ntype = sts\n{SECRET}")

    watch.error(Client().get_credential, ConfigurationError)
    watch.assert_clean()


def test_the_default_chain_shows_no_lone_security_token_when_nothing_applies(
    monkeypatch: pytest.MonkeyPatch, watch: Watch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)  # a token without its key pair
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER_ARN)
    client = Client()

    error = watch.error(client.get_credential, NoCredentialsFound)
    watch.see(client.provider)

    assert "ALIBABA_CLOUD_ROLE_ARN" in dict(error.steps)["oidc_role_arn"]


def test_the_default_chain_serving_credentials_shows_no_secret(
    monkeypatch: pytest.MonkeyPatch, watch: Watch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    client = Client()

    model = client.get_credential()

    assert model.access_key_secret == SECRET  # the value is there, for the SDK to sign with
    watch.see(model, client, client.provider, client.provider.get_credentials())


def test_malformed_responses_name_the_field_never_its_value(tmp_path: Path, watch: Watch) -> None:
    provider = _sts_provider("ram_role_arn", tmp_path, FakeTransport(STS_ANSWERS["no-key-id"]))

    error = watch.error(provider.get_credentials, MalformedResponse)

    assert error.field == "Credentials.AccessKeyId"
