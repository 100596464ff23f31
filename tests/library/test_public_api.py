"""The package's public surface: exactly these names, all resolvable, one shallow error tree, and
an import that pulls in nothing but the standard library."""

from __future__ import annotations

import builtins
import importlib.metadata
import json
import logging
import subprocess
import sys
import textwrap

import pytest

import akless
from akless import errors

EXPECTED_ALL = [
    "AklessError",
    "ChainProvider",
    "Client",
    "Config",
    "ConfigurationError",
    "CredentialModel",
    "Credentials",
    "CredentialsProvider",
    "CredentialsRefreshError",
    "CredentialsUnavailable",
    "MalformedResponse",
    "NoCredentialsFound",
    "ServiceError",
    "TransportError",
    "TransportTimeout",
    "__version__",
    "default_chain",
    "mask_key_id",
    "use_profile",
]
ERRORS = [
    errors.ConfigurationError,
    errors.CredentialsUnavailable,
    errors.NoCredentialsFound,
    errors.CredentialsRefreshError,
    errors.TransportError,
    errors.TransportTimeout,
    errors.ServiceError,
    errors.MalformedResponse,
]
THIRD_PARTY_HEAVYWEIGHTS = [
    "starlette",
    "uvicorn",
    "click",
    "rich",
    "jwt",
    "cryptography",
    "requests",
    "httpx",
    "Tea",
    "alibabacloud_credentials",
]


def test_all_is_exactly_the_expected_list() -> None:
    assert akless.__all__ == EXPECTED_ALL


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(akless, name) is not None


def test_the_version_matches_the_installed_distribution() -> None:
    assert akless.__version__ == importlib.metadata.version("akless")


def test_exported_errors_are_the_ones_in_the_errors_module() -> None:
    for error in [errors.AklessError, *ERRORS]:
        assert getattr(akless, error.__name__) is error


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.__name__)
def test_every_error_is_an_akless_error(error: type[Exception]) -> None:
    assert issubclass(error, akless.AklessError)


SECOND_LEVEL = {
    akless.TransportTimeout: akless.TransportError,
    akless.NoCredentialsFound: akless.CredentialsUnavailable,
}
"""The only errors two levels deep, each under the one its callers already catch."""


def test_the_error_tree_is_shallow() -> None:
    for error in ERRORS:
        assert error.__mro__[1] is SECOND_LEVEL.get(error, akless.AklessError)


@pytest.mark.parametrize("error", [errors.AklessError, *ERRORS], ids=lambda error: error.__name__)
def test_no_error_reuses_a_built_in_name(error: type[Exception]) -> None:
    assert not hasattr(builtins, error.__name__)


def test_errors_carry_their_fields() -> None:
    service = akless.ServiceError(
        "boom", endpoint="http://sts.test", status=400, code="X", request_id="R"
    )
    timeout = akless.TransportTimeout("slow", url="http://sts.test/")

    assert (service.endpoint, service.status, service.code, service.request_id) == (
        "http://sts.test",
        400,
        "X",
        "R",
    )
    assert timeout.url == "http://sts.test/"
    assert akless.ConfigurationError("bad", source="FILE").source == "FILE"
    assert akless.CredentialsUnavailable("no", provider="env").provider == "env"
    assert akless.MalformedResponse("odd", endpoint="e", field="f").field == "f"


def modules_imported_by(statement: str) -> list[str]:
    """Top-level names of the non-standard-library modules ``statement`` loads, in a fresh
    interpreter (so what this test session already imported does not count)."""
    program = textwrap.dedent(
        f"""
        import json, sys
        before = set(sys.modules)
        {statement}
        loaded = {{name.split(".")[0] for name in set(sys.modules) - before}}
        print(json.dumps(sorted(loaded - set(sys.stdlib_module_names))))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, check=True
    )
    loaded: list[str] = json.loads(completed.stdout)
    return loaded


def test_importing_akless_imports_no_third_party_module() -> None:
    assert modules_imported_by("import akless") == ["akless"]


def test_the_network_layer_imports_no_third_party_module() -> None:
    statement = "import akless.transport, akless._openapi, akless.sts, akless.metadata"

    loaded = modules_imported_by(statement)

    assert loaded == ["akless"]
    assert not set(loaded) & set(THIRD_PARTY_HEAVYWEIGHTS)


def test_importing_and_using_akless_adds_no_logging_handler() -> None:
    """The library logs to ``logging.getLogger("akless")`` and leaves handlers to the app
    (the official library adds three StreamHandlers to its logger at import)."""
    probe = (
        "import logging\n"
        "import akless, akless.providers.ecs_ram_role, akless.refresh, akless.metadata\n"
        "from akless import Client, Config\n"
        "Client(Config(type='access_key', access_key_id='LTAI5tExample', "
        "access_key_secret='x' * 30)).get_credential()\n"
        "loggers = [logging.getLogger(name) for name in logging.root.manager.loggerDict]\n"
        "print(sum(len(logger.handlers) for logger in [logging.root, *loggers]))\n"
        "print(logging.getLogger('akless').level)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )

    assert done.stdout.split() == ["0", str(logging.NOTSET)]
