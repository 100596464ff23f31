"""``verify_findings``: found credentials checked with STS GetCallerIdentity against the emulator
(real signatures, keys, sessions, expiry and faults), its pacing and limit with a fake clock
and ``FakeTransport``, and the rule that no secret or token ever shows in what it returns."""

from __future__ import annotations

import json
import logging
import secrets
import string
import time
from collections.abc import Callable, Iterator

import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer, Fault
from akless.errors import ConfigurationError, TransportError
from akless.scan import rules
from akless.scan.findings import Finding, Verification, fingerprint
from akless.scan.verify import (
    INCOMPLETE_STS,
    INVALID,
    LIMIT_REACHED,
    LIVE,
    UNKNOWN,
    verify_findings,
)
from akless.sts import StsClient
from akless.transport import FakeTransport, Request, Response
from tests.conftest import DEAD_ENDPOINT

_ALNUM = string.ascii_letters + string.digits


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def made_up_id() -> str:
    return f"LTAI{_random(20)}"


def made_up_secret() -> str:
    return _random(30)


def finding(
    access_key_id: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    *,
    path: str = "app.py",
    line: int = 1,
) -> Finding:
    """A finding as the engine would build it, under the rule its parts call for."""
    if (access_key_id and access_key_id.startswith("STS.")) or token:
        rule = rules.STS_CREDENTIAL if access_key_id else rules.STS_TOKEN
    elif access_key_id:
        rule = rules.ACCESS_KEY_PAIR if secret else rules.ACCESS_KEY_ID
    else:
        rule = rules.ACCESS_KEY_SECRET
    parts = (access_key_id, secret, token)
    return Finding(
        rule=rule.id,
        path=path,
        line=line,
        column=1,
        fingerprint=fingerprint(rule.id, *(None if p is None else p.encode() for p in parts)),
        access_key_id=access_key_id,
        secret=secret,
        security_token=token,
    )


@pytest.fixture
def environ(akless_emulator: EmulatorServer) -> dict[str, str]:
    return {"ALIBABA_CLOUD_STS_ENDPOINT": akless_emulator.endpoint}


@pytest.fixture
def user_key(akless_emulator: EmulatorServer) -> Finding:
    """The emulator's seeded RAM user's AccessKey, as found in a file."""
    identity = akless_emulator.cloud.identity
    return finding(identity.access_key_id, identity.access_key_secret)


def assumed_role(emulator: EmulatorServer) -> Finding:
    """A fresh STS credential of the emulator's default role, as found in a file."""
    identity = emulator.cloud.identity
    role = StsClient(emulator.endpoint).assume_role(
        Credentials(identity.access_key_id, identity.access_key_secret),
        role_arn=identity.role_arn,
        role_session_name="leaked",
    )
    sts = role.credentials
    return finding(sts.access_key_id, sts.access_key_secret, sts.security_token)


def caller_identity_calls(emulator: EmulatorServer, access_key_id: str) -> int:
    calls = emulator.cloud.store.calls(access_key_id=access_key_id)
    return sum(call.action == "GetCallerIdentity" for call in calls)


def only(findings: list[Finding]) -> Verification:
    (checked,) = findings
    assert checked.verification is not None
    return checked.verification


# --- against the emulator ----------------------------------------------------------------------


