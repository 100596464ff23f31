"""Scanner settings: read from ``[tool.akless.scan]``, ``.akless.toml`` or an explicit file, with
every mistake named by file and key; and the allowlist, by fingerprint and by path pattern."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akless.errors import ConfigurationError
from akless.scan import rules
from akless.scan.config import (
    DEFAULT_SETTINGS,
    ScanSettings,
    is_allowed,
    load_settings,
    parse_size,
)
from akless.scan.findings import Finding, fingerprint

KNOWN_TEST_KEY = fingerprint(rules.ACCESS_KEY_PAIR.id, b"LTAI5tKnownTestKey0000ab", b"s" * 30)
OTHER_KEY = fingerprint(rules.ACCESS_KEY_PAIR.id, b"LTAI5tSomeOtherKey0000cd", b"t" * 30)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def finding_at(path: str, fingerprint: str = OTHER_KEY) -> Finding:
    return Finding(rules.ACCESS_KEY_PAIR.id, path, 1, 1, fingerprint)


# --- where settings come from ------------------------------------------------------------------


def test_defaults_without_any_settings_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings == DEFAULT_SETTINGS
    assert settings.max_file_size == 5 * 1024 * 1024
    assert settings.root == tmp_path


def test_pyproject_tool_table_sets_every_key(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        f"""
[project]
name = "demo"

