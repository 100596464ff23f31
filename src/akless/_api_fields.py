"""What the API clients (STS, RAM, KMS, ActionTrail) share: where a service is, and reading the
fields of its answers.

An endpoint comes from an explicit setting, else the service's ``ALIBABA_CLOUD_*_ENDPOINT``
variable, else the service's default host (regional services: ``<service>.<region>.aliyuncs.com``
with the region from the caller, ``ALIBABA_CLOUD_REGION_ID``, else ``cn-hangzhou``). Each may be a
host (``https`` is implied) or a full URL such as the emulator's ``http://127.0.0.1:8080``.

``Answer`` wraps one decoded answer. Its readers return a field or raise ``MalformedResponse``
naming the endpoint, the action and the field's path (``Credentials.Expiration``), but never the
value of a text field, which may be a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from akless import _env
from akless._env import Environ, EnvVar
from akless._openapi import API_TIMEOUT, OpenApiClient, endpoint_url
from akless._parsing import utc_timestamp
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import MalformedResponse
from akless.transport import Timeout, Transport, display_url

DEFAULT_REGION = "cn-hangzhou"
"""The region of regional services when none is given, as in the official SDKs' examples."""

_FRACTION = re.compile(r"(.*T[0-9]{2}:[0-9]{2}:[0-9]{2})\.[0-9]{1,9}Z")


def configured_endpoint(
    explicit: str | None, *, setting: str, variable: EnvVar, environ: Environ | None
) -> str | None:
    """The base URL set explicitly (named ``setting`` in errors) or in ``variable``; ``None``
    when neither is set."""
    if explicit:
        return endpoint_url(explicit, source=setting)
    configured = variable.get(environ)
    if configured:
        return endpoint_url(configured, source=variable.name)
    return None


def region_id(explicit: str | None = None, environ: Environ | None = None) -> str:
    """The region: given, ``ALIBABA_CLOUD_REGION_ID``, or ``DEFAULT_REGION``."""
    return explicit or _env.REGION_ID.get(environ) or DEFAULT_REGION


def regional_endpoint(
    explicit: str | None,
    *,
    service: str,
    variable: EnvVar,
    region: str | None,
    environ: Environ | None,
) -> str:
    """A regional service's base URL: explicit, ``variable``, else
    ``https://<service>.<region>.aliyuncs.com``."""
    configured = configured_endpoint(
        explicit, setting=f"{service}_endpoint", variable=variable, environ=environ
    )
    if configured is not None:
        return configured
    return endpoint_url(
        f"{service}.{region_id(region, environ)}.aliyuncs.com", source=f"{service} region"
    )


def event_timestamp(text: str) -> float | None:
    """``utc_timestamp`` that also accepts fractional seconds (``...:05.123Z``), which some
    services write in records; the fraction is dropped."""
    whole = _FRACTION.fullmatch(text)
    return utc_timestamp(f"{whole.group(1)}Z" if whole else text)


