"""``KmsRamSecretProvider`` against a scripted KMS: the refresh schedule a secret announces, the
rate-limited refetch ``report_auth_failure`` asks for, and errors that name the secret but
never show a key. (``test_kms_ram_secret_emulator.py`` runs it against the emulator.)"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from typing import Any

import pytest

from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsUnavailable, ServiceError
from akless.providers.kms_ram_secret import (
    DEFAULT_ROTATION_INTERVAL,
    REPORT_BURST,
    REPORT_REFILL,
    KmsRamSecretProvider,
    TokenBucket,
)
from akless.providers.static import StaticAKProvider
from tests.library.fake_api import CALLER, PLANTED_SECRET, FakeApi, error

START = 1_700_000_000.0
DAY = 86400.0


class Clocks:
    """Wall and monotonic time that only move when told."""

    def __init__(self) -> None:
        self.now = START
        self.mono = 1000.0

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds


def key_secret(number: int) -> str:
    return f"kms-held-secret-{number}-Vb7q"


class FakeKms:
    """A KMS holding one RAM secret whose key ``rotate()`` replaces."""

    def __init__(self, clocks: Clocks, **schedule: Any) -> None:
        self.clocks = clocks
        self.number = 1
        self.schedule: dict[str, Any] = {
            "RotationInterval": "604800s",
            "NextRotationDate": "2023-11-17T22:13:20Z",  # START + 3 days
            "AutomaticRotation": "Enabled",
            **schedule,
        }
        self.failure: tuple[int, dict[str, Any]] | None = None
        self.api = FakeApi({"GetSecretValue": self._answer})

    @property
    def fetches(self) -> int:
        return len(self.api.calls)

    def key_id(self, number: int | None = None) -> str:
        return f"LTAI5tKmsHeldKey{number or self.number:08d}"

    def rotate(self) -> None:
        self.number += 1

    def _answer(self, params: dict[str, str]) -> Any:
        if self.failure is not None:
            return self.failure
        data = {
            "AccessKeyId": self.key_id(),
            "AccessKeySecret": key_secret(self.number),
            "GenerateTimestamp": "2023-11-14T22:13:20Z",
        }
        return {
            "SecretName": params["SecretName"],
            "SecretType": "RAMCredentials",
            "SecretData": json.dumps(data),
            "VersionId": f"v{self.number}",
            "VersionStages": {"VersionStage": ["ACSCurrent"]},
            **{key: value for key, value in self.schedule.items() if value is not None},
        }


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def kms(clocks: Clocks) -> FakeKms:
    return FakeKms(clocks)


def provider_for(kms: FakeKms, *, jitter: float = 0.0, **options: Any) -> KmsRamSecretProvider:
    settings: dict[str, Any] = {
        "source": StaticAKProvider(CALLER.access_key_id, CALLER.access_key_secret),
        "kms_endpoint": "http://kms.test",
        "transport": kms.api.transport,
        "clock": kms.clocks.wall,
        "monotonic": kms.clocks.monotonic,
        "rng": lambda: jitter,
        **options,
    }
    return KmsRamSecretProvider("app-ak", **settings)


# --- fetching -------------------------------------------------------------------------------


def test_the_secrets_key_is_fetched_with_the_source_credentials(kms: FakeKms) -> None:
    provider = provider_for(kms)

    credentials = provider.get_credentials()

    assert credentials == Credentials(kms.key_id(1), key_secret(1), provider_name="kms_ram_secret")
    assert kms.api.last.params == {"SecretName": "app-ak", "VersionStage": "ACSCurrent"}
    authorization = kms.api.transport.requests[-1].headers["authorization"]
    assert f"Credential={CALLER.access_key_id}," in authorization
    assert provider.name == provider.get_provider_name() == "kms_ram_secret"
    assert provider.secret is not None
    assert provider.secret.version_id == "v1"


def test_the_key_is_served_from_memory_between_fetches(kms: FakeKms, clocks: Clocks) -> None:
    provider = provider_for(kms)

    first = provider.get_credentials()
    clocks.advance(3600)

    assert provider.get_credentials() is first
    assert kms.fetches == 1


def test_the_key_is_fetched_again_a_few_minutes_after_the_next_rotation(
    kms: FakeKms, clocks: Clocks
) -> None:
    provider = provider_for(kms)
    provider.get_credentials()
    kms.rotate()

    clocks.advance(3 * DAY + 299)
    assert provider.get_credentials().access_key_id == kms.key_id(1)
    clocks.advance(1)
    assert provider.get_credentials().access_key_id == kms.key_id(2)
    assert kms.fetches == 2


@pytest.mark.parametrize(
    ("schedule", "stale_after"),
    [
        pytest.param({}, 3 * DAY + 300, id="next rotation + 5 min"),
        pytest.param(
            {"NextRotationDate": "2023-11-21T22:13:20Z"},
            7 * DAY,
            id="the interval, when the next rotation is a whole interval away",
        ),
        pytest.param(
            {"RotationInterval": "86400s", "NextRotationDate": "2023-11-21T22:13:20Z"},
            DAY,
            id="the interval, when shorter",
        ),
        pytest.param(
            {"RotationInterval": None, "NextRotationDate": None},
            DEFAULT_ROTATION_INTERVAL,
            id="no schedule: the default",
        ),
        pytest.param(
            {"NextRotationDate": "2023-11-14T22:00:00Z"}, 300, id="rotation overdue: 5 min"
        ),
        pytest.param(
            {"AutomaticRotation": "Disabled", "NextRotationDate": "2023-11-14T22:00:00Z"},
            7 * DAY,
            id="rotation disabled: the interval",
        ),
        pytest.param(
            {"RotationInterval": "600s", "NextRotationDate": "2023-11-14T22:23:20Z"},
            600,
            id="a short interval shrinks the settling time",
        ),
    ],
)
def test_the_schedule_follows_the_secret(
    clocks: Clocks, schedule: dict[str, Any], stale_after: float
) -> None:
    kms = FakeKms(clocks, **schedule)
    provider = provider_for(kms)
    provider.get_credentials()

    clocks.advance(stale_after - 0.5)
    provider.get_credentials()
    assert kms.fetches == 1
    clocks.advance(1)
    provider.get_credentials()
    assert kms.fetches == 2


@pytest.mark.parametrize(
    ("interval", "most"), [("604800s", 600.0), ("21600s", 432.0), ("60s", 1.2)]
)
def test_the_jitter_is_at_most_ten_minutes_and_shrinks_with_short_intervals(
    clocks: Clocks, interval: str, most: float
) -> None:
    kms = FakeKms(clocks, RotationInterval=interval, NextRotationDate=None)
    seconds = float(interval[:-1])
    provider = provider_for(kms, jitter=0.999999)
    provider.get_credentials()

    clocks.advance(seconds + most - 0.01)
    provider.get_credentials()
    assert kms.fetches == 1
    clocks.advance(0.02)
    provider.get_credentials()
    assert kms.fetches == 2


def test_an_expire_timestamp_caps_the_schedule(kms: FakeKms, clocks: Clocks) -> None:
    provider = provider_for(kms)
    kms.schedule["RotationInterval"] = None
    original = kms._answer

    def expiring(params: dict[str, str]) -> Any:
        body = original(params)
        data = json.loads(body["SecretData"]) | {"ExpireTimestamp": "2023-11-14T23:13:20Z"}
        return {**body, "SecretData": json.dumps(data)}

    kms.api.answers["GetSecretValue"] = expiring

    credentials = provider.get_credentials()

    assert credentials.expiration == START + 3600
    clocks.advance(3600 - 720 + 1)  # the usual advisory point of a 1-hour credential
    provider.get_credentials()
    assert kms.fetches == 2


def test_a_failed_scheduled_fetch_keeps_the_key_in_service(kms: FakeKms, clocks: Clocks) -> None:
    provider = provider_for(kms)
    first = provider.get_credentials()
    clocks.advance(3 * DAY + 301)
    kms.failure = error(503, "ServiceUnavailableTemporary")

    assert provider.get_credentials() is first
    assert provider.get_credentials() is first
    assert kms.fetches == 2  # the failure is not retried on every call


# --- errors ---------------------------------------------------------------------------------


def test_a_secret_that_is_not_a_ram_secret_is_a_configuration_error(kms: FakeKms) -> None:
    kms.schedule["SecretType"] = "Generic"
    provider = provider_for(kms)

    with pytest.raises(ConfigurationError) as caught:
        provider.get_credentials()

    assert "'app-ak'" in str(caught.value)
    assert "not a RAM secret" in str(caught.value)
    assert key_secret(1) not in str(caught.value)


def test_unavailable_source_credentials_are_a_configuration_error(kms: FakeKms) -> None:
    class Nothing:
        name = "nothing"

        def get_credentials(self) -> Credentials:
            raise CredentialsUnavailable("nothing here", provider="nothing")

    provider = provider_for(kms, source=Nothing())

    with pytest.raises(ConfigurationError, match="no credentials to read KMS secret 'app-ak'"):
        provider.get_credentials()
    assert kms.fetches == 0


def test_a_kms_error_is_raised_as_is(kms: FakeKms) -> None:
    kms.failure = error(404, "Forbidden.ResourceNotFound", "The specified secret does not exist.")

    with pytest.raises(ServiceError) as caught:
        provider_for(kms).get_credentials()

    assert caught.value.code == "Forbidden.ResourceNotFound"
    assert PLANTED_SECRET not in str(caught.value)


def test_a_source_that_needs_the_same_secret_is_named_not_a_recursion(kms: FakeKms) -> None:
    class Loop:
        name = "loop"
        inner: KmsRamSecretProvider

        def get_credentials(self) -> Credentials:
            return self.inner.get_credentials()

    loop = Loop()
    loop.inner = provider_for(kms, source=loop)

    with pytest.raises(ConfigurationError, match="come from that same secret"):
        loop.inner.get_credentials()


def test_a_secret_name_is_required() -> None:
    with pytest.raises(ConfigurationError, match="secret_name"):
        KmsRamSecretProvider("  ", source=StaticAKProvider("LTAI5tX", "s"))


def test_no_key_shows_in_reprs_or_logs(kms: FakeKms, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="akless")
    provider = provider_for(kms)
    held = provider.get_credentials()
    kms.rotate()
    provider.report_auth_failure("InvalidAccessKeyId.NotFound", held.access_key_id)

    shown = " ".join([repr(provider), str(provider), repr(provider.secret), caplog.text])
    for secret in (key_secret(1), key_secret(2), CALLER.access_key_secret):
        assert secret not in shown
    assert "LTAI****" in caplog.text


# --- report_auth_failure --------------------------------------------------------------------


def test_a_reported_dead_key_is_replaced_by_one_fetch(kms: FakeKms) -> None:
    provider = provider_for(kms)
    held = provider.get_credentials()
    kms.rotate()

    assert provider.report_auth_failure("InvalidAccessKeyId.NotFound", held.access_key_id)

    assert provider.get_credentials().access_key_id == kms.key_id(2)
    assert kms.fetches == 2


def test_a_disabled_key_counts_too_and_the_key_id_may_be_left_out(kms: FakeKms) -> None:
    provider = provider_for(kms)
    provider.get_credentials()
    kms.rotate()

    assert provider.report_auth_failure("InvalidAccessKeyId.Inactive")

    assert provider.get_credentials().access_key_id == kms.key_id(2)


@pytest.mark.parametrize(
    "code", ["SignatureDoesNotMatch", "Throttling", "NoPermission", "InvalidAccessKeyId"]
)
def test_other_error_codes_are_ignored(kms: FakeKms, code: str) -> None:
    provider = provider_for(kms)
    held = provider.get_credentials()
    kms.rotate()

    assert not provider.report_auth_failure(code, held.access_key_id)
    assert kms.fetches == 1


def test_a_report_about_a_key_already_replaced_costs_nothing(kms: FakeKms) -> None:
    provider = provider_for(kms)
    old = provider.get_credentials()
    kms.rotate()
    provider.report_auth_failure("InvalidAccessKeyId.NotFound", old.access_key_id)

    assert provider.report_auth_failure("InvalidAccessKeyId.NotFound", old.access_key_id)
    assert kms.fetches == 2


def test_before_any_fetch_a_report_does_nothing(kms: FakeKms) -> None:
    provider = provider_for(kms)

    assert not provider.report_auth_failure("InvalidAccessKeyId.NotFound", "LTAI5tSomething")
    assert kms.fetches == 0


def test_a_report_while_kms_still_has_the_same_key_says_no_retry(kms: FakeKms) -> None:
    provider = provider_for(kms)
    held = provider.get_credentials()

    assert not provider.report_auth_failure("InvalidAccessKeyId.Inactive", held.access_key_id)
    assert kms.fetches == 2
    assert provider.get_credentials() == held


def test_a_failed_refetch_keeps_the_key_and_says_no_retry(kms: FakeKms) -> None:
    provider = provider_for(kms)
    held = provider.get_credentials()
    kms.failure = error(500, "InternalFailure")

    assert not provider.report_auth_failure("InvalidAccessKeyId.NotFound", held.access_key_id)
    assert provider.get_credentials() == held
    assert kms.fetches == 2


def test_reports_are_rate_limited_by_a_slowly_refilled_bucket(
    kms: FakeKms, clocks: Clocks, caplog: pytest.LogCaptureFixture
) -> None:
    provider = provider_for(kms)
    provider.get_credentials()

    for _ in range(REPORT_BURST):
        kms.rotate()
        assert provider.report_auth_failure("InvalidAccessKeyId.NotFound")
    kms.rotate()
    assert not provider.report_auth_failure("InvalidAccessKeyId.NotFound")
    assert kms.fetches == 1 + REPORT_BURST
    assert "fetched too often" in caplog.text

    clocks.mono += REPORT_REFILL  # one token back: the monotonic clock drives the bucket
    assert provider.report_auth_failure("InvalidAccessKeyId.NotFound")
    assert not provider.report_auth_failure("InvalidAccessKeyId.NotFound")
    assert kms.fetches == 2 + REPORT_BURST


def test_many_threads_reporting_the_same_key_make_one_fetch(kms: FakeKms) -> None:
    provider = provider_for(kms)
    held = provider.get_credentials()
    kms.rotate()
    start = threading.Barrier(32)
    results: list[bool] = []

    def report() -> None:
        start.wait()
        results.append(
            provider.report_auth_failure("InvalidAccessKeyId.NotFound", held.access_key_id)
        )

    threads = [threading.Thread(target=report) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [True] * 32
    assert kms.fetches == 2


def test_the_async_forms_do_the_same(kms: FakeKms) -> None:
    provider = provider_for(kms)

    async def scenario() -> tuple[Credentials, bool, Credentials]:
        held = await provider.get_credentials_async()
        kms.rotate()
        retried = await provider.report_auth_failure_async(
            "InvalidAccessKeyId.NotFound", held.access_key_id
        )
        return held, retried, await provider.get_credentials_async()

    held, retried, fresh = asyncio.run(scenario())

    assert retried
    assert (held.access_key_id, fresh.access_key_id) == (kms.key_id(1), kms.key_id(2))
    assert kms.fetches == 2


def test_the_token_bucket_refills_one_token_per_period() -> None:
    now = [0.0]
    bucket = TokenBucket(2, 10.0, monotonic=lambda: now[0])

    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
    now[0] = 9.9
    assert not bucket.take()
    now[0] = 10.0
    assert bucket.take()
    now[0] = 1000.0
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_never_inherits_a_report_in_progress(kms: FakeKms) -> None:
    provider = provider_for(kms)
    held = provider.get_credentials()
    kms.rotate()
    with provider._report_lock:  # a parent thread is in the middle of a report
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            reported = provider.report_auth_failure(
                "InvalidAccessKeyId.NotFound", held.access_key_id
            )
            os._exit(0 if reported else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
