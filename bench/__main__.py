"""``python -m bench <benchmark> [options]``; ``make bench`` runs them all."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "emulator": "bench.emulator",
    "credentials": "bench.credentials",
    "serve": "bench.serve",
    "cli": "bench.cli",
    "scan": "bench.scan",
    "response": "bench.response",
}


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        return
    names = [args[0]] if args and args[0] in BENCHMARKS else list(BENCHMARKS)
    rest = args[1:] if args and args[0] in BENCHMARKS else args
    for name in names:
        print(f"== {name} ==", flush=True)
        importlib.import_module(BENCHMARKS[name]).main(rest)


if __name__ == "__main__":
    main()
