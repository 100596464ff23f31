"""The scanner benchmark's tables: figures against issue 5's goals, recall per context, and the
issue's anchors for other tools (quoted, not re-measured: none of them is installed here)."""

from __future__ import annotations

import os
import statistics
from typing import Any, NamedTuple

from bench.scan_eval import Score

ANCHORS = [
    {"tool": "gitleaks", "mb_per_s": 34, "pairs": "23 of 50", "decoys": "11", "sts": "no"},
    {"tool": "Kingfisher", "mb_per_s": 81, "pairs": "20 of 50", "decoys": "0", "sts": "no"},
    {
        "tool": "trufflehog v3 (its matcher)",
        "mb_per_s": 78,
        "pairs": "40 of 50 (no 16-character ID)",
        "decoys": "not stated",
        "sts": "no",
    },
    {"tool": "detect-secrets", "mb_per_s": 0.9, "pairs": "1 of 50", "decoys": "not stated",
     "sts": "no"},
]  # fmt: skip
"""Issue 5's figures, measured on a 103 MB corpus of the same design on 2 cores."""
RECALL_GOAL = 0.98


def _fraction(found: int, planted: int) -> str:
    return f"{found}/{planted} ({found / planted:.1%})" if planted else "n/a"


def _verdict(met: bool | None) -> str:
    return "-" if met is None else "yes" if met else "**no**"


class Row(NamedTuple):
    figure: str
    value: str
    goal: str
    met: bool | None


def _recall(figure: str, score: Score, group: str, goal: str = ">= 98%") -> Row:
    found, planted = score.found.get(group, 0), score.planted.get(group, 0)
    return Row(figure, _fraction(found, planted), goal, score.rate(group) >= RECALL_GOAL)


def _throughput(figure: str, megabytes: float, seconds: float, goal: bool) -> Row:
    value = f"{megabytes / seconds:,.0f} MB/s ({seconds:.2f} s)"
    if not goal:
        return Row(figure, value, "-", None)
    return Row(figure, value, ">= 100 MB/s", megabytes / seconds >= 100)


def _rows(results: dict[str, Any], recall: Score, history: Score) -> list[Row]:
    first = next(iter(results["per_seed"].values()))
    megabytes = first["bytes"] / 1e6
    cores = len(os.sched_getaffinity(0))
    rows = []
    if results["cli"]:
        figure = (
            f"directory scan, `akless scan DIR --format json` ({megabytes:.0f} MB, {cores} cores)"
        )
        rows.append(_throughput(figure, megabytes, statistics.median(first["cli_seconds"]), True))
    figure = "engine alone: `akless.scan.scan()` over files in memory, 1 process"
    engine = statistics.median(first["engine_seconds"])
    rows.append(_throughput(figure, megabytes, engine, not results["cli"]))
    rows.append(_recall("AccessKey pairs found (ID with its own secret)", recall, "pair"))
    for length in (16, 24):
        rows.append(_recall(f"... with {length}-character IDs", recall, f"id-length:{length}"))
    contexts = [group for group in recall.planted if group.startswith("context:")]
    worst = min(contexts, key=recall.rate)
    figure = (
        f"... in the worst context ({worst.removeprefix('context:')}; {len(contexts)} contexts)"
    )
    rows.append(_recall(figure, recall, worst, ">= 98% in every context"))
    rows.append(_recall("STS credentials found (ID, secret, token)", recall, "sts"))
    decoys = f"{len(recall.decoys)} of {_decoys(results)}"
    rows.append(Row("decoys reported", decoys, "0", not recall.decoys))
    figure = "other findings (not planted: the standard library itself, halves of missed pairs)"
    rows.append(Row(figure, str(len(recall.other)), "-", None))
    if history.planted:
        rate = recall.rate("all")
        figure = "history (`--git`): credentials found, all commits"
        row = _recall(figure, history, "all", "= directory rate")
        rows.append(row._replace(met=history.rate("all") >= rate))
        row = _recall("... of them deleted in a later commit", history, "deleted", "same rate")
        rows.append(row._replace(met=history.rate("deleted") >= rate))
        count = len(history.decoys)
        rows.append(Row("... decoys reported in history", str(count), "0", not count))
        seconds = first["history"]["seconds"]
        rows.append(Row("... wall time, whole history", f"{seconds:.2f} s", "-", None))
    if "staged" in first:
        seconds = statistics.median(first["staged"]["seconds"])
        figure = "`akless scan --staged`, one added line"
        rows.append(Row(figure, f"{seconds:.3f} s", "< 0.3 s", seconds < 0.3))
    if "sweep" in results:
        rows.extend(_sweep_rows(results["sweep"]))
    return rows


