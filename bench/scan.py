"""The leak scanner (issue 5) on a labelled corpus: throughput, recall, decoys, history, staged.

``python -m bench scan [--corpus DIR] [--seeds 1,2,3] [--pairs 50] [--size-mb 100] [--runs 3]
[--draws 500] [--detect-secrets]``

The corpus (``bench.scan_corpus``: the standard library copied to ~100 MB, fake credentials
planted in every context, look-alike decoys) is built once per seed and cached under
``bench/results/``, with a git variant whose later commits delete a third of the keys.
``--corpus DIR`` scans a corpus built by hand instead (seeds are then ignored).

Measured, as users run it (``akless scan ... --format json`` in a fresh process):

(a) directory scan wall time and MB/s, median of ``--runs``; also the engine alone
    (``akless.scan.scan`` over files already in memory, one process): the per-byte cost;
(b) recall: planted credentials found exactly (the ID with its own secret, and token), per
    context and per ID length, STS separately, over every seed;
(c) decoys reported (goal: none) and other findings (none expected on the standard library);
(d) ``akless scan --git``: the same over the whole history, deleted keys counted apart;
(e) ``akless scan --staged`` wall time for a one-line change, median of ``--runs``;
(f) the sweep (``bench.scan_sweep``): every template ``--draws`` times and every decoy kind
    ``--draws`` times through the engine, for rates the corpus's few plants per context cannot
    give.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import akless
from akless.scan import scan
from bench import scan_corpus
from bench.harness import RESULTS, save
from bench.scan_eval import Score, as_record, score
from bench.scan_report import ANCHORS, print_report
from bench.scan_sweep import sweep

AKLESS = str(Path(sys.executable).with_name("akless"))


def corpus(seed: int, pairs: int, size_mb: float, *, git: bool) -> Path:
    """The cached corpus for ``seed``, built if missing or from an older generator."""
    name = f"scan-corpus-s{seed}-p{pairs}-{size_mb:g}mb" + ("-git" if git else "")
    root = RESULTS / name
    labels = root / scan_corpus.LABELS
    if labels.exists() and json.loads(labels.read_text()).get("version") == scan_corpus.VERSION:
        return root
    print(f"building {root} ...", flush=True)
    scan_corpus.build(root, seed=seed, pairs=pairs, size_mb=size_mb, git=git)
    return root


def labels_of(root: Path) -> dict[str, Any]:
    labels: dict[str, Any] = json.loads((root / scan_corpus.LABELS).read_text())
    return labels


def cli_available() -> bool:
    try:
        done = subprocess.run([AKLESS, "scan", "--help"], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


def run_cli(tree: Path, *args: str) -> tuple[float, list[dict[str, Any]]]:
    """Wall seconds and findings of ``akless scan ARGS --format json`` run in ``tree``."""
    command = [AKLESS, "scan", *args, "--format", "json", "--no-progress"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=tree, capture_output=True, check=False, timeout=1800)
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)}: exit {done.returncode}: {done.stderr[-2000:]!r}")
    findings: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return seconds, findings


def read_tree(tree: Path) -> list[tuple[str, bytes]]:
    files = []
    for directory, names, filenames in os.walk(tree):
        names[:] = sorted(name for name in names if name != ".git")
        for name in sorted(filenames):
            path = Path(directory, name)
            data = path.read_bytes()
            if b"\0" not in data[:8192]:
                files.append((path.relative_to(tree).as_posix(), data))
    return files


def engine_alone(tree: Path, runs: int) -> tuple[list[float], list[dict[str, Any]]]:
    """Seconds of ``scan()`` over every file of ``tree`` (read beforehand), and the findings."""
    files = read_tree(tree)
    times, records = [], []
    for _ in range(runs):
        began = time.perf_counter()
        findings = [finding for path, data in files for finding in scan(data, path)]
        times.append(time.perf_counter() - began)
        records = [as_record(finding) for finding in findings]
    return times, records


def staged(tree: Path, runs: int) -> tuple[list[float], int]:
    """Wall seconds of ``akless scan --staged`` for one added line holding a fake key pair,
    and how many findings it reported; the change is undone afterwards."""
    import random

    from bench.scan_plants import access_key_id, access_key_secret

    rng = random.Random(0)
    target = "stdlib/json/__init__.py"
    path = tree / target
    original = path.read_bytes()
    line = f'client = AcsClient("{access_key_id(rng, legacy=False)}", "{access_key_secret(rng)}")\n'
    path.write_bytes(original + line.encode())
    try:
        subprocess.run([scan_corpus.GIT, "add", target], cwd=tree, check=True)
        run_cli(tree, "--staged")  # warm-up: the disk cache, bytecode
        results = [run_cli(tree, "--staged") for _ in range(runs)]
    finally:
        subprocess.run([scan_corpus.GIT, "reset", "-q", "--", target], cwd=tree, check=True)
        path.write_bytes(original)
    return [seconds for seconds, _ in results], len(results[0][1])


def detect_secrets(root: Path, labels: dict[str, Any], budget: float = 10e6) -> dict[str, Any]:
    """detect-secrets 1.5.0 on a ~10 MB subset (every planted and decoy file, then standard
    library files): it runs at about 1 MB/s. A pair counts as found when its secret is."""
    import hashlib
    import shutil

    tree, subset = root / scan_corpus.TREE, root.parent / (root.name + "-detect-secrets")
    wanted = {plant["file"] for plant in labels["plants"] if not plant.get("deleted")}
    wanted |= {decoy["file"] for decoy in labels["decoys"]}
    size = sum((tree / name).stat().st_size for name in wanted)
    for name, data in read_tree(tree):
        if size >= budget:
            break
        if name not in wanted:
            wanted.add(name)
            size += len(data)
    if subset.exists():
        shutil.rmtree(subset)
    for name in wanted:
        (subset / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree / name, subset / name)
    executable = str(Path(sys.executable).with_name("detect-secrets"))
    began = time.perf_counter()
    done = subprocess.run(
        [executable, "scan", "--all-files"], cwd=subset, capture_output=True, check=True
    )
    seconds = time.perf_counter() - began
    results = json.loads(done.stdout)["results"]
    hashes = {(name, hit["hashed_secret"]) for name, hits in results.items() for hit in hits}
    found = sum(
        (plant["file"], hashlib.sha1(plant["secret"].encode(), usedforsecurity=False).hexdigest())
        in hashes
        for plant in labels["plants"]
        if plant["kind"] == "pair" and not plant.get("deleted")
    )
    decoy_hits = sum(
        any(
            decoy["line"] <= hit["line_number"] < decoy["line"] + decoy["lines"]
            for hit in results.get(decoy["file"], [])
        )
        for decoy in labels["decoys"]
    )
    return {
        "mb": size / 1e6,
        "seconds": seconds,
        "mb_per_s": size / 1e6 / seconds,
        "pairs_found": found,
        "pairs": sum(plant["kind"] == "pair" for plant in labels["plants"]),
        "decoys_hit": decoy_hits,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scan", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="a corpus built by bench.scan_corpus")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=500, help="sweep draws per template")
    parser.add_argument("--detect-secrets", action="store_true", help="also run detect-secrets")
    args = parser.parse_args(argv)
    compileall.compile_dir(Path(akless.__file__).parent, quiet=1)
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.corpus is None else [0]
    use_cli = cli_available()
    results: dict[str, Any] = {"cli": use_cli, "seeds": seeds, "runs": args.runs}
    recall, history = Score(), Score()
    per_seed: dict[str, Any] = {}
    for index, seed in enumerate(seeds):
        root = args.corpus or corpus(seed, args.pairs, args.size_mb, git=False)
        labels, tree = labels_of(root), root / scan_corpus.TREE
        engine_times, records = engine_alone(tree, args.runs if index == 0 else 1)
        entry: dict[str, Any] = {"corpus": str(root), "bytes": labels["bytes"]}
        entry["decoys"] = len(labels["decoys"])
        entry["engine_seconds"] = engine_times
        if use_cli:
            runs = [run_cli(tree, ".") for _ in range(args.runs if index == 0 else 1)]
            entry["cli_seconds"] = [seconds for seconds, _ in runs]
            records = runs[0][1]
        seed_score = score(records, labels)
        entry["directory"] = seed_score.as_dict()
        recall.merge(seed_score)
        if use_cli and args.corpus is None:
            git_root = corpus(seed, args.pairs, args.size_mb, git=True)
            seconds, found = run_cli(git_root / scan_corpus.TREE, "--git")
            history_score = score(found, labels_of(git_root), history=True)
            history.merge(history_score)
            entry["history"] = {"seconds": seconds, **history_score.as_dict()}
            if index == 0:
                times, count = staged(git_root / scan_corpus.TREE, args.runs)
                entry["staged"] = {"seconds": times, "findings": count}
        if index == 0 and args.detect_secrets:
            entry["detect_secrets"] = detect_secrets(root, labels)
        per_seed[str(seed)] = entry
    results["per_seed"] = per_seed
    results["recall"] = recall.as_dict()
    results["history"] = history.as_dict()
    results["sweep"] = sweep(args.draws)
    results["anchors"] = ANCHORS
    print_report(results, recall, history)
    print(f"\nsaved {save('scan', results)}")


if __name__ == "__main__":
    main()
