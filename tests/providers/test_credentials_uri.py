"""The credentials-URI provider against a small local HTTP server: the official answer format,
the SSRF rules checked at construction, one error per malformed answer (naming the URI without
its query, never quoting the body), and one fetch per refresh window."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import (
    AklessError,
    ConfigurationError,
    CredentialsRefreshError,
    MalformedResponse,
    ServiceError,
    TransportError,
)
from akless.providers.credentials_uri import (
    CredentialsUriProvider,
    check_uri,
    is_loopback_host,
    masked_uri,
)
from akless.transport import FakeTransport, Request, Response, display_url

NOW = 1_700_000_000.0
PLANTED_SECRET = "planted-secret-3f9a7c"
PLANTED_TOKEN = "planted-query-token-81d2"


class FakeClock:
    """Wall time that only moves when the test says so."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Answer = tuple[int, bytes, dict[str, str]]


def official_answer(
    expiration: float = NOW + 3600, secret: str = PLANTED_SECRET, **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Code": "Success",
        "AccessKeyId": "STS.NUkey1234",
        "AccessKeySecret": secret,
        "SecurityToken": "planted-security-token",
        "Expiration": format_timestamp(expiration),
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def json_answer(body: Any, status: int = 200) -> Answer:
    return status, json.dumps(body).encode(), {"Content-Type": "application/json"}


class CredentialsServer:
    """A local credentials endpoint: ``answer`` decides each response; ``hits`` lists the
    request paths (with their queries) in order."""

    def __init__(self) -> None:
        self.answer: Callable[[], Answer] = lambda: json_answer(official_answer())
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits.append(self.path)
                status, body, headers = owner.answer()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/credentials") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def server() -> Iterator[CredentialsServer]:
    running = CredentialsServer()
    yield running
    running.close()


def provider_for(url: str, clock: FakeClock | None = None) -> CredentialsUriProvider:
    return CredentialsUriProvider(url, clock=clock or FakeClock(), environ={})


def never_called(request: Request) -> Response:
    raise AssertionError(f"no request may be sent, but one went to {request.url}")


# --- the happy path ---------------------------------------------------------------------------


def test_the_official_answer_becomes_an_sts_credential(server: CredentialsServer) -> None:
    credentials = provider_for(server.url()).get_credentials()

    assert credentials == Credentials(
        "STS.NUkey1234",
        PLANTED_SECRET,
        "planted-security-token",
        expiration=NOW + 3600,
        provider_name="credential_uri",
    )
    assert server.hits == ["/credentials"]


def test_the_provider_is_named_credential_uri_like_the_official_one() -> None:
    provider = CredentialsUriProvider("http://127.0.0.1:1/", environ={})

    assert provider.name == provider.get_provider_name() == "credential_uri"


def test_the_uri_defaults_to_alibaba_cloud_credentials_uri(server: CredentialsServer) -> None:
    environ = {"ALIBABA_CLOUD_CREDENTIALS_URI": server.url("/from-env")}

    CredentialsUriProvider(environ=environ, clock=FakeClock()).get_credentials()

    assert server.hits == ["/from-env"]


def test_without_a_uri_the_provider_cannot_be_built() -> None:
    with pytest.raises(ConfigurationError, match="ALIBABA_CLOUD_CREDENTIALS_URI"):
        CredentialsUriProvider(environ={})


def test_the_query_string_is_sent_because_it_may_carry_the_callers_token(
    server: CredentialsServer,
) -> None:
    provider_for(server.url(f"/credentials?token={PLANTED_TOKEN}")).get_credentials()

    assert server.hits == [f"/credentials?token={PLANTED_TOKEN}"]


def test_a_given_transport_is_sent_one_get_of_the_uri() -> None:
    transport = FakeTransport(
        lambda request: Response(200, {}, json.dumps(official_answer()).encode())
    )
    provider = CredentialsUriProvider(
        "https://credentials.example.com/role?x=1", transport=transport, clock=FakeClock()
    )

    provider.get_credentials()

    [request] = transport.requests
    assert (request.method, request.url) == ("GET", "https://credentials.example.com/role?x=1")


def test_an_environment_proxy_is_not_used_for_a_loopback_uri(
    server: CredentialsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy would carry the credentials off the machine (and here nothing listens on it).
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")

    CredentialsUriProvider(server.url(), clock=FakeClock()).get_credentials()

    assert server.hits == ["/credentials"]


def test_get_credentials_async_fetches_off_the_event_loop(server: CredentialsServer) -> None:
    provider = provider_for(server.url())

    credentials = asyncio.run(provider.get_credentials_async())

    assert credentials.access_key_id == "STS.NUkey1234"
    assert server.hits == ["/credentials"]


# --- SSRF rules, checked at construction ----------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://10.0.0.1/credentials",
        "http://example.com/credentials",
        "http://100.100.100.200/latest/meta-data/",
        "http://localhost.example.com/credentials",
        "http://127.0.0.1.nip.io/credentials",
        "http://[fe80::1]/credentials",
    ],
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused_before_any_connection(
    uri: str,
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        CredentialsUriProvider(uri, transport=FakeTransport(never_called), environ={})

    message = str(raised.value)
    assert "SSRF" in message
    assert "in clear" in message
    assert "https://" in message
    assert "AKLESS_ALLOW_HTTP_CREDENTIALS_URI=true" in message


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:8080/credentials",
        "http://127.1.2.3/credentials",
        "http://localhost:8080/credentials",
        "http://LOCALHOST/credentials",
        "http://[::1]:8080/credentials",
        "http://[::ffff:127.0.0.1]/credentials",
    ],
)
def test_plain_http_to_loopback_is_allowed(uri: str) -> None:
    CredentialsUriProvider(uri, transport=FakeTransport(never_called), environ={})


