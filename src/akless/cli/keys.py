"""``akless keys``: a RAM user's AccessKeys, through ``akless.keys`` and ``akless.rotation``.

A secret is printed only by ``create`` and ``rotate`` with ``--target stdout``, as shell
``export`` lines for ``eval``; every other output (and every log line) holds AccessKey IDs only.
"""

from __future__ import annotations

from typing import Any

import click

from akless.cli import _actions
from akless.cli._actions import confirm, user_option, yes_option
from akless.cli.options import invocation, shared_options
from akless.cli.render import aligned, emit, key_values, note, stdout_is_terminal
from akless.errors import ConfigurationError
from akless.keys import KeyChange, KeyListing, LastUsed
from akless.rotation import Rotation
from akless.rotation_targets import TARGET_HELP, Target

STDOUT_NOTE = (
    "stdout prints the key as shell lines (export ALIBABA_CLOUD_ACCESS_KEY_ID=... and _SECRET=...) "
    "for eval or a file, and refuses a terminal unless --to-terminal."
)


@click.group()
def keys() -> None:
    """A RAM user's AccessKeys: list, create, disable, enable, delete, last-used, rotate.

    Exit codes: 0 done; 1 the key is not one of the user's keys; 2 a bad option, target or
    file, or a refusal (say --yes, or fix what the message names); 3 RAM, STS or KMS refused
    (such as NoPermission) or could not be reached; 130 declined at the confirmation.
    """


@keys.command("list")
@user_option
@shared_options
def list_(user_name: str | None) -> None:
    """The user's AccessKeys (IDs, status, creation), marking the one in use. No secrets."""
    from akless.keys import list_keys

    emit(list_keys(_actions.ram(), _caller(), user_name), _listing)


@keys.command()
@click.option("--target", metavar="TARGET", help=f"Where the secret goes: {TARGET_HELP}. "
              "An INI profile must not exist yet; a KMS secret must be a Generic one. "
              + STDOUT_NOTE)  # fmt: skip
@click.option("--to-terminal", is_flag=True, help="Let --target stdout print to a terminal.")
@user_option
@shared_options
def create(target: str | None, to_terminal: bool, user_name: str | None) -> None:
    """Create an AccessKey and store its secret in --target, and nowhere else.

    Prefer roles: a long-term key is what leaks. The secret is shown only with --target stdout.
    """
    from akless.keys import create_key

    if target is None:
        raise ConfigurationError(
            f"say where the new secret goes: --target {TARGET_HELP}", source="--target"
        )
    caller = _caller()
    where = _target(target, caller, to_terminal)
    change = create_key(_actions.ram(), caller, where, user_name)
    _emit_change(change, where)


@keys.command()
@click.argument("key_id")
@user_option
@yes_option
@shared_options
def disable(key_id: str, user_name: str | None, yes: bool) -> None:
    """Disable KEY_ID: every call signed with it fails until it is enabled again."""
    _set_status(key_id, "Inactive", user_name, yes)


@keys.command()
@click.argument("key_id")
@user_option
@yes_option
@shared_options
def enable(key_id: str, user_name: str | None, yes: bool) -> None:
    """Enable KEY_ID again."""
    _set_status(key_id, "Active", user_name, yes)


@keys.command()
@click.argument("key_id")
@user_option
@yes_option
@shared_options
def delete(key_id: str, user_name: str | None, yes: bool) -> None:
    """Delete KEY_ID for good (disable it first to find out who still needs it)."""
    from akless.keys import delete_key, find_key, whose

    caller, ram = _caller(), _actions.ram()
    info = find_key(ram, caller, key_id, user_name)
    warning = _in_use_warning(key_id, caller)
    state = "" if info.status == "Inactive" else " It is still Active."
    confirm(f"Delete AccessKey {key_id} of {whose(user_name)} for good?{state}{warning}", yes)
    emit(delete_key(ram, caller, key_id, user_name), _change)


@keys.command("last-used")
@click.argument("key_id")
@user_option
@shared_options
def last_used(key_id: str, user_name: str | None) -> None:
    """When KEY_ID last signed a call (RAM GetAccessKeyLastUsed)."""
    from akless.keys import last_used as when

    emit(when(_actions.ram(), _caller(), key_id, user_name), _last_used)


@keys.command()
@click.option("--target", metavar="TARGET",
              help=f"Where the new key goes: {TARGET_HELP}. Default: the INI profile the current "
              "credential came from. A RAMCredentials KMS secret is rotated by KMS (RotateSecret); "
              "a Generic one gets the pair as JSON. " + STDOUT_NOTE)  # fmt: skip
@click.option("--grace", metavar="DURATION",
              help="How long the disabled old key is kept before it is deleted (0, 12h, 7d; "
              "default 1d, or what an unfinished rotation recorded). Run the rotation again "
              "after it to delete the old key.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--to-terminal", is_flag=True, help="Let --target stdout print to a terminal.")
