"""``akless whoami`` wall time, end to end, as a user runs it: the real console script in a
fresh process, credentials from the environment, GetCallerIdentity against ``akless emulator
serve`` running in its own process. Goal (issue 4): under 300 ms, dominated by interpreter start.

Measured alongside: ``python -c pass`` (the floor), and the official ``aliyun``-less equivalent
a Python user would write with the official libraries (alibabacloud-credentials + the STS SDK).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import akless
from bench.harness import emulator_process, save

AKLESS = str(Path(sys.executable).with_name("akless"))
OFFICIAL_WHOAMI = """\
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_sts20150401.client import Client
from alibabacloud_tea_openapi.models import Config
import os
endpoint = os.environ["ALIBABA_CLOUD_STS_ENDPOINT"].removeprefix("http://")
sts = Client(Config(credential=CredentialClient(), endpoint=endpoint, protocol="http"))
print(sts.get_caller_identity().body.arn)
"""


def timed(command: list[str], environ: dict[str, str], runs: int) -> list[float]:
    """Wall seconds of ``runs`` runs of ``command`` (after one uncounted warm-up)."""
    times = []
    for index in range(runs + 1):
        began = time.perf_counter()
        subprocess.run(command, env=environ, check=True, stdout=subprocess.DEVNULL, timeout=60)
        if index:
            times.append(time.perf_counter() - began)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench cli", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    # As pip would at install: these machines set PYTHONDONTWRITEBYTECODE, so an editable
    # install would otherwise be compiled again on every run.
    compileall.compile_dir(Path(akless.__file__).parent, quiet=1)
    with emulator_process() as identity:
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")},
            "ALIBABA_CLOUD_ACCESS_KEY_ID": identity["access_key_id"],
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": identity["access_key_secret"],
            "ALIBABA_CLOUD_STS_ENDPOINT": identity["endpoint"],
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        }
        commands = {
            "python -c pass (interpreter start)": [sys.executable, "-c", "pass"],
            "akless whoami --output json": [AKLESS, "whoami", "--output", "json"],
            "akless whoami (text, rich)": [AKLESS, "whoami"],
            "official libraries: Client() + STS SDK GetCallerIdentity": [
                sys.executable,
                "-c",
                OFFICIAL_WHOAMI,
            ],
        }
        results = {name: timed(command, environ, args.runs) for name, command in commands.items()}
    print(f"\nmedian of {args.runs} runs (after a warm-up), wall time of the whole process")
    print("| command | median ms | min..max ms |\n|---|---:|---:|")
    for name, times in results.items():
        print(
            f"| {name} | {statistics.median(times) * 1000:.0f} "
            f"| {min(times) * 1000:.0f}..{max(times) * 1000:.0f} |"
        )
    save("cli", {"runs": args.runs, "seconds": results})
