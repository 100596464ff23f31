"""The ``akless`` command group, and the one place that turns errors into exit codes.

Every command is a module in ``akless.cli`` registered in ``COMMANDS``; each is a thin layer over
a library function that returns a frozen result, printed by ``akless.cli.render``. A command
returns nothing (exit 0) or an exit code; errors are raised and mapped here, to one line on
stderr and a documented code (see ``akless.cli.main``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click

from akless import __version__
from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK, EXIT_REMOTE, EXIT_USAGE
from akless.cli.options import shared_options
from akless.errors import (
    AklessError,
    CredentialsRefreshError,
    CredentialsUnavailable,
    MalformedResponse,
    NotFound,
    ServiceError,
    TransportError,
)

COMMANDS = {
    "whoami": "akless.cli.whoami",
    "doctor": "akless.cli.doctor",
    "export": "akless.cli.export",
    "exec": "akless.cli.exec",
    "serve": "akless.cli.serve",
    "configure": "akless.cli.configure",
    "scan": "akless.cli.scan",
    "keys": "akless.cli.keys",
    "audit": "akless.cli.audit",
    "respond": "akless.cli.respond",
    "revoke-sessions": "akless.cli.revoke",
    "emulator": "akless.cli.emulator",
}
"""Command name -> module defining a click command of the same name, ``-`` written ``_``
(imported when used)."""

EXIT_INTERRUPTED = 130


class _Commands(click.Group):
    """Loads a command's module only when that command runs (or ``--help`` lists it)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        attribute = cmd_name.replace("-", "_")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="akless")
@shared_options
def cli() -> None:
    """Call Alibaba Cloud without long-lived AccessKeys.

    Exit codes: 0 ok, 1 findings or not found, 2 usage or configuration error, 3 remote error.
    """


class _Lowercase(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"akless: {record.levelname.lower()}: {record.getMessage()}"


class _Change(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"akless: {record.getMessage()}"


def _stderr_handler(level: int, formatter: logging.Formatter) -> logging.Handler:
    handler = logging.StreamHandler()  # the stderr of this run (tests swap it)
    handler.setLevel(level)
    handler.setFormatter(formatter)
    return handler


@contextmanager
def _library_logs_on_stderr() -> Iterator[None]:
    """While a command runs, the library's warnings (a credentials file others can read, a
    tokenless metadata read...) print as ``akless: warning: ...``, and each change a command
    makes in the cloud or on disk (logged to ``akless.actions`` at INFO: ``disabled AccessKey
    ...``) as one ``akless: ...`` line, never a secret. The library itself never adds a
    handler; an application does, and the CLI is one."""
    logger, actions = logging.getLogger("akless"), logging.getLogger("akless.actions")
    warnings = _stderr_handler(logging.WARNING, _Lowercase())
    changes = _stderr_handler(logging.INFO, _Change())
    changes.addFilter(lambda record: record.levelno < logging.WARNING)  # those print above
    logger.addHandler(warnings)
    actions.addHandler(changes)
    propagate, logger.propagate = logger.propagate, False
    level = actions.level
    actions.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(warnings)
        actions.removeHandler(changes)
        logger.propagate = propagate
        actions.setLevel(level)


def run(argv: list[str] | None = None) -> int:
    """Run the command line; map akless errors to one line on stderr and an exit code."""
    with _library_logs_on_stderr():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    try:
        code = cli.main(args=argv, prog_name="akless", standalone_mode=False)
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except click.exceptions.Abort:
        click.echo("akless: aborted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("akless: interrupted", err=True)
        return EXIT_INTERRUPTED
    except (CredentialsUnavailable, NotFound) as error:  # includes NoCredentialsFound
        _report(error)
        return EXIT_NOT_FOUND
    except (ServiceError, TransportError, MalformedResponse, CredentialsRefreshError) as error:
        _report(error)
        return EXIT_REMOTE
    except AklessError as error:  # ConfigurationError and anything else akless raises
        _report(error)
        return EXIT_USAGE
    return code if isinstance(code, int) else EXIT_OK


def _report(error: AklessError) -> None:
    """One line: the error, then the hints the library added on the way up (what was already
    done, how to finish)."""
    hints = "".join(f"; {hint}" for hint in error.hints)
    click.echo(f"akless: {error}{hints}", err=True)
