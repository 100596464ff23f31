"""``akless keys rotate`` end to end: by default the INI profile the credential came from;
``--target`` an INI profile, a KMS secret (RAM secrets are rotated by KMS, Generic ones get the
pair as JSON) or standard output; ``--dry-run``; and each refusal in one line with exit 2."""

from __future__ import annotations

import json

from akless.cli.main import EXIT_OK, EXIT_REMOTE, EXIT_USAGE
from akless.cli.root import EXIT_INTERRUPTED
from akless.emulator import EmulatorServer
from akless.emulator.faults import Fault
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


def test_rotate_the_profile_in_use(akless: Akless, akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity
    environ = profile_env(akless_emulator)

    outcome = akless("keys", "rotate", "--grace", "0", "--yes", env=environ)

    assert outcome.code == EXIT_OK, outcome.err
    new_id, new_secret = profile_key(credentials_file().read_text())
    assert keys_of(akless_emulator) == {new_id: "Active"}
    assert credentials_file().read_text().startswith("# my laptop key\n")  # comments kept
    assert credentials_file().stat().st_mode & 0o777 == 0o600
    assert f"akless: done: disable the old AccessKey {identity.access_key_id}" in outcome.err
    assert_no_secret(outcome, identity.access_key_secret, new_secret)
    assert akless("whoami", env=environ).code == EXIT_OK


def test_a_rotation_stopped_by_an_outage_says_so_and_finishes_when_run_again(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    environ = profile_env(akless_emulator)
    akless_emulator.cloud.faults.add(Fault(service="sts", down="refuse"))  # the proof fails

    stopped = akless("keys", "rotate", "--grace", "0", "--yes", env=environ)

    assert stopped.code == EXIT_REMOTE
    assert stopped.err.splitlines()[-1].endswith(
        "closed the connection without answering; the rotation stopped after create, write: "
        "run the same rotation again to finish it"
    )
    assert keys_of(akless_emulator)[identity.access_key_id] == "Active"  # not disabled unproven

    akless_emulator.cloud.faults.clear()
    again = akless("keys", "rotate", "--grace", "0", "--yes", env=environ)

    assert again.code == EXIT_OK, again.err
    new_id, _ = profile_key(credentials_file().read_text())
    assert keys_of(akless_emulator) == {new_id: "Active"}


def test_rotate_asks_first_showing_the_plan(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    environ = profile_env(akless_emulator)
    text = credentials_file().read_text()

    outcome = akless("keys", "rotate", env=environ, input="n\n")

    assert outcome.code == EXIT_INTERRUPTED
    assert "create a new AccessKey" in outcome.err
    assert credentials_file().read_text() == text


def test_with_a_grace_the_old_key_waits_disabled(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    old = akless_emulator.cloud.identity.access_key_id
    environ = profile_env(akless_emulator)

    first = akless("keys", "rotate", "--yes", "-o", "json", env=environ)
    assert first.code == EXIT_OK, first.err
    assert json.loads(first.out)["status"] == "waiting"
    assert keys_of(akless_emulator)[old] == "Inactive"

    again = akless("keys", "rotate", "--yes", "--grace", "0", "-o", "json", env=environ)
    assert again.code == EXIT_OK, again.err
    assert json.loads(again.out)["status"] == "finished"
    assert old not in keys_of(akless_emulator)


def test_dry_run_prints_the_plan_and_changes_nothing(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    environ = profile_env(akless_emulator)
    before, text = keys_of(akless_emulator), credentials_file().read_text()

    outcome = akless("keys", "rotate", "--dry-run", "--grace", "0", env=environ)

    assert outcome.code == EXIT_OK, outcome.err
    assert "planned" in outcome.out
    assert outcome.out.count("  plan  ") == 5
    assert keys_of(akless_emulator) == before
    assert credentials_file().read_text() == text


def test_a_credential_not_from_an_ini_profile_needs_a_target(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    keys = {"ALIBABA_CLOUD_ACCESS_KEY_ID": identity.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": identity.access_key_secret}  # fmt: skip

    outcome = akless("keys", "rotate", "--yes", env=env(akless_emulator, **keys))

    assert outcome.code == EXIT_USAGE
    assert "comes from env" in one_line_error(outcome)
    assert "--target" in outcome.err


def test_bad_target_and_grace_are_usage_errors(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    environ = profile_env(akless_emulator)

    target = akless("keys", "rotate", "--target", "s3:bucket", "--yes", env=environ)
    grace = akless("keys", "rotate", "--grace", "soon", "--yes", env=environ)

    assert target.code == grace.code == EXIT_USAGE
    assert "ini:PATH:PROFILE" in one_line_error(target)
    assert "not a duration" in one_line_error(grace)


def test_stdout_target_prints_the_new_key_for_eval(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    old = akless_emulator.cloud.identity
    keys = {"ALIBABA_CLOUD_ACCESS_KEY_ID": old.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": old.access_key_secret}  # fmt: skip

    outcome = akless("keys", "rotate", "--target", "stdout", "--grace", "0", "--yes",
                     env=env(akless_emulator, **keys))  # fmt: skip

    assert outcome.code == EXIT_OK, outcome.err
    new_id = outcome.out.splitlines()[0].split("=", 1)[1].strip("'")
    assert keys_of(akless_emulator) == {new_id: "Active"}
    assert "export ALIBABA_CLOUD_ACCESS_KEY_SECRET=" in outcome.out
    assert "export" not in outcome.err


def test_a_ram_secret_is_rotated_by_kms(akless: Akless, akless_emulator: EmulatorServer) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    cloud.create_ram_secret("app-key", "app")
    before = cloud.secret_value("app-key")

    outcome = akless("keys", "rotate", "--target", "kms:app-key", "--yes",
                     env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_OK, outcome.err
    assert "rotated by KMS" in outcome.out
    assert "RotateSecret" in outcome.out
    assert cloud.secret_value("app-key").version_id != before.version_id


def test_a_generic_secret_gets_the_new_pair_as_json(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("app")
    key = cloud.create_access_key("app")
    pair = {"AccessKeyId": key.access_key_id, "AccessKeySecret": key.secret}
    cloud.create_secret("app-pair", json.dumps(pair))

    outcome = akless("keys", "rotate", "--target", "kms:app-pair", "--user", "app", "--grace",
                     "0", "--yes", env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_OK, outcome.err
    stored = json.loads(cloud.secret_value("app-pair").data)
    assert stored["AccessKeyId"] != key.access_key_id
    assert keys_of(akless_emulator, "app") == {stored["AccessKeyId"]: "Active"}
    assert_no_secret(outcome, key.secret, stored["AccessKeySecret"])


def test_a_secret_that_holds_no_access_key_is_refused(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    akless_emulator.cloud.create_secret("db-password", "hunter2-planted")

    outcome = akless("keys", "rotate", "--target", "kms:db-password", "--yes",
                     env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_USAGE
    assert "does not hold an AccessKey" in one_line_error(outcome)
    assert_no_secret(outcome, "hunter2-planted")
