"""STS 2015-04-01 in the emulator, over HTTP: AssumeRole, AssumeRoleWithOIDC, GetCallerIdentity.

Parameter rules, trust-policy evaluation, OIDC token checks and response shapes follow section 4
of the protocol fact sheet. Requests are built and signed by hand (``tests.emulator.helpers``).
"""

from __future__ import annotations

import calendar
import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from akless.emulator import Cloud
from akless.signing import percent_encode
from tests.emulator.helpers import (
    FORM_TYPE,
    STS_VERSION,
    Api,
    Key,
    RawRequest,
    error_of,
    new_nonce,
    new_user_key,
    utc_timestamp,
)

EXPIRATION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
OIDC_STYLES = ["rpc-form", "rpc-query", "acs3"]


@pytest.fixture(scope="module")
def foreign_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key the emulator has never seen."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def assume_role(api: Api, role_arn: str, session_name: str = "s1", **params: str) -> httpx.Response:
    """AssumeRole of ``role_arn``, signed (RPC v1) by the seeded user."""
    return api.rpc("AssumeRole", {"RoleArn": role_arn, "RoleSessionName": session_name, **params})


def expiration_epoch(text: str) -> int:
    """Parse ``Expiration`` exactly as credentials-python does (no fractional seconds allowed)."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


# --- AssumeRole: who may assume a role ----------------------------------------------------------


def test_seeded_user_may_assume_the_seeded_role(api: Api) -> None:
    response = assume_role(api, api.cloud.identity.role_arn)

    assert response.status_code == 200, response.text


def test_user_the_trust_policy_does_not_name_gets_no_permission(api: Api) -> None:
    bob = new_user_key(api.cloud, "bob")

    response = api.rpc(
        "AssumeRole", {"RoleArn": api.cloud.identity.role_arn, "RoleSessionName": "s1"}, key=bob
    )

    body = error_of(response, 403, "NoPermission")
    assert body["Message"].startswith("No permission perform sts:AssumeRole on this Role.")


def test_role_trusting_a_user_by_arn_admits_only_that_user(api: Api) -> None:
    cloud = api.cloud
    bob = new_user_key(cloud, "bob")
    role_arn = cloud.role_arn(cloud.create_role("bob-only", trusted=[cloud.user_arn("bob")]).name)
    params = {"RoleArn": role_arn, "RoleSessionName": "s1"}

    assert api.rpc("AssumeRole", params, key=bob).status_code == 200
    error_of(api.rpc("AssumeRole", params), 403, "NoPermission")


def test_account_root_in_the_trust_policy_admits_every_user_of_the_account(api: Api) -> None:
    cloud = api.cloud
    bob = new_user_key(cloud, "bob")
    cloud.create_role("whole-account", trusted=[f"acs:ram::{cloud.account_id}:root"])
    params = {"RoleArn": cloud.role_arn("whole-account"), "RoleSessionName": "s1"}

    assert api.rpc("AssumeRole", params, key=bob).status_code == 200
    assert api.rpc("AssumeRole", params).status_code == 200


def test_root_of_another_account_admits_nobody_here(api: Api) -> None:
    api.cloud.create_role("foreign-root", trusted=["acs:ram::1111111111111111:root"])

    error_of(assume_role(api, api.cloud.role_arn("foreign-root")), 403, "NoPermission")


def test_role_session_can_chain_into_a_role_that_trusts_its_role(api: Api) -> None:
    cloud = api.cloud
    cloud.create_role("next-hop", trusted=[cloud.identity.role_arn])
    session = api.role_credential(cloud.identity.role_arn, "first-hop")
    params = {"RoleArn": cloud.role_arn("next-hop"), "RoleSessionName": "second-hop"}

    chained = api.rpc("AssumeRole", params, key=session)

    assert chained.status_code == 200, chained.text
    assert chained.json()["AssumedRoleUser"]["Arn"].endswith(":role/next-hop/second-hop")
    error_of(api.rpc("AssumeRole", params), 403, "NoPermission")  # the user is not trusted


def test_role_session_is_trusted_as_its_role_not_as_the_user_behind_it(api: Api) -> None:
    # The seeded role trusts the seeded user; a session of that role is not that user.
    session = api.role_credential(api.cloud.identity.role_arn, "first-hop")
    params = {"RoleArn": api.cloud.identity.role_arn, "RoleSessionName": "again"}

    error_of(api.rpc("AssumeRole", params, key=session), 403, "NoPermission")


def test_deny_statement_beats_an_allow(api: Api) -> None:
    user = api.cloud.user_arn(api.cloud.identity.user_name)
    statement = {"Action": "sts:AssumeRole", "Principal": {"RAM": [user]}}
    trust = {
        "Version": "1",
        "Statement": [{**statement, "Effect": "Allow"}, {**statement, "Effect": "Deny"}],
    }
    api.cloud.create_role("denied", trust=trust)

    error_of(assume_role(api, api.cloud.role_arn("denied")), 403, "NoPermission")


# --- AssumeRole: parameters -------------------------------------------------------------------


@pytest.mark.parametrize("duration", ["899", "3601", "0", "-900", "1h", "3600.0", "²"])
def test_duration_outside_900_to_max_session_duration_is_invalid(api: Api, duration: str) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, DurationSeconds=duration)

    error_of(response, 400, "InvalidParameter.DurationSeconds")


@pytest.mark.parametrize("duration", [900, 3600])
def test_duration_between_900_and_max_session_duration_sets_the_expiration(
    api: Api, duration: int
) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, DurationSeconds=str(duration))

    assert response.status_code == 200, response.text
    expiration = expiration_epoch(response.json()["Credentials"]["Expiration"])
    assert abs(expiration - (api.cloud.now() + duration)) <= 2


def test_duration_defaults_to_an_hour(api: Api) -> None:
    response = assume_role(api, api.cloud.identity.role_arn)

    expiration = expiration_epoch(response.json()["Credentials"]["Expiration"])
    assert abs(expiration - (api.cloud.now() + 3600)) <= 2


def test_role_with_a_longer_max_session_duration_allows_up_to_it(api: Api) -> None:
    cloud = api.cloud
    user = cloud.user_arn(cloud.identity.user_name)
    cloud.create_role("long-role", trusted=[user], max_session_duration=7200)
    role_arn = cloud.role_arn("long-role")

    assert assume_role(api, role_arn, DurationSeconds="7200").status_code == 200
    error_of(
        assume_role(api, role_arn, DurationSeconds="7201"),
        400,
        "InvalidParameter.DurationSeconds",
    )


@pytest.mark.parametrize("name", ["ab", "a" * 64, "ak-rotator@host_01.test-1", "A.B-C_D@E"])
def test_role_session_name_of_2_to_64_letters_digits_and_dot_at_dash_underscore(
    api: Api, name: str
) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, name)

    assert response.status_code == 200, response.text
    assert response.json()["AssumedRoleUser"]["Arn"].endswith(f"/{name}")


@pytest.mark.parametrize(
    "name", ["a", "a" * 65, "has space", "slash/name", "colon:name", "名前名前", "trailing\n"]
)
def test_role_session_name_outside_the_rules_is_invalid(api: Api, name: str) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, name)

    error_of(response, 400, "InvalidParameter.RoleSessionName")


def test_role_session_name_is_mandatory(api: Api) -> None:
    response = api.rpc("AssumeRole", {"RoleArn": api.cloud.identity.role_arn})

    error_of(response, 400, "MissingRoleSessionName")


def policy_of_length(length: int) -> str:
    """A valid session policy exactly ``length`` characters long."""
    head = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"'
    tail = '"}]}'
    return head + "a" * (length - len(head) - len(tail)) + tail


def test_policy_up_to_2048_characters_is_accepted(api: Api) -> None:
    policy = policy_of_length(2048)

    response = api.rpc(
        "AssumeRole",
        {"RoleArn": api.cloud.identity.role_arn, "RoleSessionName": "s1", "Policy": policy},
        method="POST",
    )

    assert response.status_code == 200, response.text


def test_policy_longer_than_2048_characters_is_too_big(api: Api) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, Policy=policy_of_length(2049))

    error_of(response, 400, "InvalidParameter.PolicySize")


def test_policy_with_spaces_verifies_when_sent_as_plus_signs(api: Api) -> None:
    # Fact sheet 1.5: a Policy with spaces goes on the wire as "+" and is signed as "%20".
    policy = json.dumps(
        {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    assert " " in policy

    response = assume_role(api, api.cloud.identity.role_arn, Policy=policy)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        "[]",
        '{"Version":"2","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        '{"Version":"1","Statement":[]}',
        '{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}',
        '{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}',
        '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":[1]}]}',
    ],
    ids=[
        "not-json",
        "not-object",
        "version",
        "no-statement",
        "effect",
        "no-action",
        "resource-type",
    ],
)
def test_policy_failing_the_grammar_check_is_invalid(api: Api, policy: str) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, Policy=policy)

    error_of(response, 400, "InvalidParameter.PolicyGrammar")


@pytest.fixture
def external_id_role(api: Api) -> str:
    """A role that trusts the seeded user only with ExternalId ``ext-123``."""
    cloud = api.cloud
    cloud.create_role(
        "partner-role",
        trusted=[cloud.user_arn(cloud.identity.user_name)],
        conditions={"StringEquals": {"sts:ExternalId": "ext-123"}},
    )
    return cloud.role_arn("partner-role")


def test_external_id_required_by_the_trust_policy_admits_the_right_one(
    api: Api, external_id_role: str
) -> None:
    assert assume_role(api, external_id_role, ExternalId="ext-123").status_code == 200


@pytest.mark.parametrize("given", [None, "ext-999"])
def test_external_id_missing_or_wrong_gets_no_permission(
    api: Api, external_id_role: str, given: str | None
) -> None:
    params = {} if given is None else {"ExternalId": given}

    error_of(assume_role(api, external_id_role, **params), 403, "NoPermission")


def test_malformed_external_id_is_invalid(api: Api, external_id_role: str) -> None:
    error_of(assume_role(api, external_id_role, ExternalId="x"), 400, "InvalidParameter.ExternalId")


@pytest.mark.parametrize(
    "role_arn",
    [
        "akless-dev-role",
        "acs:ram::1234567890123456:user/alice",
        "acs:ram::not-an-account:role/akless-dev-role",
        "arn:aws:iam::123456789012:role/admin",
        "acs:ram::1234567890123456:role/",
    ],
)
def test_malformed_role_arn_is_invalid(api: Api, role_arn: str) -> None:
    error_of(assume_role(api, role_arn), 400, "InvalidParameter.RoleArn")


def test_role_arn_is_mandatory(api: Api) -> None:
    error_of(api.rpc("AssumeRole", {"RoleSessionName": "s1"}), 400, "MissingRoleArn")


@pytest.mark.parametrize("account", ["own", "other"])
def test_role_that_does_not_exist_is_not_found(api: Api, account: str) -> None:
    account_id = api.cloud.account_id if account == "own" else "1111111111111111"
    role_arn = f"acs:ram::{account_id}:role/no-such-role"

    body = error_of(assume_role(api, role_arn), 404, "EntityNotExist.Role")
    assert role_arn in body["Message"]


# --- AssumeRole: the answer and the credential ------------------------------------------------


def test_assume_role_answer_has_the_real_shape(api: Api) -> None:
    cloud = api.cloud
    role = cloud.store.get_role("akless-dev-role")
    assert role is not None

    response = assume_role(api, cloud.identity.role_arn, "alice")

    body = response.json()
    assert set(body) == {"RequestId", "AssumedRoleUser", "Credentials"}
    assert body["RequestId"] == response.headers["x-acs-request-id"]
    assert body["AssumedRoleUser"] == {
        "Arn": f"acs:ram::{cloud.account_id}:role/akless-dev-role/alice",
        "AssumedRoleId": f"{role.role_id}:alice",
    }
    credentials = body["Credentials"]
    assert set(credentials) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    assert credentials["AccessKeyId"].startswith("STS.")
    assert credentials["SecurityToken"]
    assert EXPIRATION_FORMAT.match(credentials["Expiration"])


def test_source_identity_is_echoed(api: Api) -> None:
    response = assume_role(api, api.cloud.identity.role_arn, SourceIdentity="alice@corp")

    assert response.json()["SourceIdentity"] == "alice@corp"


def test_assume_role_signed_the_acs3_way(api: Api) -> None:
    # The SDKs' default: ACS3 with the business parameters in the query of a POST.
    params = {"RoleArn": api.cloud.identity.role_arn, "RoleSessionName": "acs3-session"}

    response = api.acs3("AssumeRole", params)

    assert response.status_code == 200, response.text
    assert response.json()["AssumedRoleUser"]["Arn"].endswith("/acs3-session")


@pytest.mark.parametrize("style", ["rpc", "acs3"])
def test_issued_credential_signs_later_calls_as_the_assumed_role(api: Api, style: str) -> None:
    cloud = api.cloud
    role = cloud.store.get_role("akless-dev-role")
    assert role is not None
    session = api.role_credential(cloud.identity.role_arn, "worker-1")

    if style == "rpc":
        response = api.rpc("GetCallerIdentity", key=session)
    else:
        response = api.acs3("GetCallerIdentity", key=session)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["IdentityType"] == "AssumedRoleUser"
    assert body["Arn"] == f"acs:ram::{cloud.account_id}:assumed-role/akless-dev-role/worker-1"
    assert body["AccountId"] == cloud.account_id
    assert body["RoleId"] == role.role_id
    assert body["PrincipalId"] == f"{role.role_id}:worker-1"


def test_issued_credential_is_refused_once_expired(api: Api) -> None:
    cloud = api.cloud
    cloud.set_credential_lifetime(60)
    response = assume_role(api, cloud.identity.role_arn)
    credentials = response.json()["Credentials"]
    session = Key(
        credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"]
    )
    assert abs(expiration_epoch(credentials["Expiration"]) - (cloud.now() + 60)) <= 2
    assert api.rpc("GetCallerIdentity", key=session).status_code == 200

    cloud.set_clock_offset(61)
    late = api.rpc("GetCallerIdentity", key=session, timestamp=utc_timestamp(cloud.now()))

    error_of(late, 400, "InvalidSecurityToken.Expired")


# --- GetCallerIdentity ------------------------------------------------------------------------


def test_get_caller_identity_of_a_ram_user(api: Api) -> None:
    cloud = api.cloud
    user = cloud.store.get_user(cloud.identity.user_name)
    assert user is not None

    body = api.rpc("GetCallerIdentity").json()

    assert body == {
        "RequestId": body["RequestId"],
        "AccountId": cloud.account_id,
        "UserId": user.user_id,
        "IdentityType": "RAMUser",
        "PrincipalId": user.user_id,
        "Arn": f"acs:ram::{cloud.account_id}:user/{cloud.identity.user_name}",
    }


# --- AssumeRoleWithOIDC -----------------------------------------------------------------------


def oidc_call(api: Api, token: str, style: str = "rpc-form", **overrides: str) -> httpx.Response:
    """AssumeRoleWithOIDC, unsigned, of the seeded OIDC role (overridable parameters)."""
    cloud = api.cloud
    params = {
        "RoleArn": cloud.identity.oidc_role_arn,
        "OIDCProviderArn": cloud.identity.oidc_provider_arn,
        "OIDCToken": token,
        "RoleSessionName": "rrsa-session",
        **overrides,
    }
    now = utc_timestamp(cloud.now())
    if style == "rpc-form":  # tea-openapi's anonymous RPC, everything in a form body
        common = {"Action": "AssumeRoleWithOIDC", "Version": STS_VERSION, "Format": "json"}
        body = {**common, "Timestamp": now, "SignatureNonce": new_nonce(), **params}
        request = RawRequest(
            "POST", f"{api.endpoint}/", {"content-type": FORM_TYPE}, urlencode(body).encode()
        )
        return api.send(request)
    if style == "rpc-query":  # credentials-python: a GET, no nonce, no signature
        return api.rpc(
            "AssumeRoleWithOIDC", params, key=None, timestamp=now, omit=["SignatureNonce"]
        )
    return api.acs3("AssumeRoleWithOIDC", params, key=None, timestamp=now)


def claims(api: Api, **overrides: Any) -> dict[str, Any]:
    """The claims of a projected ServiceAccount token from the emulator's issuer."""
    now = int(api.cloud.now())
    return {
        "iss": api.cloud.oidc.issuer,
        "sub": "system:serviceaccount:default:akless",
        "aud": "sts.aliyuncs.com",
        "iat": now,
        "exp": now + 3600,
        **overrides,
    }


