"""Reading and writing credentials files: clear errors that name the file and never quote it,
one warning per file that others can read, and atomic 0600 writes."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akless import _files
from akless._files import MAX_FILE_BYTES, read_credentials_file, write_credentials_file
from akless.errors import ConfigurationError

SECRET = "planted-file-secret-5b1e"

needs_posix_modes = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def private_file(path: Path, content: str | bytes, mode: int = 0o600) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    path.chmod(mode)
    return path


def akless_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "akless" and r.levelno == logging.WARNING]


# -- reading --


def test_reads_utf8_text(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", "[default]\nname = café\n")
    assert read_credentials_file(path, what="credentials file") == "[default]\nname = café\n"


def test_a_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", b"\xef\xbb\xbf[default]\n")
    assert read_credentials_file(path, what="credentials file") == "[default]\n"


def test_a_missing_file_raises_file_not_found_for_the_caller_to_judge(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_credentials_file(tmp_path / "absent.ini", what="credentials file")


def test_a_directory_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    directory = tmp_path / "credentials.ini"
    directory.mkdir()
    with pytest.raises(ConfigurationError, match="is a directory") as raised:
        read_credentials_file(directory, what="credentials file")
    assert str(directory) in str(raised.value)
    assert raised.value.source == str(directory)


def test_an_unreadable_file_says_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = private_file(tmp_path / "credentials.ini", f"secret = {SECRET}\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_files, "open", refuse, raising=False)
    with pytest.raises(ConfigurationError, match="permission denied") as raised:
        read_credentials_file(path, what="credentials file")
    assert str(path) in str(raised.value)


@needs_posix_modes
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_a_file_without_read_permission_is_a_configuration_error(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", "[default]\n", mode=0o000)
    with pytest.raises(ConfigurationError, match="permission denied"):
        read_credentials_file(path, what="credentials file")


def test_a_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", SECRET * (MAX_FILE_BYTES // len(SECRET) + 1))
    with pytest.raises(ConfigurationError, match="larger than 1 MiB") as raised:
        read_credentials_file(path, what="credentials file")
    assert str(path) in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", "a" * MAX_FILE_BYTES)
    assert len(read_credentials_file(path, what="credentials file")) == MAX_FILE_BYTES


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", SECRET.encode() + b"\x00\x01\x02")
    with pytest.raises(ConfigurationError, match="binary") as raised:
        read_credentials_file(path, what="aliyun CLI config file")
    assert "aliyun CLI config file" in str(raised.value)
    assert str(path) in str(raised.value)
    assert SECRET not in str(raised.value)


def test_invalid_utf8_is_refused_with_the_offset_not_the_bytes(tmp_path: Path) -> None:
    path = private_file(tmp_path / "credentials.ini", SECRET.encode() + b"\xff\xfe")
    with pytest.raises(ConfigurationError, match="not UTF-8") as raised:
        read_credentials_file(path, what="credentials file")
    assert f"offset {len(SECRET)}" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None  # the decode error holds the bytes


# -- the readable-by-others warning --


@needs_posix_modes
def test_a_file_others_can_read_warns_once_with_the_chmod_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = private_file(tmp_path / "credentials.ini", f"secret = {SECRET}\n", mode=0o644)
    with caplog.at_level(logging.WARNING, logger="akless"):
        read_credentials_file(path, what="credentials file")
        read_credentials_file(path, what="credentials file")
    [warning] = akless_warnings(caplog)
    message = warning.getMessage()
    assert "can be read by other users" in message
    assert f"chmod 600 {path}" in message
    assert SECRET not in message


@needs_posix_modes
def test_a_group_readable_file_warns_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = private_file(tmp_path / "credentials.ini", "[default]\n", mode=0o640)
    with caplog.at_level(logging.WARNING, logger="akless"):
        read_credentials_file(path, what="credentials file")
    assert len(akless_warnings(caplog)) == 1


@needs_posix_modes
def test_each_file_others_can_read_gets_its_own_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = private_file(tmp_path / "one.ini", "[default]\n", mode=0o644)
    second = private_file(tmp_path / "two.ini", "[default]\n", mode=0o644)
    with caplog.at_level(logging.WARNING, logger="akless"):
        for path in (first, second, first, second):
            read_credentials_file(path, what="credentials file")
    assert len(akless_warnings(caplog)) == 2


@needs_posix_modes
def test_a_private_file_does_not_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = private_file(tmp_path / "credentials.ini", "[default]\n", mode=0o600)
    with caplog.at_level(logging.WARNING, logger="akless"):
        read_credentials_file(path, what="credentials file")
    assert akless_warnings(caplog) == []


# -- writing --


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@needs_posix_modes
def test_write_creates_the_file_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    write_credentials_file(path, f"[default]\nsecret = {SECRET}\n")
    assert path.read_text(encoding="utf-8") == f"[default]\nsecret = {SECRET}\n"
    assert file_mode(path) == 0o600


@needs_posix_modes
def test_write_replaces_a_world_readable_file_with_a_private_one(tmp_path: Path) -> None:
    path = private_file(tmp_path / "config.json", "{}", mode=0o644)
    write_credentials_file(path, '{"current": "dev"}')
    assert path.read_text(encoding="utf-8") == '{"current": "dev"}'
    assert file_mode(path) == 0o600


@needs_posix_modes
def test_write_creates_missing_directories_private(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".aliyun" / "config.json"
    write_credentials_file(path, "{}")
    assert path.read_text(encoding="utf-8") == "{}"
    assert file_mode(path.parent) == 0o700


def test_write_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    write_credentials_file(tmp_path / "config.json", "{}")
    write_credentials_file(tmp_path / "config.json", "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


@needs_posix_modes
def test_write_follows_a_symlink_and_updates_its_target(tmp_path: Path) -> None:
    target = private_file(tmp_path / "dotfiles-config.json", "{}")
    link = tmp_path / "config.json"
    link.symlink_to(target)
    write_credentials_file(link, '{"current": "dev"}')
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == '{"current": "dev"}'


def test_a_failed_write_keeps_the_old_file_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = private_file(tmp_path / "config.json", '{"old": true}')

    def fail_replace(source: str, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "replace", fail_replace)
    with pytest.raises(ConfigurationError, match="No space left on device") as raised:
        write_credentials_file(path, f'{{"secret": "{SECRET}"}}')
    assert str(path) in str(raised.value)
    assert SECRET not in str(raised.value)
    assert path.read_text(encoding="utf-8") == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_write_into_an_unwritable_place_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = private_file(tmp_path / "not-a-directory", "")
    with pytest.raises(ConfigurationError, match="cannot write"):
        write_credentials_file(blocker / "config.json", "{}")


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])))
def test_what_is_written_is_read_back_unchanged(text: str) -> None:
    if text.startswith("\ufeff"):
        text = text[1:]  # a leading byte order mark is dropped on reading, by design
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "credentials.ini")
        write_credentials_file(path, text)
        assert read_credentials_file(path, what="credentials file") == text
