"""Local credentials server (issue 4): ``akless serve --role-arn`` in its own process against
``akless emulator serve`` in another, read by 16 concurrent clients on loopback.

1. Raw reads: each client thread keeps one ``http.client.HTTPConnection`` alive and GETs the
   credentials URI as fast as it can. Reads/s, p50/p99, and the AssumeRole calls the emulator
   recorded (its ``/_emulator/calls`` admin API). Goal: >= 1,000 reads/s and no upstream call
   after the first.
2. How SDK clients read it, side by side: ``get_credential()`` calls/s of the official
   ``alibabacloud_credentials`` client (``Config(type='credentials_uri')``) and of akless's
   ``CredentialsUriProvider``, one client per thread, and how many times each went to the server
   (counted in this process: the official client's ``TeaCore.do_action``, akless's transport).
   Measured for a 3600 s role session (the default) and a 900 s one (the shortest STS allows):
   the official client treats a credential as stale 15 minutes before it expires, so a 900 s
   credential is stale on arrival and it asks the server again on every call.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.harness import LoadResult, emulator_process, median_of, run_load, save, spread, table

_CLEARED_PREFIXES = ("ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "AKLESS_")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


@dataclass(frozen=True)
class Served:
    """A running ``akless serve``: its URI, and how long it took to print it."""

    uri: str
    expiration: str
    startup_s: float


def serve_env(identity: dict[str, Any]) -> dict[str, str]:
    """This environment without credentials or proxies; STS at the emulator; the user's key."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_CLEARED_PREFIXES) and name not in _PROXIES
    }
    env.update(
        ALIBABA_CLOUD_STS_ENDPOINT=identity["endpoint"],
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
        ALIBABA_CLOUD_ACCESS_KEY_ID=identity["access_key_id"],
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=identity["access_key_secret"],
    )
    return env


