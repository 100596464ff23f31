"""Reading and writing the files that hold credentials (INI profiles, the aliyun CLI config).

Reading never shows file content in an error or a log record: a broken file is described by its
path, its size, a line number or a byte offset, never by what is in it. Writing is atomic (a
temporary file in the same directory, fsync, ``os.replace``) and leaves the file mode 0600.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from contextlib import suppress
from pathlib import Path

from akless.errors import ConfigurationError, CredentialsUnavailable

log = logging.getLogger("akless")

MAX_FILE_BYTES = 1 << 20
"""Credentials files are a few hundred bytes; anything over 1 MiB is the wrong file."""

_warned: set[str] = set()
_warned_lock = threading.Lock()


def home_directory() -> Path:
    """The user's home directory (``HOME`` first), or ``CredentialsUnavailable`` if there is none.

    Read at every call: a process that changes ``HOME`` sees the new one.
    """
    try:
        return Path.home()
    except RuntimeError:
        raise CredentialsUnavailable(
            "cannot find the home directory (HOME is not set and the user has no passwd entry)"
        ) from None


def read_credentials_file(path: Path, *, what: str) -> str:
    """The text of ``path``, a credentials or config file described as ``what`` in messages.

    ``FileNotFoundError`` passes through unchanged (absence is for the caller to judge); every
    other problem is a ``ConfigurationError`` naming the file and the fix. A file that other
    users can read is read anyway, with one warning per path per process.
    """
    source = str(path)
    try:
        with open(path, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(21, "Is a directory")
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ConfigurationError(
            f"the {what} {path} is a directory; point the setting at the file itself",
            source=source,
        ) from None
    except PermissionError:
        raise ConfigurationError(
            f"cannot read the {what} {path}: permission denied; it must be readable by the user "
            "running this process (as its owner: chmod 600 the file)",
            source=source,
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"cannot read the {what} {path}: {error.strerror or type(error).__name__}",
            source=source,
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigurationError(
            f"the {what} {path} is larger than 1 MiB, so it is not a credentials file; "
            "check the path",
            source=source,
        )
    if b"\x00" in raw:
        raise ConfigurationError(
            f"the {what} {path} is binary (it contains NUL bytes), not text; check the path",
            source=source,
        )
    text: str | None = None
    offset = 0
    try:
        text = raw.decode("utf-8-sig")  # editors on Windows like to start UTF-8 with a BOM
    except UnicodeDecodeError as error:
        offset = error.start  # the error keeps the file's bytes: it must not become a context
    if text is None:
        raise ConfigurationError(
            f"the {what} {path} is not UTF-8 text (invalid byte at offset {offset}); "
            "save it as UTF-8",
            source=source,
        )
    if os.name == "posix" and stat.S_ISREG(mode) and mode & 0o077:
        _warn_readable_by_others(path, what, mode)
    return text


def _warn_readable_by_others(path: Path, what: str, mode: int) -> None:
    key = str(path)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(
        "the %s %s can be read by other users (mode %03o); restrict it with: chmod 600 %s",
        what,
        path,
        stat.S_IMODE(mode),
        path,
    )


def write_credentials_file(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, as a file only its owner can read (0600).

    A reader sees the old content or the new, never a mix, and a crash never leaves a truncated
    file. A symbolic link is followed, so a dotfiles link keeps pointing at the updated file.
    Missing parent directories are created with mode 0700.
    """
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise ConfigurationError(
            f"cannot write {target}: {error.strerror or type(error).__name__}",
            source=str(target),
        ) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)  # mkstemp already does, but say it where the rule lives
        os.replace(temporary, target)
    except BaseException as error:
        with suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise ConfigurationError(
                f"cannot write {target}: {error.strerror or type(error).__name__}",
                source=str(target),
            ) from None
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk (POSIX; not on Windows).
    if os.name != "posix":
        return
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
