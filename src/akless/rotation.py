"""Rotate an AccessKey: create a new one, put it where the old one was, prove it works, disable
the old one, and delete it after a grace period; safe to interrupt and run again.

Each run derives where the rotation stands from the world (the key the target holds, the user's
keys in RAM) and a small journal without secrets (``akless.rotation_journal``), and does only
what is left. It never holds three keys (RAM allows two per user) and never disables the old key
before the new one has signed a call (STS ``GetCallerIdentity``). A key the rotation created but
whose secret never reached the target (a crash in between) is deleted, but only if RAM says it
was never used; otherwise the rotation stops and says so. A ``RAMCredentials`` KMS secret is
rotated by KMS itself (``RotateSecret``).

``checkpoint`` is called with a step's name after each step is done: tests interrupt there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from akless._durations import describe_duration
from akless._time import Clock, format_timestamp, system_clock
from akless.credentials import Credentials, mask_key_id
from akless.errors import AklessError, ConfigurationError, NotFound, ServiceError
from akless.rotation_journal import Journal, JournalStore
from akless.rotation_targets import KmsTarget, StdoutTarget, Target

if TYPE_CHECKING:
    from akless.ram import RamClient
    from akless.sts import StsClient

log = logging.getLogger("akless.actions")

DEFAULT_GRACE = 86400
"""A disabled old key is kept a day, so it can be enabled again if something still needed it."""
PROOF_ATTEMPTS = 5
PROOF_FIRST_DELAY = 0.5
"""A new key can take a moment to reach every STS server: retry with 0.5, 1, 2, 4 s pauses."""
ORPHAN_SLACK = 300.0
"""How much earlier than the journal a key may look created and still be the rotation's own
(clocks of this machine and of RAM differ)."""


@dataclass(frozen=True)
class Step:
    """One thing a rotation did (``done``) or, in a dry run, would do."""

    action: str
    detail: str
    done: bool


@dataclass(frozen=True)
class Rotation:
    """What a run of ``rotate_key`` did, and where the rotation stands."""

    target: str
    user_name: str | None
    status: str
    """``planned`` (dry run), ``finished``, ``waiting`` (the old key is disabled and is deleted
    by a run after ``delete_after``), or ``rotated by KMS``."""
    old_key_id: str | None
    new_key_id: str | None
    steps: tuple[Step, ...]
    delete_after: str | None = None
    journal: str | None = None
    """The journal of a rotation that is not finished."""


@dataclass
class Rotator:
    """The services and settings one rotation runs with."""

    ram: RamClient
    sts: StsClient
    journals: JournalStore
    clock: Clock = system_clock
    sleep: Callable[[float], None] = time.sleep
    checkpoint: Callable[[str], None] = lambda step: None
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)

    def step(self, action: str, detail: str, run: Callable[[], Any] | None = None) -> Any:
        """Record a step; unless this is a dry run, do it (``run``), log it and checkpoint."""
        if self.dry_run:
            self.steps.append(Step(action, detail, done=False))
            return None
        result = run() if run is not None else None
        self.steps.append(Step(action, detail, done=True))
        log.info("done: %s", detail)
        self.checkpoint(action)
        return result


def rotate_key(
    rotator: Rotator,
    target: Target,
    caller: Credentials,
    *,
    user_name: str | None = None,
    grace: float | None = None,
) -> Rotation:
    """Rotate the AccessKey ``target`` holds (see the module docstring), calling RAM as
    ``caller``; ``grace`` seconds between disabling and deleting the old key (``None``: what
    the journal says, else ``DEFAULT_GRACE``)."""
    if target.managed_by_kms and isinstance(target, KmsTarget):
        return _rotate_by_kms(rotator, target)
    try:
        return _Run(rotator, target, caller, user_name, grace).run()
    except AklessError as error:
        done = [step.action for step in rotator.steps if step.done]
        if done:  # the journal knows where it stopped: say so, and how to finish
            error.add_hint(
                f"the rotation stopped after {', '.join(done)}: run the same rotation again "
                "to finish it"
            )
        raise


def _rotate_by_kms(rotator: Rotator, target: KmsTarget) -> Rotation:
    held = target.current()
    detail = (
        f"ask KMS to rotate {target.describe()} now (RotateSecret): KMS creates the new key, "
        "stores it in the secret and deletes the old key itself; programs reading the secret "
        "(the kms_ram_secret provider) pick the new key up"
    )
    rotator.step("rotate-secret", detail, target.rotate)
    return Rotation(
        target=target.describe(),
        user_name=None,
        status="planned" if rotator.dry_run else "rotated by KMS",
        old_key_id=held.access_key_id if held else None,
        new_key_id=None,
        steps=tuple(rotator.steps),
    )


def _journal_target(
    rotator: Rotator, target: Target, caller: Credentials, user_name: str | None
) -> str:
    """What the journal of this rotation is filed under: the target, and for standard output
    (which holds no key to tell one rotation from another) the calling user's ARN, so one
    user's unfinished rotation is never mistaken for another's."""
    if not isinstance(target, StdoutTarget) or user_name is not None:
        return target.spec
    return f"{target.spec}:{rotator.sts.get_caller_identity(caller).arn}"


class _Run:
    def __init__(
        self,
        rotator: Rotator,
        target: Target,
        caller: Credentials,
        user_name: str | None,
        grace: float | None,
    ) -> None:
        self.r = rotator
        self.target = target
        self.caller = caller
        self.user = user_name
        self.grace = grace
        self.held = target.current()
        self.new: Credentials | None = None
        self.journal_target = _journal_target(rotator, target, caller, user_name)
        self.journal: Journal | None = rotator.journals.load(self.journal_target, user_name)

    @property
    def whose(self) -> str:
        return f"user {self.user!r}" if self.user else "the calling user"

    def save(self, **changes: Any) -> Journal:
        assert self.journal is not None
        self.journal = self.journal.update(**changes)
        if not self.r.dry_run:
            self.r.journals.save(self.journal)
        return self.journal

    def run(self) -> Rotation:
        journal = self.journal
        held_id = self.held.access_key_id if self.held else None
        if journal and journal.new_key_id and held_id == journal.new_key_id and self.held:
            self.new = self.held
            if self.caller.access_key_id == journal.old_key_id:
                self.caller = self.held  # the old key may be disabled already
        listed = self.r.ram.list_access_keys(self.caller, self.user)
        keys = {key.access_key_id: key for key in listed}
        if journal is None:
            journal = self.start(keys, held_id)
        elif held_id is not None and held_id not in (journal.old_key_id, journal.new_key_id):
            raise ConfigurationError(
                f"{self.target.describe()} now holds AccessKey {held_id}, neither the key an "
                f"earlier rotation was replacing nor the one it created; check it, then remove "
                f"{self.r.journals.path(journal.target, journal.user_name)} to start over",
                source="--target",
            )
        old = journal.old_key_id
        self.settle_new_key(keys, held_id)
        if self.current.new_key_id is None:
            self.create_and_write()
        if old is not None and old in keys and keys[old].status == "Active":
            self.prove_and_disable(old)
        elif old is not None and old in keys and self.current.disabled_at is None:
            self.save(disabled_at=self.r.clock())
        return self.finish(old, old is not None and old in keys)

    @property
    def current(self) -> Journal:
        assert self.journal is not None
        return self.journal

    def start(self, keys: dict[str, Any], held_id: str | None) -> Journal:
        old = held_id
        if old is None and isinstance(self.target, StdoutTarget) and not self.caller.is_temporary:
            old = self.caller.access_key_id
        if old is not None and old not in keys:
            raise NotFound(
                f"the AccessKey {self.target.describe()} holds ({mask_key_id(old)}) is not one of "
                f"the keys of {self.whose}; pass --user NAME for another user's key",
                kind="AccessKey",
                name=mask_key_id(old),
            )
        others = [key for key in keys if key != old]
        if others:
            listed = ", ".join(keys)
            raise ConfigurationError(
                f"{self.whose} already has two AccessKeys ({listed}) and RAM allows two, so "
                f"there is no room for a new one: delete the one {self.target.describe()} does "
                f"not use (akless keys delete {others[0]}), then rotate",
                source="--target",
            )
        self.journal = Journal(self.journal_target, self.user, old, started=self.r.clock())
        self.save()
        if not self.r.dry_run:
            self.r.checkpoint("started")
        return self.journal

    def settle_new_key(self, keys: dict[str, Any], held_id: str | None) -> None:
        """Make the journal's new key agree with the world: written, or an orphan removed."""
        journal = self.current
        if journal.written or (journal.new_key_id and held_id == journal.new_key_id):
            if not journal.written:
                self.save(written=True)
            return
        candidate = journal.new_key_id
        if candidate is None:  # a crash right after CreateAccessKey, before it was recorded
            extra = [key for key in keys if key != journal.old_key_id]
            if not extra:
                return
            candidate = extra[0]
            if keys[candidate].created < journal.started - ORPHAN_SLACK:
                self.start(keys, journal.old_key_id)  # an unrelated second key: refuses
        if candidate in keys:
            self.delete_orphan(candidate)
        self.save(new_key_id=None, written=False)

    def delete_orphan(self, key_id: str) -> None:
        last_used = self.r.ram.get_access_key_last_used(self.caller, key_id, self.user)
        if last_used is not None:
            raise ConfigurationError(
                f"AccessKey {key_id} was created by an interrupted rotation, but its secret "
                f"never reached {self.target.describe()} and RAM says it was used at "
                f"{format_timestamp(last_used)}: someone holds it, so akless will not delete "
                f"it. See `akless audit {key_id}`, then delete it (akless keys delete {key_id}) "
                "and rotate again",
                source="--target",
            )
        detail = (
            f"delete AccessKey {key_id}: an interrupted rotation created it, its secret never "
            f"reached {self.target.describe()} and it was never used"
        )
        self.r.step(
            "delete-orphan",
            detail,
            lambda: self.r.ram.delete_access_key(self.caller, key_id, self.user),
        )

    def create_and_write(self) -> None:
        created = self.r.step(
            "create",
            f"create a new AccessKey for {self.whose}",
            lambda: self.r.ram.create_access_key(self.caller, self.user),
        )
        if created is None:  # dry run
            self.r.step("write", f"write it to {self.target.describe()}")
            return
        self.save(new_key_id=created.access_key_id)
        self.r.checkpoint("recorded")
        self.new = created.credentials(provider_name="rotation")
        self.r.step(
            "write",
            f"write the new AccessKey {created.access_key_id} to {self.target.describe()}",
            lambda: self.target.write(self.new),  # type: ignore[arg-type]
        )
        self.save(written=True)

    def prove_and_disable(self, old: str) -> None:
        new, created = self.new, self.current.new_key_id
        if new is None and self.caller.access_key_id == created:
            new = self.caller
        if new is None and not self.r.dry_run:
            raise ConfigurationError(
                f"an interrupted rotation printed AccessKey {created} to "
                f"{self.target.describe()}; akless cannot prove it works without its secret: "
                f"make it the current credential and run again, or delete it (akless keys "
                f"delete {created})",
                source="--target",
            )
        self.r.step("verify", "prove the new key signs calls (STS GetCallerIdentity)",
                    lambda: self.prove(new))  # fmt: skip
        if new is not None and self.caller.access_key_id == old:
            self.caller = new  # the rest is signed with the key that stays
        self.r.step(
            "disable",
            f"disable the old AccessKey {old}",
            lambda: self.r.ram.update_access_key(self.caller, old, "Inactive", self.user),
        )
        self.save(disabled_at=self.r.clock())

    def prove(self, new: Credentials | None) -> None:
        assert new is not None
        delay = PROOF_FIRST_DELAY
        for attempt in range(1, PROOF_ATTEMPTS + 1):
            try:
                self.r.sts.get_caller_identity(new)
                return
            except ServiceError as error:
                if not error.code.startswith("InvalidAccessKeyId") or attempt == PROOF_ATTEMPTS:
                    raise
            self.r.sleep(delay)
            delay *= 2

    def finish(self, old: str | None, old_exists: bool) -> Rotation:
        delete_after: float | None = None
        status = "planned" if self.r.dry_run else "finished"
        if old is not None and old_exists:
            journal = self.current
            disabled_at = journal.disabled_at if journal.disabled_at is not None else self.r.clock()
            grace = self.grace
            if grace is None:
                known = journal.delete_after
                delete_after = known if known is not None else disabled_at + DEFAULT_GRACE
            else:
                delete_after = disabled_at + grace
            self.save(delete_after=delete_after)
            now = self.r.clock()
            if now >= delete_after:
                self.r.step(
                    "delete",
                    f"delete the old AccessKey {old}",
                    lambda: self.r.ram.delete_access_key(self.caller, old, self.user),
                )
            else:
                wait = describe_duration(delete_after - now)
                self.r.step("wait", f"keep the disabled old key {old} {wait} more, then delete "
                            "it by running this rotation again")  # fmt: skip
                status = "planned" if self.r.dry_run else "waiting"
        journal = self.current
        if status == "finished":
            self.r.journals.remove(journal.target, journal.user_name)
        return Rotation(
            target=self.target.describe(),
            user_name=self.user,
            status=status,
            old_key_id=old,
            new_key_id=journal.new_key_id,
            steps=tuple(self.r.steps),
            delete_after=None if delete_after is None else format_timestamp(delete_after),
            journal=str(self.r.journals.path(journal.target, journal.user_name))
            if status == "waiting"
            else None,
        )
