"""How CLI tests run a command: through ``akless.cli.root.run`` (so the error-to-exit-code
mapping is part of what they test), with click's runner isolating stdin, stdout and stderr."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from akless.cli.root import run


@dataclass(frozen=True)
class Outcome:
    """A finished command: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """Standard output, line by line."""
        return self.out.splitlines()


Akless = Callable[..., Outcome]


@pytest.fixture
def akless() -> Akless:
    """``akless("whoami", "--output", "json", env={...}, input="...")`` -> ``Outcome``."""

    def invoke(
        *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> Outcome:
        runner = CliRunner()
        with runner.isolation(input=input, env=env) as (stdout, stderr, _):
            code = run(list(args))
        return Outcome(code, stdout.getvalue().decode(), stderr.getvalue().decode())

    return invoke


def emulator_env(endpoint: str, **extra: str | None) -> dict[str, str | None]:
    """Variables that point every endpoint at the emulator (and undo conftest's metadata block)."""
    return {
        "ALIBABA_CLOUD_STS_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": None,
        "ALIBABA_CLOUD_RAM_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_KMS_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT": endpoint,
        **extra,
    }
