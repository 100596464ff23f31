"""The warnings ``akless doctor`` raises, those a security reviewer would: a long-term AccessKey
where a role is available, credential files others can read, the metadata service without
hardened mode or with tokenless reads allowed, a skewed clock, environment keys hiding a profile.

Kept apart from the walk in ``akless.doctor``; each check reads only what it is given, plus (for
the metadata checks) one look at the metadata service.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from akless import _env
from akless._env import Environ
from akless.credentials import Credentials, mask_key_id
from akless.errors import AklessError, TransportError
from akless.providers.ecs_ram_role import DMI_VENDOR, Unreachable
from akless.transport import Transport

MAX_SKEW = 60.0
"""Warn above a minute; Alibaba Cloud refuses signed requests past 15 minutes."""
SKEW_REFUSED = "InvalidTimeStamp.Expired"
RRSA_VARIABLES = (_env.ROLE_ARN, _env.OIDC_PROVIDER_ARN, _env.OIDC_TOKEN_FILE)
_TOKEN_ABSENT = (404, 405)


@dataclass(frozen=True)
class Finding:
    """Something a security reviewer would raise: a stable ``code``, what is wrong, the fix."""

    code: str
    message: str
    fix: str


@dataclass(frozen=True)
class Probe:
    """What one look at the metadata service found: the status of the token request
    (``PUT /latest/api/token``) and the attached role's name, if any."""

    endpoint: str
    token_status: int
    role: str | None


def probe_metadata(
    environ: Environ | None,
    transport: Transport | None,
    dmi_path: Path = DMI_VENDOR,
    unreachable: Unreachable | None = None,
) -> Probe | None:
    """Look at the metadata service once (1 s timeouts), unless it is disabled, known not to
    answer, or is the default address on a machine whose DMI vendor is not Alibaba Cloud."""
    from akless.metadata import MetadataClient
    from akless.providers.ecs_ram_role import dmi_vendor

    if _env.ECS_METADATA_DISABLED.is_true(environ):
        return None
    if not _env.ECS_METADATA_ENDPOINT.get(environ):
        vendor = dmi_vendor(dmi_path)
        if vendor is None or "alibaba" not in vendor.lower():
            return None
    try:
        endpoint = MetadataClient(environ=environ).endpoint
    except AklessError:  # a malformed endpoint: the ECS step reports it
        return None
    if unreachable is not None and unreachable.why(endpoint):
        return None
    if transport is not None:
        return _look(transport, endpoint)
    from akless._http import HttpTransport

    own = HttpTransport(environ={})  # the metadata service is never proxied
    try:
        return _look(own, endpoint)
    finally:
        own.close()


def _look(transport: Transport, endpoint: str) -> Probe | None:
    from akless.metadata import CREDENTIALS_PATH, METADATA_TIMEOUT, TOKEN_HEADER, TOKEN_TTL_HEADER
    from akless.transport import Request

    base = f"{endpoint}/latest"
    try:
        token = transport.send(
            Request("PUT", f"{base}/api/token", {TOKEN_TTL_HEADER: "60"}, b"", METADATA_TIMEOUT)
        )
    except TransportError:
        return None
    headers = {TOKEN_HEADER: token.text().strip()} if token.status == 200 else {}

    def get(path: str) -> str | None:
        try:
            answer = transport.send(
                Request("GET", f"{base}/{path}", headers, b"", METADATA_TIMEOUT)
            )
        except TransportError:
            return None
        return answer.text() if answer.status == 200 else None

    # Without a token, only a metadata read proves this is a metadata service at all (any web
    # server answers 404 to PUT /latest/api/token).
    if token.status != 200 and get("meta-data/instance-id") is None:
        return None
    listing = get(CREDENTIALS_PATH)
    role = next(iter(listing.split()), None) if listing is not None else None
    return Probe(endpoint, token.status, role)


