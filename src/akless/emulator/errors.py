"""The error an emulated API raises to answer with the real error envelope.

Error codes, HTTP statuses and messages follow the protocol fact sheet (section 3 and each
service's section). Helpers below build the common ones so every service words them the same.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answer: HTTP ``status``, Alibaba ``code`` and human ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    """A mandatory parameter is absent: ``Missing<Name>``."""
    return ApiError(
        400,
        f"Missing{name}",
        f'The input parameter "{name}" that is mandatory for processing this request is not '
        "supplied.",
    )


def invalid(name: str, message: str | None = None) -> ApiError:
    """A parameter is malformed: ``InvalidParameter.<Name>``."""
    return ApiError(
        400,
        f"InvalidParameter.{name}",
        message or f"The parameter {name} is wrongly formed.",
    )


def unknown_action(action: str) -> ApiError:
    """The action does not exist in the service the version names."""
    return ApiError(
        404,
        "InvalidAction.NotFound",
        f"Specified api is not found, please check your url and method. (Action={action[:64]})",
    )


class Refused(ApiError, ValueError):
    """An ``ApiError`` raised by the ``Cloud`` Python API as well as by a service: callers of the
    Python API (and the admin API, which answers 400) see a ``ValueError``."""
