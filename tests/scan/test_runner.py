"""The runner: a process pool finds exactly what one process finds, findings come sorted by
path and line, history reports each credential once at its first appearance, and ``triage``
drops what the baseline and the allowlist accept."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest

from akless.scan import runner
from akless.scan.sources import Candidate
from tests.scan.test_sources import commit, credential_line, git, new_pair, new_repo, settings


def plant(top: Path, files: int = 60) -> dict[str, str]:
    """A tree of ``files`` files, a key pair in every third; returns path -> key ID."""
    keys = {}
    for number in range(files):
        name = f"pkg{number % 4}/module_{number:03}.py"
        body = "".join(f"value_{line} = {line}\n" for line in range(200))
        if number % 3 == 0:
            key, secret = new_pair()
            body += credential_line(key, secret)
            keys[name] = key
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(body)
    return keys


def test_a_pool_finds_exactly_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = plant(tmp_path)
    sequential = runner.scan_paths([tmp_path], settings(), workers=1)
    pools: list[int] = []
    real_pool = runner._pool

    def counting_pool(workers: int) -> Any:
        pools.append(workers)
        return real_pool(workers)

    monkeypatch.setattr(runner, "_pool", counting_pool)
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(runner, "BATCH_MIN_BYTES", 1)
    monkeypatch.setattr(runner, "BATCH_MAX_BYTES", 4096)
    parallel = runner.scan_paths([tmp_path], settings(), workers=2)
    assert pools == [2]
    assert parallel == sequential
    assert {Path(finding.path).relative_to(tmp_path).as_posix(): finding.access_key_id
            for finding in parallel} == keys  # fmt: skip


def test_findings_are_sorted_by_path_then_line(tmp_path: Path) -> None:
    (tmp_path / "b.py").write_text(
        credential_line(*new_pair()) + "\n" * 9 + credential_line(*new_pair())
    )
    (tmp_path / "a.py").write_text("\n" * 20 + credential_line(*new_pair()))
    found = runner.scan_paths([tmp_path], settings(), workers=1)
    assert [(Path(f.path).name, f.line) for f in found] == [("a.py", 21), ("b.py", 1), ("b.py", 11)]


def test_progress_counts_bytes_up_to_the_total(tmp_path: Path) -> None:
    plant(tmp_path, files=6)
    calls: list[tuple[int, int]] = []
    runner.scan_paths([tmp_path], settings(), workers=1, progress=lambda *c: calls.append(c))
    total = sum(path.stat().st_size for path in tmp_path.rglob("*.py"))
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)


def test_an_unreadable_file_is_a_warning_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key, secret = new_pair()
    (tmp_path / "good.py").write_text(credential_line(key, secret))
    (tmp_path / "bad.py").write_text("x")
    real_read = runner.read_text_file

    def read(path: str, max_size: int) -> bytes | None:
        if path.endswith("bad.py"):
            raise PermissionError(13, "Permission denied")
        return real_read(path, max_size)

    monkeypatch.setattr(runner, "read_text_file", read)
    with caplog.at_level(logging.WARNING, logger="akless.scan"):
        found = runner.scan_paths([tmp_path], settings(), workers=1)
    assert [finding.access_key_id for finding in found] == [key]
    assert caplog.messages == [f"cannot read {tmp_path}/bad.py: Permission denied"]


def test_batches_keep_order_and_bound_size() -> None:
    candidates = [Candidate(f"f{n}", 300_000) for n in range(40)]
    target = runner._batch_bytes(40 * 300_000, workers=2)
    batches = list(runner._batches(candidates, target))
    assert [c for batch in batches for c in batch] == candidates
    assert all(sum(c.size for c in batch) < target + 300_000 for batch in batches)
    assert len(batches) >= 8


def test_history_reports_each_credential_once_at_its_first_appearance(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    key, secret = new_pair()
    first = commit(repo, {"config/dev.py": credential_line(key, secret)}, "add")
    commit(repo, {"config/prod.py": "\n" + credential_line(key, secret)}, "copy")
    commit(repo, {"config/dev.py": None, "config/prod.py": None}, "remove both")
    [finding] = runner.scan_history(repo, None, settings())
    assert finding.commit is not None
    assert (finding.path, finding.line, finding.commit.sha) == ("config/dev.py", 1, first)
    later = runner.scan_history(repo, first, settings())
    assert [(f.path, f.line) for f in later] == [("config/prod.py", 2)]


def test_a_first_appearance_in_an_allowed_path_does_not_hide_a_later_copy(
    tmp_path: Path,
) -> None:
    repo = new_repo(tmp_path / "repo")
    pair = new_pair()
    commit(repo, {"docs/example.md": credential_line(*pair)}, "document")
    copied = commit(repo, {"src/app.py": credential_line(*pair)}, "copy")
    allowed = settings(allow_paths=("docs/",), root=repo)
    [finding] = runner.triage(runner.scan_history(repo, None, allowed), allowed)
    assert finding.path == "src/app.py"
    assert finding.commit is not None
    assert finding.commit.sha == copied


def test_history_and_staged_honour_exclude_and_size(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    commit(repo, {"fixtures/keys.py": credential_line(*new_pair())})
    assert runner.scan_history(repo, None, settings(exclude=("fixtures/",))) == []
    assert runner.scan_history(repo, None, settings(max_file_size=10)) == []
    (repo / "big.py").write_text("#" * 100 + "\n" + credential_line(*new_pair()))
    git(repo, "add", "big.py")
    assert len(runner.scan_staged(repo, settings())) == 1
    assert runner.scan_staged(repo, settings(max_file_size=100)) == []


def test_triage_drops_the_baseline_and_what_the_settings_allow(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "docs/c.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(credential_line(*new_pair()))
    a, b, c = runner.scan_paths([tmp_path], settings(), workers=1)
    allowed = settings(allow_fingerprints=frozenset({b.fingerprint}), allow_paths=("docs/",))
    assert runner.triage([a, b, c], settings()) == [a, b, c]
    assert runner.triage([a, b, c], settings(), frozenset({a.fingerprint})) == [b, c]
    relative = [a, b, dataclasses.replace(c, path="docs/c.md")]
    assert runner.triage(relative, allowed) == [a]
