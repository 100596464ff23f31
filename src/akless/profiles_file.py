"""Read and edit the INI credentials file, keeping every line an edit does not touch.

The file is ``ALIBABA_CLOUD_CREDENTIALS_FILE``, else ``~/.alibabacloud/credentials.ini`` (which
the official libraries read). Edits work on its lines (``akless._ini_document``): comments, blank
lines, other sections and key order survive byte for byte. Each result is parsed again with the
provider's parser and must read back exactly as intended, else nothing is written; a file that
does not parse is never rewritten. Writes are atomic, mode 0600, in a folder created 0700.
Summaries hold no secret: AccessKey IDs are masked, a ``credentials_uri`` loses its query.

``make_default(name)`` makes ``name`` the profile used when none is named, for the official
libraries too, which only read ``[default]``: the profile is *renamed* ``[default]`` and keeps its
name inside as ``akless_name = NAME`` (a key they ignore); the previous ``[default]`` gets back its
own recorded ``akless_name`` (else ``previous-default``, or a name the caller passes).
``source_profile`` references follow the renames. Everywhere here a profile is named by its
section or, for ``[default]``, by its recorded name.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from akless import _env
from akless._env import Environ
from akless._files import read_credentials_file, write_credentials_file
from akless._ini_document import Document, locked
from akless.credentials import Credentials, mask_key_id
from akless.errors import ConfigurationError, CredentialsUnavailable
from akless.providers._selection import selected_profile
from akless.providers.profile import ALIASES, DEFAULT_PROFILE, WHAT, candidate_paths, parse_ini

NAME_KEY = "akless_name"
"""Where a profile renamed ``[default]`` keeps its own name (the official libraries ignore it)."""
PREVIOUS_DEFAULT = "previous-default"
SECRET_KEYS = frozenset({"access_key_secret", "security_token", "bearer_token"})

# fmt: off
_ROLE_KEYS = ("role_session_name", "policy", "duration_seconds", "sts_endpoint", "sts_region",
              "region_id", "enable_vpc")
KEYS: Mapping[str, tuple[str, ...]] = {
    "access_key": ("access_key_id", "access_key_secret"),
    "sts": ("access_key_id", "access_key_secret", "security_token"),
    "bearer": ("bearer_token",),
    "ecs_ram_role": ("role_name",),
    "ram_role_arn": ("source_profile", "access_key_id", "access_key_secret", "security_token",
                     "role_arn", "external_id", *_ROLE_KEYS),
    "oidc_role_arn": ("role_arn", "oidc_provider_arn", "oidc_token_file_path", *_ROLE_KEYS),
    "rsa_key_pair": ("public_key_id", "private_key_file", *_ROLE_KEYS[2:]),
    "credentials_uri": ("credentials_uri",),
    "kms_ram_secret": ("secret_name", "source_profile", "kms_endpoint", "region_id"),
}
"""Each type ``akless.providers.profile`` reads and the keys it reads for it, in writing order
(every type also takes ``enable``)."""
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "access_key": KEYS["access_key"], "sts": KEYS["sts"], "bearer": KEYS["bearer"],
    "ecs_ram_role": (),
    "ram_role_arn": ("role_arn",),  # and source_profile, or access_key_id + access_key_secret
    "oidc_role_arn": KEYS["oidc_role_arn"][:3],
    "rsa_key_pair": KEYS["rsa_key_pair"][:2],
    "credentials_uri": KEYS["credentials_uri"],
    "kms_ram_secret": ("secret_name",),
}
# fmt: on
_FLAGS = ("enable", "enable_vpc")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class ProfileSummary:
    """What a profile is, without any secret: ``has_secret`` only says whether one is stored."""

    name: str
    """The profile's name: its section, or for ``[default]`` its recorded ``akless_name``."""
    section: str
    type: str | None
    enabled: bool
    default: bool
    """Used when no profile is named: the selected one (``ALIBABA_CLOUD_PROFILE``...) or default."""
    has_secret: bool
    access_key_id: str | None = None
    """Masked: ``LTAI****abcd``."""
    source_profile: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    role_session_name: str | None = None
    oidc_provider_arn: str | None = None
    oidc_token_file: str | None = None
    credentials_uri: str | None = None
    """Without query or user info (either may carry a token)."""
    public_key_id: str | None = None
    private_key_file: str | None = None


