"""Scanner settings: what never to scan, which findings are allowed, how large a file may be.

Read from the first of these that holds them (no merging, as with ruff):

1. the file given with ``--config`` (``config_file``): a ``pyproject.toml`` is read at
   ``[tool.akless.scan]``, any other file at ``[scan]``;
2. ``.akless.toml`` in the root, table ``[scan]``;
3. ``pyproject.toml`` in the root, table ``[tool.akless.scan]``.

``.akless.toml`` mirrors ``[tool.akless]``, so its scan settings live under ``[scan]``, and a key
at its top level is an error (with that hint) rather than silently ignored. Keys::

    [tool.akless.scan]
    exclude = ["tests/fixtures/", "*.min.js"]   # gitignore-style; never scanned
    allow-fingerprints = ["3f5c..."]            # alias: allow; credentials known to be harmless
    allow-paths = ["docs/examples/"]            # gitignore-style; findings there are allowed
    max-file-size = "5MiB"                      # bytes, or a size with a unit (see below)

Sizes follow GNU coreutils: ``K``/``KiB``, ``M``/``MiB``, ``G``/``GiB`` are powers of 1024;
``KB``, ``MB``, ``GB`` powers of 1000; case does not matter. Every problem (unknown key, wrong
type, malformed TOML) is a ``ConfigurationError`` naming the file and the key or line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from akless.errors import ConfigurationError
from akless.scan.findings import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 takes tomli from the scan extra
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["DEFAULT_SETTINGS", "ScanSettings", "is_allowed", "load_settings", "parse_size"]

PROJECT_FILE = "pyproject.toml"
SETTINGS_FILE = ".akless.toml"
DEFAULT_MAX_FILE_SIZE = 5 << 20
"""5 MiB: larger files are data, bundles or dumps, not code someone pastes a key into."""


@dataclass(frozen=True)
class ScanSettings:
    """How a scan runs, as read by ``load_settings``."""

    exclude: tuple[str, ...] = ()
    """gitignore-style patterns of paths never scanned."""
    allow_fingerprints: frozenset[str] = frozenset()
    """Fingerprints of credentials that are allowed wherever they are (a known test key)."""
    allow_paths: tuple[str, ...] = ()
    """gitignore-style patterns of paths whose findings are allowed."""
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    """Files larger than this many bytes are not scanned."""
    root: Path | None = field(default=None, compare=False)
    """The directory patterns are relative to: an absolute finding path under it is matched
    relative to it. ``None``: paths are matched as findings carry them."""


DEFAULT_SETTINGS = ScanSettings()


def is_allowed(finding: Finding, settings: ScanSettings) -> bool:
    """Whether the settings allow ``finding``: its fingerprint is listed, or its path matches
    ``allow_paths`` (as gitignore would: ``./`` dropped, an absolute path under the root made
    relative to it)."""
    if finding.fingerprint in settings.allow_fingerprints:
        return True
    if not settings.allow_paths or finding.path == "-":  # standard input has no path
        return False
    return _matcher(settings.allow_paths)(_relative(finding.path, settings.root))


@lru_cache(maxsize=32)
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    from pathspec import GitIgnoreSpec

    spec = GitIgnoreSpec.from_lines(patterns)
    return spec.match_file


def _relative(path: str, root: Path | None) -> str:
    """``path`` as gitignore patterns see it: relative, without ``./``."""
    posix = PurePosixPath(path)
    if posix.is_absolute() and root is not None:
        with suppress(ValueError):  # not under the root: matched as it is
            posix = posix.relative_to(root.as_posix())
    text = posix.as_posix()
    return text.lstrip("/") if posix.is_absolute() else text


# --- loading -----------------------------------------------------------------------------------


def load_settings(root: Path, config_file: Path | None = None) -> ScanSettings:
    """The settings for a scan of ``root``: from ``config_file`` if given, else from
    ``root/.akless.toml`` (``[scan]``), else ``root/pyproject.toml`` (``[tool.akless.scan]``),
    else the defaults."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigurationError(
                f"the akless settings file {config_file} does not exist (or is not a file)",
                source=str(config_file),
            )
        document = _read_toml(config_file)
        if config_file.name == PROJECT_FILE:
            table, where = _project_table(document, config_file)
        else:
            table, where = _settings_table(document, config_file)
        return _settings(table or {}, config_file, where, root)
    candidates = (
        (root / SETTINGS_FILE, _settings_table),
        (root / PROJECT_FILE, _project_table),
    )
    for path, find_table in candidates:
        if path.is_file():
            table, where = find_table(_read_toml(path), path)
            if table is not None:
                return _settings(table, path, where, root)
    return ScanSettings(root=root)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigurationError(
            f"cannot read {path}: {error.strerror or type(error).__name__}", source=str(path)
        ) from None
    text: str | None = None
    problem = ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 text (invalid byte at offset {error.start})"
    if text is not None:
        try:
            document: dict[str, Any] = tomllib.loads(text)
            return document
        except tomllib.TOMLDecodeError as error:
            # The error may keep the document (3.14: ``.doc``): describe it, raise outside.
            problem = f"not valid TOML: {error}"
    raise ConfigurationError(f"{path} is {problem}", source=str(path))


