"""A local credentials server: a provider's current temporary credential, over HTTP on loopback,
in the credentials-URI format the official SDKs read (``ALIBABA_CLOUD_CREDENTIALS_URI``)::

    with CredentialsServer(RamRoleArnProvider(source, role_arn=...)) as server:
        child_environ["ALIBABA_CLOUD_CREDENTIALS_URI"] = server.url

Each ``GET /<token>`` answers with the provider's credential of the moment::

    {"Code": "Success", "AccessKeyId": "...", "AccessKeySecret": "...",
     "SecurityToken": "...", "Expiration": "2006-01-02T15:04:05Z"}

The provider is asked on every request: its own refresher caches and renews, so reads make no
upstream call while the credential is fresh. Who may read it:

* it listens on loopback only (127.0.0.0/8, ``::1``, ``localhost``) and answers only under an
  unguessable path token (``secrets.token_urlsafe(32)``, compared in constant time), so the other
  users of the machine cannot read it;
* a request relayed by a proxy (``X-Forwarded-For`` or ``Forwarded``) is refused, and so is one
  whose ``Host`` is not a loopback name or address with this port: a web page that rebinds its
  DNS name to 127.0.0.1 still sends its own name. A ``Host`` without a port is accepted, because
  the official Python client sends exactly that;
* it never serves a long-term AccessKey (or anything without both a security token and an
  expiry): it refuses to start on one, and answers 500 if its provider later returns one.

Answers: 200 the credential; 403 as above; 404 any other path; 405 any method but GET; 500 a
long-term credential; 503 the provider failed (the cause goes to the ``akless`` logger, never to
the caller). Every error is JSON ``{"Code": ..., "Message": ...}``. Connections are kept alive
(HTTP/1.1), one daemon thread each. The access log goes to the ``akless`` logger at DEBUG,
without the path: it holds the token.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import json
import logging
import re
import secrets
import socket
import socketserver
import threading
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import AklessError, ConfigurationError
from akless.provider import CredentialsProvider
from akless.providers.credentials_uri import is_loopback_host

log = logging.getLogger("akless")

IDLE_TIMEOUT = 60.0
"""Seconds a kept-alive connection may stay silent before the server closes it."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,}")
"""A caller's own token: URL-safe and at least 128 bits' worth of characters."""

_Answer = tuple[int, bytes]


def is_servable(credentials: Credentials) -> bool:
    """Whether ``credentials`` may be served: temporary, with a security token and an expiry."""
    return bool(credentials.security_token) and credentials.expiration is not None


def credentials_document(credentials: Credentials) -> dict[str, str]:
    """The credentials-URI answer for ``credentials``; ``ValueError`` if it is not servable."""
    token, expiration = credentials.security_token, credentials.expiration
    if not token or expiration is None:
        raise ValueError("only a temporary credential has a credentials-URI document")
    return {
        "Code": "Success",
        "AccessKeyId": credentials.access_key_id,
        "AccessKeySecret": credentials.access_key_secret,
        "SecurityToken": token,
        "Expiration": format_timestamp(expiration),
    }


def _error(code: str, message: str) -> bytes:
    return json.dumps({"Code": code, "Message": message}).encode()


_FORBIDDEN_PROXY = (403, _error("Forbidden", "requests relayed by a proxy are refused"))
_FORBIDDEN_HOST = (403, _error("Forbidden", "the Host header must name this loopback server"))
_NOT_FOUND = (404, _error("NotFound", "nothing is served here"))
_NOT_ALLOWED = (405, _error("MethodNotAllowed", "only GET is served"))
_LONG_TERM = (
    500,
    _error(
        "LongTermCredential",
        "the credential source returned a long-term AccessKey, which this server never serves; "
        "serve a RAM role instead",
    ),
)
_UNAVAILABLE = (
    503,
    _error(
        "CredentialsUnavailable",
        "the credential source failed; the server's log says why",
    ),
)


