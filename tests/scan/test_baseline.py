"""The baseline: fingerprints of known findings, written so that the same findings always give
the same bytes, a new key adds one line, and nothing in the file reveals a credential."""

from __future__ import annotations

import json
import os
import secrets
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akless.errors import ConfigurationError
from akless.scan import rules
from akless.scan.baseline import load_baseline, render_baseline, write_baseline
from akless.scan.findings import Commit, Finding, fingerprint
from akless.scan.report import render

_ALNUM = string.ascii_letters + string.digits


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def pair(path: str, line: int = 1) -> Finding:
    key_id, secret = f"LTAI5t{_random(18)}", _random(30)
    rule = rules.ACCESS_KEY_PAIR.id
    return Finding(
        rule, path, line, 7, fingerprint(rule, key_id.encode(), secret.encode()), key_id, secret
    )


def sts(path: str) -> Finding:
    key_id, secret, token = f"STS.{_random(25)}", _random(44), f"CAIS{_random(400)}"
    rule = rules.STS_CREDENTIAL.id
    parts = (key_id.encode(), secret.encode(), token.encode())
    return Finding(rule, path, 3, 1, fingerprint(rule, *parts), key_id, secret, token)


def lone_token(path: str) -> Finding:
    token = f"CAIS{_random(300)}"
    rule = rules.STS_TOKEN.id
    return Finding(
        rule, path, 9, 2, fingerprint(rule, None, None, token.encode()), None, None, token
    )


@pytest.fixture
def findings() -> list[Finding]:
    return [pair("src/app.py", 12), sts("deploy/.env"), lone_token("notes.md"), pair("a.py")]


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    return tmp_path / ".akless-baseline.json"


def planted(findings: list[Finding]) -> Iterator[str]:
    for finding in findings:
        yield from (
            value
            for value in (finding.access_key_id, finding.secret, finding.security_token)
            if value
        )


# --- round trip --------------------------------------------------------------------------------


def test_missing_file_is_an_empty_baseline(baseline: Path) -> None:
    assert load_baseline(baseline) == frozenset()


def test_written_fingerprints_are_read_back(baseline: Path, findings: list[Finding]) -> None:
    write_baseline(baseline, findings)
    assert load_baseline(baseline) == {finding.fingerprint for finding in findings}


def test_no_findings_is_an_empty_baseline_that_loads(baseline: Path) -> None:
    write_baseline(baseline, [])
    assert json.loads(baseline.read_text()) == {"version": 1, "findings": []}
    assert load_baseline(baseline) == frozenset()


def test_the_same_key_in_two_files_is_listed_at_both(baseline: Path) -> None:
    original = pair("src/settings.py")
    copy = Finding(
        original.rule, "tests/test_settings.py", 40, 1, original.fingerprint, original.access_key_id
    )
    write_baseline(baseline, [original, copy, original])
    entries = json.loads(baseline.read_text())["findings"]
    assert [entry["path"] for entry in entries] == ["src/settings.py", "tests/test_settings.py"]
    assert load_baseline(baseline) == {original.fingerprint}


def test_a_json_report_serves_as_a_baseline(baseline: Path, findings: list[Finding]) -> None:
    baseline.write_text(render(findings, "json"))
    assert load_baseline(baseline) == {finding.fingerprint for finding in findings}


# --- what the file holds -----------------------------------------------------------------------


def test_file_holds_fingerprints_and_what_people_need_nothing_more(
    baseline: Path, findings: list[Finding]
) -> None:
    write_baseline(baseline, findings)
    document = json.loads(baseline.read_text())
    assert document["version"] == 1
    entries = document["findings"]
    assert all(set(entry) == {"path", "rule", "access_key_id", "fingerprint"} for entry in entries)
    by_path = {entry["path"]: entry for entry in entries}
    app = findings[0]
    assert by_path["src/app.py"] == {
        "path": "src/app.py",
        "rule": "alibaba-access-key-pair",
        "access_key_id": f"LTAI****{app.access_key_id[-4:]}",  # type: ignore[index]
        "fingerprint": app.fingerprint,
    }
    assert by_path["notes.md"]["access_key_id"] is None


def test_no_secret_no_raw_id_no_line_number_no_timestamp(
    baseline: Path, findings: list[Finding]
) -> None:
    write_baseline(baseline, findings)
    text = baseline.read_text()
    for value in planted(findings):
        assert value not in text
    assert "line" not in text
    assert "generated" not in text


def test_moving_a_key_to_another_line_changes_nothing(findings: list[Finding]) -> None:
    moved = [replace(finding, line=finding.line + 40, column=3) for finding in findings]
    assert render_baseline(moved) == render_baseline(findings)