class Checks:
    """Runs the checks; what they raise is collected in ``found``, in the order they ran."""

    def __init__(self, environ: Environ | None, credentials: Credentials | None) -> None:
        self._environ = environ
        self._credentials = credentials
        self.found: list[Finding] = []

    def _add(self, code: str, message: str, fix: str) -> None:
        self.found.append(Finding(code, message, fix))

    def open_files(self, files: Sequence[tuple[str, str | None]]) -> None:
        """``files``: the path and mode of each credential file others can read."""
        for path, mode in dict(files).items():
            self._add(
                "file-readable-by-others",
                f"{path} holds credentials and other users can read it (mode {mode})",
                f"chmod 600 {shlex.quote(path)}",
            )

    def long_term_key(self, probe: Probe | None) -> None:
        credentials = self._credentials
        if credentials is None or credentials.is_temporary or credentials.bearer_token:
            return
        if all(variable.get(self._environ) for variable in RRSA_VARIABLES):
            role = "RRSA is set up (" + ", ".join(v.name for v in RRSA_VARIABLES) + " are set)"
        elif probe is not None and probe.role is not None:
            role = f"this ECS instance has the RAM role {probe.role!r}"
        else:
            return
        source = credentials.provider_name.removeprefix("default/").split("/")[0]
        how = (
            f"unset {_env.ACCESS_KEY_ID.name} and {_env.ACCESS_KEY_SECRET.name}"
            if source == "env"
            else "remove the AccessKey profile (or make it use the role)"
        )
        self._add(
            "long-term-key-with-role",
            f"a long-term AccessKey {mask_key_id(credentials.access_key_id)} is in use "
            f"({credentials.provider_name}) while {role}",
            f"{how} so that the chain uses the role, then disable the key in RAM",
        )

    def metadata(self, probe: Probe | None) -> None:
        if probe is None:
            return
        if probe.token_status in _TOKEN_ABSENT:
            self._add(
                "hardened-metadata-unavailable",
                f"the metadata service at {probe.endpoint} answers but has no token endpoint "
                f"(PUT /latest/api/token: HTTP {probe.token_status}): hardened mode is not "
                "available, so anything that can make this machine send a GET (an SSRF) can "
                "read the role's credentials",
                "require tokens on the instance: aliyun ecs ModifyInstanceMetadataOptions "
                "--InstanceId <id> --HttpTokens required",
            )
        if not _env.IMDSV1_DISABLED.is_true(self._environ):
            self._add(
                "tokenless-fallback-allowed",
                f"on ECS (the metadata service at {probe.endpoint} answers) and "
                f"{_env.IMDSV1_DISABLED.name} is not true: if the token request fails, "
                "credentials are read in tokenless (normal) mode",
                f"export {_env.IMDSV1_DISABLED.name}=true",
            )

    def clock(self, skew: float | None, problem: str | None) -> None:
        fix = "synchronise the clock with NTP (for example: sudo timedatectl set-ntp true)"
        if problem is not None and SKEW_REFUSED in problem:
            self._add("clock-skew", f"STS refused the request for the local time: {problem}", fix)
        elif skew is not None and abs(skew) > MAX_SKEW:
            direction = "ahead of" if skew > 0 else "behind"
            self._add(
                "clock-skew",
                f"the local clock is {abs(skew):.0f} s {direction} the STS server's (its Date "
                "header); past 15 minutes every signed request fails with "
                f"{SKEW_REFUSED}",
                fix,
            )

    def environment_beats_profile(self) -> None:
        if not _env.ACCESS_KEY_ID.get(self._environ):
            return
        found = _selected_profile(self._environ)
        if found is None:
            return
        name, path = found
        self._add(
            "environment-overrides-profile",
            f"{_env.ACCESS_KEY_ID.name} is set and so is profile {name!r} in {path}: the "
            "environment keys win (the chain asks the environment first), the profile is ignored",
            f"to use the profile, unset {_env.ACCESS_KEY_ID.name} {_env.ACCESS_KEY_SECRET.name} "
            f"{_env.SECURITY_TOKEN.name} (or run with --profile {name}); otherwise remove "
            "the profile",
        )


def _selected_profile(environ: Environ | None) -> tuple[str, Path] | None:
    """The profile the profile steps would use, and its file, when one exists."""
    from akless._files import read_credentials_file
    from akless.providers._selection import selected_profile
    from akless.providers.cli_profile import config_path, parse_config
    from akless.providers.profile import DEFAULT_PROFILE, candidate_paths, parse_ini

    chosen = selected_profile(environ)
    try:
        for path in candidate_paths(environ=environ):
            if path.is_file():
                text = read_credentials_file(path, what="credentials file")
                if parse_ini(text, path).has_section(chosen or DEFAULT_PROFILE):
                    return chosen or DEFAULT_PROFILE, path
                break
        path = config_path(environ=environ)
        if not _env.CLI_PROFILE_DISABLED.is_true(environ) and path.is_file():
            current, profiles = parse_config(read_credentials_file(path, what="config"), path)
            name = chosen or current or DEFAULT_PROFILE
            if name in profiles:
                return name, path
    except (AklessError, OSError):  # a broken file is its step's to report
        return None
    return None
