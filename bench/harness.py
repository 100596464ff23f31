"""Shared benchmark plumbing: concurrent load with latency percentiles, repeated runs reported
by their median, the emulator as a separate process, child processes that report JSON lines, a
loopback server that never answers, callers arriving at once (threads, or asyncio tasks with
an event-loop stall probe), and result tables (load results, and figures measured for akless
and the official library side by side)."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class LoadResult:
    """One run: operations per second and latency percentiles in milliseconds."""

    ops: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def run_load(
    make_worker: Callable[[], Callable[[], object]], *, clients: int, seconds: float
) -> LoadResult:
    """Run ``clients`` threads, each calling its own worker for ``seconds``; count and time."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    workers = [make_worker() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def loop(index: int) -> None:
        work, times = workers[index], latencies[index]
        start.wait()
        while True:
            began = time.perf_counter()
            if began >= stop_at[0]:
                return
            try:
                work()
            except Exception:
                errors[index] += 1
                continue
            times.append(time.perf_counter() - began)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [value for chunk in latencies for value in chunk]
    if not flat:
        raise RuntimeError(f"every call failed ({sum(errors)} errors)")
    return LoadResult(
        ops=len(flat),
        errors=sum(errors),
        seconds=elapsed,
        throughput=len(flat) / elapsed,
        p50_ms=percentile(flat, 0.50) * 1000,
        p99_ms=percentile(flat, 0.99) * 1000,
    )


def median_of(runs: list[LoadResult]) -> LoadResult:
    """The run with the median throughput (its latencies stay consistent with it)."""
    ordered = sorted(runs, key=lambda run: run.throughput)
    return ordered[len(ordered) // 2]


@contextmanager
def emulator_process(*extra: str) -> Iterator[dict[str, Any]]:
    """``akless emulator serve`` in its own process; yields its start-up JSON line."""
    command = [sys.executable, "-m", "akless.cli.main", "emulator", "serve", "--port", "0", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=10)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
    }


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write results to ``bench/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2, default=_plain))
    return path


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else str(value)


