"""What an AccessKey did: its ActionTrail events, grouped while they stream in.

``audit_key`` pages through the events made with one key (newest first) and keeps only counters:
per (service, action, source IP) with the first and last time and the errors, per day, per
source IP, reads and writes. Memory stays flat however many events there are, and ``on_page``
hears of every page as it arrives. ``first_seen`` answers "since when": it asks for the events
oldest first and stops at the first one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from akless._time import format_timestamp
from akless.credentials import Credentials

if TYPE_CHECKING:
    from akless.actiontrail import ActionTrailClient, Event

UNKNOWN = "-"


@dataclass(frozen=True)
class EventGroup:
    """Events of one action, on one service, from one source IP."""

    service: str
    action: str
    source_ip: str
    count: int
    errors: int
    """How many of them failed (carry an error code)."""
    first: str
    last: str


@dataclass(frozen=True)
class Tally:
    """A name and how many events had it (a day, a source IP)."""

    name: str
    count: int


@dataclass(frozen=True)
class Audit:
    """The events of one key between ``start`` and ``end``, grouped."""

    access_key_id: str
    start: str
    end: str
    events: int
    reads: int
    writes: int
    errors: int
    first_event: str | None
    last_event: str | None
    groups: tuple[EventGroup, ...]
    """Most events first."""
    source_ips: tuple[Tally, ...]
    days: tuple[Tally, ...]
    """UTC days, in order."""
    complete: bool
    """False when ``limit`` stopped the reading before the oldest event."""


@dataclass(frozen=True)
class FirstSeen:
    """The earliest event of a key between ``start`` and ``end`` (``time`` is ``None``: none)."""

    access_key_id: str
    start: str
    end: str
    time: str | None
    service: str | None = None
    action: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    region: str | None = None


class _Group:
    __slots__ = ("count", "errors", "first", "last")

    def __init__(self, time: float) -> None:
        self.count = 0
        self.errors = 0
        self.first = time
        self.last = time


def audit_key(
    trail: ActionTrailClient,
    caller: Credentials,
    access_key_id: str,
    *,
    start: float,
    end: float,
    limit: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Audit:
    """The events made with ``access_key_id`` between ``start`` and ``end`` (seconds since the
    epoch), grouped; at most ``limit`` of them (the newest). ``on_page(events_so_far)``."""
    groups: dict[tuple[str, str, str], _Group] = {}
    days: Counter[str] = Counter()
    ips: Counter[str] = Counter()
    reads = writes = errors = total = 0
    oldest: float | None = None
    newest: float | None = None
    complete = True
    for page in trail.iter_pages(caller, access_key_id=access_key_id, start=start, end=end):
        for event in page.events:
            if limit is not None and total >= limit:
                complete = False
                break
            total += 1
            time = event.event_time
            oldest = time if oldest is None else min(oldest, time)
            newest = time if newest is None else max(newest, time)
            ip = event.source_ip or UNKNOWN
            key = (event.service_name or UNKNOWN, event.event_name, ip)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(time)
            group.count += 1
            group.first = min(group.first, time)
            group.last = max(group.last, time)
            if event.error_code:
                group.errors += 1
                errors += 1
            reads += event.event_rw == "Read"
            writes += event.event_rw == "Write"
            ips[ip] += 1
            days[format_timestamp(time)[:10]] += 1
        if on_page is not None:
            on_page(total)
        if not complete:
            break
    ordered = sorted(groups.items(), key=lambda item: (-item[1].count, item[0]))
    return Audit(
        access_key_id=access_key_id,
        start=format_timestamp(start),
        end=format_timestamp(end),
        events=total,
        reads=reads,
        writes=writes,
        errors=errors,
        first_event=None if oldest is None else format_timestamp(oldest),
        last_event=None if newest is None else format_timestamp(newest),
        groups=tuple(
            EventGroup(
                *key,
                count=group.count,
                errors=group.errors,
                first=format_timestamp(group.first),
                last=format_timestamp(group.last),
            )
            for key, group in ordered
        ),
        source_ips=tuple(Tally(ip, count) for ip, count in ips.most_common()),
        days=tuple(Tally(day, days[day]) for day in sorted(days)),
        complete=complete,
    )


def first_seen(
    trail: ActionTrailClient,
    caller: Credentials,
    access_key_id: str,
    *,
    start: float,
    end: float,
) -> FirstSeen:
    """The earliest event made with ``access_key_id`` after ``start``: one call, one event."""
    page = trail.lookup_events(
        caller,
        access_key_id=access_key_id,
        start=start,
        end=end,
        max_results=1,
        direction="FORWARD",
    )
    span = (access_key_id, format_timestamp(start), format_timestamp(end))
    if not page.events:
        return FirstSeen(*span, time=None)
    event: Event = min(page.events, key=lambda item: item.event_time)
    return FirstSeen(
        *span,
        time=format_timestamp(event.event_time),
        service=event.service_name,
        action=event.event_name,
        source_ip=event.source_ip,
        user_agent=event.user_agent,
        region=event.region,
    )
