"""``ActionTrailClient`` against a scripted service: the LookupEvents wire format (the flattened
``LookupAttribute.1.*`` condition, UTC times), tolerant event parsing, and paging."""

from __future__ import annotations

import json
from typing import Any

import pytest

from akless.actiontrail import (
    ActionTrailClient,
    Event,
    EventPage,
    resolve_actiontrail_endpoint,
)
from akless.errors import ConfigurationError, MalformedResponse, ServiceError
from tests.conftest import DEAD_ENDPOINT
from tests.library.fake_api import CALLER, PLANTED_SECRET, FakeApi, error

FULL_EVENT = {
    "eventId": "E-1",
    "eventName": "GetCallerIdentity",
    "eventTime": "2024-01-01T12:00:00Z",
    "eventType": "ApiCall",
    "eventRW": "Read",
    "eventSource": "sts.aliyuncs.com",
    "eventVersion": "1",
    "eventCategory": "Management",
    "acsRegion": "cn-hangzhou",
    "serviceName": "Sts",
    "apiVersion": "2015-04-01",
    "requestId": "REQ-9",
    "requestParameters": {"Action": "GetCallerIdentity"},
    "sourceIpAddress": "203.0.113.7",
    "userAgent": "aliyun-cli/3",
    "errorCode": "NoPermission",
    "errorMessage": "denied",
    "userIdentity": {
        "type": "ram-user",
        "principalId": "2012345678901234",
        "accountId": 1234567890123456,
        "accessKeyId": "LTAI5tLeakedKeyId000001",
        "userName": "alice",
        "sessionContext": {"attributes": {"mfaAuthenticated": "false"}},
    },
}


def client(**answers: Any) -> tuple[ActionTrailClient, FakeApi]:
    api = FakeApi(answers)
    return ActionTrailClient("http://actiontrail.test", transport=api.transport), api


def test_lookup_by_access_key_sends_the_flattened_condition_and_utc_times() -> None:
    trail, api = client(LookupEvents={"RequestId": "R", "Events": []})

    page = trail.lookup_events(
        CALLER,
        access_key_id="LTAI5tLeakedKeyId000001",
        start=1704067200.0,
        end=1704153600.5,
        max_results=20,
        next_token="tok-2",
        direction="FORWARD",
    )

    assert page == EventPage(events=(), next_token=None)
    assert api.last.action == "LookupEvents"
    assert api.last.params == {
        "LookupAttribute.1.Key": "EventAccessKeyId",
        "LookupAttribute.1.Value": "LTAI5tLeakedKeyId000001",
        "StartTime": "2024-01-01T00:00:00Z",
        "EndTime": "2024-01-02T00:00:00Z",
        "MaxResults": "20",
        "NextToken": "tok-2",
        "Direction": "FORWARD",
    }


def test_without_conditions_only_the_defaults_are_sent() -> None:
    trail, api = client(LookupEvents={"Events": []})

    trail.lookup_events(CALLER)

    assert api.last.params == {"MaxResults": "50", "Direction": "BACKWARD"}


def test_every_field_of_an_event_is_read() -> None:
    trail, _ = client(LookupEvents={"Events": [FULL_EVENT], "NextToken": "tok-2"})

    page = trail.lookup_events(CALLER)

    assert page.next_token == "tok-2"
    assert page.events == (
        Event(
            event_id="E-1",
            event_name="GetCallerIdentity",
            event_time=1704110400.0,
            service_name="Sts",
            event_rw="Read",
            source_ip="203.0.113.7",
            user_agent="aliyun-cli/3",
            access_key_id="LTAI5tLeakedKeyId000001",
            user_type="ram-user",
            user_name="alice",
            principal_id="2012345678901234",
            account_id="1234567890123456",
            error_code="NoPermission",
            request_id="REQ-9",
            region="cn-hangzhou",
        ),
    )


def test_an_event_with_only_its_identity_and_time_is_read_with_the_rest_none() -> None:
    minimal = {"eventId": "E-2", "eventName": "ConsoleSignin", "eventTime": "2024-01-01T00:00:00Z"}
    trail, _ = client(LookupEvents={"Events": [minimal], "NextToken": ""})

    page = trail.lookup_events(CALLER)

    assert page.next_token is None
    assert page.events == (Event("E-2", "ConsoleSignin", 1704067200.0),)


