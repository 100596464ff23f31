"""``HttpTransport`` against tiny servers on loopback, and the pure helpers around it.

Each test starts its own server on ``127.0.0.1:0``: an ``http.server`` that records what it was
sent (and counts TCP connections), or a raw socket that misbehaves on purpose (never answers,
trickles bytes, hangs up). Short timeouts keep the whole file fast.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import os
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

import pytest

from akless.errors import TransportError, TransportTimeout
from akless.transport import (
    FakeTransport,
    HttpTransport,
    Request,
    Response,
    Timeout,
    display_url,
    proxy_for,
)

FAST = Timeout(connect=0.5, read=0.5)
"""Short enough to keep the timeout tests quick, long enough for a loaded loopback."""

# --- servers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the server received it (header names lowercase)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    header_names: tuple[str, ...] = ()


Answer = tuple[int, dict[str, str], bytes]


def hello(seen: Seen) -> Answer:
    return 200, {"Content-Type": "text/plain"}, b"hello"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the answer says otherwise
    server: _HttpServer

    def _answer(self) -> None:
        owner = self.server.owner
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        pairs = self.headers.items()
        seen = Seen(
            self.command,
            self.path,
            {name.lower(): value for name, value in pairs},
            body,
            tuple(name.lower() for name, _ in pairs),
        )
        owner.requests.append(seen)
        status, headers, payload = owner.answer(seen)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        if owner.drop_after_answer:
            self.close_connection = True  # without saying so: the client keeps it for reuse

    do_GET = do_POST = do_PUT = do_CONNECT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread

    def __init__(self, owner: LocalServer, tls: ssl.SSLContext | None) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        self.owner.connections.append(connection)
        return connection, address


class LocalServer:
    """An HTTP/1.1 server on loopback that records requests and counts TCP connections."""

    def __init__(
        self,
        answer: Callable[[Seen], Answer] = hello,
        *,
        drop_after_answer: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.answer = answer
        self.drop_after_answer = drop_after_answer
        self.requests: list[Seen] = []
        self.connections: list[socket.socket] = []
        self._httpd = _HttpServer(self, tls)
        self.port = self._httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}
        )

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._thread.join()
        for connection in self.connections:  # wake handlers waiting on kept connections
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()


Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """Accepts TCP connections on loopback and hands each to ``behave(connection, stopping)``."""

    def __init__(self, behave: Behaviour) -> None:
        self._behave = behave
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.stopping = threading.Event()
        self.accepted = 0
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop)

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            thread = threading.Thread(target=self._serve, args=(connection,))
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            self._behave(connection, self.stopping)

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._acceptor.join()
        for thread in self._threads:
            thread.join()
        self._listener.close()


def never_answer(connection: socket.socket, stopping: threading.Event) -> None:
    connection.recv(65536)
    stopping.wait()


def trickle(prefix: bytes) -> Behaviour:
    """Send ``prefix`` at once, then one byte every 0.2 s for as long as the client listens."""

    def behave(connection: socket.socket, stopping: threading.Event) -> None:
        connection.recv(65536)
        connection.sendall(prefix)
        while not stopping.wait(0.2):
            try:
                connection.sendall(b"x")
            except OSError:
                return

    return behave


def hang_up(connection: socket.socket, stopping: threading.Event) -> None:
    connection.recv(65536)


@pytest.fixture
def transport() -> Iterator[HttpTransport]:
    """A transport with no proxy settings, closed after the test."""
    client = HttpTransport(environ={})
    yield client
    client.close()


def get(url: str, **headers: str) -> Request:
    return Request("GET", url, headers, timeout=FAST)


# --- round trips ----------------------------------------------------------------------------


def test_get_round_trip_sends_path_query_and_headers(transport: HttpTransport) -> None:
    with LocalServer() as server:
        response = transport.send(get(f"{server.url}/a/b?x=1&y=2", **{"X-Custom": "yes"}))

    assert response.status == 200
    assert response.body == b"hello"
    assert response.text() == "hello"
    assert response.url == f"{server.url}/a/b?x=1&y=2"
    (seen,) = server.requests
    assert (seen.method, seen.target) == ("GET", "/a/b?x=1&y=2")
    assert seen.headers["x-custom"] == "yes"
    assert seen.headers["user-agent"].startswith("akless/")


def test_post_round_trip_sends_the_body_as_is(transport: HttpTransport) -> None:
    def echo(seen: Seen) -> Answer:
        return 201, {"Content-Type": "application/octet-stream"}, seen.body[::-1]

    with LocalServer(echo) as server:
        request = Request(
            "POST", f"{server.url}/", {"Content-Type": "text/plain"}, b"a=1&b=2", FAST
        )
        response = transport.send(request)

    assert (response.status, response.body) == (201, b"2=b&1=a")
    (seen,) = server.requests
    assert (seen.method, seen.body) == ("POST", b"a=1&b=2")
    assert seen.headers["content-length"] == "7"


def test_response_header_names_are_lowercase_and_looked_up_in_any_case(
    transport: HttpTransport,
) -> None:
    def answer(seen: Seen) -> Answer:
        return 200, {"X-Acs-Request-Id": "R-1", "Content-Type": "text/plain"}, b""

    with LocalServer(answer) as server:
        response = transport.send(get(server.url))

    assert response.headers["x-acs-request-id"] == "R-1"
    assert "X-Acs-Request-Id" not in response.headers
    assert response.header("X-ACS-REQUEST-ID") == "R-1"
    assert response.header("missing") is None


def test_a_caller_supplied_user_agent_replaces_the_default(transport: HttpTransport) -> None:
    with LocalServer() as server:
        transport.send(get(server.url, **{"user-agent": "mine/1.0"}))

    (seen,) = server.requests
    assert seen.headers["user-agent"] == "mine/1.0"
    assert seen.header_names.count("user-agent") == 1


def test_error_statuses_are_answers_not_exceptions(transport: HttpTransport) -> None:
    with LocalServer(lambda seen: (503, {}, b"busy")) as server:
        response = transport.send(get(server.url))

    assert (response.status, response.body) == (503, b"busy")


# --- failures -------------------------------------------------------------------------------


def test_a_server_that_never_answers_times_out_naming_the_url_and_what_to_do(
    transport: HttpTransport,
) -> None:
    with RawServer(never_answer) as server:
        started = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            transport.send(get(f"{server.url}/slow?secret=1"))
        elapsed = time.monotonic() - started

    assert 0.4 < elapsed < 2.0
    assert str(caught.value) == (
        f"timed out reading from {server.url}/slow?…: the service is slow or unreachable; "
        "try again, or check the endpoint"
    )
    assert "secret" not in str(caught.value)
    assert caught.value.url == f"{server.url}/slow?…"


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", id="body"),
        pytest.param(b"HTTP/1.1 200 OK\r\nX-Slow: ", id="headers"),
    ],
)
def test_a_trickling_server_is_cut_off_by_the_overall_deadline(
    transport: HttpTransport, prefix: bytes
) -> None:
    # Every byte arrives well within the read timeout; only the deadline (connect + read) stops it.
    with RawServer(trickle(prefix)) as server:
        started = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            transport.send(get(server.url))
        elapsed = time.monotonic() - started

    assert elapsed < FAST.connect + FAST.read + 0.5
    assert server.url in str(caught.value)


def test_connecting_to_a_full_listen_queue_times_out_naming_the_url(
    transport: HttpTransport,
) -> None:
    # A listener that never accepts, with its queue filled, drops new SYNs: connect() hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers: list[socket.socket] = []
        try:
            for _ in range(8):
                filler = socket.socket()
                fillers.append(filler)
                filler.settimeout(0.2)
                try:
                    filler.connect(address)
                except TimeoutError:
                    break
            else:
                pytest.skip("this kernel accepts connections beyond the listen backlog")
            url = f"http://127.0.0.1:{address[1]}/"
            started = time.monotonic()
            with pytest.raises(TransportTimeout, match="timed out connecting to") as caught:
                transport.send(get(url))
            elapsed = time.monotonic() - started
        finally:
            for filler in fillers:
                filler.close()

    assert 0.4 < elapsed < 1.5
    assert url in str(caught.value)


def test_connection_refused_says_so_and_names_the_url(transport: HttpTransport) -> None:
    with socket.socket() as placeholder:  # a port that is certainly free
        placeholder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}/x"

    with pytest.raises(TransportError) as caught:
        transport.send(get(url))

    assert not isinstance(caught.value, TransportTimeout)
    assert "refused" in str(caught.value)
    assert url in str(caught.value)
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_a_server_that_hangs_up_without_answering_is_an_error(transport: HttpTransport) -> None:
    with (
        RawServer(hang_up) as server,
        pytest.raises(TransportError, match="closed the connection without answering"),
    ):
        transport.send(get(server.url))

    assert server.accepted == 1  # a fresh connection that fails is not retried


def test_an_answer_larger_than_the_cap_is_refused() -> None:
    transport = HttpTransport(environ={}, max_response_bytes=100)
    with LocalServer(lambda seen: (200, {}, b"x" * 1000)) as server:
        with pytest.raises(TransportError, match="more than 100 bytes") as caught:
            transport.send(get(server.url))
        transport.close()

    assert caught.value.url == server.url


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/file", "file:///etc/passwd", "http:///no-host", "127.0.0.1:8080/path"],
)
def test_only_http_and_https_urls_with_a_host_are_sent(transport: HttpTransport, url: str) -> None:
    with pytest.raises(TransportError, match="only http:// and https://"):
        transport.send(get(url))


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/", "http://127.0.0.1:port/"])
def test_an_invalid_port_is_a_transport_error(transport: HttpTransport, url: str) -> None:
    with pytest.raises(TransportError, match="invalid port"):
        transport.send(get(url))


# --- connection reuse -----------------------------------------------------------------------


def test_requests_to_one_origin_reuse_one_connection(transport: HttpTransport) -> None:
    with LocalServer() as server:
        first = transport.send(get(f"{server.url}/one"))
        second = transport.send(get(f"{server.url}/two"))

    assert (first.status, second.status) == (200, 200)
    assert [seen.target for seen in server.requests] == ["/one", "/two"]
    assert len(server.connections) == 1


def test_a_connection_the_server_says_it_will_close_is_not_reused(
    transport: HttpTransport,
) -> None:
    with LocalServer(lambda seen: (200, {"Connection": "close"}, b"bye")) as server:
        transport.send(get(server.url))
        transport.send(get(server.url))

    assert len(server.connections) == 2


def test_a_kept_connection_the_server_closed_is_replaced_transparently(
    transport: HttpTransport,
) -> None:
    with LocalServer(drop_after_answer=True) as server:
        first = transport.send(get(f"{server.url}/one"))
        second = transport.send(get(f"{server.url}/two"))

    assert (first.status, second.status) == (200, 200)
    assert [seen.target for seen in server.requests] == ["/one", "/two"]
    assert len(server.connections) == 2


def test_close_drops_idle_connections(transport: HttpTransport) -> None:
    with LocalServer() as server:
        transport.send(get(server.url))
        transport.close()
        transport.send(get(server.url))

    assert len(server.connections) == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connection(transport: HttpTransport) -> None:
    with LocalServer() as server:
        transport.send(get(server.url))
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():  # Python 3.12+ warns about forking with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: report the status it got, then leave without cleanup
            status = 0
            try:
                status = transport.send(get(server.url)).status
            finally:
                os.write(write_end, str(status).encode())
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reader:
            child_status = reader.read()
        os.waitpid(pid, 0)
        transport.send(get(server.url))  # the parent still reuses its own

    assert child_status == b"200"
    assert len(server.connections) == 2
    assert len(server.requests) == 3


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM file paths."""
    pytest.importorskip("cryptography")
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "akless test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def server_tls(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def test_an_https_round_trip_trusts_the_given_ssl_context_and_reuses_the_connection(
    certificate: tuple[str, str],
) -> None:
    trusting = ssl.create_default_context(cafile=certificate[0])
    transport = HttpTransport(environ={}, ssl_context=trusting)

    with LocalServer(tls=server_tls(certificate)) as server:
        first = transport.send(get(f"{server.url}/one"))
        second = transport.send(get(f"{server.url}/two"))
        transport.close()

    assert (first.body, second.body) == (b"hello", b"hello")
    assert len(server.connections) == 1


