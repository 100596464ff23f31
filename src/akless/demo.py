"""``make demo``: what akless does, against the embedded emulator, with no cloud account.

It starts the emulator on a free loopback port, reads the instance role's STS credential from
the metadata service in hardened (token) mode, asks STS who that credential is, and prints the
identity. No secret is printed.
"""

from __future__ import annotations

import sys
import time

from akless import mask_key_id
from akless._time import format_timestamp
from akless.errors import AklessError
from akless.metadata import MetadataClient
from akless.sts import StsClient


def main() -> int:
    """Run the demo; 0 on success."""
    try:
        from akless.testing import running_emulator
    except ImportError as error:  # pragma: no cover - make demo installs the extra
        print(f"demo: needs the emulator extra ({error.name}): pip install 'akless[all]'")
        return 2
    started = time.perf_counter()
    with running_emulator(hardened_only=True) as emulator:
        print(f"emulator         {emulator.endpoint}  (hardened-only metadata service)")
        metadata = MetadataClient(emulator.endpoint, allow_tokenless=False)
        try:
            role = metadata.role_name()
            credentials = metadata.role_credentials(role)
            identity = StsClient(emulator.endpoint).get_caller_identity(credentials)
        except AklessError as error:
            print(f"demo failed: {error}", file=sys.stderr)
            return 1
        expires = format_timestamp(credentials.expiration or 0)
        rows = [
            ("instance role", role),
            ("credential", f"{mask_key_id(credentials.access_key_id)} (STS, expires {expires})"),
            ("provider", credentials.provider_name),
            ("account", identity.account_id),
            ("identity", f"{identity.arn} ({identity.identity_type})"),
        ]
        for label, value in rows:
            print(f"{label:<16} {value}")
    print(f"done in {time.perf_counter() - started:.2f} s; no secret was printed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
