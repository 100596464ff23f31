"""Find Alibaba Cloud credentials in bytes: pure, no I/O.

Speed comes from never running a pattern over a whole file. Substring searches (C speed) find
the few places worth a look — ``LTAI``, ``STS.``, ``CAIS``, and the word ``secret`` — and the
patterns run only in small windows around them:

1. AccessKey IDs, STS IDs and security tokens, each checked for shape and randomness;
2. secrets assigned to a name (``AccessKeySecret: ...``, ``access_key_secret=...``, setters,
   URL parameters, XML elements, escaped JSON), strong names alone making them Alibaba secrets;
3. around each ID, within a few lines, bare 30-character secrets (positional arguments, SDK
   constructors, comments);
4. IDs and secrets are paired greedily, nearest first (a secret after its ID counts nearer),
   each used once; what stays single is reported alone when it is worth reporting.

A line that says ``akless:ignore`` is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from akless.scan import rules
from akless.scan.filters import entropy, plausible_random
from akless.scan.findings import Finding, fingerprint

WINDOW_LINES = 5
WINDOW_BYTES = 1500
STS_WINDOW_LINES = 8
STS_WINDOW_BYTES = 4000
_BOUNDARY = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_ESCAPES = (b"\\n", b"\\r", b"\\t")


@dataclass(frozen=True)
class _Span:
    """A candidate credential part: where it is and what it is."""

    start: int
    end: int
    value: bytes
    named: bool = False
    strong: bool = False


def _starts_a_token(data: bytes, position: int) -> bool:
    """Whether a credential may begin at ``position``: not inside a longer word or base64 run
    (an escape sequence such as ``\\n`` in a JSON string does not count as part of a word)."""
    if position == 0 or data[position - 1] not in _BOUNDARY:
        return True
    return data[position - 2 : position] in _ESCAPES


def _prefixed(data: bytes, prefix: bytes, body: re.Pattern[bytes]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every ``prefix`` + ``body`` that starts a token."""
    position = data.find(prefix)
    while position != -1:
        if _starts_a_token(data, position):
            match = body.match(data, position + len(prefix))
            if match is not None and data[match.end() : match.end() + 1] not in (b"+", b"/"):
                yield position, match.end()
        position = data.find(prefix, position + 1)


def _access_key_ids(data: bytes) -> list[_Span]:
    found = []
    for start, end in _prefixed(data, rules.ID_PREFIX, rules.ID_SUFFIX):
        value = data[start:end]
        if plausible_random(value[4:], min_entropy=3.0) and value not in rules.KNOWN_EXAMPLES:
            found.append(_Span(start, end, value))
    return found


def _sts_ids(data: bytes) -> list[_Span]:
    return [
        _Span(start, end, data[start:end])
        for start, end in _prefixed(data, rules.STS_PREFIX, rules.STS_ID_SUFFIX)
        if plausible_random(data[start + 4 : end], min_entropy=3.0)
    ]


def _tokens(data: bytes) -> list[_Span]:
    return [
        _Span(start, end, data[start:end])
        for start, end in _prefixed(data, rules.TOKEN_PREFIX, rules.TOKEN_BODY)
        if entropy(data[start:end]) >= 4.5
    ]


def _normalized(name: bytes) -> bytes:
    return name.lower().replace(b"_", b"").replace(b"-", b"").replace(b".", b"")


def _assignments(data: bytes) -> list[_Span]:
    """Values assigned to a name containing ``secret``, found line by line around each
    occurrence of the word."""
    found: dict[int, _Span] = {}
    for hint in rules.NAME_HINT:
        position = data.find(hint)
        while position != -1:
            line_start = data.rfind(b"\n", 0, position) + 1
            line_end = data.find(b"\n", position)
            line_end = len(data) if line_end == -1 else line_end
            window = (max(line_start, position - 80), min(line_end, position + 200))
            for match in rules.ASSIGNMENT.finditer(data, *window):
                value = match.group("value")
                start = match.start("value")
                if start in found or not plausible_random(value, min_entropy=3.5):
                    continue
                name = _normalized(match.group("name"))
                strong = any(word in name for word in rules.STRONG_NAMES) or any(
                    word in name for word in rules.PROVIDER_WORDS
                )
                found[start] = _Span(start, match.end("value"), value, named=True, strong=strong)
            position = data.find(hint, position + 1)
    return sorted(found.values(), key=lambda span: span.start)


def _window(data: bytes, span: _Span, lines: int, limit: int) -> tuple[int, int]:
    """Up to ``lines`` lines around ``span``, and at most ``limit`` bytes either side."""
    start = span.start
    for _ in range(lines + 1):
        start = data.rfind(b"\n", 0, start)
        if start == -1:
            break
    low = max(0, start + 1 if start != -1 else 0, span.start - limit)
    end = span.end
    for _ in range(lines + 1):
        end = data.find(b"\n", end + 1)
        if end == -1:
            break
    high = min(len(data), end if end != -1 else len(data), span.end + limit)
    return low, high


def _bare(data: bytes, pattern: re.Pattern[bytes], low: int, high: int) -> Iterator[_Span]:
    for match in pattern.finditer(data, low, high):
        if _starts_a_token(data, match.start()) and plausible_random(
            match.group(), min_entropy=3.5
        ):
            yield _Span(match.start(), match.end(), match.group())


def _overlaps(span: _Span, taken: list[_Span]) -> bool:
    return any(span.start < other.end and other.start < span.end for other in taken)


