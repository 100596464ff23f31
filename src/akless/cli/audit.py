"""``akless audit KEY_ID``: what an AccessKey did, from ActionTrail (``akless.audit``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from akless.cli import _actions
from akless.cli.options import invocation, shared_options
from akless.cli.render import aligned, emit, key_values
from akless.errors import ConfigurationError

FIRST_SEEN_SINCE = "90d"
"""How far back ``--first-seen`` looks by default (ActionTrail keeps about 90 days)."""


@click.command()
@click.argument("key_id")
@click.option("--since", metavar="WHEN",
              help="Start: a duration ago (7d, 12h), a date (2024-01-02) or a time "
              "(2024-01-02T03:04:05Z). Default: 7d; 90d with --first-seen.")  # fmt: skip
@click.option("--until", metavar="WHEN", help="End, in the same forms (default: now).")
@click.option("--first-seen", is_flag=True,
              help="Only answer 'since when': the earliest event after --since.")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Read at most the newest N events (default: all of them).")  # fmt: skip
@shared_options
def audit(key_id: str, since: str | None, until: str | None, first_seen: bool,
          limit: int | None) -> None:  # fmt: skip
    """What KEY_ID did: its ActionTrail events grouped by service, action, source IP and time.

    Exit codes: 0 done (even with no events); 2 a bad --since/--until; 3 ActionTrail refused
    (such as NoPermission) or could not be reached.
    """
    from akless._durations import parse_moment
    from akless._time import system_clock

    now = system_clock()
    start = parse_moment(since or (FIRST_SEEN_SINCE if first_seen else "7d"), now=now,
                         source="--since")  # fmt: skip
    end = now if until is None else parse_moment(until, now=now, source="--until")
    if start >= end:
        raise ConfigurationError("--since must be before --until", source="--since")
    caller = invocation().provider().get_credentials()
    trail = _actions.actiontrail()
    if first_seen:
        from akless.audit import first_seen as earliest

        emit(earliest(trail, caller, key_id, start=start, end=end), _first_seen)
        return
    from akless.audit import audit_key

    progress = _progress() if sys.stderr.isatty() and not invocation().json else None
    result = audit_key(trail, caller, key_id, start=start, end=end, limit=limit, on_page=progress)
    if progress is not None:
        click.echo("\r\033[K", nl=False, err=True)
    emit(result, view)


def _progress() -> Any:
    def show(count: int) -> None:
        click.echo(f"\rakless: {count} events read...", nl=False, err=True)

    return show


def view(result: Any) -> Any:
    """The summary and the grouped table of an ``Audit``."""
    from rich.console import Group

    summary = key_values(
        [
            ("access key id", result.access_key_id),
            ("from", f"{result.start} to {result.end}"),
            ("events", _events(result)),
            ("first / last", f"{result.first_event or '-'} / {result.last_event or '-'}"),
            ("source ips", ", ".join(f"{t.name} ({t.count})" for t in result.source_ips) or "-"),
            ("by day", ", ".join(f"{t.name}: {t.count}" for t in result.days) or "-"),
        ]
    )
    if not result.groups:
        return summary
    header = ("SERVICE", "ACTION", "SOURCE IP", "COUNT", "ERRORS", "FIRST", "LAST")
    rows = [header] + [
        (g.service, g.action, g.source_ip, str(g.count), str(g.errors or ""), g.first, g.last)
        for g in result.groups
    ]
    table = aligned(rows)
    return Group(summary, "", table)


def _events(result: Any) -> str:
    text = f"{result.events} ({result.reads} read, {result.writes} write, {result.errors} failed)"
    return text if result.complete else f"{text}; only the newest, --limit stopped the reading"


def _first_seen(result: Any) -> Any:
    if result.time is None:
        return key_values(
            [
                ("access key id", result.access_key_id),
                ("first seen", f"no event from {result.start} to {result.end}"),
            ]
        )
    return key_values(
        [
            ("access key id", result.access_key_id),
            ("first seen", result.time),
            ("action", f"{result.service or '-'} {result.action}"),
            ("source ip", result.source_ip),
            ("user agent", result.user_agent),
            ("region", result.region),
        ]
    )