def test_an_untrusted_certificate_is_a_tls_failure_naming_the_url(
    certificate: tuple[str, str], transport: HttpTransport
) -> None:
    with (
        LocalServer(tls=server_tls(certificate)) as server,
        pytest.raises(TransportError, match="TLS failure connecting to") as caught,
    ):
        transport.send(get(f"{server.url}/x"))

    assert f"{server.url}/x" in str(caught.value)
    assert isinstance(caught.value.__cause__, ssl.SSLError)


# --- proxies --------------------------------------------------------------------------------


def test_a_plain_http_request_goes_to_the_environment_proxy_with_the_absolute_url() -> None:
    with LocalServer(lambda seen: (200, {}, b"via proxy")) as proxy:
        transport = HttpTransport(environ={"HTTP_PROXY": proxy.url})
        response = transport.send(get("http://origin.example:8080/path?q=1"))
        transport.close()

    assert response.body == b"via proxy"
    (seen,) = proxy.requests
    assert seen.target == "http://origin.example:8080/path?q=1"
    assert seen.headers["host"] == "origin.example:8080"
    assert "proxy-authorization" not in seen.headers


def test_lowercase_proxy_variables_are_honoured_too() -> None:
    with LocalServer() as proxy:
        transport = HttpTransport(environ={"http_proxy": proxy.url})
        transport.send(get("http://origin.example/"))
        transport.close()

    assert proxy.requests[0].target == "http://origin.example/"


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "127.0.0.0/8", "other.example, 127.0.0.1"])
def test_no_proxy_sends_matching_hosts_directly(no_proxy: str) -> None:
    with LocalServer() as proxy, LocalServer() as origin:
        transport = HttpTransport(environ={"HTTP_PROXY": proxy.url, "NO_PROXY": no_proxy})
        transport.send(get(f"{origin.url}/direct"))
        transport.close()

    assert proxy.requests == []
    assert [seen.target for seen in origin.requests] == ["/direct"]


