"""``akless respond KEY_ID`` and ``akless revoke-sessions ROLE`` against the emulator: the leaked
key is disabled, audited and found where it is configured, and the incident report (Markdown and
JSON) never holds a secret planted anywhere it looked; a role's tokens die with its policies and
come back only as new tokens after ``--restore``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akless.actiontrail import ActionTrailClient
from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from akless.cli.root import EXIT_INTERRUPTED
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.emulator.records import call_record
from akless.errors import TransportTimeout
from akless.ram import RamClient
from akless.respond import respond
from akless.revoke import read_snapshot, restore_policies, revoke_sessions
from akless.sts import StsClient
from tests.cli.conftest import Akless
from tests.cli.leak_response import (
    assert_no_secret,
    home,
    keys_of,
    one_line_error,
    profile_env,
    works,
)


def leak(emulator: EmulatorServer, tmp_path: Path) -> tuple[str, str]:
    """A second user's key, leaked into a profile, the aliyun CLI config and a source file."""
    cloud = emulator.cloud
    cloud.create_user("ci-bot")
    key = cloud.create_access_key("ci-bot")
    ini = home() / ".alibabacloud" / "credentials.ini"
    with ini.open("a") as file:
        file.write(f"[ci]\ntype = access_key\naccess_key_id = {key.access_key_id}\n"
                   f"access_key_secret = {key.secret}\n")  # fmt: skip
    config = home() / ".aliyun" / "config.json"
    config.parent.mkdir()
    profile = {"name": "bot", "mode": "AK", "access_key_id": key.access_key_id,
               "access_key_secret": key.secret}  # fmt: skip
    config.write_text(json.dumps({"current": "bot", "profiles": [profile]}))
    config.chmod(0o600)
    source = tmp_path / "repo" / "deploy.py"
    source.parent.mkdir()
    source.write_text(f'ACCESS_KEY_ID = "{key.access_key_id}"\nSECRET = "{key.secret}"\n')
    cloud.record_calls(
        [call_record(time=cloud.now() - 3600, service="ecs", action="DescribeInstances",
                     access_key_id=key.access_key_id, source_ip="203.0.113.9")]
    )  # fmt: skip
    return key.access_key_id, key.secret


