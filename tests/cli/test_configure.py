"""``akless configure``: set (interactive, by flags, secrets from a hidden prompt or stdin), list,
use and remove, every error as one line with its exit code, and a profile it writes working
against the emulator."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from akless import Client
from akless.chain import resolve_provider
from akless.emulator import EmulatorServer
from akless.sts import StsClient
from tests.cli.conftest import Akless, Outcome, emulator_env

SECRET = "planted-cli-secret-0e6b"
TOKEN = "planted-cli-token-4a17"
KEY_ID = "LTAI5tCliExample4321"
ROLE = "acs:ram::123456789012:role/deploy"


def ini() -> Path:
    return Path.home() / ".alibabacloud" / "credentials.ini"


def sections() -> list[str]:
    return [line for line in ini().read_text().splitlines() if line.startswith("[")]


def no_secret(outcome: Outcome) -> None:
    for planted in (SECRET, TOKEN, KEY_ID):
        assert planted not in outcome.out
        assert planted not in outcome.err


def one_error_line(outcome: Outcome, code: int, *fragments: str) -> None:
    assert outcome.code == code, outcome.err
    assert "Traceback" not in outcome.err
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("akless: ")
    for fragment in fragments:
        assert fragment in lines[0]


def set_dev(akless: Akless, key_id: str = KEY_ID, secret: str = SECRET) -> Outcome:
    outcome = akless(
        "configure", "set", "dev", "--type", "access_key", "--access-key-id", key_id,
        "--secret-stdin", input=f"{secret}\n",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    return outcome


# -- set -----------------------------------------------------------------------------------------


def test_set_by_flags_reads_the_secret_from_stdin_and_recommends_a_role(akless: Akless) -> None:
    outcome = set_dev(akless)

    assert outcome.lines == [f"created profile 'dev' (access_key, LTAI****4321) in {ini()}"]
    assert "long-term AccessKey" in outcome.err
    assert "--type ram_role_arn --source-profile dev" in outcome.err
    assert "--type ecs_ram_role" in outcome.err
    assert "--type oidc_role_arn" in outcome.err
    no_secret(outcome)
    assert ini().read_text() == (
        f"[dev]\ntype = access_key\naccess_key_id = {KEY_ID}\naccess_key_secret = {SECRET}\n"
    )
    assert stat.S_IMODE(ini().stat().st_mode) == 0o600
    assert stat.S_IMODE(ini().parent.stat().st_mode) == 0o700


def test_set_prompts_for_the_secret_without_echoing_it(akless: Akless) -> None:
    outcome = akless(
        "configure", "set", "dev", "--type", "access_key", "--access-key-id", KEY_ID,
        input=f"{SECRET}\n",
    )  # fmt: skip

    assert outcome.code == 0, outcome.err
    assert "AccessKey secret" in outcome.out
    no_secret(outcome)
    assert f"access_key_secret = {SECRET}\n" in ini().read_text()


def test_interactive_set_walks_through_the_type_and_its_keys(akless: Akless) -> None:
    outcome = akless("configure", "set", "dev", input=f"access_key\n{KEY_ID}\n{SECRET}\n")

    assert outcome.code == 0, outcome.err
    assert "Type (access_key, sts, bearer" in outcome.out
    assert "created profile 'dev' (access_key, LTAI****4321)" in outcome.out
    assert SECRET not in outcome.out
    assert "long-term AccessKey" in outcome.err
    assert f"access_key_secret = {SECRET}\n" in ini().read_text()


def test_interactive_role_profile_from_a_source_profile_asks_no_secret(akless: Akless) -> None:
    set_dev(akless)

    outcome = akless("configure", "set", "deploy", input=f"ram_role_arn\n{ROLE}\ndev\nci\n")

    assert outcome.code == 0, outcome.err
    assert "accesskey secret" not in outcome.out.lower()  # never prompted for
    assert "long-term" not in outcome.err
    assert (
        ini()
        .read_text()
        .endswith(
            f"[deploy]\ntype = ram_role_arn\nsource_profile = dev\nrole_arn = {ROLE}\n"
            "role_session_name = ci\n"
        )
    )


def test_a_kms_ram_secret_profile_names_the_secret_and_who_reads_it(akless: Akless) -> None:
    set_dev(akless)

    outcome = akless("configure", "set", "app", input="kms_ram_secret\napp-key\ndev\n")

    assert outcome.code == 0, outcome.err
    assert "accesskey secret" not in outcome.out.lower()  # the key lives in KMS, not here
    assert (
        ini()
        .read_text()
        .endswith("[app]\ntype = kms_ram_secret\nsecret_name = app-key\nsource_profile = dev\n")
    )


def test_an_sts_profile_reads_secret_then_token_from_stdin(akless: Akless) -> None:
    outcome = akless(
        "configure", "set", "tmp", "--type", "sts", "--access-key-id", "STS.Example1234567",
        "--secret-stdin", "--token-stdin", input=f"{SECRET}\n{TOKEN}\n",
    )  # fmt: skip

    assert outcome.code == 0, outcome.err
    no_secret(outcome)
    assert f"access_key_secret = {SECRET}\nsecurity_token = {TOKEN}\n" in ini().read_text()


def test_a_policy_file_is_stored_as_one_line_of_json(akless: Akless, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{\n  "Version": "1",\n  "Statement": []\n}\n')

    outcome = akless(
        "configure", "set", "ro", "--type", "ecs_ram_role", "--role-name", "web", "-o", "json",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert json.loads(outcome.out)["action"] == "created"

    outcome = akless(
        "configure", "set", "deploy", "--type", "oidc_role_arn", "--role-arn", ROLE,
        "--oidc-provider-arn", "acs:ram::123456789012:oidc-provider/ack",
        "--oidc-token-file", "/var/run/token", "--policy", str(policy),
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert 'policy = {"Version":"1","Statement":[]}\n' in ini().read_text()


# -- list ----------------------------------------------------------------------------------------


def test_list_shows_names_types_keys_and_the_default_but_no_secret(akless: Akless) -> None:
    set_dev(akless)
    akless("configure", "set", "deploy", "--type", "ram_role_arn", "--source-profile", "dev",
           "--role-arn", ROLE)  # fmt: skip
    akless("configure", "use", "dev")

    text = akless("configure", "list")
    as_json = akless("configure", "list", "--output", "json")

    assert text.code == as_json.code == 0
    rows = [line.split() for line in text.lines]
    assert rows[0] == ["NAME", "TYPE", "KEY", "/", "ROLE"]
    assert rows[1] == ["*", "dev", "[default]", "access_key", "LTAI****4321"]
    assert rows[2] == ["deploy", "ram_role_arn", ROLE, "(from", "default)"]
    document = json.loads(as_json.out)
    assert document["path"] == str(ini())
    assert [(p["name"], p["section"], p["default"]) for p in document["profiles"]] == [
        ("dev", "default", True),
        ("deploy", "deploy", False),
    ]
    assert document["profiles"][0]["has_secret"] is True
    no_secret(text)
    no_secret(as_json)


def test_list_with_no_file_says_how_to_start(akless: Akless) -> None:
    outcome = akless("configure", "list", "-o", "json")

    assert outcome.code == 0
    assert json.loads(outcome.out) == {"path": str(ini()), "profiles": []}
    assert "akless configure set NAME" in outcome.err


def test_list_says_when_the_selected_profile_is_missing(akless: Akless) -> None:
    set_dev(akless)

    outcome = akless("configure", "list", env={"ALIBABA_CLOUD_PROFILE": "gone"})

    assert outcome.code == 0
    assert "ALIBABA_CLOUD_PROFILE selects 'gone', which is not in" in outcome.err


# -- use and remove ------------------------------------------------------------------------------


def test_use_makes_a_profile_default_and_names_the_previous_one(akless: Akless) -> None:
    akless("configure", "set", "default", "--type", "ecs_ram_role")
    set_dev(akless)

    outcome = akless("configure", "use", "dev")

    assert outcome.code == 0, outcome.err
    assert outcome.lines == [
        f"profile 'dev' is now [default] in {ini()}; "
        "the previous [default] is now [previous-default]"
    ]
    assert sections() == ["[previous-default]", "[default]"]
    again = akless("configure", "use", "dev")
    assert again.lines == [f"profile 'dev' already is [default] in {ini()}"]


def test_use_warns_when_a_selection_still_wins(akless: Akless) -> None:
    set_dev(akless)

    outcome = akless("configure", "use", "dev", env={"ALIBABA_CLOUD_PROFILE": "other"})

    assert outcome.code == 0
    assert "ALIBABA_CLOUD_PROFILE selects 'other'" in outcome.err


def test_use_of_the_selected_profile_says_to_unset_the_selection(akless: Akless) -> None:
    set_dev(akless)
    selecting_dev = {"ALIBABA_CLOUD_PROFILE": "dev"}

    used = akless("configure", "use", "dev", env=selecting_dev)
    listed = akless("configure", "list", env=selecting_dev)

    assert "selects 'dev', now named [default]; unset it" in used.err
    assert "selects 'dev', which is now the [default] section; unset it" in listed.err


def test_remove_with_yes_does_not_ask(akless: Akless) -> None:
    set_dev(akless)
    akless("configure", "set", "ro", "--type", "ecs_ram_role")

    outcome = akless("configure", "remove", "dev", "--yes")

    assert outcome.code == 0, outcome.err
    assert outcome.lines == [f"removed profile 'dev' (access_key, LTAI****4321) in {ini()}"]
    assert sections() == ["[ro]"]


def test_remove_asks_first(akless: Akless) -> None:
    set_dev(akless)
    before = ini().read_text()

    declined = akless("configure", "remove", "dev", input="n\n")
    assert declined.code == 130
    assert "Remove profile 'dev'" in declined.err
    assert ini().read_text() == before

    accepted = akless("configure", "remove", "dev", input="y\n")
    assert accepted.code == 0, accepted.err
    assert sections() == []


def test_removing_the_default_warns_in_the_question(akless: Akless) -> None:
    set_dev(akless)
    akless("configure", "set", "ro", "--type", "ecs_ram_role")
    akless("configure", "use", "ro")

    outcome = akless("configure", "remove", "default", input="y\n")

    assert outcome.code == 0, outcome.err
    assert "It is [default]" in outcome.err
    assert sections() == ["[dev]"]


# -- errors: one line, a documented exit code, the file untouched ---------------------------------


@pytest.mark.parametrize(
    ("args", "stdin", "fragments"),
    [
        (("set", "x", "--type", "password"), None, ("unknown type 'password'",)),
        (
            ("set", "x", "--type", "ram_role_arn", "--source-profile", "dev"),
            None,
            ("needs role_arn",),
        ),
        (
            ("set", "x", "--type", "ecs_ram_role", "--role-arn", ROLE),
            None,
            ("does not use 'role_arn'",),
        ),
        (
            ("set", "x", "--type", "ecs_ram_role", "--secret-stdin"),
            f"{SECRET}\n",
            ("--secret-stdin", "stores no secret"),
        ),
        (("set", "x", "--type", "bearer", "--secret-stdin"), "", ("standard input ended",)),
        (
            ("set", "x", "--type", "ecs_ram_role", "--policy", "/nonexistent/policy.json"),
            None,
            ("--policy /nonexistent/policy.json",),
        ),
        (("set", "bad name", "--type", "ecs_ram_role"), None, ("a profile name is",)),
        (
            ("use", "nope"),
            None,
            ("profile 'nope'", "no such profile", "profiles there: default, dev"),
        ),
        (("remove", "nope", "--yes"), None, ("profile 'nope'", "no such profile")),
        (("use", "dev", "--previous-name", "bad name"), None, ("a profile name is",)),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    akless: Akless, args: tuple[str, ...], stdin: str | None, fragments: tuple[str, ...]
) -> None:
    akless("configure", "set", "default", "--type", "ecs_ram_role")
    set_dev(akless)
    before = ini().read_bytes()

    outcome = akless("configure", *args, input=stdin)

    one_error_line(outcome, 2, *fragments)
    no_secret(outcome)
    assert ini().read_bytes() == before


def test_a_policy_that_is_not_json_is_refused(akless: Akless, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text("Allow everything")

    outcome = akless("configure", "set", "x", "--type", "ecs_ram_role", "--policy", str(policy))

    one_error_line(outcome, 2, "is not JSON")


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("set", "x", "--type", "ecs_ram_role"),
        ("use", "a"),
        ("remove", "a", "--yes"),
    ],
)
def test_a_malformed_file_is_reported_and_left_alone(akless: Akless, args: tuple[str, ...]) -> None:
    ini().parent.mkdir(mode=0o700)
    ini().write_text(f"[a]\naccess_key_secret {SECRET}\n")
    ini().chmod(0o600)

    outcome = akless("configure", *args)

    one_error_line(outcome, 2, str(ini()), "line 2")
    no_secret(outcome)
    assert ini().read_text() == f"[a]\naccess_key_secret {SECRET}\n"


def test_the_variable_points_configure_at_another_file(akless: Akless, tmp_path: Path) -> None:
    elsewhere = tmp_path / "team.ini"

    outcome = akless(
        "configure", "set", "ro", "--type", "ecs_ram_role",
        env={"ALIBABA_CLOUD_CREDENTIALS_FILE": str(elsewhere)},
    )  # fmt: skip

    assert outcome.code == 0, outcome.err
    assert elsewhere.read_text() == "[ro]\ntype = ecs_ram_role\n"
    assert not ini().exists()


# -- end to end ------------------------------------------------------------------------------------


def test_a_configured_profile_calls_the_emulator(
    akless: Akless, akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = akless_emulator.cloud.identity
    set_dev(akless, identity.access_key_id, identity.access_key_secret)
    outcome = akless(
        "configure", "set", "deploy", "--type", "ram_role_arn", "--source-profile", "dev",
        "--role-arn", identity.role_arn, "--role-session-name", "configured",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    sts = StsClient(akless_emulator.endpoint)
    environ = {**os.environ, **emulator_env(akless_emulator.endpoint)}
    environ = {key: value for key, value in environ.items() if value is not None}

    user = sts.get_caller_identity(resolve_provider("dev", environ=environ).get_credentials())
    role = sts.get_caller_identity(resolve_provider("deploy", environ=environ).get_credentials())

    assert user.arn == f"acs:ram::{identity.account_id}:user/{identity.user_name}"
    assert role.arn == (
        f"acs:ram::{identity.account_id}:assumed-role/{identity.role_arn.rsplit('/', 1)[1]}"
        "/configured"
    )

    assert akless("configure", "use", "dev").code == 0
    credential = Client().get_credential()
    assert credential.access_key_id == identity.access_key_id
    assert credential.provider_name == "default/profile/static_ak"