def test_proxy_user_info_becomes_a_basic_proxy_authorization_header() -> None:
    with LocalServer() as proxy:
        proxy_url = f"http://alice:p%40ss@127.0.0.1:{proxy.port}"
        transport = HttpTransport(environ={"HTTP_PROXY": proxy_url})
        transport.send(get("http://origin.example/"))
        transport.close()

    expected = base64.b64encode(b"alice:p@ss").decode()
    assert proxy.requests[0].headers["proxy-authorization"] == f"Basic {expected}"


def test_a_proxy_without_a_scheme_is_plain_http_and_keeps_its_credentials() -> None:
    with LocalServer() as proxy:
        transport = HttpTransport(environ={"HTTP_PROXY": f"bob:pw@127.0.0.1:{proxy.port}"})
        transport.send(get("http://origin.example/"))
        transport.close()

    expected = base64.b64encode(b"bob:pw").decode()
    assert proxy.requests[0].headers["proxy-authorization"] == f"Basic {expected}"


def test_an_https_request_through_a_proxy_opens_a_tunnel_with_the_proxy_credentials() -> None:
    with LocalServer(lambda seen: (407, {}, b"")) as proxy:
        proxy_url = f"http://alice:secret@127.0.0.1:{proxy.port}"
        transport = HttpTransport(environ={"HTTPS_PROXY": proxy_url})
        with pytest.raises(TransportError, match="407") as caught:
            transport.send(get("https://origin.example/"))

    (seen,) = proxy.requests
    assert (seen.method, seen.target) == ("CONNECT", "origin.example:443")
    assert seen.headers["proxy-authorization"].startswith("Basic ")
    assert "secret" not in str(caught.value)


