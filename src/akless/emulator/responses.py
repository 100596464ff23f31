"""Render API answers the way the real gateway does: JSON by default, XML with ``Format=XML``.

Errors use the real envelope: ``RequestId``, ``HostId``, ``Code``, ``Message``, ``Recommend``.
"""

from __future__ import annotations

import email.utils
import json
import re
from typing import Any
from xml.sax.saxutils import escape

from akless.emulator.errors import ApiError

JSON_TYPE = "application/json;charset=utf-8"
XML_TYPE = "text/xml;charset=utf-8"
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry at all, not even escaped (control characters, surrogates)."""


def http_date(epoch_seconds: float) -> str:
    """An RFC 7231 ``Date`` header value."""
    return email.utils.formatdate(epoch_seconds, usegmt=True)


def error_body(error: ApiError, *, request_id: str, host: str, product: str) -> dict[str, str]:
    """The error envelope as a mapping."""
    return {
        "RequestId": request_id,
        "HostId": host,
        "Code": error.code,
        "Message": error.message,
        "Recommend": (
            f"https://api.aliyun.com/troubleshoot?q={error.code}&product={product}"
            f"&requestId={request_id}"
        ),
    }


def _xml_value(name: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_value(key, item) for key, item in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        # Alibaba's XML repeats the element for each item of a list.
        return "".join(_xml_value(name, item) for item in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    # Values echo client input (an unknown Action, say): keep the document well formed.
    text = _NOT_XML_CHAR.sub("\ufffd", str(value))
    return f"<{name}>{escape(text)}</{name}>"


def render(body: dict[str, Any], *, response_format: str, root: str) -> tuple[bytes, str]:
    """Serialise ``body`` as JSON, or as XML under the element ``root``; with its content type."""
    if response_format == "XML":
        xml = '<?xml version="1.0" encoding="UTF-8"?>' + _xml_value(root, body)
        return xml.encode(), XML_TYPE
    return json.dumps(body, separators=(",", ":")).encode(), JSON_TYPE
