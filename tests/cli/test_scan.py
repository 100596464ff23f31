"""``akless scan`` end to end: trees, stdin, ``--git`` (deleted keys at their first commit,
``--since``), ``--staged``, the baseline round trip, the allowlist, ``--verify`` against the
emulator, each output format, exit codes 0/1/2 with one-line errors, and never a planted secret
in what is printed. Real git repositories in ``tmp_path``; keys made up like real ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from akless.cli import scan as scan_command
from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from akless.credentials import mask_key_id
from akless.emulator import EmulatorServer
from akless.scan.report import NOTHING_FOUND
from tests.cli.conftest import Akless, Outcome
from tests.scan.test_sources import commit, credential_line, git, new_pair, new_repo

EXIT_FINDINGS = EXIT_NOT_FOUND


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory, the current directory for the test."""
    path = tmp_path / "project"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def repo(project: Path) -> Path:
    """``project`` as a git repository with one commit."""
    new_repo(project)
    commit(project, {"README.md": "# project\n"}, "start")
    return project


def planted(path: Path, *, before: str = "") -> tuple[str, str]:
    """Write a fresh key pair into ``path``; returns (key ID, secret)."""
    key, secret = new_pair()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(before + credential_line(key, secret))
    return key, secret


def assert_clean(outcome: Outcome, *pairs: tuple[str, str]) -> None:
    """No traceback; no secret anywhere; no full key ID in text (JSON shows it masked too)."""
    assert "Traceback" not in outcome.err
    for key, secret in pairs:
        for stream in (outcome.out, outcome.err):
            assert secret not in stream
            assert key not in stream


def one_line_error(outcome: Outcome, *fragments: str) -> None:
    assert outcome.code == EXIT_USAGE
    assert outcome.out == ""
    assert outcome.err.count("\n") == 1
    assert outcome.err.startswith("akless: ")
    assert "Traceback" not in outcome.err
    for fragment in fragments:
        assert fragment in outcome.err


def findings(outcome: Outcome) -> list[dict[str, object]]:
    document = json.loads(outcome.out)
    assert document["version"] == 1
    found: list[dict[str, object]] = document["findings"]
    return found


# --- trees and stdin --------------------------------------------------------------------------


def test_a_clean_tree_exits_0_and_prints_nothing_on_stderr(akless: Akless, project: Path) -> None:
    (project / "app.py").write_text("print('hello')\n")
    outcome = akless("scan")
    assert (outcome.code, outcome.out, outcome.err) == (EXIT_OK, NOTHING_FOUND + "\n", "")


def test_a_key_in_a_tree_exits_1_and_is_shown_redacted(akless: Akless, project: Path) -> None:
    pair = planted(project / "src" / "app.py", before="import os\n")
    outcome = akless("scan")
    assert outcome.code == EXIT_FINDINGS
    assert outcome.err == ""
    assert "src/app.py:2:" in outcome.out
    assert mask_key_id(pair[0]) in outcome.out
    assert_clean(outcome, pair)


def test_json_and_sarif_are_machine_readable(akless: Akless, project: Path) -> None:
    pair = planted(project / "app.py")
    as_json = akless("scan", "--format", "json")
    [finding] = findings(as_json)
    assert (finding["path"], finding["line"], finding["access_key_id"]) == (
        "app.py", 1, mask_key_id(pair[0])
    )  # fmt: skip
    assert findings(akless("scan", "--output", "json")) == [finding]  # the shared flag
    sarif = akless("scan", "--format", "sarif")
    document = json.loads(sarif.out)
    assert document["version"] == "2.1.0"
    [result] = document["runs"][0]["results"]
    assert result["partialFingerprints"]["akless/v1"] == finding["fingerprint"]
    assert {as_json.code, sarif.code} == {EXIT_FINDINGS}
    assert_clean(as_json, pair)
    assert_clean(sarif, pair)


def test_standard_input_is_scanned_with_dash(akless: Akless, project: Path) -> None:
    pair = new_pair()
    outcome = akless("scan", "-", "--format", "json", input=credential_line(*pair))
    assert [(f["path"], f["line"]) for f in findings(outcome)] == [("-", 1)]
    assert outcome.code == EXIT_FINDINGS
    assert_clean(outcome, pair)
    assert akless("scan", "-", input="nothing here\n").code == EXIT_OK