def rsa_jwks(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]}


@pytest.mark.parametrize("style", OIDC_STYLES)
def test_emulator_minted_token_is_exchanged_for_credentials(api: Api, style: str) -> None:
    cloud = api.cloud
    role = cloud.store.get_role("akless-oidc-role")
    assert role is not None
    token = cloud.mint_oidc_token("system:serviceaccount:prod:app")

    response = oidc_call(api, token, style)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["AssumedRoleUser"] == {
        "Arn": f"acs:ram::{cloud.account_id}:role/akless-oidc-role/rrsa-session",
        "AssumedRoleId": f"{role.role_id}:rrsa-session",
    }
    assert EXPIRATION_FORMAT.match(body["Credentials"]["Expiration"])
    info = body["OIDCTokenInfo"]
    assert info["Issuer"] == cloud.identity.oidc_issuer
    assert info["Subject"] == "system:serviceaccount:prod:app"
    assert info["ClientIds"] == "sts.aliyuncs.com"
    assert EXPIRATION_FORMAT.match(info["ExpirationTime"])
    assert EXPIRATION_FORMAT.match(info["IssuanceTime"])


def test_oidc_credential_signs_calls_as_the_assumed_role(api: Api) -> None:
    credentials = oidc_call(api, api.cloud.mint_oidc_token()).json()["Credentials"]
    session = Key(
        credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"]
    )

    body = api.rpc("GetCallerIdentity", key=session).json()

    assert body["Arn"].endswith(":assumed-role/akless-oidc-role/rrsa-session")