def _settings_table(
    document: Mapping[str, Any], path: Path
) -> tuple[Mapping[str, Any] | None, str]:
    for key in document:
        if key != "scan":
            hint = " (scan settings go under [scan])" if key.replace("_", "-") in _KEYS else ""
            raise ConfigurationError(
                f"{path}: unknown key {key!r}{hint}; akless reads the [scan] table",
                source=str(path),
            )
    return _table(document.get("scan"), path, "[scan]"), "[scan]"


def _project_table(document: Mapping[str, Any], path: Path) -> tuple[Mapping[str, Any] | None, str]:
    where = "[tool.akless.scan]"
    tool = _table(document.get("tool"), path, "[tool]")
    akless = _table(tool.get("akless"), path, "[tool.akless]") if tool else None
    return (_table(akless.get("scan"), path, where) if akless else None), where


def _table(value: object, path: Path, where: str) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise ConfigurationError(
        f"{path}: {where} must be a table, not {_kind(value)}", source=str(path)
    )


def _settings(table: Mapping[str, Any], path: Path, where: str, root: Path) -> ScanSettings:
    values: dict[str, Any] = {"root": root}
    for key, value in table.items():
        attribute, convert = _KEYS.get(key, ("", None))
        if convert is None:
            hint = ""
            if key.replace("_", "-") in _KEYS:
                hint = f" (did you mean {key.replace('_', '-')!r}?)"
            raise ConfigurationError(
                f"{path}: unknown key {key!r} in {where}{hint}; known keys: "
                + ", ".join(sorted(_KEYS)),
                source=str(path),
            )
        if attribute in values:
            raise ConfigurationError(
                f"{path}: {where} sets {attribute.replace('_', '-')} twice "
                "(allow and allow-fingerprints are the same key)",
                source=str(path),
            )
        problem, converted = convert(value)
        if problem:
            raise ConfigurationError(f"{path}: {where} {key} {problem}", source=str(path))
        values[attribute] = converted
    return ScanSettings(**values)


Converted = tuple[str, Any]
"""``(problem, value)``: ``problem`` is empty when the value is good."""


def _patterns(value: object) -> Converted:
    problem = _not_strings(value, "gitignore-style patterns")
    if problem or not isinstance(value, list):
        return problem, None
    return "", tuple(value)


def _not_strings(value: object, what: str) -> str:
    if not isinstance(value, list):
        return f"must be a list of strings ({what}), not {_kind(value)}"
    for index, item in enumerate(value):
        if not isinstance(item, str):
            return f"must be a list of strings ({what}), but [{index}] is {_kind(item)}"
    return ""


_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


def _fingerprints(value: object) -> Converted:
    problem = _not_strings(value, "fingerprints")
    if problem or not isinstance(value, list):
        return problem, None
    for index, item in enumerate(value):
        if not _FINGERPRINT.fullmatch(item.lower()):
            return (
                f"[{index}] is not a fingerprint: expected 64 hexadecimal digits, as the JSON "
                "report and the baseline print them (never the key or secret itself)",
                None,
            )
    return "", frozenset(item.lower() for item in value)


def _size(value: object) -> Converted:
    size = parse_size(value)
    if size is None:
        return (
            f"must be a positive number of bytes or a size like '5MiB' or '500KB', "
            f"not {_kind(value)}",
            None,
        )
    return "", size


_KEYS: dict[str, tuple[str, Callable[[object], Converted]]] = {
    "exclude": ("exclude", _patterns),
    "allow-fingerprints": ("allow_fingerprints", _fingerprints),
    "allow": ("allow_fingerprints", _fingerprints),
    "allow-paths": ("allow_paths", _patterns),
    "max-file-size": ("max_file_size", _size),
}

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*")
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kib": 1 << 10,
    "kb": 1000,
    "m": 1 << 20,
    "mib": 1 << 20,
    "mb": 1000**2,
    "g": 1 << 30,
    "gib": 1 << 30,
    "gb": 1000**3,
}


def parse_size(value: object) -> int | None:
    """Bytes for an int or a size string (``"5MiB"``, ``"500 KB"``, ``"1.5M"``), or ``None``
    if ``value`` is not a positive size."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    match = _SIZE.fullmatch(value)
    if match is None or match[2].lower() not in _UNITS:
        return None
    size = int(float(match[1]) * _UNITS[match[2].lower()])
    return size if size > 0 else None


def _kind(value: object) -> str:
    # Never the value itself: someone may paste a key where a fingerprint belongs.
    if isinstance(value, dict):
        return "a table"
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    return names.get(type(value), "a list" if isinstance(value, list) else type(value).__name__)
