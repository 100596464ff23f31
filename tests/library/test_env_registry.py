"""The environment-variable registry: one declared, documented entry per variable, read at
call time through an ``environ`` mapping (``os.environ`` only when none is given)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from akless import _env
from akless._env import EnvVar

OFFICIAL_NAMES = {
    # spec/official-credentials-behaviour.md section 1c (the legacy IMDSV2_ENABLE left out)
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
    "ALIBABA_CLOUD_CONFIG_FILE",
    "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
    "ALIBABA_CLOUD_IMDSV1_DISABLED",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_CREDENTIALS_URI",
    "ALIBABA_CLOUD_STS_REGION",
    "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED",
    # the aliyun CLI's and SDKs' region variable, which regional API clients (KMS, ActionTrail) read
    "ALIBABA_CLOUD_REGION_ID",
    # the aliyun CLI's own switch, which akless exec sets for the programs it runs
    "ALIBABA_CLOUD_IGNORE_PROFILE",
}
ENDPOINT_OVERRIDES = {
    # DESIGN.md, "Environment variables": akless's own, so the emulator can stand in
    "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT",
    "ALIBABA_CLOUD_STS_ENDPOINT",
    "ALIBABA_CLOUD_RAM_ENDPOINT",
    "ALIBABA_CLOUD_KMS_ENDPOINT",
    "ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT",
}
AKLESS_OWN = {
    # akless's own switches, named AKLESS_ so nobody mistakes them for official behaviour
    "AKLESS_ALLOW_HTTP_CREDENTIALS_URI",
    "AKLESS_EXPORT_DEPTH",
}
STANDARD = {
    # not Alibaba's nor akless's: the XDG base-directory variables for caches and state
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
}
NAMES = [variable.name for variable in _env.ALL]


# --- the registry ---------------------------------------------------------------------------


@pytest.mark.parametrize("variable", _env.ALL, ids=NAMES)
def test_every_variable_is_an_alibaba_cloud_or_akless_name_with_a_one_line_doc(
    variable: EnvVar,
) -> None:
    assert variable.name.startswith(("ALIBABA_CLOUD_", "AKLESS_")) or variable.name in STANDARD
    assert variable.name == variable.name.upper()
    assert variable.doc.strip() == variable.doc
    assert variable.doc
    assert "\n" not in variable.doc


def test_names_are_unique() -> None:
    assert len(NAMES) == len(set(NAMES))


def test_every_official_variable_is_registered() -> None:
    assert set(NAMES) >= OFFICIAL_NAMES


def test_every_endpoint_override_is_registered() -> None:
    assert set(NAMES) >= ENDPOINT_OVERRIDES


def test_the_registry_is_exactly_the_official_names_and_the_overrides() -> None:
    # A new variable is a design decision: add it to DESIGN.md and here.
    assert set(NAMES) == OFFICIAL_NAMES | ENDPOINT_OVERRIDES | AKLESS_OWN | STANDARD


def test_akless_own_variables_start_with_akless() -> None:
    own = set(NAMES) - OFFICIAL_NAMES - ENDPOINT_OVERRIDES - STANDARD

    assert own
    assert all(name.startswith("AKLESS_") for name in own)


def test_variables_are_frozen() -> None:
    with pytest.raises(AttributeError):
        _env.STS_ENDPOINT.name = "OTHER"  # type: ignore[misc]


# --- reading --------------------------------------------------------------------------------


def test_get_returns_the_stripped_value() -> None:
    assert _env.STS_REGION.get({"ALIBABA_CLOUD_STS_REGION": "  cn-hangzhou\n"}) == "cn-hangzhou"


@pytest.mark.parametrize(
    "environ", [{}, {"ALIBABA_CLOUD_STS_REGION": ""}, {"ALIBABA_CLOUD_STS_REGION": " \t"}]
)
def test_get_treats_unset_and_blank_alike(environ: dict[str, str]) -> None:
    assert _env.STS_REGION.get(environ) is None


def test_get_reads_only_its_own_exact_name() -> None:
    environ = {"ALIBABA_CLOUD_STS_ENDPOINT": "x", "alibaba_cloud_sts_region": "y"}

    assert _env.STS_REGION.get(environ) is None


@pytest.mark.parametrize("value", ["true", "TRUE", "True", " true "])
def test_is_true_accepts_true_in_any_case(value: str) -> None:
    assert _env.IMDSV1_DISABLED.is_true({"ALIBABA_CLOUD_IMDSV1_DISABLED": value})


@pytest.mark.parametrize("value", ["1", "yes", "on", "false", "", "truthy"])
def test_is_true_rejects_everything_else(value: str) -> None:
    assert not _env.IMDSV1_DISABLED.is_true({"ALIBABA_CLOUD_IMDSV1_DISABLED": value})


def test_is_true_is_false_when_unset() -> None:
    assert not _env.IMDSV1_DISABLED.is_true({})


def test_without_a_mapping_os_environ_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _env.STS_REGION.get() is None  # cleared by tests/conftest.py

    monkeypatch.setenv("ALIBABA_CLOUD_STS_REGION", "eu-central-1")
    assert _env.STS_REGION.get() == "eu-central-1"

    monkeypatch.setenv("ALIBABA_CLOUD_STS_REGION", "us-west-1")
    assert _env.STS_REGION.get() == "us-west-1"


def test_a_given_mapping_is_used_instead_of_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_STS_REGION", "from-os-environ")

    assert _env.STS_REGION.get({}) is None


def test_importing_akless_reads_no_alibaba_cloud_or_akless_variable() -> None:
    # A fresh interpreter whose os.environ records every name looked up before akless loads.
    program = textwrap.dedent(
        """
        import json, os

        class Recording(dict):
            reads = []
            def get(self, key, default=None):
                Recording.reads.append(key)
                return super().get(key, default)
            def __getitem__(self, key):
                Recording.reads.append(key)
                return super().__getitem__(key)
            def __contains__(self, key):
                Recording.reads.append(key)
                return super().__contains__(key)

        os.environ = Recording(os.environ)
        import akless, akless._env, akless.transport, akless.sts, akless.metadata
        import akless.providers.credentials_uri, akless.providers.external
        ours = [name for name in Recording.reads if name.upper().startswith(("ALIBABA", "AKLESS"))]
        print(json.dumps(ours))
        """
    )
    environment = {"ALIBABA_CLOUD_STS_REGION": "cn-hangzhou", "PATH": "/usr/bin:/bin"}

    completed = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
        check=True,
    )

    assert json.loads(completed.stdout) == []
