"""KMS 2016-01-20 Secrets Manager: CreateSecret, GetSecretValue, PutSecretValue, RotateSecret,
DescribeSecret, DeleteSecret and ListSecrets, for generic secrets and RAM secrets
(``SecretType=RAMCredentials``), following section 7 of the protocol fact sheet. Rotation and
its grace period are described in ``cloud_ram_secrets.py``.

Emulator choices where the fact sheet is silent:

* no permission: ``Forbidden.NoPermission`` (403) — KMS's ``Forbidden.*`` family;
* unknown secret, or no version in the asked stage: ``Forbidden.ResourceNotFound`` (404);
  a secret name taken: ``Rejected.ResourceExist`` (400);
* ``PutSecretValue`` on a RAM secret, ``RotateSecret`` on a generic one:
  ``UnsupportedOperation`` (400);
* ``RotateSecret`` while the previous rotation's grace period runs: ``Rejected.Rotating`` (400);
* ``CreateSecret`` of a RAM secret must list every AccessKey of the user, with its secret, in
  ``SecretData`` (``{"AccessKeys": [...]}``); the newest becomes ``ACSCurrent``. A user without
  keys may list none, and gets a new key. ``VersionId`` is optional (``v1`` for generic secrets);
* ``DeleteSecret`` deletes at once (``PlannedDeleteTime`` is now).
"""

from __future__ import annotations

import json
import re
from typing import Any

from akless._time import format_timestamp
from akless.emulator import permissions
from akless.emulator.cloud_kms import CURRENT, GENERIC_TYPE, PREVIOUS, RAM_TYPE
from akless.emulator.cloud_ram_secrets import extended_config
from akless.emulator.errors import Refused, invalid, missing
from akless.emulator.records import Secret, SecretVersion
from akless.emulator.services import ActionContext, Service
from akless.kms import rotation_seconds

VERSION = "2016-01-20"
MIN_ROTATION_INTERVAL = 6 * 3600
MAX_ROTATION_INTERVAL = 8760 * 3600
_SECRET_NAME = re.compile(r"[A-Za-z0-9_/+=.@\-]{1,192}")


def _authorize(ctx: ActionContext) -> None:
    permissions.require(
        ctx.cloud.store, ctx.caller, f"kms:{ctx.request.action}", code="Forbidden.NoPermission"
    )


def _arn(ctx: ActionContext, name: str) -> str:
    region = ctx.cloud.identity.region_id
    return f"acs:kms:{region}:{ctx.cloud.account_id}:secret/{name}"


def _flag(ctx: ActionContext, name: str) -> bool:
    value = (ctx.optional(name) or "false").lower()
    if value not in ("true", "false"):
        raise invalid(name, f"The parameter {name} must be true or false.")
    return value == "true"


def parse_rotation_interval(text: str) -> int:
    """Seconds of a ``RotationInterval`` such as ``7d`` or ``604800s`` (6 h to 8760 h)."""
    seconds = int(rotation_seconds(text) or 0)
    if not MIN_ROTATION_INTERVAL <= seconds <= MAX_ROTATION_INTERVAL:
        raise invalid(
            "RotationInterval",
            "The parameter RotationInterval must be an integer with unit d, h, m or s, "
            "between 6 hours and 8760 hours.",
        )
    return seconds


def _rotation_fields(secret: Secret) -> dict[str, Any]:
    if secret.secret_type != RAM_TYPE:
        return {"AutomaticRotation": "Invalid"}
    fields: dict[str, Any] = {
        "AutomaticRotation": "Enabled" if secret.rotation_interval else "Disabled",
        "LastRotationDate": format_timestamp(secret.last_rotation or secret.created),
    }
    if secret.rotation_interval and secret.next_rotation is not None:
        fields["RotationInterval"] = f"{int(secret.rotation_interval)}s"
        fields["NextRotationDate"] = format_timestamp(secret.next_rotation)
    return fields