@contextmanager
def serve_process(identity: dict[str, Any], *extra: str) -> Iterator[Served]:
    """``akless serve --role-arn <the emulator's role>`` in its own process, stopped by SIGTERM
    (which must exit 0)."""
    command = [
        sys.executable, "-m", "akless.cli.main", "serve", "--port", "0", "--output", "json",
        "--role-arn", identity["role_arn"], *extra,
    ]  # fmt: skip
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=serve_env(identity))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("akless serve did not start")
        announced = json.loads(line)
        yield Served(
            announced["credentials_uri"], announced["expiration"], time.perf_counter() - began
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
    if code != 0:
        raise RuntimeError(f"akless serve exited {code} on SIGTERM, not 0")


def assume_role_calls(identity: dict[str, Any]) -> int:
    """AssumeRole calls the emulator recorded (``GET /_emulator/calls``)."""
    url = f"{identity['endpoint']}/_emulator/calls?limit=10000"
    with urllib.request.urlopen(url, timeout=10) as response:
        calls = json.load(response)
    return sum(call["action"] == "AssumeRole" for call in calls)


def raw_reader(uri: str) -> Callable[[], Callable[[], object]]:
    """One kept-alive connection per client thread, one GET per call."""
    parts = urlsplit(uri)
    host, port, path = parts.hostname or "127.0.0.1", parts.port, parts.path

    def make() -> Callable[[], object]:
        connection = http.client.HTTPConnection(host, port, timeout=10)

        def read() -> object:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return body

        return read

    return make


class Counter:
    """Counts events from many threads."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.value += 1

    def take(self) -> int:
        """The count so far, starting again from 0."""
        with self._lock:
            value, self.value = self.value, 0
        return value


@contextmanager
def counting_official_requests() -> Iterator[Counter]:
    """Every HTTP request the official library sends, counted (``TeaCore.do_action``)."""
    from Tea.core import TeaCore

    counter = Counter()
    original = TeaCore.do_action

    def do_action(*args: Any, **kwargs: Any) -> Any:
        counter.tick()
        return original(*args, **kwargs)

    TeaCore.do_action = do_action  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        TeaCore.do_action = original  # type: ignore[method-assign]


def official_reader(uri: str) -> Callable[[], Callable[[], object]]:
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.models import Config

    def make() -> Callable[[], object]:
        return Client(Config(type="credentials_uri", credentials_uri=uri)).get_credential

    return make


def akless_reader(uri: str, counter: Counter) -> Callable[[], Callable[[], object]]:
    from akless.providers import CredentialsUriProvider
    from akless.transport import HttpTransport, Request, Response

    class Counting:
        def __init__(self) -> None:
            self._inner = HttpTransport(environ={})

        def send(self, request: Request) -> Response:
            counter.tick()
            return self._inner.send(request)

    def make() -> Callable[[], object]:
        return CredentialsUriProvider(uri, transport=Counting(), environ={}).get_credentials

    return make


@dataclass(frozen=True)
class Measured:
    """Runs of one scenario, and the server reads its clients made (when counted)."""

    runs: list[LoadResult]
    first_reads: int = 0
    """Server reads during the warm-up: each client's first, and any it repeats."""
    later_reads: int = 0
    """Server reads during the measured runs."""

    @property
    def result(self) -> LoadResult:
        return median_of(self.runs)

    @property
    def calls(self) -> int:
        return sum(run.ops for run in self.runs)


def measure(
    make: Callable[[], Callable[[], object]],
    args: argparse.Namespace,
    reads: Counter | None = None,
) -> Measured:
    """``args.clients`` clients, made once and kept for every run (so connections and caches
    stay warm, as in a long-running program): a warm-up, then ``args.repeat`` runs."""
    pool = [make() for _ in range(args.clients)]
    handed = itertools.cycle(pool)
    run_load(lambda: next(handed), clients=args.clients, seconds=0.5)  # warm-up
    first = reads.take() if reads is not None else 0
    runs = [
        run_load(lambda: next(handed), clients=args.clients, seconds=args.seconds)
        for _ in range(args.repeat)
    ]
    return Measured(runs, first, reads.take() if reads is not None else 0)


def client_rows(served: Served, session: int, args: argparse.Namespace) -> dict[str, Measured]:
    """The official client and akless's, reading ``served``."""
    rows = {}
    with counting_official_requests() as reads:
        rows[f"official `get_credential()`, {session} s role"] = measure(
            official_reader(served.uri), args, reads
        )
    reads = Counter()
    rows[f"akless `CredentialsUriProvider.get_credentials()`, {session} s role"] = measure(
        akless_reader(served.uri, reads), args, reads
    )
    for name, row in rows.items():
        print(
            f"{name}: {spread(row.runs)} calls/s; server reads: {row.first_reads} in the warm-up, "
            f"{row.later_reads:,} during {row.calls:,} calls",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench serve", description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import alibabacloud_credentials.provider.refreshable  # noqa: F401 - sets its logger's level

    # Quieted after that import: the official client warns "stale time is in the past" on every
    # call with a 900 s credential, through its own handler on stderr.
    logging.getLogger("credentials").setLevel(logging.ERROR)
    with emulator_process() as identity:
        with serve_process(identity) as served:
            after_start = assume_role_calls(identity)
            raw = measure(raw_reader(served.uri), args)
            after_reads = assume_role_calls(identity)
            print(f"raw reads: {spread(raw.runs)} reads/s", flush=True)
            rows = client_rows(served, 3600, args)
            after_clients = assume_role_calls(identity)
        with serve_process(identity, "--duration", "900") as short:
            rows.update(client_rows(short, 900, args))
        total = assume_role_calls(identity)
    upstream_after_first = after_reads - after_start
    print()
    print(f"{args.clients} concurrent clients, {args.seconds:g} s per run, median of {args.repeat}")
    print(table([("raw GET, kept-alive `http.client` connection per client", raw.result)]))
    print(
        f"\nAssumeRole calls: {after_start} at start-up, {upstream_after_first} during "
        f"{raw.calls:,} measured reads, {after_clients - after_reads} during the SDK clients' "
        f"reads; {total} in the whole run (2 servers)."
    )
    print(f"akless serve start-up, to the printed line: {served.startup_s * 1000:,.0f} ms")
    print()
    print("| client | calls/s | p50 ms | p99 ms | server reads: warm-up / measured runs |")
    print("|---|---:|---:|---:|---:|")
    for name, row in rows.items():
        result = row.result
        print(
            f"| {name} | {result.throughput:,.0f} | {result.p50_ms:.4f} | {result.p99_ms:.4f} "
            f"| {row.first_reads} / {row.later_reads:,} of {row.calls:,} calls |"
        )
    met = raw.result.throughput >= 1000 and upstream_after_first == 0
    verdict = "met" if met else "NOT met"
    print(f"\ngoal >= 1,000 reads/s and 0 upstream calls after the first: {verdict}")
    save(
        "serve",
        {
            "clients": args.clients,
            "seconds": args.seconds,
            "raw_runs": raw.runs,
            "assume_role": {
                "at_start": after_start,
                "during_raw_reads": upstream_after_first,
                "during_client_reads": after_clients - after_reads,
                "total_two_servers": total,
            },
            "startup_s": served.startup_s,
            "sdk_clients": {
                name: {
                    "runs": row.runs,
                    "first_reads": row.first_reads,
                    "later_reads": row.later_reads,
                    "calls": row.calls,
                }
                for name, row in rows.items()
            },
            "goal_met": met,
        },
    )
