"""ARNs, and the identity behind an authenticated call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from akless.emulator.records import AccessKey, Role, Session, User

_ROLE_ARN = re.compile(r"acs:ram::(\d+):role/([A-Za-z0-9.\-]{1,64})")
_OIDC_PROVIDER_ARN = re.compile(r"acs:ram::(\d+):oidc-provider/([A-Za-z0-9.\-]{1,128})")

IdentityType = Literal["RAMUser", "AssumedRoleUser", "Anonymous"]


def user_arn(account_id: str, user_name: str) -> str:
    """``acs:ram::<account>:user/<name>``."""
    return f"acs:ram::{account_id}:user/{user_name}"


def role_arn(account_id: str, role_name: str) -> str:
    """``acs:ram::<account>:role/<name>``; RAM writes role names in ARNs in lowercase."""
    return f"acs:ram::{account_id}:role/{role_name.lower()}"


def assumed_role_arn(account_id: str, role_name: str, session_name: str) -> str:
    """The ARN GetCallerIdentity reports for an STS session."""
    return f"acs:ram::{account_id}:assumed-role/{role_name.lower()}/{session_name}"


def oidc_provider_arn(account_id: str, provider_name: str) -> str:
    """``acs:ram::<account>:oidc-provider/<name>``."""
    return f"acs:ram::{account_id}:oidc-provider/{provider_name}"


def parse_role_arn(arn: str) -> tuple[str, str] | None:
    """``(account_id, role_name)`` from a role ARN, or ``None`` when it is not one."""
    match = _ROLE_ARN.fullmatch(arn)
    return None if match is None else (match.group(1), match.group(2))


def parse_oidc_provider_arn(arn: str) -> tuple[str, str] | None:
    """``(account_id, provider_name)`` from an OIDC provider ARN, or ``None``."""
    match = _OIDC_PROVIDER_ARN.fullmatch(arn)
    return None if match is None else (match.group(1), match.group(2))


@dataclass(frozen=True)
class Caller:
    """Who made a call: a RAM user (with its AccessKey), an STS session, or nobody."""

    identity_type: IdentityType
    account_id: str
    access_key_id: str | None = None
    user: User | None = None
    access_key: AccessKey | None = None
    session: Session | None = None
    role: Role | None = None

    @property
    def arn(self) -> str | None:
        """The caller's ARN as GetCallerIdentity reports it."""
        if self.user is not None:
            return user_arn(self.account_id, self.user.name)
        if self.session is not None:
            return assumed_role_arn(
                self.account_id, self.session.role_name, self.session.session_name
            )
        return None

    @property
    def trust_arn(self) -> str | None:
        """The ARN a trust policy names to admit this caller (a session admits as its role)."""
        if self.user is not None:
            return user_arn(self.account_id, self.user.name)
        if self.session is not None:
            return role_arn(self.account_id, self.session.role_name)
        return None
