"""An INI file as blocks of lines, edited one section at a time (for ``akless.profiles_file``).

A block is one section: the comment lines directly above its header (no blank line between), the
header line, and every line after it up to the next block. Lines before the first header are the
preamble. An edit rewrites only the lines it must (a key's line, a header) and ``render`` joins
everything else back unchanged: comments, blank lines, key order, line endings.

This is a line-level reading, not a parser: the caller checks every result by parsing it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

_HEADER = re.compile(r"\[(?P<header>.+)\]")  # configparser's SECTCRE, matched the same way
_KEY = re.compile(r"(?P<key>.*?)\s*[=:]")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise akless's own read-modify-write cycles on one directory (POSIX, best effort)."""
    descriptor = -1
    with suppress(OSError, ImportError):
        import fcntl

        descriptor = os.open(directory, os.O_RDONLY)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if descriptor >= 0:
            os.close(descriptor)  # closing releases the lock


@dataclass
class _Block:
    """One section: the comments directly above its header, the header, the lines after it."""

    name: str
    header: str
    lead: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)


@dataclass
class Document:
    """A whole file: the lines before the first section, then one block per section."""

    preamble: list[str]
    blocks: list[_Block]
    newline: str

    @classmethod
    def parse(cls, text: str) -> Document:
        lines = _LINE.findall(text)  # like configparser: only "\n" ends a line
        newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        document = cls([], [], newline)
        for line in lines:
            name = _header_name(line)
            if name is None:
                (document.blocks[-1].body if document.blocks else document.preamble).append(line)
                continue
            block = _Block(name, line)
            if document.blocks:  # comments right above a header describe that section
                before = document.blocks[-1].body
                while before and before[-1].strip()[:1] in ("#", ";"):
                    block.lead.insert(0, before.pop())
            document.blocks.append(block)
        return document

    def names(self) -> list[str]:
        return [block.name for block in self.blocks]

    def render(self) -> str:
        parts = list(self.preamble)
        for block in self.blocks:
            parts += [*block.lead, block.header, *block.body]
        return "".join(parts)

    def _block(self, name: str) -> _Block:
        return next(block for block in self.blocks if block.name == name)

    def append(self, name: str) -> None:
        """Add an empty section ``name`` at the end, after a blank line."""
        lines = self.render().splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            if not self.blocks:
                self.preamble[-1] += self.newline
            elif self.blocks[-1].body:
                self.blocks[-1].body[-1] += self.newline
            else:
                self.blocks[-1].header += self.newline
        if lines and lines[-1].strip():
            (self.blocks[-1].body if self.blocks else self.preamble).append(self.newline)
        self.blocks.append(_Block(name, f"[{name}]{self.newline}"))

    def remove(self, name: str) -> None:
        index = self.names().index(name)
        del self.blocks[index]
        if index == len(self.blocks):  # it was the last: no blank lines left dangling at the end
            last = self.blocks[-1].body if self.blocks else self.preamble
            while last and not last[-1].strip():
                last.pop()

    def rename(self, renames: Mapping[str, str]) -> None:
        for block in self.blocks:
            if block.name in renames:
                new = renames[block.name]
                block.header = f"[{new}]{block.header[len(block.name) + 2 :]}"
                block.name = new

    def update(self, name: str, updates: Mapping[str, str | None]) -> None:
        """Set (or, for ``None``, delete) keys of section ``name``; other lines stay as they are."""
        if not updates:
            return
        block = self._block(name)
        body: list[str] = []
        done: set[str] = set()
        after_last_key = 0
        for key, lines in _entries(block.body):
            if key is not None and key in updates:
                value = updates[key]
                if value is None or key in done:
                    continue
                lines = [f"{key} = {value}{self.newline}"]
                done.add(key)
            body += lines
            if key is not None:
                after_last_key = len(body)
        added = [
            f"{key} = {value}{self.newline}"
            for key, value in updates.items()
            if value is not None and key not in done
        ]
        body[after_last_key:after_last_key] = added
        block.body = body


def _header_name(line: str) -> str | None:
    if line[:1].isspace():  # configparser may read it as a value; the read-back check decides
        return None
    text = re.split(r"\s[#;]", line.strip(), maxsplit=1)[0]
    match = None if text[:1] in ("#", ";") else _HEADER.match(text)
    return match["header"] if match else None


def _entries(body: list[str]) -> list[tuple[str | None, list[str]]]:
    """``body`` as (key, its lines) for settings, with continuation lines, and (None, [line])."""
    entries: list[tuple[str | None, list[str]]] = []
    pending: list[str] = []  # blank lines that may still be part of a multi-line value
    for line in body:
        stripped = line.strip()
        if not stripped:
            pending.append(line)
            continue
        last_is_key = bool(entries) and entries[-1][0] is not None
        if line[:1].isspace() and last_is_key and stripped[0] not in "#;":
            entries[-1][1].extend([*pending, line])
        else:
            entries += [(None, [blank]) for blank in pending]
            match = None if stripped[0] in "#;" else _KEY.match(stripped)
            key = match["key"].strip().lower() if match else None
            entries.append((key, [line]))
        pending = []
    return entries + [(None, [blank]) for blank in pending]
