"""``akless serve``: a local credentials server for other processes and containers.

Prints one line to stdout, once: the variable to give the processes that should use the
credential (``ALIBABA_CLOUD_CREDENTIALS_URI=http://127.0.0.1:PORT/<token>``), or with
``--output json`` one JSON object ``{"credentials_uri": ..., "expiration": ...}``. Then serves
(see ``akless.credentials_server``) until SIGINT or SIGTERM, and exits 0.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass
from types import FrameType

import click

from akless import _env
from akless._time import format_timestamp
from akless.cli.options import invocation, shared_options
from akless.cli.render import jsonable, note
from akless.credentials_server import CredentialsServer
from akless.provider import CredentialsProvider

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL = 0.2
"""How often the main thread looks for a stop request (a signal handler only records it)."""


@dataclass(frozen=True)
class Serving:
    """What ``akless serve`` announces: the URI to read, and when its first credential expires."""

    credentials_uri: str
    expiration: str


@click.command()
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Loopback address to listen on (127.0.0.0/8, ::1 or localhost).")  # fmt: skip
@click.option("--role-arn", metavar="ARN",
              help="Assume this RAM role with the resolved credential and serve the role's "
              "temporary credentials.")  # fmt: skip
@click.option("--duration", type=int, metavar="SECONDS",
              help="Role session duration (>= 900; default 3600). Needs --role-arn.")  # fmt: skip
@click.option("--session-name", metavar="NAME",
              help="Role session name (default akless-<time>). Needs --role-arn.")  # fmt: skip
@click.option("--external-id", metavar="ID",
              help="External ID the role's trust policy asks for. Needs --role-arn.")  # fmt: skip
@shared_options
def serve(
    port: int,
    host: str,
    role_arn: str | None,
    duration: int | None,
    session_name: str | None,
    external_id: str | None,
) -> None:
    """Serve temporary credentials to local processes at ALIBABA_CLOUD_CREDENTIALS_URI.

    Prints the variable to set once, then serves until interrupted. Only temporary credentials
    are served: with a long-term AccessKey, assume a role (--role-arn) or use a role profile.
    """
    role_options = {"--duration": duration, "--session-name": session_name,
                    "--external-id": external_id}  # fmt: skip
    if not role_arn and any(value is not None for value in role_options.values()):
        given = ", ".join(name for name, value in role_options.items() if value is not None)
        raise click.UsageError(f"{given} can only be used with --role-arn")
    provider = _provider(role_arn, duration, session_name, external_id)
    server = CredentialsServer(provider, host=host, port=port)
    stop_requested: list[int] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.append(signum)

    # Installed before the line is printed: whoever reads it may stop the server at once.
    previous = {signum: signal.signal(signum, request_stop) for signum in _STOP_SIGNALS}
    try:
        with server:
            credentials = provider.get_credentials()  # the first one, still cached
            expiration = format_timestamp(credentials.expiration or 0)
            _announce(Serving(server.url, expiration))
            note(
                f"akless: serving temporary credentials from {credentials.provider_name} on "
                f"{server.host}:{server.port} (this one expires {expiration}; renewed "
                "automatically). The URI above is printed only once: it is a secret, give it "
                "only to processes that may use these credentials. Stop with Ctrl-C."
            )
            while not stop_requested:
                time.sleep(_POLL)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    note("akless: credentials server stopped")


def _provider(
    role_arn: str | None,
    duration: int | None,
    session_name: str | None,
    external_id: str | None,
) -> CredentialsProvider:
    """The resolved credential source, assuming ``role_arn`` with it when given."""
    source = invocation().provider()
    if not role_arn:
        return source
    from akless.providers import RamRoleArnProvider

    return RamRoleArnProvider(
        source=source,
        role_arn=role_arn,
        duration_seconds=duration,
        role_session_name=session_name,
        external_id=external_id,
        environ=invocation().environ(),
    )


def _announce(serving: Serving) -> None:
    """The start-up line, exactly one, flushed at once: a program reads it with ``readline``
    while the server keeps running, so it cannot be the renderer's multi-line JSON."""
    if invocation().json:
        click.echo(json.dumps(jsonable(serving)))
    else:
        click.echo(f"{_env.CREDENTIALS_URI.name}={serving.credentials_uri}")