[tool.akless.scan]
exclude = ["tests/fixtures/", "*.min.js"]
allow-fingerprints = ["{KNOWN_TEST_KEY}"]
allow-paths = ["docs/examples/"]
max-file-size = "2MiB"
""",
    )
    assert load_settings(tmp_path) == ScanSettings(
        exclude=("tests/fixtures/", "*.min.js"),
        allow_fingerprints=frozenset({KNOWN_TEST_KEY}),
        allow_paths=("docs/examples/",),
        max_file_size=2 * 1024 * 1024,
    )


def test_pyproject_without_akless_table_gives_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n[tool.ruff]\nline-length = 9\n')
    assert load_settings(tmp_path) == DEFAULT_SETTINGS


def test_akless_toml_reads_the_scan_table(tmp_path: Path) -> None:
    write(
        tmp_path / ".akless.toml", f'[scan]\nallow = ["{KNOWN_TEST_KEY}"]\nmax-file-size = 1000\n'
    )
    settings = load_settings(tmp_path)
    assert settings.allow_fingerprints == {KNOWN_TEST_KEY}
    assert settings.max_file_size == 1000


def test_akless_toml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.akless.scan]\nexclude = ["from-pyproject"]\n')
    write(tmp_path / ".akless.toml", '[scan]\nexclude = ["from-akless-toml"]\n')
    assert load_settings(tmp_path).exclude == ("from-akless-toml",)


def test_akless_toml_without_scan_table_leaves_pyproject_in_charge(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.akless.scan]\nexclude = ["from-pyproject"]\n')
    write(tmp_path / ".akless.toml", "# nothing for the scanner yet\n")
    assert load_settings(tmp_path).exclude == ("from-pyproject",)


def test_explicit_file_wins_over_both(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.akless.scan]\nexclude = ["from-pyproject"]\n')
    write(tmp_path / ".akless.toml", '[scan]\nexclude = ["from-akless-toml"]\n')
    explicit = write(tmp_path / "ci-scan.toml", '[scan]\nexclude = ["from-explicit"]\n')
    assert load_settings(tmp_path, explicit).exclude == ("from-explicit",)


def test_explicit_pyproject_is_read_at_the_tool_table(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    explicit = write(elsewhere / "pyproject.toml", '[tool.akless.scan]\nexclude = ["x/"]\n')
    assert load_settings(tmp_path, explicit).exclude == ("x/",)


def test_explicit_file_without_settings_gives_defaults(tmp_path: Path) -> None:
    explicit = write(tmp_path / "empty.toml", "")
    write(tmp_path / "pyproject.toml", '[tool.akless.scan]\nexclude = ["ignored"]\n')
    assert load_settings(tmp_path, explicit) == DEFAULT_SETTINGS


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigurationError, match=r"nope\.toml does not exist") as raised:
        load_settings(tmp_path, missing)
    assert raised.value.source == str(missing)


def test_fingerprints_are_compared_in_lower_case(tmp_path: Path) -> None:
    write(tmp_path / ".akless.toml", f'[scan]\nallow = ["{KNOWN_TEST_KEY.upper()}"]\n')
    assert load_settings(tmp_path).allow_fingerprints == {KNOWN_TEST_KEY}


# --- mistakes, each named by file and key ------------------------------------------------------


def load_error(tmp_path: Path, name: str, text: str) -> str:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigurationError) as raised:
        load_settings(tmp_path)
    message = str(raised.value)
    assert str(path) in message
    assert raised.value.source == str(path)
    return message


def test_unknown_key_is_named(tmp_path: Path) -> None:
    message = load_error(tmp_path, "pyproject.toml", '[tool.akless.scan]\nexclude-dirs = ["x"]\n')
    assert "unknown key 'exclude-dirs' in [tool.akless.scan]" in message
    assert "allow-paths" in message  # the known keys are listed


def test_underscore_spelling_gets_a_hint(tmp_path: Path) -> None:
    message = load_error(tmp_path, ".akless.toml", '[scan]\nallow_paths = ["x"]\n')
    assert "did you mean 'allow-paths'?" in message


def test_top_level_key_in_akless_toml_points_at_the_scan_table(tmp_path: Path) -> None:
    message = load_error(tmp_path, ".akless.toml", 'exclude = ["x"]\n')
    assert "unknown key 'exclude'" in message
    assert "under [scan]" in message


def test_allow_and_allow_fingerprints_together_are_an_error(tmp_path: Path) -> None:
    text = f'[scan]\nallow = ["{KNOWN_TEST_KEY}"]\nallow-fingerprints = ["{OTHER_KEY}"]\n'
    assert "twice" in load_error(tmp_path, ".akless.toml", text)


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('exclude = "tests/"', "exclude", "list of strings"),
        ('exclude = ["a", 2]', "exclude", "but [1] is an integer"),
        ('allow-paths = {path = "x"}', "allow-paths", "not a table"),
        ("allow-fingerprints = true", "allow-fingerprints", "not a boolean"),
        ('allow = ["abc"]', "allow", "[0] is not a fingerprint"),
        ("max-file-size = -1", "max-file-size", "positive"),
        ("max-file-size = 0", "max-file-size", "positive"),
        ("max-file-size = 1.5", "max-file-size", "not a number"),
        ('max-file-size = "5 parsecs"', "max-file-size", "not a string"),
        ("max-file-size = true", "max-file-size", "not a boolean"),
    ],
)
def test_wrong_type_names_file_and_key(tmp_path: Path, line: str, key: str, expected: str) -> None:
    message = load_error(tmp_path, "pyproject.toml", f"[tool.akless.scan]\n{line}\n")
    assert f"[tool.akless.scan] {key} " in message
    assert expected in message


def test_a_key_pasted_as_fingerprint_is_not_echoed(tmp_path: Path) -> None:
    pasted = "LTAI5tPastedByMistake0xy"
    message = load_error(tmp_path, ".akless.toml", f'[scan]\nallow = ["{pasted}"]\n')
    assert "never the key or secret itself" in message
    assert pasted not in message


def test_scan_table_that_is_not_a_table(tmp_path: Path) -> None:
    message = load_error(tmp_path, "pyproject.toml", '[tool.akless]\nscan = "yes"\n')
    assert "[tool.akless.scan] must be a table" in message


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    text = '[tool.akless.scan]\nexclude = ["a",\nallow-paths = oops\n'
    message = load_error(tmp_path, "pyproject.toml", text)
    assert "not valid TOML" in message
    assert "line 3" in message


def test_malformed_toml_error_keeps_no_file_content(tmp_path: Path) -> None:
    secret = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy"
    path = write(tmp_path / ".akless.toml", f"[scan\nnote = '{secret}'\n")
    with pytest.raises(ConfigurationError) as raised:
        load_settings(tmp_path)
    assert raised.value.__context__ is None  # raised outside the parser's except block
    assert secret not in str(raised.value)
    assert str(path) in str(raised.value)


def test_non_utf8_file_names_file_and_offset(tmp_path: Path) -> None:
    (tmp_path / ".akless.toml").write_bytes(b"[scan]\nexclude = ['\xff']\n")
    with pytest.raises(ConfigurationError, match=r"not UTF-8 text \(invalid byte at offset 19\)"):
        load_settings(tmp_path)


# --- sizes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (1024, 1024),
        ("100", 100),
        ("100B", 100),
        ("512k", 512 * 1024),
        ("512KiB", 512 * 1024),
        ("500KB", 500_000),
        ("5M", 5 * 1024**2),
        ("5MiB", 5 * 1024**2),
        ("5MB", 5_000_000),
        ("5 mb", 5_000_000),
        ("1.5MiB", 1536 * 1024),
        ("1GiB", 1024**3),
        ("2GB", 2_000_000_000),
    ],
)
def test_sizes_in_bytes_or_with_units(value: object, size: int) -> None:
    assert parse_size(value) == size


@pytest.mark.parametrize("value", ["", "MB", "5 parsecs", "-5MB", "5TB", "0KB", 0, -1, True, 1.5])
def test_not_a_size(value: object) -> None:
    assert parse_size(value) is None


# --- round trip --------------------------------------------------------------------------------

patterns = st.lists(
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=20), max_size=4
)
fingerprints = st.lists(
    st.text("0123456789abcdef", min_size=64, max_size=64), max_size=3, unique=True
)


@settings(max_examples=40, deadline=None)
@given(
    exclude=patterns,
    allow=fingerprints,
    allow_paths=patterns,
    size=st.integers(min_value=1, max_value=1 << 40),
)
def test_whatever_is_written_is_read_back(
    exclude: list[str], allow: list[str], allow_paths: list[str], size: int
) -> None:
    # JSON strings and arrays are TOML too, for text without control characters, written raw.
    text = (
        "[tool.akless.scan]\n"
        f"exclude = {json.dumps(exclude, ensure_ascii=False)}\n"
        f"allow-fingerprints = {json.dumps(allow)}\n"
        f"allow-paths = {json.dumps(allow_paths, ensure_ascii=False)}\n"
        f"max-file-size = {size}\n"
    )
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write(root / "pyproject.toml", text)
        assert load_settings(root) == ScanSettings(
            exclude=tuple(exclude),
            allow_fingerprints=frozenset(allow),
            allow_paths=tuple(allow_paths),
            max_file_size=size,
        )


# --- the allowlist -----------------------------------------------------------------------------


def test_allowed_by_fingerprint_anywhere() -> None:
    settings = ScanSettings(allow_fingerprints=frozenset({KNOWN_TEST_KEY}))
    assert is_allowed(finding_at("src/app.py", KNOWN_TEST_KEY), settings)
    assert not is_allowed(finding_at("src/app.py", OTHER_KEY), settings)


def test_nothing_allowed_by_default() -> None:
    assert not is_allowed(finding_at("tests/fixtures/keys.py"), DEFAULT_SETTINGS)


@pytest.mark.parametrize(
    ("pattern", "path", "allowed"),
    [
        ("tests/fixtures/", "tests/fixtures/keys.py", True),
        ("tests/fixtures/", "tests/fixtures/deep/er/keys.py", True),
        ("tests/fixtures/", "src/tests/fixtures/keys.py", False),  # a middle slash anchors
        ("fixtures/", "src/tests/fixtures/keys.py", True),
        ("*.md", "docs/guide/setup.md", True),
        ("*.md", "docs/setup.py", False),
        ("/README.md", "README.md", True),
        ("/README.md", "docs/README.md", False),
        ("docs/**/example*", "docs/a/b/example_config.yaml", True),
        ("docs/", "./docs/intro.md", True),  # as a tree under "./" is named
    ],
)
def test_allowed_by_gitignore_style_path_pattern(pattern: str, path: str, allowed: bool) -> None:
    settings = ScanSettings(allow_paths=(pattern,))
    assert is_allowed(finding_at(path), settings) is allowed


def test_negated_pattern_takes_a_path_back() -> None:
    settings = ScanSettings(allow_paths=("docs/", "!docs/deploy.md"))
    assert is_allowed(finding_at("docs/intro.md"), settings)
    assert not is_allowed(finding_at("docs/deploy.md"), settings)


def test_absolute_path_under_the_root_is_matched_relative_to_it(tmp_path: Path) -> None:
    settings = ScanSettings(allow_paths=("tests/fixtures/",), root=tmp_path)
    assert is_allowed(finding_at(f"{tmp_path}/tests/fixtures/keys.py"), settings)
    assert not is_allowed(finding_at("/elsewhere/tests/fixtures/keys.py"), settings)


def test_standard_input_has_no_path_to_allow() -> None:
    settings = ScanSettings(allow_paths=("*",))
    assert not is_allowed(finding_at("-"), settings)
    assert is_allowed(finding_at("anything.py"), settings)


def test_allow_paths_from_a_settings_file(tmp_path: Path) -> None:
    write(tmp_path / ".akless.toml", '[scan]\nallow-paths = ["docs/examples/"]\n')
    settings = load_settings(tmp_path)
    assert is_allowed(finding_at("docs/examples/quickstart.py"), settings)
    assert not is_allowed(finding_at("src/quickstart.py"), settings)
