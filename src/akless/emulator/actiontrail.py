"""ActionTrail 2020-07-06 ``LookupEvents`` over the emulator's own call records (section 8 of
the protocol fact sheet; the events themselves are built in ``events.py``).

* ``StartTime``/``EndTime``: UTC ``YYYY-MM-DDThh:mm:ssZ``, by default the last 7 days; the end
  second is included.
* ``LookupAttribute.1.Key``/``.Value``: ``EventAccessKeyId``, ``EventName``, ``ServiceName``,
  ``User`` (a RAM user's name or a role session's name) or ``EventRW`` (``Read``/``Write``);
  only one condition per query, as in the real service.
* ``MaxResults``: 0 to 50 (0 or absent: 20). ``NextToken``: opaque, answered only while more
  events follow, stable while new calls are recorded; the rest of the query must stay the same.
* ``Direction``: ``BACKWARD`` (newest first, the default) or ``FORWARD``.

Errors (emulator choices): malformed parameters ``InvalidParameter.<Name>`` (400), a second
lookup condition ``InvalidParameter.LookupAttribute`` (400), no permission
``Forbidden.NoPermission`` (403, as KMS).
"""

from __future__ import annotations

import re
from typing import Any

from akless._time import format_timestamp, parse_timestamp
from akless.emulator import events, permissions
from akless.emulator.errors import invalid
from akless.emulator.events import Direction, Lookup
from akless.emulator.services import ActionContext, Service

VERSION = "2020-07-06"
DEFAULT_WINDOW = 7 * 86400
DEFAULT_RESULTS = 20
MAX_RESULTS = 50
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_ATTRIBUTE = re.compile(r"LookupAttribute\.([0-9]{1,3})\.(Key|Value)")


def _time(ctx: ActionContext, name: str) -> float | None:
    text = ctx.optional(name)
    if text is None:
        return None
    try:
        if not _TIMESTAMP.fullmatch(text):
            raise ValueError(text)
        return parse_timestamp(text)
    except ValueError:
        raise invalid(name, f"The parameter {name} must be UTC YYYY-MM-DDThh:mm:ssZ.") from None


def _condition(ctx: ActionContext) -> tuple[str | None, str | None]:
    numbered: dict[str, dict[str, str]] = {}
    for name, text in ctx.request.params.items():
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            numbered.setdefault(match.group(1), {})[match.group(2)] = text
    if not numbered:
        return None, None
    if len(numbered) > 1:
        raise invalid("LookupAttribute", "Only one LookupAttribute condition is allowed per query.")
    (pair,) = numbered.values()
    key, value = pair.get("Key"), pair.get("Value")
    if key not in events.FILTER_KEYS:
        raise invalid(
            "LookupAttribute",
            f"LookupAttribute Key must be one of {', '.join(events.FILTER_KEYS)}.",
        )
    if not value:
        raise invalid("LookupAttribute", "LookupAttribute Value must not be empty.")
    if key == "EventRW" and value not in ("Read", "Write"):
        raise invalid("LookupAttribute", "EventRW must be Read or Write.")
    return key, value


def _limit(ctx: ActionContext) -> int:
    text = ctx.request.params.get("MaxResults")
    if text is None or text == "":
        return DEFAULT_RESULTS
    if not text.isascii() or not text.isdigit() or int(text) > MAX_RESULTS:
        raise invalid("MaxResults", f"The parameter MaxResults must be 0 to {MAX_RESULTS}.")
    return int(text) or DEFAULT_RESULTS


def _direction(ctx: ActionContext) -> Direction:
    text = ctx.optional("Direction") or "BACKWARD"
    if text == "FORWARD":
        return "FORWARD"
    if text == "BACKWARD":
        return "BACKWARD"
    raise invalid("Direction", "The parameter Direction must be FORWARD or BACKWARD.")


def lookup_events(ctx: ActionContext) -> dict[str, Any]:
    """One page of events, newest first unless ``Direction=FORWARD``."""
    permissions.require(
        ctx.cloud.store, ctx.caller, "actiontrail:LookupEvents", code="Forbidden.NoPermission"
    )
    end = _time(ctx, "EndTime")
    start = _time(ctx, "StartTime")
    end_exclusive = ctx.now if end is None else end + 1
    start = end_exclusive - DEFAULT_WINDOW if start is None else start
    if start >= end_exclusive:
        raise invalid("StartTime", "StartTime must be before EndTime.")
    key, value = _condition(ctx)
    direction = _direction(ctx)
    after = None
    token = ctx.optional("NextToken")
    if token is not None:
        try:
            after, token_direction = events.decode_token(token)
        except (ValueError, TypeError):
            raise invalid("NextToken", "The parameter NextToken is not valid.") from None
        if token_direction != direction:
            raise invalid("NextToken", "NextToken belongs to a query in the other direction.")
    lookup = Lookup(start, end_exclusive, key, value, direction, after, _limit(ctx))
    store, account = ctx.cloud.store, ctx.cloud.account_id
    rows, more = events.page(store, lookup, account)
    names = events.principal_ids(store, rows)
    region = ctx.cloud.identity.region_id
    body: dict[str, Any] = {
        "StartTime": format_timestamp(start),
        "EndTime": format_timestamp(end_exclusive - 1 if end is not None else end_exclusive),
        "Events": [events.event(row, account, region, names) for row in rows],
    }
    if more and rows:
        last = rows[-1]
        body["NextToken"] = events.encode_token((last["time"], last["id"]), direction)
    return body


SERVICE = Service(
    name="actiontrail",
    product="Actiontrail",
    version=VERSION,
    actions={"LookupEvents": lookup_events},
)
