"""The admin API for RAM policies, AccessKeys, KMS secrets and call records (mounted with the
rest of ``admin.py`` under ``/_emulator``); each endpoint is one ``Cloud`` method.

==============================================  ================================================
``GET|POST /users/{name}/policies``             list; attach ``{"policy", "type": "System"}``
``DELETE /users/{name}/policies/{policy}``      detach (``?type=Custom`` for a custom policy)
``GET  /users/{name}/access-keys``              the user's keys (with secrets)
``DELETE /access-keys/{id}``                    delete a key
``GET|POST /roles/{name}/policies``             list; attach ``{"policy", "type"}``
``DELETE /roles/{name}/policies/{policy}``      detach (the last one revokes the role's sessions)
``DELETE /roles/{name}``                        delete a role without policies
``POST /roles/{name}/revoke-sessions``          ``{"revoked_at": <epoch seconds>}``
``POST /policies``                              ``{"name", "document", "description"}``
``GET|POST /secrets``                           list; create ``{"name", "type": "Generic", "data"}``
                                                or ``{"name", "type": "RAMCredentials",
                                                "user_name", "access_key_id",
                                                "rotation_interval", "grace"}`` (seconds)
``GET  /secrets/{name}``                        ``?stage=ACSPrevious``: a version, with its data
``DELETE /secrets/{name}``                      delete a secret (its keys stay)
``POST /secrets/{name}/rotate``                 rotate a RAM secret now
``PUT  /secrets/{name}/rotation``               ``{"rotation_interval": 60, "grace": 5}``
``POST /calls``                                 record a JSON list of calls (``time`` and
                                                ``action`` required, as ``records.call_record``)
==============================================  ================================================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from akless.emulator.cloud import Cloud
from akless.emulator.records import PolicyAttachment, Secret, call_record

Endpoint = Callable[[Callable[[Request, Cloud], Any]], Callable[[Request], Awaitable[Response]]]
JsonObject = Callable[[Request], Awaitable[dict[str, Any]]]


def _number_or_null(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number of seconds or null")
    return float(value)


def _attachments(items: list[PolicyAttachment]) -> list[dict[str, Any]]:
    return [asdict(item) for item in items]


def _secret_json(secret: Secret) -> dict[str, Any]:
    return asdict(secret)


def build_routes(endpoint: Endpoint, read_object: JsonObject) -> list[BaseRoute]:
    """The routes, given ``admin.py``'s endpoint wrapper and JSON-object reader."""

    async def policies_of(request: Request, cloud: Cloud) -> list[dict[str, Any]]:
        kind = request.url.path.split("/")[-3]
        name = request.path_params["name"]
        if request.method == "POST":
            data = await read_object(request)
            policy, policy_type = str(data["policy"]), str(data.get("type", "System"))
            if kind == "roles":
                cloud.attach_policy_to_role(name, policy, policy_type)
            else:
                cloud.attach_policy_to_user(name, policy, policy_type)
        if kind == "roles":
            return _attachments(cloud.list_policies_for_role(name))
        return _attachments(cloud.list_policies_for_user(name))

    def detach(request: Request, cloud: Cloud) -> dict[str, str]:
        kind = request.url.path.split("/")[-4]
        name, policy = request.path_params["name"], request.path_params["policy"]
        policy_type = request.query_params.get("type", "System")
        if kind == "roles":
            cloud.detach_policy_from_role(name, policy, policy_type)
        else:
            cloud.detach_policy_from_user(name, policy, policy_type)
        return {"detached": policy}

    def access_keys_of(request: Request, cloud: Cloud) -> list[dict[str, Any]]:
        keys = cloud.list_access_keys(request.path_params["name"])
        return [
            {
                "access_key_id": key.access_key_id,
                "access_key_secret": key.secret,
                "status": key.status,
                "created": key.created,
                "last_used": key.last_used,
            }
            for key in keys
        ]

    def delete_access_key(request: Request, cloud: Cloud) -> dict[str, str]:
        cloud.delete_access_key(request.path_params["key_id"])
        return {"deleted": request.path_params["key_id"]}

    def delete_role(request: Request, cloud: Cloud) -> dict[str, str]:
        cloud.delete_role(request.path_params["name"])
        return {"deleted": request.path_params["name"]}

    def revoke_sessions(request: Request, cloud: Cloud) -> dict[str, float]:
        cloud.require_role(request.path_params["name"])
        return {"revoked_at": cloud.revoke_role_sessions(request.path_params["name"])}

    async def policies(request: Request, cloud: Cloud) -> dict[str, str]:
        data = await read_object(request)
        document = data.get("document")
        if not isinstance(document, dict):
            raise ValueError("document must be a JSON object")
        cloud.create_policy(
            str(data["name"]), document, description=str(data.get("description", ""))
        )
        return {"name": str(data["name"])}

    async def secrets(request: Request, cloud: Cloud) -> Any:
        if request.method == "GET":
            return [_secret_json(secret) for secret in cloud.list_secrets()]
        data = await read_object(request)
        name = str(data["name"])
        if data.get("type", "Generic") == "RAMCredentials":
            key_id = data.get("access_key_id")
            secret = cloud.create_ram_secret(
                name,
                str(data["user_name"]),
                access_key_id=None if key_id is None else str(key_id),
                rotation_interval=_number_or_null(data, "rotation_interval"),
                grace=_number_or_null(data, "grace"),
                description=str(data.get("description", "")),
            )
        else:
            secret = cloud.create_secret(name, str(data["data"]))
        return _secret_json(secret)

    def secret(request: Request, cloud: Cloud) -> dict[str, Any]:
        name = request.path_params["name"]
        if request.method == "DELETE":
            cloud.delete_secret(name)
            return {"deleted": name}
        version = cloud.secret_value(name, stage=request.query_params.get("stage", "ACSCurrent"))
        return {**_secret_json(cloud.describe_secret(name)), "version": asdict(version)}

    def rotate(request: Request, cloud: Cloud) -> dict[str, Any]:
        return asdict(cloud.rotate_secret(request.path_params["name"]))

    async def rotation(request: Request, cloud: Cloud) -> dict[str, Any]:
        data = await read_object(request)
        updated = cloud.set_secret_rotation(
            request.path_params["name"],
            rotation_interval=_number_or_null(data, "rotation_interval"),
            grace=_number_or_null(data, "grace"),
        )
        return _secret_json(updated)

    return [
        Route("/users/{name}/policies", endpoint(policies_of), methods=["GET", "POST"]),
        Route("/users/{name}/policies/{policy}", endpoint(detach), methods=["DELETE"]),
        Route("/users/{name}/access-keys", endpoint(access_keys_of), methods=["GET"]),
        Route("/access-keys/{key_id}", endpoint(delete_access_key), methods=["DELETE"]),
        Route("/roles/{name}/policies", endpoint(policies_of), methods=["GET", "POST"]),
        Route("/roles/{name}/policies/{policy}", endpoint(detach), methods=["DELETE"]),
        Route("/roles/{name}", endpoint(delete_role), methods=["DELETE"]),
        Route("/roles/{name}/revoke-sessions", endpoint(revoke_sessions), methods=["POST"]),
        Route("/policies", endpoint(policies), methods=["POST"]),
        Route("/secrets", endpoint(secrets), methods=["GET", "POST"]),
        Route("/secrets/{name}", endpoint(secret), methods=["GET", "DELETE"]),
        Route("/secrets/{name}/rotate", endpoint(rotate), methods=["POST"]),
        Route("/secrets/{name}/rotation", endpoint(rotation), methods=["PUT"]),
    ]


def record_calls(items: Any, cloud: Cloud) -> dict[str, int]:
    """``POST /calls``: a JSON list of call objects."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("POST /calls takes a JSON list of call objects")
    return {"recorded": cloud.record_calls(call_record(**item) for item in items)}