@pytest.mark.parametrize(
    "uri", ["https://example.com/credentials", "https://10.0.0.1:8443/credentials?token=x"]
)
def test_https_to_any_host_is_allowed_without_connecting(uri: str) -> None:
    CredentialsUriProvider(uri, transport=FakeTransport(never_called), environ={})


def test_the_opt_in_variable_allows_plain_http_to_any_host() -> None:
    environ = {"AKLESS_ALLOW_HTTP_CREDENTIALS_URI": "true"}

    CredentialsUriProvider(
        "http://10.0.0.1/credentials", transport=FakeTransport(never_called), environ=environ
    )


def test_the_opt_in_variable_is_read_from_os_environ_when_no_environ_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AKLESS_ALLOW_HTTP_CREDENTIALS_URI", "TRUE")

    CredentialsUriProvider("http://example.com/c", transport=FakeTransport(never_called))


@pytest.mark.parametrize("value", ["1", "yes", "false", ""])
def test_only_true_opts_in(value: str) -> None:
    environ = {"AKLESS_ALLOW_HTTP_CREDENTIALS_URI": value}

    with pytest.raises(ConfigurationError, match="SSRF"):
        CredentialsUriProvider("http://10.0.0.1/", environ=environ)


@pytest.mark.parametrize(
    "uri", ["ftp://127.0.0.1/credentials", "file:///etc/credentials", "127.0.0.1/credentials"]
)
def test_schemes_other_than_http_and_https_are_refused(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="http:// or https://"):
        CredentialsUriProvider(uri, environ={})