def test_token_for_another_audience_does_not_match(api: Api) -> None:
    token = api.cloud.mint_oidc_token(audience="https://kubernetes.default.svc")

    body = error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.AudienceNotMatch")
    assert body["Message"] == "Invalid audience."


def test_token_past_its_exp_is_expired(api: Api) -> None:
    token = api.cloud.mint_oidc_token(expires_in=600)
    api.cloud.set_clock_offset(601)

    body = error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.Expired")
    assert body["Message"] == "This JsonWebToken is expired."


@pytest.mark.parametrize("kid", ["emulator", "unknown"])
def test_token_signed_by_another_key_has_an_invalid_signature(
    api: Api, foreign_rsa_key: rsa.RSAPrivateKey, kid: str
) -> None:
    # Same kid as the emulator's key, or one no key has: neither verifies.
    header_kid = api.cloud.oidc.kid if kid == "emulator" else "kid-nobody-has"
    token = jwt.encode(claims(api), foreign_rsa_key, algorithm="RS256", headers={"kid": header_kid})

    error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.InvalidSignature")


def test_token_from_another_issuer_does_not_match(api: Api) -> None:
    token = api.cloud.mint_oidc_token(issuer="https://oidc.other.invalid/cluster")

    error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.IssuerNotMatch")


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b", "aaaa.bbbb.cccc", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln.extra"],
    ids=["empty", "no-dots", "two-parts", "bad-base64", "four-parts"],
)
def test_token_that_is_not_a_jwt_is_invalid(api: Api, token: str) -> None:
    error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.Invalid")


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_token_not_signed_with_rs256_is_invalid(api: Api, algorithm: str) -> None:
    secret = "a-shared-secret-long-enough-for-hmac-sha256-use" if algorithm == "HS256" else None
    token = jwt.encode(claims(api), secret, algorithm=algorithm)

    body = error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.Invalid")
    assert algorithm in body["Message"]


