"""What the leak-response tests share: the emulator's user key in an INI profile (the default
credential), a private XDG state folder, and a check that nothing printed holds a secret."""

from __future__ import annotations

import os
from pathlib import Path

from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ServiceError
from akless.sts import StsClient
from tests.cli.conftest import Outcome, emulator_env


def home() -> Path:
    return Path(os.environ["HOME"])


def credentials_file() -> Path:
    return home() / ".alibabacloud" / "credentials.ini"


def write_profile(key_id: str, secret: str, name: str = "default") -> Path:
    """An ``access_key`` profile in ``~/.alibabacloud/credentials.ini`` (0600)."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# my laptop key\n[{name}]\ntype = access_key\naccess_key_id = {key_id}\n"
        f"access_key_secret = {secret}\n"
    )
    path.chmod(0o600)
    return path


def profile_key(text: str) -> tuple[str, str]:
    """The key ID and secret of the first profile in an INI text."""
    values = dict(
        line.split(" = ", 1) for line in text.splitlines() if line.startswith("access_key")
    )
    return values["access_key_id"], values["access_key_secret"]


def env(emulator: EmulatorServer, **extra: str | None) -> dict[str, str | None]:
    """The emulator's endpoints, no metadata, the journal folder under HOME."""
    return emulator_env(
        emulator.endpoint,
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
        XDG_STATE_HOME=str(home() / "state"),
        **extra,
    )


def profile_env(emulator: EmulatorServer, **extra: str | None) -> dict[str, str | None]:
    """The emulator's own user key as the default INI profile, and ``env``."""
    identity = emulator.cloud.identity
    write_profile(identity.access_key_id, identity.access_key_secret)
    return env(emulator, **extra)


def assert_no_secret(outcome: Outcome, *secrets: str) -> None:
    assert "Traceback" not in outcome.err
    for secret in secrets:
        assert secret not in outcome.out
        assert secret not in outcome.err


def one_line_error(outcome: Outcome) -> str:
    lines = [line for line in outcome.err.strip().splitlines() if line]
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("akless: ")
    return lines[0]


def keys_of(emulator: EmulatorServer, user: str | None = None) -> dict[str, str]:
    """The user's AccessKeys in the emulator: ID -> status."""
    name = user or emulator.cloud.identity.user_name
    return {key.access_key_id: key.status for key in emulator.cloud.list_access_keys(name)}


def works(emulator: EmulatorServer, credentials: Credentials) -> bool:
    """Whether ``credentials`` sign a call the emulator accepts (STS GetCallerIdentity)."""
    try:
        StsClient(emulator.endpoint).get_caller_identity(credentials)
    except ServiceError:
        return False
    return True
