"""``akless doctor``: why is this credential used? Each step of the chain with its status, what
it read, then the warnings a security reviewer would raise, then whose the credential is.

Exit 0 when a credential resolves (warnings or not), 1 when none does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from akless.cli import render
from akless.cli.main import EXIT_NOT_FOUND
from akless.cli.options import invocation, shared_options

if TYPE_CHECKING:
    from akless.doctor import Diagnosis, Step

STATUS_STYLES = {
    "used": "bold green",
    "not configured": "dim",
    "failed": "bold red",
    "not reached": "dim italic",
}


@click.command()
@shared_options
def doctor() -> int | None:
    """Walk the credential chain step by step and flag security problems."""
    from akless.doctor import diagnose

    call = invocation()
    result = diagnose(environ=call.environ(), profile=call.profile)
    render.emit(result, view)
    if result.resolved:
        return None
    if not call.json:
        render.note(f"akless: {result.identity_error}")
    return EXIT_NOT_FOUND


def view(result: Diagnosis) -> Any:
    """The steps as a table, then the warnings, then the identity."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from akless.cli.render import key_values
    from akless.cli.whoami import rows

    table = Table(
        title=Text(f"credential chain: {result.chain}", style="bold"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("#", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("why", ratio=3, overflow="fold")
    table.add_column("reads", ratio=2, overflow="fold")
    for number, step in enumerate(result.steps, 1):
        status = Text(step.status, style=STATUS_STYLES.get(step.status, ""))
        table.add_row(str(number), Text(step.name), status, Text(step.detail), _reads(step))
    parts: list[Any] = [table]
    if result.warnings:
        parts.append(Text(f"\n{len(result.warnings)} warning(s):", style="bold yellow"))
        for finding in result.warnings:
            parts.append(
                Text.assemble(
                    ("! ", "bold yellow"),
                    (finding.code, "bold yellow"),
                    f": {finding.message}\n  fix: ",
                    (finding.fix, "bold"),
                )
            )
    else:
        parts.append(Text("\nno warnings", style="green"))
    if result.identity is not None:
        parts += [Text("\nidentity:", style="bold"), key_values(rows(result.identity))]
    else:
        parts.append(Text(f"\nno identity: {result.identity_error}", style="red"))
    return Group(*parts)


def _reads(step: Step) -> Any:
    """The variables that are set and the files (every variable is in the JSON output)."""
    from rich.text import Text

    lines = Text()
    for variable in step.variables:
        if variable.is_set:
            shown = " (set)" if variable.value is None else f"={variable.value}"
            lines.append(f"{variable.name}{shown}\n")
    unset = sum(not variable.is_set for variable in step.variables)
    if unset:
        lines.append(f"{unset} variable(s) not set\n", style="dim")
    for file in step.files:
        state = f"mode {file.mode}" if file.mode else "exists" if file.exists else "absent"
        style = "bold red" if file.open_to_others else "" if file.exists else "dim"
        lines.append(f"{file.path} ({state})\n", style=style)
    lines.rstrip()
    return lines
