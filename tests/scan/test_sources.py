"""The scanner's readers: trees (``.gitignore`` in and out of git, binaries, big files,
excludes), git history (added lines, first appearance, ``--since``), the index, stdin, and the
``-U0`` patch parser underneath, each on real files and real git repositories in ``tmp_path``.

Also the helpers other scanner tests use: made-up credentials shaped like real ones, and git.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import string
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from akless.errors import ConfigurationError
from akless.scan import scan
from akless.scan._patch import GAP_LINES, Blob, parse_patch
from akless.scan.config import ScanSettings
from akless.scan.sources import (
    iter_files,
    iter_git_history,
    iter_staged,
    read_stdin,
    read_text_file,
)

_ALNUM = string.ascii_letters + string.digits
AUTHOR = "Ann Example <ann@example.com>"
GIT = shutil.which("git") or "git"


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def credential_line(key: str, secret: str) -> str:
    """How keys are hard-coded in practice: an SDK constructor."""
    return f'client = AcsClient("{key}", "{secret}", "cn-hangzhou")\n'


def new_pair() -> tuple[str, str]:
    """A fresh AccessKey ID and secret, shaped like real ones, that the engine reports as a
    pair (random draws that happen to look like placeholders are drawn again)."""
    while True:
        key, secret = f"LTAI{_random(20)}", _random(30)
        found = scan(credential_line(key, secret).encode(), "x")
        if len(found) == 1 and (found[0].access_key_id, found[0].secret) == (key, secret):
            return key, secret


def settings(**changes: object) -> ScanSettings:
    return ScanSettings(**changes)  # type: ignore[arg-type]


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a fixed author, with no user or system config in the way."""
    done = subprocess.run(
        [GIT, "-C", str(repo), "-c", "user.name=Ann Example", "-c",
         "user.email=ann@example.com", "-c", "commit.gpgsign=false", *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit(repo: Path, files: dict[str, str | None], message: str = "change") -> str:
    """Write (or, for ``None``, delete) ``files``, commit them all, return the new sha."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def names(paths: list[Path], top: Path) -> set[str]:
    return {path.relative_to(top).as_posix() for path in paths}


# --- reading one file -------------------------------------------------------------------------


def test_read_text_file_returns_text_and_refuses_binaries_and_big_files(tmp_path: Path) -> None:
    text = tmp_path / "a.py"
    text.write_bytes(b"x = 1\n")
    binary = tmp_path / "a.so"
    binary.write_bytes(b"\x7fELF\0\0" + b"LTAI" * 100)
    late_nul = tmp_path / "late.txt"
    late_nul.write_bytes(b"a" * 9000 + b"\0")
    assert read_text_file(text, 100) == b"x = 1\n"
    assert read_text_file(binary, 1 << 20) is None
    assert read_text_file(late_nul, 1 << 20) == b"a" * 9000 + b"\0"  # only the first 8 KiB
    assert read_text_file(text, 5) is None
    assert read_text_file(late_nul, 9000) is None


def test_read_text_file_reads_big_files_and_pipes_whole(tmp_path: Path) -> None:
    text = b"".join(b"line %d\n" % number for number in range(20_000))
    (tmp_path / "big.txt").write_bytes(text)
    assert read_text_file(tmp_path / "big.txt", len(text)) == text
    assert read_text_file(tmp_path / "big.txt", len(text) - 1) is None
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as pipe:
            for start in range(0, len(text), 50_000):
                pipe.write(text[start : start + 50_000])
                pipe.flush()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert read_text_file(fifo, 1 << 20) == text
    finally:
        writer.join()


def test_read_text_file_lets_os_errors_through(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text_file(tmp_path / "missing", 100)


# --- trees ------------------------------------------------------------------------------------


def tree(top: Path) -> Path:
    files = {
        "app.py": "a",
        "debug.log": "ignored by *.log",
        "keep/keep.log": "re-included below",
        "keep/.gitignore": "!keep.log\n",
        "build/out.txt": "ignored directory",
        "src/lib.py": "b",
        "src/.gitignore": "generated.py\n",
        "src/generated.py": "ignored by src/.gitignore",
        "fixtures/sample.txt": "excluded by settings",
        "big.txt": "x" * 5000,
        ".gitignore": "*.log\nbuild/\n",
    }
    for name, text in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text)
    return top


EXPECTED = {"app.py", "keep/keep.log", "keep/.gitignore", "src/lib.py", "src/.gitignore",
            ".gitignore"}  # fmt: skip


def test_a_tree_outside_git_honours_every_gitignore_excludes_and_size(tmp_path: Path) -> None:
    top = tree(tmp_path / "plain")
    (top / ".git").mkdir()  # a stray .git directory is never read
    (top / ".git" / "config").write_text("x")
    found = list(iter_files([top], settings(exclude=("fixtures/",), max_file_size=4096)))
    assert names(found, top) == EXPECTED


def test_a_work_tree_is_listed_by_git(tmp_path: Path) -> None:
    top = tree(new_repo(tmp_path / "repo"))
    commit(top, {"tracked-then-deleted.txt": "x"})
    (top / "tracked-then-deleted.txt").unlink()  # still in the index, gone from disk
    (top / ".git" / "info" / "exclude").write_text("private.txt\n")  # git-only rules apply too
    (top / "private.txt").write_text("x")
    (top / "untracked.txt").write_text("x")
    found = list(iter_files([top], settings(exclude=("fixtures/",), max_file_size=4096)))
    assert names(found, top) == EXPECTED | {"untracked.txt"}


def test_an_untracked_repository_inside_a_work_tree_is_scanned_with_its_rules(
    tmp_path: Path,
) -> None:
    outer = new_repo(tmp_path / "outer")
    inner = new_repo(outer / "vendor" / "inner")
    (inner / ".gitignore").write_text("*.tmp\n")
    (inner / "code.py").write_text("x")
    (inner / "scratch.tmp").write_text("x")
    assert names(list(iter_files([outer], settings())), outer) == {
        "vendor/inner/.gitignore",
        "vendor/inner/code.py",
    }


def test_a_directory_git_ignores_is_scanned_when_named(tmp_path: Path) -> None:
    top = new_repo(tmp_path / "repo")
    (top / ".gitignore").write_text("vendor/\n")
    (top / "vendor").mkdir()
    (top / "vendor" / "lib.py").write_text("x")
    assert names(list(iter_files([top], settings())), top) == {".gitignore"}
    assert names(list(iter_files([top / "vendor"], settings())), top) == {"vendor/lib.py"}


def test_names_are_relative_to_the_current_directory_and_excludes_match_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "keys.txt").write_text("x")
    (tmp_path / "tests" / "test_a.py").write_text("x")
    monkeypatch.chdir(tmp_path)
    found = iter_files([Path("tests")], settings(exclude=("tests/fixtures/",)))
    assert [path.as_posix() for path in found] == ["tests/test_a.py"]
    found = iter_files([Path(".")], settings())
    assert sorted(path.as_posix() for path in found) == [
        "tests/fixtures/keys.txt",
        "tests/test_a.py",
    ]
    rooted = settings(exclude=("tests/fixtures/",), root=tmp_path)  # absolute, under the root
    assert [path.name for path in iter_files([tmp_path / "tests"], rooted)] == ["test_a.py"]


def test_a_named_file_is_always_a_candidate_and_a_missing_one_an_error(tmp_path: Path) -> None:
    top = tree(tmp_path)
    named = [top / "debug.log", top / "fixtures" / "sample.txt"]
    assert list(iter_files(named, settings(exclude=("fixtures/",)))) == named
    with pytest.raises(ConfigurationError, match=r"cannot scan .*nowhere: No such file"):
        list(iter_files([top / "nowhere"], settings()))


def test_symlinks_and_special_files_in_a_tree_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "loop").symlink_to(tmp_path)
    os.mkfifo(tmp_path / "fifo")  # reading it would block forever
    assert names(list(iter_files([tmp_path], settings())), tmp_path) == {"real.txt"}


# --- git history ------------------------------------------------------------------------------


def test_a_key_added_then_deleted_is_found_at_its_first_commit(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    key, secret = new_pair()
    commit(repo, {"README.md": "hello\n"}, "first")
    added = commit(repo, {"src/app.py": "import x\n\n" + credential_line(key, secret)}, "oops")
    commit(repo, {"src/app.py": "import x\n"}, "remove the key")
    blobs = list(iter_git_history(repo))
    assert [(blob.path, blob.commit and blob.commit.sha) for blob in blobs][:2] == [
        ("README.md", blobs[0].commit and blobs[0].commit.sha),
        ("src/app.py", added),
    ]
    leaked = blobs[1]
    assert leaked.commit is not None
    assert leaked.commit.author == AUTHOR
    assert leaked.commit.date[:4].isdigit()
    assert "T" in leaked.commit.date
    [finding] = scan(leaked.data, leaked.path)
    assert (finding.access_key_id, leaked.file_line(finding.line)) == (key, 3)
    assert all(key not in blob.data.decode() for blob in blobs[2:])  # deletions add nothing


def test_history_since_reads_only_later_commits(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    old = commit(repo, {"a.txt": "old\n"})
    commit(repo, {"b.txt": "new\n"})
    assert [blob.path for blob in iter_git_history(repo, since=old)] == ["b.txt"]
    assert [blob.path for blob in iter_git_history(repo, since="HEAD")] == []
    assert [blob.path for blob in iter_git_history(repo)] == ["a.txt", "b.txt"]


def test_history_reads_added_lines_of_modified_files_with_their_line_numbers(
    tmp_path: Path,
) -> None:
    repo = new_repo(tmp_path / "repo")
    commit(repo, {"f.txt": "".join(f"line {n}\n" for n in range(1, 41))})
    text = (repo / "f.txt").read_text().replace("line 3\n", "three\n").replace("line 30\n", "x\n")
    commit(repo, {"f.txt": text})
    [_, blob] = list(iter_git_history(repo))
    lines = blob.data.split(b"\n")
    assert lines[0] == b"three"
    assert lines[-1] == b"x"
    assert len(lines) == 2 + GAP_LINES  # far-apart hunks are kept apart, not paired
    assert (blob.file_line(1), blob.file_line(len(lines))) == (3, 30)


def test_history_errors_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not in a git repository"):
        list(iter_git_history(tmp_path))
    repo = new_repo(tmp_path / "repo")
    assert list(iter_git_history(repo)) == []  # no commits yet: nothing to read
    commit(repo, {"a.txt": "a\n"})
    with pytest.raises(ConfigurationError, match="unknown revision 'no-such-branch'"):
        list(iter_git_history(repo, since="no-such-branch"))
    with pytest.raises(ConfigurationError, match="unknown revision '--all'"):
        list(iter_git_history(repo, since="--all"))


def test_git_missing_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigurationError, match="git is not installed"):
        list(iter_staged(tmp_path))


# --- the index --------------------------------------------------------------------------------


def test_staged_reads_only_what_the_index_adds(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "first.txt").write_text("in the first commit\n")
    git(repo, "add", "first.txt")
    assert [(blob.path, blob.data) for blob in iter_staged(repo)] == [
        ("first.txt", b"in the first commit")  # no HEAD yet: all of it is added
    ]
    git(repo, "commit", "-q", "-m", "first")
    (repo / "first.txt").write_text("in the first commit\nstaged line\n")
    git(repo, "add", "first.txt")
    (repo / "first.txt").write_text("in the first commit\nstaged line\nnot staged\n")
    (repo / "untracked.txt").write_text("not staged either\n")
    [blob] = list(iter_staged(repo))
    assert (blob.path, blob.data, blob.commit, blob.file_line(1)) == (
        "first.txt", b"staged line", None, 2
    )  # fmt: skip


def test_staged_names_unusual_paths_exactly(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    odd = 'dir with space/tab\there "quoted" café.txt'
    (repo / "dir with space").mkdir()
    (repo / odd).write_text("x\n")
    git(repo, "add", "-A")
    assert [blob.path for blob in iter_staged(repo)] == [odd]


# --- standard input ---------------------------------------------------------------------------


def test_read_stdin_reads_bytes_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a\0b\nc")))
    assert read_stdin() == Blob("-", b"a\0b\nc")


# --- the patch parser -------------------------------------------------------------------------

PATCH = b"""\x00aaaa\x00Ann <a@x>\x002024-01-02T03:04:05+01:00

diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+one
++++ not a header
\\ No newline at end of file
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-gone
\x00bbbb\x00Bob <b@x>\x002024-02-02T00:00:00Z

diff --git a/new.txt b/new.txt
--- a/new.txt
+++ b/new.txt
@@ -1 +0,0 @@
-one
@@ -5,0 +5,2 @@ context
+five
+six
@@ -8 +9 @@
-x
+nine
diff --git "a/sp\\303\\251cial\\tname" "b/sp\\303\\251cial\\tname"
--- /dev/null
+++ "b/sp\\303\\251cial\\tname"\t
@@ -0,0 +1 @@
+z
"""


def test_the_parser_reads_added_lines_per_file_and_commit() -> None:
    blobs = list(parse_patch(PATCH.splitlines(keepends=True)))
    assert [(blob.path, blob.commit and blob.commit.sha, blob.data) for blob in blobs] == [
        ("new.txt", "aaaa", b"one\n+++ not a header"),
        ("new.txt", "bbbb", b"five\nsix\n\n\nnine"),
        ("spécial\tname", "bbbb", b"z"),
    ]
    assert blobs[0].commit is not None
    assert blobs[0].commit.author == "Ann <a@x>"
    assert [blobs[1].file_line(line) for line in (1, 2, 5)] == [5, 6, 9]


def test_the_parser_skips_files_whose_additions_exceed_the_limit() -> None:
    blobs = parse_patch(PATCH.splitlines(keepends=True), max_file_size=10)
    assert [blob.data for blob in blobs] == [b"z"]


def test_a_reader_that_stops_early_stops_git(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    for number in range(3):
        commit(repo, {f"f{number}.txt": "x\n" * 1000})
    history = iter_git_history(repo)
    assert next(history).path == "f0.txt"
    history.close()  # no error, no git left running (a ResourceWarning would fail the test)
