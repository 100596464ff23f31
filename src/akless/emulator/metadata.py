"""The ECS instance metadata service under ``/latest/``, hardened (token) mode included.

Rules from the protocol fact sheet (section 5): ``PUT /latest/api/token`` with a TTL of
1..21600 seconds (400 outside, 403 with ``X-Forwarded-For``); reads with an unknown or expired
token get 401; tokenless reads get 403 when the instance is hardened-only. The role name is
served without a trailing newline; the role's credential JSON is exactly the real one.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from akless._time import format_timestamp
from akless.emulator.cloud import Cloud

TOKEN_TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds"  # noqa: S105 - a header name
TOKEN_HEADER = "x-aliyun-ecs-metadata-token"  # noqa: S105 - a header name
MAX_TOKEN_TTL = 21600
CREDENTIALS_PREFIX = "meta-data/ram/security-credentials/"


def _text(status: int, body: str) -> Response:
    return Response(body, status_code=status, headers={"content-type": "text/plain"})


def _error(status: int, reason: str) -> Response:
    return _text(status, f"{status} - {reason}")


def issue_token(request: Request, cloud: Cloud) -> Response:
    """``PUT /latest/api/token``."""
    if "x-forwarded-for" in request.headers:
        return _error(403, "Forbidden")
    ttl = request.headers.get(TOKEN_TTL_HEADER, "").strip()
    # isdigit() alone admits characters such as "²" (latin-1 header bytes) that int() rejects.
    if not (ttl.isascii() and ttl.isdigit()) or not 1 <= int(ttl) <= MAX_TOKEN_TTL:
        return _error(400, "Missing or Invalid Parameters")
    return _text(200, cloud.issue_metadata_token(int(ttl)))


def read(request: Request, cloud: Cloud, path: str) -> Response:
    """``GET /latest/<path>`` once the caller's token (or its absence) is accepted."""
    token = request.headers.get(TOKEN_HEADER)
    if token is not None:
        if not cloud.metadata_token_valid(token):
            return _error(401, "Unauthorized")
    elif cloud.hardened_only:
        return _error(403, "Forbidden")
    identity = cloud.identity
    role = cloud.instance_role
    items = {
        "meta-data/instance-id": identity.instance_id,
        "meta-data/region-id": identity.region_id,
        "meta-data/zone-id": f"{identity.region_id}-i",
        "meta-data/owner-account-id": identity.account_id,
        "meta-data/hostname": identity.instance_id,
        "meta-data/instance/instance-type": "ecs.g7.large",
    }
    if path in items:
        return _text(200, items[path])
    if path in ("meta-data", "meta-data/"):
        listing = ["instance-id", "region-id", "zone-id", "owner-account-id", "hostname"]
        return _text(200, "\n".join([*listing, "instance/", "ram/"]))
    if path == "dynamic/instance-identity/document":
        document = {key.rsplit("/", 1)[-1]: value for key, value in items.items()}
        return Response(json.dumps(document), headers={"content-type": "application/json"})
    if path == CREDENTIALS_PREFIX:
        return _text(200, role) if role else _error(404, "Not Found")
    if path.startswith(CREDENTIALS_PREFIX):
        name = path[len(CREDENTIALS_PREFIX) :]
        if role is None or name.lower() != role.lower():
            return _error(404, "Not Found")
        session = cloud.instance_credentials()
        if session is None:
            return _error(404, "Not Found")
        body = {
            "AccessKeyId": session.access_key_id,
            "AccessKeySecret": session.secret,
            "Expiration": format_timestamp(session.expiration),
            "SecurityToken": session.security_token,
            "LastUpdated": format_timestamp(session.issued),
            "Code": "Success",
        }
        return Response(json.dumps(body, indent=2), headers={"content-type": "text/plain"})
    return _error(404, "Not Found")
