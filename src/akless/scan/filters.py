"""Is a candidate a real credential or a placeholder? Pure, cheap checks on the value alone.

Real AccessKey material is random letters and digits. Placeholders are words (``EXAMPLE``,
``your-key``), runs (``xxxx``, ``1234``, ``abcd``), or too little variety; hashes are lowercase
hexadecimal; identifiers are words glued together (``ThisIsNotASecretButAName``).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

from akless.scan.rules import KNOWN_EXAMPLES, PLACEHOLDER_WORDS

_HEX = frozenset(b"0123456789abcdef")
_VOWELS = frozenset(b"aeiouAEIOU")
_DIGITS = frozenset(b"0123456789")


def entropy(value: bytes) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _has_run(value: bytes, length: int) -> bool:
    """A character repeated, or an ascending/descending sequence, ``length`` long."""
    same = rising = falling = 1
    for previous, current in itertools.pairwise(value):
        same = same + 1 if current == previous else 1
        rising = rising + 1 if current == previous + 1 else 1
        falling = falling + 1 if current == previous - 1 else 1
        if max(same, rising, falling) >= length:
            return True
    return False


def is_placeholder(value: bytes) -> bool:
    """Whether ``value`` (a whole credential or its random part) is an example, not a secret."""
    if value in KNOWN_EXAMPLES:
        return True
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    return _has_run(value, 4)


def plausible_random(value: bytes, *, min_entropy: float) -> bool:
    """Whether ``value`` looks like generated key material rather than a word, hash or pattern."""
    if is_placeholder(value):
        return False
    if entropy(value) < min_entropy or len(set(value)) < len(value) // 2:
        return False
    if set(value) <= _HEX:
        return False  # a lowercase hex digest, not key material (which has capitals)
    return not _looks_like_words(value)


def _looks_like_words(value: bytes) -> bool:
    """Identifiers glued from words have no digits and far more vowels than random text
    (about 16 % of letters and digits are vowels)."""
    if any(character in _DIGITS for character in value):
        return False
    vowels = sum(character in _VOWELS for character in value)
    return vowels / len(value) > 0.28
