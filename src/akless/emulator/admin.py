"""The admin API under ``/_emulator``: the same controls as the ``Cloud`` Python API, over HTTP
with JSON bodies, for tests written in other languages and for ``curl``.

=====================================  =========================================================
``GET  /_emulator/identity``           the start-up identity (endpoint, account, keys, roles)
``POST /_emulator/reset``              back to the start-up state
``GET|PUT|POST|DELETE /faults``        list, replace (a list), add (one), clear faults
``GET|PUT /clock``                     ``{"offset_seconds": 900}``
``GET|PUT /credential-lifetime``       ``{"seconds": 60}`` or ``{"seconds": null}``
``GET|PUT /instance``                  ``{"role": "name" | null, "hardened_only": true}``
``POST /users``                        ``{"name": "bob", "policies": []}``: a user with one
                                       AccessKey (and these system policies)
``POST /users/{name}/access-keys``     another AccessKey for that user
``POST /users/{name}/key-pairs``       an RSA key pair for that user:
                                       ``{"public_key_id", "private_key"}`` (PEM text)
``PUT  /access-keys/{id}``             ``{"status": "Inactive"}``
``POST /roles``                        ``{"name", "trusted", "services", "federated",
                                       "conditions", "trust", "max_session_duration",
                                       "policies"}`` (default ``["AdministratorAccess"]``)
``POST /oidc-providers``               ``{"name", "issuer_url", "client_ids", "jwks"}``
``POST /oidc/token``                   ``{"subject", "audience", "expires_in", "issuer"}``
``GET  /calls``                        recorded API calls (``?access_key_id=&limit=``)
``POST /calls``                        record synthetic calls (see ``admin_services.py``)
=====================================  =========================================================

Policies, AccessKeys, secrets and role-session revocation: see ``admin_services.py``.

Bad input answers 400 with ``{"error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from akless.emulator import admin_services
from akless.emulator.cloud import Cloud
from akless.emulator.faults import Fault

Handler = Callable[[Request, Cloud], Any]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        cloud: Cloud = request.app.state.cloud
        try:
            result = handler(request, cloud)
            if hasattr(result, "__await__"):
                result = await result
        except KeyError as error:  # a required field of the JSON body is missing
            return JSONResponse({"error": f"missing field {error.args[0]!r}"}, status_code=400)
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError("the body must be JSON") from None


async def _object(request: Request) -> dict[str, Any]:
    data = await _json(request)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _string(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _strings(data: dict[str, Any], key: str, default: tuple[str, ...] = ()) -> list[str]:
    value = data.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key} must be a list of strings")
    return value


def _object_or_null(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{key} must be a JSON object or null")
    return value


def _endpoint_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def identity(request: Request, cloud: Cloud) -> dict[str, str]:
    return cloud.identity.to_json(_endpoint_of(request))


def reset(request: Request, cloud: Cloud) -> dict[str, str]:
    cloud.reset()
    return {"status": "reset"}


async def faults(request: Request, cloud: Cloud) -> Any:
    if request.method == "PUT":
        data = await _json(request)
        if not isinstance(data, list):
            raise ValueError("PUT /faults takes a JSON list of faults")
        cloud.faults.replace(Fault.from_json(item) for item in data)
    elif request.method == "POST":
        cloud.faults.add(Fault.from_json(await _object(request)))
    elif request.method == "DELETE":
        cloud.faults.clear()
    return [fault.to_json() for fault in cloud.faults.active()]


async def clock(request: Request, cloud: Cloud) -> dict[str, float]:
    if request.method == "PUT":
        cloud.set_clock_offset(float((await _object(request))["offset_seconds"]))
    return {"offset_seconds": cloud.clock_offset, "now": cloud.now()}


async def credential_lifetime(request: Request, cloud: Cloud) -> dict[str, float | None]:
    if request.method == "PUT":
        seconds = (await _object(request)).get("seconds")
        cloud.set_credential_lifetime(None if seconds is None else float(seconds))
    return {"seconds": cloud.credential_lifetime}


async def instance(request: Request, cloud: Cloud) -> dict[str, Any]:
    if request.method == "PUT":
        data = await _object(request)
        hardened = data.get("hardened_only")
        if hardened is not None and not isinstance(hardened, bool):
            raise ValueError("hardened_only must be true or false")
        if "role" in data:
            role = data["role"]
            if role is not None and not isinstance(role, str):
                raise ValueError("role must be a role name or null")
            cloud.set_instance_role(role)
        if hardened is not None:
            cloud.set_hardened_only(hardened)
    return {"role": cloud.instance_role, "hardened_only": cloud.hardened_only}


def _key_json(key: Any) -> dict[str, Any]:
    return {
        "user_name": key.user_name,
        "access_key_id": key.access_key_id,
        "access_key_secret": key.secret,
        "status": key.status,
    }


async def users(request: Request, cloud: Cloud) -> dict[str, Any]:
    data = await _object(request)
    user = cloud.create_user(_string(data, "name"), policies=_strings(data, "policies"))
    return {"user_id": user.user_id, **_key_json(cloud.create_access_key(user.name))}


def user_access_keys(request: Request, cloud: Cloud) -> dict[str, Any]:
    return _key_json(cloud.create_access_key(request.path_params["name"]))


def user_key_pairs(request: Request, cloud: Cloud) -> dict[str, str]:
    public_key_id, private_key = cloud.create_key_pair(request.path_params["name"])
    return {"public_key_id": public_key_id, "private_key": private_key}


async def access_key(request: Request, cloud: Cloud) -> dict[str, str]:
    status = str((await _object(request))["status"])
    cloud.set_access_key_status(request.path_params["key_id"], status)
    return {"access_key_id": request.path_params["key_id"], "status": status}


async def roles(request: Request, cloud: Cloud) -> dict[str, Any]:
    data = await _object(request)
    max_session_duration = data.get("max_session_duration", 3600)
    if not isinstance(max_session_duration, int) or isinstance(max_session_duration, bool):
        raise ValueError("max_session_duration must be a whole number of seconds")
    role = cloud.create_role(
        _string(data, "name"),
        trusted=_strings(data, "trusted"),
        services=_strings(data, "services"),
        federated=_strings(data, "federated"),
        conditions=_object_or_null(data, "conditions"),
        trust=_object_or_null(data, "trust"),
        max_session_duration=max_session_duration,
        policies=_strings(data, "policies", ("AdministratorAccess",)),
    )
    return {"arn": cloud.role_arn(role.name), "role_id": role.role_id, "name": role.name}


async def oidc_providers(request: Request, cloud: Cloud) -> dict[str, str]:
    data = await _object(request)
    issuer_url = data.get("issuer_url")
    arn = cloud.create_oidc_provider(
        _string(data, "name"),
        issuer_url=None if issuer_url is None else _string(data, "issuer_url"),
        client_ids=_strings(data, "client_ids", ("sts.aliyuncs.com",)),
        jwks=_object_or_null(data, "jwks"),
    )
    return {"arn": arn}


async def oidc_token(request: Request, cloud: Cloud) -> dict[str, str]:
    data = await _object(request)
    audience = data.get("audience", "sts.aliyuncs.com")
    issuer = data.get("issuer")
    token = cloud.mint_oidc_token(
        _string(data, "subject", "system:serviceaccount:default:akless"),
        audience=audience if isinstance(audience, str) else _strings(data, "audience"),
        expires_in=float(data.get("expires_in", 3600)),
        issuer=None if issuer is None else _string(data, "issuer"),
    )
    return {"token": token}


async def calls(request: Request, cloud: Cloud) -> Any:
    if request.method == "POST":
        return admin_services.record_calls(await _json(request), cloud)
    limit = int(request.query_params.get("limit", "1000"))
    records = cloud.store.calls(
        access_key_id=request.query_params.get("access_key_id"), limit=max(1, min(limit, 10000))
    )
    return [asdict(record) for record in records]


def routes() -> list[BaseRoute]:
    """The admin routes, to mount under ``/_emulator``."""
    return [
        Route("/identity", _endpoint(identity), methods=["GET"]),
        Route("/reset", _endpoint(reset), methods=["POST"]),
        Route("/faults", _endpoint(faults), methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/clock", _endpoint(clock), methods=["GET", "PUT"]),
        Route("/credential-lifetime", _endpoint(credential_lifetime), methods=["GET", "PUT"]),
        Route("/instance", _endpoint(instance), methods=["GET", "PUT"]),
        Route("/users", _endpoint(users), methods=["POST"]),
        Route("/users/{name}/access-keys", _endpoint(user_access_keys), methods=["POST"]),
        Route("/users/{name}/key-pairs", _endpoint(user_key_pairs), methods=["POST"]),
        Route("/access-keys/{key_id}", _endpoint(access_key), methods=["PUT"]),
        Route("/roles", _endpoint(roles), methods=["POST"]),
        Route("/oidc-providers", _endpoint(oidc_providers), methods=["POST"]),
        Route("/oidc/token", _endpoint(oidc_token), methods=["POST"]),
        Route("/calls", _endpoint(calls), methods=["GET", "POST"]),
        *admin_services.build_routes(_endpoint, _object),
    ]
