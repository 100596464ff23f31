"""The admin API under ``/_emulator``: the ``Cloud`` controls over HTTP and JSON, for tests in
other languages and for ``curl``; and the emulator's OIDC issuer documents."""

from __future__ import annotations

import base64
import calendar
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ServiceError
from akless.sts import StsClient

INSTANCE_ID = "/latest/meta-data/instance-id"
CREDENTIALS = "/latest/meta-data/ram/security-credentials/"


@pytest.fixture
def admin(akless_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of ``<endpoint>/_emulator``."""
    base = f"{akless_emulator.endpoint}/_emulator"
    with httpx.Client(base_url=base, timeout=5, trust_env=False) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    """The JSON body of a successful answer."""
    assert response.status_code == 200, response.text
    return response.json()


def key_of(created: dict[str, Any]) -> Credentials:
    return Credentials(created["access_key_id"], created["access_key_secret"])


# --- identity and reset ---------------------------------------------------------------------------


def test_identity_names_the_endpoint_account_and_default_principals(
    admin: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity

    body = ok(admin.get("/identity"))

    assert body["endpoint"] == akless_emulator.endpoint
    assert body["account_id"] == identity.account_id
    assert body["access_key_id"] == identity.access_key_id
    assert body["role_arn"] == f"acs:ram::{identity.account_id}:role/akless-dev-role"
    assert body["instance_role"] == "akless-instance-role"


def test_reset_brings_back_the_start_up_state(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    bob = key_of(ok(admin.post("/users", json={"name": "bob"})))
    ok(admin.put("/clock", json={"offset_seconds": 600}))

    assert ok(admin.post("/reset")) == {"status": "reset"}

    assert akless_emulator.cloud.clock_offset == 0
    with pytest.raises(ServiceError) as gone:
        sts.get_caller_identity(bob)
    assert gone.value.code == "InvalidAccessKeyId.NotFound"


# --- faults -------------------------------------------------------------------------------------


def test_faults_can_be_added_listed_replaced_and_cleared(
    admin: httpx.Client, web: httpx.Client
) -> None:
    added = ok(admin.post("/faults", json={"service": "metadata", "status": 503}))
    assert [(fault["service"], fault["status"]) for fault in added] == [("metadata", 503)]
    assert ok(admin.get("/faults")) == added
    assert web.get(INSTANCE_ID).status_code == 503

    replaced = ok(
        admin.put("/faults", json=[{"service": "metadata", "status": 500}, {"service": "sts"}])
    )
    assert [fault["service"] for fault in replaced] == ["metadata", "sts"]
    assert web.get(INSTANCE_ID).status_code == 500

    assert ok(admin.delete("/faults")) == []
    assert web.get(INSTANCE_ID).status_code == 200


# --- clock, credential lifetime, instance ---------------------------------------------------------


def test_the_clock_offset_moves_emulated_time(
    admin: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    body = ok(admin.put("/clock", json={"offset_seconds": 900}))

    assert body["offset_seconds"] == 900
    assert abs(body["now"] - (time.time() + 900)) < 5
    assert ok(admin.get("/clock"))["offset_seconds"] == 900
    assert akless_emulator.cloud.clock_offset == 900


def test_the_credential_lifetime_shortens_instance_credentials(
    admin: httpx.Client, web: httpx.Client
) -> None:
    assert ok(admin.put("/credential-lifetime", json={"seconds": 60})) == {"seconds": 60}

    document = ok(web.get(CREDENTIALS + "akless-instance-role"))

    expiration = time.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    updated = time.strptime(document["LastUpdated"], "%Y-%m-%dT%H:%M:%SZ")
    assert calendar.timegm(expiration) - calendar.timegm(updated) == 60
    assert ok(admin.put("/credential-lifetime", json={"seconds": None})) == {"seconds": None}


def test_the_instance_starts_in_normal_mode_with_its_role(admin: httpx.Client) -> None:
    assert ok(admin.get("/instance")) == {"role": "akless-instance-role", "hardened_only": False}


def test_the_instance_can_be_made_hardened_only(admin: httpx.Client, web: httpx.Client) -> None:
    body = ok(admin.put("/instance", json={"hardened_only": True}))

    assert body == {"role": "akless-instance-role", "hardened_only": True}
    assert web.get(INSTANCE_ID).status_code == 403


def test_the_instance_role_can_be_detached_and_swapped(
    admin: httpx.Client, web: httpx.Client
) -> None:
    ok(admin.put("/instance", json={"role": None}))
    assert web.get(CREDENTIALS).status_code == 404

    ok(admin.put("/instance", json={"role": "akless-dev-role"}))
    assert web.get(CREDENTIALS).text == "akless-dev-role"


# --- users, AccessKeys, roles ------------------------------------------------------------------


def test_a_new_user_gets_an_access_key_that_signs_calls(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    created = ok(admin.post("/users", json={"name": "bob"}))

    caller = sts.get_caller_identity(key_of(created))

    assert created["user_name"] == "bob"
    assert created["status"] == "Active"
    assert created["access_key_id"].startswith("LTAI")
    assert caller.identity_type == "RAMUser"
    assert caller.user_id == created["user_id"]
    assert caller.arn == f"acs:ram::{akless_emulator.cloud.account_id}:user/bob"


def test_a_user_can_get_a_second_access_key(admin: httpx.Client, sts: StsClient) -> None:
    first = ok(admin.post("/users", json={"name": "bob"}))

    second = ok(admin.post("/users/bob/access-keys"))

    assert second["access_key_id"] != first["access_key_id"]
    assert sts.get_caller_identity(key_of(second)).arn.endswith(":user/bob")


def test_an_inactive_access_key_is_refused_by_the_gateway(
    admin: httpx.Client, sts: StsClient
) -> None:
    created = ok(admin.post("/users", json={"name": "bob"}))
    key_id = created["access_key_id"]

    body = ok(admin.put(f"/access-keys/{key_id}", json={"status": "Inactive"}))

    assert body == {"access_key_id": key_id, "status": "Inactive"}
    with pytest.raises(ServiceError) as refused:
        sts.get_caller_identity(key_of(created))
    assert refused.value.code == "InvalidAccessKeyId.Inactive"
    assert refused.value.status == 400

    ok(admin.put(f"/access-keys/{key_id}", json={"status": "Active"}))
    assert sts.get_caller_identity(key_of(created)).identity_type == "RAMUser"


def test_a_new_role_can_be_assumed_by_the_user_it_trusts(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    account = akless_emulator.cloud.account_id
    bob = ok(admin.post("/users", json={"name": "bob"}))

    role = ok(
        admin.post("/roles", json={"name": "deployer", "trusted": [f"acs:ram::{account}:user/bob"]})
    )
    assumed = sts.assume_role(key_of(bob), role_arn=role["arn"], role_session_name="ci")

    assert role["arn"] == f"acs:ram::{account}:role/deployer"
    assert assumed.arn == f"acs:ram::{account}:role/deployer/ci"
    assert assumed.credentials.security_token


# --- OIDC ---------------------------------------------------------------------------------------


def test_a_minted_oidc_token_is_exchanged_for_the_oidc_roles_credentials(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    token = ok(admin.post("/oidc/token", json={}))["token"]

    assumed = sts.assume_role_with_oidc(
        role_arn=identity.oidc_role_arn,
        oidc_provider_arn=identity.oidc_provider_arn,
        oidc_token=token,
        role_session_name="pod",
    )

    assert assumed.arn == f"{identity.oidc_role_arn}/pod"
    assert assumed.credentials.access_key_id.startswith("STS.")


def test_a_new_oidc_provider_and_a_role_trusting_it_accept_minted_tokens(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    account = akless_emulator.cloud.account_id
    provider = ok(admin.post("/oidc-providers", json={"name": "ack-rrsa-c123"}))
    role = ok(admin.post("/roles", json={"name": "reader", "federated": [provider["arn"]]}))
    token = ok(admin.post("/oidc/token", json={"subject": "system:serviceaccount:ns:app"}))

    assumed = sts.assume_role_with_oidc(
        role_arn=role["arn"],
        oidc_provider_arn=provider["arn"],
        oidc_token=token["token"],
        role_session_name="app",
    )

    assert provider["arn"] == f"acs:ram::{account}:oidc-provider/ack-rrsa-c123"
    assert assumed.arn == f"acs:ram::{account}:role/reader/app"


def test_the_oidc_discovery_document_names_the_issuer_and_the_jwks(
    web: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    document = ok(web.get("/oidc/.well-known/openid-configuration"))

    assert document["issuer"] == akless_emulator.cloud.identity.oidc_issuer
    assert document["jwks_uri"] == f"{akless_emulator.endpoint}/oidc/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


def test_the_jwks_verifies_a_minted_token(
    admin: httpx.Client, web: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    token = ok(admin.post("/oidc/token", json={"subject": "system:serviceaccount:ns:app"}))
    keys = jwt.PyJWKSet.from_dict(ok(web.get("/oidc/jwks.json")))
    kid = jwt.get_unverified_header(token["token"])["kid"]

    claims = jwt.decode(
        token["token"],
        keys[kid].key,
        algorithms=["RS256"],
        audience="sts.aliyuncs.com",
        issuer=akless_emulator.cloud.identity.oidc_issuer,
    )

    assert claims["sub"] == "system:serviceaccount:ns:app"


def test_the_jwks_rejects_a_minted_token_whose_claims_were_altered(
    admin: httpx.Client, web: httpx.Client
) -> None:
    token = ok(admin.post("/oidc/token", json={"subject": "system:serviceaccount:ns:app"}))
    header, payload, signature = token["token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "system:serviceaccount:kube-system:admin"
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    keys = jwt.PyJWKSet.from_dict(ok(web.get("/oidc/jwks.json")))
    key = keys[jwt.get_unverified_header(token["token"])["kid"]].key

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            f"{header}.{altered}.{signature}",
            key,
            algorithms=["RS256"],
            audience="sts.aliyuncs.com",
        )


# --- call records -------------------------------------------------------------------------------


def test_calls_records_sts_calls_and_filters_by_access_key(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    default_key = Credentials(identity.access_key_id, identity.access_key_secret)
    bob = ok(admin.post("/users", json={"name": "bob"}))
    sts.get_caller_identity(default_key)
    sts.get_caller_identity(key_of(bob))
    sts.get_caller_identity(key_of(bob))

    every = ok(admin.get("/calls"))
    bobs = ok(admin.get("/calls", params={"access_key_id": bob["access_key_id"]}))
    newest = ok(admin.get("/calls", params={"limit": 1}))

    assert [call["action"] for call in every] == ["GetCallerIdentity"] * 3
    assert [call["access_key_id"] for call in bobs] == [bob["access_key_id"]] * 2
    assert bobs[0]["principal_arn"].endswith(":user/bob")
    assert bobs[0]["status"] == 200
    assert newest == every[:1]


def test_calls_never_record_the_oidc_token(
    admin: httpx.Client, sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    token = ok(admin.post("/oidc/token", json={}))["token"]
    sts.assume_role_with_oidc(
        role_arn=identity.oidc_role_arn,
        oidc_provider_arn=identity.oidc_provider_arn,
        oidc_token=token,
        role_session_name="pod",
    )

    (call,) = ok(admin.get("/calls"))

    assert call["action"] == "AssumeRoleWithOIDC"
    assert "OIDCToken" not in call["params"]
    assert token not in str(call)


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("PUT", "/clock", b"{not json", id="clock-not-json"),
        pytest.param("PUT", "/clock", b"[900]", id="clock-not-an-object"),
        pytest.param("PUT", "/clock", b"{}", id="clock-without-offset"),
        pytest.param("PUT", "/clock", b'{"offset_seconds": "soon"}', id="clock-offset-a-word"),
        pytest.param("PUT", "/clock", b'{"offset_seconds": NaN}', id="clock-offset-nan"),
        pytest.param("PUT", "/clock", b'{"offset_seconds": 1e999}', id="clock-offset-infinite"),
        pytest.param("PUT", "/clock", b'{"offset_seconds": 1e12}', id="clock-offset-past-9999"),
        pytest.param("PUT", "/credential-lifetime", b'{"seconds": 0}', id="lifetime-zero"),
        pytest.param("PUT", "/credential-lifetime", b'{"seconds": NaN}', id="lifetime-nan"),
        pytest.param("PUT", "/instance", b'{"role": "no-such-role"}', id="instance-unknown-role"),
        pytest.param("PUT", "/instance", b'{"role": 7}', id="instance-role-a-number"),
        pytest.param("PUT", "/instance", b'{"hardened_only": "yes"}', id="hardened-not-bool"),
        pytest.param("POST", "/faults", b'{"status": 200}', id="fault-success-status"),
        pytest.param("POST", "/faults", b'{"status": 503.5}', id="fault-fractional-status"),
        pytest.param("POST", "/faults", b'{"latency": NaN}', id="fault-nan-latency"),
        pytest.param("POST", "/faults", b'{"sevrice": "sts"}', id="fault-unknown-field"),
        pytest.param("PUT", "/faults", b'{"status": 503}', id="faults-not-a-list"),
        pytest.param("POST", "/users", b"{}", id="user-without-name"),
        pytest.param("POST", "/users", b'{"name": null}', id="user-name-null"),
        pytest.param("POST", "/users", b'{"name": ""}', id="user-name-empty"),
        pytest.param("POST", "/users", b'{"name": "akless-dev"}', id="user-name-taken"),
        pytest.param("POST", "/users/nobody/access-keys", b"", id="key-for-unknown-user"),
        pytest.param(
            "PUT", "/access-keys/LTAI5tNoSuchKey", b'{"status": "Inactive"}', id="unknown-key"
        ),
        pytest.param(
            "POST",
            "/roles",
            b'{"name": "r", "trusted": "acs:ram::1:root"}',
            id="role-trusted-not-list",
        ),
        pytest.param(
            "POST", "/roles", b'{"name": "r", "conditions": "x"}', id="role-conditions-not-object"
        ),
        pytest.param(
            "POST",
            "/roles",
            b'{"name": "r", "max_session_duration": 60}',
            id="role-duration-too-short",
        ),
        pytest.param(
            "POST",
            "/roles",
            b'{"name": "r", "max_session_duration": 1e999}',
            id="role-duration-infinite",
        ),
        pytest.param("POST", "/roles", b'{"name": "my_role"}', id="role-name-unaddressable"),
        pytest.param(
            "POST", "/oidc-providers", b'{"name": "p", "jwks": "x"}', id="provider-jwks-not-object"
        ),
        pytest.param(
            "POST",
            "/oidc-providers",
            b'{"name": "p", "client_ids": 5}',
            id="provider-client-ids-not-list",
        ),
        pytest.param("POST", "/oidc/token", b'{"expires_in": "later"}', id="token-expiry-a-word"),
        pytest.param("POST", "/oidc/token", b'{"expires_in": 1e999}', id="token-expiry-infinite"),
        pytest.param("POST", "/oidc/token", b'{"audience": 5}', id="token-audience-a-number"),
        pytest.param("GET", "/calls?limit=many", b"", id="calls-limit-a-word"),
        pytest.param("PUT", "/access-keys/x", b"[" * 100_000, id="deeply-nested-json"),
    ],
)
def test_bad_input_is_a_400_with_an_error_message_never_a_500(
    admin: httpx.Client, method: str, path: str, body: bytes
) -> None:
    response = admin.request(method, path, content=body)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()
    assert list(error) == ["error"]
    assert isinstance(error["error"], str)
    assert error["error"]
