"""Is a value key material or a placeholder? The filters judge a value on its own.

Two sides, both measured: what people write instead of a key (``xxxxx``, ``EXAMPLE``,
``yourAccessKeySecret``, hex digests, camelCase names) is rejected, and random letters and
digits, what real keys are made of, pass nearly always (a filter that drops one real key in a
thousand is too strict for a leak scanner).
"""

from __future__ import annotations

import random
import string

import pytest

from akless.scan import filters, rules

_ALNUM = string.ascii_letters + string.digits


def _random(rng: random.Random, length: int, alphabet: str = _ALNUM) -> bytes:
    return "".join(rng.choice(alphabet) for _ in range(length)).encode()


def test_entropy_is_bits_per_character() -> None:
    assert filters.entropy(b"aaaa") == 0
    assert filters.entropy(b"abab") == 1
    assert filters.entropy(b"0123456789abcdef") == 4


@pytest.mark.parametrize(
    ("value", "run"),
    [
        (b"Qz8xxxxxPw", True),  # one character repeated
        (b"Qz812345Pw", True),  # counting up
        (b"QzedcbaPw1", True),  # counting down
        (b"Qz8xxxxPw1", False),  # four is not a run: random text has those
        (b"Qz81234Pw9", False),
    ],
)
def test_a_run_is_five_repeated_or_consecutive_characters(value: bytes, run: bool) -> None:
    assert filters.has_run(value) is run


@pytest.mark.parametrize("word", [b"example", b"Example", b"EXAMPLE", b"test", b"Test", b"TEST"])
def test_a_placeholder_word_in_one_consistent_case_marks_a_placeholder(word: bytes) -> None:
    assert filters.has_placeholder_word(b"Qz8" + word + b"Pw1")
    assert filters.is_placeholder(b"Qz8" + word + b"Pw1")


def test_a_word_in_mixed_case_is_what_random_text_contains() -> None:
    assert not filters.has_placeholder_word(b"Qz8tEsTPw1")
    assert not filters.has_placeholder_word(b"Qz8eXaMpLePw1")


def test_known_documentation_values_are_placeholders() -> None:
    assert all(filters.is_placeholder(value) for value in rules.KNOWN_EXAMPLES)


def test_random_letters_and_digits_pass_at_every_credential_length() -> None:
    rng = random.Random(5)
    for length in (12, 20, 30, 44):
        values = [_random(rng, length) for _ in range(3000)]
        rejected = [value for value in values if not filters.plausible_random(value)]
        assert len(rejected) <= 3, (length, rejected)  # at most one in a thousand


@pytest.mark.parametrize(
    ("what", "value"),
    [
        ("placeholder text", b"yourAccessKeySecretGoesHere123"),
        ("repeated character", b"x" * 30),
        ("two characters alternating", b"aB" * 15),
        ("digits counting", b"0123456789" * 3),
        ("camelCase identifier", b"queueReaderVisitorWorkerBuffer"),
        ("snake_case words run together", b"defaultsessionmanagerprovider1"),
    ],
)
def test_what_people_write_instead_of_a_key_is_not_plausible(what: str, value: bytes) -> None:
    assert not filters.plausible_random(value), what


def test_hex_digests_are_not_key_material() -> None:
    rng = random.Random(6)
    for _ in range(100):
        digest = _random(rng, 30, "0123456789abcdef")
        assert not filters.plausible_random(digest)
        assert not filters.plausible_random(digest.upper())


def test_single_case_values_of_secret_length_are_not_key_material() -> None:
    # base32 and base36 identifiers; random key material has both cases at this length
    rng = random.Random(7)
    for _ in range(100):
        assert not filters.plausible_random(_random(rng, 30, string.ascii_uppercase + "234567"))
        assert not filters.plausible_random(_random(rng, 30, string.ascii_lowercase + "0123456789"))


def test_identifiers_glued_from_words_look_like_words() -> None:
    assert filters.looks_like_words(b"listenerChannelStreamTemplate")
    assert filters.looks_like_words(b"RequestHandlerFactoryObject")
    rng = random.Random(8)
    random_values = [_random(rng, 30) for _ in range(1000)]
    assert sum(filters.looks_like_words(value) for value in random_values) <= 1


@pytest.mark.parametrize(
    ("text", "start", "end", "masked"),
    [
        (b"LTAI5tAbCd****", 0, 10, True),  # the visible head of a masked ID
        (b"****Wx9z", 4, 8, True),  # the visible tail
        (b'"LTAI5tAbCd"', 1, 11, False),
    ],
)
def test_the_visible_part_of_a_masked_value_is_masked(
    text: bytes, start: int, end: int, masked: bool
) -> None:
    assert filters.is_masked(text, start, end) is masked
