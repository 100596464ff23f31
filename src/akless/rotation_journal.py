"""What an unfinished key rotation remembers between runs, without any secret.

The world is the authority (the key the target holds, the user's keys in RAM); the journal only
adds what the world cannot say: which key is being replaced, which key the rotation created,
when the old key was disabled and when it may be deleted. A rotation that stops at any step is
finished by running it again, which reads the journal back.

Journals live in ``$XDG_STATE_HOME/akless/rotations/`` (``~/.local/state/akless/rotations/``),
one JSON file per target and user, written atomically with mode 0600 in a 0700 folder. They
hold AccessKey IDs and times, never a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from akless import _env
from akless._env import Environ
from akless._files import home_directory, read_credentials_file, write_credentials_file
from akless._parsing import parse_json
from akless.errors import ConfigurationError

VERSION = 1
WHAT = "key rotation journal"


@dataclass(frozen=True)
class Journal:
    """One rotation in progress."""

    target: str
    """The target as given (``ini:PATH:PROFILE``, ``kms:NAME``), or ``stdout:ARN`` for the
    calling user's key printed to standard output."""
    user_name: str | None
    old_key_id: str | None
    """The key being replaced (``None``: the target held none)."""
    started: float
    new_key_id: str | None = None
    """Set as soon as CreateAccessKey answers; before that, a key created after ``started``
    that is neither old nor recorded is the rotation's own, orphaned by a crash."""
    written: bool = False
    """The new key is in the target (for ``stdout``: it was printed)."""
    disabled_at: float | None = None
    delete_after: float | None = None

    def update(self, **changes: object) -> Journal:
        """A copy with ``changes``."""
        return replace(self, **changes)  # type: ignore[arg-type]


def journal_directory(environ: Environ | None = None) -> Path:
    """``$XDG_STATE_HOME/akless/rotations``, or ``~/.local/state/akless/rotations``."""
    base = _env.XDG_STATE_HOME.get(environ) or ""
    root = Path(base) if os.path.isabs(base) else home_directory() / ".local" / "state"
    return root / "akless" / "rotations"


class JournalStore:
    """The journals in one folder, one per (target, user)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, target: str, user_name: str | None) -> Path:
        """The journal file of ``target`` and ``user_name`` (named by a hash: no ID in it)."""
        digest = hashlib.sha256(f"{target}\n{user_name or ''}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def load(self, target: str, user_name: str | None) -> Journal | None:
        """The journal of ``target`` and ``user_name``, or ``None`` when there is none."""
        path = self.path(target, user_name)
        try:
            text = read_credentials_file(path, what=WHAT)
        except FileNotFoundError:
            return None
        parsed = parse_json(text)
        data = parsed.value
        if parsed.problem is None and isinstance(data, dict) and data.get("version") == VERSION:
            data = {key: value for key, value in data.items() if key != "version"}
            try:
                journal = Journal(**data)
            except TypeError:
                journal = None
            if journal is not None and journal.target == target:
                return journal
        raise ConfigurationError(
            f"the {WHAT} {path} is not one this version of akless wrote; check the keys "
            "(akless keys list) and remove the file to start over",
            source=str(path),
        )

    def save(self, journal: Journal) -> Path:
        """Write ``journal`` (atomically, owner-only); its path."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.path(journal.target, journal.user_name)
        write_credentials_file(path, json.dumps({"version": VERSION, **asdict(journal)}, indent=1))
        return path

    def remove(self, target: str, user_name: str | None) -> None:
        """Forget the rotation of ``target`` and ``user_name`` (it finished)."""
        with suppress(FileNotFoundError):
            self.path(target, user_name).unlink()
