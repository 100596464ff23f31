"""STS 2015-04-01: AssumeRole, AssumeRoleWithOIDC (unsigned), GenerateSessionAccessKey (signed
by an RSA key pair) and GetCallerIdentity, with the real parameter rules and error codes
(protocol fact sheet, section 4)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from akless._time import format_timestamp
from akless.emulator.errors import ApiError, invalid
from akless.emulator.oidc import verify_token
from akless.emulator.policy import PrincipalKind, check_session_policy, trust_allows
from akless.emulator.principals import parse_oidc_provider_arn, parse_role_arn, role_arn
from akless.emulator.records import Role, Session
from akless.emulator.services import ActionContext, Service

# Matched with fullmatch: "$" would also accept a trailing newline.
_SESSION_NAME = re.compile(r"[A-Za-z0-9.@\-_]{2,64}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/\-]{2,1224}")
_SECONDS = re.compile(r"[0-9]{1,9}")  # not str.isdigit(), which admits "²" that int() refuses
MIN_DURATION = 900
DEFAULT_DURATION = 3600
MAX_SESSION_ACCESS_KEY_DURATION = 3600


def _role_arn(ctx: ActionContext) -> tuple[str, str, str]:
    """``(arn, account_id, role_name)`` of the ``RoleArn`` parameter, checked for form only."""
    arn = ctx.required("RoleArn")
    parsed = parse_role_arn(arn)
    if parsed is None:
        raise invalid("RoleArn")
    return arn, *parsed


def _role(ctx: ActionContext, arn: tuple[str, str, str]) -> Role:
    text, account_id, name = arn
    role = ctx.cloud.store.get_role(name) if account_id == ctx.cloud.account_id else None
    if role is None:
        raise ApiError(404, "EntityNotExist.Role", f"The role not exists: {text}.")
    return role


def _session_name(ctx: ActionContext) -> str:
    name = ctx.required("RoleSessionName")
    if not _SESSION_NAME.fullmatch(name):
        raise invalid(
            "RoleSessionName",
            "The parameter RoleSessionName is wrongly formed: 2 to 64 characters of letters, "
            "digits, '.', '@', '-' and '_'.",
        )
    return name


def _duration(ctx: ActionContext, role: Role) -> int:
    text = ctx.optional("DurationSeconds")
    if text is None:
        return min(DEFAULT_DURATION, role.max_session_duration)
    if not _SECONDS.fullmatch(text) or not MIN_DURATION <= int(text) <= role.max_session_duration:
        raise invalid(
            "DurationSeconds",
            f"The Min/Max value of DurationSeconds is {MIN_DURATION}/"
            f"{role.max_session_duration} seconds (the role's MaxSessionDuration).",
        )
    return int(text)


def _policy(ctx: ActionContext) -> str | None:
    text = ctx.request.params.get("Policy")
    if text is None:
        return None
    check_session_policy(text)
    return text


def _credentials_body(ctx: ActionContext, role: Role, session: Session) -> dict[str, Any]:
    return {
        "AssumedRoleUser": {
            "Arn": f"{role_arn(ctx.cloud.account_id, role.name)}/{session.session_name}",
            "AssumedRoleId": f"{role.role_id}:{session.session_name}",
        },
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "AccessKeySecret": session.secret,
            "SecurityToken": session.security_token,
            "Expiration": format_timestamp(session.expiration),
        },
    }


def _require_trust(
    ctx: ActionContext,
    role: Role,
    *,
    kind: PrincipalKind,
    principal: str,
    context: Mapping[str, Sequence[str]],
    who: str,
) -> None:
    """``NoPermission`` unless the role's trust policy admits ``principal`` in ``context``."""
    admitted = trust_allows(
        role.trust_policy,
        kind=kind,
        principal=principal,
        account_id=ctx.cloud.account_id,
        context=context,
    )
    if not admitted:
        raise ApiError(
            403,
            "NoPermission",
            f"No permission perform sts:AssumeRole on this Role. {who} is not allowed by the "
            f"trust policy of role {role.name}, or its conditions are not met.",
        )


def assume_role(ctx: ActionContext) -> dict[str, Any]:
    """Issue an STS credential of a role to a RAM identity its trust policy admits."""
    arn = _role_arn(ctx)
    session_name = _session_name(ctx)
    policy = _policy(ctx)
    external_id = ctx.optional("ExternalId")
    if external_id is not None and not _EXTERNAL_ID.fullmatch(external_id):
        raise invalid("ExternalId")
    source_identity = ctx.optional("SourceIdentity")
    role = _role(ctx, arn)
    duration = _duration(ctx, role)
    context = {"sts:ExternalId": [external_id]} if external_id else {}
    _require_trust(
        ctx,
        role,
        kind="RAM",
        principal=ctx.caller.trust_arn or "",
        context=context,
        who=ctx.caller.arn or "The caller",
    )
    session = ctx.cloud.issue_session(
        role, session_name, source="AssumeRole", duration=duration, policy=policy
    )
    body = _credentials_body(ctx, role, session)
    if source_identity:
        body["SourceIdentity"] = source_identity
    return body


