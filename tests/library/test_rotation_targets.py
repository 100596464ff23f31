"""The pieces under ``akless keys rotate``: ``--target`` forms, the INI profile edit that swaps
only the key (every other byte kept), and durations and times as typed on a command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from akless._durations import parse_duration, parse_moment
from akless.credentials import Credentials
from akless.errors import ConfigurationError
from akless.profiles_file import replace_access_key, stored_access_key
from akless.rotation_targets import IniTarget, StdoutTarget, parse_target

SAMPLE = """\
# keep me
[default]
type = access_key   # the laptop key
access_key_id = LTAI5tOldKey000000001
access_key_secret = planted-old-secret-1

; the CI role
[ci]
type = ram_role_arn
source_profile = default
role_arn = acs:ram::123456789012:role/ci
"""


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "credentials.ini"
    path.write_text(SAMPLE)
    path.chmod(0o600)
    return path


def test_replacing_the_key_changes_only_its_two_lines(ini: Path) -> None:
    replace_access_key("default", Credentials("LTAI5tNewKey000000002", "planted-new-2"), path=ini)

    expected = SAMPLE.replace("LTAI5tOldKey000000001", "LTAI5tNewKey000000002").replace(
        "planted-old-secret-1", "planted-new-2"
    )
    assert ini.read_text() == expected
    assert ini.stat().st_mode & 0o777 == 0o600
    assert stored_access_key("default", path=ini).access_key_id == "LTAI5tNewKey000000002"


def test_a_profile_without_its_own_key_is_refused(ini: Path) -> None:
    with pytest.raises(ConfigurationError, match="holds no long-term AccessKey"):
        stored_access_key("ci", path=ini)
    with pytest.raises(ConfigurationError, match="holds no AccessKey"):
        replace_access_key("ci", Credentials("LTAI5tNewKey000000002", "s"), path=ini)
    assert ini.read_text() == SAMPLE


def test_a_temporary_credential_never_replaces_a_key(ini: Path) -> None:
    with pytest.raises(ConfigurationError, match="long-term"):
        replace_access_key("default", Credentials("STS.x", "s", "token"), path=ini)


def test_target_forms(ini: Path) -> None:
    assert parse_target(f"ini:{ini}:default") == IniTarget(ini, "default")
    assert isinstance(parse_target("stdout", emit=print), StdoutTarget)
    for bad in ("ini:nowhere", "s3:bucket", "kms:", "stdout:json"):
        with pytest.raises(ConfigurationError, match="ini:PATH:PROFILE"):
            parse_target(bad, emit=print)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("1d12h", 129600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, source="--grace") == seconds


@pytest.mark.parametrize("text", ["", "soon", "7", "1x", "d7", "1d 2h", "-1d"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ConfigurationError, match="--grace"):
        parse_duration(text, source="--grace")


def test_moments() -> None:
    now = 1_700_000_000.0
    assert parse_moment("7d", now=now, source="--since") == now - 604800
    assert parse_moment("2024-01-02", now=now, source="--since") == 1704153600
    assert parse_moment("2024-01-02T00:00:10Z", now=now, source="--since") == 1704153610