def table(rows: list[tuple[str, LoadResult]]) -> str:
    """A Markdown table of load results."""
    lines = [
        "| scenario | ops/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, result in rows:
        lines.append(
            f"| {name} | {result.throughput:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {result.errors} |"
        )
    return "\n".join(lines)


def spread(runs: list[LoadResult]) -> str:
    """Throughput of every run, to show the noise."""
    return ", ".join(f"{statistics.fmean([run.throughput]):,.0f}" for run in runs)


ROOT = Path(__file__).parent.parent


@dataclass(frozen=True)
class ChildRun:
    """What a child process printed: one JSON object per line, and whether it was cut short."""

    lines: list[dict[str, Any]]
    timed_out: bool
    seconds: float

    @property
    def last(self) -> dict[str, Any]:
        """The last object printed (the result, or the last progress report)."""
        if not self.lines:
            raise RuntimeError("the child process printed nothing")
        return self.lines[-1]


def run_child(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120.0
) -> ChildRun:
    """Run ``python <args>`` from the repository root, collecting the JSON lines it prints; kill
    it after ``timeout`` seconds (what it printed so far is kept)."""
    process = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    lines: list[dict[str, Any]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{"):
                lines.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    began = time.perf_counter()
    reader.start()
    try:
        process.wait(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        timed_out = True
    reader.join()
    if process.returncode and not timed_out:
        raise RuntimeError(f"child {args} failed with exit status {process.returncode}")
    return ChildRun(lines, timed_out, time.perf_counter() - began)


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers; yields its URL."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` set, restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def at_once(call: Callable[[], object], threads: int) -> int:
    """``threads`` threads make ``call`` at the same moment; how many of them failed."""
    barrier, failures = threading.Barrier(threads), []

    def one() -> None:
        barrier.wait()
        try:
            call()
        except Exception as error:
            failures.append(error)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(failures)


class LoopProbe:
    """Awaits one coroutine function from many tasks at once while a ticker, sleeping 5 ms at a
    time, measures the event loop's longest stall (how far a tick overran its 5 ms)."""

    TICK = 0.005

    def __init__(self) -> None:
        self.last_tick = time.perf_counter()
        self.longest = 0.0
        self.done = self.failed = 0

    def stall(self) -> float:
        """The longest stall so far, counting one in progress (readable from another thread)."""
        return max(self.longest, time.perf_counter() - self.last_tick - self.TICK)

    async def run(self, call: Callable[[], Awaitable[object]], tasks: int) -> None:
        """Start the ticker, then ``tasks`` tasks awaiting ``call()`` together."""
        ticker = asyncio.create_task(self._tick())
        await asyncio.sleep(0.05)

        async def one() -> None:
            try:
                await call()
            except Exception:
                self.failed += 1
            self.done += 1

        await asyncio.gather(*(one() for _ in range(tasks)))
        await asyncio.sleep(0.05)
        ticker.cancel()

    async def _tick(self) -> None:
        while True:
            self.last_tick = time.perf_counter()
            await asyncio.sleep(self.TICK)
            self.longest = max(self.longest, time.perf_counter() - self.last_tick - self.TICK)


@dataclass(frozen=True)
class Comparison:
    """One figure measured for akless and for the official library in the same run.

    ``akless`` and ``official`` are the medians of ``akless_runs`` and ``official_runs`` (or
    the single value of a deterministic count); ``official`` is ``None`` when it cannot be
    measured, and ``note`` says why or qualifies the figure.
    """

    figure: str
    unit: str
    akless: float
    official: float | None
    goal: str
    met: bool | None
    akless_runs: tuple[float, ...] = ()
    official_runs: tuple[float, ...] = ()
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """official / akless: how many times more time, memory or calls the official takes."""
        if self.official is None or self.akless <= 0:
            return None
        return self.official / self.akless


def compared(
    figure: str,
    unit: str,
    akless: float | list[float],
    official: float | list[float] | None,
    *,
    goal: str,
    met: Callable[[float, float | None], bool] | None = None,
    note: str = "",
) -> Comparison:
    """A ``Comparison`` of the medians of the runs given (or of single values);
    ``met(akless, official)`` judges the goal (``None``: a figure without a goal)."""
    mine = akless if isinstance(akless, list) else [akless]
    theirs = official if isinstance(official, list) or official is None else [official]
    ours, their = statistics.median(mine), statistics.median(theirs) if theirs else None
    return Comparison(
        figure,
        unit,
        ours,
        their,
        goal,
        None if met is None else met(ours, their),
        tuple(mine),
        tuple(theirs or ()),
        note,
    )


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "us":
        return f"{value:.3f} us"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "s":
        return f"{value:.3f} s" if value >= 0.1 else f"{value * 1000:.2f} ms"
    if unit == "MB":
        return f"+{value:.1f} MB"
    return f"{value:,.0f}"


def _verdict(met: bool | None) -> str:
    return "-" if met is None else "yes" if met else "**no**"


def comparison_table(rows: list[Comparison]) -> str:
    """A Markdown table: both values, official / akless, the goal and whether it is met."""
    lines = [
        "| figure | akless | official 1.0.12 | official / akless | goal | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        official = _amount(row.official, row.unit) + (f" ({row.note})" if row.note else "")
        ratio = "-" if row.ratio is None else f"{row.ratio:,.1f}x"
        lines.append(
            f"| {row.figure} | {_amount(row.akless, row.unit)} | {official} | {ratio} "
            f"| {row.goal} | {_verdict(row.met)} |"
        )
    return "\n".join(lines)


def comparison_spread(rows: list[Comparison]) -> str:
    """Every figure measured more than once: the range of its runs, akless then official."""

    def span(runs: tuple[float, ...], unit: str) -> str:
        low, high = min(runs), max(runs)
        return (
            _amount(low, unit) if low == high else f"{_amount(low, unit)} .. {_amount(high, unit)}"
        )

    return "\n".join(
        f"- {row.figure}: akless {span(row.akless_runs, row.unit)} ({len(row.akless_runs)} runs)"
        + (
            f"; official {span(row.official_runs, row.unit)} ({len(row.official_runs)} runs)"
            if row.official_runs
            else ""
        )
        for row in rows
        if len(row.akless_runs) > 1 or len(row.official_runs) > 1
    )
