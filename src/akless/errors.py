"""Every error akless raises, in one shallow tree.

::

    AklessError                      base: catch this to catch everything akless raises
    ├── ConfigurationError           a setting, file or argument is wrong (names it and the fix)
    ├── CredentialsUnavailable       a provider does not apply here; the chain moves on
    │   └── NoCredentialsFound       no step of a chain applied (names every step and why)
    ├── CredentialsRefreshError      a temporary credential could not be obtained or renewed
    ├── TransportError               the network failed: refused, reset, unreachable (names the URL)
    │   └── TransportTimeout         ... or no answer within the timeout
    ├── ServiceError                 a service answered with an error (code, status, request id)
    ├── MalformedResponse            a service answered, but not in the documented shape
    └── NotFound                     the thing asked about (an AccessKey, a role) does not exist

Messages never contain a secret, security token or bearer token. An error that wraps a
lower-level one keeps it as ``__cause__`` (``raise ... from``).
"""

from __future__ import annotations


class AklessError(Exception):
    """Base class of every error akless raises.

    ``hints`` are what a caller on the way up added (what was already done, how to finish);
    ``str()`` is the message alone, and the CLI prints the hints after it, on the same line.
    """

    hints: tuple[str, ...] = ()

    def add_hint(self, hint: str) -> None:
        """Add ``hint`` (``BaseException.add_note``, which Python 3.10 lacks)."""
        self.hints = (*self.hints, hint)


class ConfigurationError(AklessError):
    """A setting, file, environment variable or argument is invalid.

    ``source`` names where the bad value came from (a file path, a variable name, a parameter).
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class CredentialsUnavailable(AklessError):
    """A credential provider does not apply in this environment (the chain tries the next)."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider


class NoCredentialsFound(CredentialsUnavailable):
    """Every step of a credential chain was unavailable; ``steps`` says why, in order.

    It is a ``CredentialsUnavailable`` so that a chain nested in another chain moves on.
    """

    def __init__(self, message: str, *, steps: list[tuple[str, str]]) -> None:
        super().__init__(message, provider="default")
        self.steps = steps


class CredentialsRefreshError(AklessError):
    """A temporary credential could not be obtained or renewed: its source failed at run time
    (a credential process exited non-zero, a refresh failed after the old one expired...).
    ``__cause__`` says why."""

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider


class TransportError(AklessError):
    """A request could not be completed: connection refused, reset, DNS failure, TLS failure."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class TransportTimeout(TransportError):
    """The server did not connect or answer within the configured timeout."""


class ServiceError(AklessError):
    """An Alibaba Cloud service (or the metadata service) answered with an error.

    ``code`` is the service's error code (``SignatureDoesNotMatch``, ``EntityNotExist.Role``) or,
    for services without codes such as the metadata service, ``HTTP<status>``.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int,
        code: str,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.request_id = request_id


class MalformedResponse(AklessError):
    """A service answered successfully but the answer is not what the protocol documents.

    ``field`` names the missing or invalid field, when one is to blame.
    """

    def __init__(self, message: str, *, endpoint: str, field: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.field = field


class NotFound(AklessError):
    """The thing a command is about does not exist where it was looked for: an AccessKey that is
    not one of the user's keys, a role that does not exist. ``kind`` says what (``AccessKey``,
    ``role``), ``name`` which one (an AccessKey ID, masked)."""

    def __init__(self, message: str, *, kind: str, name: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name