def test_ignored_binary_and_big_files_are_skipped(akless: Akless, project: Path) -> None:
    new_repo(project)
    (project / ".gitignore").write_text("secrets.env\n")
    ignored = planted(project / "secrets.env")
    binary_key, binary_secret = new_pair()
    (project / "blob.bin").write_bytes(
        b"\0\1\2" + credential_line(binary_key, binary_secret).encode()
    )
    big = planted(project / "dump.sql", before="-- padding\n" * 200)
    outcome = akless("scan", "--max-file-size", "1K")
    assert outcome.code == EXIT_OK
    assert_clean(outcome, ignored, (binary_key, binary_secret), big)
    bigger = akless("scan", "--max-file-size", "1MiB", "--format", "json")
    assert [f["path"] for f in findings(bigger)] == ["dump.sql"]


def test_settings_exclude_and_allow_paths_and_fingerprints(akless: Akless, project: Path) -> None:
    planted(project / "tests" / "fixtures" / "keys.py")
    planted(project / "docs" / "example.md")
    planted(project / "known.py")
    known = findings(akless("scan", "known.py", "--format", "json"))[0]["fingerprint"]
    (project / "pyproject.toml").write_text(
        "[tool.akless.scan]\n"
        'exclude = ["tests/fixtures/"]\n'
        'allow-paths = ["docs/"]\n'
        f'allow-fingerprints = ["{known}"]\n'
    )
    assert akless("scan").code == EXIT_OK
    elsewhere = project / "other.toml"
    elsewhere.write_text("[scan]\n")
    assert akless("scan", "--config", str(elsewhere)).code == EXIT_FINDINGS


# --- the baseline -----------------------------------------------------------------------------


def test_the_baseline_round_trip(akless: Akless, project: Path) -> None:
    old = planted(project / "legacy.py")
    baseline = project / ".akless-baseline.json"
    update = akless("scan", "--baseline", str(baseline), "--update-baseline")
    assert (update.code, update.err) == (EXIT_OK, "")
    assert update.out == f"wrote 1 fingerprint(s) to {baseline}\n"
    for value in old:
        assert value not in baseline.read_text()
    assert akless("scan", "--baseline", str(baseline)).code == EXIT_OK
    new = planted(project / "fresh.py")
    outcome = akless("scan", "--baseline", str(baseline), "--format", "json")
    assert outcome.code == EXIT_FINDINGS
    assert [f["path"] for f in findings(outcome)] == ["fresh.py"]
    assert_clean(outcome, old, new)
    assert akless("scan", "--baseline", str(project / "missing.json")).code == EXIT_FINDINGS


# --- git history and the index ----------------------------------------------------------------


def test_git_finds_a_deleted_key_at_its_first_commit(akless: Akless, repo: Path) -> None:
    key, secret = new_pair()
    added = commit(repo, {"config.py": "DEBUG = True\n" + credential_line(key, secret)}, "add")
    commit(repo, {"config.py": "DEBUG = True\n"}, "remove the key")
    assert akless("scan").code == EXIT_OK  # the tree is clean
    outcome = akless("scan", "--git", "--format", "json")
    [finding] = findings(outcome)
    assert (finding["path"], finding["line"]) == ("config.py", 2)
    assert finding["commit"] == {
        "sha": added,
        "author": "Ann Example <ann@example.com>",
        "date": git(repo, "log", "-1", "--format=%aI", added),
    }
    assert outcome.code == EXIT_FINDINGS
    assert_clean(outcome, (key, secret))
    text = akless("scan", "--git", str(repo))  # the repository named, from anywhere
    assert added[:12] in text.out
    assert_clean(text, (key, secret))


def test_git_since_reads_only_later_commits(akless: Akless, repo: Path) -> None:
    commit(repo, {"old.py": credential_line(*new_pair())})
    old = git(repo, "rev-parse", "HEAD")
    assert akless("scan", "--git", "--since", old).code == EXIT_OK
    commit(repo, {"new.py": credential_line(*new_pair())})
    outcome = akless("scan", "--git", "--since", old, "--format", "json")
    assert [f["path"] for f in findings(outcome)] == ["new.py"]


