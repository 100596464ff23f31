"""Run the pure engine over trees, git history, the index or standard input; then triage.

Trees are listed in this process and read by the workers: batches of files (about 1-4 MiB
each) go to a process pool (forked on Linux, so starting it costs milliseconds), each worker
reading and scanning its own files. Small inputs are scanned here, where a pool would cost
more than it saves. History and the index are streamed from git and scanned as they arrive;
a credential found in several commits is reported once, at its first appearance.

``triage`` is where findings are dropped after scanning: the settings' allowlist
(``akless.scan.config.is_allowed``) and a baseline of known fingerprints. (History applies
the allowlist once more, earlier: a first appearance is looked for among findings not allowed.)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from akless.scan.engine import scan
from akless.scan.findings import Finding
from akless.scan.sources import (
    Blob,
    Candidate,
    count_commits,
    excluded_names,
    iter_candidates,
    iter_git_history,
    iter_staged,
    read_stdin,
    read_text_file,
)

if TYPE_CHECKING:
    import multiprocessing.pool

    from akless.scan.config import ScanSettings

__all__ = [
    "Progress",
    "default_workers",
    "scan_blob",
    "scan_history",
    "scan_paths",
    "scan_staged",
    "scan_stdin",
    "triage",
]

log = logging.getLogger("akless.scan")

Progress = Callable[[int, int], None]
"""Called as work is done: ``(done, total)``, in bytes for trees, in commits for history."""

PARALLEL_MIN_BYTES = 8 << 20
"""Below this, forking workers costs more than it saves."""
BATCH_MIN_BYTES = 1 << 20
BATCH_MAX_BYTES = 4 << 20
BATCH_MAX_FILES = 2000


@dataclass(frozen=True)
class _BatchResult:
    findings: list[Finding]
    size: int
    """Listed size of the batch's files (what progress counts)."""
    errors: list[tuple[str, str]]
    """(file, reason) for each file that could not be read."""


def default_workers() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def scan_blob(blob: Blob) -> list[Finding]:
    """The findings in ``blob``, with the file's line numbers and the blob's commit."""
    findings = scan(blob.data, blob.path)
    if not findings or (blob.commit is None and not blob.line_map):
        return findings
    return [
        replace(finding, line=blob.file_line(finding.line), commit=blob.commit)
        for finding in findings
    ]