def assume_role_with_oidc(ctx: ActionContext) -> dict[str, Any]:
    """Exchange an OIDC token (RRSA) for an STS credential of a role that trusts its provider."""
    arn = _role_arn(ctx)
    provider_arn = ctx.required("OIDCProviderArn")
    parsed = parse_oidc_provider_arn(provider_arn)
    if parsed is None:
        raise invalid("OIDCProviderArn")
    token = ctx.request.params.get("OIDCToken", "")
    session_name = _session_name(ctx)
    policy = _policy(ctx)
    account_id, provider_name = parsed
    store = ctx.cloud.store
    provider = (
        store.get_oidc_provider(provider_name) if account_id == ctx.cloud.account_id else None
    )
    if provider is None:
        raise ApiError(401, "AuthenticationFail.NoPermission", "No such OIDC Provider registered.")
    jwks = provider.jwks if provider.jwks is not None else ctx.cloud.oidc.jwks()
    claims = verify_token(token.strip(), provider, jwks, ctx.now)
    role = _role(ctx, arn)
    duration = _duration(ctx, role)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    context = {"oidc:iss": [claims["iss"]], "oidc:aud": audiences, "oidc:sub": [claims["sub"]]}
    _require_trust(
        ctx,
        role,
        kind="Federated",
        principal=provider_arn,
        context=context,
        who=f"OIDC subject {claims['sub']!r} of {provider_arn}",
    )
    session = ctx.cloud.issue_session(
        role, session_name, source="AssumeRoleWithOIDC", duration=duration, policy=policy
    )
    body = _credentials_body(ctx, role, session)
    body["OIDCTokenInfo"] = {
        "Issuer": claims["iss"],
        "Subject": claims["sub"],
        "ClientIds": ",".join(str(item) for item in audiences),
        "ExpirationTime": format_timestamp(claims["exp"]),
        "IssuanceTime": format_timestamp(claims.get("iat", claims["exp"])),
        "VerificationInfo": "Success",
    }
    return body


def generate_session_access_key(ctx: ActionContext) -> dict[str, Any]:
    """Issue a session AccessKey (no security token) to the RAM user owning the RSA key pair
    that signed the call (the gateway admits nothing else here)."""
    key_pair = ctx.cloud.store.get_key_pair(ctx.caller.access_key_id or "")
    if key_pair is None:
        raise ApiError(400, "InvalidAccessKeyId.NotFound", "Specified public key is not found.")
    text = ctx.optional("DurationSeconds")
    duration = DEFAULT_DURATION
    if text is not None:
        if not _SECONDS.fullmatch(text) or not (
            MIN_DURATION <= int(text) <= MAX_SESSION_ACCESS_KEY_DURATION
        ):
            raise invalid(
                "DurationSeconds",
                f"The Min/Max value of DurationSeconds is {MIN_DURATION}/"
                f"{MAX_SESSION_ACCESS_KEY_DURATION} seconds.",
            )
        duration = int(text)
    key = ctx.cloud.issue_session_access_key(key_pair, duration=duration)
    return {
        "SessionAccessKey": {
            "SessionAccessKeyId": key.access_key_id,
            "SessionAccessKeySecret": key.secret,
            "Expiration": format_timestamp(key.expiration),
        }
    }


def get_caller_identity(ctx: ActionContext) -> dict[str, Any]:
    """Who signed this call."""
    caller = ctx.caller
    if caller.user is not None:
        return {
            "AccountId": caller.account_id,
            "UserId": caller.user.user_id,
            "IdentityType": "RAMUser",
            "PrincipalId": caller.user.user_id,
            "Arn": caller.arn,
        }
    session = caller.session
    if session is None:
        raise ApiError(403, "NoPermission", "You are not authorized to do this action.")
    role_id = caller.role.role_id if caller.role is not None else ""
    return {
        "AccountId": caller.account_id,
        "Arn": caller.arn,
        "IdentityType": "AssumedRoleUser",
        "PrincipalId": f"{role_id}:{session.session_name}",
        "RoleId": role_id,
    }


SERVICE = Service(
    name="sts",
    product="Sts",
    version="2015-04-01",
    actions={
        "AssumeRole": assume_role,
        "AssumeRoleWithOIDC": assume_role_with_oidc,
        "GenerateSessionAccessKey": generate_session_access_key,
        "GetCallerIdentity": get_caller_identity,
    },
    anonymous_actions=frozenset({"AssumeRoleWithOIDC"}),
    key_pair_actions=frozenset({"GenerateSessionAccessKey"}),
)
