"""Key rotation as a library, against the emulator: a rotation interrupted after any step and
run again finishes with one working key in the target, never needs a third key (the emulator,
like RAM, refuses one), and never disables the old key before the new one has signed a call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, NotFound
from akless.profiles_file import stored_access_key
from akless.ram import RamClient
from akless.rotation import Rotator, rotate_key
from akless.rotation_journal import JournalStore
from akless.rotation_targets import IniTarget, StdoutTarget
from akless.sts import StsClient
from tests.cli.leak_response import keys_of, works, write_profile

STEPS = ["started", "create", "recorded", "write", "verify", "disable", "delete"]
"""Every point a rotation can stop at, in order (``checkpoint`` names)."""


class Crash(Exception):
    """The process died here."""


def crash_at(step: str) -> Callable[[str], None]:
    def checkpoint(reached: str) -> None:
        if reached == step:
            raise Crash(step)

    return checkpoint


@pytest.fixture
def target(akless_emulator: EmulatorServer, tmp_path: Path) -> IniTarget:
    identity = akless_emulator.cloud.identity
    path = write_profile(identity.access_key_id, identity.access_key_secret)
    return IniTarget(path, "default")


def rotator(emulator: EmulatorServer, tmp_path: Path, **settings: object) -> Rotator:
    return Rotator(
        RamClient(emulator.endpoint),
        StsClient(emulator.endpoint),
        JournalStore(tmp_path / "journals"),
        sleep=lambda seconds: None,
        **settings,  # type: ignore[arg-type]
    )


def held(target: IniTarget) -> Credentials:
    return stored_access_key(target.profile, path=target.path)


def test_an_uninterrupted_rotation_leaves_only_the_new_key(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    old = held(target)

    result = rotate_key(rotator(akless_emulator, tmp_path), target, old, grace=0)

    new = held(target)
    assert result.status == "finished"
    assert (result.old_key_id, result.new_key_id) == (old.access_key_id, new.access_key_id)
    assert [step.action for step in result.steps] == [
        "create", "write", "verify", "disable", "delete"
    ]  # fmt: skip
    assert keys_of(akless_emulator) == {new.access_key_id: "Active"}
    assert works(akless_emulator, new)
    assert not list((tmp_path / "journals").glob("*.json"))  # finished: no journal left


@pytest.mark.parametrize("step", STEPS)
def test_a_rotation_interrupted_at_any_step_finishes_when_run_again(
    step: str, akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    old = held(target)
    with pytest.raises(Crash):
        rotate_key(rotator(akless_emulator, tmp_path, checkpoint=crash_at(step)), target, old,
                   grace=0)  # fmt: skip

    # Whatever the target holds right after the crash still works: no moment without a key.
    assert works(akless_emulator, held(target))
    assert len(keys_of(akless_emulator)) <= 2

    again = rotate_key(rotator(akless_emulator, tmp_path), target, held(target), grace=0)

    new = held(target)
    assert again.status == "finished"
    assert new.access_key_id != old.access_key_id
    assert keys_of(akless_emulator) == {new.access_key_id: "Active"}
    assert works(akless_emulator, new)


def test_the_journal_holds_no_secret(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    old = held(target)
    with pytest.raises(Crash):
        rotate_key(rotator(akless_emulator, tmp_path, checkpoint=crash_at("verify")), target,
                   old, grace=0)  # fmt: skip

    (journal,) = (tmp_path / "journals").glob("*.json")
    text = journal.read_text()
    assert held(target).access_key_id in text
    assert old.access_key_secret not in text
    assert held(target).access_key_secret not in text
    assert journal.stat().st_mode & 0o777 == 0o600


def test_an_orphan_key_that_was_used_is_never_deleted(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    old = held(target)
    with pytest.raises(Crash):  # created and recorded, but its secret never reached the file
        rotate_key(rotator(akless_emulator, tmp_path, checkpoint=crash_at("recorded")), target,
                   old, grace=0)  # fmt: skip
    (orphan,) = [key for key in akless_emulator.cloud.list_access_keys("akless-dev")
                 if key.access_key_id != old.access_key_id]  # fmt: skip
    assert works(
        akless_emulator, Credentials(orphan.access_key_id, orphan.secret)
    )  # someone has it

    with pytest.raises(ConfigurationError, match="someone holds it"):
        rotate_key(rotator(akless_emulator, tmp_path), target, old, grace=0)

    assert keys_of(akless_emulator) == {old.access_key_id: "Active", orphan.access_key_id: "Active"}
    assert held(target) == old


def test_the_grace_keeps_the_old_key_disabled_until_a_later_run(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    old = held(target)
    now = [1_000_000.0]

    first = rotate_key(rotator(akless_emulator, tmp_path, clock=lambda: now[0]), target, old,
                       grace=3600)  # fmt: skip
    assert first.status == "waiting"
    assert keys_of(akless_emulator)[old.access_key_id] == "Inactive"

    now[0] += 1800  # too early: nothing happens, still waiting
    early = rotate_key(rotator(akless_emulator, tmp_path, clock=lambda: now[0]), target,
                       held(target))  # fmt: skip
    assert early.status == "waiting"
    assert [step.action for step in early.steps] == ["wait"]

    now[0] += 1800
    late = rotate_key(rotator(akless_emulator, tmp_path, clock=lambda: now[0]), target,
                      held(target))  # fmt: skip
    assert late.status == "finished"
    assert old.access_key_id not in keys_of(akless_emulator)


def test_a_dry_run_changes_nothing(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    before, text = keys_of(akless_emulator), target.path.read_text()

    plan = rotate_key(rotator(akless_emulator, tmp_path, dry_run=True), target, held(target),
                      grace=0)  # fmt: skip

    assert plan.status == "planned"
    assert [step.done for step in plan.steps] == [False] * 5
    assert keys_of(akless_emulator) == before
    assert target.path.read_text() == text
    assert not (tmp_path / "journals").exists()


def test_a_second_key_already_there_is_refused_before_anything_changes(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    akless_emulator.cloud.set_clock_offset(-3600)  # created well before the rotation
    spare = akless_emulator.cloud.create_access_key("akless-dev")
    akless_emulator.cloud.set_clock_offset(0)

    with pytest.raises(ConfigurationError, match="RAM allows two"):
        rotate_key(rotator(akless_emulator, tmp_path), target, held(target), grace=0)

    assert spare.access_key_id in keys_of(akless_emulator)


def test_a_target_holding_another_users_key_is_not_found(
    akless_emulator: EmulatorServer, target: IniTarget, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("other")
    theirs = cloud.create_access_key("other")
    write_profile(theirs.access_key_id, theirs.secret)

    caller = Credentials(cloud.identity.access_key_id, cloud.identity.access_key_secret)

    with pytest.raises(NotFound):
        rotate_key(rotator(akless_emulator, tmp_path), target, caller)


def test_an_unfinished_stdout_rotation_of_one_user_is_not_taken_for_another_users(
    akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_user("bob")
    bobs = cloud.create_access_key("bob")
    printed: list[str] = []
    stdout = StdoutTarget(printed.append)
    waiting = rotate_key(rotator(akless_emulator, tmp_path), stdout,
                         Credentials(bobs.access_key_id, bobs.secret), grace=3600)  # fmt: skip
    assert waiting.status == "waiting"  # bob's journal stays, to delete his old key later

    # The same machine, the same journal folder, another user rotating their own key.
    mine = Credentials(cloud.identity.access_key_id, cloud.identity.access_key_secret)
    result = rotate_key(rotator(akless_emulator, tmp_path), stdout, mine, grace=0)

    assert result.status == "finished"
    assert result.old_key_id == mine.access_key_id
    assert keys_of(akless_emulator) == {result.new_key_id: "Active"}
    assert len(printed) == 2  # bob's new key, then this user's
    assert len(list((tmp_path / "journals").glob("*.json"))) == 1  # bob's, untouched
