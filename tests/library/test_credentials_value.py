"""The frozen ``Credentials`` value: what it shows (a masked key ID) and what it never shows
(the secret and the security token), and ``mask_key_id``."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akless.credentials import Credentials, mask_key_id

KEY_ID = "LTAI5tQkKyTrJ3wxyz"
SECRET = "planted-secret-c81f0a9d"
TOKEN = "planted-token-CAIS-77e2b4"
EXPIRATION = 1893553445.0  # 2030-01-02T03:04:05Z


def temporary() -> Credentials:
    return Credentials(
        "STS.NTemporaryKeyId1234",
        SECRET,
        security_token=TOKEN,
        expiration=EXPIRATION,
        provider_name="ecs_ram_role",
    )


# --- what is never shown --------------------------------------------------------------------


@pytest.mark.parametrize(
    "render",
    [repr, str, lambda value: f"{value}", lambda value: f"{value!r}", "{}".format],
    ids=["repr", "str", "f-string", "f-string-repr", "format"],
)
def test_no_rendering_shows_the_secret_or_the_token(render: Callable[[Credentials], str]) -> None:
    shown = render(temporary())

    assert SECRET not in shown
    assert TOKEN not in shown


def test_containers_of_credentials_do_not_show_them_either() -> None:
    shown = repr({"current": temporary(), "all": [temporary()]})

    assert SECRET not in shown
    assert TOKEN not in shown


def test_a_logged_credential_does_not_show_its_secret(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="akless"):
        logging.getLogger("akless").info("refreshed %s", temporary())

    assert SECRET not in caplog.text
    assert TOKEN not in caplog.text
    assert "STS.****1234" in caplog.text


def test_repr_shows_the_masked_key_id_the_provider_and_the_expiry() -> None:
    assert repr(temporary()) == (
        "Credentials(access_key_id='STS.****1234', provider_name='ecs_ram_role', "
        "expiration='2030-01-02T03:04:05Z')"
    )
    assert str(Credentials(KEY_ID, SECRET)) == (
        "Credentials(access_key_id='LTAI****wxyz', provider_name='static_ak', expiration=None)"
    )


def test_credentials_compare_by_value_and_survive_pickling() -> None:
    credentials = temporary()
    copied = pickle.loads(pickle.dumps(credentials))  # noqa: S301 - our own bytes

    assert copied == credentials
    assert hash(copied) == hash(credentials)
    assert (copied.access_key_secret, copied.security_token) == (SECRET, TOKEN)
    assert credentials != temporary().with_provider_name("default/ecs_ram_role")


@given(
    key_id=st.text(max_size=40),
    secret=st.text(),
    token=st.none() | st.text(),
    provider=st.sampled_from(["static_ak", "ecs_ram_role", "oidc_role_arn"]),
)
def test_repr_does_not_depend_on_the_secret_or_the_token(
    key_id: str, secret: str, token: str | None, provider: str
) -> None:
    credentials = Credentials(key_id, secret, security_token=token, provider_name=provider)
    blank = Credentials(key_id, "", security_token=None, provider_name=provider)

    assert repr(credentials) == repr(blank)
    assert str(credentials) == str(blank)


@given(secret=st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz-", min_size=16))
def test_repr_never_contains_a_realistic_secret(secret: str) -> None:
    credentials = Credentials(KEY_ID, secret, security_token=f"CAIS{secret}")

    assert secret not in repr(credentials)


# --- the value ------------------------------------------------------------------------------


def test_credentials_are_frozen() -> None:
    credentials = Credentials(KEY_ID, SECRET)

    with pytest.raises(AttributeError):
        credentials.access_key_secret = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del credentials.access_key_secret
    assert credentials.access_key_secret == SECRET


def test_long_term_keys_are_not_temporary() -> None:
    credentials = Credentials(KEY_ID, SECRET)

    assert not credentials.is_temporary
    assert credentials.provider_name == "static_ak"
    assert credentials.security_token is None
    assert credentials.expiration is None


@pytest.mark.parametrize(
    "credentials",
    [
        Credentials("STS.x", SECRET, security_token=TOKEN),
        Credentials("STS.x", SECRET, expiration=EXPIRATION),
    ],
    ids=["token", "expiration"],
)
def test_a_token_or_an_expiry_makes_a_credential_temporary(credentials: Credentials) -> None:
    assert credentials.is_temporary


# --- masking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_id", "masked"),
    [
        ("LTAI5tQkKyTrJ3abcd", "LTAI****abcd"),
        ("STS.NUgYrLnoC37mZZCNnAbCwxyz", "STS.****wxyz"),
        ("AKIDEXAMPLE12345", "****2345"),
        ("LTAI123456789", "LTAI****6789"),
        ("LTAI12345678", "LTAI****"),
        ("STS.short", "STS.****"),
        ("LTAIab", "LTAI****"),
        ("abcdefgh", "****"),
        ("", "****"),
    ],
)
def test_mask_key_id_keeps_the_prefix_and_at_most_the_last_four(key_id: str, masked: str) -> None:
    assert mask_key_id(key_id) == masked


@given(st.text())
def test_mask_key_id_reveals_only_a_known_prefix_and_a_short_tail(key_id: str) -> None:
    prefix, stars, tail = mask_key_id(key_id).partition("****")

    assert stars == "****"
    assert prefix in ("", "LTAI", "STS.", "TMPSK.")
    assert key_id.startswith(prefix)
    assert key_id.endswith(tail)
    assert len(tail) <= 4
    if len(key_id) - len(prefix) <= 8:
        assert tail == ""  # short IDs are fully masked
