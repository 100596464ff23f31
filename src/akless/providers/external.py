"""Credentials printed by a command (``external``): the aliyun CLI ``External`` mode.

The command prints one JSON object on stdout::

    {"mode": "AK" | "StsToken", "access_key_id": "...", "access_key_secret": "...",
     "sts_token": "...", "expiration": "2006-01-02T15:04:05Z"}

``sts_token`` is required for ``StsToken``; ``expiration`` is optional. A credential without one
is reused for the refresh engine's no-expiry period (15 minutes), not fetched on every call.

The command runs without a shell (a string is split with ``shlex``), with stdin closed and
stderr passed through, so a helper's prompts and messages reach the user. Its stdout is read up
to ``max_output_bytes`` and it is killed after ``timeout`` seconds. Errors name the program
(``argv[0]``) only: its arguments may carry secrets, and its output is never quoted.

Reading with a deadline uses ``selectors`` on the pipe, which needs POSIX.
"""

from __future__ import annotations

import os
import selectors
import shlex
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from akless._env import Environ
from akless._parsing import parse_json, utc_timestamp
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import ConfigurationError, CredentialsRefreshError
from akless.provider import RefreshingProvider
from akless.refresh import Refresher

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024
MODES = ("AK", "StsToken")
_CHUNK = 65536
_POLL = 0.05
"""How often an idle read checks whether the command has exited (a helper that leaves a
background process holding stdout open must not keep us waiting for the timeout)."""
PROVIDER_NAME = "external"


def split_command(command: str | Sequence[str]) -> tuple[str, ...]:
    """The command's argv: a string is split the POSIX-shell way, without running a shell."""
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError as error:  # "No closing quotation": the command itself is not shown
            raise ConfigurationError(
                f"the external credentials command cannot be parsed: {error}", source="command"
            ) from None
    else:
        argv = list(command)
    if not argv or not all(isinstance(part, str) for part in argv) or not argv[0]:
        raise ConfigurationError(
            "the external credentials command must be a non-empty command line or list of strings",
            source="command",
        )
    return tuple(argv)


def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    max_output_bytes: int,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """Run ``argv`` and return its stdout; errors name ``argv[0]`` only."""
    program = argv[0]
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None,  # the user's terminal: prompts and diagnostics show
            env=None if environ is None else dict(environ),
        )
    except FileNotFoundError:
        raise _cannot_run(program, "was not found (is it installed and on PATH?)") from None
    except PermissionError:
        raise _cannot_run(program, "is not executable (check its permissions)") from None
    except OSError as error:
        raise _cannot_run(program, f"could not be started: {error.strerror}") from None
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    try:
        output = _read_bounded(process, process.stdout, program, deadline, max_output_bytes)
        try:
            returncode = process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise _timed_out(program, timeout) from None
    except _Deadline:
        raise _timed_out(program, timeout) from None
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
    if returncode != 0:
        how = (
            f"was killed by signal {-returncode}"
            if returncode < 0
            else f"exited with status {returncode}"
        )
        raise CredentialsRefreshError(
            f"the external credentials command {program!r} {how} (its own messages, if any, "
            "went to stderr)",
            provider=PROVIDER_NAME,
        )
    return output


class _Deadline(Exception):
    """The command's time is up."""


def _read_bounded(
    process: subprocess.Popen[bytes],
    stdout: IO[bytes],
    program: str,
    deadline: float,
    limit: int,
) -> bytes:
    """stdout until end of file (or the command's exit), before ``deadline``, at most ``limit``
    bytes."""
    chunks: list[bytes] = []
    size = 0
    descriptor = stdout.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Deadline
            if not selector.select(min(left, _POLL)):
                if process.poll() is not None:
                    break  # exited; a process it left behind may still hold the pipe
                continue
            chunk = os.read(descriptor, _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise ConfigurationError(
                    f"the external credentials command {program!r} printed more than {limit} "
                    "bytes on stdout and was stopped (expected one small JSON object)",
                    source="command",
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _cannot_run(program: str, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"the external credentials command {program!r} {why}", source="command"
    )


def _timed_out(program: str, timeout: float) -> CredentialsRefreshError:
    return CredentialsRefreshError(
        f"the external credentials command {program!r} did not finish within {timeout:g} "
        "seconds and was stopped",
        provider=PROVIDER_NAME,
    )


def _wrong_output(program: str, what: str) -> ConfigurationError:
    return ConfigurationError(
        f"the external credentials command {program!r} printed {what} (expected the aliyun CLI "
        'External format: {"mode": "AK" or "StsToken", "access_key_id", "access_key_secret", '
        '"sts_token", "expiration"})',
        source="command",
    )


def parse_output(output: bytes, program: str) -> Credentials:
    """The credential in the command's stdout, in the aliyun CLI ``External`` format; errors
    name what is wrong, never quoting the output."""
    parsed = parse_json(output)
    if parsed.problem is not None:
        raise _wrong_output(program, "something that is not JSON")
    data = parsed.value
    if not isinstance(data, dict):
        raise _wrong_output(program, "JSON that is not an object")
    mode = data.get("mode")
    if mode is None:
        raise _wrong_output(program, "no mode")
    if mode not in MODES:
        raise _wrong_output(program, 'a mode that is neither "AK" nor "StsToken"')
    return Credentials(
        _text(data, "access_key_id", program),
        _text(data, "access_key_secret", program),
        _text(data, "sts_token", program) if mode == "StsToken" else None,
        expiration=_expiration(data, program),
        provider_name=PROVIDER_NAME,
    )


def _text(data: dict[str, Any], name: str, program: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _wrong_output(program, f"no {name}" if value is None else f"an invalid {name}")
    return value.strip()


def _expiration(data: dict[str, Any], program: str) -> float | None:
    value = data.get("expiration")
    if value is None or value == "":
        return None
    expiration = utc_timestamp(value.strip()) if isinstance(value, str) else None
    if expiration is not None:
        return expiration
    raise _wrong_output(
        program, "an expiration that is not a time in the form YYYY-MM-DDThh:mm:ssZ"
    )


class ExternalProcessProvider(RefreshingProvider):
    """The ``external`` provider: runs ``command`` (see the module docstring).

    ``environ`` is the command's whole environment (``os.environ`` when not given).
    """

    name = PROVIDER_NAME

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        environ: Environ | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._argv = split_command(command)
        if not timeout > 0:
            raise ConfigurationError(
                f"the external command timeout must be positive, not {timeout!r}",
                source="timeout",
            )
        if max_output_bytes <= 0:
            raise ConfigurationError(
                f"max_output_bytes must be positive, not {max_output_bytes!r}",
                source="max_output_bytes",
            )
        self._timeout = float(timeout)
        self._max_output_bytes = max_output_bytes
        self._environ = environ
        self._refresher = Refresher(self._fetch, name=self.name, clock=clock)

    @property
    def program(self) -> str:
        """The program the command runs (``argv[0]``); its arguments are not exposed."""
        return self._argv[0]

    def __repr__(self) -> str:
        return f"ExternalProcessProvider(program={self.program!r})"

    def _fetch(self) -> Credentials:
        output = run_command(
            self._argv,
            timeout=self._timeout,
            max_output_bytes=self._max_output_bytes,
            environ=self._environ,
        )
        return parse_output(output, self.program)
