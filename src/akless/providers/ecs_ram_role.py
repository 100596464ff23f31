"""The ECS instance's RAM role, from the metadata service, in hardened (token) mode.

Off the cloud this step must cost nearly nothing:

* on a machine whose DMI vendor (``/sys/class/dmi/id/sys_vendor``) is readable and is not
  Alibaba Cloud, the default metadata address is not even contacted;
* otherwise one attempt with 1-second timeouts decides, and a metadata service that does not
  answer is remembered as absent for the rest of the process (``NOT_ON_ECS``).

Only the first fetch asks for the metadata token and the role name; each later refresh is one
GET, because both are cached.
"""

from __future__ import annotations

import threading
from pathlib import Path

from akless import _env
from akless._env import Environ
from akless._time import Clock, system_clock
from akless.credentials import Credentials
from akless.errors import CredentialsUnavailable, ServiceError, TransportError
from akless.metadata import CREDENTIALS_PATH, DEFAULT_ENDPOINT, METADATA_TIMEOUT, MetadataClient
from akless.provider import RefreshingProvider
from akless.refresh import Refresher
from akless.transport import Timeout, Transport

DMI_VENDOR = Path("/sys/class/dmi/id/sys_vendor")


class Unreachable:
    """Metadata endpoints known not to answer, with why; shared by every provider in a process."""

    def __init__(self) -> None:
        self._why: dict[str, str] = {}
        self._lock = threading.Lock()

    def why(self, endpoint: str) -> str | None:
        """Why ``endpoint`` is known to be absent, or ``None``."""
        return self._why.get(endpoint)

    def remember(self, endpoint: str, why: str) -> None:
        """Remember that ``endpoint`` does not answer."""
        with self._lock:
            self._why[endpoint] = why

    def forget(self) -> None:
        """Forget everything (after moving the process, or in tests)."""
        with self._lock:
            self._why.clear()


NOT_ON_ECS = Unreachable()
"""The process-wide memory of metadata endpoints that did not answer."""


def dmi_vendor(path: Path = DMI_VENDOR) -> str | None:
    """The machine's DMI system vendor, or ``None`` when it cannot be read (no network used)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


class EcsRamRoleProvider(RefreshingProvider):
    """The ``ecs_ram_role`` provider.

    ``role_name`` (or ``ALIBABA_CLOUD_ECS_METADATA``) saves the role-name lookup.
    ``endpoint`` (or ``ALIBABA_CLOUD_ECS_METADATA_ENDPOINT``) points at another metadata service,
    such as the emulator. ``disable_imds_v1`` (or ``ALIBABA_CLOUD_IMDSV1_DISABLED``) forbids
    tokenless reads even where the service has no token endpoint.
    """

    name = "ecs_ram_role"

    def __init__(
        self,
        *,
        role_name: str | None = None,
        endpoint: str | None = None,
        disable_imds_v1: bool | None = None,
        timeout: Timeout = METADATA_TIMEOUT,
        transport: Transport | None = None,
        environ: Environ | None = None,
        clock: Clock = system_clock,
        unreachable: Unreachable = NOT_ON_ECS,
        dmi_path: Path = DMI_VENDOR,
    ) -> None:
        self._environ = environ
        self._role_name = role_name or _env.ECS_METADATA.get(environ)
        self._metadata = MetadataClient(
            endpoint,
            transport=transport,
            clock=clock,
            timeout=timeout,
            allow_tokenless=None if disable_imds_v1 is None else not disable_imds_v1,
            environ=environ,
        )
        self._unreachable = unreachable
        self._dmi_path = dmi_path
        self._discovered_role: str | None = None
        self._answered = False
        self._refresher = Refresher(self._fetch, name=self.name, clock=clock)

    @property
    def endpoint(self) -> str:
        """The metadata service this provider reads."""
        return self._metadata.endpoint

    def get_credentials(self) -> Credentials:
        """The instance role's credential; unavailable off ECS or when disabled."""
        self._check_enabled()
        return super().get_credentials()

    async def get_credentials_async(self) -> Credentials:
        """The instance role's credential, without blocking the event loop."""
        self._check_enabled()
        return await super().get_credentials_async()

    def _check_enabled(self) -> None:
        if _env.ECS_METADATA_DISABLED.is_true(self._environ):
            raise CredentialsUnavailable(
                f"{_env.ECS_METADATA_DISABLED.name} is true", provider=self.name
            )
        why = self._unreachable.why(self.endpoint)
        if why is not None and not self._answered:
            raise CredentialsUnavailable(why, provider=self.name)

    def _fetch(self) -> Credentials:
        endpoint = self.endpoint
        if endpoint == DEFAULT_ENDPOINT and not self._answered:
            vendor = dmi_vendor(self._dmi_path)
            if vendor is not None and "alibaba" not in vendor.lower():
                why = f"not an Alibaba Cloud ECS instance (DMI vendor {vendor[:60]!r})"
                self._unreachable.remember(endpoint, why)
                raise CredentialsUnavailable(why, provider=self.name)
        try:
            # The token comes first, on its own: any answer to it proves a metadata service is
            # there (a later network failure is an outage, not "not on ECS" for the whole
            # process), and its errors must not be mistaken for the role lookup's 404.
            self._metadata.token()
            self._answered = True
            role = self._role_name or self._discovered_role or self._discover_role()
            credentials = self._metadata.role_credentials(role)
        except TransportError as error:
            if self._answered:
                raise  # it answered before: a real outage, which the refresher handles
            why = f"no instance metadata service answered at {endpoint} ({error}); not on ECS?"
            self._unreachable.remember(endpoint, why)
            raise CredentialsUnavailable(why, provider=self.name) from error
        except ServiceError as error:
            if error.status == 404 and self._discovered_role is not None:
                self._discovered_role = None  # the role was replaced: look it up again next time
            raise
        self._answered = True
        return credentials

    def _discover_role(self) -> str:
        try:
            role = self._metadata.role_name()
        except ServiceError as error:
            if error.status == 404:
                raise CredentialsUnavailable(
                    f"no RAM role is attached to this instance ({endpoint_path(self.endpoint)} "
                    "answered 404)",
                    provider=self.name,
                ) from error
            raise
        self._answered = True
        self._discovered_role = role
        return role


def endpoint_path(endpoint: str) -> str:
    """The URL of the role-name listing at ``endpoint``."""
    return f"{endpoint}/latest/{CREDENTIALS_PATH}"
