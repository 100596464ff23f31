"""No key held in a RAM secret, and no key of the caller, shows on any failure path of the KMS
RAM-secret provider or the RAM, KMS and ActionTrail clients: errors along their whole
``__cause__``/``__context__`` chain, reprs, and DEBUG logs (``tests/test_no_secret_leaks.py``'s
``Watch``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from akless.actiontrail import ActionTrailClient
from akless.credentials import Credentials
from akless.kms import KmsClient
from akless.providers.kms_ram_secret import KmsRamSecretProvider
from akless.ram import RamClient
from akless.transport import FakeTransport, Request, Response
from tests.library.fake_api import CALLER, error
from tests.providers.test_kms_ram_secret import Clocks, FakeKms, provider_for
from tests.test_no_secret_leaks import Watch

HELD = "held-in-kms-secret-9Xq2"
ANSWERED = "answered-secret-Lm40v"


@pytest.fixture
def watch(caplog: pytest.LogCaptureFixture) -> Iterator[Watch]:
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="akless"):
        watching = Watch(caplog)
        watching.plant(HELD, ANSWERED, CALLER.access_key_secret)
        yield watching
        watching.assert_clean()


def holding(data: Any, **fields: Any) -> FakeKms:
    """A KMS whose secret's data is ``data`` (text, or JSON of anything else)."""
    kms = FakeKms(Clocks())
    text = data if isinstance(data, str) else json.dumps(data)
    kms.api.answers["GetSecretValue"] = {
        "SecretName": "app-ak",
        "SecretType": "RAMCredentials",
        "SecretData": text,
        **fields,
    }
    return kms


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        pytest.param(f"AccessKeySecret={HELD}", {}, id="not JSON"),
        pytest.param(f'{{"AccessKeySecret": "{HELD}", ', {}, id="truncated JSON"),
        pytest.param({"AccessKeySecret": HELD}, {}, id="no key ID"),
        pytest.param({"AccessKeyId": HELD}, {}, id="no secret"),
        pytest.param({"AccessKeyId": "LTAI5tX", "AccessKeySecret": [HELD]}, {}, id="odd secret"),
        pytest.param(
            {"AccessKeyId": "LTAI5tX", "AccessKeySecret": HELD, "ExpireTimestamp": HELD},
            {},
            id="bad expiry",
        ),
        pytest.param(
            {
                "AccessKeyId": "LTAI5tX",
                "AccessKeySecret": HELD,
                "ExpireTimestamp": "2001-01-01T00:00:00Z",
            },
            {},
            id="already expired",
        ),
        pytest.param(HELD, {"SecretType": "Generic"}, id="not a RAM secret"),
        pytest.param(
            {"AccessKeyId": "LTAI5tX", "AccessKeySecret": HELD},
            {"NextRotationDate": {"x": HELD}},
            id="odd rotation date",
        ),
    ],
)
def test_a_bad_secret_shows_none_of_its_data(
    data: Any, fields: dict[str, Any], watch: Watch
) -> None:
    kms = holding(data, **fields)
    provider = provider_for(kms)

    watch.error(provider.get_credentials)
    watch.see(provider, provider.secret)


def test_a_kms_error_that_echoes_the_request_shows_no_key(watch: Watch) -> None:
    kms = FakeKms(Clocks())
    kms.failure = error(
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. "
        f"server string to sign is:{ANSWERED}",
    )

    watch.error(provider_for(kms).get_credentials)


def test_a_failed_refetch_after_a_report_shows_no_key(watch: Watch) -> None:
    kms = FakeKms(Clocks())
    provider = provider_for(kms)
    held = provider.get_credentials()
    watch.plant(held.access_key_secret)
    kms.failure = error(500, "InternalFailure", f"oops {ANSWERED}")

    assert not provider.report_auth_failure("InvalidAccessKeyId.NotFound", held.access_key_id)
    watch.see(provider, held)


def test_an_unavailable_source_is_wrapped_without_any_key(watch: Watch) -> None:
    class Broken:
        name = "broken"

        def get_credentials(self) -> Credentials:
            from akless.errors import CredentialsUnavailable

            raise CredentialsUnavailable("nothing configured", provider="broken")

    provider = KmsRamSecretProvider("app-ak", source=Broken(), kms_endpoint="http://kms.test")

    watch.error(provider.get_credentials)


def answering(body: Any) -> FakeTransport:
    def handler(request: Request) -> Response:
        return Response(200, {}, json.dumps(body).encode(), request.url)

    return FakeTransport(handler)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda: RamClient(
                "http://ram.test", transport=answering({"AccessKey": {"AccessKeySecret": ANSWERED}})
            ).create_access_key(CALLER),
            id="RAM key without ID",
        ),
        pytest.param(
            lambda: RamClient(
                "http://ram.test",
                transport=answering(
                    {
                        "AccessKey": {
                            "AccessKeyId": "LTAI5tX",
                            "AccessKeySecret": {"v": ANSWERED},
                            "CreateDate": "2024-01-01T00:00:00Z",
                        }
                    }
                ),
            ).create_access_key(CALLER),
            id="RAM secret of the wrong kind",
        ),
        pytest.param(
            lambda: KmsClient(
                "http://kms.test", transport=answering({"SecretData": [ANSWERED]})
            ).get_secret_value(CALLER, "s"),
            id="KMS data of the wrong kind",
        ),
        pytest.param(
            lambda: ActionTrailClient(
                "http://trail.test", transport=answering({"Events": [ANSWERED]})
            ).lookup_events(CALLER),
            id="an event that is not an object",
        ),
    ],
)
def test_malformed_client_answers_show_no_secret(call: Any, watch: Watch) -> None:
    watch.error(call)