@dataclass(frozen=True)
class ProfileChange:
    """A profile ``set_profile`` created or replaced, or ``remove_profile`` removed."""

    path: str
    action: str
    """``created``, ``replaced`` or ``removed``."""
    profile: ProfileSummary


@dataclass(frozen=True)
class DefaultChange:
    """What ``make_default`` did: ``name`` is now ``[default]``."""

    path: str
    name: str
    changed: bool
    """False when ``name`` already was the default."""
    previous: str | None = None
    """The name the previous ``[default]`` has now (``None``: there was none)."""
    selected_instead: str | None = None
    """The profile ``ALIBABA_CLOUD_PROFILE`` (or ``akless.use_profile``) selects: where that is
    set, it still wins over ``[default]``."""


def credentials_path(path: str | Path | None = None, environ: Environ | None = None) -> Path:
    """The file this module reads and edits."""
    configured = path or _env.CREDENTIALS_FILE.get(environ)
    try:
        found = candidate_paths(path, environ)[0]
    except CredentialsUnavailable as error:
        raise ConfigurationError(
            f"{error}; set ALIBABA_CLOUD_CREDENTIALS_FILE to the credentials file to use",
            source="HOME",
        ) from None
    if not configured and os.environ.get("HOME") == "":  # Python then takes "/" as home
        raise ConfigurationError(
            "HOME is empty, so there is no ~/.alibabacloud; set HOME or "
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            source="HOME",
        )
    return found


def list_profiles(
    *, path: str | Path | None = None, environ: Environ | None = None
) -> tuple[ProfileSummary, ...]:
    """Every profile in the file, in file order (none when there is no file)."""
    target = credentials_path(path, environ)
    text = _read(target)
    if text is None:
        return ()
    parser = parse_ini(text, target)
    chosen = selected_profile(environ) or DEFAULT_PROFILE
    return tuple(_summary(section, dict(parser[section]), chosen) for section in parser.sections())


def set_profile(
    name: str,
    type: str,
    values: Mapping[str, str],
    *,
    path: str | Path | None = None,
    environ: Environ | None = None,
) -> ProfileChange:
    """Create profile ``name``, or replace all its settings, with ``type`` and ``values``.

    ``type`` must be one akless reads and ``values`` hold exactly the keys it reads for that type
    (``KEYS``), with the required ones (``REQUIRED``). ``[default]`` keeps its ``akless_name``.
    """
    target = credentials_path(path, environ)
    kind = ALIASES.get(type.strip().lower(), type.strip().lower())
    if kind not in KEYS:
        raise ConfigurationError(
            f"profile {name!r} in {target}: unknown type {type!r}; "
            f"supported types: {', '.join(KEYS)}",
            source=str(target),
        )
    cleaned = _check_values(name, kind, values, target)
    chosen = selected_profile(environ) or DEFAULT_PROFILE

    def edit(document: Document, old: _Sections) -> tuple[_Sections, ProfileChange]:
        section = _locate(old, name)
        new_values = {"type": kind, **cleaned}
        if "source_profile" in cleaned:
            source = _locate(old, cleaned["source_profile"])
            if source is None or source == (section or name):
                problem = f"source_profile {cleaned['source_profile']!r} is no other profile here"
                raise _error(target, name, problem)
            new_values["source_profile"] = source
        if section is None:
            _check_name(name, target)
            section = name
            document.append(section)
        elif section == DEFAULT_PROFILE and NAME_KEY in old[section]:
            new_values[NAME_KEY] = old[section][NAME_KEY]
        updates: dict[str, str | None] = dict.fromkeys(old.get(section, {}))
        updates.update(new_values)
        document.update(section, updates)
        action = "replaced" if section in old else "created"
        new = {**old, section: new_values}
        return new, ProfileChange(str(target), action, _summary(section, new_values, chosen))

    return _edit(target, edit)


