"""Credential library: akless against the official ``alibabacloud-credentials`` 1.0.12, side by
side in the same run, one function per row of issue 3's Measure table:

1. import cost (wall time, modules, RSS) in fresh interpreters;
2. warm ``get_credential()``, static AccessKey and cached RAM role;
3. STS AssumeRole calls for 900 s sessions at 10 calls/s over a simulated hour;
4. cold concurrency: threads and asyncio tasks on one fresh client, STS 0.5 s slow;
5. metadata requests for the first fetch and for each later refresh;
6. threads started by constructing clients;
7. the default chain off the cloud, with a metadata endpoint that never answers.

Everything stays on loopback: the emulator runs in this process (``running_emulator()``) or in a
child. Rows that change the environment, start threads nothing can stop, or freeze an event loop
run in child processes (``bench/credentials_child.py``), which print JSON lines.
"""

from __future__ import annotations

import argparse
import compileall
import os
import tempfile
import time
import timeit
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from alibabacloud_credentials.client import Client as OfficialClient
from alibabacloud_credentials.models import Config as OfficialConfig

import akless
from akless.emulator import EmulatorServer
from akless.emulator.cloud import Cloud
from akless.emulator.faults import Fault
from akless.providers import RamRoleArnProvider
from akless.testing import running_emulator
from bench import official
from bench.harness import (
    ChildRun,
    Comparison,
    at_once,
    compared,
    comparison_spread,
    comparison_table,
    environment,
    run_child,
    save,
    silent_server,
)

LIBRARIES = ("akless", "official")
SESSION = 900
STS_LATENCY = 0.5
CALLS_PER_SECOND = 10
METADATA_ENDPOINT = "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"
Details = dict[str, Any]


def role_client(library: str, emulator: EmulatorServer, duration: int | None = None) -> Any:
    """``Client(Config(type='ram_role_arn'))`` of ``library``, assuming the emulator's role."""
    identity = emulator.cloud.identity
    settings = {
        "type": "ram_role_arn",
        "access_key_id": identity.access_key_id,
        "access_key_secret": identity.access_key_secret,
        "role_arn": identity.role_arn,
        "role_session_name": "bench-credentials",
        "role_session_expiration": duration,
        "sts_endpoint": emulator.endpoint,  # a URL: plain HTTP, in both libraries
    }
    if library == "akless":
        return akless.Client(akless.Config(**settings))
    return OfficialClient(OfficialConfig(**settings))


def assume_role_calls(cloud: Cloud) -> int:
    """AssumeRole calls the emulator has recorded."""
    return sum(call.action == "AssumeRole" for call in cloud.store.calls(limit=10**7))


