"""Where the scanner's bytes come from: files and trees, git history, the index, standard input.

* Trees honour ``.gitignore``: inside a git work tree ``git ls-files`` lists what git would
  (exact semantics, and fast); elsewhere each directory's ``.gitignore`` is parsed with
  ``pathspec`` (``akless.scan._tree``). ``.git`` itself, the settings' ``exclude`` patterns,
  files over the size limit and binaries (a NUL byte in the first 8 KiB) are skipped.
* History and the index are read as ``-U0`` patches: only ADDED lines, streamed one file of one
  commit at a time, so memory stays flat however long the history (``akless.scan._patch``).

A git problem (not a repository, unknown revision, git missing) is a ``ConfigurationError``
with one line saying what to do.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from akless.errors import ConfigurationError
from akless.scan._patch import Blob, parse_patch
from akless.scan._tree import list_tree

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

    from akless.scan.config import ScanSettings

__all__ = [
    "Blob",
    "Candidate",
    "count_commits",
    "excluded_names",
    "git_toplevel",
    "history_range",
    "iter_candidates",
    "iter_files",
    "iter_git_history",
    "iter_staged",
    "read_stdin",
    "read_text_file",
]

BINARY_PROBE = 8192
"""A NUL byte in this many first bytes makes a file binary (git looks at the first 8000)."""

_PATCH_OPTIONS = (
    "-U0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
"""Pinned so a user's git config (color.ui, diff.external, diff.noprefix, diff.mnemonicPrefix,
diff.relative) cannot change the patch the parser reads."""
_COMMIT_FORMAT = "--format=%x00%H%x00%an <%ae>%x00%aI"


# --- files and trees ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A file to scan: its path (as findings name it: under a relative argument, relative to
    the current directory) and its size when listed."""

    path: str
    size: int


def read_text_file(path: Path | str, max_size: int) -> bytes | None:
    """The content of ``path``, or ``None`` if it is binary or larger than ``max_size`` bytes.

    A binary is recognised from its first 8 KiB, so a large binary is never read whole. Plain
    descriptors, not ``open()``: on trees of small files its buffered reader costs as much as
    the scan. ``OSError`` passes through: whether an unreadable file is fatal is the caller's
    call.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(descriptor)
        # A regular file's short read is its end; a pipe answers in pieces until b"".
        regular = stat.S_ISREG(info.st_mode)
        wanted = min(BINARY_PROBE, max_size + 1)
        head = os.read(descriptor, wanted)
        if b"\0" in head or len(head) > max_size:
            return None
        parts, total = [head], len(head)
        if regular and total < wanted:
            return head
        while True:
            # The rest at once (one byte more, to see the end), in pieces from a pipe.
            rest = info.st_size - total + 1 if regular and total <= info.st_size else 1 << 16
            wanted = min(rest, max_size + 1 - total)
            chunk = os.read(descriptor, wanted)
            parts.append(chunk)
            total += len(chunk)
            if total > max_size:
                return None
            if not chunk or (regular and len(chunk) < wanted):
                return b"".join(parts)
    finally:
        os.close(descriptor)


def iter_files(paths: Sequence[Path], settings: ScanSettings) -> Iterator[Path]:
    """Every file under ``paths`` worth reading (see ``iter_candidates``)."""
    for candidate in iter_candidates(paths, settings):
        yield Path(candidate.path)


def iter_candidates(paths: Sequence[Path], settings: ScanSettings) -> Iterator[Candidate]:
    """Files under ``paths`` (files and directories), honouring ``.gitignore``, skipping ``.git``,
    the settings' ``exclude`` patterns and files over ``max_file_size``. A file named on the
    command line is always a candidate (as with ruff), only its size is checked. Binaries are
    left to ``read_text_file``, which sees the content.

    ``exclude`` patterns match names relative to the settings' root (so ``tests/fixtures/``
    applies whichever directory is named), a tree outside it relative to the tree itself."""
    checked = [(os.fspath(path), _status(os.fspath(path))) for path in paths]
    return _candidates(checked, settings)


def _status(top: str) -> os.stat_result:
    """What a path named on the command line is, or the one-line reason it cannot be read."""
    try:
        status = os.stat(top)
    except OSError as error:
        raise ConfigurationError(
            f"cannot scan {top}: {error.strerror or error}", source=top
        ) from None
    if not os.access(top, os.R_OK | (os.X_OK if stat.S_ISDIR(status.st_mode) else 0)):
        raise ConfigurationError(f"cannot scan {top}: permission denied", source=top)
    return status


def _candidates(
    checked: list[tuple[str, os.stat_result]], settings: ScanSettings
) -> Iterator[Candidate]:
    spec = _spec(settings.exclude)
    for top, status in checked:
        if not stat.S_ISDIR(status.st_mode):
            if status.st_size <= settings.max_file_size:
                yield Candidate(top, status.st_size)
            continue
        prefix = "" if top == "." else top if top.endswith("/") else top + "/"
        pattern_prefix = _pattern_prefix(prefix, settings.root)

        def excluded(name: str, pattern_prefix: str = pattern_prefix) -> bool:
            return spec is not None and spec.match_file(pattern_prefix + name)

        for name, size in list_tree(prefix, excluded):
            if size <= settings.max_file_size and not excluded(name):
                yield Candidate(prefix + name, size)


def _pattern_prefix(prefix: str, root: Path | None) -> str:
    """What goes before a name relative to the tree for ``exclude`` patterns to see it as
    ``akless.scan.config`` sees finding paths: relative to the root (the current directory,
    for a relative path); a tree elsewhere is matched relative to itself."""
    if not os.path.isabs(prefix):
        return "" if prefix.split("/", 1)[0] == ".." else prefix
    if root is not None:
        base = os.path.abspath(root).rstrip("/") + "/"
        if prefix.startswith(base):
            return prefix[len(base) :]
    return ""


def excluded_names(settings: ScanSettings) -> Callable[[str], bool]:
    """A test for names (as findings carry them) the settings' ``exclude`` patterns match."""
    spec = _spec(settings.exclude)
    if spec is None:
        return lambda name: False
    return spec.match_file


