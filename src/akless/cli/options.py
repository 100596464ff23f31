"""The options every command takes, before or after its name (``akless --profile dev whoami``
and ``akless whoami --profile dev`` are the same), and the ``Invocation`` they build.

Endpoint and region options become the official environment variables in the ``environ`` the
library is given, so a flag and its variable always mean the same thing; the flag wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from akless._env import Environ
from akless.provider import CredentialsProvider

F = TypeVar("F", bound=Callable[..., Any])

ENDPOINT_OPTIONS = {
    "--sts-endpoint": "ALIBABA_CLOUD_STS_ENDPOINT",
    "--metadata-endpoint": "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT",
    "--ram-endpoint": "ALIBABA_CLOUD_RAM_ENDPOINT",
    "--kms-endpoint": "ALIBABA_CLOUD_KMS_ENDPOINT",
    "--actiontrail-endpoint": "ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT",
}
"""Each endpoint flag and the variable it sets (a host, or a full URL such as the emulator's)."""
REGION_VARIABLES = ("ALIBABA_CLOUD_STS_REGION", "ALIBABA_CLOUD_REGION_ID")


@dataclass
class Invocation:
    """What the shared options say; one per command line (``click.Context.obj``)."""

    profile: str | None = None
    region: str | None = None
    output: str = "text"
    overrides: dict[str, str] = field(default_factory=dict)

    def environ(self) -> Environ:
        """``os.environ`` with the flags' variables on top (read when called, not before)."""
        values = dict(os.environ)
        if self.region:
            values.update(dict.fromkeys(REGION_VARIABLES, self.region))
        values.update(self.overrides)
        return values

    def provider(self) -> CredentialsProvider:
        """The credential source: ``--profile``'s profile, or the default chain."""
        from akless.chain import resolve_provider

        return resolve_provider(self.profile, environ=self.environ())

    @property
    def json(self) -> bool:
        """Whether ``--output json`` was asked for."""
        return self.output == "json"


def invocation(ctx: click.Context | None = None) -> Invocation:
    """The command line's ``Invocation`` (created on first use)."""
    context = ctx or click.get_current_context()
    root = context.find_root()
    if not isinstance(root.obj, Invocation):
        root.obj = Invocation()
    return root.obj


def _set(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(invocation(ctx), attribute, value)

    return callback


def _set_endpoint(variable: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value:
            invocation(ctx).overrides[variable] = value

    return callback


def shared_options(command: F) -> F:
    """Add ``--profile``, ``--region``, ``--output`` and every endpoint flag to ``command``."""
    decorators = [
        click.option(
            "--profile",
            "-p",
            expose_value=False,
            callback=_set("profile"),
            help="Use this profile (credentials.ini, then ~/.aliyun/config.json) instead of "
            "the default chain.",
        ),
        click.option(
            "--region",
            expose_value=False,
            callback=_set("region"),
            help="Region of regional endpoints (sts.<region>.aliyuncs.com).",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Choice(["text", "json"]),
            expose_value=False,
            callback=_set("output"),
            help="text for people (default), json for programs.",
        ),
        *(
            click.option(
                flag,
                expose_value=False,
                callback=_set_endpoint(variable),
                metavar="HOST|URL",
                help=f"Sets {variable} for this command.",
            )
            for flag, variable in ENDPOINT_OPTIONS.items()
        ),
    ]
    for decorate in reversed(decorators):
        command = decorate(command)
    return command