@pytest.mark.parametrize(
    "overrides",
    [{"aud": [["sts.aliyuncs.com"]]}, {"aud": 5}, {"iat": "yesterday"}, {"exp": 1e300}],
    ids=["aud-nested-list", "aud-number", "iat-text", "exp-out-of-range"],
)
def test_token_with_malformed_claims_is_invalid(api: Api, overrides: dict[str, Any]) -> None:
    token = api.cloud.mint_oidc_token(extra_claims=overrides)

    error_of(oidc_call(api, token), 401, "AuthenticationFail.OIDCToken.Invalid")


def test_unregistered_oidc_provider_gets_no_permission(api: Api) -> None:
    provider_arn = f"acs:ram::{api.cloud.account_id}:oidc-provider/no-such-provider"

    response = oidc_call(api, api.cloud.mint_oidc_token(), OIDCProviderArn=provider_arn)

    body = error_of(response, 401, "AuthenticationFail.NoPermission")
    assert body["Message"] == "No such OIDC Provider registered."


def test_malformed_oidc_provider_arn_is_invalid(api: Api) -> None:
    response = oidc_call(api, api.cloud.mint_oidc_token(), OIDCProviderArn="ack-rrsa-cluster")

    error_of(response, 400, "InvalidParameter.OIDCProviderArn")