def test_fractional_seconds_and_json_string_events_are_accepted() -> None:
    as_text = json.dumps({**FULL_EVENT, "eventTime": "2024-01-01T12:00:00.250Z"})
    trail, _ = client(LookupEvents={"Events": [as_text]})

    (event,) = trail.lookup_events(CALLER).events

    assert event.event_time == 1704110400.0
    assert event.user_name == "alice"


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([{**FULL_EVENT, "eventTime": "yesterday"}], "Events[0].eventTime"),
        (
            [FULL_EVENT, {k: v for k, v in FULL_EVENT.items() if k != "eventId"}],
            "Events[1].eventId",
        ),
        ([FULL_EVENT, "not json"], "Events[1]"),
        ([{**FULL_EVENT, "userIdentity": "alice"}], "Events[0].userIdentity"),
        ({"eventId": "E-1"}, "Events"),
    ],
)
def test_a_malformed_event_names_the_field(events: Any, field: str) -> None:
    trail, _ = client(LookupEvents={"Events": events})

    with pytest.raises(MalformedResponse) as caught:
        trail.lookup_events(CALLER)

    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "source"),
    [
        ({"max_results": 51}, "max_results"),
        ({"max_results": -1}, "max_results"),
        ({"direction": "forward"}, "direction"),
    ],
)
def test_invalid_arguments_are_refused_before_any_call(
    arguments: dict[str, Any], source: str
) -> None:
    trail, api = client()

    with pytest.raises(ConfigurationError) as caught:
        trail.lookup_events(CALLER, **arguments)

    assert caught.value.source == source
    assert api.calls == []


def test_missing_permission_is_the_service_error() -> None:
    trail, _ = client(LookupEvents=error(403, "NoPermission", "not allowed"))

    with pytest.raises(ServiceError) as caught:
        trail.lookup_events(CALLER)

    assert caught.value.code == "NoPermission"
    assert PLANTED_SECRET not in str(caught.value)


# --- paging ---------------------------------------------------------------------------------


def event(number: int) -> dict[str, Any]:
    return {**FULL_EVENT, "eventId": f"E-{number}"}


def test_iter_events_follows_next_token_with_the_same_conditions() -> None:
    pages = {
        None: {"Events": [event(1), event(2)], "NextToken": "p2"},
        "p2": {"Events": [], "NextToken": "p3"},  # an empty page that is not the last
        "p3": {"Events": [event(3)]},
    }
    trail, api = client(LookupEvents=lambda params: pages[params.get("NextToken")])

    events = list(
        trail.iter_events(CALLER, access_key_id="LTAI5tLeakedKeyId000001", start=0.0, end=60.0)
    )

    assert [found.event_id for found in events] == ["E-1", "E-2", "E-3"]
    assert [call.params.get("NextToken") for call in api.calls] == [None, "p2", "p3"]
    for call in api.calls:
        assert call.params["LookupAttribute.1.Value"] == "LTAI5tLeakedKeyId000001"
        assert call.params["StartTime"] == "1970-01-01T00:00:00Z"


def test_iter_events_fetches_a_page_only_when_the_previous_one_is_used_up() -> None:
    pages = {None: {"Events": [event(1)], "NextToken": "p2"}, "p2": {"Events": [event(2)]}}
    trail, api = client(LookupEvents=lambda params: pages[params.get("NextToken")])

    events = trail.iter_events(CALLER)
    assert next(events).event_id == "E-1"

    assert len(api.calls) == 1


def test_a_token_given_twice_ends_paging_with_an_error_instead_of_looping() -> None:
    trail, _ = client(LookupEvents={"Events": [event(1)], "NextToken": "same"})

    with pytest.raises(MalformedResponse) as caught:
        list(trail.iter_events(CALLER))

    assert caught.value.field == "NextToken"


# --- the endpoint ---------------------------------------------------------------------------


def test_the_endpoint_is_explicit_then_the_variable_then_the_region() -> None:
    environ = {"ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT": "http://127.0.0.1:8080"}

    assert resolve_actiontrail_endpoint(environ=environ) == "http://127.0.0.1:8080"
    assert resolve_actiontrail_endpoint("trail.test", environ=environ) == "https://trail.test"
    assert resolve_actiontrail_endpoint(region_id="ap-southeast-1", environ={}) == (
        "https://actiontrail.ap-southeast-1.aliyuncs.com"
    )
    assert (
        resolve_actiontrail_endpoint(environ={}) == "https://actiontrail.cn-hangzhou.aliyuncs.com"
    )


def test_without_arguments_the_endpoint_comes_from_os_environ() -> None:
    assert ActionTrailClient().endpoint == DEAD_ENDPOINT  # pinned by tests/conftest.py