def test_staged_scans_only_what_is_about_to_be_committed(akless: Akless, repo: Path) -> None:
    unstaged = planted(repo / "scratch.py")
    assert akless("scan", "--staged").code == EXIT_OK
    staged = planted(repo / "app.py")
    git(repo, "add", "app.py")
    outcome = akless("scan", "--staged", "--format", "json")
    assert [f["path"] for f in findings(outcome)] == ["app.py"]
    assert outcome.code == EXIT_FINDINGS
    assert_clean(outcome, unstaged, staged)


def test_the_staged_hook_through_the_console_script(repo: Path) -> None:
    """The pre-commit hook's real command line: a new interpreter, the installed script."""
    script = Path(sys.executable).with_name("akless")
    pair = planted(repo / "app.py")
    git(repo, "add", "app.py")
    started = time.perf_counter()
    done = subprocess.run(
        [str(script), "scan", "--staged"], cwd=repo, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == EXIT_FINDINGS, done.stderr
    assert done.stderr == ""
    assert_clean(Outcome(done.returncode, done.stdout, done.stderr), pair)
    print(f"akless scan --staged: {elapsed:.3f} s")  # measured, not asserted (machines vary)


# --- --verify ---------------------------------------------------------------------------------


def test_verify_labels_a_working_key_live_with_its_account(
    akless: Akless, project: Path, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    pair = (identity.access_key_id, identity.access_key_secret)
    (project / "app.py").write_text(credential_line(*pair))
    made_up = planted(project / "other.py")
    outcome = akless(
        "scan", "--verify", "--format", "json", "--sts-endpoint", akless_emulator.endpoint
    )
    statuses = {f["path"]: f["verification"] for f in findings(outcome)}
    assert statuses["app.py"]["status"] == "live"  # type: ignore[index]
    assert statuses["app.py"]["account_id"] == akless_emulator.cloud.account_id  # type: ignore[index]
    assert statuses["other.py"]["status"] == "invalid"  # type: ignore[index]
    assert outcome.code == EXIT_FINDINGS
    assert_clean(outcome, pair, made_up)


# --- errors -----------------------------------------------------------------------------------


def test_library_errors_are_one_line_and_exit_2(akless: Akless, project: Path) -> None:
    one_line_error(akless("scan", "--git"), "is not in a git repository")
    one_line_error(akless("scan", "--staged"), "is not in a git repository")
    one_line_error(akless("scan", "no-such-dir"), "cannot scan no-such-dir")
    new_repo(project)
    commit(project, {"a.txt": "a\n"})
    one_line_error(akless("scan", "--git", "--since", "no-such-tag"), "unknown revision")
    (project / "bad.toml").write_text("[scan\n")
    one_line_error(akless("scan", "--config", "bad.toml"), "bad.toml")


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "HEAD"),
        ("--git", "--staged"),
        ("--git", "a", "b"),
        ("--staged", "-"),
        ("--update-baseline",),
        ("--max-file-size", "lots"),
        ("--workers", "0"),
    ],
)
def test_usage_errors_exit_2(akless: Akless, project: Path, args: tuple[str, ...]) -> None:
    outcome = akless("scan", *args)
    assert outcome.code == EXIT_USAGE
    assert "Traceback" not in outcome.err
    assert outcome.out == ""


# --- progress ---------------------------------------------------------------------------------


def test_the_progress_bar_waits_for_a_large_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    monkeypatch.setattr(scan_command._ProgressBar, "_update", lambda self, label, *a, **k: (
        drawn.append(label)
    ))  # fmt: skip
    bar = scan_command._ProgressBar(enabled=True)
    bar.bytes(0, scan_command.LARGE_TREE_BYTES - 1)
    bar.commits(0, scan_command.LONG_HISTORY_COMMITS - 1)
    assert drawn == []
    bar.bytes(0, scan_command.LARGE_TREE_BYTES)
    bar.commits(1, scan_command.LONG_HISTORY_COMMITS)
    assert drawn == ["scanning", "commits"]


def test_rich_is_not_imported_for_a_staged_scan(repo: Path) -> None:
    code = (
        "import sys; from akless.cli.main import main; code = main(['scan', '--staged']); "
        "sys.exit(10 + code if any(m.startswith(('rich', 'multiprocessing')) "
        "for m in sys.modules) else code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, check=False,
        env={**os.environ},
    )  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
