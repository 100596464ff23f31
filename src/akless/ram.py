"""RAM client (2015-05-01): a user's AccessKeys, and a role's attached policies.

The endpoint is explicit, else ``ALIBABA_CLOUD_RAM_ENDPOINT``, else the global
``ram.aliyuncs.com`` (RAM has no regional endpoints); a full URL such as the emulator's
``http://127.0.0.1:8080`` is accepted. Every method takes the calling credential first; a
``user_name`` of ``None`` means the caller itself (a RAM user managing its own keys).

A RAM user holds at most two AccessKeys: a third ``create_access_key`` fails with
``ServiceError`` code ``LimitExceeded.User.AccessKey``. Other codes callers meet here:
``EntityNotExist.User``, ``EntityNotExist.User.AccessKey``, ``EntityNotExist.Role``,
``EntityNotExist.Policy``, ``NoPermission``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from akless import _env
from akless._api_fields import ServiceClient, configured_endpoint
from akless._env import Environ
from akless._openapi import API_TIMEOUT, endpoint_url
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError
from akless.transport import Timeout, Transport

RAM_VERSION = "2015-05-01"
DEFAULT_RAM_HOST = "ram.aliyuncs.com"
ACCESS_KEY_STATUSES = ("Active", "Inactive")
POLICY_TYPES = ("System", "Custom")


def resolve_ram_endpoint(explicit: str | None = None, *, environ: Environ | None = None) -> str:
    """The RAM base URL: explicit, ``ALIBABA_CLOUD_RAM_ENDPOINT``, else ``ram.aliyuncs.com``."""
    configured = configured_endpoint(
        explicit, setting="ram_endpoint", variable=_env.RAM_ENDPOINT, environ=environ
    )
    return configured or endpoint_url(DEFAULT_RAM_HOST, source="default RAM endpoint")


@dataclass(frozen=True)
class NewAccessKey:
    """An AccessKey just created: the only time RAM ever shows its secret."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    status: str
    created: float
    """When RAM created it, seconds since the epoch."""

    def credentials(self, provider_name: str = "static_ak") -> Credentials:
        """The key as a long-term ``Credentials``."""
        return Credentials(self.access_key_id, self.access_key_secret, provider_name=provider_name)


@dataclass(frozen=True)
class AccessKeyInfo:
    """One of a user's AccessKeys, as ``ListAccessKeys`` shows it (no secret)."""

    access_key_id: str
    status: str
    created: float


@dataclass(frozen=True)
class RoleInfo:
    """A RAM role, as ``GetRole`` shows it."""

    name: str
    role_id: str
    arn: str
    max_session_duration: int | None = None
    """The longest STS session the role allows, in seconds."""
    description: str | None = None
    assume_role_policy_document: str | None = None
    created: float | None = None
    updated: float | None = None


@dataclass(frozen=True)
class AttachedPolicy:
    """A policy attached to a role."""

    name: str
    policy_type: str
    """``System`` or ``Custom``."""
    description: str | None = None
    attached: float | None = None
    """When it was attached, seconds since the epoch (``None`` when RAM does not say)."""
    default_version: str | None = None


