"""The ``akless`` command group and the one place that turns errors into exit codes."""

from __future__ import annotations

import click

from akless import __version__
from akless.cli.emulator import emulator
from akless.cli.main import EXIT_REMOTE, EXIT_USAGE
from akless.errors import AklessError, ConfigurationError, ServiceError, TransportError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="akless")
def cli() -> None:
    """Call Alibaba Cloud without long-lived AccessKeys."""


cli.add_command(emulator)


def run(argv: list[str] | None = None) -> int:
    """Run the command line; map akless errors to one line on stderr and an exit code."""
    try:
        cli.main(args=argv, prog_name="akless", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("akless: aborted", err=True)
        return EXIT_USAGE
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except (ServiceError, TransportError) as error:
        click.echo(f"akless: {error}", err=True)
        return EXIT_REMOTE
    except (ConfigurationError, AklessError) as error:
        click.echo(f"akless: {error}", err=True)
        return EXIT_USAGE
    return 0