def test_provider_with_its_own_jwks_verifies_tokens_of_that_key_only(
    api: Api, foreign_rsa_key: rsa.RSAPrivateKey
) -> None:
    cloud = api.cloud
    issuer = "https://oidc.cluster.invalid/c1"
    provider_arn = cloud.create_oidc_provider(
        "external-cluster", issuer_url=issuer, jwks=rsa_jwks(foreign_rsa_key, "cluster-key")
    )
    cloud.create_role("cluster-role", federated=[provider_arn])
    own_token = jwt.encode(
        claims(api, iss=issuer), foreign_rsa_key, algorithm="RS256", headers={"kid": "cluster-key"}
    )
    emulator_token = cloud.mint_oidc_token(issuer=issuer)
    overrides = {"RoleArn": cloud.role_arn("cluster-role"), "OIDCProviderArn": provider_arn}

    accepted = oidc_call(api, own_token, **overrides)
    refused = oidc_call(api, emulator_token, **overrides)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["OIDCTokenInfo"]["Issuer"] == issuer
    error_of(refused, 401, "AuthenticationFail.OIDCToken.InvalidSignature")


def test_trust_condition_on_the_oidc_subject_is_enforced(api: Api) -> None:
    cloud = api.cloud
    cloud.create_role(
        "prod-only",
        federated=[cloud.identity.oidc_provider_arn],
        conditions={"StringLike": {"oidc:sub": "system:serviceaccount:prod:*"}},
    )
    role_arn = cloud.role_arn("prod-only")

    prod = oidc_call(api, cloud.mint_oidc_token("system:serviceaccount:prod:app"), RoleArn=role_arn)
    dev = oidc_call(api, cloud.mint_oidc_token("system:serviceaccount:dev:app"), RoleArn=role_arn)

    assert prod.status_code == 200, prod.text
    error_of(dev, 403, "NoPermission")