def _spec(patterns: Sequence[str]) -> GitIgnoreSpec | None:
    if not patterns:
        return None
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


def read_stdin() -> Blob:
    """Standard input, whole, as the blob named ``-``."""
    return Blob("-", sys.stdin.buffer.read())


# --- git -------------------------------------------------------------------------------------


def _git_error(repo: Path, stderr: bytes) -> ConfigurationError:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines()]
    first = next((line for line in lines if line), "git failed")
    if "not a git repository" in first.lower():
        where = os.path.abspath(repo)
        return ConfigurationError(
            f"{where} is not in a git repository (--git and --staged read one)", source=where
        )
    return ConfigurationError(f"git: {first.removeprefix('fatal: ')}", source=str(repo))


def _git_command(repo: Path, *args: str) -> list[str]:
    executable = shutil.which("git")
    if executable is None:
        raise ConfigurationError("git is not installed (or not on PATH)", source="git")
    return [executable, "-C", str(repo), *args]


def _git(repo: Path, *args: str) -> bytes:
    done = subprocess.run(
        _git_command(repo, *args), stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise _git_error(repo, done.stderr)
    return done.stdout


def git_toplevel(path: Path) -> Path:
    """The top directory of the git work tree ``path`` is in."""
    return Path(os.fsdecode(_git(path, "rev-parse", "--show-toplevel").strip()))


def _resolve(repo: Path, revision: str) -> str:
    try:
        sha = _git(repo, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}")
        return sha.decode().strip()
    except ConfigurationError:
        raise ConfigurationError(
            f"unknown revision {revision!r}: give a commit, branch or tag of this repository",
            source="--since",
        ) from None


def history_range(repo: Path, since: str | None = None) -> list[str] | None:
    """The revision range ``git log`` is given (``HEAD``, or ``REV..HEAD``), ``None`` for a
    repository without commits yet."""
    git_toplevel(repo)
    try:
        head = _git(repo, "rev-parse", "--verify", "HEAD^{commit}")
    except ConfigurationError:
        return None
    if since is None:
        return [head.decode().strip()]
    return [f"^{_resolve(repo, since)}", head.decode().strip()]


def count_commits(repo: Path, since: str | None = None) -> int:
    """How many commits ``iter_git_history`` will read (for a progress bar)."""
    revisions = history_range(repo, since)
    if revisions is None:
        return 0
    return int(_git(repo, "rev-list", "--count", *revisions).strip() or 0)


def iter_git_history(
    repo: Path, since: str | None = None, *, max_file_size: int | None = None
) -> Iterator[Blob]:
    """The added lines of every commit of ``HEAD``'s history (``REV..HEAD`` with ``since``),
    oldest first: one blob per file per commit, carrying the commit. Merge commits are not
    diffed (git log's default, and gitleaks'): the commits they merge carry the lines, and
    only a line first written while resolving a conflict goes unseen. A file's additions over
    ``max_file_size`` bytes are skipped, as big files are in trees."""
    revisions = history_range(repo, since)
    if revisions is None:
        return
    yield from _stream(
        repo,
        ["log", "-p", *_PATCH_OPTIONS, "--reverse", "--no-show-signature", _COMMIT_FORMAT,
         *revisions, "--"],
        max_file_size,
    )  # fmt: skip


def iter_staged(repo: Path, *, max_file_size: int | None = None) -> Iterator[Blob]:
    """The added lines of what is about to be committed (``git diff --cached``), per file."""
    yield from _stream(repo, ["diff", "--cached", *_PATCH_OPTIONS, "--"], max_file_size)


def _stream(repo: Path, args: list[str], max_file_size: int | None) -> Iterator[Blob]:
    """Run git, parse its patch as it arrives, and fail with git's own first line of stderr.

    stderr goes to a temporary file: a pipe nobody reads could fill and stall git."""
    command = _git_command(repo, *args)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        with process:
            stdout: IO[bytes] = process.stdout  # type: ignore[assignment]
            try:
                yield from parse_patch(stdout, max_file_size=max_file_size)
            except BaseException:  # the reader stopped early (or failed): so does git
                process.kill()
                raise
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise _git_error(repo, errors.read(4096))
