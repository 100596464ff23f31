"""The one seam between akless and the network: ``Request -> Response``.

``HttpTransport`` (in ``akless._http``, loaded on first use so that importing akless costs no
socket, TLS or HTTP machinery) is the default, built on ``http.client`` only. It always applies
a connect and a read timeout and an overall deadline, honours ``HTTP_PROXY`` / ``HTTPS_PROXY`` /
``NO_PROXY`` from the environment it is given, keeps idle connections for reuse (never across
``fork``), caps the response size, and wraps every socket-level failure in ``TransportError``
naming the URL. ``FakeTransport`` answers from a handler function, for unit tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from akless import __version__

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait to connect, and to wait for each read of the answer.

    The whole exchange is also bounded: connecting included, it ends at most ``connect + read``
    seconds after it began, so a server that trickles bytes cannot hold a caller forever.
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
    shown_as: str | None = None
    """How messages show the URL when even its path is secret (a credentials URI's token)."""


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
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:  # such as an unclosed "[" in an IPv6 host
        return "<invalid URL>"
    host = parts.netloc.rpartition("@")[2]  # as given, so an invalid port cannot raise here
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{parts.path}{query}"


def shown_url(request: Request) -> str:
    """``request``'s URL as messages may show it: ``shown_as``, or ``display_url`` of it."""
    return request.shown_as or display_url(request.url)


def default_user_agent() -> str:
    """``akless/<version> Python/<version>``."""
    return f"akless/{__version__} Python/{sys.version_info.major}.{sys.version_info.minor}"


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


_LAZY = {"HttpTransport", "proxy_for", "DEFAULT_MAX_RESPONSE_BYTES"}


def __getattr__(name: str) -> Any:
    # The stdlib HTTP machinery is imported on first use, not with akless.
    if name in _LAZY:
        from akless import _http

        return getattr(_http, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
