"""UTC timestamps in the one format Alibaba Cloud uses everywhere: ``2024-01-02T03:04:05Z``."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable

ISO8601 = "%Y-%m-%dT%H:%M:%SZ"

Clock = Callable[[], float]
"""A source of the current time in seconds since the epoch (``time.time`` or a test fake)."""

system_clock: Clock = time.time


def format_timestamp(epoch_seconds: float) -> str:
    """Format seconds since the epoch as ``YYYY-MM-DDThh:mm:ssZ`` (UTC, whole seconds)."""
    moment = _dt.datetime.fromtimestamp(int(epoch_seconds), tz=_dt.timezone.utc)
    return moment.strftime(ISO8601)


def parse_timestamp(text: str) -> float:
    """Parse ``YYYY-MM-DDThh:mm:ssZ`` into seconds since the epoch; ``ValueError`` otherwise."""
    moment = _dt.datetime.strptime(text, ISO8601).replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()