def _stages(version: SecretVersion) -> dict[str, Any]:
    return {"VersionStage": list(version.stages)}


def _listed_keys(ctx: ActionContext) -> dict[str, str]:
    try:
        listed = json.loads(ctx.request.params.get("SecretData") or '{"AccessKeys": []}')
        return {item["AccessKeyId"]: item["AccessKeySecret"] for item in listed["AccessKeys"]}
    except (ValueError, TypeError, KeyError):
        raise invalid(
            "SecretData",
            'SecretData of a RAM secret must be {"AccessKeys": [{"AccessKeyId": ..., '
            '"AccessKeySecret": ...}]}.',
        ) from None


def _create_ram_secret(ctx: ActionContext, name: str, interval: int | None) -> Secret:
    try:
        config = json.loads(ctx.required("ExtendedConfig"))
        subtype, user_name = config["SecretSubType"], config["UserName"]
    except (ValueError, TypeError, KeyError):
        raise invalid(
            "ExtendedConfig",
            'ExtendedConfig of a RAM secret must be {"SecretSubType": "RamUserAccessKey", '
            '"UserName": ...}.',
        ) from None
    if subtype != "RamUserAccessKey" or not isinstance(user_name, str):
        raise invalid("ExtendedConfig", "SecretSubType must be RamUserAccessKey.")
    return ctx.cloud.adopt_ram_secret(
        name,
        user_name,
        _listed_keys(ctx),
        rotation_interval=interval,
        description=ctx.optional("Description") or "",
    )


def create_secret(ctx: ActionContext) -> dict[str, Any]:
    """Create a generic or RAM secret."""
    _authorize(ctx)
    name = ctx.required("SecretName")
    if not _SECRET_NAME.fullmatch(name):
        raise invalid("SecretName")
    secret_type = ctx.optional("SecretType") or GENERIC_TYPE
    interval_text = ctx.optional("RotationInterval")
    rotate = _flag(ctx, "EnableAutomaticRotation")
    if rotate and interval_text is None:
        raise missing("RotationInterval")
    interval = parse_rotation_interval(interval_text) if rotate and interval_text else None
    if secret_type == RAM_TYPE:
        secret = _create_ram_secret(ctx, name, interval)
    elif secret_type == GENERIC_TYPE:
        secret = ctx.cloud.create_secret(
            name,
            ctx.required("SecretData"),
            version_id=ctx.optional("VersionId") or "v1",
            data_type=ctx.optional("SecretDataType") or "text",
            description=ctx.optional("Description") or "",
        )
    else:
        raise invalid("SecretType", "The emulator supports SecretType Generic and RAMCredentials.")
    version = ctx.cloud.secret_value(name)
    return {
        "Arn": _arn(ctx, name),
        "SecretName": name,
        "SecretType": secret.secret_type,
        "VersionId": version.version_id,
        **_rotation_fields(secret),
    }


def get_secret_value(ctx: ActionContext) -> dict[str, Any]:
    """A secret's value in a stage (``ACSCurrent`` by default)."""
    _authorize(ctx)
    name = ctx.required("SecretName")
    stage = ctx.optional("VersionStage") or CURRENT
    fetch_config = _flag(ctx, "FetchExtendedConfig")
    secret = ctx.cloud.describe_secret(name)
    if secret.secret_type == RAM_TYPE and stage not in (CURRENT, PREVIOUS):
        raise Refused(
            404, "Forbidden.ResourceNotFound", "RAM secrets have only ACSCurrent and ACSPrevious."
        )
    version_id = ctx.optional("VersionId") if secret.secret_type == GENERIC_TYPE else None
    version = ctx.cloud.secret_value(name, stage=stage, version_id=version_id)
    body: dict[str, Any] = {
        "SecretName": secret.name,
        "SecretType": secret.secret_type,
        "SecretDataType": version.data_type,
        "SecretData": version.data,
        "VersionId": version.version_id,
        "VersionStages": _stages(version),
        "CreateTime": format_timestamp(secret.created),
        **_rotation_fields(secret),
    }
    config = extended_config(secret)
    if fetch_config and config is not None:
        body["ExtendedConfig"] = config
    return body


