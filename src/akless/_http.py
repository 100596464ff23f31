"""The default transport: ``http.client`` with timeouts, proxies and connection reuse.

Imported on first use (through ``akless.transport.HttpTransport``), so that importing akless
does not pay for sockets, TLS and the HTTP machinery. See ``akless.transport`` for the seam.
"""

from __future__ import annotations

import base64
import http.client
import io
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from akless._env import Environ
from akless.errors import TransportError, TransportTimeout
from akless.transport import Request, Response, Timeout, default_user_agent, display_url, shown_url

DEFAULT_MAX_RESPONSE_BYTES = 1 << 20
_IDLE_PER_ORIGIN = 4


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
        route = self._route(request)
        deadline = time.monotonic() + request.timeout.connect + request.timeout.read
        connection = self._take_idle(route)
        if connection is not None:
            try:
                return self._exchange(connection, route, request, deadline)
            except _StaleConnection:
                pass  # the server closed a kept connection; the request never arrived
        connection = self._connect(route, request)
        try:
            return self._exchange(connection, route, request, deadline)
        except _StaleConnection as stale:
            raise TransportError(
                f"{shown_url(request)} closed the connection without answering",
                url=shown_url(request),
            ) from stale.__cause__

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def __del__(self) -> None:
        # Clients create their own transport and drop it with the client: without this, each
        # kept connection would be left to the garbage collector (a ResourceWarning each).
        if hasattr(self, "_idle"):
            self.close()

    # -- connections --

    def _route(self, request: Request) -> _Route:
        url, shown = request.url, shown_url(request)
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise TransportError(f"invalid port in {shown!r}", url=shown) from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(
                f"cannot send to {shown!r}: only http:// and https:// URLs with a host",
                url=shown,
            )
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
            try:
                proxy = _proxy_url(route.proxy)
                proxy_port = proxy.port or (443 if proxy.scheme == "https" else 80)
            except ValueError as error:
                shown = shown_url(request)
                raise TransportError(
                    f"invalid proxy URL {display_url(route.proxy)!r} for {shown}", url=shown
                ) from error
            # An https:// request tunnels through the proxy (CONNECT) and speaks TLS to the
            # origin inside the tunnel, whatever the proxy URL's scheme.
            scheme = "https" if route.scheme == "https" else proxy.scheme
            connection = self._new_connection(scheme, proxy.hostname or "", proxy_port, timeout)
            if route.scheme == "https":
                connection.set_tunnel(route.host, route.port, headers=_proxy_headers(proxy))
        try:
            connection.connect()
        except OSError as error:
            connection.close()
            raise _socket_error(error, shown_url(request), "connecting to") from error
        # Every later read is bounded by the read timeout and the exchange's deadline.
        connection.sock = _DeadlineSocket(connection.sock)
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
        deadline: float,
    ) -> Response:
        parts = urlsplit(request.url)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        headers = dict(request.headers)
        if not any(name.lower() == "user-agent" for name in headers):
            headers["User-Agent"] = self._user_agent
        if route.proxy is not None and route.scheme == "http":
            target = request.url  # a plain-HTTP proxy is sent the absolute URL
            headers.update(_proxy_headers(_proxy_url(route.proxy)))
        sock = connection.sock
        if isinstance(sock, _DeadlineSocket):
            sock.start_exchange(request.timeout.read, deadline)
        try:
            connection.request(request.method, target, body=request.body or None, headers=headers)
            answer = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
            # No answer began: on a kept connection, the server most likely closed it while idle.
            connection.close()
            raise _StaleConnection from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _socket_error(error, shown_url(request), "reading from") from error
        body = self._read_body(connection, answer, shown_url(request))
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
        shown: str,
    ) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = answer.read(65536)
                if not chunk:
                    return b"".join(chunks)
                size += len(chunk)
                if size > self._max_response_bytes:
                    raise TransportError(
                        f"{shown} sent more than {self._max_response_bytes} bytes",
                        url=shown,
                    )
                chunks.append(chunk)
        except TransportError:
            connection.close()
            raise
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _socket_error(error, shown, "reading from") from error


class _DeadlineSocket:
    """A connected socket whose reads each wait at most the read timeout and, together, end at
    the exchange's deadline: ``http.client`` reads through a buffer that loops until it is full,
    so without this a server trickling one byte per second would hold the caller for hours."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.read_timeout: float | None = None
        self.deadline = float("inf")

    def start_exchange(self, read_timeout: float, deadline: float) -> None:
        self.read_timeout, self.deadline = read_timeout, deadline
        self.sock.settimeout(read_timeout)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        """What ``http.client`` reads a response from."""
        return io.BufferedReader(_DeadlineReader(self, self.sock.makefile("rb", buffering=0)))

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _DeadlineReader(io.RawIOBase):
    """Raw reads from a ``_DeadlineSocket``, each with the time that is left."""

    def __init__(self, owner: _DeadlineSocket, raw: socket.SocketIO) -> None:
        super().__init__()
        self._owner = owner
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._owner.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer did not arrive within the timeout")
        read_timeout = self._owner.read_timeout
        self._owner.sock.settimeout(left if read_timeout is None else min(read_timeout, left))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()  # releases the socket, which closes once http.client lets go too
        super().close()


class _StaleConnection(Exception):
    """A kept-alive connection turned out to be closed before the request reached the server."""


def _proxy_headers(proxy: SplitResult) -> dict[str, str]:
    """``Proxy-Authorization`` for a proxy URL with user info, else nothing."""
    if not proxy.username:
        return {}
    username, password = proxy.username, proxy.password or ""
    token = base64.b64encode(f"{unquote(username)}:{unquote(password)}".encode()).decode()
    return {"Proxy-Authorization": f"Basic {token}"}


def _proxy_url(proxy: str) -> SplitResult:
    """The parts of a proxy URL; ``host:port`` without a scheme means ``http://host:port``."""
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def _socket_error(error: BaseException, shown: str, doing: str) -> TransportError:
    if isinstance(error, (socket.timeout, TimeoutError)):
        return TransportTimeout(
            f"timed out {doing} {shown}: the service is slow or unreachable; try again, or "
            "check the endpoint",
            url=shown,
        )
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
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return TransportError(f"network error {doing} {shown}: {reason}", url=shown)