class RamClient(ServiceClient):
    """A client of the RAM endpoint."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        transport: Transport | None = None,
        clock: Clock = system_clock,
        timeout: Timeout = API_TIMEOUT,
        environ: Environ | None = None,
    ) -> None:
        super().__init__(
            resolve_ram_endpoint(endpoint, environ=environ),
            RAM_VERSION,
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    # -- AccessKeys --

    def create_access_key(
        self, credentials: Credentials, user_name: str | None = None
    ) -> NewAccessKey:
        """A new AccessKey for ``user_name`` (default: the caller)."""
        key = self._call("CreateAccessKey", _user(user_name, credentials), credentials).child(
            "AccessKey"
        )
        return NewAccessKey(
            access_key_id=key.text("AccessKeyId"),
            access_key_secret=key.text("AccessKeySecret"),
            status=key.optional_text("Status") or "Active",
            created=key.timestamp("CreateDate"),
        )

    def update_access_key(
        self,
        credentials: Credentials,
        access_key_id: str,
        status: str,
        user_name: str | None = None,
    ) -> None:
        """Set an AccessKey ``Active`` or ``Inactive`` (a disabled key fails every call with
        ``InvalidAccessKeyId.Inactive`` until enabled again)."""
        if status not in ACCESS_KEY_STATUSES:
            raise ConfigurationError(
                f"an AccessKey status is Active or Inactive, not {status!r}", source="status"
            )
        params = {
            "UserAccessKeyId": access_key_id,
            "Status": status,
            **_user(user_name, credentials),
        }
        self._call("UpdateAccessKey", params, credentials)

    def delete_access_key(
        self, credentials: Credentials, access_key_id: str, user_name: str | None = None
    ) -> None:
        """Delete an AccessKey for good."""
        params = {"UserAccessKeyId": access_key_id, **_user(user_name, credentials)}
        self._call("DeleteAccessKey", params, credentials)

    def list_access_keys(
        self, credentials: Credentials, user_name: str | None = None
    ) -> tuple[AccessKeyInfo, ...]:
        """The AccessKeys of ``user_name`` (default: the caller), without secrets."""
        answer = self._call("ListAccessKeys", _user(user_name, credentials), credentials)
        return tuple(
            AccessKeyInfo(
                access_key_id=key.text("AccessKeyId"),
                status=key.text("Status"),
                created=key.timestamp("CreateDate"),
            )
            for key in answer.child("AccessKeys").objects("AccessKey")
        )

    def get_access_key_last_used(
        self, credentials: Credentials, access_key_id: str, user_name: str | None = None
    ) -> float | None:
        """When the AccessKey was last used, seconds since the epoch; ``None`` if never."""
        params = {"UserAccessKeyId": access_key_id, **_user(user_name, credentials)}
        answer = self._call("GetAccessKeyLastUsed", params, credentials)
        return answer.child("AccessKeyLastUsed").optional_timestamp("LastUsedDate")

    # -- roles and their policies --

    def get_role(self, credentials: Credentials, role_name: str) -> RoleInfo:
        """The role ``role_name``."""
        role = self._call("GetRole", {"RoleName": role_name}, credentials).child("Role")
        return RoleInfo(
            name=role.text("RoleName"),
            role_id=role.text("RoleId"),
            arn=role.text("Arn"),
            max_session_duration=role.integer("MaxSessionDuration"),
            description=role.optional_text("Description"),
            assume_role_policy_document=role.optional_text("AssumeRolePolicyDocument"),
            created=role.optional_timestamp("CreateDate"),
            updated=role.optional_timestamp("UpdateDate"),
        )

    def list_policies_for_role(
        self, credentials: Credentials, role_name: str
    ) -> tuple[AttachedPolicy, ...]:
        """The policies attached to ``role_name``."""
        answer = self._call("ListPoliciesForRole", {"RoleName": role_name}, credentials)
        return tuple(
            AttachedPolicy(
                name=policy.text("PolicyName"),
                policy_type=policy.text("PolicyType"),
                description=policy.optional_text("Description"),
                attached=policy.optional_timestamp("AttachDate"),
                default_version=policy.optional_text("DefaultVersion"),
            )
            for policy in answer.child("Policies").objects("Policy")
        )

    def attach_policy_to_role(
        self, credentials: Credentials, role_name: str, policy_name: str, policy_type: str
    ) -> None:
        """Attach policy ``policy_name`` (``System`` or ``Custom``) to ``role_name``."""
        self._call("AttachPolicyToRole", _policy(role_name, policy_name, policy_type), credentials)

    def detach_policy_from_role(
        self, credentials: Credentials, role_name: str, policy_name: str, policy_type: str
    ) -> None:
        """Detach policy ``policy_name`` from ``role_name``: once a role has no policy left,
        its unexpired STS tokens can do nothing."""
        params = _policy(role_name, policy_name, policy_type)
        self._call("DetachPolicyFromRole", params, credentials)


def _user(user_name: str | None, credentials: Credentials) -> dict[str, str]:
    """``UserName``, or nothing for the calling user; an STS token belongs to a role session,
    which has no AccessKeys, so RAM would only answer a bare ``MissingUserName``."""
    if user_name:
        return {"UserName": user_name}
    if credentials.security_token is not None:
        raise ConfigurationError(
            "the credential in use is an STS token (a role session), which has no AccessKeys "
            "of its own: name the RAM user whose keys are meant (--user NAME)",
            source="user_name",
        )
    return {}


def _policy(role_name: str, policy_name: str, policy_type: str) -> dict[str, str]:
    if policy_type not in POLICY_TYPES:
        raise ConfigurationError(
            f"a policy type is System or Custom, not {policy_type!r}", source="policy_type"
        )
    return {"RoleName": role_name, "PolicyName": policy_name, "PolicyType": policy_type}
