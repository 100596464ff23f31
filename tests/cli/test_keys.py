"""``akless keys list|create|disable|enable|delete|last-used`` against the emulator: what each
does, its confirmation, one line and a documented exit code for every bad case, and no secret
anywhere but where ``create --target`` was told to put it."""

from __future__ import annotations

import json

from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK, EXIT_REMOTE, EXIT_USAGE
from akless.cli.root import EXIT_INTERRUPTED
from akless.emulator import EmulatorServer
from tests.cli.conftest import Akless
from tests.cli.leak_response import (
    assert_no_secret,
    credentials_file,
    env,
    keys_of,
    one_line_error,
    profile_env,
    profile_key,
)


def test_list_marks_the_key_in_use_and_shows_no_secret(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    spare = akless_emulator.cloud.create_access_key(identity.user_name)
    akless_emulator.cloud.set_access_key_status(spare.access_key_id, "Inactive")

    outcome = akless("keys", "list", "--output", "json", env=profile_env(akless_emulator))

    assert outcome.code == EXIT_OK, outcome.err
    listed = {key["access_key_id"]: key for key in json.loads(outcome.out)["keys"]}
    assert listed[identity.access_key_id]["in_use"] is True
    assert listed[identity.access_key_id]["status"] == "Active"
    assert listed[spare.access_key_id] == {**listed[spare.access_key_id], "status": "Inactive"}
    assert_no_secret(outcome, identity.access_key_secret, spare.secret)


def test_disable_asks_first_and_declining_changes_nothing(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    spare = akless_emulator.cloud.create_access_key(akless_emulator.cloud.identity.user_name)
    environ = profile_env(akless_emulator)

    declined = akless("keys", "disable", spare.access_key_id, env=environ, input="n\n")
    assert declined.code == EXIT_INTERRUPTED
    assert keys_of(akless_emulator)[spare.access_key_id] == "Active"

    done = akless("keys", "disable", spare.access_key_id, env=environ, input="y\n")
    assert done.code == EXIT_OK, done.err
    assert keys_of(akless_emulator)[spare.access_key_id] == "Inactive"
    assert f"akless: disabled AccessKey {spare.access_key_id}" in done.err  # the log line


def test_enable_and_delete_with_yes(akless: Akless, akless_emulator: EmulatorServer) -> None:
    spare = akless_emulator.cloud.create_access_key(akless_emulator.cloud.identity.user_name)
    akless_emulator.cloud.set_access_key_status(spare.access_key_id, "Inactive")
    environ = profile_env(akless_emulator)

    enabled = akless("keys", "enable", spare.access_key_id, "--yes", env=environ)
    assert enabled.code == EXIT_OK, enabled.err
    assert keys_of(akless_emulator)[spare.access_key_id] == "Active"

    deleted = akless("keys", "delete", spare.access_key_id, "--yes", env=environ)
    assert deleted.code == EXIT_OK, deleted.err
    assert spare.access_key_id not in keys_of(akless_emulator)
    assert_no_secret(deleted, spare.secret)


def test_last_used_says_never_for_a_fresh_key(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    spare = akless_emulator.cloud.create_access_key(identity.user_name)
    environ = profile_env(akless_emulator)

    fresh = akless("keys", "last-used", spare.access_key_id, "-o", "json", env=environ)
    used = akless("keys", "last-used", identity.access_key_id, "-o", "json", env=environ)

    assert json.loads(fresh.out)["last_used"] is None
    assert json.loads(used.out)["last_used"] is not None  # this very call signed with it


def test_an_unknown_key_is_not_found(akless: Akless, akless_emulator: EmulatorServer) -> None:
    outcome = akless("keys", "disable", "LTAI5tNoSuchKey000000", "--yes",
                     env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_NOT_FOUND
    assert "is not one of the keys of the calling user" in one_line_error(outcome)


def test_another_users_key_is_not_found_without_user(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("someone-else")
    theirs = cloud.create_access_key("someone-else")
    environ = profile_env(akless_emulator)

    mine = akless("keys", "disable", theirs.access_key_id, "--yes", env=environ)
    named = akless("keys", "disable", theirs.access_key_id, "--user", "someone-else", "--yes",
                   env=environ)  # fmt: skip

    assert mine.code == EXIT_NOT_FOUND
    assert "pass --user NAME" in one_line_error(mine)
    assert named.code == EXIT_OK, named.err  # the emulator's user is an administrator
    assert keys_of(akless_emulator, "someone-else")[theirs.access_key_id] == "Inactive"


def test_missing_permission_is_a_remote_error(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("intern")
    key = cloud.create_access_key("intern")
    keys = {"ALIBABA_CLOUD_ACCESS_KEY_ID": key.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": key.secret}  # fmt: skip

    outcome = akless("keys", "list", "--user", cloud.identity.user_name,
                     env=env(akless_emulator, **keys))  # fmt: skip

    assert outcome.code == EXIT_REMOTE
    assert "NoPermission" in one_line_error(outcome)
    assert_no_secret(outcome, key.secret)


def test_create_needs_a_target(akless: Akless, akless_emulator: EmulatorServer) -> None:
    before = keys_of(akless_emulator)

    outcome = akless("keys", "create", env=profile_env(akless_emulator))

    assert outcome.code == EXIT_USAGE
    assert "--target" in one_line_error(outcome)
    assert keys_of(akless_emulator) == before  # no key whose secret went nowhere


def test_create_into_a_new_ini_profile(akless: Akless, akless_emulator: EmulatorServer) -> None:
    environ = profile_env(akless_emulator)

    outcome = akless("keys", "create", "--target", f"ini:{credentials_file()}:ci", env=environ)

    assert outcome.code == EXIT_OK, outcome.err
    section = credentials_file().read_text().split("[ci]")[1]
    key_id, secret = profile_key(section)
    assert keys_of(akless_emulator)[key_id] == "Active"
    assert_no_secret(outcome, secret)
    assert akless("whoami", "--profile", "ci", env=environ).code == EXIT_OK


def test_create_refuses_an_existing_profile(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    environ = profile_env(akless_emulator)
    before = keys_of(akless_emulator)

    outcome = akless("keys", "create", "--target", "ini::default", env=environ)

    assert outcome.code == EXIT_USAGE
    assert "keys rotate" in one_line_error(outcome)
    assert keys_of(akless_emulator) == before


def test_create_to_stdout_prints_shell_lines_only(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    outcome = akless("keys", "create", "--target", "stdout", env=profile_env(akless_emulator))

    assert outcome.code == EXIT_OK, outcome.err
    lines = outcome.out.splitlines()
    assert lines[0].startswith("export ALIBABA_CLOUD_ACCESS_KEY_ID=")
    assert lines[1].startswith("export ALIBABA_CLOUD_ACCESS_KEY_SECRET=")
    secret = lines[1].split("=", 1)[1].strip("'")
    assert secret not in outcome.err
    assert len(keys_of(akless_emulator)) == 2


def test_the_third_key_is_refused_by_ram(akless: Akless, akless_emulator: EmulatorServer) -> None:
    akless_emulator.cloud.create_access_key(akless_emulator.cloud.identity.user_name)

    outcome = akless("keys", "create", "--target", "stdout", env=profile_env(akless_emulator))

    assert outcome.code == EXIT_REMOTE
    line = one_line_error(outcome)
    assert "LimitExceeded.User.AccessKey" in line
    assert line.endswith("delete one the calling user no longer needs (akless keys list, "
                         "then akless keys delete ID) and create again")  # fmt: skip
    assert outcome.out == ""
