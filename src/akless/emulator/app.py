"""The emulator's ASGI application: every service on one port.

=================================  ==============================================================
``/latest/...``                    ECS instance metadata service
``/`` (GET or POST)                OpenAPI services, chosen by ``Version`` (RPC) or
                                   ``x-acs-version`` (ACS3): STS 2015-04-01,
                                   RAM 2015-05-01, KMS 2016-01-20, ActionTrail 2020-07-06
``/oidc/.well-known/...``          the emulator's OIDC issuer (discovery document and JWKS)
``/_emulator/...``                 the admin API (see ``admin.py``)
=================================  ==============================================================
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from akless.emulator import actiontrail, admin, ids, kms, metadata, ram, sts
from akless.emulator.cloud import Cloud
from akless.emulator.errors import ApiError, unknown_action
from akless.emulator.faults import Decision
from akless.emulator.principals import Caller
from akless.emulator.protocol import MAX_BODY_BYTES, ApiRequest, parse_request
from akless.emulator.records import CallRecord
from akless.emulator.responses import error_body, http_date, render
from akless.emulator.services import ActionContext, Service, unknown_version

log = logging.getLogger("akless.emulator")

SERVICES: dict[str, Service] = {
    service.version: service
    for service in (sts.SERVICE, ram.SERVICE, kms.SERVICE, actiontrail.SERVICE)
}
ABORT_EXTENSION = "akless.abort"
"""ASGI scope extension the emulator's server provides: a callable that drops the connection."""
_UNRECORDED_PARAMS = frozenset(
    {"OIDCToken", "SAMLAssertion", "BearerToken", "SecurityToken", "SecretData"}
)
"""Parameters never written to the call record (nor shown as ActionTrail requestParameters)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _cloud(request: Request) -> Cloud:
    cloud: Cloud = request.app.state.cloud
    return cloud


# --- faults ---------------------------------------------------------------------------------


async def _suffer(request: Request, decision: Decision) -> bool:
    """Apply latency and outages; ``True`` when the connection was dropped or abandoned."""
    if decision.latency:
        await asyncio.sleep(decision.latency)
    if decision.down == "hang":
        while (await request.receive())["type"] != "http.disconnect":
            pass  # answer nothing until the client gives up
        return True
    if decision.down == "refuse":
        abort = request.scope.get("extensions", {}).get(ABORT_EXTENSION)
        if abort is None:
            return False  # not under the emulator's own server: answer with the status instead
        abort()
        for _ in range(3):
            await asyncio.sleep(0)  # let the server notice the connection is gone
        return True
    return False


async def _injected_fault(
    request: Request, service: str, answer: Callable[[int, str], Response]
) -> Response | None:
    """The answer an injected fault imposes on this request, or ``None`` to serve it normally.

    ``answer(status, code)`` renders a forced error status the way ``service`` answers errors.
    """
    decision = _cloud(request).faults.decide(service)
    if await _suffer(request, decision):
        return Response(status_code=503)  # the connection is gone: this never reaches anyone
    if decision.status:
        return answer(decision.status, decision.code or "InternalError")
    return None


# --- OpenAPI services -------------------------------------------------------------------------


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "0")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(400, "InvalidParameter", "The request body is larger than 10 MB.")
    return await request.body()


def _api_response(
    cloud: Cloud, body: dict[str, Any], *, status: int, response_format: str, root: str
) -> Response:
    content, content_type = render(body, response_format=response_format, root=root)
    headers = {
        "content-type": content_type,
        "date": http_date(cloud.now()),
        "x-acs-request-id": body["RequestId"],
    }
    return Response(content, status_code=status, headers=headers)


def _api_error(
    cloud: Cloud, error: ApiError, request: Request, request_id: str, product: str, fmt: str
) -> Response:
    host = request.headers.get("host", "")
    body = error_body(error, request_id=request_id, host=host, product=product)
    return _api_response(cloud, body, status=error.status, response_format=fmt, root="Error")


def _recordable(message: str) -> str:
    """An error message fit for the call record: a quoted string to sign can carry the
    security token (and a signed call's OIDC token), so it is cut off."""
    head, marker, _ = message.partition("server string to sign is:")
    return (f"{head}{marker} [redacted]" if marker else message)[:512]


def _claimed_key_id(call: ApiRequest) -> str | None:
    if call.style == "rpc":
        return call.signed_params.get("AccessKeyId")
    credential = (call.header("authorization") or "").partition("Credential=")[2]
    return credential.split(",", 1)[0] or None


def _record(
    cloud: Cloud,
    call: ApiRequest,
    service: Service,
    caller: Caller | None,
    request_id: str,
    status: int,
    error: ApiError | None,
) -> None:
    params = {k: v for k, v in call.params.items() if k not in _UNRECORDED_PARAMS}
    cloud.store.record_call(
        CallRecord(
            time=cloud.now(),
            request_id=request_id,
            service=service.name,
            action=call.action,
            version=call.version,
            access_key_id=caller.access_key_id if caller else _claimed_key_id(call),
            principal_arn=caller.arn if caller else None,
            identity_type=caller.identity_type if caller else None,
            source_ip=call.source_ip,
            user_agent=call.user_agent,
            status=status,
            error_code=None if error is None else error.code,
            error_message=None if error is None else _recordable(error.message),
            params=params,
        )
    )


async def api(request: Request) -> Response:
    """Dispatch one OpenAPI call: parse, inject faults, authenticate, act, record."""
    cloud = _cloud(request)
    request_id = ids.request_id()
    try:
        call = parse_request(
            method=request.method,
            path=request.scope.get("path", "/"),
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
            headers=[
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
            ],
            body=await _read_body(request),
            source_ip=request.client.host if request.client else "",
        )
        service = SERVICES.get(call.version)
        if service is None:
            raise unknown_version(call.version)
    except ApiError as error:
        return _api_error(cloud, error, request, request_id, "OpenAPI", "JSON")
    injected = await _injected_fault(
        request,
        service.name,
        lambda status, code: _api_error(
            cloud,
            ApiError(status, code, "Injected fault."),
            request,
            request_id,
            service.product,
            call.response_format,
        ),
    )
    if injected is not None:
        return injected
    caller: Caller | None = None
    try:
        cloud.apply_due_secret_work()  # rotations and key disables that fell due meanwhile
        action = service.actions.get(call.action)
        if action is None:
            raise unknown_action(call.action)
        caller = cloud.gateway.authenticate(
            call,
            anonymous_allowed=call.action in service.anonymous_actions,
            key_pair=call.action in service.key_pair_actions,
        )
        result = action(ActionContext(cloud, call, caller, cloud.now()))
    except ApiError as error:
        _record(cloud, call, service, caller, request_id, error.status, error)
        return _api_error(cloud, error, request, request_id, service.product, call.response_format)
    _record(cloud, call, service, caller, request_id, 200, None)
    body = {"RequestId": request_id, **result}
    return _api_response(
        cloud, body, status=200, response_format=call.response_format, root=f"{call.action}Response"
    )


async def unknown_path(request: Request) -> Response:
    """Anything the emulator does not serve: the gateway's 404."""
    error = ApiError(
        404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method."
    )
    return _api_error(_cloud(request), error, request, ids.request_id(), "OpenAPI", "JSON")


# --- metadata service -------------------------------------------------------------------------


async def metadata_service(request: Request) -> Response:
    """``/latest/...``: faults first, then the metadata rules."""
    cloud = _cloud(request)
    cloud.metadata_requests[(request.method, request.scope.get("path", ""))] += 1
    injected = await _injected_fault(
        request,
        "metadata",
        lambda status, code: Response(f"{status} - Injected fault", status_code=status),
    )
    if injected is not None:
        return injected
    path = request.path_params["path"]
    if request.method == "PUT" and path == "api/token":
        return metadata.issue_token(request, cloud)
    if request.method == "GET":
        return metadata.read(request, cloud, path)
    return Response("405 - Method Not Allowed", status_code=405, headers={"allow": "GET, PUT"})


# --- OIDC issuer ----------------------------------------------------------------------------


def _oidc_fault(status: int, code: str) -> Response:
    return JSONResponse({"error": "injected fault", "code": code}, status_code=status)


async def oidc_discovery(request: Request) -> Response:
    """The issuer's OpenID configuration."""
    injected = await _injected_fault(request, "oidc", _oidc_fault)
    if injected is not None:
        return injected
    cloud = _cloud(request)
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "issuer": cloud.oidc.issuer,
            "jwks_uri": f"{base}/oidc/jwks.json",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )


