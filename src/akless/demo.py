"""``make demo``: the default credential chain, against the embedded emulator, no cloud account.

Two places an application runs, each with nothing but ``akless.Client()`` in its code:

1. an ECS instance with a RAM role: the chain reads the role's credential from the metadata
   service in hardened (token) mode;
2. an ACK pod with RRSA: the chain exchanges the pod's OIDC token for the role's credential.

Credentials are made to live 6 seconds, so each scenario shows the chain renewing one while the
application keeps calling ``GetCallerIdentity``. Your own config files and variables are set
aside for the demo. No secret is printed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from akless import Client, mask_key_id
from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.errors import AklessError
from akless.sts import StsClient

if TYPE_CHECKING:
    from akless.emulator import EmulatorServer

LIFETIME = 6.0
"""Seconds each emulated STS credential lives (the real minimum is 900)."""
CALL_EVERY = 0.5


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """Run with exactly these ALIBABA_CLOUD_* variables (the user's own are set aside)."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("ALIBABA")}
    for name in saved:
        del os.environ[name]
    os.environ.update(variables)
    try:
        yield
    finally:
        for name in variables:
            os.environ.pop(name, None)
        os.environ.update(saved)


def _run_application(title: str, emulator: EmulatorServer, variables: dict[str, str]) -> None:
    """What an application does: ``Client()`` once, then keep calling STS with it."""
    print(f"\n{title}")
    for name, value in variables.items():
        print(f"  {name}={value}")
    with _environment(variables):
        client = Client()
        sts = StsClient(emulator.endpoint)
        seen: list[str] = []
        started = time.monotonic()
        while len(seen) < 2 and time.monotonic() - started < 4 * LIFETIME:
            model = client.get_credential()  # what an SDK client asks for on every call
            key = model.access_key_id or ""
            if key not in seen:
                seen.append(key)
                credentials = Credentials(key, model.access_key_secret or "", model.security_token)
                identity = sts.get_caller_identity(credentials)
                expiration = client.provider.get_credentials().expiration or 0.0
                verb = "got" if len(seen) == 1 else "renewed"
                print(
                    f"  {time.monotonic() - started:4.1f}s  {verb} {mask_key_id(key)} from "
                    f"{model.provider_name}, expires {format_timestamp(expiration)}\n"
                    f"         GetCallerIdentity: {identity.arn}"
                )
            time.sleep(CALL_EVERY)


def main() -> int:
    """Run both scenarios; 0 on success."""
    try:
        from akless.testing import running_emulator
    except ImportError as error:  # pragma: no cover - make demo installs the extra
        print(f"demo: needs the emulator extra ({error.name}): pip install 'akless[all]'")
        return 2
    started = time.perf_counter()
    with running_emulator(hardened_only=True) as emulator, tempfile.TemporaryDirectory() as tmp:
        cloud = emulator.cloud
        cloud.set_credential_lifetime(LIFETIME)
        print(f"emulator at {emulator.endpoint}: credentials live {LIFETIME:g} s in this demo")
        isolated = {  # no profile file of yours takes part
            "ALIBABA_CLOUD_CONFIG_FILE": str(Path(tmp, "no-cli-config.json")),
            "ALIBABA_CLOUD_CREDENTIALS_FILE": str(Path(tmp, "no-credentials.ini")),
        }
        token_file = Path(tmp, "rrsa-token")
        token_file.write_text(cloud.mint_oidc_token("system:serviceaccount:shop:checkout"))
        try:
            _run_application(
                "1. on an ECS instance with a RAM role (hardened-only metadata service)",
                emulator,
                {**isolated, "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": emulator.endpoint},
            )
            _run_application(
                "2. in an ACK pod with RRSA (what ack-pod-identity-webhook injects)",
                emulator,
                {
                    **isolated,
                    "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
                    "ALIBABA_CLOUD_ROLE_ARN": cloud.identity.oidc_role_arn,
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": cloud.identity.oidc_provider_arn,
                    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
                    "ALIBABA_CLOUD_STS_ENDPOINT": emulator.endpoint,
                },
            )
        except AklessError as error:
            print(f"demo failed: {error}", file=sys.stderr)
            return 1
    print(f"\ndone in {time.perf_counter() - started:.1f} s; no secret was printed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
