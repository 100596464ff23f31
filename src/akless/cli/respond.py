"""``akless respond KEY_ID``: the leaked-key playbook in one command (``akless.respond``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from akless.cli import _actions
from akless.cli._actions import confirm, user_option, yes_option
from akless.cli.options import invocation, shared_options
from akless.cli.render import emit, key_values


@click.command()
@click.argument("key_id")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Where the incident report goes (.md, .json).")  # fmt: skip
@click.option("--scan", "scan_paths", type=click.Path(exists=True, path_type=Path),
              multiple=True, metavar="PATH",
              help="Search these files or folders for the key (default: the current folder; "
              "needs the scanner).")  # fmt: skip
@click.option("--no-scan", is_flag=True, help="Do not search any files.")
@user_option
@yes_option
@shared_options
def respond(key_id: str, report_dir: Path, scan_paths: tuple[Path, ...], no_scan: bool,
            user_name: str | None, yes: bool) -> None:  # fmt: skip
    """A leaked AccessKey: disable it, audit what it did, find where it is configured here
    (profiles, environment, files), and write an incident report that holds no secret.

    Exit codes: 0 done; 1 the key is not one of the user's keys; 2 a bad option, or the key
    is the one akless runs with (respond with another --profile); 3 RAM refused or could not
    be reached (an unreadable audit is noted in the report instead); 130 declined.
    """
    from akless._time import system_clock
    from akless.keys import find_key, whose
    from akless.respond import respond as run_playbook

    call = invocation()
    caller = call.provider().get_credentials()
    ram = _actions.ram()
    if caller.access_key_id != key_id:
        find_key(ram, caller, key_id, user_name)  # an unknown key fails before the question
    confirm(f"Disable AccessKey {key_id} of {whose(user_name)} now?", yes)
    paths = () if no_scan else scan_paths or (Path.cwd(),)
    incident = run_playbook(
        ram,
        _actions.actiontrail(),
        caller,
        key_id,
        now=system_clock(),
        user_name=user_name,
        environ=call.environ(),
        scan=paths,
        report_dir=report_dir,
    )
    emit(incident, view)


def view(incident: Any) -> Any:
    """The incident in a few lines."""
    audit = incident.audit
    events = incident.audit_error or (
        "-"
        if audit is None
        else f"{audit.events} in the last 7 days, "
        f"from {', '.join(t.name for t in audit.source_ips) or 'nowhere'}"
    )
    places = [f"{loc.kind} {loc.where} {loc.detail}".rstrip() for loc in incident.locations]
    return key_values(
        [
            ("access key id", incident.access_key_id),
            ("action", incident.action),
            ("last used", incident.last_used_error or incident.last_used or "never"),
            ("events", events),
            ("configured in", "; ".join(places) or "nowhere akless looked"),
            ("report", " and ".join(incident.reports)),
        ]
    )
