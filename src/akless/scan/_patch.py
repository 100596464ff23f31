"""Read a ``-U0`` git patch (``git log -p`` or ``git diff --cached``) as blobs of ADDED lines.

Pure: lines in, blobs out, one file of one commit at a time, so a history of any length is read
in constant memory. ``git log`` is run with ``--format=%x00<sha>%x00<author>%x00<date>``: no patch
line starts with a NUL byte, so a commit header cannot be confused with content.

Hunks of one file are joined into one blob; between two hunks as many empty lines as the file
has unchanged lines (at most ``GAP_LINES``), so an ID and its secret added a line apart are
still seen together, and far-apart hunks are not paired. ``Blob.file_line`` maps a line of the
blob back to the line of the file.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from akless.scan.findings import Commit

GAP_LINES = 10
"""Wider than the engine's pairing window (5 lines for AccessKeys, 8 for STS)."""
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_COMMIT_MARK = b"\0"
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13}


@dataclass(frozen=True)
class Blob:
    """Bytes to scan and where they came from.

    ``line_map`` is empty when ``data`` is a whole file; for a patch it holds, for each run of
    consecutive lines, (line in ``data``, line in the file), both counted from 1.
    """

    path: str
    data: bytes
    commit: Commit | None = None
    line_map: tuple[tuple[int, int], ...] = field(default=(), repr=False)

    def file_line(self, line: int) -> int:
        """The line of the file that line ``line`` of ``data`` is."""
        if not self.line_map:
            return line
        index = bisect.bisect_right(self.line_map, line, key=lambda run: run[0]) - 1
        blob_line, file_line = self.line_map[max(index, 0)]
        return file_line + (line - blob_line)


class _File:
    """The added lines of one file of one patch, as they are read."""

    def __init__(self, path: str, max_size: int | None) -> None:
        self.path = path
        self.max_size = max_size
        self.lines: list[bytes] = []
        self.line_map: list[tuple[int, int]] = []
        self.size = 0
        self.next_line = 0  # the file line that follows the last one added
        self.too_big = False

    def hunk(self, start: int) -> None:
        """A hunk adding lines from line ``start`` of the file on."""
        if not self.lines:
            self.line_map = [(1, start)]
        else:
            gap = start - self.next_line
            filler = min(max(gap, 0), GAP_LINES)
            self.lines.extend([b""] * filler)
            self.size += filler
            if filler != gap:  # the numbering of the lines before does not carry on
                self.line_map.append((len(self.lines) + 1, start))
        self.next_line = start

    def add(self, content: bytes) -> None:
        if self.too_big:
            return
        self.size += len(content) + 1
        if self.max_size is not None and self.size > self.max_size:
            self.too_big = True
            self.lines.clear()
            return
        self.lines.append(content)
        self.next_line += 1

    def blob(self, commit: Commit | None) -> Blob | None:
        if self.too_big or not self.lines:
            return None
        return Blob(self.path, b"\n".join(self.lines), commit, tuple(self.line_map))


def parse_patch(lines: Iterable[bytes], *, max_file_size: int | None = None) -> Iterator[Blob]:
    """Blobs of the lines each file gains in the patch ``lines`` (bytes, newlines kept or not).

    A file whose additions exceed ``max_file_size`` bytes yields nothing."""
    commit: Commit | None = None
    current: _File | None = None
    in_hunk = False
    for raw in lines:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if in_hunk:
            first = line[:1]
            if first == b"+":
                if current is not None:
                    current.add(line[1:])
                continue
            if first in (b"-", b"\\", b" "):
                continue
            in_hunk = False
        if line.startswith(b"@@"):
            match = _HUNK.match(line)
            if match is not None and current is not None and match.group(2) != b"0":
                current.hunk(int(match.group(1)))  # (a hunk that only deletes adds nothing)
            in_hunk = match is not None
        elif line.startswith(_COMMIT_MARK):
            if current is not None and (blob := current.blob(commit)) is not None:
                yield blob
            current = None
            commit = _commit(line)
        elif line.startswith(b"diff --git "):
            if current is not None and (blob := current.blob(commit)) is not None:
                yield blob
            current = None
        elif line.startswith(b"+++ "):
            path = _new_path(line[4:])
            current = None if path is None else _File(path, max_file_size)
    if current is not None and (blob := current.blob(commit)) is not None:
        yield blob


def _commit(line: bytes) -> Commit:
    sha, author, date = [*line[1:].split(b"\0"), b"", b""][:3]
    return Commit(sha.decode("ascii", "replace"), author.decode(errors="replace"), date.decode())


def _new_path(field: bytes) -> str | None:
    """The path of ``+++ b/path`` (``None`` for ``/dev/null``), unquoting git's C-style
    quoting of unusual names."""
    field = field.rstrip(b"\t")  # git appends a TAB after names that contain spaces
    if field.startswith(b'"') and field.endswith(b'"'):
        field = _unquote(field[1:-1])
    if field == b"/dev/null":
        return None
    return os.fsdecode(field[2:] if field.startswith(b"b/") else field)


def _unquote(text: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index : index + 1]
        if char != b"\\":
            out += char
            index += 1
            continue
        following = text[index + 1 : index + 2]
        if following in _ESCAPES:
            out.append(_ESCAPES[following])
            index += 2
        elif following.isdigit():
            out.append(int(text[index + 1 : index + 4], 8))
            index += 4
        else:
            out += following
            index += 2
    return bytes(out)
