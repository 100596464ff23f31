"""How the benchmarks reach into the official ``alibabacloud-credentials`` 1.0.12, which has no
setting for any of this: its logging, its clock, and its metadata host.

Each knob names the private attribute or module global it replaces; the interop tests pin the
same internals (``tests/interop/test_official_sdk.py``), so a new release that moves them fails
there first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alibabacloud_credentials.client import Client
from alibabacloud_credentials.provider import EcsRamRoleCredentialsProvider, refreshable
from alibabacloud_credentials.provider import ram_role_arn as ram_role_arn_module
from alibabacloud_credentials.utils import parameter_helper

METADATA_HOST = "_EcsRamRoleCredentialsProvider__metadata_service_host"
"""The ECS provider's metadata host, ``100.100.100.200``: a name-mangled attribute."""
CHAIN = "_DefaultCredentialsProvider__providers_chain"
"""The default chain's list of providers: a name-mangled attribute."""


def quiet_log() -> None:
    """The library prints each warning three times to stderr, and a traceback per failed
    refresh: silenced. Call it after importing the library, whose import resets the level."""
    logging.getLogger("credentials").setLevel(logging.CRITICAL + 1)


class SimulatedTime:
    """A clock the benchmark moves by hand. akless takes it as ``clock=``; the official library
    gets it in place of the ``time`` module, where ``time()`` and ``localtime()`` follow it and
    ``mktime``, ``strptime`` and the rest are the real functions."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def localtime(self, seconds: float | None = None) -> time.struct_time:
        return time.localtime(self.now if seconds is None else seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@contextmanager
def on_clock(clock: SimulatedTime) -> Iterator[None]:
    """The official library on ``clock``: its refresh cache and RAM-role provider read the
    ``time`` module (``time.mktime(time.localtime())``), and it stamps signatures with
    ``datetime.utcnow()`` in ``parameter_helper.get_iso_8061_date`` (the emulator refuses
    stamps more than 15 minutes off its clock)."""
    saved = refreshable.time, ram_role_arn_module.time, parameter_helper.get_iso_8061_date
    refreshable.time = ram_role_arn_module.time = clock  # type: ignore[assignment]
    parameter_helper.get_iso_8061_date = lambda: time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now)
    )
    try:
        yield
    finally:
        refreshable.time, ram_role_arn_module.time, parameter_helper.get_iso_8061_date = saved


def ecs_provider(metadata_endpoint: str) -> EcsRamRoleCredentialsProvider:
    """The ECS RAM-role provider reading ``metadata_endpoint``, without its scheduler thread
    (``async_update_enabled=False``)."""
    provider = EcsRamRoleCredentialsProvider(async_update_enabled=False)
    setattr(provider, METADATA_HOST, metadata_endpoint.removeprefix("http://"))
    return provider


def default_client(metadata_endpoint: str) -> Client:
    """``Client()``: the default chain, its ECS step reading ``metadata_endpoint``."""
    client = Client()
    for step in getattr(client.cloud_credential.provider, CHAIN):
        if isinstance(step, EcsRamRoleCredentialsProvider):
            setattr(step, METADATA_HOST, metadata_endpoint.removeprefix("http://"))
    return client
