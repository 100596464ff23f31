"""List a tree as git would: ``git ls-files`` inside a work tree (exact semantics, and fast),
elsewhere a walk that reads each directory's ``.gitignore`` with ``pathspec``.

Names are strings relative to the tree (``pathlib`` objects cost more than the listing itself
on trees of many small files); only regular files are listed, never ``.git``, symbolic links,
sockets, FIFOs or submodules.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

__all__ = ["Excluded", "list_tree"]

Excluded = Callable[[str], bool]
"""Whether a name (relative to the tree; a directory's ends with ``/``) is left out."""


def list_tree(prefix: str, excluded: Excluded) -> Iterator[tuple[str, int]]:
    """(name relative to the directory ``prefix`` names, size) of each regular file in it."""
    listed = _git_listing(prefix or ".")
    if listed is None:
        yield from _walk(prefix, excluded)
        return
    for name in listed:
        if name.endswith("/"):  # an untracked repository inside this one: its own rules apply
            for inner, size in list_tree(prefix + name, _under(name, excluded)):
                yield name + inner, size
            continue
        try:
            status = os.lstat(prefix + name)
        except OSError:
            continue  # deleted from the work tree but still in the index
        if stat.S_ISREG(status.st_mode):  # not a symlink, a submodule or a socket
            yield name, status.st_size


def _under(directory: str, excluded: Excluded) -> Excluded:
    return lambda name: excluded(directory + name)


def _git_listing(directory: str) -> list[str] | None:
    """What git lists under ``directory`` (tracked, and untracked but not ignored), or ``None``
    outside a git work tree (or without git)."""
    executable = shutil.which("git")
    if executable is None:
        return None
    done = subprocess.run(
        [executable, "-C", directory, "ls-files", "--cached", "--others", "--exclude-standard",
         "-z"],
        stdin=subprocess.DEVNULL, capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return None
    names = [os.fsdecode(name) for name in done.stdout.split(b"\0") if name]
    if not names and _ignored_by_git(executable, directory):
        return None  # named on purpose: scanned as if outside git (its .gitignore files apply)
    return list(dict.fromkeys(names))  # an unmerged path is listed once per stage


def _ignored_by_git(executable: str, directory: str) -> bool:
    done = subprocess.run(
        [executable, "-C", directory, "check-ignore", "-q", "."],
        stdin=subprocess.DEVNULL, capture_output=True, check=False,
    )  # fmt: skip
    return done.returncode == 0


Rules = list[tuple[int, "GitIgnoreSpec"]]
"""The ``.gitignore`` files above a directory: (length of their directory's name, patterns)."""


def _walk(prefix: str, excluded: Excluded) -> Iterator[tuple[str, int]]:
    """Walk outside git: each directory's ``.gitignore`` applies below it, the deepest
    matching pattern deciding (so ``!keep.log`` below re-includes what ``*.log`` above
    ignored). A stack, not recursion: each name is yielded once, not once per level."""
    pending: list[tuple[str, Rules]] = [("", [])]
    while pending:
        relative, rules = pending.pop()
        try:
            with os.scandir(prefix + relative or ".") as listing:
                entries = list(listing)  # in any order: findings are sorted in the end
        except OSError:
            continue
        if any(entry.name == ".gitignore" and entry.is_file() for entry in entries):
            rules = [*rules, (len(relative), _read_gitignore(prefix + relative + ".gitignore"))]
        for entry in entries:
            if entry.name == ".git":
                continue
            name = relative + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not _ignored(name + "/", rules) and not excluded(name + "/"):
                        pending.append((name + "/", rules))
                elif entry.is_file(follow_symlinks=False) and not _ignored(name, rules):
                    yield name, entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue


def _read_gitignore(path: str) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return GitIgnoreSpec.from_lines(handle.read().splitlines())
    except OSError:
        return GitIgnoreSpec.from_lines([])


def _ignored(name: str, rules: Rules) -> bool:
    for start, spec in reversed(rules):
        include = spec.check_file(name[start:]).include
        if include is not None:
            return include
    return False
