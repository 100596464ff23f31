"""Shared benchmark plumbing: concurrent load with latency percentiles, repeated runs reported
by their median, the emulator as a separate process, and result tables."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
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