class Answer:
    """One decoded answer of ``action`` at ``endpoint`` (or an object inside it, at path
    ``within``, such as ``"Credentials."``)."""

    __slots__ = ("action", "body", "endpoint", "within")

    def __init__(
        self, body: Mapping[str, Any], *, action: str, endpoint: str, within: str = ""
    ) -> None:
        self.body = body
        self.action = action
        self.endpoint = endpoint
        self.within = within

    def malformed(self, field: str, problem: str | None = None) -> MalformedResponse:
        """The error for ``field``: missing, or ``problem`` (which must not quote a secret)."""
        path = f"{self.within}{field}"
        detail = f"{path} {problem}" if problem else f"without {path}"
        return MalformedResponse(
            f"{self.action} at {self.endpoint} answered {detail}",
            endpoint=self.endpoint,
            field=path,
        )

    def get(self, field: str) -> Any:
        """The raw value of ``field``, or ``None``."""
        return self.body.get(field)

    def text(self, field: str) -> str:
        """A string field that must be present and not empty (a number will not do)."""
        value = self.body.get(field)
        if value is None or value == "":
            raise self.malformed(field)
        if not isinstance(value, str):
            raise self.malformed(field, f"is a JSON {_json_kind(value)}, not text")
        return value

    def optional_text(self, field: str) -> str | None:
        """A string field, or ``None`` when absent, null or empty; a number is read as text
        (account IDs come as either)."""
        value = self.body.get(field)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self.malformed(field, f"is a JSON {_json_kind(value)}, not text")

    def integer(self, field: str) -> int | None:
        """A whole-number field (a JSON number or digits), or ``None`` when absent."""
        value = self.body.get(field)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise self.malformed(field, "is not a whole number")

    def timestamp(self, field: str, *, fraction: bool = False) -> float:
        """A ``YYYY-MM-DDThh:mm:ssZ`` field in seconds since the epoch (with ``fraction``,
        fractional seconds are accepted too)."""
        text = self.text(field)
        parsed = event_timestamp(text) if fraction else utc_timestamp(text)
        if parsed is None:
            # A timestamp is not a secret; quoting (the start of) it says what is wrong.
            raise self.malformed(field, f"{text[:40]!r}, not YYYY-MM-DDThh:mm:ssZ")
        return parsed

    def optional_timestamp(self, field: str, *, fraction: bool = False) -> float | None:
        """``timestamp``, or ``None`` when the field is absent or empty."""
        if self.optional_text(field) is None:
            return None
        return self.timestamp(field, fraction=fraction)

    def child(self, field: str) -> Answer:
        """The object in ``field``, which must be present."""
        found = self.optional_child(field)
        if found is None:
            raise self.malformed(field)
        return found

    def optional_child(self, field: str) -> Answer | None:
        """The object in ``field``, or ``None`` when absent or null."""
        value = self.body.get(field)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.malformed(field, f"is a JSON {_json_kind(value)}, not an object")
        return Answer(
            value, action=self.action, endpoint=self.endpoint, within=f"{self.within}{field}."
        )

    def items(self, field: str) -> list[Any]:
        """The list in ``field`` (``[]`` when absent or null: empty lists are often omitted)."""
        value = self.body.get(field)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.malformed(field, f"is a JSON {_json_kind(value)}, not a list")
        return value

    def objects(self, field: str) -> list[Answer]:
        """The objects in list ``field``, each readable as an ``Answer`` (``Field[2].``)."""
        found = []
        for index, value in enumerate(self.items(field)):
            if not isinstance(value, dict):
                raise self.malformed(f"{field}[{index}]", "is not an object")
            within = f"{self.within}{field}[{index}]."
            found.append(Answer(value, action=self.action, endpoint=self.endpoint, within=within))
        return found


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    return "string" if isinstance(value, str) else type(value).__name__


class ServiceClient:
    """A client of one OpenAPI service (``version``) at ``endpoint``; its actions read their
    answers through ``Answer``."""

    def __init__(
        self,
        endpoint: str,
        version: str,
        *,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = API_TIMEOUT,
    ) -> None:
        self.endpoint = endpoint
        self._api = OpenApiClient(
            endpoint, version, transport=transport, clock=clock, timeout=timeout
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({display_url(self.endpoint)!r})"

    def _call(
        self, action: str, params: Mapping[str, str], credentials: Credentials | None = None
    ) -> Answer:
        body = self._api.call(action, params, credentials)
        return Answer(body, action=action, endpoint=self.endpoint)


class RegionalServiceClient(ServiceClient):
    """A client of a regional service: ``service`` (the host's first label), its API
    ``version`` and its endpoint ``variable`` are class attributes."""

    service: ClassVar[str]
    version: ClassVar[str]
    variable: ClassVar[EnvVar]

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        region_id: str | None = None,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = API_TIMEOUT,
        environ: Environ | None = None,
    ) -> None:
        super().__init__(
            self.resolve_endpoint(endpoint, region_id=region_id, environ=environ),
            self.version,
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    @classmethod
    def resolve_endpoint(
        cls,
        explicit: str | None = None,
        *,
        region_id: str | None = None,
        environ: Environ | None = None,
    ) -> str:
        """The base URL: explicit, the service's variable, else the region's host."""
        return regional_endpoint(
            explicit, service=cls.service, variable=cls.variable, region=region_id, environ=environ
        )
