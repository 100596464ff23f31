"""ActionTrail client (2020-07-06): look up the events recorded for an account, such as every
call made with one AccessKey.

The endpoint is explicit, else ``ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT``, else
``actiontrail.<region>.aliyuncs.com`` with the region given, else ``ALIBABA_CLOUD_REGION_ID``,
else ``cn-hangzhou``; a full URL such as the emulator's ``http://127.0.0.1:8080`` is accepted.

``LookupEvents`` takes one condition, sent flattened as ``LookupAttribute.1.Key`` /
``LookupAttribute.1.Value``; the AccessKey condition's key is ``EventAccessKeyId``. Pages are
chained by ``NextToken``, which the service gives only while more events remain. Events are
read tolerantly: unknown fields are ignored and optional ones missing are ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from akless import _env
from akless._api_fields import Answer, RegionalServiceClient
from akless._parsing import parse_json
from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse

ACTIONTRAIL_VERSION = "2020-07-06"
ACCESS_KEY_ATTRIBUTE = "EventAccessKeyId"
MAX_RESULTS = 50
DIRECTIONS = ("BACKWARD", "FORWARD")


@dataclass(frozen=True)
class Event:
    """One recorded event: who did what, when, from where."""

    event_id: str
    event_name: str
    """The action (``GetCallerIdentity``) or console event (``ConsoleSignin``)."""
    event_time: float
    """Seconds since the epoch."""
    service_name: str | None = None
    event_rw: str | None = None
    """``Read`` or ``Write``."""
    source_ip: str | None = None
    user_agent: str | None = None
    access_key_id: str | None = None
    user_type: str | None = None
    """The caller's kind: ``ram-user``, ``assumed-role``, ``root-account``..."""
    user_name: str | None = None
    principal_id: str | None = None
    account_id: str | None = None
    error_code: str | None = None
    request_id: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of events; ``next_token`` asks for the next one (``None``: this was the last)."""

    events: tuple[Event, ...]
    next_token: str | None = None


class ActionTrailClient(RegionalServiceClient):
    """A client of one ActionTrail endpoint: ``ActionTrailClient(endpoint=None, *,
    region_id=None, transport=None, clock=..., timeout=API_TIMEOUT, environ=None)``."""

    service = "actiontrail"
    version = ACTIONTRAIL_VERSION
    variable = _env.ACTIONTRAIL_ENDPOINT

    def lookup_events(
        self,
        credentials: Credentials,
        *,
        access_key_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        max_results: int = MAX_RESULTS,
        next_token: str | None = None,
        direction: str = "BACKWARD",
    ) -> EventPage:
        """One page of events between ``start`` and ``end`` (seconds since the epoch; the
        service's defaults are the last 7 days), only those made with ``access_key_id`` when
        given, newest first unless ``direction`` is ``FORWARD``."""
        if not 0 <= max_results <= MAX_RESULTS:
            raise ConfigurationError(
                f"max_results must be 0 to {MAX_RESULTS}, not {max_results}", source="max_results"
            )
        if direction not in DIRECTIONS:
            raise ConfigurationError(
                f"direction is BACKWARD or FORWARD, not {direction!r}", source="direction"
            )
        params = {"MaxResults": str(max_results), "Direction": direction}
        if access_key_id:
            params["LookupAttribute.1.Key"] = ACCESS_KEY_ATTRIBUTE
            params["LookupAttribute.1.Value"] = access_key_id
        if start is not None:
            params["StartTime"] = format_timestamp(start)
        if end is not None:
            params["EndTime"] = format_timestamp(end)
        if next_token:
            params["NextToken"] = next_token
        answer = self._call("LookupEvents", params, credentials)
        return EventPage(
            events=tuple(
                _event(answer, index, raw) for index, raw in enumerate(answer.items("Events"))
            ),
            next_token=answer.optional_text("NextToken"),
        )

    def iter_pages(
        self,
        credentials: Credentials,
        *,
        access_key_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        max_results: int = MAX_RESULTS,
        direction: str = "BACKWARD",
    ) -> Iterator[EventPage]:
        """Every page ``lookup_events`` chains by ``NextToken``, each fetched only when the one
        before is used up; a token handed back twice is ``MalformedResponse``, not a loop."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = self.lookup_events(
                credentials,
                access_key_id=access_key_id,
                start=start,
                end=end,
                max_results=max_results,
                next_token=token,
                direction=direction,
            )
            yield page
            token = page.next_token
            if token is None:
                return
            if token in seen:  # a service that hands back a token twice would loop forever
                raise MalformedResponse(
                    f"LookupEvents at {self.endpoint} answered a NextToken it had already given",
                    endpoint=self.endpoint,
                    field="NextToken",
                )
            seen.add(token)

    def iter_events(
        self,
        credentials: Credentials,
        *,
        access_key_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        max_results: int = MAX_RESULTS,
        direction: str = "BACKWARD",
    ) -> Iterator[Event]:
        """Every event ``lookup_events`` would page through, one page fetched at a time."""
        for page in self.iter_pages(
            credentials,
            access_key_id=access_key_id,
            start=start,
            end=end,
            max_results=max_results,
            direction=direction,
        ):
            yield from page.events


def _event(answer: Answer, index: int, raw: object) -> Event:
    where = f"Events[{index}]"
    if isinstance(raw, str):  # some records come as a JSON document in a string
        parsed = parse_json(raw)
        raw = parsed.value
    if not isinstance(raw, dict):
        raise answer.malformed(where, "is not an event object")
    event = Answer(raw, action=answer.action, endpoint=answer.endpoint, within=f"{where}.")
    user = event.optional_child("userIdentity") or Answer(
        {}, action=answer.action, endpoint=answer.endpoint
    )
    return Event(
        event_id=event.text("eventId"),
        event_name=event.text("eventName"),
        event_time=event.timestamp("eventTime", fraction=True),
        service_name=event.optional_text("serviceName"),
        event_rw=event.optional_text("eventRW"),
        source_ip=event.optional_text("sourceIpAddress"),
        user_agent=event.optional_text("userAgent"),
        access_key_id=user.optional_text("accessKeyId"),
        user_type=user.optional_text("type"),
        user_name=user.optional_text("userName"),
        principal_id=user.optional_text("principalId"),
        account_id=user.optional_text("accountId"),
        error_code=event.optional_text("errorCode"),
        request_id=event.optional_text("requestId"),
        region=event.optional_text("acsRegion"),
    )


resolve_actiontrail_endpoint = ActionTrailClient.resolve_endpoint
"""The ActionTrail base URL: explicit, ``ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT``, else the
region's."""
