"""``akless whoami``: account, ARN and identity type of the credential the chain (or
``--profile``) resolves, which provider served it and when it expires. Never a secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from akless.cli import render
from akless.cli.options import invocation, shared_options

if TYPE_CHECKING:
    from akless.whoami import WhoAmI


@click.command()
@shared_options
def whoami() -> None:
    """Show who the resolved credential belongs to (STS GetCallerIdentity)."""
    from akless.whoami import whoami as identify

    call = invocation()
    render.emit(identify(call.provider(), environ=call.environ()), view)


def view(result: WhoAmI) -> Any:
    """The key-value text view of a ``WhoAmI``."""
    return render.key_values(rows(result))


def rows(result: WhoAmI) -> list[tuple[str, Any]]:
    """A ``WhoAmI`` as labelled rows (``akless doctor`` shows the same)."""
    expires = result.expiration
    remaining = result.expires_in_seconds
    if expires is not None and remaining is not None:
        when = f"in {_duration(remaining)}" if remaining >= 0 else f"{_duration(-remaining)} ago"
        expires = f"{expires} ({when})"
    return [
        ("account", result.account_id),
        ("arn", result.arn),
        ("identity type", result.identity_type),
        ("principal id", result.principal_id),
        ("provider", result.provider_name),
        ("access key id", result.access_key_id),
        ("credential", "temporary (STS)" if result.temporary else "long-term AccessKey"),
        ("expires", expires or "never"),
    ]


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"
