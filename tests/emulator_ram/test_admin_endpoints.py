"""The admin API for policies, AccessKeys, secrets and call records (``admin_services.py``):
the same ``Cloud`` methods over HTTP and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from akless.emulator import EmulatorServer


@pytest.fixture
def admin(akless_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    base = f"{akless_emulator.endpoint}/_emulator"
    with httpx.Client(base_url=base, timeout=5, trust_env=False) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_users_and_roles_take_policies(admin: httpx.Client) -> None:
    ok(admin.post("/users", json={"name": "bob", "policies": ["AliyunRAMReadOnlyAccess"]}))
    ok(admin.post("/roles", json={"name": "bare", "policies": []}))
    ok(admin.post("/roles", json={"name": "admin-role"}))

    assert [p["policy_name"] for p in ok(admin.get("/users/bob/policies"))] == [
        "AliyunRAMReadOnlyAccess"
    ]
    assert ok(admin.get("/roles/bare/policies")) == []
    assert [p["policy_name"] for p in ok(admin.get("/roles/admin-role/policies"))] == [
        "AdministratorAccess"
    ]


def test_role_policies_detach_revoke_and_delete(
    admin: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    listed = ok(admin.get("/roles/akless-dev-role/policies"))
    assert [p["policy_name"] for p in listed] == ["AdministratorAccess"]

    ok(admin.delete("/roles/akless-dev-role/policies/AdministratorAccess"))

    assert cloud.role_revoked_at("akless-dev-role") is not None
    revoked = ok(admin.post("/roles/akless-dev-role/revoke-sessions"))["revoked_at"]
    assert revoked == cloud.role_revoked_at("akless-dev-role")
    ok(admin.delete("/roles/akless-dev-role"))
    missing = admin.delete("/roles/akless-dev-role")
    assert missing.status_code == 400
    assert "EntityNotExist.Role" in missing.json()["error"]


def test_custom_policies(admin: httpx.Client) -> None:
    document = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:Get*"}]}

    ok(admin.post("/policies", json={"name": "kms-read", "document": document}))
    ok(admin.post("/roles/akless-dev-role/policies", json={"policy": "kms-read", "type": "Custom"}))

    names = [p["policy_name"] for p in ok(admin.get("/roles/akless-dev-role/policies"))]
    assert names == ["AdministratorAccess", "kms-read"]
    ok(admin.delete("/roles/akless-dev-role/policies/kms-read", params={"type": "Custom"}))


def test_access_keys_list_and_delete(admin: httpx.Client) -> None:
    created = ok(admin.post("/users", json={"name": "bob"}))

    (key,) = ok(admin.get("/users/bob/access-keys"))
    assert key["access_key_id"] == created["access_key_id"]
    ok(admin.delete(f"/access-keys/{key['access_key_id']}"))
    assert ok(admin.get("/users/bob/access-keys")) == []


def test_ram_secrets_rotate_with_a_short_grace(
    admin: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    ok(admin.post("/users", json={"name": "app"}))
    created = ok(
        admin.post(
            "/secrets",
            json={"name": "app-ak", "type": "RAMCredentials", "user_name": "app", "grace": 5},
        )
    )
    assert created["grace"] == 5
    first = json.loads(ok(admin.get("/secrets/app-ak"))["version"]["data"])

    ok(admin.post("/secrets/app-ak/rotate"))
    previous = ok(admin.get("/secrets/app-ak", params={"stage": "ACSPrevious"}))["version"]
    assert json.loads(previous["data"])["AccessKeyId"] == first["AccessKeyId"]
    updated = ok(admin.put("/secrets/app-ak/rotation", json={"rotation_interval": 60}))
    assert updated["rotation_interval"] == 60

    ok(admin.put("/clock", json={"offset_seconds": 6}))
    statuses = {k["access_key_id"]: k["status"] for k in ok(admin.get("/users/app/access-keys"))}
    assert statuses[first["AccessKeyId"]] == "Inactive"
    ok(admin.delete("/secrets/app-ak"))
    assert ok(admin.get("/secrets")) == []


def test_calls_can_be_recorded_in_bulk(
    admin: httpx.Client, akless_emulator: EmulatorServer
) -> None:
    now = akless_emulator.cloud.now()
    calls = [
        {"time": now - i, "action": "DescribeInstances", "access_key_id": "LTAI5tBulk"}
        for i in range(3)
    ]

    assert ok(admin.post("/calls", json=calls)) == {"recorded": 3}
    assert len(ok(admin.get("/calls", params={"access_key_id": "LTAI5tBulk"}))) == 3
    assert admin.post("/calls", json=[{"action": "NoTime"}]).status_code == 400


def test_a_missing_field_is_named(admin: httpx.Client) -> None:
    response = admin.post("/secrets", json={"name": "generic"})

    assert response.status_code == 400
    assert response.json() == {"error": "missing field 'data'"}