def test_a_working_user_key_is_live_with_its_account(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    cloud = akless_emulator.cloud

    verification = only(verify_findings([user_key], environ=environ))

    assert verification == Verification(
        LIVE, f"RAMUser {cloud.user_arn(cloud.identity.user_name)}", cloud.account_id
    )


def test_a_made_up_key_is_invalid(environ: dict[str, str]) -> None:
    verification = only(verify_findings([finding(made_up_id(), made_up_secret())], environ=environ))

    assert verification.status == INVALID
    assert "InvalidAccessKeyId.NotFound" in verification.detail
    assert verification.account_id is None


def test_a_disabled_key_is_invalid_and_said_to_be_disabled(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    assert user_key.access_key_id is not None
    akless_emulator.cloud.set_access_key_status(user_key.access_key_id, "Inactive")

    verification = only(verify_findings([user_key], environ=environ))

    assert verification.status == INVALID
    assert "disabled" in verification.detail


def test_the_right_id_with_a_wrong_secret_is_invalid(
    environ: dict[str, str], user_key: Finding
) -> None:
    wrong = finding(user_key.access_key_id, made_up_secret())

    verification = only(verify_findings([wrong], environ=environ))

    assert verification.status == INVALID
    assert "SignatureDoesNotMatch" in verification.detail


def test_an_sts_credential_is_live_until_it_expires(
    akless_emulator: EmulatorServer, environ: dict[str, str]
) -> None:
    cloud = akless_emulator.cloud
    cloud.set_credential_lifetime(1)
    sts = assumed_role(akless_emulator)

    live = only(verify_findings([sts], environ=environ))
    cloud.set_clock_offset(5)
    expired = only(verify_findings([sts], environ=environ))

    assert live.status == LIVE
    assert live.account_id == cloud.account_id
    assert live.detail.startswith("AssumedRoleUser acs:ram::")
    assert expired.status == INVALID
    assert "expired" in expired.detail


def test_an_sts_token_for_another_key_is_invalid(
    akless_emulator: EmulatorServer, environ: dict[str, str]
) -> None:
    first, second = assumed_role(akless_emulator), assumed_role(akless_emulator)
    mixed = finding(first.access_key_id, first.secret, second.security_token)

    verification = only(verify_findings([mixed], environ=environ))

    assert verification.status == INVALID
    assert "InvalidSecurityToken.MismatchWithAccessKey" in verification.detail


def test_an_unavailable_sts_leaves_the_key_unknown(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", status=503))

    verification = only(verify_findings([user_key], environ=environ))

    assert verification == Verification(UNKNOWN, "STS answered ServiceUnavailable (HTTP 503)")


def test_throttling_leaves_the_key_unknown(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", status=429))

    verification = only(verify_findings([user_key], environ=environ))

    assert verification.status == UNKNOWN
    assert "Throttling" in verification.detail


def test_a_hanging_sts_leaves_the_key_unknown_once_the_timeout_fires(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", down="hang"))

    started = time.monotonic()
    verification = only(verify_findings([user_key], environ=environ, timeout=0.5))

    assert time.monotonic() - started < 1.5
    assert verification == Verification(UNKNOWN, "no answer from STS within 0.5 s")


def test_an_unreachable_endpoint_leaves_the_key_unknown(user_key: Finding) -> None:
    environ = {"ALIBABA_CLOUD_STS_ENDPOINT": DEAD_ENDPOINT}

    verification = only(verify_findings([user_key], environ=environ))

    assert verification.status == UNKNOWN
    assert verification.detail.startswith("STS unreachable: ")
    assert "\n" not in verification.detail


def test_a_credential_found_in_many_places_is_checked_once(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    copies = [
        finding(user_key.access_key_id, user_key.secret, path=f"copy{n}.py", line=n)
        for n in range(3)
    ]
    assert len({copy.fingerprint for copy in copies}) == 1

    checked = verify_findings(copies, environ=environ, per_second=100)

    assert [f.path for f in checked] == ["copy0.py", "copy1.py", "copy2.py"]
    assert {f.verification.status for f in checked if f.verification} == {LIVE}
    assert len({f.verification for f in checked}) == 1
    assert user_key.access_key_id is not None
    assert caller_identity_calls(akless_emulator, user_key.access_key_id) == 1


def test_findings_come_back_in_order_and_only_pairs_are_checked(
    akless_emulator: EmulatorServer, environ: dict[str, str], user_key: Finding
) -> None:
    lone_id = finding(made_up_id())
    lone_secret = finding(secret=made_up_secret())
    lone_token = finding(token=f"CAIS{_random(200)}")
    sts_id_and_token = finding(f"STS.{_random(28)}", token=f"CAIS{_random(200)}")
    findings = [lone_id, user_key, lone_secret, lone_token, sts_id_and_token]

    checked = verify_findings(findings, environ=environ)

    assert [f.fingerprint for f in checked] == [f.fingerprint for f in findings]
    for before, after in zip(findings, checked, strict=True):
        if before is user_key:
            assert after.verification is not None
            assert after.verification.status == LIVE
        else:
            assert after is before
    assert len(akless_emulator.cloud.store.calls()) == 1


# --- pacing, limit and failures, with a fake transport -------------------------------------------


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def answer(status: int, body: object) -> Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status, {"content-type": "application/json"}, data)


LIVE_ANSWER = {
    "AccountId": "1234567890123456",
    "Arn": "acs:ram::1234567890123456:user/leaky",
    "IdentityType": "RAMUser",
    "PrincipalId": "2000000000000001",
    "UserId": "2000000000000001",
}


def always_live(request: Request) -> Response:
    return answer(200, LIVE_ANSWER)


def test_calls_are_spaced_to_the_rate() -> None:
    fake = FakeTime()
    sent_at: list[float] = []

    def handler(request: Request) -> Response:
        sent_at.append(fake.now)
        return always_live(request)

    keys = [finding(made_up_id(), made_up_secret()) for _ in range(5)]

    checked = verify_findings(
        keys,
        environ={},
        per_second=2,
        transport=FakeTransport(handler),
        clock=fake.clock,
        sleep=fake.sleep,
    )

    assert sent_at == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert fake.sleeps == [0.5] * 4
    assert all(f.verification and f.verification.status == LIVE for f in checked)


def test_time_already_spent_counts_towards_the_spacing() -> None:
    fake = FakeTime()

    def slow(request: Request) -> Response:
        fake.now += 0.4  # the call itself took 0.4 s
        return always_live(request)

    keys = [finding(made_up_id(), made_up_secret()) for _ in range(3)]
    verify_findings(
        keys, environ={}, transport=FakeTransport(slow), clock=fake.clock, sleep=fake.sleep
    )

    assert fake.sleeps == pytest.approx([0.1, 0.1])


def test_credentials_past_the_limit_are_not_checked() -> None:
    transport = FakeTransport(always_live)
    first, second, third = (finding(made_up_id(), made_up_secret()) for _ in range(3))
    third_again = finding(third.access_key_id, third.secret, path="again.py")

    checked = verify_findings(
        [first, second, first, third, third_again],
        environ={},
        limit=2,
        transport=transport,
        sleep=lambda seconds: None,
    )

    assert [f.verification.status for f in checked if f.verification] == [LIVE] * 3 + [UNKNOWN] * 2
    assert checked[3].verification == Verification(UNKNOWN, LIMIT_REACHED)
    assert len(transport.requests) == 2


def test_an_sts_key_without_its_token_is_not_sent_nor_counted() -> None:
    transport = FakeTransport(always_live)
    without_token = finding(f"STS.{_random(28)}", made_up_secret())
    pair = finding(made_up_id(), made_up_secret())

    checked = verify_findings([without_token, pair], environ={}, limit=1, transport=transport)

    assert [f.verification for f in checked] == [
        Verification(UNKNOWN, INCOMPLETE_STS),
        Verification(LIVE, f"RAMUser {LIVE_ANSWER['Arn']}", LIVE_ANSWER["AccountId"]),
    ]
    assert len(transport.requests) == 1


def test_the_endpoint_comes_from_environ(user_key: Finding) -> None:
    transport = FakeTransport(always_live)

    verify_findings(
        [user_key],
        environ={"ALIBABA_CLOUD_STS_ENDPOINT": "sts.cn-shanghai.aliyuncs.com"},
        transport=transport,
    )

    assert [r.url for r in transport.requests] == ["https://sts.cn-shanghai.aliyuncs.com/"]
    assert transport.requests[0].headers["x-acs-action"] == "GetCallerIdentity"


def test_each_call_is_bounded_by_the_timeout() -> None:
    transport = FakeTransport(always_live)

    verify_findings(
        [finding(made_up_id(), made_up_secret())], environ={}, timeout=1.5, transport=transport
    )

    (request,) = transport.requests
    assert (request.timeout.connect, request.timeout.read) == (1.5, 1.5)


def raise_(error: BaseException) -> FakeTransport:
    def handler(request: Request) -> Response:
        raise error

    return FakeTransport(handler)


@pytest.mark.parametrize(
    ("transport", "detail"),
    [
        pytest.param(
            FakeTransport(lambda request: answer(200, b"<html>captive portal</html>")),
            "malformed answer: ",
            id="not-json",
        ),
        pytest.param(
            FakeTransport(lambda request: answer(200, {"AccountId": "1"})),
            "malformed answer: ",
            id="no-arn",
        ),
        pytest.param(
            FakeTransport(lambda request: answer(500, {"Code": "InternalError"})),
            "STS answered InternalError (HTTP 500)",
            id="5xx",
        ),
        pytest.param(
            FakeTransport(lambda request: answer(400, {"Code": "InvalidTimeStamp.Expired"})),
            "STS refused the request time",
            id="clock",
        ),
        pytest.param(
            raise_(TransportError("connection reset", url="https://sts")),
            "STS unreachable: connection reset",
            id="reset",
        ),
        pytest.param(raise_(RuntimeError("bug")), "check failed: RuntimeError", id="bug"),
    ],
)
def test_answers_that_prove_nothing_leave_the_key_unknown(
    transport: FakeTransport, detail: str
) -> None:
    verification = only(
        verify_findings([finding(made_up_id(), made_up_secret())], environ={}, transport=transport)
    )

    assert verification.status == UNKNOWN
    assert verification.detail.startswith(detail)


@pytest.mark.parametrize("per_second", [0, -1, float("inf"), float("nan")])
def test_a_rate_that_is_not_a_positive_number_is_a_configuration_error(per_second: float) -> None:
    with pytest.raises(ConfigurationError) as raised:
        verify_findings([], per_second=per_second)

    assert raised.value.source == "per_second"


def test_a_zero_timeout_or_a_negative_limit_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        verify_findings([], timeout=0)
    with pytest.raises(ConfigurationError, match="limit"):
        verify_findings([], limit=-1)


# --- secrets never show ---------------------------------------------------------------------------


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("akless").setLevel(logging.DEBUG)
        try:
            yield caplog
        finally:
            logging.getLogger("akless").setLevel(logging.NOTSET)


def test_no_secret_or_token_shows_in_any_outcome(
    akless_emulator: EmulatorServer,
    environ: dict[str, str],
    user_key: Finding,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    cloud = akless_emulator.cloud
    sts = assumed_role(akless_emulator)
    planted = [
        user_key,  # live
        sts,  # live, with a token
        finding(user_key.access_key_id, made_up_secret()),  # wrong secret
        finding(sts.access_key_id, sts.secret, f"CAIS{_random(300)}"),  # unknown token
        finding(made_up_id(), made_up_secret()),  # not found
    ]
    first = verify_findings(planted, environ=environ, per_second=1000)
    cloud.faults.add(Fault(service="sts", status=503))
    second = verify_findings(planted, environ=environ, per_second=1000)
    dead = verify_findings(
        planted, environ={"ALIBABA_CLOUD_STS_ENDPOINT": DEAD_ENDPOINT}, per_second=1000
    )

    values = {v for f in planted for v in (f.secret, f.security_token) if v}
    shown = [repr(first), repr(second), repr(dead), all_logs.text]
    shown += [f.verification.detail for f in [*first, *second, *dead] if f.verification]
    assert [f.verification.status for f in first if f.verification] == [
        LIVE,
        LIVE,
        INVALID,
        INVALID,
        INVALID,
    ]
    assert {f.verification.status for f in [*second, *dead] if f.verification} == {UNKNOWN}
    for text in shown:
        for value in values:
            assert value not in text


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(
            lambda s, t: answer(400, {"Code": "Odd", "Message": f"{s} {t}"}), id="message"
        ),
        pytest.param(
            lambda s, t: answer(
                200, {**LIVE_ANSWER, "Arn": f"acs:ram::1:assumed-role/r/{s}", "IdentityType": t}
            ),
            id="arn",
        ),
    ],
)
def test_an_answer_echoing_the_secret_or_token_is_not_repeated(
    echo: Callable[[str, str], Response],
) -> None:
    secret, token = made_up_secret(), f"CAIS{_random(40)}"
    transport = FakeTransport(lambda request: echo(secret, token))

    verification = only(
        verify_findings(
            [finding(f"STS.{_random(28)}", secret, token)], environ={}, transport=transport
        )
    )

    assert secret not in verification.detail
    assert token not in verification.detail
