"""What every destructive command shares: a confirmation unless ``--yes``, and a log of what it
did on stderr (``akless: disabled AccessKey ...``), one line per change, never a secret.

The library logs each change to ``akless.actions`` at INFO; while a destructive command runs,
those records print on stderr. The clients every command needs are built here from the shared
options, so ``--ram-endpoint`` and the others apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class _Line(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"akless: {record.getMessage()}"


@contextmanager
def logged_actions() -> Iterator[None]:
    """While the block runs, each change the library logs prints as one line on stderr."""
    logger = logging.getLogger("akless.actions")
    handler = logging.StreamHandler()
    handler.setLevel(logging.INFO)
    handler.setFormatter(_Line())
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


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
