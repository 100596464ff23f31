"""Fault injection: make an emulated service slow, failing, flaky or down, at run time.

A ``Fault`` names a service (``metadata``, ``sts``, ``oidc``, ... or ``*`` for all) and what to do
to matching requests:

* ``latency``: seconds to wait before answering;
* ``status`` (+ ``code``): answer with this HTTP status instead, for a ``rate`` fraction of
  requests;
* ``down``: ``"refuse"`` closes each connection without an answer (the client sees the
  connection dropped), ``"hang"`` never answers (the client's timeout must fire);
* ``count``: apply only to the next N matching requests, then disappear.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

DownMode = Literal["refuse", "hang"]
SERVICES = ("metadata", "sts", "oidc", "ram", "kms", "actiontrail")

_DEFAULT_CODES = {
    400: "InvalidParameter",
    403: "Forbidden",
    404: "NotFound",
    429: "Throttling.User",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Fault:
    """One injected fault (see the module docstring)."""

    service: str = "*"
    latency: float = 0.0
    status: int | None = None
    code: str | None = None
    rate: float = 1.0
    down: DownMode | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        # Faults also arrive as JSON over the admin API, so types are checked, not assumed.
        if self.service != "*" and self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}; one of {', '.join(SERVICES)}, *")
        if not _is_number(self.latency) or not 0 <= self.latency < math.inf:
            raise ValueError("latency must be a finite number of seconds >= 0")
        if self.status is not None and not (_is_int(self.status) and 400 <= self.status <= 599):
            raise ValueError("status must be an HTTP error status, 400..599")
        if self.code is not None and not isinstance(self.code, str):
            raise ValueError("code must be a string")
        if not _is_number(self.rate) or not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.down not in (None, "refuse", "hang"):
            raise ValueError("down must be 'refuse' or 'hang'")
        if self.count is not None and not (_is_int(self.count) and self.count >= 1):
            raise ValueError("count must be a whole number >= 1")

    @property
    def error_code(self) -> str:
        """The error code sent with ``status``."""
        return self.code or _DEFAULT_CODES.get(self.status or 500, "InternalError")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Build from a JSON object with the same field names; unknown fields are an error."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """The fields as a JSON object."""
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait ``latency``, then go down, fail, or answer normally."""

    latency: float = 0.0
    down: DownMode | None = None
    status: int | None = None
    code: str | None = None


class Faults:
    """The set of active faults; thread-safe, shared by the server and the Python API."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def add(self, fault: Fault) -> None:
        """Activate ``fault`` in addition to the others."""
        with self._lock:
            self._faults.append(fault)

    def replace(self, faults: Iterable[Fault]) -> None:
        """Make ``faults`` the only active faults."""
        with self._lock:
            self._faults = list(faults)

    def clear(self) -> None:
        """Remove every fault."""
        self.replace(())

    def active(self) -> list[Fault]:
        """The active faults, oldest first."""
        with self._lock:
            return list(self._faults)

    def decide(self, service: str) -> Decision:
        """Combine every fault that matches ``service`` into one decision for one request."""
        latency = 0.0
        down: DownMode | None = None
        status: int | None = None
        code: str | None = None
        with self._lock:
            kept: list[Fault] = []
            for fault in self._faults:
                if fault.service not in ("*", service):
                    kept.append(fault)
                    continue
                latency += fault.latency
                if fault.down and down is None:
                    down = fault.down
                if fault.status and status is None and self._rng.random() < fault.rate:
                    status, code = fault.status, fault.error_code
                if fault.count is None:
                    kept.append(fault)
                elif fault.count > 1:
                    kept.append(replace(fault, count=fault.count - 1))
            self._faults = kept
        return Decision(latency, down, status, code)