async def oidc_jwks(request: Request) -> Response:
    """The issuer's public keys."""
    injected = await _injected_fault(request, "oidc", _oidc_fault)
    if injected is not None:
        return injected
    return JSONResponse(_cloud(request).oidc.jwks())


# --- assembly -------------------------------------------------------------------------------


class ExceptionGuard:
    """Outermost ASGI layer: a bug in the emulator answers ``InternalError`` (500), is logged,
    and is kept in ``cloud.server_errors`` so the test that caused it can fail."""

    def __init__(self, app: Any, cloud: Cloud) -> None:
        self.app = app
        self.cloud = cloud

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            pass  # the client left before sending its whole request: nobody to answer, no bug
        except Exception as error:  # the boundary: nothing escapes to the server as a traceback
            self.cloud.server_errors.append(error)
            log.exception("emulator bug while answering %s", scope.get("path", "?"))


async def _internal_error(request: Request, error: Exception) -> Response:
    body = error_body(
        ApiError(500, "InternalError", "The emulator failed to answer; see its log."),
        request_id=ids.request_id(),
        host=request.headers.get("host", ""),
        product="OpenAPI",
    )
    return JSONResponse(body, status_code=500)


def create_app(cloud: Cloud) -> ExceptionGuard:
    """The ASGI application serving ``cloud``."""
    methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    routes = [
        Route("/latest/{path:path}", metadata_service, methods=methods),
        Route("/oidc/.well-known/openid-configuration", oidc_discovery, methods=["GET"]),
        Route("/oidc/jwks.json", oidc_jwks, methods=["GET"]),
        Mount("/_emulator", routes=admin.routes()),
        Route("/", api, methods=["GET", "POST"]),
        Route("/{path:path}", unknown_path, methods=methods),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: _internal_error})
    app.state.cloud = cloud
    return ExceptionGuard(app, cloud)
