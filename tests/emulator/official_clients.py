"""The official RAM, KMS and ActionTrail SDK clients, pointed at a running emulator.

Every client is built the same way: ``Config(endpoint="127.0.0.1:PORT", protocol="http")``.
tea-openapi calls a bare ``host:port`` an endpoint; the KMS client (on the POP gateway) also
accepts it and, with an endpoint given, never derives a regional ``kms.<region>.aliyuncs.com``
host. ``signature_algorithm=None`` signs with ACS3-HMAC-SHA256, ``"v2"`` with RPC HMAC-SHA1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_actiontrail20200706.client import Client as ActionTrailClient
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config

from akless.emulator import EmulatorServer
from akless.emulator.records import AccessKey
from tests.emulator.helpers import Key

SIGNATURES = [pytest.param(None, id="acs3"), pytest.param("v2", id="rpc")]


def key_of(access_key: AccessKey) -> Key:
    """The ``Key`` of an AccessKey the ``Cloud`` API created."""
    return Key(access_key.access_key_id, access_key.secret)


def seeded_key(emulator: EmulatorServer) -> Key:
    """The seeded user's AccessKey (``akless-dev``, which has ``AdministratorAccess``)."""
    identity = emulator.cloud.identity
    return Key(identity.access_key_id, identity.access_key_secret)


def _config(emulator: EmulatorServer, key: Key, signature_algorithm: str | None) -> Config:
    return Config(
        access_key_id=key.access_key_id,
        access_key_secret=key.secret,
        security_token=key.security_token,
        endpoint=emulator.endpoint.split("://", 1)[1],
        protocol="http",
        region_id="cn-hangzhou",
        signature_algorithm=signature_algorithm,
    )


def ram(emulator: EmulatorServer, key: Key, signature_algorithm: str | None = None) -> RamClient:
    """The RAM 2015-05-01 SDK client, signing with ``key``."""
    return RamClient(_config(emulator, key, signature_algorithm))


def kms(emulator: EmulatorServer, key: Key, signature_algorithm: str | None = None) -> KmsClient:
    """The KMS 2016-01-20 SDK client, signing with ``key``."""
    return KmsClient(_config(emulator, key, signature_algorithm))


def actiontrail(
    emulator: EmulatorServer, key: Key, signature_algorithm: str | None = None
) -> ActionTrailClient:
    """The ActionTrail 2020-07-06 SDK client, signing with ``key``."""
    return ActionTrailClient(_config(emulator, key, signature_algorithm))


def fails(call: Callable[[], object], status: int, code: str) -> Any:
    """Run an SDK call that must fail with ``status`` and ``code``; the SDK's error."""
    with pytest.raises(AlibabaCloudException) as info:
        call()
    error: Any = info.value
    assert (error.status_code, error.code) == (status, code), error.message
    return error