def remove_profile(
    name: str,
    *,
    allow_default: bool = False,
    path: str | Path | None = None,
    environ: Environ | None = None,
) -> ProfileChange:
    """Remove profile ``name``.

    ``[default]`` is the profile everything uses when none is named, so removing it while other
    profiles remain needs ``allow_default=True`` (the CLI's confirmation); better, make another
    profile the default first. A profile another one names as ``source_profile`` is kept.
    """
    target = credentials_path(path, environ)
    chosen = selected_profile(environ) or DEFAULT_PROFILE

    def edit(document: Document, old: _Sections) -> tuple[_Sections, ProfileChange]:
        section = _require(old, name, target)
        users = [other for other, keys in old.items() if keys.get("source_profile") == section]
        if users:
            raise _error(target, name, f"profile {users[0]!r} uses it as source_profile")
        if section == DEFAULT_PROFILE and len(old) > 1 and not allow_default:
            problem = "it is [default], used whenever no profile is named; confirm the removal"
            raise _error(target, name, problem)
        document.remove(section)
        summary = _summary(section, old[section], chosen)
        new = {key: value for key, value in old.items() if key != section}
        return new, ProfileChange(str(target), "removed", summary)

    return _edit(target, edit)


def make_default(
    name: str,
    *,
    previous_name: str | None = None,
    path: str | Path | None = None,
    environ: Environ | None = None,
) -> DefaultChange:
    """Make profile ``name`` the one used when none is named, by renaming it ``[default]``.

    The previous ``[default]`` takes ``previous_name``, else its recorded ``akless_name``, else
    ``previous-default``; that name must be free. See the module docstring.
    """
    target = credentials_path(path, environ)
    selected = selected_profile(environ)

    def edit(document: Document, old: _Sections) -> tuple[_Sections, DefaultChange]:
        section = _require(old, name, target)
        instead = selected if selected != DEFAULT_PROFILE else None
        if section == DEFAULT_PROFILE:
            return old, DefaultChange(str(target), name, False, selected_instead=instead)
        renames = {section: DEFAULT_PROFILE}
        previous = None
        if DEFAULT_PROFILE in old:
            recorded = old[DEFAULT_PROFILE].get(NAME_KEY)
            previous = previous_name or recorded or PREVIOUS_DEFAULT
            _check_name(previous, target)
            if previous == DEFAULT_PROFILE or (previous in old and previous != section):
                problem = f"the current [default] cannot be renamed [{previous}], which exists"
                raise _error(target, name, problem)
            renames[DEFAULT_PROFILE] = previous
        new: _Sections = {}
        for current, keys in old.items():
            updates: dict[str, str | None] = {}
            source = keys.get("source_profile")
            if source in renames:
                updates["source_profile"] = renames[source]
            if current in renames:
                updates[NAME_KEY] = name if current == section else None
            document.update(current, updates)
            merged = {key: value for key, value in {**keys, **updates}.items() if value is not None}
            new[renames.get(current, current)] = merged
        document.rename(renames)
        return new, DefaultChange(str(target), name, True, previous, instead)

    return _edit(target, edit)


# -- reading, checking, editing ------------------------------------------------------------------

_Sections = dict[str, dict[str, str]]
R = TypeVar("R")


def _error(path: Path, name: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"profile {name!r} in {path}: {problem}", source=str(path))


def _read(path: Path) -> str | None:
    try:
        return read_credentials_file(path, what=WHAT)
    except FileNotFoundError:
        return None


def _locate(sections: Mapping[str, Mapping[str, str]], name: str) -> str | None:
    if name in sections:
        return name
    default = sections.get(DEFAULT_PROFILE, {})
    return DEFAULT_PROFILE if default.get(NAME_KEY) == name else None


