"""Build the labelled corpus the scanner benchmark runs on.

``python -m bench.scan_corpus OUT_DIR [--git] [--seed N] [--pairs 50] [--size-mb 100]``

1. Copy the text files of the running interpreter's standard library (``sysconfig``'s
   ``stdlib``, without ``site-packages``, ``__pycache__``, binaries and files over 5 MiB),
   again under ``stdlib-2/``, ``stdlib-3/``... until the copy reaches ``--size-mb``.
2. Plant ``--pairs`` fake AccessKey pairs (a third with legacy 16-character IDs), cycling
   through every context of ``bench.scan_plants``, plus one STS credential for every five
   pairs; each goes into an existing file of a suffix the context allows, else a new file.
3. Add look-alike decoys (``bench.scan_decoys``) into files without plants.
4. Write ``OUT_DIR/labels.json`` (the corpus itself is ``OUT_DIR/tree``): each planted
   credential (kind, context, file, line, ID length, values) and each decoy (file, first line,
   number of lines, what).

With ``--git`` the tree is a git repository: the plain copy is the first commit, plants
arrive over ten later commits, and two final commits delete a third of them (``deleted`` in
the labels; a history scan must still find them). The work tree is what a scan of the
directory sees; ``line`` is the credential's line in the commit that added it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sysconfig
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.scan_decoys import decoys
from bench.scan_plants import (
    PAIR_CONTEXTS,
    STS_CONTEXTS,
    Context,
    access_key_id,
    access_key_secret,
    fill,
    security_token,
    sts_access_key_id,
    sts_secret,
)

VERSION = 3
"""Bumped whenever the corpus a seed produces changes (cached corpora are rebuilt)."""
MAX_FILE = 5 << 20
BINARY_SUFFIXES = frozenset(
    (
        ".a", ".o", ".so", ".pyc", ".pyo", ".exe", ".dll", ".zip", ".gz", ".bz2", ".xz", ".tar",
        ".whl", ".png", ".gif", ".jpg", ".jpeg", ".bmp", ".ico", ".wav", ".au", ".aif", ".aifc",
        ".aiff", ".tiff", ".webp", ".sgi", ".pck", ".pem", ".der", ".mo", ".icns", ".ppm", ".pgm",
        ".xbm",
    )
)  # fmt: skip
TREE = "tree"
GIT = shutil.which("git") or "git"
LABELS = "labels.json"
GIT_PLANT_COMMITS = 10
DELETED_FRACTION = 1 / 3


@dataclass
class Plant:
    """One planted credential (``kind``: ``pair`` or ``sts``)."""

    kind: str
    context: str
    id: str
    secret: str | None
    token: str | None
    text: str
    file: str = ""
    line: int = 0
    id_length: int = 0
    commit: int = 0
    deleted: bool = False


@dataclass
class Placed:
    """A decoy where it landed."""

    what: str
    text: str
    marker: str
    file: str = ""
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def stdlib_files() -> list[tuple[Path, str]]:
    """(absolute path, path relative to the standard library) of every text file worth copying."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for directory, names, files in os.walk(root):
        names[:] = sorted(name for name in names if name not in ("site-packages", "__pycache__"))
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink() or path.suffix.lower() in BINARY_SUFFIXES:
                continue
            if path.stat().st_size > MAX_FILE or b"\0" in path.read_bytes():
                continue
            found.append((path, path.relative_to(root).as_posix()))
    return found


def copy_stdlib(out: Path, size_mb: float) -> int:
    """Copy the standard library's text files under ``out`` until ``size_mb``; bytes copied."""
    files, total, copy = stdlib_files(), 0, 1
    while total < size_mb * 1e6:
        top = "stdlib" if copy == 1 else f"stdlib-{copy}"
        for source, relative in files:
            target = out / top / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            total += source.stat().st_size
            if total >= size_mb * 1e6:
                break
        copy += 1
    return total


def tree_bytes(tree: Path) -> int:
    """Bytes of every file in ``tree`` (``.git`` aside): what a scan of it reads."""
    total = 0
    for directory, names, files in os.walk(tree):
        names[:] = [name for name in names if name != ".git"]
        total += sum(os.path.getsize(os.path.join(directory, name)) for name in files)
    return total


