"""Pair credential parts: each anchor (an AccessKey ID) with at most one candidate (a secret, a
token), each candidate used once, pairing as many anchors as possible at the least total
distance.

Greedy nearest-first pairing goes wrong where credentials sit in a row: in ``id1 secret1 token1
id2 secret2 token2``, ``id2`` is nearer to ``token1`` (just before it) than ``id1`` is, and a
greedy pass gives ``token1`` to ``id2``. The least total distance pairs each part with its own.
Anchors that compete for candidates form small groups, solved exactly (Hungarian method); a
group too large for that (thousands of keys in one listing) falls back to greedy.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

Candidate = TypeVar("Candidate", bound=Hashable)

EXACT_LIMIT = 60
"""Largest group (anchors) solved exactly; O(n^3), a few milliseconds at this size."""
_UNPAIRED = 1e9
_NEVER = 1e18


def assign(options: Mapping[int, Sequence[tuple[float, Candidate]]]) -> dict[int, Candidate]:
    """For each anchor (key), its options as ``(cost, candidate)``; returns anchor -> candidate."""
    groups = _groups(options)
    paired: dict[int, Candidate] = {}
    for anchors in groups:
        if len(anchors) == 1:
            (anchor,) = anchors
            if options[anchor]:
                paired[anchor] = min(options[anchor], key=lambda option: option[0])[1]
        elif len(anchors) <= EXACT_LIMIT:
            paired.update(_exact(anchors, options))
        else:
            paired.update(_greedy(anchors, options))
    return paired


def _groups(options: Mapping[int, Sequence[tuple[float, Candidate]]]) -> list[list[int]]:
    """Anchors linked by a shared candidate, directly or through others (union-find)."""
    parent = {anchor: anchor for anchor in options}

    def root(anchor: int) -> int:
        while parent[anchor] != anchor:
            parent[anchor] = parent[parent[anchor]]
            anchor = parent[anchor]
        return anchor

    owner: dict[Candidate, int] = {}
    for anchor, choices in options.items():
        for _, candidate in choices:
            if candidate in owner:
                parent[root(anchor)] = root(owner[candidate])
            else:
                owner[candidate] = anchor
    grouped: dict[int, list[int]] = {}
    for anchor in options:
        grouped.setdefault(root(anchor), []).append(anchor)
    return list(grouped.values())


def _greedy(
    anchors: list[int], options: Mapping[int, Sequence[tuple[float, Candidate]]]
) -> dict[int, Candidate]:
    ranked = sorted(
        ((cost, anchor, index, candidate)
         for anchor in anchors
         for index, (cost, candidate) in enumerate(options[anchor])),
        key=lambda option: option[:3],
    )  # fmt: skip
    paired: dict[int, Candidate] = {}
    used: set[Candidate] = set()
    for _, anchor, _, candidate in ranked:
        if anchor not in paired and candidate not in used:
            paired[anchor] = candidate
            used.add(candidate)
    return paired


def _exact(
    anchors: list[int], options: Mapping[int, Sequence[tuple[float, Candidate]]]
) -> dict[int, Candidate]:
    """Least-cost assignment with one "unpaired" column per anchor, so that pairing one more
    anchor always beats a shorter total distance."""
    columns: list[Candidate] = []
    column_of: dict[Candidate, int] = {}
    for anchor in anchors:
        for _, candidate in options[anchor]:
            if candidate not in column_of:
                column_of[candidate] = len(columns)
                columns.append(candidate)
    real = len(columns)
    size = real + len(anchors)
    cost = [[_NEVER] * size for _ in anchors]
    for row, anchor in enumerate(anchors):
        for value, candidate in options[anchor]:
            column = column_of[candidate]
            cost[row][column] = min(cost[row][column], value)
        cost[row][real + row] = _UNPAIRED
    chosen = _hungarian(cost)
    return {anchors[row]: columns[column] for row, column in enumerate(chosen) if column < real}


def _hungarian(cost: list[list[float]]) -> list[int]:
    """For an n x m cost matrix (n <= m), the column of each row in a least-cost assignment
    (the potentials form of the Hungarian method, O(n^2 m))."""
    rows, columns = len(cost), len(cost[0])
    u = [0.0] * (rows + 1)
    v = [0.0] * (columns + 1)
    match = [0] * (columns + 1)  # match[column] = row, 1-based; 0 = free
    way = [0] * (columns + 1)
    for row in range(1, rows + 1):
        match[0] = row
        column = 0
        least = [float("inf")] * (columns + 1)
        used = [False] * (columns + 1)
        while True:
            used[column] = True
            current, delta, nearest = match[column], float("inf"), 0
            for other in range(1, columns + 1):
                if used[other]:
                    continue
                reduced = cost[current - 1][other - 1] - u[current] - v[other]
                if reduced < least[other]:
                    least[other], way[other] = reduced, column
                if least[other] < delta:
                    delta, nearest = least[other], other
            for other in range(columns + 1):
                if used[other]:
                    u[match[other]] += delta
                    v[other] -= delta
                else:
                    least[other] -= delta
            column = nearest
            if match[column] == 0:
                break
        while column:
            previous = way[column]
            match[column] = match[previous]
            column = previous
    chosen = [0] * rows
    for column in range(1, columns + 1):
        if match[column]:
            chosen[match[column] - 1] = column - 1
    return chosen