def test_role_that_does_not_trust_the_provider_gets_no_permission(api: Api) -> None:
    response = oidc_call(api, api.cloud.mint_oidc_token(), RoleArn=api.cloud.identity.role_arn)

    error_of(response, 403, "NoPermission")


def test_oidc_exchange_checks_duration_and_session_name_too(api: Api) -> None:
    token = api.cloud.mint_oidc_token()

    error_of(oidc_call(api, token, DurationSeconds="899"), 400, "InvalidParameter.DurationSeconds")
    error_of(oidc_call(api, token, RoleSessionName="x"), 400, "InvalidParameter.RoleSessionName")


def test_oidc_exchange_with_a_stale_timestamp_is_expired(api: Api) -> None:
    response = api.rpc(
        "AssumeRoleWithOIDC",
        {
            "RoleArn": api.cloud.identity.oidc_role_arn,
            "OIDCProviderArn": api.cloud.identity.oidc_provider_arn,
            "OIDCToken": api.cloud.mint_oidc_token(),
            "RoleSessionName": "s1",
        },
        key=None,
        timestamp=utc_timestamp(time.time() - 3600),
    )

    error_of(response, 400, "InvalidTimeStamp.Expired")


# --- the record of calls ----------------------------------------------------------------------


def test_successful_call_is_recorded_with_its_caller(api: Api) -> None:
    cloud = api.cloud
    response = assume_role(api, cloud.identity.role_arn, "recorded")

    record = cloud.store.calls()[0]

    assert record.request_id == response.json()["RequestId"]
    assert (record.service, record.action, record.version) == ("sts", "AssumeRole", STS_VERSION)
    assert record.access_key_id == cloud.identity.access_key_id
    assert record.principal_arn == cloud.user_arn(cloud.identity.user_name)
    assert record.identity_type == "RAMUser"
    assert (record.status, record.error_code) == (200, None)
    assert record.params == {"RoleArn": cloud.identity.role_arn, "RoleSessionName": "recorded"}


def test_refused_call_is_recorded_with_its_error(api: Api) -> None:
    bob = new_user_key(api.cloud, "bob")
    params = {"RoleArn": api.cloud.identity.role_arn, "RoleSessionName": "s1"}
    api.rpc("AssumeRole", params, key=bob)

    record = api.cloud.store.calls()[0]

    assert (record.action, record.access_key_id) == ("AssumeRole", bob.access_key_id)
    assert (record.status, record.error_code) == (403, "NoPermission")


def test_call_failing_its_signature_is_recorded_under_the_key_it_claimed(api: Api) -> None:
    api.rpc("GetCallerIdentity", secret="wrong")

    record = api.cloud.store.calls()[0]

    assert record.access_key_id == api.cloud.identity.access_key_id
    assert record.principal_arn is None
    assert (record.status, record.error_code) == (400, "SignatureDoesNotMatch")


def test_oidc_token_is_never_recorded(api: Api) -> None:
    good = api.cloud.mint_oidc_token()
    bad = api.cloud.mint_oidc_token(audience="someone-else")
    assert oidc_call(api, good).status_code == 200
    assert oidc_call(api, bad).status_code == 401

    records = api.cloud.store.calls()[:2]

    assert [(r.action, r.status) for r in records] == [
        ("AssumeRoleWithOIDC", 401),
        ("AssumeRoleWithOIDC", 200),
    ]
    assert all(r.identity_type in ("Anonymous", None) for r in records)
    assert all(r.access_key_id is None for r in records)
    assert all("OIDCToken" not in r.params for r in records)
    recorded = repr(records)
    assert good not in recorded
    assert bad not in recorded


