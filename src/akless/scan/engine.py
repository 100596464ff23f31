"""Find Alibaba Cloud credentials in bytes: pure, no I/O.

1. Candidates (``akless.scan._candidates``), each checked for shape and randomness: AccessKey
   IDs, STS IDs and security tokens found from their prefixes; secrets assigned to a name
   (``AccessKeySecret: ...``, ``access_key_secret=...``, setters, URL parameters, XML, escaped
   JSON), strong names alone making them Alibaba secrets; and, within a few lines of each ID,
   bare secrets (positional arguments, SDK constructors, comments, URLs).
2. IDs and secrets (and STS IDs and tokens) are paired at the least total distance, each used
   once (``akless.scan._pairing``); a secret after its ID counts nearer than one before, one
   assigned to a ``secret`` name nearer still, and one assigned to an AccessKey-secret name
   nearest.
3. What stays single is reported alone when it is worth reporting: an AccessKey ID (a warning),
   a secret under a strong name, a security token.

A line that says ``akless:ignore`` is never reported. Every step is linear or ``n log n`` in
the input (a listing of thousands of keys, a minified one-line file): no pattern runs over a
whole file, and positions are turned into lines in one pass at the end.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from akless.scan import rules
from akless.scan._candidates import (
    Span,
    SpanIndex,
    access_key_ids,
    assignments,
    bare,
    merged,
    sts_ids,
    tokens,
    window,
)
from akless.scan._pairing import assign
from akless.scan.findings import Finding, fingerprint

WINDOW_LINES = 5
WINDOW_BYTES = 1500
STS_WINDOW_LINES = 8
STS_WINDOW_BYTES = 4000
BEFORE_WEIGHT = 1.5
"""A part before its ID counts this much farther than one as far after it."""
NAMED_WEIGHT = 0.5
"""A secret assigned to a ``secret`` name counts this much nearer."""
STRONG_WEIGHT = 0.2
"""...and one assigned to an AccessKey-secret name (``access_key_secret``) this much: on the
next line, it beats an unnamed value between them (``checksum = "..."``), not one in the same
call as the ID (``AcsClient("LTAI...", "...")``)."""
NEAREST = 8
"""Candidates weighed per ID: the nearest; more only slow a dense listing down."""


class _Spec(NamedTuple):
    """A finding before its line and column are known."""

    rule: rules.Rule
    first: Span
    key: Span | None
    secret: Span | None
    token: Span | None


def scan(data: bytes, path: str = "-") -> list[Finding]:
    """Every credential in ``data`` (the content of ``path``), in order of appearance."""
    # One pass over the bytes per prefix, here; everything after starts from these positions.
    first_id = data.find(rules.ID_PREFIX)
    first_sts = data.find(rules.STS_PREFIX)
    first_token = data.find(rules.TOKEN_PREFIX)
    hints = {hint: data.find(hint) for hint in rules.NAME_HINT}
    if first_id == first_sts == first_token == -1 and all(at == -1 for at in hints.values()):
        return []
    ids = access_key_ids(data, first_id)
    sts = sts_ids(data, first_sts)
    found_tokens = tokens(data, first_token)
    taken = SpanIndex([*ids, *sts, *found_tokens])
    named = [span for span in assignments(data, hints) if not taken.overlaps(span)]
    specs = [*_access_keys(data, ids, named, taken), *_sts(data, sts, found_tokens, named, taken)]
    if specs and rules.INLINE_IGNORE in data:
        ignored = _IgnoredLines(data)
        specs = [spec for spec in specs if not ignored.any(spec.key, spec.secret, spec.token)]
    return _findings(data, path, specs)


def _cost(anchor: Span, candidate: Span) -> float:
    if candidate.start >= anchor.end:
        cost = float(candidate.start - anchor.end)
    else:
        cost = (anchor.start - candidate.end) * BEFORE_WEIGHT
    if candidate.strong:
        return cost * STRONG_WEIGHT
    return cost * NAMED_WEIGHT if candidate.named else cost


def _near_each(
    data: bytes,
    anchors: list[Span],
    reach: tuple[int, int],
    shape: re.Pattern[bytes],
    named: list[Span],
    taken: SpanIndex,
) -> list[tuple[tuple[int, int], list[Span]]]:
    """For each anchor, its window (``reach``: lines, bytes) and the secrets in it: named
    ones, and bare ones of ``shape``. Overlapping windows are searched once."""
    bounds = [window(data, anchor, *reach) for anchor in anchors]
    found = SpanIndex(
        span
        for low, high in merged(bounds)
        for span in bare(data, shape, low, high)
        if not taken.overlaps(span)
    )
    named_index = SpanIndex(named)
    out = []
    for low, high in bounds:
        nearby = {span.start: span for span in named_index.within(low, high)}
        for span in found.within(low, high):
            nearby.setdefault(span.start, span)
        out.append(((low, high), list(nearby.values())))
    return out


def _options(anchor: Span, candidates: list[Span]) -> list[tuple[float, int]]:
    """The nearest few candidates of ``anchor`` as ``(cost, start)``."""
    return sorted((_cost(anchor, span), span.start) for span in candidates)[:NEAREST]


def _access_keys(data: bytes, ids: list[Span], named: list[Span], taken: SpanIndex) -> list[_Spec]:
    secrets = [span for span in named if len(span.value) == rules.SECRET_LENGTH]
    spans: dict[int, Span] = {span.start: span for span in secrets}
    options: dict[int, list[tuple[float, int]]] = {}
    reach = (WINDOW_LINES, WINDOW_BYTES)
    near = _near_each(data, ids, reach, rules.SECRET, secrets, taken)
    for number, (key, (_, nearby)) in enumerate(zip(ids, near, strict=True)):
        spans.update((span.start, span) for span in nearby)
        options[number] = _options(key, nearby)
    paired = assign(options)
    specs = []
    for number, key in enumerate(ids):
        if number in paired:
            secret = spans[paired[number]]
            first = key if key.start < secret.start else secret
            specs.append(_Spec(rules.ACCESS_KEY_PAIR, first, key, secret, None))
        else:
            specs.append(_Spec(rules.ACCESS_KEY_ID, key, key, None, None))
    used = set(paired.values())
    specs.extend(
        _Spec(rules.ACCESS_KEY_SECRET, secret, None, secret, None)
        for secret in secrets
        if secret.strong and secret.start not in used
    )
    return specs


def _sts(
    data: bytes, sts: list[Span], found_tokens: list[Span], named: list[Span], taken: SpanIndex
) -> list[_Spec]:
    token_index = SpanIndex(found_tokens)
    spans: dict[int, Span] = {span.start: span for span in named}
    tokens_at = {span.start: span for span in found_tokens}
    secret_options: dict[int, list[tuple[float, int]]] = {}
    token_options: dict[int, list[tuple[float, int]]] = {}
    reach = (STS_WINDOW_LINES, STS_WINDOW_BYTES)
    near = _near_each(data, sts, reach, rules.STS_SECRET, named, taken)
    for number, (key, (bounds, nearby)) in enumerate(zip(sts, near, strict=True)):
        spans.update((span.start, span) for span in nearby)
        secret_options[number] = _options(key, nearby)
        token_options[number] = _options(key, token_index.within(*bounds))
    paired_secrets = assign(secret_options)
    paired_tokens = assign(token_options)
    specs = []
    for number, key in enumerate(sts):
        secret = spans[paired_secrets[number]] if number in paired_secrets else None
        token = tokens_at[paired_tokens[number]] if number in paired_tokens else None
        if secret is not None or token is not None:  # an STS ID alone is not usable
            specs.append(_Spec(rules.STS_CREDENTIAL, key, key, secret, token))
    used = set(paired_tokens.values())
    specs.extend(
        _Spec(rules.STS_TOKEN, token, None, None, token)
        for token in found_tokens
        if token.start not in used
    )
    return specs


class _IgnoredLines:
    """The lines that say ``akless:ignore``, as sorted ``(start, end)`` byte ranges."""

    def __init__(self, data: bytes) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        position = data.find(rules.INLINE_IGNORE)
        while position != -1:
            end = data.find(b"\n", position)
            end = len(data) if end == -1 else end
            self.starts.append(data.rfind(b"\n", 0, position) + 1)
            self.ends.append(end)
            position = data.find(rules.INLINE_IGNORE, end)

    def any(self, *spans: Span | None) -> bool:
        """Whether any of ``spans`` (never multi-line: values have no newline) is on one."""
        for span in spans:
            if span is not None:
                line = bisect_right(self.starts, span.start) - 1
                if line >= 0 and span.end <= self.ends[line]:
                    return True
        return False


def _findings(data: bytes, path: str, specs: list[_Spec]) -> list[Finding]:
    """``specs`` as findings in order of appearance, lines counted in one pass."""
    findings = []
    line, counted, line_start = 1, 0, 0
    for spec in sorted(specs, key=lambda spec: (spec.first.start, spec.rule.id)):
        position = spec.first.start
        newlines = data.count(b"\n", counted, position)
        if newlines:
            line += newlines
            line_start = data.rfind(b"\n", counted, position) + 1
        counted = position
        values = [None if part is None else part.value for part in spec[2:]]
        findings.append(
            Finding(
                rule=spec.rule.id,
                path=path,
                line=line,
                column=position - line_start + 1,
                fingerprint=fingerprint(spec.rule.id, *values),
                access_key_id=_text(spec.key),
                secret=_text(spec.secret),
                security_token=_text(spec.token),
            )
        )
    return findings


def _text(part: Span | None) -> str | None:
    return None if part is None else part.value.decode("ascii")