def _require(sections: Mapping[str, Mapping[str, str]], name: str, path: Path) -> str:
    section = _locate(sections, name)
    if section is None:
        present = ", ".join(list(sections)[:20]) or "none"
        raise _error(path, name, f"no such profile (profiles there: {present})")
    return section


def _check_name(name: str, path: Path) -> None:
    if not _NAME.fullmatch(name) or name == "DEFAULT":  # [DEFAULT] is special to configparser
        raise _error(path, name, "a profile name is 1-64 letters, digits and ._@+- (not DEFAULT)")


def _check_values(name: str, kind: str, values: Mapping[str, str], path: Path) -> dict[str, str]:
    allowed = KEYS[kind]
    cleaned: dict[str, str] = {}
    for key, value in values.items():
        if key not in allowed and key != "enable":
            takes = ", ".join((*allowed, "enable"))
            raise _error(path, name, f"type {kind} does not use {key!r}; it takes {takes}")
        text = value.strip()
        if not text:
            continue
        # Both readers cut a value at '#' (the official at any '#', akless after a space), akless
        # also at ' ;'; the official parser fails on every profile at a lone '%'.
        if any(mark in text for mark in "\r\n#%") or re.search(r"\s;", text):
            raise _error(path, name, f"{key} cannot hold a line break, '#', '%' or ' ;'")
        if key in _FLAGS and text.lower() not in _FALSE | {"1", "true", "yes", "on"}:
            raise _error(path, name, f"{key} must be true or false")
        if key == "duration_seconds" and not text.isdigit():
            raise _error(path, name, "duration_seconds must be a whole number of seconds")
        cleaned[key] = text
    ordered = {key: cleaned[key] for key in (*allowed, "enable") if key in cleaned}
    missing = [key for key in REQUIRED[kind] if key not in ordered]
    if kind == "ram_role_arn":
        with_keys = [key for key in ("access_key_id", "access_key_secret") if key in ordered]
        if "source_profile" in ordered and (with_keys or "security_token" in ordered):
            problem = "set either source_profile or access_key_id/access_key_secret, not both"
            raise _error(path, name, problem)
        if "source_profile" not in ordered and len(with_keys) < 2:
            missing.append("source_profile (or access_key_id and access_key_secret)")
    if missing:
        raise _error(path, name, f"type {kind} needs {', '.join(missing)}")
    return ordered


def _summary(section: str, keys: Mapping[str, str], chosen: str) -> ProfileSummary:
    def get(key: str) -> str | None:
        return keys.get(key) or None

    declared = (get("type") or "").lower() or None
    key_id, public_key_id = get("access_key_id"), get("public_key_id")
    name = (get(NAME_KEY) if section == DEFAULT_PROFILE else None) or section
    return ProfileSummary(
        name=name,
        section=section,
        type=ALIASES.get(declared, declared) if declared else None,
        enabled=(get("enable") or "true").lower() not in _FALSE,
        default=section == chosen,
        has_secret=any(get(key) for key in SECRET_KEYS),
        access_key_id=mask_key_id(key_id) if key_id else None,
        source_profile=get("source_profile"),
        role_arn=get("role_arn"),
        role_name=get("role_name"),
        role_session_name=get("role_session_name"),
        oidc_provider_arn=get("oidc_provider_arn"),
        oidc_token_file=get("oidc_token_file_path"),
        credentials_uri=_without_query(get("credentials_uri")),
        public_key_id=mask_key_id(public_key_id) if public_key_id else None,
        private_key_file=get("private_key_file"),
    )


def _without_query(uri: str | None) -> str | None:
    if uri is None:
        return None
    try:
        parts = urlsplit(uri)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "(not a URL)"