def test_security_token_is_never_recorded_as_a_parameter(api: Api) -> None:
    session = api.role_credential(api.cloud.identity.role_arn)
    api.rpc("GetCallerIdentity", key=session)

    record = api.cloud.store.calls()[0]

    assert record.access_key_id == session.access_key_id
    assert record.identity_type == "AssumedRoleUser"
    assert "SecurityToken" not in record.params
    assert session.security_token not in repr(record)


def test_security_token_is_not_recorded_through_a_quoted_string_to_sign(api: Api) -> None:
    session = api.role_credential(api.cloud.identity.role_arn)
    api.rpc("GetCallerIdentity", key=session, secret="wrong")

    record = api.cloud.store.calls()[0]

    assert record.error_code == "SignatureDoesNotMatch"
    quoted_token = percent_encode(percent_encode(session.security_token))  # as in the message
    assert quoted_token[:40] not in (record.error_message or "")


# --- GenerateSessionAccessKey: RSA key pairs ----------------------------------------------------


@pytest.fixture
def key_pair(api: Api) -> Key:
    """A new RSA key pair of the seeded user: its public key ID and private key PEM text."""
    public_key_id, private_key = api.cloud.create_key_pair(api.cloud.identity.user_name)
    return Key(public_key_id, private_key)


def session_key(api: Api, key_pair: Key, **params: str) -> Key:
    """GenerateSessionAccessKey (RPC v1 GET, as the official libraries send it)."""
    response = api.rpc("GenerateSessionAccessKey", params, key=key_pair)
    assert response.status_code == 200, response.text
    issued = response.json()["SessionAccessKey"]
    return Key(issued["SessionAccessKeyId"], issued["SessionAccessKeySecret"])


def test_key_pair_is_a_public_key_id_and_a_pem_private_key(api: Api, key_pair: Key) -> None:
    assert re.fullmatch(r"KP-[a-z0-9]{24}", key_pair.access_key_id)
    assert key_pair.secret.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert key_pair.secret.endswith("-----END PRIVATE KEY-----\n")
    assert "private_key" not in repr(api.cloud.store.get_key_pair(key_pair.access_key_id))


def test_key_pair_needs_an_existing_user(api: Api) -> None:
    with pytest.raises(ValueError, match="no user named 'nobody'"):
        api.cloud.create_key_pair("nobody")


@pytest.mark.parametrize("style", ["rpc", "acs3"])
def test_key_pair_is_exchanged_for_a_session_access_key(
    api: Api, key_pair: Key, style: str
) -> None:
    params = {"DurationSeconds": "900"}
    if style == "rpc":
        response = api.rpc("GenerateSessionAccessKey", params, key=key_pair)
    else:
        response = api.acs3("GenerateSessionAccessKey", params, key=key_pair)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"RequestId", "SessionAccessKey"}
    issued = body["SessionAccessKey"]
    assert set(issued) == {"SessionAccessKeyId", "SessionAccessKeySecret", "Expiration"}
    assert re.fullmatch(r"TMPSK\.[A-Za-z0-9]{24}", issued["SessionAccessKeyId"])
    assert issued["SessionAccessKeySecret"]
    assert EXPIRATION_FORMAT.match(issued["Expiration"])
    assert abs(expiration_epoch(issued["Expiration"]) - (api.cloud.now() + 900)) <= 2


def test_session_access_key_lasts_an_hour_by_default(api: Api, key_pair: Key) -> None:
    response = api.rpc("GenerateSessionAccessKey", key=key_pair)

    expiration = expiration_epoch(response.json()["SessionAccessKey"]["Expiration"])
    assert abs(expiration - (api.cloud.now() + 3600)) <= 2


@pytest.mark.parametrize("duration", ["899", "3601", "0", "1h", "3600.0", "²"])
def test_session_access_key_duration_outside_900_to_3600_is_invalid(
    api: Api, key_pair: Key, duration: str
) -> None:
    response = api.rpc("GenerateSessionAccessKey", {"DurationSeconds": duration}, key=key_pair)

    body = error_of(response, 400, "InvalidParameter.DurationSeconds")
    assert "900/3600" in body["Message"]


@pytest.mark.parametrize("style", ["rpc", "acs3"])
def test_session_access_key_signs_later_calls_without_a_token_as_the_key_pairs_user(
    api: Api, style: str
) -> None:
    cloud = api.cloud
    bob = cloud.create_user("bob")
    public_key_id, private_key = cloud.create_key_pair("bob")
    issued = session_key(api, Key(public_key_id, private_key))
    assert issued.security_token is None

    if style == "rpc":
        response = api.rpc("GetCallerIdentity", key=issued)
    else:
        response = api.acs3("GetCallerIdentity", key=issued)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["IdentityType"] == "RAMUser"
    assert body["Arn"] == cloud.user_arn("bob")
    assert body["UserId"] == bob.user_id
    record = cloud.store.calls()[0]
    assert (record.access_key_id, record.principal_arn) == (issued.access_key_id, body["Arn"])


