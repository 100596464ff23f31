"""RAM policy documents: grammar checks for session policies, and trust-policy evaluation.

A trust policy says who may assume a role::

    {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
      "Principal": {"RAM": ["acs:ram::<account>:user/alice"]},
      "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}]}

Principals are ``RAM`` (user or role ARNs, or ``acs:ram::<account>:root`` for anyone in the
account), ``Service`` (``ecs.aliyuncs.com``) or ``Federated`` (OIDC provider ARNs). A matching
``Deny`` wins over any ``Allow``. Conditions support ``StringEquals`` and ``StringLike``; an
unknown operator never matches, so a policy the emulator does not understand denies.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from akless.emulator.errors import ApiError, invalid

PrincipalKind = Literal["RAM", "Service", "Federated"]
MAX_POLICY_LENGTH = 2048


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def check_session_policy(text: str) -> None:
    """Validate an AssumeRole ``Policy`` parameter (length, then grammar)."""
    if not 1 <= len(text) <= MAX_POLICY_LENGTH:
        raise invalid(
            "PolicySize", f"The size of Policy must be between 1 and {MAX_POLICY_LENGTH} bytes."
        )
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _grammar("it is not valid JSON") from None
    if not isinstance(document, dict):
        raise _grammar("it must be a JSON object")
    if document.get("Version") != "1":
        raise _grammar('"Version" must be "1"')
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise _grammar('"Statement" must be a non-empty list')
    for statement in statements:
        if not isinstance(statement, dict):
            raise _grammar("each statement must be an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise _grammar('"Effect" must be "Allow" or "Deny"')
        for field in ("Action", "Resource"):
            values = _as_list(statement.get(field))
            if not values or not all(isinstance(item, str) and item for item in values):
                raise _grammar(f'"{field}" must be a string or a list of strings')
        if "Condition" in statement and not isinstance(statement["Condition"], dict):
            raise _grammar('"Condition" must be an object')


def _grammar(why: str) -> ApiError:
    return invalid("PolicyGrammar", f"The parameter Policy has not passed grammar check: {why}.")


def trust_policy(
    *,
    ram: Sequence[str] = (),
    services: Sequence[str] = (),
    federated: Sequence[str] = (),
    conditions: Mapping[str, Mapping[str, str | list[str]]] | None = None,
) -> dict[str, Any]:
    """Build a one-statement trust policy allowing the given principals."""
    principal: dict[str, list[str]] = {}
    if ram:
        principal["RAM"] = list(ram)
    if services:
        principal["Service"] = list(services)
    if federated:
        principal["Federated"] = list(federated)
    statement: dict[str, Any] = {
        "Action": "sts:AssumeRole",
        "Effect": "Allow",
        "Principal": principal,
    }
    if conditions:
        statement["Condition"] = {op: dict(values) for op, values in conditions.items()}
    return {"Statement": [statement], "Version": "1"}


def trust_allows(
    document: Mapping[str, Any],
    *,
    kind: PrincipalKind,
    principal: str,
    account_id: str,
    context: Mapping[str, Sequence[str]],
) -> bool:
    """Whether ``document`` lets ``principal`` (of ``kind``) assume the role, given ``context``
    (condition keys such as ``sts:ExternalId``, ``oidc:aud``, ``oidc:sub``)."""
    allowed = False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        if not any(_action_matches(action) for action in _as_list(statement.get("Action"))):
            continue
        principals = statement.get("Principal")
        if not isinstance(principals, dict):
            continue
        named = _as_list(principals.get(kind))
        if not any(_principal_matches(item, kind, principal, account_id) for item in named):
            continue
        if not _conditions_hold(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _action_matches(action: Any) -> bool:
    return isinstance(action, str) and action.lower() in ("sts:assumerole", "sts:*", "*")


def _principal_matches(named: Any, kind: PrincipalKind, principal: str, account_id: str) -> bool:
    if not isinstance(named, str):
        return False
    if kind == "RAM":
        if named.lower() == principal.lower():
            return True
        # The account root, written as an ARN or a bare account ID, admits the whole account.
        return named in (f"acs:ram::{account_id}:root", account_id) and principal.startswith(
            f"acs:ram::{account_id}:"
        )
    if kind == "Service":
        return named.lower() == principal.lower()
    return named == principal


def _conditions_hold(conditions: Any, context: Mapping[str, Sequence[str]]) -> bool:
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        if operator not in ("StringEquals", "StringLike") or not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            actual = context.get(key, ())
            patterns = [str(item) for item in _as_list(expected)]
            if operator == "StringEquals":
                matched = any(value == pattern for value in actual for pattern in patterns)
            else:
                matched = any(
                    fnmatch.fnmatchcase(value, pattern) for value in actual for pattern in patterns
                )
            if not matched:
                return False
    return True
