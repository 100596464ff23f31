"""What an emulated OpenAPI service is: a name, a version, and its actions.

An action is a function from an ``ActionContext`` to the response body (without ``RequestId``,
which the dispatcher adds); it raises ``ApiError`` to answer with an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from akless.emulator.errors import ApiError, missing
from akless.emulator.principals import Caller
from akless.emulator.protocol import ApiRequest

if TYPE_CHECKING:
    from akless.emulator.cloud import Cloud


@dataclass(frozen=True)
class ActionContext:
    """Everything an action needs: the cloud, the request, who made it, and the time."""

    cloud: Cloud
    request: ApiRequest
    caller: Caller
    now: float

    def required(self, name: str) -> str:
        """A mandatory parameter's value (``Missing<Name>`` when absent or blank)."""
        value = self.request.params.get(name)
        if not value:
            raise missing(name)
        return value

    def optional(self, name: str) -> str | None:
        """An optional parameter's value, or ``None`` when absent or blank."""
        return self.request.params.get(name) or None


Action = Callable[[ActionContext], dict[str, Any]]


@dataclass(frozen=True)
class Service:
    """One API product at one version."""

    name: str
    product: str
    version: str
    actions: Mapping[str, Action]
    anonymous_actions: frozenset[str] = frozenset()
    """Actions that may be called unsigned (``AssumeRoleWithOIDC``)."""
    key_pair_actions: frozenset[str] = frozenset()
    """Actions signed with an RSA key pair's private key, and only by one."""


def unknown_version(version: str) -> ApiError:
    """No emulated service has this API version."""
    return ApiError(
        400, "InvalidVersion", f"Specified parameter Version is not valid. (Version={version[:32]})"
    )