def _edit(target: Path, edit: Callable[[Document, _Sections], tuple[_Sections, R]]) -> R:
    with locked(target.parent):
        text = _read(target)
        old: _Sections = {}
        if text is not None:
            parser = _parse_unchanged(text, target)
            old = {section: dict(parser[section]) for section in parser.sections()}
        document = Document.parse(text or "")
        if text is not None and document.names() != list(old):
            raise _unusual(target)
        new, result = edit(document, old)
        updated = document.render()
        if updated == (text or ""):
            return result
        if _read_back(updated, target) != list(new.items()):
            raise _unusual(target)
        write_credentials_file(target, updated)
        return result


def _read_back(text: str, path: Path) -> list[tuple[str, dict[str, str]]] | None:
    try:
        parser = parse_ini(text, path)
    except ConfigurationError:
        return None
    return [(name, dict(parser[name])) for name in parser.sections()]


def _parse_unchanged(text: str, path: Path) -> configparser.ConfigParser:
    try:
        return parse_ini(text, path)
    except ConfigurationError as error:
        raise ConfigurationError(
            f"{error}. The file was not changed; fix it first", source=str(path)
        ) from None


def _unusual(path: Path) -> ConfigurationError:
    return ConfigurationError(
        f"{path} is laid out in a way this editor cannot change safely (an indented section "
        "header or a multi-line value); the file was not changed, edit it by hand",
        source=str(path),
    )


# -- the AccessKey a profile holds (for ``akless keys rotate``) ---------------------------------

_KEY_HOLDERS = ("access_key", "ram_role_arn")
"""Types that can hold a long-term AccessKey pair in the profile itself."""


def stored_access_key(
    name: str, *, path: str | Path | None = None, environ: Environ | None = None
) -> Credentials:
    """The long-term AccessKey profile ``name`` holds itself (an ``access_key`` profile, or a
    ``ram_role_arn`` profile with its own key): what a key rotation replaces. The result never
    shows its secret; a profile of another type is a ``ConfigurationError``."""
    target = credentials_path(path, environ)
    text = _read(target)
    if text is None:
        raise ConfigurationError(f"there is no credentials file at {target}", source=str(target))
    parser = _parse_unchanged(text, target)
    sections = {section: dict(parser[section]) for section in parser.sections()}
    keys = sections[_require(sections, name, target)]
    kind = (keys.get("type") or "").strip().lower()
    key_id, secret = keys.get("access_key_id"), keys.get("access_key_secret")
    if kind not in _KEY_HOLDERS or not key_id or not secret or keys.get("security_token"):
        raise _error(target, name, f"a {kind or 'typeless'} profile holds no long-term AccessKey")
    return Credentials(key_id, secret, provider_name="profile/static_ak")


def replace_access_key(
    name: str,
    credentials: Credentials,
    *,
    path: str | Path | None = None,
    environ: Environ | None = None,
) -> ProfileChange:
    """Put ``credentials`` (a long-term AccessKey) in profile ``name`` in place of the key it
    holds, changing nothing else in the file (atomic, 0600, read back before it is written)."""
    if credentials.is_temporary:
        raise ConfigurationError("only a long-term AccessKey can replace a profile's key")
    target = credentials_path(path, environ)
    chosen = selected_profile(environ) or DEFAULT_PROFILE
    pair = {
        "access_key_id": credentials.access_key_id,
        "access_key_secret": credentials.access_key_secret,
    }
    for key, value in pair.items():
        if not value or _breaks_value(value):
            raise _error(target, name, f"the new {key} cannot be written to an INI file")

    def edit(document: Document, old: _Sections) -> tuple[_Sections, ProfileChange]:
        section = _require(old, name, target)
        kind = (old[section].get("type") or "").strip().lower()
        if kind not in _KEY_HOLDERS or "access_key_id" not in old[section]:
            raise _error(target, name, f"a {kind or 'typeless'} profile holds no AccessKey")
        document.update(section, pair)
        new = {**old, section: {**old[section], **pair}}
        return new, ProfileChange(str(target), "replaced", _summary(section, new[section], chosen))

    return _edit(target, edit)


def _breaks_value(text: str) -> bool:
    return any(mark in text for mark in "\r\n#%;") or text != text.strip()
