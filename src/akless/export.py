"""Hand a credential to another program: as text it reads (``render_credentials``), or as the
environment it runs in (``child_environment``). Both are pure: no I/O, no clock.

Formats of ``render_credentials``:

``env``
    POSIX shell lines, for ``eval "$(akless export)"``::

        export ALIBABA_CLOUD_ACCESS_KEY_ID='STS.…'
        export ALIBABA_CLOUD_ACCESS_KEY_SECRET='…'
        export ALIBABA_CLOUD_SECURITY_TOKEN='…'

    (a long-term key ends with ``unset ALIBABA_CLOUD_SECURITY_TOKEN`` instead, so a token left
    in the shell by an earlier export is not paired with the wrong key).
``json``
    The credentials-URI answer, so the output can also be served as one::

        {"Code": "Success", "AccessKeyId": …, "AccessKeySecret": …, "SecurityToken": …,
         "Expiration": "2006-01-02T15:04:05Z"}

    ``SecurityToken`` and ``Expiration`` are ``null`` when the credential has none (a long-term
    key; an STS token given without its expiry).
``ini``
    An ``[akless-export]`` profile of ``credentials.ini`` (``type = sts`` or ``access_key``).
``credential-process``
    The aliyun CLI ``External`` format, so ``akless export --format credential-process`` can be a
    profile's ``process_command``::

        {"mode": "StsToken", "access_key_id": …, "access_key_secret": …, "sts_token": …,
         "expiration": "2006-01-02T15:04:05Z"}
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from akless import _env
from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import ConfigurationError

FORMATS = ("env", "json", "ini", "credential-process")
INI_SECTION = "akless-export"

CREDENTIAL_VARIABLES = (
    _env.ACCESS_KEY_ID.name,
    _env.ACCESS_KEY_SECRET.name,
    _env.SECURITY_TOKEN.name,
)
"""What a child process is given: the official names every SDK reads first."""

REMOVED_VARIABLES = frozenset(
    {
        # What would make the child choose another credential than the one it is given.
        _env.ROLE_ARN.name,
        _env.ROLE_SESSION_NAME.name,
        _env.OIDC_PROVIDER_ARN.name,
        _env.OIDC_TOKEN_FILE.name,
        _env.CREDENTIALS_URI.name,
        _env.CREDENTIALS_FILE.name,
        _env.CONFIG_FILE.name,
        _env.PROFILE.name,
        _env.ECS_METADATA.name,
        "ALIBABACLOUD_PROFILE",
        "ALICLOUD_PROFILE",
        # Older and third-party names that carry a credential (aliyun CLI, Terraform).
        "ALIBABACLOUD_ACCESS_KEY_ID",
        "ALIBABACLOUD_ACCESS_KEY_SECRET",
        "ALICLOUD_ACCESS_KEY",
        "ALICLOUD_SECRET_KEY",
        "ALICLOUD_SECURITY_TOKEN",
        "ALICLOUD_ACCESS_KEY_ID",
        "ALICLOUD_ACCESS_KEY_SECRET",
        "ACCESS_KEY_ID",
        "ACCESS_KEY_SECRET",
    }
)
"""Variables a child process never sees (endpoint, region and switch variables are kept)."""

_CARRIES_SECRET = re.compile(r"(ALIBABA_?CLOUD|ALICLOUD)_\w*(ACCESS_KEY|SECRET|TOKEN)\w*")
"""Any other variable of the Alibaba Cloud families whose name says it holds a key or a token
(``ALIBABACLOUD_SECURITY_TOKEN``, ``ALIBABA_CLOUD_BEARER_TOKEN``...): removed too."""


def is_removed(name: str) -> bool:
    """Whether ``child_environment`` drops the variable ``name``."""
    return name in REMOVED_VARIABLES or _CARRIES_SECRET.fullmatch(name) is not None


def child_environment(credentials: Credentials, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` for a child that must use ``credentials`` and nothing else.

    The three official variables carry the credential (the token variable only when there is
    a token); every other variable that carries or selects a credential is removed; and
    ``ALIBABA_CLOUD_IGNORE_PROFILE=TRUE`` makes the aliyun CLI, which otherwise prefers its own
    configured profile over these variables, use them too.
    """
    _require_access_key(credentials)
    child = {name: value for name, value in environ.items() if not is_removed(name)}
    key_id, secret, token = CREDENTIAL_VARIABLES
    child[key_id] = credentials.access_key_id
    child[secret] = credentials.access_key_secret
    if credentials.security_token:
        child[token] = credentials.security_token
    else:
        child.pop(token, None)
    child[_env.IGNORE_PROFILE.name] = "TRUE"
    return child