def test_an_https_request_through_a_proxy_still_speaks_tls_to_the_origin() -> None:
    first_bytes: list[bytes] = []

    def tunnel(connection: socket.socket, stopping: threading.Event) -> None:
        connection.recv(65536)  # the CONNECT request
        connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        first_bytes.append(connection.recv(5))

    with RawServer(tunnel) as proxy:
        transport = HttpTransport(environ={"HTTPS_PROXY": proxy.url})
        with pytest.raises(TransportError):
            transport.send(get("https://origin.example/secret-path"))

    assert first_bytes[0][:1] == b"\x16"  # a TLS handshake record, not "GET /secret-path"


def test_an_explicit_proxy_beats_the_environment() -> None:
    with LocalServer() as environment_proxy, LocalServer() as explicit_proxy:
        transport = HttpTransport(
            proxy=explicit_proxy.url, environ={"HTTP_PROXY": environment_proxy.url}
        )
        transport.send(get("http://origin.example/"))
        transport.close()

    assert environment_proxy.requests == []
    assert explicit_proxy.requests[0].target == "http://origin.example/"


def test_proxy_variables_are_read_from_os_environ_at_send_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = HttpTransport()  # created before the variable is set
    with LocalServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        transport.send(get("http://origin.example/"))
        transport.close()

    assert len(proxy.requests) == 1