def scan_paths(
    paths: Sequence[Path],
    settings: ScanSettings,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[Finding]:
    """Every finding in the files and trees ``paths`` (see ``sources.iter_candidates``),
    sorted by path and line."""
    candidates = list(iter_candidates(paths, settings))
    total = sum(candidate.size for candidate in candidates)
    count = workers or default_workers()
    # Paths and sizes, not Candidates: a list of strings pickles ten times faster.
    batches = [
        ([candidate.path for candidate in batch], sum(candidate.size for candidate in batch))
        for batch in _batches(candidates, _batch_bytes(total, count))
    ]
    task = partial(_scan_batch, max_size=settings.max_file_size)
    findings: list[Finding] = []
    with ExitStack() as stack:
        results: Iterable[_BatchResult]
        if count > 1 and len(batches) > 1 and total >= PARALLEL_MIN_BYTES:
            # Started before the first progress call, which may start a drawing thread.
            pool = stack.enter_context(_pool(min(count, len(batches))))
            results = pool.imap_unordered(task, batches)
        else:
            results = map(task, batches)
        done = 0
        if progress is not None:
            progress(done, total)
        for result in results:
            findings.extend(result.findings)
            for name, reason in result.errors:
                log.warning("cannot read %s: %s", name, reason)
            done += result.size
            if progress is not None:
                progress(done, total)
    return _sorted(findings)


def _batch_bytes(total: int, workers: int) -> int:
    """Several batches per worker, so that a slow last batch delays the run little."""
    return min(BATCH_MAX_BYTES, max(BATCH_MIN_BYTES, total // (workers * 8)))


def _batches(candidates: Iterable[Candidate], target: int) -> Iterator[list[Candidate]]:
    """Consecutive runs of files (neighbours share directories and the disk cache) of about
    ``target`` bytes."""
    current: list[Candidate] = []
    size = 0
    for candidate in candidates:
        current.append(candidate)
        size += candidate.size
        if size >= target or len(current) >= BATCH_MAX_FILES:
            yield current
            current, size = [], 0
    if current:
        yield current


def _scan_batch(batch: tuple[list[str], int], *, max_size: int) -> _BatchResult:
    """Read and scan a batch of files, (paths, their listed size), in a worker or here."""
    paths, size = batch
    findings: list[Finding] = []
    errors: list[tuple[str, str]] = []
    for path in paths:
        try:
            data = read_text_file(path, max_size)
        except OSError as error:
            errors.append((path, error.strerror or type(error).__name__))
            continue
        if data is not None:
            findings.extend(scan(data, path))
    return _BatchResult(findings, size, errors)


def _pool(workers: int) -> multiprocessing.pool.Pool:
    """A process pool: forked when that is safe (Linux, no other thread that a fork could copy
    mid-lock), else from a fork server or a fresh interpreter."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    return multiprocessing.get_context(method).Pool(workers, initializer=_worker_started)


def _worker_started() -> None:
    """Ctrl-C is for the main process, which stops the pool: workers printing a traceback
    each would bury its one line."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def scan_history(
    repo: Path,
    since: str | None,
    settings: ScanSettings,
    *,
    progress: Progress | None = None,
) -> list[Finding]:
    """Every credential ever added to ``HEAD``'s history (``since..HEAD`` with ``since``), each
    once, with the commit, author and path of its first appearance, even if deleted since."""
    total = count_commits(repo, since) if progress is not None else 0
    blobs = iter_git_history(repo, since, max_file_size=settings.max_file_size)
    return _sorted(_first_appearances(_counting(blobs, total, progress), settings))


def _counting(blobs: Iterator[Blob], total: int, progress: Progress | None) -> Iterator[Blob]:
    if progress is None:
        yield from blobs
        return
    done, last = 0, None
    for blob in blobs:
        sha = blob.commit.sha if blob.commit else None
        if sha != last:
            done, last = done + 1, sha
            progress(min(done, total), total)
        yield blob
    progress(total, total)


def _first_appearances(blobs: Iterable[Blob], settings: ScanSettings) -> list[Finding]:
    """Each credential once, where it first appeared outside the paths the settings exclude
    or allow: a key first committed under an allowed ``docs/`` and later copied to ``src/``
    is reported in ``src/``."""
    from akless.scan.config import is_allowed

    excluded = excluded_names(settings)
    seen: set[str] = set()
    findings = []
    for blob in blobs:
        if excluded(blob.path):
            continue
        for finding in scan_blob(blob):
            if finding.fingerprint not in seen and not is_allowed(finding, settings):
                seen.add(finding.fingerprint)
                findings.append(finding)
    return findings


def scan_staged(repo: Path, settings: ScanSettings) -> list[Finding]:
    """The credentials in what is about to be committed: only lines the index adds."""
    excluded = excluded_names(settings)
    findings = []
    for blob in iter_staged(repo, max_file_size=settings.max_file_size):
        if not excluded(blob.path):
            findings.extend(scan_blob(blob))
    return _sorted(findings)


def scan_stdin() -> list[Finding]:
    """The credentials in standard input (named ``-``). Read whole: no size limit applies to
    what a user pipes in on purpose, and no path pattern to a stream without a path."""
    return scan_blob(read_stdin())


def triage(
    findings: Iterable[Finding], settings: ScanSettings, baseline: frozenset[str] = frozenset()
) -> list[Finding]:
    """The findings to report: not allowed by the settings, not in the ``baseline``."""
    from akless.scan.config import is_allowed

    return [
        finding
        for finding in findings
        if finding.fingerprint not in baseline and not is_allowed(finding, settings)
    ]


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings, key=lambda finding: (finding.path, finding.line, finding.column, finding.rule)
    )
