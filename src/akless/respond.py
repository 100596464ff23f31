"""The leaked-key playbook: disable the key, find out what it did and where it is configured
here, and write an incident report (Markdown and JSON) that never contains a secret.

``respond`` disables the key (first: every minute counts), then gathers the rest and never
fails for it: a last use or an audit that cannot be read is reported as such. Where the key is
configured (``find_locations``): the INI credentials files, the aliyun CLI's config.json,
environment variables holding the key ID, and files under the given paths (the leak scanner's
findings).
Only places, never values: a location names a file and a line, a profile, or a variable.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from akless._env import Environ
from akless._files import read_credentials_file, write_credentials_file
from akless._time import format_timestamp
from akless.audit import Audit, audit_key
from akless.credentials import Credentials
from akless.errors import AklessError, ConfigurationError
from akless.keys import find_key, set_key_status, whose

if TYPE_CHECKING:
    from akless.actiontrail import ActionTrailClient
    from akless.ram import RamClient

log = logging.getLogger("akless.actions")
AUDIT_WINDOW = 7 * 86400


@dataclass(frozen=True)
class Location:
    """A place the key is configured: ``kind`` (``INI profile``, ``aliyun CLI profile``,
    ``environment variable``, ``file``), ``where`` (a path or a variable), ``detail``."""

    kind: str
    where: str
    detail: str = ""


@dataclass(frozen=True)
class Incident:
    """What ``respond`` did and found."""

    access_key_id: str
    user_name: str | None
    handled: str
    """When the response ran."""
    action: str
    """``disabled``, or ``unchanged`` when the key already was disabled."""
    last_used: str | None
    audit: Audit | None
    audit_error: str | None
    locations: tuple[Location, ...]
    scanned: tuple[str, ...]
    """Paths searched by the leak scanner (none when it is not installed)."""
    reports: tuple[str, ...] = ()
    last_used_error: str | None = None
    """Why ``last_used`` is unknown (RAM could not say), when it is."""


def respond(
    ram: RamClient,
    trail: ActionTrailClient,
    caller: Credentials,
    access_key_id: str,
    *,
    now: float,
    user_name: str | None = None,
    environ: Environ | None = None,
    scan: Sequence[Path] = (),
    report_dir: Path | None = None,
) -> Incident:
    """Run the playbook for ``access_key_id`` (see the module docstring)."""
    if caller.access_key_id == access_key_id:
        raise ConfigurationError(
            "the leaked key is the credential akless is running with; respond with another "
            "identity (--profile NAME), or replace it with `akless keys rotate`",
            source="KEY_ID",
        )
    find_key(ram, caller, access_key_id, user_name)
    change = set_key_status(ram, caller, access_key_id, "Inactive", user_name)
    last: float | None = None
    last_used_error: str | None = None
    try:
        last = ram.get_access_key_last_used(caller, access_key_id, user_name)
    except AklessError as error:  # the key is disabled: the report still gets written
        last_used_error = str(error)
    audit: Audit | None = None
    audit_error: str | None = None
    try:
        audit = audit_key(trail, caller, access_key_id, start=now - AUDIT_WINDOW, end=now)
    except AklessError as error:
        audit_error = str(error)
    locations, scanned = find_locations(access_key_id, environ=environ, scan=scan)
    incident = Incident(
        access_key_id=access_key_id,
        user_name=user_name,
        handled=format_timestamp(now),
        action=change.action,
        last_used=None if last is None else format_timestamp(last),
        audit=audit,
        audit_error=audit_error,
        locations=locations,
        scanned=scanned,
        last_used_error=last_used_error,
    )
    if report_dir is None:
        return incident
    return write_reports(incident, report_dir)


def find_locations(
    access_key_id: str, *, environ: Environ | None = None, scan: Sequence[Path] = ()
) -> tuple[tuple[Location, ...], tuple[str, ...]]:
    """Where ``access_key_id`` is configured here, and the paths the scanner searched."""
    import os

    found = [*_ini_locations(access_key_id, environ), *_cli_locations(access_key_id, environ)]
    variables = os.environ if environ is None else environ
    for name, value in sorted(variables.items()):
        if value.strip() == access_key_id:
            found.append(Location("environment variable", name))
    scanned = _scan(access_key_id, scan, found)
    return tuple(found), scanned


def _scan(access_key_id: str, paths: Sequence[Path], found: list[Location]) -> tuple[str, ...]:
    if not paths:
        return ()
    try:
        from akless.scan.config import DEFAULT_SETTINGS
        from akless.scan.runner import scan_paths
    except ImportError:
        return ()
    for finding in scan_paths(list(paths), DEFAULT_SETTINGS, workers=1):
        if finding.access_key_id == access_key_id:
            found.append(Location("file", finding.path, f"line {finding.line}"))
    return tuple(str(path) for path in paths)


def write_reports(incident: Incident, directory: Path) -> Incident:
    """Write ``incident`` as Markdown and JSON (owner-only) in ``directory``; the incident with
    the two paths."""
    stamp = incident.handled.replace(":", "").replace("-", "")
    base = directory / f"akless-incident-{incident.access_key_id}-{stamp}"
    markdown, data = base.with_suffix(".md"), base.with_suffix(".json")
    done = dataclasses.replace(incident, reports=(str(markdown), str(data)))
    write_credentials_file(data, json.dumps(dataclasses.asdict(done), indent=2) + "\n")
    write_credentials_file(markdown, render_markdown(done))
    log.info("wrote the incident report to %s and %s", markdown, data)
    return done


def render_markdown(incident: Incident) -> str:
    """The incident report for people."""
    key = incident.access_key_id
    lines = [
        f"# Incident: AccessKey {key}",
        "",
        f"- Handled: {incident.handled} by `akless respond`",
        f"- Owner: {whose(incident.user_name)}",
        f"- Action: {'disabled' if incident.action == 'disabled' else 'already disabled'}",
        f"- Last used (RAM): {_last_used(incident)}",
        "",
        "## What the key did (ActionTrail, last 7 days)",
        "",
    ]
    audit = incident.audit
    if audit is None:
        lines.append(f"Could not read the events: {incident.audit_error}")
    elif not audit.groups:
        lines.append(f"No events from {audit.start} to {audit.end}.")
    else:
        lines += [
            f"{audit.events} event{'' if audit.events == 1 else 's'} "
            f"({audit.writes} write, {audit.errors} failed), "
            f"first {audit.first_event}, last {audit.last_event}.",
            "",
            "| service | action | source IP | count | errors | first | last |",
            "|---|---|---|---:|---:|---|---|",
        ]
        lines += [
            f"| {g.service} | {g.action} | {g.source_ip} | {g.count} | {g.errors} | {g.first} "
            f"| {g.last} |"
            for g in audit.groups
        ]
    lines += ["", "## Where it is configured on this machine", ""]
    lines += [f"- {loc.kind}: `{loc.where}` {loc.detail}".rstrip() for loc in incident.locations]
    if not incident.locations:
        lines.append("Nowhere akless looked.")
    if incident.scanned:
        lines += ["", f"Scanned for it: {', '.join(f'`{p}`' for p in incident.scanned)}"]
    lines += [
        "",
        "## Next steps",
        "",
        f"1. Check the events above for anything you did not do; `akless audit {key} --since 90d`"
        " looks further back, `--first-seen` says since when it was used.",
        "2. Replace the key where it is configured (`akless keys rotate --target ...`), or better "
        "move those programs to a role.",
        f"3. Once nothing needs it, delete it: `akless keys delete {key}`.",
        "",
    ]
    return "\n".join(lines)


def _last_used(incident: Incident) -> str:
    if incident.last_used_error:
        return f"unknown ({incident.last_used_error})"
    return incident.last_used or "never"


def _ini_locations(access_key_id: str, environ: Environ | None) -> list[Location]:
    from akless.providers.profile import candidate_paths, parse_ini

    found = []
    try:
        paths = candidate_paths(environ=environ)
    except AklessError:
        return []
    for path in paths:
        text = _read(path)
        try:
            parser = parse_ini(text, path) if text else None
        except AklessError:
            parser = None
        for section in parser.sections() if parser else ():
            if parser and parser[section].get("access_key_id", "").strip() == access_key_id:
                found.append(Location("INI profile", str(path), section))
    return found


def _cli_locations(access_key_id: str, environ: Environ | None) -> list[Location]:
    from akless.providers.cli_profile import config_path, parse_config

    try:
        path = config_path(environ=environ)
        text = _read(path)
        profiles = parse_config(text, path)[1] if text else {}
    except AklessError:
        return []
    return [
        Location("aliyun CLI profile", str(path), name)
        for name, profile in profiles.items()
        if str(profile.get("access_key_id", "")).strip() == access_key_id
    ]


def _read(path: Path) -> str | None:
    try:
        return read_credentials_file(path, what="credentials file")
    except (FileNotFoundError, AklessError):
        return None