class CredentialsServer:
    """Serves ``provider``'s credentials on ``host``:``port`` (0: a free port) under ``token``.

    Building it asks ``provider`` for a first credential (its errors propagate), refuses a
    long-term one with ``ConfigurationError``, then binds. Serve with ``serve_forever()`` (blocks)
    or ``start()`` (a daemon thread); ``with`` starts and shuts down. ``url`` is the
    credentials URI, token included: hand it only to processes that may use the credential.
    """

    def __init__(
        self,
        provider: CredentialsProvider,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        if not is_loopback_host(host):
            raise ConfigurationError(
                f"the credentials server listens on loopback only (127.0.0.1, ::1, localhost), "
                f"not {host!r}: anything else would offer credentials to the network",
                source="host",
            )
        if token is not None and not _TOKEN.fullmatch(token):
            raise ConfigurationError(
                "the path token must be at least 22 URL-safe characters (A-Z a-z 0-9 _ -)",
                source="token",
            )
        self.provider = provider
        self._token = token or secrets.token_urlsafe(32)
        self._path = f"/{self._token}".encode()
        first = provider.get_credentials()
        if not is_servable(first):
            raise ConfigurationError(
                f"refusing to serve the long-term AccessKey from {first.provider_name}: the "
                "credentials server only serves temporary credentials. Assume a RAM role with "
                "it (akless serve --role-arn ARN) or use a role profile.",
                source="provider",
            )
        self._last: tuple[Credentials, bytes] | None = None
        self._last_failure: str | None = None
        address = "127.0.0.1" if host.lower().rstrip(".") == "localhost" else host.strip("[]")
        try:
            self._httpd = _HttpServer(address, port, self)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"{address}:{port} is already in use; pick another port", source="port"
                ) from error
            raise ConfigurationError(
                f"cannot listen on {address}:{port}: {error.strerror or error}", source="host"
            ) from error
        self.host = address
        self.port = int(self._httpd.server_address[1])
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/<token>``: the value of ``ALIBABA_CLOUD_CREDENTIALS_URI``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{self._token}"

    def __repr__(self) -> str:
        return f"CredentialsServer({self.url.rsplit('/', 1)[0]}/****)"

    # -- serving ---------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Serve in this thread until ``shutdown()`` is called from another."""
        with self._lock:
            if self._serving or self._closed:
                raise RuntimeError("this CredentialsServer is already serving or shut down")
            self._serving = True
        self._httpd.serve_forever(poll_interval=0.1)  # how soon shutdown() is noticed

    def start(self) -> CredentialsServer:
        """Serve in a daemon thread; returns the server."""
        thread = threading.Thread(
            target=self.serve_forever, name="akless-credentials-server", daemon=True
        )
        thread.start()
        self._thread = thread
        return self

    def shutdown(self) -> None:
        """Stop serving, close every connection, and release the port. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            serving = self._serving
        if serving:
            self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> CredentialsServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    # -- answering -------------------------------------------------------------------------------

    def answer(self, path: str, headers: Message) -> _Answer:
        """The status and JSON body for a GET of ``path`` (called by the request handler)."""
        if "X-Forwarded-For" in headers or "Forwarded" in headers:
            return _FORBIDDEN_PROXY
        if not self._host_allowed(headers.get_all("Host") or []):
            return _FORBIDDEN_HOST
        requested = path.split("?", 1)[0].encode("latin-1")
        if not hmac.compare_digest(requested, self._path):
            return _NOT_FOUND
        try:
            credentials = self.provider.get_credentials()
        except Exception as error:  # whatever the source raised, the caller only learns "503"
            self._failed(error)
            return _UNAVAILABLE
        self._last_failure = None
        last = self._last
        if last is not None and last[0] is credentials:
            return 200, last[1]
        if not is_servable(credentials):
            log.error(
                "credentials server: %s returned a long-term AccessKey; not served",
                credentials.provider_name,
            )
            return _LONG_TERM
        body = json.dumps(credentials_document(credentials)).encode()
        self._last = (credentials, body)
        return 200, body

    def _host_allowed(self, hosts: list[str]) -> bool:
        if len(hosts) != 1:
            return False
        try:
            parts = urlsplit(f"//{hosts[0].strip()}")
            hostname, port = parts.hostname, parts.port
        except ValueError:
            return False
        return hostname is not None and is_loopback_host(hostname) and port in (None, self.port)

    def _failed(self, error: Exception) -> None:
        # akless errors never hold a secret; anything else might, so only its type is logged.
        reason = str(error) if isinstance(error, AklessError) else type(error).__name__
        if reason != self._last_failure:  # once per distinct failure, not once per request
            self._last_failure = reason
            log.warning("credentials server: no credential to serve: %s", reason)


class _HttpServer(ThreadingHTTPServer):
    """The stdlib threading server, bound without a name lookup, tracking open connections so
    that ``shutdown`` also ends the kept-alive ones."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: CredentialsServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app = app
        self._open: set[Any] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a reverse DNS lookup nobody needs.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            open_now = list(self._open)
        for connection in open_now:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    server_version = "akless-credentials-server"
    timeout = IDLE_TIMEOUT
    wbufsize = -1  # buffered: status, headers and body leave in one send, at the flush
    disable_nagle_algorithm = True

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.command != "GET":
            # Any method, even one the stdlib does not know (it would answer 501).
            self._send(*_NOT_ALLOWED, close=True)  # a request body may follow: do not read on
            return False
        return True

    def do_GET(self) -> None:
        self._send(*self.server.app.answer(self.path, self.headers))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib's own errors (malformed request, line too long...), as JSON and without
        # its message, which quotes the request line and so the token.
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self._send(code, _error(phrase.replace(" ", ""), phrase), close=True)

    def _send(self, status: int, body: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET")
        if close:
            self.send_header("Connection", "close")  # also ends this connection's loop
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("credentials server: %s -> %s", self.command or "-", code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("credentials server: a malformed or timed-out request")
