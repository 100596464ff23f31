"""``akless configure``: create, list, switch and remove profiles in the INI credentials file,
through ``akless.profiles_file``.

A secret is never a flag value (shells keep flags in their history): it is prompted for with
hidden input, or read from standard input with ``--secret-stdin`` / ``--token-stdin``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from akless.cli.options import invocation, shared_options
from akless.cli.render import emit, note
from akless.errors import ConfigurationError
from akless.profiles_file import (
    KEYS,
    DefaultChange,
    ProfileChange,
    ProfileSummary,
    credentials_path,
    list_profiles,
    make_default,
    remove_profile,
    set_profile,
)
from akless.providers._selection import selected_profile
from akless.providers.profile import ALIASES, TYPES

SETTINGS = (
    ("--access-key-id", "access_key_id", "AccessKey ID (its secret is prompted for)."),
    ("--role-arn", "role_arn", "ARN of the RAM role to assume."),
    ("--role-session-name", "role_session_name", "Session name in the assumed role's ARN."),
    ("--role-name", "role_name", "The ECS instance's RAM role (blank: ask the instance)."),
    ("--oidc-provider-arn", "oidc_provider_arn", "ARN of the OIDC identity provider (RRSA)."),
    ("--oidc-token-file", "oidc_token_file_path", "File holding the OIDC token (RRSA)."),
    ("--credentials-uri", "credentials_uri", "URL that serves credentials."),
    ("--sts-endpoint", "sts_endpoint", "STS endpoint for this profile (stored in it)."),
    ("--sts-region", "sts_region", "Region of the STS endpoint for this profile."),
    ("--external-id", "external_id", "External ID the role's trust policy requires."),
    ("--source-profile", "source_profile", "Profile whose credentials assume the role."),
    ("--public-key-id", "public_key_id", "Public key ID of an RSA key pair (Japan site)."),
    ("--private-key-file", "private_key_file", "PEM private key file of that key pair."),
    ("--secret-name", "secret_name", "KMS RAM secret holding the AccessKey (kms_ram_secret)."),
)
"""Each flag of ``set`` and the key it sets in the profile."""

PROMPTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "access_key": (("access_key_id", "AccessKey ID", True),),
    "sts": (("access_key_id", "STS AccessKey ID", True),),
    "bearer": (),
    "ecs_ram_role": (("role_name", "RAM role name (blank: the instance's role)", False),),
    "ram_role_arn": (
        ("role_arn", "Role ARN", True),
        ("source_profile", "Source profile (blank: enter an AccessKey instead)", False),
        ("access_key_id", "AccessKey ID", True),
        ("role_session_name", "Role session name (blank: generated)", False),
    ),
    "oidc_role_arn": (
        ("role_arn", "Role ARN", True),
        ("oidc_provider_arn", "OIDC provider ARN", True),
        ("oidc_token_file_path", "OIDC token file", True),
        ("role_session_name", "Role session name (blank: generated)", False),
    ),
    "rsa_key_pair": (
        ("public_key_id", "Public key ID", True),
        ("private_key_file", "Private key file", True),
    ),
    "credentials_uri": (("credentials_uri", "Credentials URI", True),),
    "kms_ram_secret": (
        ("secret_name", "KMS secret name", True),
        ("source_profile", "Profile that reads KMS (blank: the default chain)", False),
    ),
}
"""What the interactive ``set`` asks for each type (key, question, required); other keys by flag."""

RECOMMENDATION = """\
akless: profile {name!r} holds a long-term AccessKey, the credential that leaks. Prefer a role
profile, so programs only ever hold short-lived credentials:
  akless configure set {name}-role --type ram_role_arn --source-profile {name} \\
      --role-arn acs:ram::<account-id>:role/<role>        (keep this key only to assume a role)
  akless configure set NAME --type ecs_ram_role --role-name <role>          (on ECS)
  akless configure set NAME --type oidc_role_arn --role-arn ... --oidc-provider-arn ... \\
      --oidc-token-file ...                                                  (on ACK with RRSA)"""


def _setting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for flag, key, text in reversed(SETTINGS):
        command = click.option(flag, key, help=text)(command)
    return command


def _output_option(command: Callable[..., Any]) -> Callable[..., Any]:
    # ``set`` stores --sts-endpoint in the profile, so it cannot take every shared option.
    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            invocation(ctx).output = value

    return click.option(
        "--output",
        "-o",
        type=click.Choice(["text", "json"]),
        expose_value=False,
        callback=remember,
        help="text for people (default), json for programs.",
    )(command)


@click.group()
def configure() -> None:
    """Profiles in ~/.alibabacloud/credentials.ini (or ALIBABA_CLOUD_CREDENTIALS_FILE).

    Edits keep comments and other profiles, and write the file atomically, readable by its
    owner only. Exit codes: 0 done; 2 for an unknown profile, an unknown type or key, a missing
    key or a malformed file (configuration errors, as with --profile on every command).
    """


@configure.command("list")
@shared_options
def list_() -> None:
    """Every profile: name, type, key (masked) or role, and which is the default. No secrets."""
    environ = invocation().environ()
    path = credentials_path(environ=environ)
    profiles = list_profiles(path=path, environ=environ)
    if not profiles:
        note(f"akless: no profiles in {path}; create one with `akless configure set NAME`")
    elif (selected := selected_profile(environ)) and not any(p.default for p in profiles):
        renamed = any(profile.name == selected for profile in profiles)
        where = "now the [default] section; unset it" if renamed else f"not in {path}"
        note(f"akless: ALIBABA_CLOUD_PROFILE selects {selected!r}, which is {where}")
    emit({"path": str(path), "profiles": profiles}, _table)


@configure.command("set")
@click.argument("name")
@click.option("--type", "kind", metavar="TYPE",
              help=f"One of {', '.join(TYPES)}. Without it, akless asks.")  # fmt: skip
@click.option("--policy", type=click.Path(path_type=Path), metavar="FILE",
              help="JSON session policy file for the role (stored in the profile).")  # fmt: skip
@click.option("--secret-stdin", is_flag=True,
              help="Read the AccessKey secret (or bearer token) from standard input.")  # fmt: skip
@click.option("--token-stdin", is_flag=True,
              help="Read the STS security token from standard input (after a secret).")  # fmt: skip
@_output_option
@_setting_options
def set_(
    name: str,
    kind: str | None,
    policy: Path | None,
    secret_stdin: bool,
    token_stdin: bool,
    **settings: str | None,
) -> None:
    """Create profile NAME, or replace all its settings.

    The secret is never a flag: it is asked for (hidden), or read with --secret-stdin.
    """
    values = {key: value for key, value in settings.items() if value}
    if policy is not None:
        values["policy"] = _read_policy(policy)
    lines = _stdin_lines(secret_stdin + token_stdin)
    if kind is None:
        kind = click.prompt("Type", type=click.Choice(TYPES))
        _ask(kind, values)
    kind = ALIASES.get(kind.lower(), kind.lower())
    if kind in KEYS:
        _add_secrets(kind, values, lines if secret_stdin else None, lines if token_stdin else None)
    change = set_profile(name, kind, values, environ=invocation().environ())
    emit(change, _changed)
    if change.profile.type == "access_key":
        note(RECOMMENDATION.format(name=change.profile.name))


@configure.command()
@click.argument("name")
@click.option("--previous-name", metavar="NAME",
              help="Name for the current [default] (default: the name it had, else "
              "previous-default).")  # fmt: skip
@shared_options
def use(name: str, previous_name: str | None) -> None:
    """Make profile NAME the one used when none is named.

    The official libraries only read [default], so NAME is renamed [default] and keeps its name
    inside (akless_name = NAME); the current [default] gets its own name back.
    """
    change = make_default(name, previous_name=previous_name, environ=invocation().environ())
    emit(change, _switched)
    selected = change.selected_instead
    if selected == change.name:
        note(f"akless: ALIBABA_CLOUD_PROFILE selects {selected!r}, now named [default]; unset it")
    elif selected:
        note(
            f"akless: ALIBABA_CLOUD_PROFILE selects {selected!r}; where it is set it still wins "
            "over [default] (unset it to use the default)"
        )


@configure.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@shared_options
def remove(name: str, yes: bool) -> None:
    """Remove profile NAME (after confirmation; declining exits 130, aborted)."""
    environ = invocation().environ()
    path = credentials_path(environ=environ)
    found = [p for p in list_profiles(path=path, environ=environ) if name in (p.name, p.section)]
    is_default = bool(found) and found[0].section == "default"
    if found and not yes:
        warning = " It is [default], the profile used when none is named." if is_default else ""
        click.confirm(f"Remove profile {name!r} from {path}?{warning}", abort=True, err=True)
    change = remove_profile(name, allow_default=True, path=path, environ=environ)
    emit(change, _changed)


def _read_policy(path: Path) -> str:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(
            f"--policy {path}: {error.strerror or type(error).__name__}", source=str(path)
        ) from None
    except ValueError:
        raise ConfigurationError(f"--policy {path} is not JSON", source=str(path)) from None
    return json.dumps(document, separators=(",", ":"))


def _stdin_lines(count: int) -> list[str]:
    lines = [sys.stdin.readline().strip() for _ in range(count)]
    if not all(lines):
        raise ConfigurationError("standard input ended before the secret (one line each)")
    return lines


def _ask(kind: str, values: dict[str, str]) -> None:
    for key, question, required in PROMPTS.get(kind, ()):
        if key in values or (key == "access_key_id" and values.get("source_profile")):
            continue
        answer = click.prompt(question, default=None if required else "", show_default=False)
        if answer.strip():
            values[key] = answer.strip()


def _add_secrets(
    kind: str, values: dict[str, str], secret: list[str] | None, token: list[str] | None
) -> None:
    uses_key = kind in ("access_key", "sts") or (
        kind == "ram_role_arn" and "access_key_id" in values
    )
    secret_key = "bearer_token" if kind == "bearer" else "access_key_secret" if uses_key else None
    if secret is not None and secret_key is None:
        raise ConfigurationError(f"--secret-stdin: a {kind} profile here stores no secret")
    if token is not None and kind not in ("sts", "ram_role_arn"):
        raise ConfigurationError(f"--token-stdin: a {kind} profile stores no security token")
    if secret_key is not None:
        label = "Bearer token" if kind == "bearer" else "AccessKey secret"
        values[secret_key] = secret.pop(0) if secret else click.prompt(label, hide_input=True)
    if token is not None:
        values["security_token"] = token.pop(0)
    elif kind == "sts":
        values["security_token"] = click.prompt("Security token", hide_input=True)


# -- views ---------------------------------------------------------------------------------------


def _credential(profile: ProfileSummary) -> str:
    if profile.role_arn:
        source = profile.source_profile or profile.access_key_id or profile.oidc_provider_arn
        return f"{profile.role_arn} (from {source})" if source else profile.role_arn
    if profile.type == "ecs_ram_role":
        return f"instance role {profile.role_name}" if profile.role_name else "instance role"
    return (
        profile.access_key_id
        or profile.credentials_uri
        or profile.public_key_id
        or ("token stored" if profile.has_secret else "-")
    )


def _table(listing: dict[str, Any]) -> Any:
    # Plain aligned text rather than a rich Table, which would wrap or cut an ARN to fit the
    # terminal; Text, never markup, so ":ram:" stays text and "[default]" stays visible.
    from rich.text import Text

    rows = [("", "NAME", "TYPE", "KEY / ROLE", "")]
    for profile in listing["profiles"]:
        name = profile.name if profile.name == profile.section else f"{profile.name} [default]"
        marker, status = ("*" if profile.default else ""), ("" if profile.enabled else "disabled")
        rows.append((marker, name, profile.type or "?", _credential(profile), status))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return Text("\n".join(lines))


def _changed(change: ProfileChange) -> Any:
    from rich.text import Text

    profile = change.profile
    described = f"{profile.type}, {_credential(profile)}"
    return Text(f"{change.action} profile {profile.name!r} ({described}) in {change.path}")


def _switched(change: DefaultChange) -> Any:
    from rich.text import Text

    if not change.changed:
        return Text(f"profile {change.name!r} already is [default] in {change.path}")
    moved = f"; the previous [default] is now [{change.previous}]" if change.previous else ""
    return Text(f"profile {change.name!r} is now [default] in {change.path}{moved}")
