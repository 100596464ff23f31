"""Parse an incoming OpenAPI request (RPC v1 or ACS3 style) into one ``ApiRequest``.

Parsing never trusts the client: malformed encodings, duplicate parameters, oversized bodies
and missing ``Action``/``Version`` become ``ApiError``s (HTTP 4xx), never exceptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

from akless.emulator.errors import ApiError, invalid, missing

MAX_BODY_BYTES = 10 * 1024 * 1024
RPC_COMMON_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "Signature",
        "SecurityToken",
    }
)

Style = Literal["rpc", "acs3"]


@dataclass(frozen=True)
class ApiRequest:
    """One API call as received: how it was signed, what it asks, and everything needed to
    verify its signature again."""

    method: str
    path: str
    host: str
    style: Style
    action: str
    version: str
    query: dict[str, str]
    form: dict[str, str]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    user_agent: str
    response_format: Literal["JSON", "XML"]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lowercase), or ``None``."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def signed_params(self) -> dict[str, str]:
        """Every query and form parameter: what an RPC v1 signature covers."""
        return {**self.query, **self.form}

    @property
    def params(self) -> dict[str, str]:
        """The action's own parameters, without the RPC common ones."""
        return {
            name: value
            for name, value in self.signed_params.items()
            if name not in RPC_COMMON_PARAMS
        }


def parse_pairs(text: str, where: str) -> dict[str, str]:
    """Form-decode ``name=value&...`` (``+`` is a space), keeping blank values.

    Duplicate names and invalid UTF-8 are rejected: a signature cannot cover them unambiguously.
    """
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=1000)
    except (UnicodeDecodeError, ValueError) as error:
        raise ApiError(400, "InvalidParameter", f"The {where} is not valid: {error}") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise ApiError(
                400, "InvalidParameter", f"The parameter {name[:64]} appears more than once."
            )
        params[name] = value
    return params


def _parse_body(body: bytes, content_type: str) -> dict[str, str]:
    if not body:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "InvalidParameter", "The request body is not UTF-8.") from None
        return parse_pairs(text, "request body")
    if kind == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise ApiError(400, "InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "InvalidParameter", "The JSON request body must be an object.")
        try:
            params = {
                str(name): value if isinstance(value, str) else json.dumps(value)
                for name, value in data.items()
            }
            # JSON escapes can spell lone surrogates ("\ud800"), which UTF-8 cannot carry into
            # a signature, a record or an answer.
            for name, value in params.items():
                name.encode("utf-8")
                value.encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise ApiError(
                400, "InvalidParameter", "The JSON request body is not valid Unicode."
            ) from None
        return params
    return {}


def parse_request(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
) -> ApiRequest:
    """Turn the raw parts of an HTTP request into an ``ApiRequest`` (``ApiError`` if malformed)."""
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(400, "InvalidParameter", "The request body is larger than 10 MB.")
    lowered = tuple((name.lower(), value) for name, value in headers)

    def header(name: str) -> str | None:
        return next((value for key, value in lowered if key == name), None)

    query = parse_pairs(query_string, "query string")
    form = _parse_body(body, header("content-type") or "")
    both = {**query, **form}
    authorization = header("authorization") or ""
    # The official SDK sends (unsigned) x-acs-action headers with RPC v1 calls too, so only an
    # ACS3 Authorization, or an x-acs-action without an Action parameter, makes a call ACS3.
    is_acs3 = authorization.startswith("ACS3") or (header("x-acs-action") and "Action" not in both)
    style: Style = "acs3" if is_acs3 else "rpc"
    if style == "acs3":
        action, version = header("x-acs-action"), header("x-acs-version")
        if not action:
            raise missing("Action")
        if not version:
            raise missing("Version")
    else:
        action, version = both.get("Action"), both.get("Version")
        if not action:
            raise missing("Action")
        if not version:
            raise missing("Version")
    if len(action) > 128 or len(version) > 32:
        raise invalid("Action" if len(action) > 128 else "Version")
    response_format: Literal["JSON", "XML"] = (
        "XML" if both.get("Format", "").upper() == "XML" else "JSON"
    )
    return ApiRequest(
        method=method.upper(),
        path=path or "/",
        host=header("host") or "",
        style=style,
        action=action,
        version=version,
        query=query,
        form=form,
        headers=lowered,
        body=body,
        source_ip=source_ip,
        user_agent=(header("user-agent") or "")[:512],
        response_format=response_format,
    )