def put_secret_value(ctx: ActionContext) -> dict[str, Any]:
    """A new version of a generic secret."""
    _authorize(ctx)
    name = ctx.required("SecretName")
    version_id = ctx.required("VersionId")
    data = ctx.required("SecretData")
    stages_text = ctx.optional("VersionStages")
    try:
        stages = tuple(json.loads(stages_text)) if stages_text else (CURRENT,)
    except ValueError:
        raise invalid("VersionStages", "VersionStages must be a JSON list.") from None
    if not stages or not all(isinstance(stage, str) for stage in stages):
        raise invalid("VersionStages", "VersionStages must be a JSON list of strings.")
    version = ctx.cloud.put_secret_value(
        name, version_id, data, data_type=ctx.optional("SecretDataType") or "text", stages=stages
    )
    return {"SecretName": name, "VersionId": version.version_id, "VersionStages": _stages(version)}


def rotate_secret(ctx: ActionContext) -> dict[str, Any]:
    """Rotate a RAM secret now."""
    _authorize(ctx)
    name = ctx.required("SecretName")
    version = ctx.cloud.rotate_secret(name)
    return {"SecretName": name, "VersionId": version.version_id, "Arn": _arn(ctx, name)}


def describe_secret(ctx: ActionContext) -> dict[str, Any]:
    """A secret's metadata (no value)."""
    _authorize(ctx)
    secret = ctx.cloud.describe_secret(ctx.required("SecretName"))
    body: dict[str, Any] = {
        "SecretName": secret.name,
        "SecretType": secret.secret_type,
        "Arn": _arn(ctx, secret.name),
        "Description": secret.description,
        "CreateTime": format_timestamp(secret.created),
        "UpdateTime": format_timestamp(secret.last_rotation or secret.created),
        **_rotation_fields(secret),
    }
    config = extended_config(secret)
    if config is not None:
        body["ExtendedConfig"] = config
    return body


def delete_secret(ctx: ActionContext) -> dict[str, Any]:
    """Delete a secret now."""
    _authorize(ctx)
    name = ctx.required("SecretName")
    ctx.cloud.delete_secret(name)
    return {"SecretName": name, "PlannedDeleteTime": format_timestamp(ctx.now)}


def _page_param(ctx: ActionContext, name: str, default: int, top: int) -> int:
    text = ctx.optional(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= top:
        raise invalid(name, f"The parameter {name} must be a whole number from 1 to {top}.")
    return int(text)


def list_secrets(ctx: ActionContext) -> dict[str, Any]:
    """The account's secrets, a page at a time."""
    _authorize(ctx)
    page = _page_param(ctx, "PageNumber", 1, 10**6)
    size = _page_param(ctx, "PageSize", 10, 100)
    secrets = ctx.cloud.list_secrets()
    shown = secrets[(page - 1) * size : page * size]
    return {
        "PageNumber": page,
        "PageSize": size,
        "TotalCount": len(secrets),
        "SecretList": {
            "Secret": [
                {
                    "SecretName": secret.name,
                    "SecretType": secret.secret_type,
                    "CreateTime": format_timestamp(secret.created),
                    "UpdateTime": format_timestamp(secret.last_rotation or secret.created),
                }
                for secret in shown
            ]
        },
    }


SERVICE = Service(
    name="kms",
    product="Kms",
    version=VERSION,
    actions={
        "CreateSecret": create_secret,
        "GetSecretValue": get_secret_value,
        "PutSecretValue": put_secret_value,
        "RotateSecret": rotate_secret,
        "DescribeSecret": describe_secret,
        "DeleteSecret": delete_secret,
        "ListSecrets": list_secrets,
    },
)