@user_option
@yes_option
@shared_options
def rotate(
    target: str | None,
    grace: str | None,
    dry_run: bool,
    to_terminal: bool,
    user_name: str | None,
    yes: bool,
) -> None:
    """Replace an AccessKey: create a new one, write it to the target, prove it works (STS
    GetCallerIdentity), disable the old one, delete it after --grace.

    Safe to interrupt: run the same command again and it finishes what is left, never holding
    three keys and never disabling the old key before the new one works.
    """
    from akless._durations import parse_duration
    from akless.rotation import Rotator, rotate_key
    from akless.rotation_journal import JournalStore, journal_directory
    from akless.rotation_targets import default_target

    call = invocation()
    provider = call.provider()
    caller = provider.get_credentials()
    where: Target = (
        _target(target, caller, to_terminal) if target else default_target(provider, call.environ())
    )
    seconds = None if grace is None else parse_duration(grace, source="--grace")
    journals = JournalStore(journal_directory(call.environ()))

    def rotator(dry: bool) -> Rotator:
        return Rotator(_actions.ram(), _actions.sts(), journals, dry_run=dry)

    plan = rotate_key(rotator(True), where, caller, user_name=user_name, grace=seconds)
    if dry_run:
        emit(plan, _rotation)
        return
    steps = "".join(f"\n  - {step.detail}" for step in plan.steps)
    confirm(f"Rotate the AccessKey of {plan.target}:{steps}\nGo ahead?", yes)
    done = rotate_key(rotator(False), where, caller, user_name=user_name, grace=seconds)
    if where.spec == "stdout":
        note(f"akless: rotation {done.status}; the new key is on standard output")
    else:
        emit(done, _rotation)


# -- helpers -------------------------------------------------------------------------------------


def _caller() -> Any:
    return invocation().provider().get_credentials()


def _target(spec: str, caller: Any, to_terminal: bool) -> Target:
    from akless.rotation_targets import parse_target

    if spec.strip() == "stdout" and stdout_is_terminal() and not to_terminal:
        raise ConfigurationError(
            "refusing to print a secret to a terminal: redirect --target stdout to a file or a "
            'pipe (eval "$(akless keys ...)"), or pass --to-terminal',
            source="--target",
        )
    return parse_target(
        spec,
        environ=invocation().environ(),
        kms=_actions.kms,
        caller=caller,
        emit=lambda text: click.echo(text, nl=False),
    )


def _set_status(key_id: str, status: str, user_name: str | None, yes: bool) -> None:
    from akless.keys import find_key, set_key_status, whose

    caller, ram = _caller(), _actions.ram()
    info = find_key(ram, caller, key_id, user_name)
    if status == "Inactive" and info.status == "Active":
        warning = _in_use_warning(key_id, caller)
        confirm(f"Disable AccessKey {key_id} of {whose(user_name)}?{warning}", yes)
    emit(set_key_status(ram, caller, key_id, status, user_name), _change)


def _in_use_warning(key_id: str, caller: Any) -> str:
    if caller.access_key_id != key_id:
        return ""
    return " It is the key this command runs with: akless (and whatever else uses it) loses access."


def _emit_change(change: KeyChange, where: Target) -> None:
    if where.spec == "stdout":  # standard output holds the key; the summary goes to stderr
        note(f"akless: created AccessKey {change.access_key_id}; its secret is on standard output")
    else:
        emit(change, _change)


# -- views ---------------------------------------------------------------------------------------


def _listing(listing: KeyListing) -> Any:
    rows = [("ACCESS KEY ID", "STATUS", "CREATED", "")]
    rows += [
        (key.access_key_id, key.status, key.created, "in use" if key.in_use else "")
        for key in listing.keys
    ]
    return aligned(rows)


def _change(change: KeyChange) -> Any:
    from rich.text import Text

    where = f"; its secret is in {change.target}" if change.target else ""
    if change.action == "unchanged":
        return Text(f"AccessKey {change.access_key_id} already is {change.status}")
    return Text(f"{change.action} AccessKey {change.access_key_id}{where}")


def _last_used(result: LastUsed) -> Any:
    return key_values(
        [
            ("access key id", result.access_key_id),
            ("status", result.status),
            ("last used", result.last_used or "never"),
        ]
    )


def _rotation(result: Rotation) -> Any:
    from rich.text import Text

    lines = [f"rotation of the AccessKey of {result.target}: {result.status}"]
    for step in result.steps:
        lines.append(f"  {'done' if step.done else 'plan'}  {step.detail}")
    if result.delete_after and result.status != "finished":
        lines.append(f"the old key is deleted by a run after {result.delete_after}")
    return Text("\n".join(lines))
