"""Score scanner findings against a corpus's labels (``bench.scan_corpus``).

A planted credential counts as found only when a finding names it exactly: same file and the
fingerprint of its parts (ID + secret for a pair; ID, secret and token for STS), so a pair
split into an ID alone and a secret alone, or an ID paired with the wrong secret, is a miss.
A finding inside a decoy's lines is a decoy reported; anything else unexplained is listed as
"other" (a false positive on the standard library itself, or half of a missed pair).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from akless.scan.findings import Finding, fingerprint
from akless.scan.rules import ACCESS_KEY_PAIR, STS_CREDENTIAL


def expected_fingerprint(plant: dict[str, Any]) -> str:
    values = [plant["id"], plant["secret"], plant["token"]]
    encoded = [None if value is None else value.encode() for value in values]
    rule = ACCESS_KEY_PAIR if plant["kind"] == "pair" else STS_CREDENTIAL
    return fingerprint(rule.id, *encoded)


def as_record(finding: Finding, root: str = "") -> dict[str, Any]:
    """A library ``Finding`` as the fields ``akless scan --format json`` prints."""
    path = finding.path.removeprefix(root).lstrip("/")
    return {
        "rule": finding.rule,
        "path": path,
        "line": finding.line,
        "fingerprint": finding.fingerprint,
    }


@dataclass
class Score:
    """Found / planted per group, decoys reported, other findings."""

    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    planted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[dict[str, Any]] = field(default_factory=list)
    decoys: list[dict[str, Any]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)
    wrong_line: int = 0

    def add(self, groups: list[str], hit: bool) -> None:
        for group in groups:
            self.planted[group] += 1
            self.found[group] += hit

    def rate(self, group: str) -> float:
        planted = self.planted.get(group, 0)
        return self.found.get(group, 0) / planted if planted else 1.0

    def merge(self, other: Score) -> None:
        for group, count in other.planted.items():
            self.planted[group] += count
            self.found[group] += other.found.get(group, 0)
        self.misses += other.misses
        self.decoys += other.decoys
        self.other += other.other
        self.wrong_line += other.wrong_line

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": dict(self.found),
            "planted": dict(self.planted),
            "misses": self.misses,
            "decoys_reported": self.decoys,
            "other_findings": self.other,
            "wrong_line": self.wrong_line,
        }


def groups_of(plant: dict[str, Any]) -> list[str]:
    """The groups a plant is counted in: all, its kind, its context, its ID length."""
    groups = ["all", plant["kind"], f"context:{plant['context']}"]
    if plant["kind"] == "pair":
        groups.append(f"id-length:{plant['id_length']}")
    if plant.get("deleted"):
        groups.append("deleted")
    return groups


def score(records: list[dict[str, Any]], labels: dict[str, Any], *, history: bool = False) -> Score:
    """Score ``records`` (findings as JSON fields) against ``labels``. A directory scan of a git
    corpus cannot see deleted credentials: they are left out unless ``history``."""
    result = Score()
    by_print: dict[str, dict[str, Any]] = {}
    for record in records:
        by_print.setdefault(record["fingerprint"], record)
    explained: set[int] = set()
    for plant in labels["plants"]:
        if plant.get("deleted") and not history:
            continue
        record = by_print.get(expected_fingerprint(plant))
        hit = record is not None and record["path"] == plant["file"]
        result.add(groups_of(plant), hit)
        if record is not None and hit:
            explained.add(id(record))
            if not history and record["line"] != plant["line"]:
                result.wrong_line += 1
        else:
            result.misses.append(
                {key: plant[key] for key in ("kind", "context", "file", "line", "id_length")}
            )
    decoys_by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for decoy in labels["decoys"]:
        decoys_by_file[decoy["file"]].append(decoy)
    for record in records:
        if id(record) in explained:
            continue
        brief = {key: record[key] for key in ("rule", "path", "line")}
        decoy = next(
            (
                decoy
                for decoy in decoys_by_file.get(record["path"], [])
                if decoy["line"] <= record["line"] < decoy["line"] + decoy["lines"]
            ),
            None,
        )
        if decoy is not None:
            result.decoys.append({**brief, "what": decoy["what"]})
        else:
            result.other.append(brief)
    return result