def child_environment(home: str, **extra: str) -> dict[str, str]:
    """This environment without Alibaba Cloud settings or proxies, ``HOME`` an empty directory
    (no profile files), plus ``extra``."""
    dropped = ("ALIBABA_CLOUD_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    environ = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    return {**environ, "HOME": home, **extra}


def child(name: str, *args: str, **options: Any) -> ChildRun:
    """Run ``python -m bench.credentials_child <name> <args>``: the JSON lines it printed."""
    return run_child(["-m", "bench.credentials_child", name, *args], **options)


# -- 1. import ------------------------------------------------------------------------------------

IMPORTS = {
    "akless": "from akless import Client, Config",
    "official": "import alibabacloud_credentials.client",
}
IMPORT_PROBE = """\
import sys, time
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
modules, rss, began = len(sys.modules), rss_kb(), time.perf_counter()
{statement}
elapsed, modules, rss = time.perf_counter() - began, len(sys.modules) - modules, rss_kb() - rss
import json
print(json.dumps({{"ms": elapsed * 1000, "modules": modules, "rss_mb": rss / 1024}}))
"""


def import_cost(args: argparse.Namespace, details: Details) -> list[Comparison]:
    # pip byte-compiles an installed package; an editable install is compiled on first import,
    # unless PYTHONDONTWRITEBYTECODE is set (it is on these machines). Compile akless the way
    # pip would, so both libraries are imported from bytecode.
    compileall.compile_dir(Path(akless.__file__).parent, quiet=1)
    runs: dict[str, list[dict[str, float]]] = {library: [] for library in LIBRARIES}
    for index in range(args.import_runs + 1):  # round 0 warms the disk cache: not counted
        for library in LIBRARIES:  # alternating, so background noise hits both alike
            probe = IMPORT_PROBE.format(statement=IMPORTS[library])
            result = run_child(["-c", probe]).last
            if index:
                runs[library].append(result)
    details["import"] = runs

    def both(key: str) -> tuple[list[float], list[float]]:
        return [run[key] for run in runs["akless"]], [run[key] for run in runs["official"]]

    return [
        compared(
            "import: wall time",
            "ms",
            *both("ms"),
            goal=">= 8x faster",
            met=lambda mine, theirs: theirs is not None and theirs / mine >= 8,
        ),
        compared("import: modules newly imported", "count", *both("modules"), goal="-"),
        compared(
            "import: RSS growth", "MB", *both("rss_mb"), goal="< +10 MB", met=lambda m, _: m < 10
        ),
    ]


# -- 2. warm get_credential() -------------------------------------------------------------------


def per_call(figure: str, clients: dict[str, Any], number: int, repeat: int) -> Comparison:
    """Microseconds per warm ``get_credential()``: ``repeat`` timeit runs of ``number`` calls,
    the libraries alternating."""
    runs: dict[str, list[float]] = {library: [] for library in LIBRARIES}
    for _ in range(repeat):
        for library in LIBRARIES:
            seconds = timeit.Timer(clients[library].get_credential).timeit(number)
            runs[library].append(seconds / number * 1e6)
    return compared(
        figure,
        "us",
        runs["akless"],
        runs["official"],
        goal=">= 10x faster",
        met=lambda mine, theirs: theirs is not None and theirs / mine >= 10,
    )


def warm_calls(args: argparse.Namespace, details: Details) -> list[Comparison]:
    static = {"type": "access_key", "access_key_id": "LTAI5tBench", "access_key_secret": "s3cr3t"}
    clients = {
        "akless": akless.Client(akless.Config(**static)),
        "official": OfficialClient(OfficialConfig(**static)),
    }
    rows = [per_call("warm `get_credential()`, static AK", clients, args.static_calls, args.repeat)]
    with running_emulator() as emulator:
        # The default 3600 s session: the official library caches it (a 900 s one it does not).
        clients = {library: role_client(library, emulator) for library in LIBRARIES}
        for client in clients.values():
            client.get_credential()
        figure = "warm `get_credential()`, cached RAM role"
        rows.append(per_call(figure, clients, args.role_calls, args.repeat))
    return rows


# -- 3. STS calls over a simulated hour ---------------------------------------------------------


def simulated_hour(library: str, emulator: EmulatorServer, rate: float) -> int:
    """AssumeRole calls made by one client called ``rate`` times a second for a simulated hour
    (900 s sessions); the emulator's clock follows the simulated one."""
    cloud, identity = emulator.cloud, emulator.cloud.identity
    start = float(int(time.time()))  # whole seconds, so steps land on tenths as a real clock's
    clock = official.SimulatedTime(start)
    before, began = assume_role_calls(cloud), time.perf_counter()
    with official.on_clock(clock) if library == "official" else nullcontext():
        if library == "official":
            client = role_client(library, emulator, SESSION)
        else:  # Client(Config) takes no clock: the provider does
            provider = RamRoleArnProvider(
                access_key_id=identity.access_key_id,
                access_key_secret=identity.access_key_secret,
                role_arn=identity.role_arn,
                role_session_name="bench-credentials",
                duration_seconds=SESSION,
                sts_endpoint=emulator.endpoint,
                clock=clock,
            )
            client = akless.Client(provider=provider)
        for step in range(round(3600 * rate)):
            clock.now = start + step / rate
            cloud.set_clock_offset(clock.now - time.time())  # emulated = real + offset
            client.get_credential()
            if step and step % round(900 * rate) == 0:
                print(
                    f"  {library}: {step / rate / 60:.0f} simulated min, "
                    f"{assume_role_calls(cloud) - before:,} AssumeRole calls "
                    f"({time.perf_counter() - began:.0f} s)",
                    flush=True,
                )
    return assume_role_calls(cloud) - before


def sts_calls_for_an_hour(args: argparse.Namespace, details: Details) -> list[Comparison]:
    with running_emulator() as emulator:
        mine = simulated_hour("akless", emulator, CALLS_PER_SECOND)
        theirs = simulated_hour("official", emulator, args.official_rate)
    scale = CALLS_PER_SECOND / args.official_rate
    details["simulated_hour"] = {"akless": mine, "official": theirs, "official_scale": scale}
    note = f"of {CALLS_PER_SECOND * 3600:,} `get_credential()` calls"
    if scale != 1:
        note = f"measured {theirs:,} at {args.official_rate:g} calls/s, scaled x{scale:g}"
    figure = f"STS calls, {SESSION} s sessions, {CALLS_PER_SECOND} calls/s, simulated hour"
    return [
        compared(
            figure, "count", mine, theirs * scale, goal="<= 6", met=lambda m, _: m <= 6, note=note
        )
    ]


# -- 4. cold concurrency ------------------------------------------------------------------------


def cold_concurrency(args: argparse.Namespace, details: Details) -> list[Comparison]:
    threads: dict[str, int] = {}
    with running_emulator() as emulator:
        emulator.cloud.faults.add(Fault(service="sts", latency=STS_LATENCY))
        for library in LIBRARIES:
            client = role_client(library, emulator, SESSION)
            before, began = assume_role_calls(emulator.cloud), time.perf_counter()
            failed = at_once(client.get_credential, args.threads)
            threads[library] = assume_role_calls(emulator.cloud) - before
            print(
                f"  {library}: {args.threads} threads: {threads[library]} AssumeRole calls, "
                f"{failed} failed, {time.perf_counter() - began:.1f} s",
                flush=True,
            )
    tasks: dict[str, dict[str, Any]] = {}
    for library in LIBRARIES:
        run = child("cold-tasks", library, str(args.tasks), timeout=args.async_timeout)
        tasks[library] = {**run.last, "timed_out": run.timed_out}
        print(f"  {library}: {args.tasks} tasks: {tasks[library]}", flush=True)
    details["cold"] = {"threads": threads, "tasks": tasks}
    frozen = tasks["official"]
    killed = (
        f"killed after {args.async_timeout:g} s, loop still frozen: "
        f"{frozen['done']}/{args.tasks} tasks done, {frozen['calls']} STS calls made"
        if frozen["timed_out"]
        else ""
    )
    return [
        compared(
            f"STS calls, {args.threads} threads cold ({SESSION} s role, STS +{STS_LATENCY:g} s)",
            "count",
            threads["akless"],
            threads["official"],
            goal="1",
            met=lambda mine, _: mine == 1,
        ),
        compared(
            f"STS calls, {args.tasks} asyncio tasks cold",
            "count",
            tasks["akless"]["calls"],
            None if killed else frozen["calls"],
            goal="1",
            met=lambda mine, _: mine == 1 and not tasks["akless"]["timed_out"],
            note=killed,
        ),
        compared(
            f"longest event-loop stall, {args.tasks} asyncio tasks cold",
            "ms",
            tasks["akless"]["stall_ms"],
            frozen["stall_ms"],
            goal="<= 20 ms",
            met=lambda mine, _: mine <= 20,
            note="at least: still growing when killed" if killed else "",
        ),
    ]


# -- 5. metadata requests -----------------------------------------------------------------------


def metadata_requests(args: argparse.Namespace, details: Details) -> list[Comparison]:
    counts: dict[str, dict[str, list[float]]] = {}
    with running_emulator() as emulator, environment(**{METADATA_ENDPOINT: emulator.endpoint}):
        counter = emulator.cloud.metadata_requests

        def requests_made(action: Callable[[], object]) -> float:
            before = sum(counter.values())
            action()
            return sum(counter.values()) - before

        client = akless.Client(akless.Config(type="ecs_ram_role"))
        refresher = client.provider._refresher  # private: the only way to force a refresh now

        def akless_refresh() -> None:
            refresher.invalidate()
            client.get_credential()

        provider = official.ecs_provider(emulator.endpoint)
        first = {"akless": client.get_credential, "official": provider.get_credentials}
        later = {"akless": akless_refresh, "official": provider._refresh_credentials}
        for library in LIBRARIES:
            counter.clear()
            counts[library] = {
                "first": [requests_made(first[library])],
                "later": [requests_made(later[library]) for _ in range(args.refreshes)],
            }
            details.setdefault("metadata_paths", {})[library] = {
                f"{method} {path}": n for (method, path), n in counter.items()
            }
    return [
        compared(
            f"metadata requests, {when}",
            "count",
            counts["akless"][key],
            counts["official"][key],
            goal=f"<= {limit}",
            met=lambda mine, _, limit=limit: mine <= limit,
        )
        for key, when, limit in (("first", "first fetch", 3), ("later", "each later refresh", 1))
    ]


# -- 6. threads started by constructing clients --------------------------------------------------


def threads_started(args: argparse.Namespace, details: Details) -> list[Comparison]:
    with tempfile.TemporaryDirectory() as home:
        started = child("threads", env=child_environment(home)).last
    details["threads"] = started
    return [
        compared(
            f"threads started by `Client({config})`",
            "count",
            started[f"akless {kind}"],
            started[f"official {kind}"],
            goal="0",
            met=lambda mine, _: mine == 0,
        )
        for kind, config in (("ecs_ram_role", "Config(type='ecs_ram_role')"), ("default", ""))
    ]


# -- 7. off-cloud chain ---------------------------------------------------------------------------


def off_cloud_chain(args: argparse.Namespace, details: Details) -> list[Comparison]:
    runs = []
    with silent_server() as endpoint, tempfile.TemporaryDirectory() as home:
        env = child_environment(home, **{METADATA_ENDPOINT: endpoint})
        for _ in range(args.off_cloud_runs):
            runs.append(child("off-cloud", env=env).last)
            print(f"  {runs[-1]}", flush=True)
    details["off_cloud"] = runs

    def both(key: str) -> tuple[list[float], list[float]]:
        return [run[f"akless {key}"] for run in runs], [run[f"official {key}"] for run in runs]

    return [
        compared(
            "off-cloud `Client().get_credential()`, silent metadata endpoint",
            "s",
            *both("first"),
            goal="<= 1.1 s",
            met=lambda mine, _: mine <= 1.1,
            note="host patched in",
        ),
        compared(
            "the same, on a new `Client()` later in the process",
            "s",
            *both("second"),
            goal="~0 (< 10 ms)",
            met=lambda mine, _: mine < 0.01,
            note="host patched in",
        ),
    ]


# -- main -----------------------------------------------------------------------------------------

ROWS: list[tuple[str, Callable[[argparse.Namespace, Details], list[Comparison]]]] = [
    ("import cost", import_cost),
    ("warm get_credential()", warm_calls),
    ("STS calls over a simulated hour", sts_calls_for_an_hour),
    ("cold concurrency", cold_concurrency),
    ("metadata requests", metadata_requests),
    ("threads started by constructing clients", threads_started),
    ("off-cloud chain, silent metadata endpoint", off_cloud_chain),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench credentials", description=__doc__)
    parser.add_argument("--import-runs", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=5, help="timeit runs per warm figure")
    parser.add_argument("--static-calls", type=int, default=200_000)
    parser.add_argument("--role-calls", type=int, default=50_000)
    parser.add_argument(
        "--official-rate",
        type=float,
        default=CALLS_PER_SECOND,
        help="calls/s simulated for the official library; its count is scaled to 10 calls/s",
    )
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--async-timeout", type=float, default=15.0)
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--off-cloud-runs", type=int, default=3)
    args = parser.parse_args(argv)
    official.quiet_log()
    for name in [name for name in os.environ if name.upper().endswith("_PROXY")]:
        del os.environ[name]  # the official library would send even loopback calls through one
    rows: list[Comparison] = []
    details: Details = {}
    began = time.perf_counter()
    for number, (title, row) in enumerate(ROWS, 1):
        print(f"[{number}/{len(ROWS)}] {title} ({time.perf_counter() - began:.0f} s)", flush=True)
        rows.extend(row(args, details))
    print(f"\ndone in {time.perf_counter() - began:.0f} s; medians; ratio = official / akless\n")
    print(comparison_table(rows))
    print("\nrun-to-run spread:\n" + comparison_spread(rows))
    save("credentials", {"settings": vars(args), "rows": rows, "details": details})