def test_respond_disables_audits_locates_and_reports_without_secrets(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    environ = profile_env(akless_emulator)
    key_id, secret = leak(akless_emulator, tmp_path)
    environ["LEAKED_KEY"] = key_id
    environ["LEAKED_SECRET"] = secret
    reports = tmp_path / "reports"

    # --profile: the aliyun CLI's current profile (first in the chain) is the leaked key itself
    outcome = akless("respond", key_id, "--user", "ci-bot", "--yes", "--profile", "default",
                     "--report-dir", str(reports), "--scan", str(tmp_path / "repo"), "-o", "json",
                     env=environ)  # fmt: skip

    assert outcome.code == EXIT_OK, outcome.err
    assert keys_of(akless_emulator, "ci-bot")[key_id] == "Inactive"
    incident = json.loads(outcome.out)
    places = {(loc["kind"], loc["detail"]) for loc in incident["locations"]}
    assert ("INI profile", "ci") in places
    assert ("aliyun CLI profile", "bot") in places
    assert ("environment variable", "") in places
    assert ("file", "line 1") in places
    assert incident["audit"]["groups"][0]["source_ip"] == "203.0.113.9"
    markdown, data = (Path(path) for path in incident["reports"])
    for report in (markdown, data):
        assert report.stat().st_mode & 0o777 == 0o600
        assert secret not in report.read_text()
        assert key_id in report.read_text()
    assert "203.0.113.9" in markdown.read_text()
    assert_no_secret(outcome, secret, akless_emulator.cloud.identity.access_key_secret)


def test_respond_asks_before_disabling(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    environ = profile_env(akless_emulator)
    key_id, _ = leak(akless_emulator, tmp_path)

    outcome = akless("respond", key_id, "--user", "ci-bot", "--no-scan", "--profile", "default",
                     "--report-dir", str(tmp_path), env=environ, input="n\n")  # fmt: skip

    assert outcome.code == EXIT_INTERRUPTED
    assert keys_of(akless_emulator, "ci-bot")[key_id] == "Active"
    assert not list(tmp_path.glob("akless-incident-*"))


def test_respond_refuses_the_key_it_runs_with(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    own = akless_emulator.cloud.identity.access_key_id

    outcome = akless("respond", own, "--yes", "--no-scan", "--report-dir", str(tmp_path),
                     env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_USAGE
    assert "--profile" in one_line_error(outcome)
    assert keys_of(akless_emulator)[own] == "Active"


def test_respond_to_an_unknown_key(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    outcome = akless("respond", "LTAI5tNoSuchKey000000", "--yes", "--no-scan",
                     "--report-dir", str(tmp_path), env=profile_env(akless_emulator))  # fmt: skip

    assert outcome.code == EXIT_NOT_FOUND
    one_line_error(outcome)


def test_respond_prints_the_report_paths_whole_for_copying(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    environ = profile_env(akless_emulator)
    key_id, _ = leak(akless_emulator, tmp_path)
    reports = tmp_path / "incident reports of a long-named team" / "2026"

    outcome = akless("respond", key_id, "--user", "ci-bot", "--yes", "--no-scan",
                     "--profile", "default", "--report-dir", str(reports),
                     env=environ)  # fmt: skip

    assert outcome.code == EXIT_OK, outcome.err
    for report in reports.iterdir():  # longer than a terminal line, and not cut or wrapped
        assert str(report) in outcome.out.splitlines()[-1]


class LastUseUnknown(RamClient):
    """RAM that disables keys but times out when asked when one was last used."""

    def get_access_key_last_used(self, *args: object, **kwargs: object) -> float | None:
        raise TransportTimeout("timed out reading from the RAM endpoint", url=self.endpoint)


def test_respond_still_reports_when_ram_cannot_say_when_the_key_was_last_used(
    akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    profile_env(akless_emulator)
    key_id, _ = leak(akless_emulator, tmp_path)
    identity = akless_emulator.cloud.identity
    caller = Credentials(identity.access_key_id, identity.access_key_secret)
    endpoint = akless_emulator.endpoint

    incident = respond(LastUseUnknown(endpoint), ActionTrailClient(endpoint), caller, key_id,
                       now=akless_emulator.cloud.now(), user_name="ci-bot",
                       report_dir=tmp_path / "reports")  # fmt: skip

    assert keys_of(akless_emulator, "ci-bot")[key_id] == "Inactive"
    assert incident.last_used is None
    assert incident.last_used_error == "timed out reading from the RAM endpoint"
    markdown = Path(incident.reports[0]).read_text()
    assert "Last used (RAM): unknown (timed out" in markdown


# --- revoke-sessions ----------------------------------------------------------------------------


def role_session(emulator: EmulatorServer) -> Credentials:
    identity = emulator.cloud.identity
    user = Credentials(identity.access_key_id, identity.access_key_secret)
    sts = StsClient(emulator.endpoint)
    return sts.assume_role(user, role_arn=identity.role_arn, role_session_name="leaked").credentials


def test_revoke_sessions_then_restore(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    role = "akless-dev-role"
    before = {(p.policy_name, p.policy_type) for p in cloud.list_policies_for_role(role)}
    assert before  # the emulator's role has policies to detach
    leaked = role_session(akless_emulator)
    assert works(akless_emulator, leaked)
    environ = profile_env(akless_emulator)
    snapshot = tmp_path / "role.json"

    revoked = akless("revoke-sessions", role, "--snapshot", str(snapshot), "--yes", env=environ)

    assert revoked.code == EXIT_OK, revoked.err
    assert cloud.list_policies_for_role(role) == []
    assert not works(akless_emulator, leaked)
    assert snapshot.stat().st_mode & 0o777 == 0o600
    assert "--restore" in revoked.out

    restored = akless("revoke-sessions", role, "--restore", str(snapshot), "--yes", env=environ)

    assert restored.code == EXIT_OK, restored.err
    after = {(p.policy_name, p.policy_type) for p in cloud.list_policies_for_role(role)}
    assert after == before
    assert not works(akless_emulator, leaked)  # the leaked token stays dead
    assert works(akless_emulator, role_session(akless_emulator))  # new sessions work


class DetachFailsOnce(RamClient):
    """RAM that detaches the first policy, then fails on the second."""

    detached = 0

    def detach_policy_from_role(self, *args: str) -> None:
        if self.detached == 1:
            raise TransportTimeout("timed out reading from the RAM endpoint", url=self.endpoint)
        super().detach_policy_from_role(*args)  # type: ignore[arg-type]
        self.detached += 1


def test_revoke_sessions_stopped_half_way_says_which_file_restores_everything(
    akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    cloud.attach_policy_to_role("akless-dev-role", "AliyunRAMReadOnlyAccess")
    before = {
        (p.policy_name, p.policy_type) for p in cloud.list_policies_for_role("akless-dev-role")
    }
    identity = cloud.identity
    caller = Credentials(identity.access_key_id, identity.access_key_secret)
    snapshot = tmp_path / "role.json"

    with pytest.raises(TransportTimeout) as caught:
        revoke_sessions(DetachFailsOnce(akless_emulator.endpoint), caller, "akless-dev-role",
                        snapshot)  # fmt: skip

    (hint,) = caught.value.hints
    assert hint.startswith("detached so far: System:")
    assert f"--restore {snapshot}" in hint
    ram = RamClient(akless_emulator.endpoint)
    restore_policies(ram, caller, read_snapshot(snapshot), snapshot)
    after = {
        (p.policy_name, p.policy_type) for p in cloud.list_policies_for_role("akless-dev-role")
    }
    assert after == before


def test_revoke_sessions_bad_input(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = profile_env(akless_emulator)
    other = tmp_path / "other.json"
    monkeypatch.chdir(tmp_path)  # where a default snapshot would go

    unknown = akless("revoke-sessions", "no-such-role", "--yes", env=environ)
    akless("revoke-sessions", "akless-instance-role", "--snapshot", str(other), "--yes",
           env=environ)  # fmt: skip
    mismatch = akless("revoke-sessions", "akless-dev-role", "--restore", str(other), "--yes",
                      env=environ)  # fmt: skip
    declined = akless("revoke-sessions", "akless-dev-role", env=environ, input="n\n")

    assert unknown.code == EXIT_NOT_FOUND
    assert "no role named" in one_line_error(unknown)
    assert mismatch.code == EXIT_USAGE
    assert "akless-instance-role" in one_line_error(mismatch)
    assert declined.code == EXIT_INTERRUPTED
    assert akless_emulator.cloud.list_policies_for_role("akless-dev-role")