def test_session_access_key_is_refused_once_expired(api: Api, key_pair: Key) -> None:
    cloud = api.cloud
    cloud.set_credential_lifetime(60)
    issued = session_key(api, key_pair)
    assert api.rpc("GetCallerIdentity", key=issued).status_code == 200

    cloud.set_clock_offset(61)
    late = api.rpc("GetCallerIdentity", key=issued, timestamp=utc_timestamp(cloud.now()))

    body = error_of(late, 400, "InvalidAccessKeyId.NotFound")
    assert "expired" in body["Message"]


def test_key_pair_signed_with_another_private_key_does_not_match(api: Api, key_pair: Key) -> None:
    _, other_private_key = api.cloud.create_key_pair(api.cloud.identity.user_name)

    response = api.rpc("GenerateSessionAccessKey", key=key_pair, secret=other_private_key)

    error_of(response, 400, "SignatureDoesNotMatch")


@pytest.mark.parametrize("public_key_id", ["KP-doesnotexist000000000000", "LTAI5tNotAKeyPair"])
def test_unknown_public_key_id_is_not_found(api: Api, key_pair: Key, public_key_id: str) -> None:
    response = api.rpc("GenerateSessionAccessKey", key=Key(public_key_id, key_pair.secret))

    error_of(response, 400, "InvalidAccessKeyId.NotFound")


def test_access_key_cannot_sign_generate_session_access_key(api: Api) -> None:
    # The action looks its signer up among public key IDs only.
    error_of(api.rpc("GenerateSessionAccessKey"), 400, "InvalidAccessKeyId.NotFound")


def test_key_pair_signs_nothing_but_generate_session_access_key(api: Api, key_pair: Key) -> None:
    error_of(api.rpc("GetCallerIdentity", key=key_pair), 400, "InvalidAccessKeyId.NotFound")
    params = {"RoleArn": api.cloud.identity.role_arn, "RoleSessionName": "s1"}
    error_of(api.rpc("AssumeRole", params, key=key_pair), 400, "InvalidAccessKeyId.NotFound")


def test_private_key_is_never_recorded_or_answered(api: Api, key_pair: Key) -> None:
    good = api.rpc("GenerateSessionAccessKey", key=key_pair)
    bad = api.rpc("GenerateSessionAccessKey", key=key_pair, secret=key_pair.secret + "x")
    assert (good.status_code, bad.status_code) == (200, 400)

    records = api.cloud.store.calls()[:2]

    assert [(r.access_key_id, r.status) for r in records] == [
        (key_pair.access_key_id, 400),
        (key_pair.access_key_id, 200),
    ]
    body_line = key_pair.secret.splitlines()[1]  # a line of the key's base64 body
    for text in (repr(records), json.dumps([r.params for r in records]), good.text, bad.text):
        assert body_line not in text


def test_reset_forgets_key_pairs(api: Api, key_pair: Key) -> None:
    api.cloud.reset()

    assert api.cloud.store.get_key_pair(key_pair.access_key_id) is None


def test_admin_api_creates_a_key_pair_that_signs(api: Api) -> None:
    url = f"{api.endpoint}/_emulator/users/{api.cloud.identity.user_name}/key-pairs"

    created = api.client.post(url)

    assert created.status_code == 200, created.text
    body = created.json()
    assert set(body) == {"public_key_id", "private_key"}
    session_key(api, Key(body["public_key_id"], body["private_key"]))


def test_admin_api_refuses_a_key_pair_for_an_unknown_user(api: Api) -> None:
    response = api.client.post(f"{api.endpoint}/_emulator/users/nobody/key-pairs")

    assert response.status_code == 400
    assert "nobody" in response.json()["error"]


def test_state_file_from_before_key_pairs_opens_and_gains_them(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    Cloud(state).close()
    with sqlite3.connect(state) as old:  # as an emulator without key pairs left it
        old.execute("DROP TABLE key_pairs")
        old.execute("DROP TABLE session_access_keys")
    old.close()

    cloud = Cloud(state)
    try:
        public_key_id, _ = cloud.create_key_pair(cloud.identity.user_name)
        assert cloud.store.get_key_pair(public_key_id) is not None
    finally:
        cloud.close()
    reopened = Cloud(state)
    try:
        assert reopened.store.get_key_pair(public_key_id) is not None
    finally:
        reopened.close()
