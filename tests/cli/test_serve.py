"""``CredentialsServer`` and ``akless serve``: a loopback credentials server in the official
credentials-URI format, read by the official ``alibabacloud_credentials`` library and by akless.

The library tests run the server in a thread over a ``RamRoleArnProvider`` against the emulator;
the CLI tests run ``akless serve`` as a real subprocess and stop it with a signal.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from alibabacloud_credentials.client import Client as OfficialClient
from alibabacloud_credentials.models import Config as OfficialConfig

from akless._time import parse_timestamp
from akless.credentials import Credentials
from akless.credentials_server import CredentialsServer
from akless.emulator import EmulatorServer, Fault
from akless.errors import ConfigurationError
from akless.providers import CredentialsUriProvider, RamRoleArnProvider, StaticAKProvider

FIELDS = {"Code", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}


# -- helpers -----------------------------------------------------------------------------------


class Answer:
    """One response: status, headers and the JSON body."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.raw = response.read()
        self.json: dict[str, Any] = json.loads(self.raw)


def request(
    server: CredentialsServer,
    path: str | None = None,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """One request on a new connection (``path`` defaults to the token path)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(method, path or _path(server.url), headers=dict(headers or {}))
        return Answer(connection.getresponse())
    finally:
        connection.close()


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def assume_role_calls(emulator: EmulatorServer) -> int:
    return sum(call.action == "AssumeRole" for call in emulator.cloud.store.calls())


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Flaky:
    """A provider that serves ``first`` once, then whatever ``then`` says."""

    name = "flaky"

    def __init__(self, first: Credentials, then: Credentials | Exception) -> None:
        self.calls = 0
        self._first, self._then = first, then

    def get_credentials(self) -> Credentials:
        self.calls += 1
        if self.calls == 1:
            return self._first
        if isinstance(self._then, Exception):
            raise self._then
        return self._then


STS_CREDENTIAL = Credentials(
    "STS.flaky0000000000",
    "flaky-secret-value",
    "flaky-security-token",
    expiration=time.time() + 3600,
    provider_name="flaky",
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def role_provider(akless_emulator: EmulatorServer, clock: FakeClock) -> RamRoleArnProvider:
    """The emulator's default role, assumed with its default user's AccessKey."""
    identity = akless_emulator.cloud.identity
    return RamRoleArnProvider(
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret,
        role_arn=identity.role_arn,
        sts_endpoint=akless_emulator.endpoint,
        environ={},
        clock=clock,
    )


@pytest.fixture
def server(role_provider: RamRoleArnProvider) -> Iterator[CredentialsServer]:
    with CredentialsServer(role_provider) as running:
        yield running


# -- what it serves ----------------------------------------------------------------------------


def test_serves_exactly_the_five_fields_of_the_official_format(
    server: CredentialsServer, role_provider: RamRoleArnProvider
) -> None:
    answer = request(server)
    assert answer.status == 200
    assert set(answer.json) == FIELDS
    assert answer.json["Code"] == "Success"
    current = role_provider.get_credentials()
    assert answer.json["AccessKeyId"] == current.access_key_id
    assert answer.json["AccessKeyId"].startswith("STS.")
    assert answer.json["AccessKeySecret"] == current.access_key_secret
    assert answer.json["SecurityToken"] == current.security_token
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", answer.json["Expiration"])
    assert parse_timestamp(answer.json["Expiration"]) == int(current.expiration or 0)
    assert parse_timestamp(answer.json["Expiration"]) > time.time() + 600
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"


def test_url_is_loopback_with_an_unguessable_token_that_repr_hides(
    server: CredentialsServer,
) -> None:
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/([A-Za-z0-9_-]+)", server.url)
    assert match is not None
    assert int(match[1]) == server.port
    assert len(match[2]) >= 43  # secrets.token_urlsafe(32)
    assert match[2] not in repr(server)
    with CredentialsServer(server.provider) as other:
        assert _path(other.url) != _path(server.url)


def test_hundred_reads_make_no_upstream_call(
    server: CredentialsServer, akless_emulator: EmulatorServer
) -> None:
    assert assume_role_calls(akless_emulator) == 1  # the first credential, fetched at start
    seen: set[str] = set()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        for _ in range(100):  # one kept-alive connection, as SDK clients read it
            connection.request("GET", _path(server.url))
            response = connection.getresponse()
            assert response.status == 200
            seen.add(json.loads(response.read())["AccessKeyId"])
    finally:
        connection.close()
    assert len(seen) == 1
    assert assume_role_calls(akless_emulator) == 1


def test_concurrent_readers_share_one_credential(
    server: CredentialsServer, akless_emulator: EmulatorServer
) -> None:
    statuses: list[int] = []

    def read() -> None:
        statuses.extend(request(server).status for _ in range(10))

    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert statuses == [200] * 80
    assert assume_role_calls(akless_emulator) == 1


# -- who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/", id="root"),
        pytest.param("/x", id="other"),
        pytest.param("{token}x", id="token-plus-one"),
        pytest.param("{token_prefix}", id="token-prefix"),
        pytest.param("/{token_upper}", id="other-case"),
        pytest.param("{token}/", id="trailing-slash"),
    ],
)
def test_any_other_path_is_404(server: CredentialsServer, path: str) -> None:
    token_path = _path(server.url)
    wrong = path.format(
        token=token_path, token_prefix=token_path[:-1], token_upper=token_path[1:].upper()
    )
    answer = request(server, wrong)
    assert answer.status == 404
    assert set(answer.json) == {"Code", "Message"}
    assert b"STS." not in answer.raw


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Forwarded-For": "203.0.113.9"}, id="x-forwarded-for"),
        pytest.param({"X-Forwarded-For": "127.0.0.1"}, id="x-forwarded-for-loopback"),
        pytest.param({"Forwarded": "for=203.0.113.9"}, id="forwarded"),
    ],
)
def test_requests_relayed_by_a_proxy_are_403(
    server: CredentialsServer, headers: dict[str, str]
) -> None:
    answer = request(server, headers=headers)
    assert answer.status == 403
    assert answer.json["Code"] == "Forbidden"
    assert b"STS." not in answer.raw


@pytest.mark.parametrize(
    ("host", "status"),
    [
        pytest.param("evil.example", 403, id="foreign-name"),
        pytest.param("evil.example:{port}", 403, id="rebound-name-with-port"),
        pytest.param("127.0.0.1:1", 403, id="other-port"),
        pytest.param("10.0.0.1:{port}", 403, id="private-address"),
        pytest.param("127.0.0.1:{port}", 200, id="address-and-port"),
        pytest.param("localhost:{port}", 200, id="localhost-and-port"),
        pytest.param("127.0.0.1", 200, id="no-port-as-the-official-client-sends"),
    ],
)
def test_host_header_must_name_this_loopback_server(
    server: CredentialsServer, host: str, status: int
) -> None:
    answer = request(server, headers={"Host": host.format(port=server.port)})
    assert answer.status == status


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"])
def test_any_method_but_get_is_405(server: CredentialsServer, method: str) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(method, _path(server.url), body=b"{}" if method != "HEAD" else None)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 405
    assert response.getheader("Allow") == "GET"
    assert response.getheader("Connection") == "close"
    if method != "HEAD":
        assert json.loads(body)["Code"] == "MethodNotAllowed"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_binds_loopback_only(host: str) -> None:
    with pytest.raises(ConfigurationError, match="loopback only"):
        CredentialsServer(Flaky(STS_CREDENTIAL, STS_CREDENTIAL), host=host)


def test_binds_ipv6_loopback() -> None:
    try:
        server = CredentialsServer(Flaky(STS_CREDENTIAL, STS_CREDENTIAL), host="::1")
    except ConfigurationError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    with server:
        assert server.url.startswith(f"http://[::1]:{server.port}/")
        assert request(server).status == 200


def test_a_weak_token_of_ones_own_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least 22"):
        CredentialsServer(Flaky(STS_CREDENTIAL, STS_CREDENTIAL), token="short")


def test_after_shutdown_kept_alive_connections_get_nothing(
    role_provider: RamRoleArnProvider,
) -> None:
    server = CredentialsServer(role_provider).start()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("GET", _path(server.url))
        assert connection.getresponse().read()
        server.shutdown()

        def read_again() -> bytes:
            connection.request("GET", _path(server.url))
            return connection.getresponse().read()

        with pytest.raises((ConnectionError, http.client.HTTPException)):
            read_again()
    finally:
        connection.close()
        server.shutdown()


# -- never a long-term key, never a secret in an error ----------------------------------------


def test_refuses_to_start_on_a_long_term_key() -> None:
    provider = StaticAKProvider("LTAI5tLongTermKey000000", "long-term-secret")
    with pytest.raises(ConfigurationError, match="--role-arn") as refused:
        CredentialsServer(provider)
    assert "long-term-secret" not in str(refused.value)


def test_a_long_term_key_later_is_500(caplog: pytest.LogCaptureFixture) -> None:
    long_term = Credentials("LTAI5tLongTermKey000000", "long-term-secret")
    with CredentialsServer(Flaky(STS_CREDENTIAL, long_term)) as server:
        answer = request(server)
    assert answer.status == 500
    assert answer.json["Code"] == "LongTermCredential"
    assert b"long-term-secret" not in answer.raw
    assert b"LTAI" not in answer.raw


def test_upstream_failure_after_expiry_is_503_without_secrets(
    server: CredentialsServer,
    akless_emulator: EmulatorServer,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = request(server).json
    akless_emulator.cloud.faults.add(Fault(service="sts", status=503))
    clock.now += 2 * 3600  # past the credential's expiry: it must be renewed, and STS is down
    with caplog.at_level(logging.DEBUG, logger="akless"):
        answers = [request(server) for _ in range(3)]
    assert [answer.status for answer in answers] == [503] * 3
    assert set(answers[0].json) == {"Code", "Message"}
    identity = akless_emulator.cloud.identity
    for answer in answers:
        for secret in (served["AccessKeySecret"], served["SecurityToken"], served["AccessKeyId"]):
            assert secret.encode() not in answer.raw
        assert identity.access_key_secret.encode() not in answer.raw
        assert b"Traceback" not in answer.raw
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert any("no credential to serve" in record.getMessage() for record in warnings)


def test_a_provider_raising_anything_is_503_and_its_message_stays_private(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = Flaky(STS_CREDENTIAL, RuntimeError("boom with secret-in-message"))
    with caplog.at_level(logging.DEBUG, logger="akless"), CredentialsServer(failing) as server:
        answer = request(server)
    assert answer.status == 503
    assert answer.json["Code"] == "CredentialsUnavailable"
    assert b"secret-in-message" not in answer.raw
    assert all("secret-in-message" not in record.getMessage() for record in caplog.records)


def test_the_log_never_holds_the_token(
    server: CredentialsServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = _path(server.url)[1:]
    with caplog.at_level(logging.DEBUG, logger="akless"):
        request(server)
        request(server, "/nope")
        request(server, method="POST")
        with socket.create_connection((server.host, server.port), timeout=10) as raw:
            raw.sendall(f"GET /{token} HTTP/9.9 extra\r\n\r\n".encode())  # malformed
            assert b"BadRequest" in raw.recv(4096)
    messages = [record.getMessage() for record in caplog.records]
    assert messages  # the access log is on at DEBUG...
    assert all(token not in message for message in messages)  # ...without the path


# -- the official library and akless read it ---------------------------------------------------


def test_the_official_library_reads_it(
    server: CredentialsServer, akless_emulator: EmulatorServer
) -> None:
    official = OfficialClient(OfficialConfig(type="credentials_uri", credentials_uri=server.url))
    model = official.get_credential()
    served = request(server).json
    assert model.access_key_id == served["AccessKeyId"]
    assert model.access_key_secret == served["AccessKeySecret"]
    assert model.security_token == served["SecurityToken"]
    assert model.provider_name == "credential_uri"
    assert assume_role_calls(akless_emulator) == 1


def test_akless_reads_it(server: CredentialsServer) -> None:
    credentials = CredentialsUriProvider(server.url, environ={}).get_credentials()
    served = request(server).json
    assert credentials.access_key_id == served["AccessKeyId"]
    assert credentials.access_key_secret == served["AccessKeySecret"]
    assert credentials.security_token == served["SecurityToken"]
    assert credentials.expiration == parse_timestamp(served["Expiration"])


# -- akless serve, a real process --------------------------------------------------------------

LINE = re.compile(r"ALIBABA_CLOUD_CREDENTIALS_URI=(http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{43})")


def serve_env(emulator: EmulatorServer, **extra: str) -> dict[str, str]:
    """The test's pinned environment, STS at the emulator, the user's AccessKey in variables."""
    identity = emulator.cloud.identity
    return {
        **os.environ,
        "ALIBABA_CLOUD_STS_ENDPOINT": emulator.endpoint,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": identity.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": identity.access_key_secret,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start(*args: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "akless.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
    )


def first_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"akless serve printed nothing within {timeout} s")


def fetch(url: str) -> dict[str, Any]:
    host, port = url.split("/")[2].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", _path(url))
        response = connection.getresponse()
        assert response.status == 200
        body: dict[str, Any] = json.loads(response.read())
        return body
    finally:
        connection.close()


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)


@pytest.mark.parametrize(
    ("stop_signal", "output"),
    [(signal.SIGTERM, "text"), (signal.SIGINT, "json")],
    ids=["sigterm-text", "sigint-json"],
)
def test_cli_prints_the_uri_once_serves_and_stops_on_a_signal(
    akless_emulator: EmulatorServer, stop_signal: signal.Signals, output: str
) -> None:
    identity = akless_emulator.cloud.identity
    process = start(
        "serve", "--port", "0", "--role-arn", identity.role_arn, "--output", output,
        env=serve_env(akless_emulator),
    )  # fmt: skip
    try:
        line = first_line(process)
        if output == "json":
            announced = json.loads(line)
            assert set(announced) == {"credentials_uri", "expiration"}
            url = announced["credentials_uri"]
            assert LINE.fullmatch(f"ALIBABA_CLOUD_CREDENTIALS_URI={url}")
        else:
            match = LINE.fullmatch(line.rstrip("\n"))
            assert match is not None, line
            url = match[1]
        served = fetch(url)
        assert set(served) == FIELDS
        if output == "json":
            assert announced["expiration"] == served["Expiration"]
        assert fetch(url)["AccessKeyId"] == served["AccessKeyId"]
        assert assume_role_calls(akless_emulator) == 1
        process.send_signal(stop_signal)
        rest, err = process.communicate(timeout=10)
    finally:
        stop(process)
    assert process.returncode == 0
    assert rest == ""  # the line is printed once, and nothing else
    assert "Traceback" not in err
    for secret in (
        served["AccessKeySecret"],
        served["SecurityToken"],
        identity.access_key_secret,
        _path(url)[1:],  # the token: on stdout once, never on stderr
    ):
        assert secret not in err
        assert secret not in line.replace(_path(url)[1:], "")


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        pytest.param("long-term", 2, "long-term AccessKey", id="long-term-key-no-role"),
        pytest.param("profile", 2, "no profile named 'missing'", id="unknown-profile"),
        pytest.param("refused-role", 3, "AssumeRole", id="sts-refuses-the-role"),
    ],
)
def test_cli_failures_are_one_line_and_an_exit_code(
    akless_emulator: EmulatorServer, case: str, code: int, message: str
) -> None:
    cloud = akless_emulator.cloud
    args = {
        "long-term": ["serve"],
        "profile": ["serve", "--profile", "missing"],
        # The instance role trusts only the ECS service, not the user.
        "refused-role": ["serve", "--role-arn", cloud.identity.instance_role_arn],
    }[case]
    process = start(*args, env=serve_env(akless_emulator))
    try:
        out, err = process.communicate(timeout=20)
    finally:
        stop(process)
    assert process.returncode == code, err
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("akless: ")
    assert message in err
    assert "Traceback" not in err
    assert cloud.identity.access_key_secret not in err
