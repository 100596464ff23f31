"""ActionTrail events from the emulator's call records: one page of a lookup, and the event
object (section 8 of the protocol fact sheet) each record becomes.

Pages are keyset pages over ``(time, id)``, so a page token stays valid, and pages neither
repeat nor skip events, while new calls are recorded. Every filter has an index behind it
(``records.py``), so the first page costs a bounded number of rows however many calls exist.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from akless._time import format_timestamp
from akless.emulator.principals import user_arn
from akless.emulator.store import Store, call_from_row

Direction = Literal["FORWARD", "BACKWARD"]
READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Query", "Check", "Search")
FILTER_KEYS = ("EventAccessKeyId", "EventName", "ServiceName", "User", "EventRW")
_EVENT_NAMESPACE = uuid.UUID("6d1f6b2e-4a53-4c8e-9a53-61c1f0a9e0a1")
_IDENTITY_TYPES = {
    "RAMUser": "ram-user",
    "AssumedRoleUser": "assumed-role",
    "RootAccount": "root-account",
}
_PRODUCTS = {"sts": "Sts", "ram": "Ram", "kms": "Kms", "actiontrail": "Actiontrail"}


@dataclass(frozen=True)
class Lookup:
    """One page request: a time window, at most one filter, a direction, a page position."""

    start: float
    end: float
    """Exclusive."""
    key: str | None = None
    value: str | None = None
    direction: Direction = "BACKWARD"
    after: tuple[float, int] | None = None
    """``(time, id)`` of the last event of the previous page."""
    limit: int = 20


def event_rw(action: str) -> str:
    """``Read`` for actions that only look (``Get*``, ``List*``...), else ``Write``."""
    return "Read" if action.startswith(READ_PREFIXES) else "Write"


def event_id(account_id: str, row_id: int) -> str:
    """A stable event ID for a call record."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{account_id}:{row_id}"))


def _filter(lookup: Lookup, account_id: str) -> tuple[str, list[Any]]:
    value = lookup.value or ""
    if lookup.key == "EventAccessKeyId":
        return "access_key_id = ?", [value]
    if lookup.key == "EventName":
        return "action = ?", [value]
    if lookup.key == "ServiceName":
        return "service = ?", [value.lower()]
    if lookup.key == "User":
        # A RAM user by name, or a role session by its session name.
        return (
            "(principal_arn = ? OR (identity_type = 'AssumedRoleUser' "
            "AND substr(principal_arn, -length(?) - 1) = ?))",
            [user_arn(account_id, value), value, "/" + value],
        )
    if lookup.key == "EventRW":
        reads = " OR ".join("action GLOB ?" for _ in READ_PREFIXES)
        patterns = [f"{prefix}*" for prefix in READ_PREFIXES]
        return (f"({reads})" if value == "Read" else f"NOT ({reads})"), patterns
    return "1", []


def page(store: Store, lookup: Lookup, account_id: str) -> tuple[list[sqlite3.Row], bool]:
    """The rows of one page, and whether more follow."""
    condition, args = _filter(lookup, account_id)
    backward = lookup.direction == "BACKWARD"
    order = "DESC" if backward else "ASC"
    where = [condition, "time >= ?", "time < ?"]
    args += [lookup.start, lookup.end]
    if lookup.after is not None:
        where.append("(time, id) < (?, ?)" if backward else "(time, id) > (?, ?)")
        args += list(lookup.after)
    sql = (
        f"SELECT * FROM calls WHERE {' AND '.join(where)} "  # noqa: S608 - fixed fragments
        f"ORDER BY time {order}, id {order} LIMIT ?"
    )
    rows = store.query_all(sql, [*args, lookup.limit + 1])
    return rows[: lookup.limit], len(rows) > lookup.limit


def _identity(record: Any, account_id: str, names: Mapping[str, str]) -> dict[str, Any]:
    key = record.access_key_id or ""
    kind = record.identity_type or ("AssumedRoleUser" if key.startswith("STS.") else "RAMUser")
    identity: dict[str, Any] = {
        "type": _IDENTITY_TYPES.get(kind, kind),
        "accountId": account_id,
        "accessKeyId": key,
    }
    arn = record.principal_arn or ""
    if "/" in arn:
        identity["principalId"] = names.get(arn, "")
        identity["userName"] = arn.rsplit("/", 1)[1]
    if kind == "AssumedRoleUser":
        identity["sessionContext"] = {
            "attributes": {
                "creationDate": format_timestamp(record.time),
                "mfaAuthenticated": "false",
            }
        }
    return identity


def principal_ids(store: Store, rows: list[sqlite3.Row]) -> dict[str, str]:
    """``principal_arn -> principalId`` for the rows of a page (users and role sessions)."""
    found: dict[str, str] = {}
    for arn in {row["principal_arn"] for row in rows if row["principal_arn"]}:
        kind, _, rest = arn.split(":", 4)[-1].partition("/")  # acs:ram::<account>:<kind>/<rest>
        if kind == "user":
            hit = store.query_one("SELECT user_id FROM users WHERE name = ?", (rest,))
            found[arn] = "" if hit is None else str(hit[0])
        elif kind == "assumed-role":
            role, _, session = rest.partition("/")
            hit = store.query_one("SELECT role_id FROM roles WHERE name = ?", (role,))
            found[arn] = f"{'' if hit is None else hit[0]}:{session}"
    return found


def event(
    row: sqlite3.Row, account_id: str, region: str, names: Mapping[str, str]
) -> dict[str, Any]:
    """The ActionTrail event object of one call record."""
    record = call_from_row(row)
    product = _PRODUCTS.get(record.service, record.service.capitalize())
    body: dict[str, Any] = {
        "eventId": event_id(account_id, row["id"]),
        "eventName": record.action,
        "eventTime": format_timestamp(record.time),
        "eventType": "ApiCall",
        "eventRW": event_rw(record.action),
        "eventSource": f"{record.service}.aliyuncs.com",
        "eventVersion": "1",
        "eventCategory": "Management",
        "acsRegion": region,
        "serviceName": product,
        "apiVersion": record.version,
        "requestId": record.request_id,
        "requestParameters": dict(record.params),
        "sourceIpAddress": record.source_ip,
        "userAgent": record.user_agent,
        "additionalEventData": {},
        "userIdentity": _identity(record, account_id, names),
    }
    if record.error_code is not None:
        body["errorCode"] = record.error_code
        body["errorMessage"] = record.error_message or ""
    return body


def encode_token(position: tuple[float, int], direction: Direction) -> str:
    """An opaque page token."""
    return json.dumps([position[0], position[1], direction]).encode().hex()


def decode_token(token: str) -> tuple[tuple[float, int], Direction]:
    """The position and direction a page token holds; ``ValueError`` if it is not one."""
    time, row_id, direction = json.loads(bytes.fromhex(token))
    if direction not in ("FORWARD", "BACKWARD") or not isinstance(row_id, int):
        raise ValueError(token)
    return (float(time), row_id), direction