@pytest.mark.parametrize("uri", ["http://127.0.0.1:99999/", "http://[::1/"])
def test_an_invalid_url_is_refused(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid URL"):
        CredentialsUriProvider(uri, environ={})


def test_a_refusal_does_not_show_the_query_string() -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_uri(f"http://10.0.0.1/credentials?token={PLANTED_TOKEN}")

    assert PLANTED_TOKEN not in str(raised.value)
    assert "http://10.0.0.1/****" in str(raised.value)  # the path too may be a secret


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("localhost", True),
        ("localhost.", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("localhost.evil.example", False),
        ("2130706433", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# --- malformed answers ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 403, 404, 500, 503])
def test_an_answer_other_than_200_is_a_service_error_with_the_http_status(
    server: CredentialsServer, status: int
) -> None:
    server.answer = lambda: json_answer({"Code": "Failed", "Message": PLANTED_SECRET}, status)

    with pytest.raises(ServiceError) as raised:
        provider_for(server.url()).get_credentials()

    assert (raised.value.code, raised.value.status) == (f"HTTP{status}", status)
    assert raised.value.endpoint == masked_uri(server.url())
    assert masked_uri(server.url()) in str(raised.value)


def test_a_redirect_is_not_followed(server: CredentialsServer) -> None:
    def answer() -> Answer:
        if server.hits[-1] == "/moved":
            return json_answer(official_answer())
        return 302, b"", {"Location": server.url("/moved")}

    server.answer = answer

    with pytest.raises(ServiceError, match="HTTP 302"):
        provider_for(server.url()).get_credentials()

    assert server.hits == ["/credentials"]


@pytest.mark.parametrize(
    ("body", "field", "complaint"),
    [
        (b"<html>planted-secret-3f9a7c</html>", None, "not JSON"),
        (b"", None, "not JSON"),
        (b'["planted-secret-3f9a7c"]', None, "not an object"),
        (json.dumps(official_answer(AccessKeyId=None)).encode(), "AccessKeyId", "has no"),
        (json.dumps(official_answer(AccessKeySecret=None)).encode(), "AccessKeySecret", "has no"),
        (json.dumps(official_answer(SecurityToken=None)).encode(), "SecurityToken", "has no"),
        (json.dumps(official_answer(Expiration=None)).encode(), "Expiration", "has no"),
        (json.dumps(official_answer(AccessKeyId="")).encode(), "AccessKeyId", "invalid"),
        (json.dumps(official_answer(AccessKeySecret=42)).encode(), "AccessKeySecret", "invalid"),
        (json.dumps(official_answer(Expiration="tomorrow")).encode(), "Expiration", "YYYY"),
        (
            json.dumps(official_answer(Expiration="2030-01-01 00:00:00")).encode(),
            "Expiration",
            "YYYY",
        ),
    ],
)
def test_a_malformed_answer_names_the_uri_and_the_field(
    server: CredentialsServer, body: bytes, field: str | None, complaint: str
) -> None:
    server.answer = lambda: (200, body, {})

    with pytest.raises(MalformedResponse) as raised:
        provider_for(server.url()).get_credentials()

    assert raised.value.field == field
    assert raised.value.endpoint == masked_uri(server.url())
    assert complaint in str(raised.value)
    assert masked_uri(server.url()) in str(raised.value)
    if field is not None:
        assert field in str(raised.value)


@pytest.mark.parametrize("code", ["Failed", None, "", 0, "success"])
def test_a_code_other_than_success_is_a_service_error(
    server: CredentialsServer, code: object
) -> None:
    server.answer = lambda: json_answer(official_answer() | {"Code": code})

    with pytest.raises(ServiceError) as raised:
        provider_for(server.url()).get_credentials()

    assert 'Code that is not "Success"' in str(raised.value)
    assert (raised.value.code, raised.value.status) == ("NotSuccess", 200)


def test_an_expiration_in_the_past_is_rejected(server: CredentialsServer) -> None:
    server.answer = lambda: json_answer(official_answer(expiration=NOW - 60))

    with pytest.raises(CredentialsRefreshError, match="already expired"):
        provider_for(server.url()).get_credentials()


def test_a_connection_refused_names_the_uri_without_its_query() -> None:
    provider = provider_for(f"http://127.0.0.1:9/credentials?token={PLANTED_TOKEN}")

    with pytest.raises(TransportError) as raised:
        provider.get_credentials()

    assert "http://127.0.0.1:9/****" in str(raised.value)
    assert PLANTED_TOKEN not in str(raised.value)


# --- secrets never show -------------------------------------------------------------------


FAILING_BODIES: list[tuple[int, bytes]] = [
    (500, json.dumps(official_answer()).encode()),
    (200, json.dumps(official_answer(Code="Failed")).encode()),
    (200, json.dumps(official_answer(Code=PLANTED_SECRET)).encode()),
    (200, json.dumps(official_answer(Expiration="soon")).encode()),
    (200, json.dumps(official_answer(SecurityToken=None)).encode()),
    (200, f"not json {PLANTED_SECRET}".encode()),
    (200, json.dumps([PLANTED_SECRET]).encode()),
]


@pytest.mark.parametrize(("status", "body"), FAILING_BODIES)
def test_no_error_quotes_the_body_or_the_query(
    server: CredentialsServer, status: int, body: bytes
) -> None:
    server.answer = lambda: (status, body, {})
    provider = provider_for(server.url(f"/credentials?token={PLANTED_TOKEN}"))

    with pytest.raises(AklessError) as raised:
        provider.get_credentials()

    shown = f"{raised.value!s} {raised.value!r} {vars(raised.value)!r}"
    assert PLANTED_SECRET not in shown
    assert "planted-security-token" not in shown
    assert PLANTED_TOKEN not in shown
    assert "http://127.0.0.1" in str(raised.value)


def test_display_url_hides_the_query_and_user_info() -> None:
    shown = display_url(f"https://user:pass@creds.example.com:8443/v1/role?token={PLANTED_TOKEN}")

    assert shown == "https://creds.example.com:8443/v1/role?…"


def test_the_providers_repr_hides_the_query() -> None:
    provider = provider_for(f"http://127.0.0.1:1/credentials?token={PLANTED_TOKEN}")

    assert PLANTED_TOKEN not in repr(provider)
    assert provider.display_uri == "http://127.0.0.1:1/****"


# --- refresh --------------------------------------------------------------------------------


def test_the_uri_is_fetched_once_per_refresh_window(server: CredentialsServer) -> None:
    clock = FakeClock()
    server.answer = lambda: json_answer(official_answer(expiration=clock.now + 3600))
    provider = provider_for(server.url(), clock)

    for _ in range(5):
        provider.get_credentials()
    clock.advance(47 * 60)  # an hour's credential is used until 12 minutes before it expires
    provider.get_credentials()

    assert len(server.hits) == 1

    clock.advance(2 * 60)
    renewed = provider.get_credentials()
    provider.get_credentials()

    assert len(server.hits) == 2
    assert renewed.expiration == clock.now + 3600


def test_a_failed_refresh_keeps_serving_the_valid_credential(server: CredentialsServer) -> None:
    clock = FakeClock()
    provider = provider_for(server.url(), clock)
    first = provider.get_credentials()
    server.answer = lambda: json_answer({}, 500)
    clock.advance(50 * 60)

    assert provider.get_credentials() == first
    assert len(server.hits) == 2


def test_a_token_in_the_path_never_reaches_an_error() -> None:
    """``akless serve`` hands out http://127.0.0.1:PORT/<token>: the path is the secret."""
    provider = provider_for(f"http://127.0.0.1:9/{PLANTED_TOKEN}")  # nothing listens on 9

    with pytest.raises(TransportError) as raised:
        provider.get_credentials()

    assert PLANTED_TOKEN not in f"{raised.value!s} {raised.value!r} {vars(raised.value)!r}"
    assert PLANTED_TOKEN not in repr(provider)
    assert "http://127.0.0.1:9/****" in str(raised.value)
