"""A scripted OpenAPI service for client tests: answers by action, records each call's action
and form parameters, and checks every request is signed by the caller's key."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from akless.credentials import Credentials
from akless.transport import FakeTransport, Request, Response

PLANTED_SECRET = "planted-secret-Zq81vXmc"
CALLER = Credentials("LTAI5tCallerKeyId0000001", PLANTED_SECRET)

Answer = dict[str, Any] | tuple[int, dict[str, Any]] | Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class Call:
    action: str
    params: dict[str, str]


class FakeApi:
    """Answers ``action`` with ``answers[action]``: a JSON object (HTTP 200), a
    ``(status, object)`` pair, or a function of the call's parameters returning either."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.calls: list[Call] = []
        self.transport = FakeTransport(self._answer)

    def _answer(self, request: Request) -> Response:
        action = request.headers["x-acs-action"]
        params = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        assert "authorization" in request.headers, "every call here is signed"
        self.calls.append(Call(action, params))
        answer = self.answers[action]
        if callable(answer):
            answer = answer(params)
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return Response(status, {}, json.dumps(body).encode(), request.url)

    @property
    def last(self) -> Call:
        return self.calls[-1]


def error(status: int, code: str, message: str = "") -> tuple[int, dict[str, Any]]:
    """A service error envelope."""
    return status, {"RequestId": "REQ-1", "HostId": "test", "Code": code, "Message": message}
