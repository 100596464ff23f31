"""``akless export``: print the resolved credential for another tool (``akless.export``)."""

from __future__ import annotations

import click

from akless import _env
from akless.cli import render
from akless.cli.options import invocation, shared_options
from akless.errors import ConfigurationError
from akless.export import FORMATS, check_exportable, render_credentials

NESTED = _env.EXPORT_DEPTH.name
"""How many ``akless export`` are running each other: a credential process that is itself
``akless export`` reading the same profile would otherwise start itself without end."""
MAX_NESTED = 3

LONG_TERM_HINT = (
    "select a role profile (type = ram_role_arn) with --profile, or run the program under "
    "`akless exec --role-arn ARN -- COMMAND`"
)


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS),
              help="env: shell export lines; json: the credentials-URI answer; ini: a "
              "credentials.ini profile; credential-process: the aliyun CLI External format. "
              "Default: json with --output json, else env.")  # fmt: skip
@click.option("--allow-long-term", is_flag=True,
              help="Also print a long-term AccessKey (refused by default).")  # fmt: skip
@click.option("--to-terminal", is_flag=True,
              help="Print even when standard output is a terminal.")  # fmt: skip
@shared_options
def export(fmt: str | None, allow_long_term: bool, to_terminal: bool) -> None:
    """Print the resolved temporary credential for another tool.

    \b
    eval "$(akless export)"                         # this shell
    akless export --format json > creds.json        # a file
    process_command = akless export --format credential-process   # aliyun CLI External mode
    """
    if render.stdout_is_terminal() and not to_terminal:
        raise ConfigurationError(
            'refusing to print credentials to a terminal: use eval "$(akless export)", '
            "redirect to a file or a pipe, or pass --to-terminal",
            source="stdout",
        )
    current = invocation()
    depth = _depth(current.environ().get(NESTED))
    if depth >= MAX_NESTED:
        raise ConfigurationError(
            "akless export is running itself: the credential it resolves comes from a "
            "credential process that runs `akless export` again; choose another --profile",
            source=NESTED,
        )
    current.overrides[NESTED] = str(depth + 1)
    credentials = current.provider().get_credentials()
    check_exportable(credentials, allow_long_term=allow_long_term, hint=LONG_TERM_HINT)
    text = render_credentials(credentials, fmt or ("json" if current.json else "env"))
    click.echo(text, nl=False)


def _depth(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
