"""Durations and points in time as people type them on a command line.

A duration is a whole number with a unit, or several run together: ``0``, ``90s``, ``30m``,
``12h``, ``7d``, ``2w``, ``1d12h``. A point in time is ``YYYY-MM-DDThh:mm:ssZ``, a date
``YYYY-MM-DD`` (its midnight UTC), or a duration meaning that long ago.
"""

from __future__ import annotations

import re

from akless._parsing import utc_timestamp
from akless._time import parse_timestamp
from akless.errors import ConfigurationError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"([0-9]{1,9})([smhdw])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_duration(text: str, *, source: str) -> int:
    """Seconds in ``text`` (``7d``, ``1d12h``, ``0``); ``ConfigurationError`` naming ``source``."""
    value = text.strip().lower()
    if value.isdigit() and int(value) == 0:
        return 0
    position, total = 0, 0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += int(match.group(1)) * UNITS[match.group(2)]
        position = match.end()
    if not value or position != len(value):
        raise ConfigurationError(
            f"{source} {text!r} is not a duration: use a number and a unit (s, m, h, d, w), "
            "such as 30m, 12h, 7d or 1d12h; 0 for none",
            source=source,
        )
    return total


def parse_moment(text: str, *, now: float, source: str) -> float:
    """Seconds since the epoch for a timestamp, a date, or a duration ago (see the module)."""
    value = text.strip()
    stamp = utc_timestamp(value.upper())
    if stamp is not None:
        return stamp
    if _DATE.fullmatch(value):
        try:
            return parse_timestamp(f"{value}T00:00:00Z")
        except ValueError:
            pass
    try:
        return now - parse_duration(value, source=source)
    except ConfigurationError:
        raise ConfigurationError(
            f"{source} {text!r} is neither a time (2024-01-02T03:04:05Z or 2024-01-02) nor a "
            "duration ago (7d, 12h)",
            source=source,
        ) from None


def describe_duration(seconds: float) -> str:
    """``seconds`` the way a person reads it: ``2 d 3 h``, ``45 min``, ``12 s``."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