def _sweep_rows(sweep: dict[str, Any]) -> list[Row]:
    found, tried = sweep["found"], sweep["tried"]
    rows = []
    for group, figure in (
        ("pair", "sweep: AccessKey pairs, every template"),
        ("id-length:16", "... with 16-character IDs"),
        ("id-length:24", "... with 24-character IDs"),
        ("sts", "sweep: STS credentials, every template"),
    ):
        rate = found[group] / tried[group]
        rows.append(Row(figure, _fraction(found[group], tried[group]), ">= 98%", rate >= 0.98))
    contexts = [group for group in tried if group.startswith("context:")]
    worst = min(contexts, key=lambda group: found[group] / tried[group])
    figure = f"... in the worst context ({worst.removeprefix('context:')})"
    rate = found[worst] / tried[worst]
    value = _fraction(found[worst], tried[worst])
    rows.append(Row(figure, value, ">= 98% in every context", rate >= RECALL_GOAL))
    reported = sum(sweep["decoys_reported"].values())
    drawn = sum(sweep["decoys_drawn"].values())
    kinds = len(sweep["decoys_drawn"])
    figure = f"sweep: decoys reported ({kinds} kinds)"
    rows.append(Row(figure, f"{reported} of {drawn}", "0", not reported))
    return rows


def _decoys(results: dict[str, Any]) -> int:
    return sum(entry["decoys"] for entry in results["per_seed"].values())


def print_report(results: dict[str, Any], recall: Score, history: Score) -> None:
    seeds = ", ".join(map(str, results["seeds"]))
    print(f"\nseeds {seeds}; wall times are medians of {results['runs']} runs (first seed)")
    if not results["cli"]:
        print("`akless scan` is not available: figures from the library loop only")
    print("\n| figure | akless | goal | met |\n|---|---:|---|---|")
    for figure, value, goal, met in _rows(results, recall, history):
        print(f"| {figure} | {value} | {goal} | {_verdict(met)} |")
    sweep = results.get("sweep", {"found": {}, "tried": {}})
    print("\n| context | directory scan | history scan | sweep |\n|---|---:|---:|---:|")
    for group in sorted(group for group in recall.planted if group.startswith("context:")):
        found = _fraction(recall.found[group], recall.planted[group])
        past = _fraction(history.found[group], history.planted[group]) if history.planted else "-"
        swept = _fraction(sweep["found"].get(group, 0), sweep["tried"].get(group, 0))
        print(f"| {group.removeprefix('context:')} | {found} | {past} | {swept} |")
    print("\nissue 5's anchors (103 MB corpus, 2 cores; these tools are not installed here):")
    print("\n| tool | MB/s | pairs found | decoys reported | STS |\n|---|---:|---|---|---|")
    for anchor in results["anchors"]:
        print(
            f"| {anchor['tool']} | {anchor['mb_per_s']} | {anchor['pairs']} | {anchor['decoys']} "
            f"| {anchor['sts']} |"
        )
    first = next(iter(results["per_seed"].values()))
    if "detect_secrets" in first:
        ds = first["detect_secrets"]
        print(
            f"\ndetect-secrets 1.5.0, measured here on a {ds['mb']:.1f} MB subset (planted and "
            f"decoy files first): {ds['mb_per_s']:.2f} MB/s, {ds['pairs_found']} of "
            f"{ds['pairs']} pair secrets, {ds['decoys_hit']} decoys reported"
        )
    _spread(results, recall)


def _spread(results: dict[str, Any], recall: Score) -> None:
    print("\nspread:")
    for seed, entry in results["per_seed"].items():
        directory = entry["directory"]
        found, planted = directory["found"].get("all", 0), directory["planted"].get("all", 0)
        times = entry.get("cli_seconds") or entry["engine_seconds"]
        line = (
            f"- seed {seed}: {found}/{planted} found, {len(directory['decoys_reported'])} decoys, "
        )
        line += f"{len(directory['other_findings'])} other; scan " + ", ".join(
            f"{seconds:.2f} s" for seconds in times
        )
        if "history" in entry:
            history = entry["history"]
            line += (
                f"; history {history['found'].get('all', 0)}/{history['planted'].get('all', 0)} "
                f"({history['seconds']:.1f} s)"
            )
        if "staged" in entry:
            line += "; --staged " + ", ".join(
                f"{s * 1000:.0f} ms" for s in entry["staged"]["seconds"]
            )
        print(line)
    for miss in recall.misses:
        print(f"  missed: {miss}")
    for decoy in recall.decoys:
        print(f"  decoy reported: {decoy}")
    for other in recall.other[:20]:
        print(f"  other finding: {other}")
