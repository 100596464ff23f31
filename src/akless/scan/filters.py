"""Is a candidate a real credential or a placeholder? Pure, cheap checks on the value alone.

Real AccessKey material is random letters and digits. Placeholders are words (``EXAMPLE``,
``yourKey``), runs (``xxxxx``, ``12345``, ``abcde``), or too little variety; digests are hexadecimal
or single-case; identifiers are words glued together (``ThisIsNotASecretButAName``).

Every threshold is set so that random key material passes with a probability far above
1 - 10^-5 at its length (measured over millions of generated values), so a filter costs no
measurable recall: a check that also rejects one real key in a thousand is too strict.
"""

from __future__ import annotations

import math
from collections import Counter

from akless.scan.rules import COMMON_BIGRAMS, KNOWN_EXAMPLES, PLACEHOLDER_WORDS

_HEX = (frozenset(b"0123456789abcdef"), frozenset(b"0123456789ABCDEF"))
_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz")
_UPPER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset(b"0123456789")
RUN_LENGTH = 5
"""A run this long (``xxxxx``, ``12345``, ``edcba``) marks a placeholder. Four would reject about
one random 30-character secret in 3,000."""
ENTROPY_MARGIN = 1.35
"""Bits per character below ``log2(len)`` (the most a value of that length can have) that a
random value still reaches: random alphanumerics are 0.2-1.3 bits below it, placeholders far
lower."""
SINGLE_CASE_MIN = 24
"""From this length a random value has letters of both cases (all but one in 10^7)."""


def entropy(value: bytes) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def has_run(value: bytes, length: int = RUN_LENGTH) -> bool:
    """A character repeated, or an ascending/descending sequence, ``length`` long."""
    same = rising = falling = 1
    previous = -1
    for current in value:
        same = same + 1 if current == previous else 1
        rising = rising + 1 if current == previous + 1 else 1
        falling = falling + 1 if current == previous - 1 else 1
        if same >= length or rising >= length or falling >= length:
            return True
        previous = current
    return False


def has_placeholder_word(value: bytes) -> bool:
    """``example``, ``Example``, ``EXAMPLE``...: a word in one consistent case (``tEsT`` is what
    random text contains, a placeholder says ``test``, ``Test`` or ``TEST``)."""
    lowered = value.lower()
    return any(
        word in lowered and (word in value or word.capitalize() in value or word.upper() in value)
        for word in PLACEHOLDER_WORDS
    )


def is_placeholder(value: bytes) -> bool:
    """Whether ``value`` (a whole credential or its random part) is an example, not a secret."""
    return value in KNOWN_EXAMPLES or has_placeholder_word(value) or has_run(value)


def looks_like_words(value: bytes) -> bool:
    """Whether ``value`` reads like words glued together (``queueReaderVisitorWorker``).

    Common English letter pairs (``th``, ``er``, ``on``...) between most neighbouring letters;
    or, for a secret-length value without a digit (one random value in 200), fewer such pairs,
    or few capitals (each starting a word) where random letters are half capitals."""
    lowered = value.lower()
    pairs = sum(
        lowered[index : index + 2] in COMMON_BIGRAMS
        for index in range(len(lowered) - 1)
        if lowered[index] in _LOWER and lowered[index + 1] in _LOWER
    )
    if pairs >= 7 + len(value) // 4:
        return True
    if len(value) < SINGLE_CASE_MIN or any(character in _DIGITS for character in value):
        return False
    capitals = sum(character in _UPPER for character in value)
    return pairs >= 2 + len(value) // 3 or capitals <= len(value) // 5


def plausible_random(value: bytes) -> bool:
    """Whether ``value`` looks like generated key material rather than a placeholder, word,
    digest or pattern."""
    if is_placeholder(value):
        return False
    if len(set(value)) < len(value) // 2:
        return False
    if entropy(value) < math.log2(len(value)) - ENTROPY_MARGIN:
        return False
    characters = frozenset(value)
    if any(characters <= digits for digits in _HEX):
        return False  # a hex digest (or a number), not key material
    if len(value) >= SINGLE_CASE_MIN and not (characters & _LOWER and characters & _UPPER):
        return False  # base32, base36, a lowercase identifier
    return not looks_like_words(value)


def is_masked(data: bytes, start: int, end: int) -> bool:
    """Whether the candidate ``data[start:end]`` is the visible part of a masked value
    (``LTAI5tAbCd****``, ``****abcd``)."""
    return data[end : end + 1] == b"*" or (start > 0 and data[start - 1 : start] == b"*")
