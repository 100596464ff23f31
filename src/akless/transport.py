"""The one seam between akless and the network: ``Request -> Response``.

``HttpTransport`` is the default, built on ``http.client`` only (no third-party import on the hot
path). It always applies a connect and a read timeout and an overall deadline, honours
``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``NO_PROXY`` (both cases) from the environment it is given,
keeps idle connections for reuse (never across ``fork``), caps the response size, and wraps every
socket-level failure in ``TransportError`` naming the URL. ``FakeTransport`` answers from a
handler function, for unit tests.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import SplitResult, unquote, urlsplit

from akless import __version__
from akless._env import Environ
from akless.errors import TransportError, TransportTimeout

DEFAULT_MAX_RESPONSE_BYTES = 1 << 20
_IDLE_PER_ORIGIN = 4


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait to connect, and to wait for each read of the answer.

    The whole exchange is also bounded: it may take at most ``connect + read`` seconds more than
    the connection took, so a server that trickles bytes cannot hold a caller forever.
    """

    connect: float = 5.0
    read: float = 10.0


@dataclass(frozen=True)
class Request:
    """An HTTP request. ``body`` is sent as is; ``headers`` are sent as given."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    timeout: Timeout = Timeout()


@dataclass(frozen=True)
class Response:
    """An HTTP response. Header names are lowercase."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str = ""

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or ``None``."""
        return self.headers.get(name.lower())

    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Anything that can send a ``Request`` and return its ``Response``."""

    def send(self, request: Request) -> Response:
        """Send ``request``; raise ``TransportError`` when no HTTP answer arrives."""
        ...


def display_url(url: str) -> str:
    """``url`` safe for a message: no user info, no query string, no fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"


def default_user_agent() -> str:
    """``akless/<version> Python/<version>``."""
    return f"akless/{__version__} Python/{sys.version_info.major}.{sys.version_info.minor}"


# --- proxies ------------------------------------------------------------------------------------


def _proxy_settings(environ: Environ) -> dict[str, str]:
    """``{"http": url, "https": url, "no": hosts}`` from the environment, lowercase names first."""
    settings: dict[str, str] = {}
    for scheme in ("http", "https", "no"):
        for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
            value = environ.get(name, "").strip()
            if value:
                settings[scheme] = value
                break
    return settings


def proxy_for(url: str, *, proxy: str | None = None, environ: Environ | None = None) -> str | None:
    """The proxy URL to use for ``url``: ``proxy`` if given, else the environment's, else none.

    ``NO_PROXY`` (host names, domain suffixes, ``*``) excludes hosts, as curl and Go do.
    """
    parts = urlsplit(url)
    settings = _proxy_settings(os.environ if environ is None else environ)
    chosen = proxy or settings.get(parts.scheme)
    if not chosen:
        return None
    if _bypasses_proxy(parts.hostname or "", settings.get("no", "")):
        return None
    return chosen


def _bypasses_proxy(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names ``host``: ``*``, the host, a parent domain, or a CIDR block."""
    host = host.lower().rstrip(".")
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:
            if _in_network(host, entry):
                return True
            continue
        entry = entry.lstrip(".").rsplit(":", 1)[0] if entry.count(":") == 1 else entry.lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def _in_network(host: str, cidr: str) -> bool:
    import ipaddress  # only needed for CIDR entries, kept off the import path

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


# --- the stdlib transport -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    """Where a connection goes: the origin, and the proxy in between (if any)."""

    scheme: str
    host: str
    port: int
    proxy: str | None