def _pair(anchors: list[_Span], candidates: dict[int, list[_Span]]) -> dict[int, _Span]:
    """Match anchors (by index) to candidates, nearest first, each candidate used once. A
    candidate after its anchor counts nearer than one before; a named one nearer still."""
    options = []
    for index, anchor in enumerate(anchors):
        for candidate in candidates.get(index, []):
            if candidate.start >= anchor.end:
                cost = candidate.start - anchor.end
            else:
                cost = int((anchor.start - candidate.end) * 1.5)
            if candidate.named:
                cost //= 2
            options.append((cost, index, candidate.start, candidate))
    paired: dict[int, _Span] = {}
    used: set[int] = set()
    for _, index, start, candidate in sorted(options, key=lambda option: option[:3]):
        if index not in paired and start not in used:
            paired[index] = candidate
            used.add(start)
    return paired


def _text(part: _Span | None) -> str | None:
    return None if part is None else part.value.decode("ascii")


def _finding(
    data: bytes,
    path: str,
    rule: rules.Rule,
    first: _Span,
    key: _Span | None,
    secret: _Span | None,
    token: _Span | None,
) -> Finding:
    line = data.count(b"\n", 0, first.start) + 1
    column = first.start - (data.rfind(b"\n", 0, first.start) + 1) + 1
    values = [None if part is None else part.value for part in (key, secret, token)]
    return Finding(
        rule=rule.id,
        path=path,
        line=line,
        column=column,
        fingerprint=fingerprint(rule.id, *values),
        access_key_id=_text(key),
        secret=_text(secret),
        security_token=_text(token),
    )


def _ignored(data: bytes, *spans: _Span | None) -> bool:
    for span in spans:
        if span is None:
            continue
        line_start = data.rfind(b"\n", 0, span.start) + 1
        line_end = data.find(b"\n", span.end)
        if rules.INLINE_IGNORE in data[line_start : len(data) if line_end == -1 else line_end]:
            return True
    return False


def worth_scanning(data: bytes) -> bool:
    """The cheap test: does ``data`` contain anything a credential could start with?"""
    return (
        rules.ID_PREFIX in data
        or rules.STS_PREFIX in data
        or rules.TOKEN_PREFIX in data
        or any(hint in data for hint in rules.NAME_HINT)
    )


def scan(data: bytes, path: str = "-") -> list[Finding]:
    """Every credential in ``data`` (the content of ``path``), in order of appearance."""
    if not worth_scanning(data):
        return []
    ids = _access_key_ids(data) if rules.ID_PREFIX in data else []
    sts_ids = _sts_ids(data) if rules.STS_PREFIX in data else []
    tokens = _tokens(data) if rules.TOKEN_PREFIX in data else []
    named = _assignments(data) if any(hint in data for hint in rules.NAME_HINT) else []
    taken = [*ids, *sts_ids, *tokens]
    named = [span for span in named if not _overlaps(span, taken)]
    findings = [
        *_access_keys(data, path, ids, named, taken),
        *_sts(data, path, sts_ids, tokens, named, taken),
    ]
    return sorted(findings, key=lambda finding: (finding.line, finding.column, finding.rule))


def _access_keys(
    data: bytes, path: str, ids: list[_Span], named: list[_Span], taken: list[_Span]
) -> list[Finding]:
    secrets = [span for span in named if len(span.value) == rules.SECRET_LENGTH]
    candidates: dict[int, list[_Span]] = {}
    for index, key in enumerate(ids):
        low, high = _window(data, key, WINDOW_LINES, WINDOW_BYTES)
        nearby = {span.start: span for span in secrets if low <= span.start < high}
        for span in _bare(data, rules.SECRET, low, high):
            if span.start not in nearby and not _overlaps(span, taken):
                nearby[span.start] = span
        candidates[index] = list(nearby.values())
    paired = _pair(ids, candidates)
    used = {span.start for span in paired.values()}
    findings = []
    for index, key in enumerate(ids):
        secret = paired.get(index)
        if _ignored(data, key, secret):
            continue
        if secret is not None:
            first = key if key.start < secret.start else secret
            findings.append(_finding(data, path, rules.ACCESS_KEY_PAIR, first, key, secret, None))
        else:
            findings.append(_finding(data, path, rules.ACCESS_KEY_ID, key, key, None, None))
    for secret in secrets:
        if secret.strong and secret.start not in used and not _ignored(data, secret):
            findings.append(
                _finding(data, path, rules.ACCESS_KEY_SECRET, secret, None, secret, None)
            )
    return findings


def _sts(
    data: bytes,
    path: str,
    sts_ids: list[_Span],
    tokens: list[_Span],
    named: list[_Span],
    taken: list[_Span],
) -> list[Finding]:
    secrets: dict[int, list[_Span]] = {}
    token_options: dict[int, list[_Span]] = {}
    for index, key in enumerate(sts_ids):
        low, high = _window(data, key, STS_WINDOW_LINES, STS_WINDOW_BYTES)
        nearby = {span.start: span for span in named if low <= span.start < high}
        for span in _bare(data, rules.STS_SECRET, low, high):
            if span.start not in nearby and not _overlaps(span, taken):
                nearby[span.start] = span
        secrets[index] = list(nearby.values())
        token_options[index] = [span for span in tokens if low <= span.start < high]
    paired_secrets = _pair(sts_ids, secrets)
    paired_tokens = _pair(sts_ids, token_options)
    used_tokens = {span.start for span in paired_tokens.values()}
    findings = []
    for index, key in enumerate(sts_ids):
        secret, token = paired_secrets.get(index), paired_tokens.get(index)
        if (secret is None and token is None) or _ignored(data, key, secret, token):
            continue  # an STS ID alone is neither usable nor long-lived
        findings.append(_finding(data, path, rules.STS_CREDENTIAL, key, key, secret, token))
    for token in tokens:
        if token.start not in used_tokens and not _ignored(data, token):
            findings.append(_finding(data, path, rules.STS_TOKEN, token, None, None, token))
    return findings
