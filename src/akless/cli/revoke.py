"""``akless revoke-sessions ROLE``: kill every unexpired STS token of a role by detaching its
policies, after saving them to a restore file; ``--restore FILE`` attaches them again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from akless.cli import _actions
from akless.cli._actions import confirm, yes_option
from akless.cli.options import invocation, shared_options
from akless.cli.render import emit, key_values
from akless.errors import ConfigurationError


@click.command("revoke-sessions")
@click.argument("role_name", metavar="ROLE")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Where the role's policies are saved first (default: "
              "./akless-revoke-ROLE-TIME.json; it must not exist).")  # fmt: skip
@click.option("--restore", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Attach the policies saved in FILE to ROLE again.")  # fmt: skip
@yes_option
@shared_options
def revoke_sessions(role_name: str, snapshot: Path | None, restore: Path | None,
                    yes: bool) -> None:  # fmt: skip
    """Revoke every unexpired STS token of ROLE: save its policies, then detach them all.

    Everything that uses the role stops working too, until --restore. Exit codes: 0 done;
    1 no such role; 2 a bad or existing file, or a snapshot of another role; 3 RAM refused
    (such as NoPermission) or could not be reached; 130 declined.
    """
    from akless._time import system_clock
    from akless.revoke import (
        default_snapshot_path,
        read_snapshot,
        restore_policies,
        revoke_sessions,
        role,
    )

    caller = invocation().provider().get_credentials()
    ram = _actions.ram()
    if restore is not None:
        saved = read_snapshot(restore)
        if saved.role_name.lower() != role_name.lower():
            raise ConfigurationError(
                f"{restore} holds the policies of role {saved.role_name!r}, not {role_name!r}",
                source=str(restore),
            )
        names = ", ".join(p.name for p in saved.policies) or "none"
        confirm(f"Attach to role {saved.role_name} again: {names}?", yes)
        emit(restore_policies(ram, caller, saved, restore), _restored)
        return
    info = role(ram, caller, role_name)
    path = snapshot or default_snapshot_path(info.name, system_clock())
    confirm(
        f"Detach every policy of role {info.name}? Every unexpired STS token of it, and "
        "everything that uses the role, loses its permissions until --restore.",
        yes,
    )
    emit(revoke_sessions(ram, caller, info.name, path), _revoked)


def _revoked(result: Any) -> Any:
    return key_values(
        [
            ("role", result.arn),
            ("detached", ", ".join(result.detached) or "nothing: no policy was attached"),
            ("revoked at", result.revoked_at),
            ("tokens expire by", result.tokens_expire_by),
            (
                "restore with",
                f"akless revoke-sessions {result.role_name} --restore {result.restore_file}",
            ),
        ]
    )


def _restored(result: Any) -> Any:
    return key_values(
        [
            ("role", result.role_name),
            ("attached", ", ".join(result.attached) or "-"),
            ("already attached", ", ".join(result.already_attached) or "-"),
        ]
    )