class HttpTransport:
    """The default transport: ``http.client`` with timeouts, proxies and connection reuse.

    ``proxy`` overrides the environment's proxy for every request (``Config.proxy``).
    ``environ`` is where proxy variables are read from (``os.environ`` by default, at send time).
    """

    def __init__(
        self,
        *,
        proxy: str | None = None,
        environ: Environ | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        user_agent: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._proxy = proxy
        self._environ = environ
        self._max_response_bytes = max_response_bytes
        self._user_agent = user_agent or default_user_agent()
        self._ssl_context = ssl_context
        self._idle: dict[_Route, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def send(self, request: Request) -> Response:
        """Send ``request``, reusing an idle connection to the same origin when one is kept."""
        route = self._route(request.url)
        started = time.monotonic()
        connection = self._take_idle(route)
        if connection is not None:
            try:
                return self._exchange(connection, route, request, started)
            except _StaleConnection:
                pass  # the server closed a kept connection; the request never arrived
        connection = self._connect(route, request)
        try:
            return self._exchange(connection, route, request, started)
        except _StaleConnection as stale:
            raise TransportError(
                f"{display_url(request.url)} closed the connection without answering",
                url=display_url(request.url),
            ) from stale.__cause__

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # -- connections --

    def _route(self, url: str) -> _Route:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(
                f"cannot send to {display_url(url)!r}: only http:// and https:// URLs with a host",
                url=display_url(url),
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise TransportError(f"invalid port in {display_url(url)!r}", url=url) from error
        proxy = proxy_for(url, proxy=self._proxy, environ=self._environ)
        return _Route(parts.scheme, parts.hostname, port, proxy)

    def _take_idle(self, route: _Route) -> http.client.HTTPConnection | None:
        with self._lock:
            if self._pid != os.getpid():
                # After fork the parent's sockets must not be shared: start empty.
                self._idle, self._pid = {}, os.getpid()
                return None
            connections = self._idle.get(route)
            return connections.pop() if connections else None

    def _keep(self, route: _Route, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            connections = self._idle.setdefault(route, [])
            if self._pid == os.getpid() and len(connections) < _IDLE_PER_ORIGIN:
                connections.append(connection)
                return
        connection.close()

    def _connect(self, route: _Route, request: Request) -> http.client.HTTPConnection:
        timeout = request.timeout
        connection: http.client.HTTPConnection
        if route.proxy is None:
            connection = self._new_connection(route.scheme, route.host, route.port, timeout)
        else:
            proxy = urlsplit(route.proxy if "://" in route.proxy else f"http://{route.proxy}")
            proxy_port = proxy.port or (443 if proxy.scheme == "https" else 80)
            connection = self._new_connection(
                proxy.scheme or "http", proxy.hostname or "", proxy_port, timeout
            )
            if route.scheme == "https":
                connection.set_tunnel(route.host, route.port, headers=_proxy_headers(proxy))
        try:
            connection.connect()
        except OSError as error:
            connection.close()
            raise _socket_error(error, request.url, "connecting to") from error
        if connection.sock is not None:
            connection.sock.settimeout(timeout.read)
        return connection

    def _new_connection(
        self, scheme: str, host: str, port: int, timeout: Timeout
    ) -> http.client.HTTPConnection:
        if scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
            return http.client.HTTPSConnection(host, port, timeout=timeout.connect, context=context)
        return http.client.HTTPConnection(host, port, timeout=timeout.connect)

    # -- one exchange --

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        route: _Route,
        request: Request,
        started: float,
    ) -> Response:
        parts = urlsplit(request.url)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        headers = {"User-Agent": self._user_agent, **request.headers}
        if route.proxy is not None and route.scheme == "http":
            target = request.url  # a plain-HTTP proxy is sent the absolute URL
            headers.update(_proxy_headers(urlsplit(route.proxy)))
        deadline = started + request.timeout.connect + request.timeout.read
        reused = connection.sock is not None
        try:
            connection.request(request.method, target, body=request.body or None, headers=headers)
            answer = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
            connection.close()
            if reused:
                raise _StaleConnection from error
            raise _socket_error(error, request.url, "reading from") from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _socket_error(error, request.url, "reading from") from error
        body = self._read_body(connection, answer, request.url, deadline)
        response = Response(
            status=answer.status,
            headers={name.lower(): value for name, value in answer.getheaders()},
            body=body,
            url=request.url,
        )
        if answer.will_close:
            connection.close()
        else:
            self._keep(route, connection)
        return response

    def _read_body(
        self,
        connection: http.client.HTTPConnection,
        answer: http.client.HTTPResponse,
        url: str,
        deadline: float,
    ) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise TransportTimeout(
                        f"{display_url(url)} did not finish answering within the timeout",
                        url=display_url(url),
                    )
                chunk = answer.read(65536)
                if not chunk:
                    return b"".join(chunks)
                size += len(chunk)
                if size > self._max_response_bytes:
                    raise TransportError(
                        f"{display_url(url)} sent more than {self._max_response_bytes} bytes",
                        url=display_url(url),
                    )
                chunks.append(chunk)
        except TransportError:
            connection.close()
            raise
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _socket_error(error, url, "reading from") from error


class _StaleConnection(Exception):
    """A kept-alive connection turned out to be closed before the request reached the server."""


def _proxy_headers(proxy: SplitResult) -> dict[str, str]:
    """``Proxy-Authorization`` for a proxy URL with user info, else nothing."""
    if not proxy.username:
        return {}
    username, password = proxy.username, proxy.password or ""
    token = base64.b64encode(f"{unquote(username)}:{unquote(password)}".encode()).decode()
    return {"Proxy-Authorization": f"Basic {token}"}


def _socket_error(error: BaseException, url: str, doing: str) -> TransportError:
    shown = display_url(url)
    if isinstance(error, (socket.timeout, TimeoutError)):
        return TransportTimeout(f"timed out {doing} {shown}", url=shown)
    if isinstance(error, ConnectionRefusedError):
        return TransportError(
            f"connection refused by {shown}: is the service running and the endpoint right?",
            url=shown,
        )
    if isinstance(error, socket.gaierror):
        return TransportError(f"cannot resolve the host of {shown}: {error.strerror}", url=shown)
    if isinstance(error, ssl.SSLError):
        return TransportError(f"TLS failure {doing} {shown}: {error.reason}", url=shown)
    if isinstance(error, http.client.HTTPException):
        return TransportError(
            f"malformed HTTP answer from {shown} ({type(error).__name__})", url=shown
        )
    reason = getattr(error, "strerror", None) or type(error).__name__
    return TransportError(f"network error {doing} {shown}: {reason}", url=shown)


# --- the fake -----------------------------------------------------------------------------------

Handler = Callable[[Request], Response]


class FakeTransport:
    """A transport that answers from ``handler`` and records every request it was sent.

    The handler may raise (for example ``TransportTimeout``) to simulate network failures.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        """Record ``request`` and return the handler's answer."""
        self.requests.append(request)
        return self._handler(request)
