"""The parts of the credentials benchmark that run in a child process, one function each:
``python -m bench.credentials_child <name> [args]``. Each prints JSON lines for the parent.

They run apart because they change the environment (which the official library reads once, at
import), start threads nothing can stop (the official scheduler), rely on the process-wide
"not on ECS" memory being fresh, or freeze their event loop for longer than the run may last.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from alibabacloud_credentials.client import Client as OfficialClient
from alibabacloud_credentials.models import Config as OfficialConfig

import akless
from akless.emulator.faults import Fault
from akless.testing import running_emulator
from bench import official
from bench.credentials import (
    LIBRARIES,
    METADATA_ENDPOINT,
    SESSION,
    STS_LATENCY,
    assume_role_calls,
    role_client,
)
from bench.harness import LoopProbe


def cold_tasks(library: str, tasks: str) -> None:
    """``tasks`` asyncio tasks cold on one client. Progress every 0.25 s from a thread,
    so a run killed with its event loop frozen still reports; then a final line."""
    with running_emulator() as emulator:
        emulator.cloud.faults.add(Fault(service="sts", latency=STS_LATENCY))
        client = role_client(library, emulator, SESSION)
        probe, stop, began = LoopProbe(), threading.Event(), time.perf_counter()

        def report() -> None:
            line = {
                "calls": assume_role_calls(emulator.cloud),
                "done": probe.done,
                "failed": probe.failed,
                "stall_ms": probe.stall() * 1000,
                "seconds": time.perf_counter() - began,
            }
            print(json.dumps(line), flush=True)

        def watch() -> None:
            while not stop.wait(0.25):
                report()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        asyncio.run(probe.run(client.get_credential_async, int(tasks)))
        stop.set()
        watcher.join()
        report()


def threads_at_construction() -> None:
    """Threads started by constructing each client (every import done beforehand)."""
    constructions = {
        "akless ecs_ram_role": lambda: akless.Client(akless.Config(type="ecs_ram_role")),
        "akless default": akless.Client,
        "official ecs_ram_role": lambda: OfficialClient(OfficialConfig(type="ecs_ram_role")),
        "official default": OfficialClient,
    }
    started = {}
    for name, construct in constructions.items():
        before = threading.active_count()
        construct()
        started[name] = threading.active_count() - before
    print(json.dumps(started), flush=True)


def off_cloud() -> None:
    """``Client().get_credential()`` off the cloud, twice per library, each time on a new
    ``Client``: seconds taken and the error raised."""
    endpoint = os.environ[METADATA_ENDPOINT]  # akless reads it; the official host is patched
    new_client = {"akless": akless.Client, "official": lambda: official.default_client(endpoint)}
    result: dict[str, Any] = {}
    for library in LIBRARIES:
        for attempt in ("first", "second"):
            client = new_client[library]()
            began = time.perf_counter()
            try:
                client.get_credential()
                outcome = "credentials (unexpected)"
            except Exception as error:
                outcome = type(error).__name__
            result[f"{library} {attempt}"] = time.perf_counter() - began
            result[f"{library} {attempt} outcome"] = outcome
    print(json.dumps(result), flush=True)


CHILDREN: dict[str, Callable[..., None]] = {
    "cold-tasks": cold_tasks,
    "threads": threads_at_construction,
    "off-cloud": off_cloud,
}


if __name__ == "__main__":
    official.quiet_log()
    CHILDREN[sys.argv[1]](*sys.argv[2:])
