"""Parse untrusted text without keeping it inside errors.

A parser's own exception carries its input: ``JSONDecodeError.doc``, ``UnicodeDecodeError.object``,
``strptime``'s message. An akless error raised inside the ``except`` block would keep that
exception reachable as its ``__context__`` (``from None`` only hides it from tracebacks), and
with it whatever secret the input held. These helpers report a short description instead, and
callers raise outside any ``except`` block.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from akless._time import parse_timestamp

_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@dataclass(frozen=True)
class Parsed:
    """A parse result: the ``value``, or ``problem`` describing (never quoting) what is wrong."""

    value: Any
    problem: str | None = None


def parse_json(data: str | bytes) -> Parsed:
    """JSON ``data`` (UTF-8 if bytes), or a problem like ``Expecting value at line 1 column 1``."""
    problem: str | None = None
    value: Any = None
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text)
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 (invalid byte at offset {error.start})"
    except json.JSONDecodeError as error:
        problem = f"{error.msg} at line {error.lineno} column {error.colno}"
    except (ValueError, RecursionError):
        problem = "not valid JSON (nested too deep, or a number out of range)"
    return Parsed(None, problem) if problem is not None else Parsed(value)


def utc_timestamp(text: str) -> float | None:
    """Seconds since the epoch for exactly ``YYYY-MM-DDThh:mm:ssZ`` (ASCII digits), or ``None``."""
    if not _TIMESTAMP.fullmatch(text):
        return None
    try:
        return parse_timestamp(text)
    except ValueError:  # well formed, but no such date (month 13): nothing to keep
        return None
