"""The default identity a fresh emulator creates, so a newcomer can call it at once: a RAM
user with an AccessKey, a role that user may assume, the instance's role, and an OIDC provider
(the emulator's own issuer) with a role that trusts it. The user and the roles have
``AdministratorAccess`` attached, so they may call RAM, KMS and ActionTrail too."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from akless.emulator import ids
from akless.emulator.oidc import OidcIssuer
from akless.emulator.store import Store

if TYPE_CHECKING:
    from akless.emulator.cloud import Cloud

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_USER = "akless-dev"
DEFAULT_ROLE = "akless-dev-role"
DEFAULT_INSTANCE_ROLE = "akless-instance-role"
DEFAULT_OIDC_PROVIDER = "ack-rrsa-emulator"
DEFAULT_OIDC_ROLE = "akless-oidc-role"
STS_AUDIENCE = "sts.aliyuncs.com"
OIDC_ISSUER_BASE = "https://oidc.emulator.akless.invalid"
"""Issuer URLs of the emulator's OIDC tokens (``.invalid``: never resolvable, never contacted)."""


@dataclass(frozen=True)
class Identity:
    """What a fresh emulator creates, so a newcomer can start calling it at once."""

    account_id: str
    region_id: str
    user_name: str
    access_key_id: str
    access_key_secret: str
    role_arn: str
    instance_id: str
    instance_role: str
    instance_role_arn: str
    oidc_issuer: str
    oidc_provider_arn: str
    oidc_role_arn: str

    def to_json(self, endpoint: str) -> dict[str, str]:
        """The start-up line: every field plus the endpoint (base URL) of every service."""
        return {"endpoint": endpoint, **asdict(self)}


def load_or_seed(cloud: Cloud) -> Identity:
    """The identity stored in ``cloud``'s state, or a new one seeded into it."""
    stored = cloud.store.get_meta("identity")
    if stored is not None:
        return Identity(**json.loads(stored))
    admin = cloud.create_user(DEFAULT_USER, policies=["AdministratorAccess"])
    key = cloud.create_access_key(admin.name)
    cloud.create_role(DEFAULT_ROLE, trusted=[cloud.user_arn(DEFAULT_USER)])
    cloud.create_role(DEFAULT_INSTANCE_ROLE, services=["ecs.aliyuncs.com"])
    provider_arn = cloud.create_oidc_provider(DEFAULT_OIDC_PROVIDER)
    cloud.create_role(
        DEFAULT_OIDC_ROLE,
        federated=[provider_arn],
        conditions={"StringEquals": {"oidc:aud": STS_AUDIENCE}},
    )
    cloud.store.set_meta("instance_role", DEFAULT_INSTANCE_ROLE)
    identity = Identity(
        account_id=cloud.account_id,
        region_id=DEFAULT_REGION,
        user_name=DEFAULT_USER,
        access_key_id=key.access_key_id,
        access_key_secret=key.secret,
        role_arn=cloud.role_arn(DEFAULT_ROLE),
        instance_id=ids.instance_id(),
        instance_role=DEFAULT_INSTANCE_ROLE,
        instance_role_arn=cloud.role_arn(DEFAULT_INSTANCE_ROLE),
        oidc_issuer=cloud.oidc.issuer,
        oidc_provider_arn=provider_arn,
        oidc_role_arn=cloud.role_arn(DEFAULT_OIDC_ROLE),
    )
    cloud.store.set_meta("identity", json.dumps(asdict(identity)))
    return identity


def load_or_create_issuer(store: Store, account_id: str) -> OidcIssuer:
    """The account's OIDC signing key, kept in the state so tokens outlive a restart."""
    pem, kid = store.get_meta("oidc_key"), store.get_meta("oidc_kid")
    if pem is not None and kid is not None:
        return OidcIssuer(pem.encode(), f"{OIDC_ISSUER_BASE}/{account_id}", kid)
    issuer = OidcIssuer.generate(f"{OIDC_ISSUER_BASE}/{account_id}")
    store.set_meta("oidc_key", issuer.private_pem.decode())
    store.set_meta("oidc_kid", issuer.kid)
    return issuer
