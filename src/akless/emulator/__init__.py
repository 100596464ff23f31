"""The local Alibaba Cloud emulator (``akless[emulator]``): the ECS metadata service, STS and
an OIDC issuer on one loopback port, with real signature checks, real expiry and fault
injection. Start it with ``akless emulator serve`` or, in Python, ``EmulatorServer``."""

from __future__ import annotations

from akless.emulator.cloud import Cloud
from akless.emulator.faults import Fault
from akless.emulator.identity import Identity
from akless.emulator.server import EmulatorServer, serve_forever

__all__ = ["Cloud", "EmulatorServer", "Fault", "Identity", "serve_forever"]
