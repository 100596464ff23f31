"""Emulator capacity: metadata credential reads and signed STS GetCallerIdentity calls under 16
concurrent clients on loopback, with the emulator in its own process as users run it.

Side by side in the same run, the same calls made by the official libraries
(``alibabacloud-credentials`` for the metadata fetch, ``alibabacloud-sts20150401`` for STS).
Goals (issue 2): >= 1,000 metadata reads/s and >= 300 signed STS calls/s.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from akless.credentials import Credentials
from akless.metadata import MetadataClient
from akless.sts import StsClient
from bench.harness import LoadResult, emulator_process, median_of, run_load, save, spread, table


def akless_metadata_read(identity: dict[str, Any]) -> Callable[[], Callable[[], object]]:
    role = identity["instance_role"]

    def make() -> Callable[[], object]:
        client = MetadataClient(identity["endpoint"], allow_tokenless=False)
        return lambda: client.role_credentials(role)

    return make


def official_metadata_fetch(identity: dict[str, Any]) -> Callable[[], Callable[[], object]]:
    from alibabacloud_credentials.provider import EcsRamRoleCredentialsProvider

    host = identity["endpoint"].removeprefix("http://")

    def make() -> Callable[[], object]:
        provider = EcsRamRoleCredentialsProvider(
            role_name=identity["instance_role"], async_update_enabled=False
        )
        # The official provider has no endpoint setting; its host is a private attribute.
        provider._EcsRamRoleCredentialsProvider__metadata_service_host = host  # type: ignore[attr-defined]
        return provider._refresh_credentials  # one uncached fetch, as on each refresh

    return make


def akless_sts_call(identity: dict[str, Any]) -> Callable[[], Callable[[], object]]:
    credentials = Credentials(identity["access_key_id"], identity["access_key_secret"])

    def make() -> Callable[[], object]:
        client = StsClient(identity["endpoint"])
        return lambda: client.get_caller_identity(credentials)

    return make


def official_sts_call(identity: dict[str, Any]) -> Callable[[], Callable[[], object]]:
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_tea_openapi.models import Config

    def make() -> Callable[[], object]:
        client = Client(
            Config(
                access_key_id=identity["access_key_id"],
                access_key_secret=identity["access_key_secret"],
                endpoint=identity["endpoint"].removeprefix("http://"),
                protocol="http",
            )
        )
        return client.get_caller_identity

    return make


SCENARIOS = {
    "metadata read (akless MetadataClient)": akless_metadata_read,
    "metadata fetch (official EcsRamRoleCredentialsProvider)": official_metadata_fetch,
    "signed GetCallerIdentity (akless StsClient)": akless_sts_call,
    "signed GetCallerIdentity (official sts20150401 SDK)": official_sts_call,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench emulator", description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    logging.getLogger("credentials").setLevel(logging.ERROR)
    results: dict[str, list[LoadResult]] = {}
    with emulator_process() as identity:
        for name, scenario in SCENARIOS.items():
            make = scenario(identity)
            run_load(make, clients=args.clients, seconds=0.5)  # warm-up
            results[name] = [
                run_load(make, clients=args.clients, seconds=args.seconds)
                for _ in range(args.repeat)
            ]
            print(f"{name}: {spread(results[name])} ops/s", flush=True)
    medians = [(name, median_of(runs)) for name, runs in results.items()]
    print()
    print(f"{args.clients} concurrent clients, {args.seconds:g} s per run, median of {args.repeat}")
    print(table(medians))
    by_name = dict(medians)
    sts_ratio = (
        by_name["signed GetCallerIdentity (akless StsClient)"].throughput
        / by_name["signed GetCallerIdentity (official sts20150401 SDK)"].throughput
    )
    print(f"\nakless / official, signed STS calls: {sts_ratio:.2f}x")
    save(
        "emulator",
        {
            "clients": args.clients,
            "seconds": args.seconds,
            "runs": results,
            "sts_ratio": sts_ratio,
        },
    )
