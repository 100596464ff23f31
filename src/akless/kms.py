"""KMS Secrets Manager client (2016-01-20): read, write and rotate secrets, and read the
AccessKey a RAM secret holds.

The endpoint is explicit, else ``ALIBABA_CLOUD_KMS_ENDPOINT``, else
``kms.<region>.aliyuncs.com`` with the region given, else ``ALIBABA_CLOUD_REGION_ID``, else
``cn-hangzhou``; a full URL such as the emulator's ``http://127.0.0.1:8080`` is accepted.

A RAM secret (``SecretType`` ``RAMCredentials``) holds one RAM user's current AccessKey as JSON,
``{"AccessKeyId": ..., "AccessKeySecret": ..., "GenerateTimestamp": ...}`` (optionally with an
``ExpireTimestamp``), and KMS replaces it on every rotation: ``SecretValue.ram_credentials()``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from akless import _env
from akless._api_fields import Answer, RegionalServiceClient, event_timestamp
from akless._parsing import parse_json
from akless.credentials import Credentials
from akless.errors import ConfigurationError, MalformedResponse

KMS_VERSION = "2016-01-20"
RAM_SECRET_TYPE = "RAMCredentials"  # noqa: S105 - a secret type, not a password
CURRENT_STAGE = "ACSCurrent"
PREVIOUS_STAGE = "ACSPrevious"

_INTERVAL = re.compile(r"([0-9]{1,12})([dhms]?)")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}


def rotation_seconds(text: str) -> float | None:
    """A rotation interval such as ``604800s`` or ``7d`` in seconds; ``None`` if unreadable.

    KMS writes it this way and reads it this way (``CreateSecret``'s ``RotationInterval``), so
    the emulator parses with this too."""
    match = _INTERVAL.fullmatch(text)
    if match is None:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


@dataclass(frozen=True)
class SecretValue:
    """One version of a secret, as ``GetSecretValue`` returns it."""

    name: str
    secret_type: str
    """``RAMCredentials`` for a RAM secret; ``Generic``, ``Rds``, ``ECS``... otherwise."""
    data: str = field(repr=False)
    version_id: str | None = None
    version_stages: tuple[str, ...] = ()
    rotation_interval: float | None = None
    """Seconds between automatic rotations (``None`` when the secret does not rotate)."""
    next_rotation: float | None = None
    last_rotation: float | None = None
    automatic_rotation: str | None = None
    """``Enabled``, ``Disabled`` or ``Invalid``, when KMS says."""
    data_type: str | None = None
    created: float | None = None
    endpoint: str = field(default="", compare=False)
    """The KMS endpoint it was read from (named in errors)."""

    @property
    def is_ram_secret(self) -> bool:
        """Whether this secret holds a RAM user's AccessKey."""
        return self.secret_type == RAM_SECRET_TYPE

    def ram_credentials(self, provider_name: str = "kms_ram_secret") -> Credentials:
        """The AccessKey a RAM secret holds (expiring at its ``ExpireTimestamp``, if any).

        ``ConfigurationError`` when the secret is not a RAM secret; ``MalformedResponse`` when
        its data is not the RAM secret JSON. Neither ever quotes the data.
        """
        if not self.is_ram_secret:
            raise ConfigurationError(
                f"KMS secret {self.name!r} is a {self.secret_type or 'untyped'} secret, not a "
                f"RAM secret (SecretType {RAM_SECRET_TYPE}); only a RAM secret holds an AccessKey",
                source="secret_name",
            )
        parsed = parse_json(self.data)
        if parsed.problem is not None:
            raise self._bad_data("SecretData", f"is not JSON ({parsed.problem})")
        if not isinstance(parsed.value, dict):
            raise self._bad_data("SecretData", "is not a JSON object")
        values: dict[str, Any] = parsed.value
        key_id = self._data_text(values, "AccessKeyId")
        secret = self._data_text(values, "AccessKeySecret")
        self._data_time(values, "GenerateTimestamp")
        return Credentials(
            key_id,
            secret,
            expiration=self._data_time(values, "ExpireTimestamp"),
            provider_name=provider_name,
        )

    def _data_text(self, values: dict[str, Any], key: str) -> str:
        value = values.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self._bad_data(f"SecretData.{key}", "is missing or not text")
        return value.strip()

    def _data_time(self, values: dict[str, Any], key: str) -> float | None:
        value = values.get(key)
        if value is None or value == "":
            return None
        parsed = event_timestamp(value) if isinstance(value, str) else None
        if parsed is None:
            raise self._bad_data(f"SecretData.{key}", "is not a YYYY-MM-DDThh:mm:ssZ time")
        return parsed

    def _bad_data(self, where: str, problem: str) -> MalformedResponse:
        return MalformedResponse(
            f"the RAM secret {self.name!r} from {self.endpoint or 'KMS'}: {where} {problem}",
            endpoint=self.endpoint,
            field=where,
        )


class KmsClient(RegionalServiceClient):
    """A client of one KMS endpoint: ``KmsClient(endpoint=None, *, region_id=None,
    transport=None, clock=..., timeout=API_TIMEOUT, environ=None)``."""

    service = "kms"
    version = KMS_VERSION
    variable = _env.KMS_ENDPOINT

    def get_secret_value(
        self, credentials: Credentials, secret_name: str, *, version_stage: str = CURRENT_STAGE
    ) -> SecretValue:
        """The version of ``secret_name`` at ``version_stage`` (RAM secrets have only
        ``ACSCurrent`` and ``ACSPrevious``)."""
        params = {"SecretName": secret_name, "VersionStage": version_stage}
        answer = self._call("GetSecretValue", params, credentials)
        stages = answer.optional_child("VersionStages")
        return SecretValue(
            name=answer.optional_text("SecretName") or secret_name,
            secret_type=answer.optional_text("SecretType") or "",
            data=_secret_data(answer),
            version_id=answer.optional_text("VersionId"),
            version_stages=tuple(
                str(stage) for stage in (stages.items("VersionStage") if stages else [])
            ),
            rotation_interval=_rotation_interval(answer),
            next_rotation=answer.optional_timestamp("NextRotationDate", fraction=True),
            last_rotation=answer.optional_timestamp("LastRotationDate", fraction=True),
            automatic_rotation=answer.optional_text("AutomaticRotation"),
            data_type=answer.optional_text("SecretDataType"),
            created=answer.optional_timestamp("CreateTime", fraction=True),
            endpoint=self.endpoint,
        )

    def put_secret_value(
        self, credentials: Credentials, secret_name: str, data: str, version_id: str
    ) -> None:
        """Store ``data`` as the new current version ``version_id`` of ``secret_name``."""
        params = {"SecretName": secret_name, "SecretData": data, "VersionId": version_id}
        self._call("PutSecretValue", params, credentials)

    def rotate_secret(
        self, credentials: Credentials, secret_name: str, *, version_id: str | None = None
    ) -> None:
        """Rotate ``secret_name`` now (for a RAM secret: a new AccessKey). ``version_id`` makes
        a retried request idempotent; a new one is made up when not given."""
        params = {"SecretName": secret_name, "VersionId": version_id or f"akless-{uuid.uuid4()}"}
        self._call("RotateSecret", params, credentials)


def _secret_data(answer: Answer) -> str:
    value = answer.get("SecretData")
    if not isinstance(value, str):
        # Described by its kind only: even malformed, the data may be the secret.
        raise answer.malformed("SecretData", None if value is None else "is not text")
    return value


def _rotation_interval(answer: Answer) -> float | None:
    text = answer.optional_text("RotationInterval")
    if text is None:
        return None
    seconds = rotation_seconds(text.strip())
    if seconds is None:
        raise answer.malformed("RotationInterval", f"{text[:20]!r}, not a duration such as 604800s")
    return seconds


resolve_kms_endpoint = KmsClient.resolve_endpoint
"""The KMS base URL: explicit, ``ALIBABA_CLOUD_KMS_ENDPOINT``, else the region's."""