def check_exportable(credentials: Credentials, *, allow_long_term: bool, hint: str) -> None:
    """``ConfigurationError`` unless ``credentials`` may be handed out: temporary, or a long-term
    key with ``allow_long_term``. ``hint`` says how to get a temporary one instead."""
    _require_access_key(credentials)
    if credentials.is_temporary or allow_long_term:
        return
    raise ConfigurationError(
        f"the credential ({credentials.provider_name}) is a long-term AccessKey, and handing out "
        f"temporary ones is the point: {hint}, or pass --allow-long-term",
        source="allow_long_term",
    )


def render_credentials(credentials: Credentials, fmt: str) -> str:
    """``credentials`` as text in ``fmt`` (one of ``FORMATS``), ending with a newline."""
    render = _RENDERERS.get(fmt)
    if render is None:
        raise ConfigurationError(
            f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", source="format"
        )
    _require_access_key(credentials)
    return render(credentials)


def _require_access_key(credentials: Credentials) -> None:
    if not credentials.access_key_id or not credentials.access_key_secret:
        raise ConfigurationError(
            f"the credential ({credentials.provider_name}) is a bearer token, not an AccessKey: "
            "it cannot be handed to another program",
            source="credentials",
        )


def _expiration(credentials: Credentials) -> str | None:
    expiration = credentials.expiration
    return None if expiration is None else format_timestamp(expiration)


def _env_lines(credentials: Credentials) -> str:
    key_id, secret, token = CREDENTIAL_VARIABLES
    lines = [
        f"export {key_id}={shlex.quote(credentials.access_key_id)}",
        f"export {secret}={shlex.quote(credentials.access_key_secret)}",
    ]
    if credentials.security_token:
        lines.append(f"export {token}={shlex.quote(credentials.security_token)}")
    else:
        lines.append(f"unset {token}")
    return "\n".join(lines) + "\n"


def _credentials_uri_json(credentials: Credentials) -> str:
    document = {
        "Code": "Success",
        "AccessKeyId": credentials.access_key_id,
        "AccessKeySecret": credentials.access_key_secret,
        "SecurityToken": credentials.security_token or None,
        "Expiration": _expiration(credentials),
    }
    return json.dumps(document) + "\n"


def _ini_profile(credentials: Credentials) -> str:
    values = [credentials.access_key_id, credentials.access_key_secret]
    if credentials.security_token:
        values.append(credentials.security_token)
    # A value spanning lines would add settings of its own to the profile.
    if any(_breaks_ini(value) for value in values):
        raise ConfigurationError(
            "the credential contains a line break or surrounding spaces, which an INI file "
            "cannot hold; use --format json or env",
            source="format",
        )
    expiration = _expiration(credentials)
    lines = []
    if expiration is not None:
        lines.append(f"# temporary credentials from akless export; they expire at {expiration}")
    lines.append(f"[{INI_SECTION}]")
    if credentials.security_token:
        lines.append("type = sts")
    else:
        lines.append("type = access_key")
    lines.append(f"access_key_id = {credentials.access_key_id}")
    lines.append(f"access_key_secret = {credentials.access_key_secret}")
    if credentials.security_token:
        lines.append(f"security_token = {credentials.security_token}")
    return "\n".join(lines) + "\n"


def _breaks_ini(value: str) -> bool:
    return value != value.strip() or any(character in value for character in "\r\n\x00")


def _external_process(credentials: Credentials) -> str:
    document: dict[str, Any] = {
        "mode": "StsToken" if credentials.security_token else "AK",
        "access_key_id": credentials.access_key_id,
        "access_key_secret": credentials.access_key_secret,
    }
    if credentials.security_token:
        document["sts_token"] = credentials.security_token
    expiration = _expiration(credentials)
    if expiration is not None:
        document["expiration"] = expiration
    return json.dumps(document) + "\n"


_RENDERERS: dict[str, Callable[[Credentials], str]] = {
    "env": _env_lines,
    "json": _credentials_uri_json,
    "ini": _ini_profile,
    "credential-process": _external_process,
}
