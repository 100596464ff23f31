"""ActionTrail 2020-07-06 ``LookupEvents`` in the emulator, through the official
``alibabacloud_actiontrail20200706`` SDK (both signatures): the emulator's own call records as
ActionTrail events, one filter per query, time windows, paging and direction.

Wire format, for client writers: RPC-style POST; the filter goes as
``LookupAttribute.1.Key=EventAccessKeyId&LookupAttribute.1.Value=LTAI...``; ``MaxResults`` is
a string (0-50, default 20); the answer is ``{"Events": [...], "NextToken"?, "StartTime",
"EndTime"}`` with newest events first unless ``Direction=FORWARD``. Synthetic events are loaded
with ``cloud.record_calls(call_record(...) for ...)`` (``akless.emulator.records``).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from alibabacloud_actiontrail20200706 import models as trail_models
from alibabacloud_actiontrail20200706.client import Client as TrailClient
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_ram20150501 import models as ram_models

from akless._time import format_timestamp
from akless.emulator import EmulatorServer
from akless.emulator.cloud import Cloud
from akless.emulator.records import call_record
from tests.emulator.helpers import Key
from tests.emulator.official_clients import (
    SIGNATURES,
    actiontrail,
    fails,
    key_of,
    kms,
    ram,
    seeded_key,
)

pytestmark = pytest.mark.parametrize("signature", SIGNATURES)
LEAKED = "LTAI5tLeakedKey000000000"


def lookup(client: TrailClient, key: str | None = None, value: str = "", **fields: Any) -> Any:
    """One LookupEvents call, with at most one condition."""
    attributes = (
        None
        if key is None
        else [trail_models.LookupEventsRequestLookupAttribute(key=key, value=value)]
    )
    request = trail_models.LookupEventsRequest(lookup_attribute=attributes, **fields)
    return client.lookup_events(request).body


def reader(emulator: EmulatorServer, signature: str | None) -> TrailClient:
    return actiontrail(emulator, seeded_key(emulator), signature)


def record(cloud: Cloud, count: int, *, start: float, step: float = 1.0, **fields: Any) -> None:
    cloud.record_calls(
        call_record(time=start + i * step, **{"action": "DescribeRegions", **fields})
        for i in range(count)
    )


def test_sdk_calls_become_events_that_describe_the_caller(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("alice", policies=["AliyunKMSFullAccess"])
    alice = key_of(cloud.create_access_key("alice"))
    ram(akless_emulator, alice, signature).list_access_keys(ram_models.ListAccessKeysRequest())
    kms(akless_emulator, alice, signature).create_secret(
        kms_models.CreateSecretRequest(secret_name="db", secret_data="hunter2", version_id="v1")
    )

    events = lookup(reader(akless_emulator, signature), "EventAccessKeyId", alice.access_key_id)

    newest, oldest = events.events
    assert (newest["eventName"], oldest["eventName"]) == ("CreateSecret", "ListAccessKeys")
    assert newest["eventRW"] == "Write"
    assert oldest["eventRW"] == "Read"
    assert (newest["serviceName"], oldest["serviceName"]) == ("Kms", "Ram")
    assert newest["requestParameters"]["SecretName"] == "db"
    assert "SecretData" not in newest["requestParameters"]
    assert "hunter2" not in json.dumps(events.events)
    user = cloud.store.get_user("alice")
    assert user is not None
    assert oldest["userIdentity"] == {
        "type": "ram-user",
        "accountId": cloud.account_id,
        "accessKeyId": alice.access_key_id,
        "principalId": user.user_id,
        "userName": "alice",
    }
    assert oldest["eventType"] == "ApiCall"
    assert oldest["sourceIpAddress"] == "127.0.0.1"
    assert events.next_token is None


def test_role_session_events_are_assumed_role_events(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    role = cloud.store.get_role("akless-dev-role")
    assert role is not None
    session = cloud.issue_session(role, "ci-job", source="test", duration=3600)
    key = Key(session.access_key_id, session.secret, session.security_token)
    ram(akless_emulator, key, signature).get_role(
        ram_models.GetRoleRequest(role_name="akless-dev-role")
    )

    (event,) = lookup(reader(akless_emulator, signature), "User", "ci-job").events

    identity = event["userIdentity"]
    assert identity["type"] == "assumed-role"
    assert identity["principalId"] == f"{role.role_id}:ci-job"
    assert identity["userName"] == "ci-job"
    assert identity["accessKeyId"] == session.access_key_id
    assert "SecurityToken" not in event["requestParameters"]


def test_each_filter_key_selects_its_events(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    start = cloud.now() - 3600
    record(cloud, 3, start=start, action="DeleteAccessKey", service="ram", access_key_id=LEAKED)
    record(cloud, 2, start=start + 10, action="GetSecretValue", service="kms")
    client = reader(akless_emulator, signature)

    def count(key: str, value: str) -> int:
        return len(lookup(client, key, value, max_results="50").events)

    assert count("EventAccessKeyId", LEAKED) == 3
    assert count("EventName", "GetSecretValue") == 2
    assert count("ServiceName", "Kms") == 2
    assert count("EventRW", "Write") == 3


def test_only_one_condition_per_query(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    request = trail_models.LookupEventsRequest(
        lookup_attribute=[
            trail_models.LookupEventsRequestLookupAttribute(key="EventName", value="A"),
            trail_models.LookupEventsRequestLookupAttribute(key="ServiceName", value="Ram"),
        ]
    )
    client = reader(akless_emulator, signature)

    error = fails(lambda: client.lookup_events(request), 400, "InvalidParameter.LookupAttribute")

    assert "Only one" in error.data["Message"]
    fails(lambda: lookup(client, "Color", "red"), 400, "InvalidParameter.LookupAttribute")


def test_pages_follow_next_token_without_repeats_even_as_events_arrive(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    start = cloud.now() - 600
    record(cloud, 45, start=start, access_key_id=LEAKED)
    client = reader(akless_emulator, signature)

    first = lookup(client, "EventAccessKeyId", LEAKED)
    record(cloud, 5, start=start + 100.5, access_key_id=LEAKED)  # newer than the first page
    second = lookup(client, "EventAccessKeyId", LEAKED, next_token=first.next_token)
    third = lookup(client, "EventAccessKeyId", LEAKED, next_token=second.next_token)

    pages = [first.events, second.events, third.events]
    assert [len(page) for page in pages] == [20, 20, 5]  # the pages of the first query
    ids = [event["eventId"] for page in pages for event in page]
    assert len(set(ids)) == 45
    times = [event["eventTime"] for page in pages for event in page]
    assert times == sorted(times, reverse=True)  # BACKWARD: newest first
    assert third.next_token is None
    assert len(lookup(client, "EventAccessKeyId", LEAKED, max_results="50").events) == 50


def test_forward_direction_starts_with_the_oldest(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    start = cloud.now() - 600
    record(cloud, 3, start=start, step=60, access_key_id=LEAKED)
    client = reader(akless_emulator, signature)

    events = lookup(client, "EventAccessKeyId", LEAKED, direction="FORWARD", max_results="2")
    rest = lookup(
        client, "EventAccessKeyId", LEAKED, direction="FORWARD", next_token=events.next_token
    )

    times = [event["eventTime"] for event in events.events + rest.events]
    assert times == [format_timestamp(start + i * 60) for i in range(3)]
    fails(  # a token belongs to its direction
        lambda: lookup(client, "EventAccessKeyId", LEAKED, next_token=events.next_token),
        400,
        "InvalidParameter.NextToken",
    )


def test_time_window_defaults_to_the_last_seven_days(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    now = cloud.now()
    record(cloud, 1, start=now - 8 * 86400, access_key_id=LEAKED)
    record(cloud, 1, start=now - 2 * 86400, access_key_id=LEAKED)
    record(cloud, 1, start=now - 3600, access_key_id=LEAKED)
    client = reader(akless_emulator, signature)

    assert len(lookup(client, "EventAccessKeyId", LEAKED).events) == 2
    window = lookup(
        client,
        "EventAccessKeyId",
        LEAKED,
        start_time=format_timestamp(now - 9 * 86400),
        end_time=format_timestamp(now - 86400),
    )
    assert [e["eventTime"] for e in window.events] == [
        format_timestamp(now - 2 * 86400),
        format_timestamp(now - 8 * 86400),
    ]


def test_malformed_parameters_are_refused(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    client = reader(akless_emulator, signature)

    fails(lambda: lookup(client, start_time="yesterday"), 400, "InvalidParameter.StartTime")
    fails(lambda: lookup(client, max_results="51"), 400, "InvalidParameter.MaxResults")
    fails(lambda: lookup(client, direction="SIDEWAYS"), 400, "InvalidParameter.Direction")
    fails(lambda: lookup(client, next_token="not-a-token"), 400, "InvalidParameter.NextToken")


def test_lookup_needs_an_actiontrail_policy(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("dev")
    cloud.create_user("auditor", policies=["AliyunActionTrailReadOnlyAccess"])
    dev = actiontrail(akless_emulator, key_of(cloud.create_access_key("dev")), signature)
    auditor = actiontrail(akless_emulator, key_of(cloud.create_access_key("auditor")), signature)

    fails(lambda: lookup(dev), 403, "Forbidden.NoPermission")
    lookup(auditor)


def test_first_page_of_one_key_among_100k_events_is_fast(
    akless_emulator: EmulatorServer, signature: str | None
) -> None:
    cloud = akless_emulator.cloud
    now = cloud.now()
    cloud.record_calls(
        call_record(
            time=now - 86400 + i * 0.5,
            action="DescribeInstances",
            service="ecs",
            access_key_id=LEAKED if i % 1000 == 0 else f"LTAI5tOther{i % 997:013d}",
        )
        for i in range(100_000)
    )
    client = reader(akless_emulator, signature)

    started = time.perf_counter()
    page = lookup(client, "EventAccessKeyId", LEAKED, max_results="50")
    elapsed = time.perf_counter() - started

    print(f"\nLookupEvents first page over 100,000 events: {elapsed * 1000:.1f} ms")
    assert len(page.events) == 50
    assert page.next_token is not None
    assert elapsed < 5.0
