"""What every destructive command shares: a confirmation unless ``--yes`` (what it did prints
on stderr through ``akless.actions``, see ``cli/root.py``), and the clients every command needs,
built from the shared options so ``--ram-endpoint`` and the others apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from akless.cli.options import invocation

if TYPE_CHECKING:
    from akless.actiontrail import ActionTrailClient
    from akless.kms import KmsClient
    from akless.ram import RamClient
    from akless.sts import StsClient

F = TypeVar("F", bound=Callable[..., Any])


def yes_option(command: F) -> F:
    """``--yes/-y``: do not ask for confirmation."""
    return click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(command)


def user_option(command: F) -> F:
    """``--user NAME``: another RAM user's keys (default: the calling user's)."""
    return click.option(
        "--user", "user_name", metavar="NAME", help="The RAM user (default: the calling user)."
    )(command)


def confirm(question: str, yes: bool) -> None:
    """Ask ``question`` on stderr unless ``yes``; declining aborts (exit 130)."""
    if not yes:
        click.confirm(question, abort=True, err=True)


def ram() -> RamClient:
    """A RAM client for this command line's endpoint settings."""
    from akless.ram import RamClient

    return RamClient(environ=invocation().environ())


def sts() -> StsClient:
    """An STS client for this command line's endpoint settings."""
    from akless.sts import StsClient

    return StsClient(environ=invocation().environ())


def kms() -> KmsClient:
    """A KMS client for this command line's endpoint and region settings."""
    from akless.kms import KmsClient

    call = invocation()
    return KmsClient(region_id=call.region, environ=call.environ())


def actiontrail() -> ActionTrailClient:
    """An ActionTrail client for this command line's endpoint and region settings."""
    from akless.actiontrail import ActionTrailClient

    call = invocation()
    return ActionTrailClient(region_id=call.region, environ=call.environ())
