"""Candidate credential parts in bytes: where each one is and what it is. Pure, no I/O.

Speed comes from never running a pattern over a whole file: substring searches (C speed) find
the few places worth a look (``LTAI``, ``STS.``, ``CAIS``, the word ``secret``) and patterns run
only at those places or in small windows around them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from akless.scan import rules
from akless.scan.filters import entropy, is_masked, plausible_random

_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_BASE64_ONLY = frozenset(b"+/")
_NAME_CHARACTERS = _ALNUM | frozenset(b"_.-")
_ESCAPES = (b"\\n", b"\\r", b"\\t")
_BASE64_ONLY_BYTES = (b"+", b"/")
_RUNS_ON = frozenset(bytes([character]) for character in (*_ALNUM, *_BASE64_ONLY))


@dataclass(frozen=True)
class Span:
    """A candidate credential part: where it is (``start``, ``end``) and its ``value``, which
    differs from the bytes there only for a token carried percent-encoded or JSON-escaped."""

    start: int
    end: int
    value: bytes
    named: bool = False
    """Assigned to a name that says ``secret``."""
    strong: bool = False
    """...a name that says AccessKey secret (``access_key_secret``, ``AccessKeySecret``)."""


def starts_a_token(data: bytes, position: int) -> bool:
    """Whether a credential may begin at ``position``: not inside a longer word, base64 run or
    path. An escape sequence (``\\n`` in a JSON string) ends a word; ``+`` and ``/`` end one
    only where no letter or digit comes right before them (``oss://``, not ``a/`` or ``h1:x+``)."""
    if position == 0:
        return True
    before = data[position - 1]
    if before in _ALNUM:
        return data[position - 2 : position] in _ESCAPES
    if before not in _BASE64_ONLY:
        return True
    index = position - 1
    while index > 0 and data[index - 1] in _BASE64_ONLY:
        index -= 1
    return index == 0 or data[index - 1] not in _ALNUM


def _prefixed(
    data: bytes, prefix: bytes, body: re.Pattern[bytes], position: int
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every ``prefix`` + ``body`` from ``position`` (the first ``prefix``)
    on that starts a token and does not run on into base64 or a mask."""
    while position != -1:
        if starts_a_token(data, position):
            match = body.match(data, position + len(prefix))
            if (
                match is not None
                and data[match.end() : match.end() + 1] not in _BASE64_ONLY_BYTES
                and not is_masked(data, position, match.end())
            ):
                yield position, match.end()
        position = data.find(prefix, position + 1)


def access_key_ids(data: bytes, first: int) -> list[Span]:
    """AccessKey IDs, the first ``LTAI`` being at ``first``."""
    found = []
    for start, end in _prefixed(data, rules.ID_PREFIX, rules.ID_SUFFIX, first):
        value = data[start:end]
        if value not in rules.KNOWN_EXAMPLES and plausible_random(value[4:]):
            found.append(Span(start, end, value))
    return found


def sts_ids(data: bytes, first: int) -> list[Span]:
    """STS AccessKey IDs, the first ``STS.`` being at ``first``."""
    return [
        Span(start, end, data[start:end])
        for start, end in _prefixed(data, rules.STS_PREFIX, rules.STS_ID_SUFFIX, first)
        if plausible_random(data[start + 4 : end])
    ]


def _unescape(match: re.Match[bytes]) -> bytes:
    if match.group(2):
        return b"/"
    return bytes([int(match.group(1), 16)])


def tokens(data: bytes, first: int) -> list[Span]:
    """STS security tokens, the first ``CAIS`` being at ``first``."""
    found = []
    for start, end in _prefixed(data, rules.TOKEN_PREFIX, rules.TOKEN_BODY, first):
        value = data[start:end]
        if b"%" in value or b"\\" in value:
            value = rules.TOKEN_ESCAPE.sub(_unescape, value)
        if entropy(value) >= rules.TOKEN_MIN_ENTROPY:
            found.append(Span(start, end, value))
    return found


def _normalized(name: bytes) -> bytes:
    return name.lower().replace(b"_", b"").replace(b"-", b"").replace(b".", b"")


def is_strong_name(name: bytes) -> bool:
    """Whether a name marks its value as an Alibaba Cloud AccessKey secret."""
    normalized = _normalized(name)
    return any(word in normalized for word in rules.STRONG_NAMES) or any(
        word in normalized for word in rules.PROVIDER_WORDS
    )


def assignments(data: bytes, firsts: dict[bytes, int]) -> list[Span]:
    """Values assigned to a name containing ``secret`` (``firsts``: the first position of each
    of ``rules.NAME_HINT``). The name is read outward from the word, the value anchored right
    after it: linear in the input, however many times it says ``secret``."""
    found: dict[int, Span] = {}
    for hint, position in firsts.items():
        while position != -1:
            name_start, name_end = _name_around(data, position)
            if name_end - name_start <= rules.NAME_MAX:
                span = _assigned(data, name_start, name_end)
                if span is not None:
                    found.setdefault(span.start, span)
            position = data.find(hint, name_end)
    return sorted(found.values(), key=lambda span: span.start)


def _name_around(data: bytes, position: int) -> tuple[int, int]:
    """``(start, end)`` of the name that has a hint at ``position``: read back at most
    ``NAME_MAX`` characters (a longer run is no name, whatever its start), then forward."""
    start, floor = position, max(0, position - rules.NAME_MAX)
    while start > floor and data[start - 1] in _NAME_CHARACTERS:
        start -= 1
    forward = rules.NAME.match(data, position)
    return start, position if forward is None else forward.end()


def _assigned(data: bytes, name_start: int, name_end: int) -> Span | None:
    match = rules.ASSIGNED_VALUE.match(data, name_end)
    if match is None:
        return None
    start, end = match.span("value")
    value = match.group("value")
    if is_masked(data, start, end) or not plausible_random(value):
        return None
    strong = is_strong_name(data[name_start:name_end])
    return Span(start, end, value, named=True, strong=strong)


def window(data: bytes, span: Span, lines: int, limit: int) -> tuple[int, int]:
    """Up to ``lines`` lines around ``span``, and at most ``limit`` bytes either side (newlines
    are only looked for that far: a minified one-line file costs no more than any other)."""
    floor, ceiling = max(0, span.start - limit), min(len(data), span.end + limit)
    low = span.start
    for _ in range(lines + 1):
        low = data.rfind(b"\n", floor, low)
        if low == -1:
            break
    low = floor if low == -1 else low + 1
    high = span.end
    for _ in range(lines + 1):
        high = data.find(b"\n", high + 1, ceiling)
        if high == -1:
            break
    return low, ceiling if high == -1 else high


def bare(data: bytes, pattern: re.Pattern[bytes], low: int, high: int) -> Iterator[Span]:
    """Values of ``pattern`` shape between ``low`` and ``high``, whatever they are assigned to
    (bounded by the whole input, not by ``high``: a longer run cut at ``high`` is not one)."""
    for match in pattern.finditer(data, low, high):
        start, end = match.span()
        if (
            data[end : end + 1] not in _RUNS_ON
            and starts_a_token(data, start)
            and not is_masked(data, start, end)
            and plausible_random(match.group())
        ):
            yield Span(start, end, match.group())


def merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of ``(low, high)`` ranges, as disjoint sorted ranges."""
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


class SpanIndex:
    """Spans sorted by start, for range and overlap queries in logarithmic time (a file of
    thousands of keys must not cost thousands times thousands)."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self.spans = sorted(spans, key=lambda span: span.start)
        self.starts = [span.start for span in self.spans]
        self.reach: list[int] = []  # reach[i]: the largest end among spans[0..i]
        for span in self.spans:
            self.reach.append(max(span.end, self.reach[-1] if self.reach else 0))

    def within(self, low: int, high: int) -> list[Span]:
        """The spans starting in ``[low, high)``."""
        return self.spans[bisect_left(self.starts, low) : bisect_left(self.starts, high)]

    def overlaps(self, span: Span) -> bool:
        before = bisect_left(self.starts, span.end) - 1
        return before >= 0 and self.reach[before] > span.start