def make_plants(rng: random.Random, pairs: int) -> list[Plant]:
    """``pairs`` AccessKey pairs over every context in turn (shuffled), a third of them with
    legacy IDs, and one STS credential per five pairs (at least one per STS context)."""
    plants = []
    order = list(PAIR_CONTEXTS)
    rng.shuffle(order)
    legacy = [index % 3 == 0 for index in range(pairs)]
    rng.shuffle(legacy)
    for index in range(pairs):
        context = order[index % len(order)]
        key, secret = access_key_id(rng, legacy=legacy[index]), access_key_secret(rng)
        text = fill(rng.choice(context.templates), key, secret, None)
        plants.append(Plant("pair", context.name, key, secret, None, text, id_length=len(key)))
    for index in range(max(len(STS_CONTEXTS), pairs // 5)):
        context = STS_CONTEXTS[index % len(STS_CONTEXTS)]
        key, token = sts_access_key_id(rng), security_token(rng)
        template = rng.choice(context.templates)
        secret = sts_secret(rng) if "@SECRET@" in template else None
        text = fill(template, key, secret, token)
        plants.append(Plant("sts", context.name, key, secret, token, text, id_length=len(key)))
    rng.shuffle(plants)
    return plants


class Placer:
    """Chooses files: existing ones by suffix (never one holding a plant for a decoy, nor the
    reverse), or new files in random directories of the copy."""

    def __init__(self, out: Path, rng: random.Random) -> None:
        self.out, self.rng = out, rng
        self.by_suffix: dict[str, list[str]] = {}
        self.directories: list[str] = []
        for path in sorted(out.rglob("*")):
            relative = path.relative_to(out).as_posix()
            if path.is_dir():
                self.directories.append(relative)
            else:
                self.by_suffix.setdefault(path.suffix, []).append(relative)
        self.planted: set[str] = set()
        self.decoyed: set[str] = set()

    def existing(self, suffixes: tuple[str, ...], avoid: set[str]) -> str | None:
        choices = [name for suffix in suffixes for name in self.by_suffix.get(suffix, [])]
        choices = [name for name in choices if name not in avoid]
        return self.rng.choice(choices) if choices else None

    def new(self, name: str) -> str:
        while True:
            candidate = f"{self.rng.choice(self.directories)}/{name}"
            if not (self.out / candidate).exists():
                return candidate

    def for_plant(self, context: Context) -> str:
        if context.existing and (not context.new or self.rng.random() < 0.7):
            found = self.existing(context.existing, self.decoyed)
            if found is not None:
                self.planted.add(found)
                return found
        name = self.new(self.rng.choice(context.new or ("notes" + context.existing[0],)))
        self.planted.add(name)
        return name

    def for_decoy(self, suffixes: tuple[str, ...]) -> str:
        if self.rng.random() < 0.6 and suffixes[0].startswith("."):
            found = self.existing(suffixes, self.planted)
            if found is not None:
                self.decoyed.add(found)
                return found
        suffix = suffixes[0]
        name = self.new(
            suffix if not suffix.startswith(".") else f"sample_{len(self.decoyed)}{suffix}"
        )
        self.decoyed.add(name)
        return name


def insert(
    out: Path, name: str, text: str, rng: random.Random, inserted: dict[str, list[bytes]]
) -> None:
    """Add ``text`` to file ``name`` at a random line boundary (a new file holds just it)."""
    path = out / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text.endswith("\n") else text + "\n")
        inserted.setdefault(name, []).append(text.rstrip("\n").encode())
        return
    data = path.read_bytes()
    lines = data.split(b"\n")
    taken = [(data.find(block), len(block)) for block in inserted.get(name, [])]
    while True:  # never inside a block inserted before
        at = rng.randint(0, max(0, len(lines) - 1))
        offset = sum(len(line) + 1 for line in lines[:at])
        if not any(start < offset < start + length for start, length in taken):
            break
    block = text.rstrip("\n").encode()
    inserted.setdefault(name, []).append(block)
    path.write_bytes(b"\n".join([*lines[:at], block, *lines[at:]]))


def remove(out: Path, name: str, text: str) -> None:
    """Undo ``insert``: drop the block, or the file if the block was all of it."""
    path = out / name
    data = path.read_bytes()
    block = text.rstrip("\n").encode()
    if data.strip() == block.strip():
        path.unlink()
        return
    data = (
        data.replace(block + b"\n", b"", 1) if block + b"\n" in data else data.replace(block, b"")
    )
    path.write_bytes(data)


def line_of(out: Path, name: str, needle: str) -> int:
    data = (out / name).read_bytes()
    position = data.find(needle.encode())
    if position < 0:
        raise RuntimeError(f"{needle[:8]}... not found in {name}")
    return data.count(b"\n", 0, position) + 1


def first_line(out: Path, plant: Plant) -> int:
    """The line a finding names: of the ID, or of the secret if it comes first."""
    lines = [line_of(out, plant.file, plant.id)]
    if plant.secret is not None and plant.kind == "pair":
        lines.append(line_of(out, plant.file, plant.secret))
    return min(lines)


def build(root: Path, *, seed: int, pairs: int, size_mb: float, git: bool) -> dict[str, Any]:
    """Build the corpus in ``root/tree`` (``root`` emptied first) and its labels in
    ``root/labels.json`` (outside the tree: a scan of the tree must not see them)."""
    if root.exists():
        shutil.rmtree(root)
    out = root / TREE
    out.mkdir(parents=True)
    rng = random.Random(seed)
    size = copy_stdlib(out, size_mb)
    placer = Placer(out, rng)
    plants = make_plants(rng, pairs)
    contexts = {context.name: context for context in (*PAIR_CONTEXTS, *STS_CONTEXTS)}
    for plant in plants:
        plant.file = placer.for_plant(contexts[plant.context])
    inserted: dict[str, list[bytes]] = {}
    placed = []
    for decoy in decoys(rng, per_kind=max(1, pairs // 10)):
        placed.append(
            Placed(decoy.what, decoy.text, decoy.marker, placer.for_decoy(decoy.suffixes))
        )
    if git:
        _git(out, "init", "-q", "-b", "main")
        _commit(out, "Import the standard library", 0)
    for decoy in placed:
        insert(out, decoy.file, decoy.text, rng, inserted)
    batches = (
        [plants] if not git else [plants[i::GIT_PLANT_COMMITS] for i in range(GIT_PLANT_COMMITS)]
    )
    for number, batch in enumerate(batches, start=1):
        for plant in batch:
            insert(out, plant.file, plant.text, rng, inserted)
            plant.commit = number if git else 0
        for plant in batch:
            plant.line = first_line(out, plant)
        if git:
            _commit(out, f"Update configuration ({number})", number)
    if git:
        doomed = rng.sample(plants, round(len(plants) * DELETED_FRACTION))
        for number, half in enumerate((doomed[::2], doomed[1::2]), start=GIT_PLANT_COMMITS + 1):
            for plant in half:
                remove(out, plant.file, plant.text)
                plant.deleted = True
            _commit(out, f"Remove credentials ({number})", number)
    for decoy in placed:
        decoy.line = line_of(out, decoy.file, decoy.text.rstrip("\n"))
    labels = {
        "version": VERSION,
        "seed": seed,
        "pairs": pairs,
        "git": git,
        "bytes": tree_bytes(out),
        "stdlib_bytes": size,
        "plants": [_label(plant) for plant in plants],
        "decoys": [
            {"file": d.file, "line": d.line, "lines": d.text.count("\n") + 1, "what": d.what}
            for d in placed
        ],
    }
    (root / LABELS).write_text(json.dumps(labels, indent=1))
    return labels


def _label(plant: Plant) -> dict[str, Any]:
    label = asdict(plant)
    del label["text"]
    return label


def _git(out: Path, *args: str) -> None:
    subprocess.run(
        [GIT, "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
        cwd=out, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _commit(out: Path, message: str, number: int) -> None:
    date = f"2024-01-{number + 1:02d}T10:00:00+00:00"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Corpus Builder",
        "GIT_AUTHOR_EMAIL": "corpus@example.com",
        "GIT_COMMITTER_NAME": "Corpus Builder",
        "GIT_COMMITTER_EMAIL": "corpus@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    subprocess.run([GIT, "add", "-A"], cwd=out, check=True, env=env)
    subprocess.run(
        [GIT, "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", "commit", "-q",
         "--allow-empty", "-m", message],
        cwd=out, check=True, env=env,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scan_corpus", description=__doc__)
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    parser.add_argument("--git", action="store_true", help="build a git repository with history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--size-mb", type=float, default=100.0)
    args = parser.parse_args(argv)
    labels = build(args.out, seed=args.seed, pairs=args.pairs, size_mb=args.size_mb, git=args.git)
    plants = labels["plants"]
    print(
        f"{args.out}: {labels['bytes'] / 1e6:.1f} MB, {sum(p['kind'] == 'pair' for p in plants)} "
        f"pairs, {sum(p['kind'] == 'sts' for p in plants)} STS credentials, "
        f"{len(labels['decoys'])} decoys"
        + (f", {sum(p['deleted'] for p in plants)} deleted in history" if args.git else "")
    )


if __name__ == "__main__":
    main()
