"""The scanner's rules are data: what each credential part looks like, the names a secret is
assigned to, and the words and values that mark a placeholder. These tests read the shapes as a
specification (lengths, alphabets, boundaries), independent of the engine that uses them."""

from __future__ import annotations

import re
import secrets
import string

import pytest

from akless.scan import RULES, rules

_ALNUM = string.ascii_letters + string.digits


def _random(length: int, alphabet: str = _ALNUM) -> bytes:
    return "".join(secrets.choice(alphabet) for _ in range(length)).encode()


def test_rules_have_unique_ids_and_a_sarif_level_most_severe_first() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert {rule.level for rule in RULES} == {"error", "warning"}
    levels = [rule.level for rule in RULES]
    assert levels == sorted(levels)  # every "error" before any "warning"
    assert all(rule.description and rule.remedy for rule in RULES)


@pytest.mark.parametrize(("length", "matches"), [(11, False), (12, True), (16, True), (20, True)])
def test_an_access_key_id_is_ltai_and_12_to_20_letters_and_digits(
    length: int, matches: bool
) -> None:
    body = _random(length)
    assert bool(rules.ID_SUFFIX.fullmatch(body)) is matches


def test_an_access_key_id_does_not_end_inside_a_longer_run() -> None:
    assert rules.ID_SUFFIX.match(_random(21)) is None
    assert rules.ID_SUFFIX.match(_random(20) + b"-x") is not None


@pytest.mark.parametrize(("length", "matches"), [(29, False), (30, True), (31, False)])
def test_an_access_key_secret_is_exactly_30_letters_and_digits(length: int, matches: bool) -> None:
    assert bool(rules.SECRET.search(b'"' + _random(length) + b'"')) is matches


def test_a_secret_is_not_cut_out_of_base64() -> None:
    assert rules.SECRET.search(b"+" + _random(30)) is None
    assert rules.SECRET.search(_random(30) + b"/") is None


@pytest.mark.parametrize(("length", "matches"), [(29, False), (30, True), (44, True), (64, True)])
def test_an_sts_secret_is_30_to_64_letters_and_digits(length: int, matches: bool) -> None:
    assert bool(rules.STS_SECRET.fullmatch(_random(length))) is matches


@pytest.mark.parametrize(("length", "matches"), [(15, False), (16, True), (20, True), (25, True)])
def test_an_sts_access_key_id_is_sts_dot_and_16_or_more_letters_and_digits(
    length: int, matches: bool
) -> None:
    assert bool(rules.STS_ID_SUFFIX.fullmatch(_random(length))) is matches


def test_a_security_token_body_is_long_base64_plain_percent_encoded_or_json_escaped() -> None:
    plain = _random(200, _ALNUM + "+/") + b"=="
    assert rules.TOKEN_BODY.fullmatch(plain)
    encoded = plain.replace(b"+", b"%2B").replace(b"/", b"%2F").replace(b"=", b"%3D")
    assert rules.TOKEN_BODY.fullmatch(encoded)
    assert {match.group() for match in rules.TOKEN_ESCAPE.finditer(encoded)} <= {
        b"%2B",
        b"%2F",
        b"%3D",
    }
    assert rules.TOKEN_BODY.fullmatch(plain.replace(b"/", b"\\/"))
    assert rules.TOKEN_BODY.fullmatch(_random(60)) is None  # too short for a token


@pytest.mark.parametrize(
    "after_name",
    [
        ' = "{value}"',  # Python, TOML, INI, shell
        ": {value}",  # YAML
        '": "{value}"',  # JSON
        '\\":\\"{value}\\"',  # JSON inside a JSON string
        '("{value}");',  # a Java or C# setter
        "={value}&",  # a URL query parameter
        ">{value}<",  # an XML element
        " => '{value}',",  # PHP
    ],
)
def test_the_value_after_a_secret_name_is_read_through_any_syntax(after_name: str) -> None:
    value = _random(30)
    match = rules.ASSIGNED_VALUE.match(after_name.format(value=value.decode()).encode())
    assert match is not None
    assert match.group("value") == value


def test_placeholder_words_are_at_least_four_letters() -> None:
    # a shorter word turns up in random key material too often, and would cost recall
    assert all(len(word) >= 4 and word.isalpha() for word in rules.PLACEHOLDER_WORDS)


def test_common_bigrams_are_a_hundred_lowercase_letter_pairs() -> None:
    assert len(rules.COMMON_BIGRAMS) == 100
    assert all(re.fullmatch(rb"[a-z]{2}", bigram) for bigram in rules.COMMON_BIGRAMS)


def test_known_examples_are_access_key_ids() -> None:
    assert all(value.startswith(rules.ID_PREFIX) for value in rules.KNOWN_EXAMPLES)


def test_name_hints_find_secret_in_either_case() -> None:
    for name in (b"AccessKeySecret", b"ACCESS_KEY_SECRET", b"secret_access_key"):
        assert any(hint in name for hint in rules.NAME_HINT)
