"""Leak response (issue 6): a key rotation end to end, and ``audit`` over 100,000 events.

``python -m bench response [--runs 5] [--events 100000] [--grace 0.5]``

The emulator runs in this process (``akless.testing.running_emulator``); the commands run as
users run them, ``akless ...`` in a fresh process, against it.

1. **Rotation through KMS, with a client calling throughout.** RAM user ``app``'s AccessKey
   lives in the RAM secret ``app-key``; KMS rotates it and keeps the old key active for a grace
   period (``--grace`` seconds here, minutes in the cloud) before disabling it. A client thread
   calls STS ``GetCallerIdentity`` in a loop with akless's ``KmsRamSecretProvider`` (reading
   KMS with the emulator's admin key); when a call is refused with
   ``InvalidAccessKeyId.NotFound`` or ``.Inactive`` it tells the provider
   (``report_auth_failure``) and retries once, as Alibaba's RAM-secret plug-in does. Meanwhile
   ``akless keys rotate --target kms:app-key --yes`` runs. Measured: the command's wall time;
   *end to end*, from the command's start until the old key is disabled and the client has
   succeeded with the new key; the client's calls in that window, the calls that failed even
   after the retry (goal: none) and the first attempts the retry absorbed.
2. **Rotation into an INI profile**: ``akless keys rotate --target ini:PATH:app --grace 0
   --yes`` creates a key, writes it, proves it with GetCallerIdentity, disables and deletes the
   old one. Wall time.
3. **Audit**: 100,000 events of one key spread over the last 7 days. Time to the first page:
   akless's ``ActionTrailClient.lookup_events`` and the official ActionTrail SDK's
   ``lookup_events`` side by side (same emulator, same query); ``akless audit KEY
   --first-seen`` and ``akless audit KEY --limit 50`` (wall time, start-up included); and the
   full summary, ``akless audit KEY`` over all 100,000 events (2,000 pages of 50, the API's
   page limit).

The official ``alibabacloud-credentials`` has no KMS RAM-secret provider, no rotation and no
audit, so only the ActionTrail first page has an official counterpart here.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import akless
from akless.actiontrail import ActionTrailClient
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.emulator.records import call_record
from akless.errors import ServiceError
from akless.providers.kms_ram_secret import EXPIRED_KEY_CODES, KmsRamSecretProvider
from akless.providers.static import StaticAKProvider
from akless.sts import StsClient
from akless.testing import emulator_environment, running_emulator
from bench.harness import compared, comparison_spread, comparison_table, save

AKLESS = str(Path(sys.executable).with_name("akless"))
_CLEARED_PREFIXES = ("ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "AKLESS_")
DAY = 86400.0


def command_env(server: EmulatorServer, home: Path, **values: str) -> dict[str, str]:
    """This environment without credentials; every endpoint at the emulator; a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}
    env.update(emulator_environment(server))
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / "state"),
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
        **values,
    )
    return env


def admin_env(server: EmulatorServer, home: Path) -> dict[str, str]:
    """``command_env`` with the emulator's admin key (``AdministratorAccess``) as credential."""
    identity = server.cloud.identity
    return command_env(
        server,
        home,
        ALIBABA_CLOUD_ACCESS_KEY_ID=identity.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=identity.access_key_secret,
    )


