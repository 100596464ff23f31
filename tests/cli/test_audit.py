"""``akless audit KEY_ID`` over the emulator's ActionTrail: events grouped by service, action,
source IP and day, as a table or JSON; ``--first-seen``; bad times; and 100,000 events with the
first page in well under a second."""

from __future__ import annotations

import json
import time

import pytest

from akless.actiontrail import ActionTrailClient
from akless.audit import audit_key, first_seen
from akless.cli.main import EXIT_OK, EXIT_USAGE
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.emulator.records import call_record
from akless.errors import MalformedResponse
from tests.cli.conftest import Akless
from tests.cli.leak_response import assert_no_secret, one_line_error, profile_env
from tests.library.fake_api import CALLER, FakeApi
from tests.library.test_actiontrail_client import FULL_EVENT

LEAKED = "LTAI5tLeakedKey00000001"
DAY = 86400


def record(emulator: EmulatorServer, *calls: tuple[float, str, str, str, str | None]) -> None:
    """Calls made with the leaked key: (seconds ago, service, action, source IP, error)."""
    now = emulator.cloud.now()
    emulator.cloud.record_calls(
        call_record(time=now - ago, service=service, action=action, source_ip=ip,
                    access_key_id=LEAKED, error_code=error, status=403 if error else 200)
        for ago, service, action, ip, error in calls
    )  # fmt: skip


def test_events_are_grouped_by_service_action_and_source_ip(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    record(
        akless_emulator,
        (3 * DAY, "ecs", "DescribeInstances", "203.0.113.9", None),
        (2 * DAY, "ecs", "DescribeInstances", "203.0.113.9", None),
        (1 * DAY, "ram", "CreateUser", "203.0.113.9", "NoPermission"),
        (3600, "ecs", "DescribeInstances", "198.51.100.4", None),
        (10 * DAY, "ecs", "DeleteInstance", "203.0.113.9", None),  # before --since
    )

    outcome = akless("audit", LEAKED, "--since", "7d", "-o", "json",
                     env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_OK, outcome.err
    result = json.loads(outcome.out)
    assert (result["events"], result["errors"], result["writes"]) == (4, 1, 1)
    groups = [(g["service"], g["action"], g["source_ip"], g["count"]) for g in result["groups"]]
    assert groups[0] == ("Ecs", "DescribeInstances", "203.0.113.9", 2)  # as ActionTrail names it
    assert ("Ram", "CreateUser", "203.0.113.9", 1) in groups
    assert ("Ecs", "DescribeInstances", "198.51.100.4", 1) in groups
    assert [ip["name"] for ip in result["source_ips"]] == ["203.0.113.9", "198.51.100.4"]
    assert sum(day["count"] for day in result["days"]) == 4
    assert result["complete"] is True


def test_the_text_view_is_a_summary_and_a_table(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    record(akless_emulator, (60, "ecs", "DescribeInstances", "203.0.113.9", None))

    outcome = akless("audit", LEAKED, env=profile_env(akless_emulator))

    assert outcome.code == EXIT_OK, outcome.err
    assert "SERVICE" in outcome.out
    assert "DescribeInstances" in outcome.out
    assert "203.0.113.9 (1)" in outcome.out
    assert_no_secret(outcome, akless_emulator.cloud.identity.access_key_secret)


def test_first_seen_answers_since_when(akless: Akless, akless_emulator: EmulatorServer) -> None:
    record(
        akless_emulator,
        (40 * DAY, "oss", "GetObject", "192.0.2.1", None),
        (5 * DAY, "ecs", "DescribeInstances", "203.0.113.9", None),
    )
    environ = profile_env(akless_emulator)

    default = akless("audit", LEAKED, "--first-seen", "-o", "json", env=environ)
    recent = akless("audit", LEAKED, "--first-seen", "--since", "7d", "-o", "json", env=environ)

    assert default.code == recent.code == EXIT_OK
    assert json.loads(default.out)["action"] == "GetObject"  # 90 days back by default
    assert json.loads(default.out)["source_ip"] == "192.0.2.1"
    assert json.loads(recent.out)["action"] == "DescribeInstances"


def test_a_key_without_events(akless: Akless, akless_emulator: EmulatorServer) -> None:
    environ = profile_env(akless_emulator)

    audited = akless("audit", LEAKED, env=environ)
    seen = akless("audit", LEAKED, "--first-seen", env=environ)

    assert audited.code == seen.code == EXIT_OK
    assert "no event" in seen.out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "last tuesday"], "neither a time"),
        (["--since", "1d", "--until", "7d"], "before --until"),
    ],
)
def test_bad_times_are_usage_errors(
    options: list[str], message: str, akless: Akless, akless_emulator: EmulatorServer
) -> None:
    outcome = akless("audit", LEAKED, *options, env=profile_env(akless_emulator))

    assert outcome.code == EXIT_USAGE
    assert message in one_line_error(outcome)


def test_100k_events_first_page_and_first_seen_are_fast(akless_emulator: EmulatorServer) -> None:
    cloud = akless_emulator.cloud
    now = cloud.now()
    cloud.record_calls(
        call_record(time=now - 5 * DAY + index * 4, action="DescribeInstances", service="ecs",
                    access_key_id=LEAKED, source_ip=f"203.0.113.{index % 7}")
        for index in range(100_000)
    )  # fmt: skip
    trail = ActionTrailClient(akless_emulator.endpoint)
    caller = Credentials(cloud.identity.access_key_id, cloud.identity.access_key_secret)
    pages: list[float] = []
    started = time.perf_counter()

    def page_read(count: int) -> None:
        pages.append(time.perf_counter() - started)

    limited = audit_key(trail, caller, LEAKED, start=now - 7 * DAY, end=now, limit=5000,
                        on_page=page_read)  # fmt: skip
    earliest_started = time.perf_counter()
    earliest = first_seen(trail, caller, LEAKED, start=now - 7 * DAY, end=now)
    earliest_took = time.perf_counter() - earliest_started

    assert pages[0] < 0.5  # the first page, over 100,000 recorded events
    assert limited.events == 5000
    assert limited.complete is False
    assert earliest.time is not None
    assert earliest_took < 0.5


def test_a_service_that_repeats_its_next_token_ends_the_audit_instead_of_looping() -> None:
    page = {"Events": [{**FULL_EVENT, "eventId": "E-1"}], "NextToken": "same"}
    api = FakeApi({"LookupEvents": page})
    trail = ActionTrailClient("http://actiontrail.test", transport=api.transport)

    with pytest.raises(MalformedResponse, match="NextToken it had already given"):
        audit_key(trail, CALLER, LEAKED, start=0.0, end=60.0)

    assert len(api.calls) == 2