@pytest.mark.parametrize(
    ("url", "no_proxy", "bypassed"),
    [
        ("http://api.example.com/", "api.example.com", True),
        ("http://api.example.com/", "example.com", True),
        ("http://api.example.com/", ".example.com", True),
        ("http://api.example.com/", "EXAMPLE.COM", True),
        ("http://api.example.com:8080/", "example.com:8080", True),
        ("http://notexample.com/", "example.com", False),
        ("http://example.com.evil/", "example.com", False),
        ("http://api.example.com/", "*", True),
        ("http://10.1.2.3/", "10.0.0.0/8", True),
        ("http://11.1.2.3/", "10.0.0.0/8", False),
        ("http://api.example.com/", "10.0.0.0/8", False),
        ("http://api.example.com/", "", False),
        ("http://api.example.com/", " , ,other.com", False),
    ],
)
def test_no_proxy_matching_rules(url: str, no_proxy: str, bypassed: bool) -> None:
    environ = {"HTTP_PROXY": "http://proxy.internal:3128", "NO_PROXY": no_proxy}

    chosen = proxy_for(url, environ=environ)

    assert chosen == (None if bypassed else "http://proxy.internal:3128")


def test_each_scheme_uses_its_own_proxy_variable() -> None:
    environ = {"HTTP_PROXY": "http://plain:1", "HTTPS_PROXY": "http://secure:2"}

    assert proxy_for("http://a.example/", environ=environ) == "http://plain:1"
    assert proxy_for("https://a.example/", environ=environ) == "http://secure:2"
    assert proxy_for("https://a.example/", environ={"HTTP_PROXY": "http://plain:1"}) is None


def test_lowercase_proxy_variables_win_over_uppercase() -> None:
    environ = {"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2"}

    assert proxy_for("http://a.example/", environ=environ) == "http://lower:1"


def test_an_explicit_proxy_applies_without_any_environment() -> None:
    assert proxy_for("https://a.example/", proxy="http://p:3", environ={}) == "http://p:3"


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pass@host.example:8080/p?token=abc#frag", "http://host.example:8080/p?…"),
        ("https://sts.aliyuncs.com/", "https://sts.aliyuncs.com/"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://127.0.0.1:99999/x?k=v", "http://127.0.0.1:99999/x?…"),
    ],
)
def test_display_url_strips_user_info_query_and_fragment(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_fake_transport_records_requests_and_returns_the_handler_answer() -> None:
    def handler(request: Request) -> Response:
        return Response(200, {"content-type": "text/plain"}, request.url.encode())

    fake = FakeTransport(handler)
    request = Request("PUT", "http://metadata.test/latest/api/token", {"X-Ttl": "60"})

    response = fake.send(request)

    assert response.body == b"http://metadata.test/latest/api/token"
    assert fake.requests == [request]


def test_fake_transport_handlers_may_raise_to_simulate_network_failures() -> None:
    def handler(request: Request) -> Response:
        raise TransportTimeout("timed out", url=request.url)

    fake = FakeTransport(handler)

    with pytest.raises(TransportTimeout):
        fake.send(Request("GET", "http://x.test/"))
    assert len(fake.requests) == 1


def test_default_timeouts_are_five_seconds_to_connect_and_ten_to_read() -> None:
    assert Request("GET", "http://x.test/").timeout == Timeout(connect=5.0, read=10.0)