def akless_command(env: dict[str, str], *args: str) -> float:
    """Wall seconds of ``akless ARGS``; an exit other than 0 is an error."""
    began = time.perf_counter()
    done = subprocess.run([AKLESS, *args], env=env, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"akless {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return seconds


# -- 1. rotation through KMS, a client calling throughout ----------------------------------


@dataclass
class CallingClient:
    """A thread calling GetCallerIdentity with the KMS provider's key, retrying once after an
    expired-key refusal; it counts what happened and remembers which keys succeeded when."""

    provider: KmsRamSecretProvider
    sts: StsClient
    calls: int = 0
    failed: int = 0
    retried: int = 0
    successes: list[tuple[float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _call(self, credentials: Credentials) -> None:
        self.sts.get_caller_identity(credentials)
        self.successes.append((time.perf_counter(), credentials.access_key_id))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.calls += 1
            credentials = self.provider.get_credentials()
            try:
                self._call(credentials)
            except ServiceError as error:
                if error.code not in EXPIRED_KEY_CODES:
                    self.failed += 1
                    continue
                self.retried += 1
                if not self.provider.report_auth_failure(error.code, credentials.access_key_id):
                    self.failed += 1
                    continue
                try:
                    self._call(self.provider.get_credentials())
                except ServiceError:
                    self.failed += 1


def kms_rotation(server: EmulatorServer, home: Path, grace: float) -> dict[str, Any]:
    """One rotation of a RAM secret by ``akless keys rotate``, a client calling throughout."""
    cloud = server.cloud
    user = f"app{time.monotonic_ns()}"
    cloud.create_user(user)
    old = cloud.create_access_key(user)
    secret_name = f"{user}-key"
    cloud.create_ram_secret(secret_name, user, access_key_id=old.access_key_id, grace=grace)
    identity = cloud.identity
    environ = {"ALIBABA_CLOUD_KMS_ENDPOINT": server.endpoint}
    provider = KmsRamSecretProvider(
        secret_name,
        source=StaticAKProvider(identity.access_key_id, identity.access_key_secret),
        environ=environ,
    )
    client = CallingClient(provider, StsClient(server.endpoint))
    client.start()
    time.sleep(0.3)  # the client is calling with the old key
    began = time.perf_counter()
    command = akless_command(
        admin_env(server, home), "keys", "rotate", "--target", f"kms:{secret_name}", "--yes"
    )
    new_key = cloud.secret_value(secret_name).data
    deadline = began + 30
    while time.perf_counter() < deadline:
        status = cloud.user_access_key(user, old.access_key_id).status
        switched = [when for when, key in client.successes if key != old.access_key_id]
        if status == "Inactive" and switched:
            break
        time.sleep(0.005)
    else:
        raise RuntimeError("the old key was never disabled, or the client never switched")
    done = max(time.perf_counter(), switched[0])
    time.sleep(0.3)  # and the client keeps working on the new key
    client.stop()
    window = [when for when, _ in client.successes if when >= began]
    return {
        "command_s": command,
        "end_to_end_s": done - began,
        "client_calls": client.calls,
        "client_calls_in_window": len(window),
        "failed_calls": client.failed,
        "absorbed_by_retry": client.retried,
        "new_key_differs": old.access_key_id not in new_key,
    }


# -- 2. rotation into an INI profile --------------------------------------------------------


def ini_rotation(server: EmulatorServer, home: Path) -> float:
    """Wall seconds of ``akless keys rotate --target ini:... --grace 0`` for a fresh user."""
    cloud = server.cloud
    user = f"ini{time.monotonic_ns()}"
    cloud.create_user(user)
    key = cloud.create_access_key(user)
    path = home / f"{user}.ini"
    path.write_text(
        f"[app]\ntype = access_key\naccess_key_id = {key.access_key_id}\n"
        f"access_key_secret = {key.secret}\n"
    )
    path.chmod(0o600)
    env = command_env(
        server,
        home,
        ALIBABA_CLOUD_ACCESS_KEY_ID=key.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=key.secret,
    )
    seconds = akless_command(
        env, "keys", "rotate", "--target", f"ini:{path}:app", "--grace", "0", "--yes"
    )
    keys = cloud.list_access_keys(user)
    if len(keys) != 1 or keys[0].access_key_id == key.access_key_id:
        raise RuntimeError(f"rotation left {len(keys)} keys for {user}")
    return seconds


# -- 3. audit -------------------------------------------------------------------------------


def record_events(server: EmulatorServer, key_id: str, count: int) -> float:
    """``count`` events of ``key_id`` over the last 7 days (and some of other keys); seconds."""
    now = server.cloud.now()
    actions = [
        ("ecs", "DescribeInstances"),
        ("oss", "GetObject"),
        ("ram", "ListUsers"),
        ("sts", "GetCallerIdentity"),
        ("kms", "GetSecretValue"),
    ]
    began = time.perf_counter()
    server.cloud.record_calls(
        call_record(
            time=now - 7 * DAY + 60 + index * (7 * DAY - 120) / count,
            service=actions[index % 5][0],
            action=actions[index % 5][1],
            access_key_id=key_id if index % 10 else f"LTAI5tOther{index % 7}",
            source_ip=f"203.0.113.{index % 23}",
        )
        for index in range(count)
    )
    return time.perf_counter() - began


def first_page_akless(server: EmulatorServer, key_id: str) -> float:
    identity = server.cloud.identity
    credentials = Credentials(identity.access_key_id, identity.access_key_secret)
    client = ActionTrailClient(server.endpoint)
    now = time.time()
    began = time.perf_counter()
    page = client.lookup_events(credentials, access_key_id=key_id, start=now - 7 * DAY, end=now)
    seconds = time.perf_counter() - began
    if len(page.events) != 50 or page.next_token is None:
        raise RuntimeError(f"akless's first page held {len(page.events)} events")
    return seconds


def first_page_official(server: EmulatorServer, key_id: str) -> float:
    from alibabacloud_actiontrail20200706 import models
    from alibabacloud_actiontrail20200706.client import Client
    from alibabacloud_tea_openapi.models import Config

    identity = server.cloud.identity
    client = Client(
        Config(
            access_key_id=identity.access_key_id,
            access_key_secret=identity.access_key_secret,
            endpoint=server.endpoint.split("://", 1)[1],
            protocol="http",
            region_id="cn-hangzhou",
        )
    )
    now = time.time()

    def stamp(when: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))

    request = models.LookupEventsRequest(
        start_time=stamp(now - 7 * DAY),
        end_time=stamp(now),
        max_results="50",
        lookup_attribute=[
            models.LookupEventsRequestLookupAttribute(key="EventAccessKeyId", value=key_id)
        ],
    )
    began = time.perf_counter()
    response = client.lookup_events(request)
    seconds = time.perf_counter() - began
    if len(response.body.events or []) != 50:
        raise RuntimeError("the official SDK's first page is not 50 events")
    return seconds


@contextmanager
def emulator() -> Iterator[tuple[EmulatorServer, Path]]:
    with running_emulator() as server, tempfile.TemporaryDirectory() as home:
        yield server, Path(home)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench response", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--grace", type=float, default=0.5, help="KMS grace period, seconds")
    args = parser.parse_args(argv)
    compileall.compile_dir(Path(akless.__file__).parent, quiet=1)
    with emulator() as (server, home):
        akless_command(admin_env(server, home), "whoami")  # warm-up: disk cache, bytecode
        rotations = [kms_rotation(server, home, args.grace) for _ in range(args.runs)]
        ini = [ini_rotation(server, home) for _ in range(args.runs)]
        leaked = server.cloud.identity.access_key_id
        loading = record_events(server, leaked, args.events)
        ours = [first_page_akless(server, leaked) for _ in range(args.runs)]
        theirs = [first_page_official(server, leaked) for _ in range(args.runs)]
        env = admin_env(server, home)
        first_seen = [
            akless_command(env, "audit", leaked, "--first-seen", "-o", "json")
            for _ in range(args.runs)
        ]
        limited = [
            akless_command(env, "audit", leaked, "--limit", "50", "-o", "json")
            for _ in range(args.runs)
        ]
        full = [akless_command(env, "audit", leaked, "-o", "json") for _ in range(3)]
    e2e = [run["end_to_end_s"] for run in rotations]
    failed = sum(run["failed_calls"] for run in rotations)
    rows = [
        compared(
            "KMS rotation end to end (command start -> old key disabled, client on the "
            f"new key; {args.grace:g} s grace)",
            "s",
            e2e,
            None,
            goal="< 2 s",
            met=lambda ours, _: ours < 2.0,
        ),
        compared(
            "... `akless keys rotate --target kms:NAME` wall time",
            "s",
            [run["command_s"] for run in rotations],
            None,
            goal="-",
        ),
        compared(
            f"... client calls failed (after one retry), {args.runs} rotations",
            "calls",
            float(failed),
            None,
            goal="0",
            met=lambda ours, _: ours == 0,
        ),
        compared(
            "... first attempts refused and absorbed by report_auth_failure + retry",
            "calls",
            float(sum(run["absorbed_by_retry"] for run in rotations)),
            None,
            goal="-",
        ),
        compared(
            "... client calls during the rotations",
            "calls",
            float(sum(run["client_calls_in_window"] for run in rotations)),
            None,
            goal="-",
        ),
        compared(
            "INI rotation: create, write, prove, disable, delete (`--grace 0`)",
            "s",
            ini,
            None,
            goal="< 2 s",
            met=lambda ours, _: ours < 2.0,
        ),
        compared(
            f"audit: first page of 50 among {args.events:,} events (library call)",
            "s",
            ours,
            theirs,
            goal="< 1 s",
            met=lambda ours, _: ours < 1.0,
            note="official ActionTrail SDK",
        ),
        compared(
            "`akless audit KEY --first-seen` (process wall time)",
            "s",
            first_seen,
            None,
            goal="< 1 s",
            met=lambda ours, _: ours < 1.0,
        ),
        compared(
            "`akless audit KEY --limit 50` (process wall time)",
            "s",
            limited,
            None,
            goal="< 1 s",
            met=lambda ours, _: ours < 1.0,
        ),
        compared(
            f"`akless audit KEY`: the whole summary of {args.events * 9 // 10:,} events",
            "s",
            full,
            None,
            goal="-",
        ),
    ]
    print(comparison_table(rows))
    print()
    print(comparison_spread(rows))
    print(f"\n{args.events:,} events recorded in {loading:.2f} s; median of {args.runs} runs.")
    path = save("response", {"runs": args.runs, "rotations": rotations, "ini_s": ini, "rows": rows})
    print(f"results: {path}")
    print(f"medians: e2e {statistics.median(e2e):.3f} s")


if __name__ == "__main__":
    main()
