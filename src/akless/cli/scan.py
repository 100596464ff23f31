"""``akless scan``: find Alibaba Cloud credentials in files, git history, staged changes or stdin.

A thin layer over ``akless.scan.runner`` (what to scan, in parallel), ``akless.scan.config``
(settings and allowlist), ``akless.scan.baseline`` and ``akless.scan.report`` (text, JSON,
SARIF: never a secret). Exit codes: 0 nothing to report, 1 findings (after the baseline and the
allowlist), 2 usage or configuration error.

Kept light: ``akless scan --staged`` runs as a pre-commit hook on every commit, so nothing
heavy is imported unless the run needs it (rich only for a progress bar, the pool only for a
large tree).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK
from akless.cli.options import invocation, shared_options

if TYPE_CHECKING:
    from akless.scan.config import ScanSettings
    from akless.scan.findings import Finding

EXIT_FINDINGS = EXIT_NOT_FOUND
"""Something to report: a credential not in the baseline nor allowed by the settings."""
FORMATS = ("text", "json", "sarif")
LARGE_TREE_BYTES = 32 << 20
"""A progress bar appears for trees larger than this (and histories longer than the next)."""
LONG_HISTORY_COMMITS = 200


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    from akless.scan.config import parse_size

    size = parse_size(int(value) if value.isdigit() else value)
    if size is None:
        raise click.BadParameter(f"{value!r} is not a size (bytes, or like 512K, 5MiB, 1GB)")
    return size


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--git",
    "history",
    is_flag=True,
    help="Scan the git history of HEAD (of the repository at PATH, default .): every "
    "line ever added, reported at its first commit, deleted keys included.",
)
@click.option("--since", metavar="REV", help="With --git: only commits after REV (REV..HEAD).")
@click.option(
    "--staged",
    is_flag=True,
    help="Scan only the lines the index adds: what is about to be committed.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Do not report findings whose fingerprints FILE lists.",
)
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Write every current finding's fingerprint to --baseline FILE; exit 0.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="text (secrets redacted), json or sarif (2.1.0). Default: text, or json "
    "with --output json.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Ask STS GetCallerIdentity whether each finding still works (network).",
)
@click.option(
    "--max-file-size",
    callback=_size,
    metavar="SIZE",
    help="Skip larger files (bytes, or 512K, 5MiB, 1GB). Default: the settings' "
    "max-file-size, else 5 MiB.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Read [tool.akless.scan] from FILE instead of pyproject.toml or .akless.toml.",
)
@click.option("--no-progress", is_flag=True, help="Never draw a progress bar.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes scanning a tree. Default: one per CPU.",
)
@shared_options
def scan(
    paths: tuple[str, ...],
    history: bool,
    since: str | None,
    staged: bool,
    baseline: Path | None,
    update_baseline: bool,
    fmt: str | None,
    verify: bool,
    max_file_size: int | None,
    config_file: Path | None,
    no_progress: bool,
    workers: int | None,
) -> int:
    """Find Alibaba Cloud AccessKeys and STS credentials in PATHs (default: .), git history
    (--git) or staged changes (--staged). PATH - reads standard input.

    \b
    akless scan                        # this directory, honouring .gitignore
    akless scan --staged               # before a commit (the pre-commit hook)
    akless scan --git --since main     # commits not yet on main
    akless scan --baseline .akless-baseline.json --update-baseline   # accept what is there

    Exit codes: 0 nothing found, 1 findings, 2 usage or configuration error.
    """
    _check_usage(paths, history, since, staged, baseline, update_baseline)
    from akless.scan import runner, sources
    from akless.scan.config import load_settings

    repo = Path(paths[0]) if paths else Path(".")
    root = sources.git_toplevel(repo) if history or staged else Path.cwd()
    settings = load_settings(root, config_file)
    if max_file_size is not None:
        settings = dataclasses.replace(settings, max_file_size=max_file_size)
    bar = _ProgressBar(enabled=not no_progress and sys.stderr.isatty())
    try:
        if history:
            findings = runner.scan_history(
                repo, since, settings, progress=bar.commits if bar.enabled else None
            )
        elif staged:
            findings = runner.scan_staged(repo, settings)
        else:
            findings = _scan_paths(paths, settings, workers, bar)
    finally:
        bar.close()
    return _report(findings, settings, root, fmt, baseline, update_baseline, verify)


def _check_usage(
    paths: tuple[str, ...],
    history: bool,
    since: str | None,
    staged: bool,
    baseline: Path | None,
    update_baseline: bool,
) -> None:
    if history and staged:
        raise click.UsageError("--git and --staged are different scans: choose one")
    if since is not None and not history:
        raise click.UsageError("--since goes with --git")
    if (history or staged) and (len(paths) > 1 or "-" in paths):
        raise click.UsageError("--git and --staged take at most one PATH: the repository")
    if update_baseline and baseline is None:
        raise click.UsageError("--update-baseline needs --baseline FILE")


def _scan_paths(
    paths: tuple[str, ...], settings: ScanSettings, workers: int | None, bar: _ProgressBar
) -> list[Finding]:
    from akless.scan import runner

    files = [Path(path) for path in paths or (".",) if path != "-"]
    findings = runner.scan_stdin() if "-" in paths else []
    if files:
        progress = bar.bytes if bar.enabled else None
        findings += runner.scan_paths(files, settings, workers=workers, progress=progress)
    return findings


def _report(
    findings: list[Finding],
    settings: ScanSettings,
    root: Path,
    fmt: str | None,
    baseline: Path | None,
    update_baseline: bool,
    verify: bool,
) -> int:
    from akless.scan import runner
    from akless.scan.baseline import load_baseline, write_baseline
    from akless.scan.report import render

    if update_baseline:
        assert baseline is not None  # checked in _check_usage
        current = runner.triage(findings, settings)
        write_baseline(baseline, current)
        if (fmt or ("json" if invocation().json else "text")) == "text":
            click.echo(f"wrote {len(current)} fingerprint(s) to {baseline}")
        return EXIT_OK
    known = load_baseline(baseline) if baseline is not None else frozenset()
    reported = runner.triage(findings, settings, known)
    if verify and reported:
        from akless.scan.verify import verify_findings

        reported = verify_findings(reported, environ=invocation().environ())
    text = render(reported, fmt or ("json" if invocation().json else "text"), root=root)
    if text:
        click.echo(text, nl=not text.endswith("\n"))
    return EXIT_FINDINGS if reported else EXIT_OK


class _ProgressBar:
    """A transient rich bar on stderr, drawn only once the work proves large."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def bytes(self, done: int, total: int) -> None:
        if self._progress is not None or total >= LARGE_TREE_BYTES:
            self._update("scanning", done, total, bytes_=True)

    def commits(self, done: int, total: int) -> None:
        if self._progress is not None or total >= LONG_HISTORY_COMMITS:
            self._update("commits", done, total, bytes_=False)

    def _update(self, label: str, done: int, total: int, *, bytes_: bool) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            amount = DownloadColumn() if bytes_ else MofNCompleteColumn()
            self._progress = Progress(
                TextColumn(label), BarColumn(), amount, TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task(label, total=total)
        self._progress.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