def test_one_finding_per_line_with_a_trailing_newline(
    baseline: Path, findings: list[Finding]
) -> None:
    write_baseline(baseline, findings)
    text = baseline.read_text()
    assert text.endswith("}\n")
    entry_lines = [line for line in text.splitlines() if '"fingerprint"' in line]
    assert len(entry_lines) == len(findings)
    for line, finding in zip(entry_lines, sorted(findings, key=lambda f: f.path), strict=True):
        assert finding.fingerprint in line
        assert finding.path in line


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_same_findings_in_any_order_give_identical_bytes(data: st.DataObject) -> None:
    findings = [pair("b.py"), pair("a.py"), sts("a.py"), lone_token("c/d.md"), pair("b.py", 2)]
    shuffled = data.draw(st.permutations(findings))
    repeated = data.draw(st.lists(st.sampled_from(findings), max_size=5))
    assert render_baseline([*shuffled, *repeated]) == render_baseline(findings)


@pytest.mark.parametrize("path", ["0-first.py", "m-middle.py"])
def test_accepting_one_more_key_adds_one_line_and_changes_none(
    findings: list[Finding], path: str
) -> None:
    # (A key sorted last also moves the comma of the line before it: JSON has no trailing one.)
    before = render_baseline(findings).splitlines()
    after = render_baseline([*findings, pair(path)]).splitlines()
    assert len(after) == len(before) + 1
    assert [line for line in after if line not in before] == [
        line for line in after if path in line
    ]


def test_history_findings_store_no_commit(baseline: Path) -> None:
    found = pair("old.py")
    commit = Commit("0123456789abcdef0123456789abcdef01234567", "Ann <ann@example.com>", "2024")
    in_history = Finding(
        found.rule, found.path, 1, 1, found.fingerprint, found.access_key_id, commit=commit
    )
    assert render_baseline([in_history]) == render_baseline([found])


# --- writing -----------------------------------------------------------------------------------


def test_written_with_normal_permissions_and_no_temporary_left(
    baseline: Path, findings: list[Finding]
) -> None:
    previous = os.umask(0o022)
    try:
        write_baseline(baseline, findings)
    finally:
        os.umask(previous)
    assert baseline.stat().st_mode & 0o777 == 0o644
    assert [path.name for path in baseline.parent.iterdir()] == [baseline.name]


def test_rewriting_replaces_the_whole_file(baseline: Path, findings: list[Finding]) -> None:
    write_baseline(baseline, findings)
    write_baseline(baseline, findings[:1])
    assert load_baseline(baseline) == {findings[0].fingerprint}


def test_a_symbolic_link_keeps_pointing_at_the_baseline(
    tmp_path: Path, findings: list[Finding]
) -> None:
    real = tmp_path / "config" / "baseline.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / ".akless-baseline.json"
    link.symlink_to(real)
    write_baseline(link, findings)
    assert link.is_symlink()
    assert load_baseline(real) == {finding.fingerprint for finding in findings}


def test_missing_directories_are_created(tmp_path: Path, findings: list[Finding]) -> None:
    baseline = tmp_path / "ci" / "akless" / "baseline.json"
    write_baseline(baseline, findings)
    assert load_baseline(baseline) == {finding.fingerprint for finding in findings}


def test_unwritable_place_is_a_configuration_error(tmp_path: Path, findings: list[Finding]) -> None:
    (tmp_path / "not-a-directory").write_text("")
    target = tmp_path / "not-a-directory" / "baseline.json"
    with pytest.raises(ConfigurationError, match="cannot write the baseline") as raised:
        write_baseline(target, findings)
    assert raised.value.source == str(target)


# --- malformed files ---------------------------------------------------------------------------

SECRET_IN_FILE = "Zq8xW3vR7tY2uP5oL9kJ4hG6fD1sA0"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (f'{{"version": 1, "findings": [{{"note": "{SECRET_IN_FILE}"', "line 1"),
        ("[]", "expected a JSON object"),
        ('{"findings": []}', "expected version 1"),
        ('{"version": 2, "findings": []}', "expected version 1"),
        ('{"version": true, "findings": []}', "expected version 1"),
        ('{"version": 1}', "expected a list under 'findings'"),
        ('{"version": 1, "findings": ["abc"]}', "findings[0] has no fingerprint"),
        (
            f'{{"version": 1, "findings": [{{"fingerprint": "{SECRET_IN_FILE}"}}]}}',
            "findings[0] has no fingerprint",
        ),
    ],
)
def test_malformed_baseline_names_the_file_and_never_its_content(
    baseline: Path, content: str, problem: str
) -> None:
    baseline.write_text(content)
    with pytest.raises(ConfigurationError) as raised:
        load_baseline(baseline)
    message = str(raised.value)
    assert str(baseline) in message
    assert problem in message
    assert "--update-baseline" in message
    assert SECRET_IN_FILE not in message
    assert raised.value.__context__ is None


def test_binary_baseline_is_an_error(baseline: Path) -> None:
    baseline.write_bytes(b'{"version": 1, "findings": ["\xff"]}')
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        load_baseline(baseline)


def test_directory_instead_of_a_baseline_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the baseline"):
        load_baseline(tmp_path)
