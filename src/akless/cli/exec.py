"""``akless exec``: run a command with temporary credentials, assuming a role when asked.

The library decides what the command gets (``akless.export.child_environment``) and keeps
assumed roles on disk (``akless.role_cache``); this module only turns options into those calls
and then becomes the command (``os.execvpe``), so signals, stdin and the exit code are the
command's own.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from akless import _env
from akless.cli import render
from akless.cli.options import Invocation, invocation, shared_options
from akless.credentials import Credentials
from akless.export import check_exportable, child_environment
from akless.role_cache import (
    DEFAULT_SESSION_NAME,
    RoleRequest,
    assume_role_cached,
    default_cache,
    read_policy_file,
)
from akless.sts import DEFAULT_DURATION, StsClient

EXIT_CANNOT_RUN = 126
EXIT_COMMAND_NOT_FOUND = 127
"""The shell's codes for a command that cannot be run, and one that is not there."""

LONG_TERM_HINT = (
    "pass --role-arn ARN to assume a role with it, or select a role profile "
    "(type = ram_role_arn) with --profile"
)
_PYTHON_IGNORED_SIGNALS = ("SIGPIPE", "SIGXFZ", "SIGXFSZ")
"""Signals the Python runtime ignores at start-up; a command must get them back as the
default, as ``subprocess`` does (``restore_signals``), or ``cmd | head`` breaks."""


@click.command("exec", context_settings={"allow_interspersed_args": False})
@click.option(
    "--role-arn", metavar="ARN", help="Assume this RAM role with the resolved credential."
)
@click.option("--duration", type=click.IntRange(900, 43200), metavar="SECONDS",
              help=f"Session duration with --role-arn (default {DEFAULT_DURATION}).")  # fmt: skip
@click.option("--policy", "policy_file", type=click.Path(path_type=Path), metavar="FILE",
              help="JSON session policy that narrows the role's permissions.")  # fmt: skip
@click.option("--session-name", metavar="NAME",
              help="Role session name (default: ALIBABA_CLOUD_ROLE_SESSION_NAME, else "
              f"{DEFAULT_SESSION_NAME}).")  # fmt: skip
@click.option("--external-id", metavar="ID", help="External ID the role's trust policy asks for.")
@click.option(
    "--allow-long-term",
    is_flag=True,
    help="Without --role-arn, pass a long-term AccessKey on (refused by default).",
)
@shared_options
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="-- COMMAND [ARGS]...")
def exec_command(
    command: tuple[str, ...],
    role_arn: str | None,
    duration: int | None,
    policy_file: Path | None,
    session_name: str | None,
    external_id: str | None,
    allow_long_term: bool,
) -> int:
    """Run a command with temporary credentials.

    COMMAND gets them in ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET and _SECURITY_TOKEN, and no
    other credential variable. Assumed roles are cached (owner-only, in ~/.cache/akless/roles)
    until shortly before they expire, so running again makes no STS call. The exit code is
    COMMAND's.

    \b
    akless exec -- aliyun ecs DescribeRegions
    akless exec --role-arn acs:ram::123456789012:role/deploy -- ./deploy.sh
    """
    if not command:
        raise click.UsageError("no command to run; usage: akless exec [OPTIONS] -- COMMAND [ARGS]")
    role_only = {
        "--duration": duration,
        "--policy": policy_file,
        "--session-name": session_name,
        "--external-id": external_id,
    }
    given = [flag for flag, value in role_only.items() if value is not None]
    if given and not role_arn:
        raise click.UsageError(f"{', '.join(given)} only apply with --role-arn")
    current = invocation()
    if role_arn:
        request = RoleRequest(
            role_arn=role_arn,
            role_session_name=session_name
            or _env.ROLE_SESSION_NAME.get(current.environ())
            or DEFAULT_SESSION_NAME,
            duration_seconds=duration or DEFAULT_DURATION,
            policy=None if policy_file is None else read_policy_file(policy_file),
            external_id=external_id or None,
        )
        credentials = _assume(current, request)
    else:
        credentials = current.provider().get_credentials()
        check_exportable(credentials, allow_long_term=allow_long_term, hint=LONG_TERM_HINT)
    return _become(command, child_environment(credentials, current.environ()))


exec = exec_command  # the command registry looks the command up by its name


def _assume(current: Invocation, request: RoleRequest) -> Credentials:
    environ = current.environ()
    source = current.provider().get_credentials()
    return assume_role_cached(
        source,
        request,
        sts=StsClient(environ=environ),
        cache=default_cache(environ),
    )


def _become(command: Sequence[str], environ: dict[str, str]) -> int:
    """Replace this process with ``command``; returns only when it cannot be run."""
    program = command[0]
    saved = _restore_default_signals()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(program, list(command), environ)  # noqa: S606 - running it is the point
    except OSError as error:
        for number, handler in saved:
            signal.signal(number, handler)
        if isinstance(error, FileNotFoundError):
            render.note(f"akless: {program}: command not found")
            return EXIT_COMMAND_NOT_FOUND
        render.note(f"akless: cannot run {program}: {error.strerror or type(error).__name__}")
        return EXIT_CANNOT_RUN


def _restore_default_signals() -> list[tuple[int, signal._HANDLER]]:
    saved = []
    for name in _PYTHON_IGNORED_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            saved.append((number, signal.signal(number, signal.SIG_DFL)))
    return saved
