"""``akless emulator serve``: the local cloud on one loopback port."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import click

from akless.errors import ConfigurationError


@click.group()
def emulator() -> None:
    """The local Alibaba Cloud emulator (metadata service, STS, OIDC issuer)."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")  # fmt: skip
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file that keeps users, keys, roles, OIDC providers and call records "
              "across restarts (default: in memory).")  # fmt: skip
@click.option("--hardened-only", is_flag=True,
              help="The instance only answers hardened-mode (token) metadata reads.")  # fmt: skip
def serve(host: str, port: int, state: Path | None, hardened_only: bool) -> None:
    """Serve until interrupted. Prints ONE JSON line: endpoint, account and default identity."""
    try:
        from akless.emulator import serve_forever
    except ImportError as error:
        raise ConfigurationError(
            f"the emulator needs {error.name}, part of the 'emulator' extra: "
            "pip install 'akless[emulator]'"
        ) from error
    if state is not None and not state.parent.is_dir():
        raise ConfigurationError(
            f"--state {state}: the folder {state.parent} does not exist; create it first",
            source=str(state),
        )
    try:
        serve_forever(host=host, port=port, state=state, hardened_only=hardened_only)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"{host}:{port} is already in use; pick another --port"
            ) from error
        if error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            raise ConfigurationError(f"cannot listen on {host}:{port}: {error.strerror}") from error
        raise
    except sqlite3.DatabaseError as error:
        raise ConfigurationError(
            f"--state {state} is not an emulator state file ({error}); choose another path",
            source=str(state),
        ) from error
