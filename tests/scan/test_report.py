"""Reporters: text for people, JSON for scripts, SARIF 2.1.0 for code scanning; in every one the
AccessKey ID is masked and the secret and security token appear only by name and length."""

from __future__ import annotations

import json
import string
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import akless
from akless.scan import rules
from akless.scan.findings import Commit, Finding, Verification, fingerprint
from akless.scan.report import FORMATS, render

KEY_ID = "LTAI5tQm8RnZ2wXvB7cLp4Kd"
SECRET = "Hj7Kp2Lm9Nq4Rs6Tv8Wx1Yz3Ab5Cd0"
LEGACY_ID = "LTAIq9Wm3Xr7Tb2Y"
STS_ID = "STS.NUTggEQi9aB9g7jaooZWvBars"
STS_SECRET = "FUQXx4EgWunH24BgpoSPY2HpbkmuRoHs6dkSg1HoTkUx"
TOKEN = "CAIS" + "q1N6Ft5B2yAbCdEf" * 30
COMMIT = Commit(
    "9f3c2e1d0b8a7f6e5d4c3b2a1908f7e6d5c4b3a2",
    "Ann Author <ann@example.com>",
    "2024-03-01T12:00:00+01:00",
)
ROOT = Path("/work/repo")


def finding(
    rule: rules.Rule,
    path: str = "src/app.py",
    *,
    access_key_id: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    line: int = 12,
    column: int = 5,
) -> Finding:
    parts = (access_key_id, secret, token)
    return Finding(
        rule.id,
        path,
        line,
        column,
        fingerprint(rule.id, *(None if part is None else part.encode() for part in parts)),
        access_key_id,
        secret,
        token,
    )


PAIR = finding(rules.ACCESS_KEY_PAIR, access_key_id=KEY_ID, secret=SECRET)
LONE_ID = finding(rules.ACCESS_KEY_ID, "docs/setup.md", access_key_id=LEGACY_ID, line=3, column=1)
LONE_SECRET = finding(rules.ACCESS_KEY_SECRET, "deploy/.env", secret=SECRET, line=7, column=33)
STS = finding(
    rules.STS_CREDENTIAL, "ci/creds.json", access_key_id=STS_ID, secret=STS_SECRET, token=TOKEN
)
LONE_TOKEN = finding(rules.STS_TOKEN, "notes.txt", token=TOKEN, line=1, column=1)
FROM_HISTORY = replace(PAIR, path="old/config.py", commit=COMMIT)
LIVE = replace(
    PAIR,
    verification=Verification(
        "live", "RAMUser acs:ram::1234567890123456:user/ci", "1234567890123456"
    ),
)
INVALID = replace(LONE_SECRET, verification=Verification("invalid", "InvalidAccessKeyId.NotFound"))
EVERY_KIND = [PAIR, LONE_ID, LONE_SECRET, STS, LONE_TOKEN, FROM_HISTORY, LIVE, INVALID]
RAW_VALUES = [KEY_ID, SECRET, LEGACY_ID, STS_ID, STS_SECRET, TOKEN]


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown report format 'xml'.*text, json, sarif"):
        render([PAIR], "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_raw_credential_in_any_format(fmt: str) -> None:
    output = render(EVERY_KIND, fmt, root=ROOT)
    for value in RAW_VALUES:
        assert value not in output
    assert "5tQm8RnZ" not in output  # not even the middle of the ID


# --- text --------------------------------------------------------------------------------------


def test_text_pair_block() -> None:
    text = render([PAIR], "text")
    assert text.splitlines()[:5] == [
        "src/app.py:12:5  Alibaba Cloud AccessKey pair",
        "  AccessKey ID    LTAI****p4Kd",
        "  secret          ******** (30 chars)",
        f"  fingerprint     {PAIR.fingerprint}",
        "",
    ]


def test_text_lone_id_has_no_secret_line() -> None:
    block = render([LONE_ID], "text").split("\n\n")[0]
    assert block.splitlines()[0] == "docs/setup.md:3:1  Alibaba Cloud AccessKey ID"
    assert "LTAI****2Y" not in block  # a 16-character ID keeps four characters, not two
    assert "AccessKey ID    LTAI****Tb2Y" in block
    assert "secret" not in block


def test_text_lone_secret_is_named_not_shown() -> None:
    block = render([LONE_SECRET], "text").split("\n\n")[0]
    assert "Alibaba Cloud AccessKey secret" in block
    assert "secret          ******** (30 chars)" in block
    assert "AccessKey ID" not in block


def test_text_sts_credential_names_every_part() -> None:
    block = render([STS], "text").split("\n\n")[0]
    assert "AccessKey ID    STS.****Bars" in block
    assert "secret          ******** (44 chars)" in block
    assert f"security token  ******** ({len(TOKEN)} chars)" in block


def test_text_history_finding_shows_commit_author_and_date() -> None:
    text = render([FROM_HISTORY], "text")
    assert "old/config.py:12:5" in text
    assert (
        "commit          9f3c2e1d0b8a by Ann Author <ann@example.com> on 2024-03-01T12:00:00+01:00"
        in text
    )


def test_text_verified_finding_shows_status_and_account() -> None:
    text = render([LIVE, INVALID], "text")
    assert "verified        live, account 1234567890123456 (RAMUser " in text
    assert "verified        invalid (InvalidAccessKeyId.NotFound)" in text
    assert "Verified: 1 live, 1 invalid." in text


def test_text_summary_and_what_to_do() -> None:
    text = render([PAIR, LONE_ID, FROM_HISTORY], "text")
    assert (
        "3 findings in 3 files: Alibaba Cloud AccessKey pair \u00d72, "
        "Alibaba Cloud AccessKey ID \u00d71." in text
    )
    assert f"  Alibaba Cloud AccessKey pair: {rules.ACCESS_KEY_PAIR.remedy}" in text
    assert render([PAIR], "text").count("1 finding in 1 file:") == 1


def test_text_when_nothing_is_found() -> None:
    assert render([], "text") == "No Alibaba Cloud credentials found.\n"


def test_text_escapes_control_characters_from_paths_and_authors() -> None:
    hostile = replace(
        FROM_HISTORY,
        path="evil\x1b[2J.py",
        commit=Commit(COMMIT.sha, "Mallory\x1b]0;pwned\x07", COMMIT.date),
    )
    text = render([hostile], "text")
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "evil\\x1b[2J.py:12:5" in text


def test_text_masks_a_credential_that_slipped_into_the_verification_detail() -> None:
    leaky = replace(PAIR, verification=Verification("unknown", f"error for {KEY_ID}/{SECRET}"))
    text = render([leaky], "text")
    assert "error for LTAI****p4Kd/********" in text


# --- JSON --------------------------------------------------------------------------------------


def as_json(findings: list[Finding]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(findings, "json"))
    return document


def test_json_pair() -> None:
    assert as_json([PAIR])["findings"] == [
        {
            "rule": "alibaba-access-key-pair",
            "path": "src/app.py",
            "line": 12,
            "column": 5,
            "fingerprint": PAIR.fingerprint,
            "access_key_id": "LTAI****p4Kd",
            "found": ["access_key_id", "secret"],
            "commit": None,
            "verification": None,
        }
    ]


@pytest.mark.parametrize(
    ("found", "masked", "parts"),
    [
        (LONE_ID, "LTAI****Tb2Y", ["access_key_id"]),
        (LONE_SECRET, None, ["secret"]),
        (STS, "STS.****Bars", ["access_key_id", "secret", "security_token"]),
        (LONE_TOKEN, None, ["security_token"]),
    ],
)
def test_json_names_what_was_found(found: Finding, masked: str | None, parts: list[str]) -> None:
    (entry,) = as_json([found])["findings"]
    assert entry["access_key_id"] == masked
    assert entry["found"] == parts


def test_json_history_and_verification() -> None:
    history, live = as_json([FROM_HISTORY, LIVE])["findings"]
    assert history["commit"] == {
        "sha": COMMIT.sha,
        "author": "Ann Author <ann@example.com>",
        "date": "2024-03-01T12:00:00+01:00",
    }
    assert live["verification"] == {
        "status": "live",
        "detail": "RAMUser acs:ram::1234567890123456:user/ci",
        "account_id": "1234567890123456",
    }


def test_json_summary() -> None:
    document = as_json(EVERY_KIND)
    assert document["version"] == 1
    assert document["summary"] == {
        "findings": 8,
        "files": 6,
        "rules": {
            "alibaba-access-key-pair": 3,
            "alibaba-access-key-secret": 2,
            "alibaba-access-key-id": 1,
            "alibaba-sts-credential": 1,
            "alibaba-sts-security-token": 1,
        },
        "verification": {"live": 1, "invalid": 1},
    }
    assert list(document["summary"]["rules"]) == [rule.id for rule in rules.RULES]  # by severity


def test_json_when_nothing_is_found() -> None:
    assert as_json([]) == {
        "version": 1,
        "findings": [],
        "summary": {"findings": 0, "files": 0, "rules": {}, "verification": {}},
    }


def test_json_is_deterministic() -> None:
    assert render(EVERY_KIND, "json") == render(EVERY_KIND, "json")
    assert render(EVERY_KIND, "json").endswith("}\n")


# --- SARIF -------------------------------------------------------------------------------------

SARIF_LEVELS = {"none", "note", "warning", "error"}


def as_sarif(findings: list[Finding], root: Path | None = ROOT) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(findings, "sarif", root=root))
    return document


def test_sarif_has_what_the_2_1_0_schema_requires() -> None:
    document = as_sarif(EVERY_KIND)
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "akless"
    assert driver["version"] == akless.__version__
    assert driver["informationUri"].startswith("https://")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
        assert " " not in rule["name"]
    assert len(run["results"]) == len(EVERY_KIND)
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in SARIF_LEVELS
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["startColumn"] >= 1


def test_sarif_rules_are_the_rule_table() -> None:
    driver = as_sarif([])["runs"][0]["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == [rule.id for rule in rules.RULES]
    pair = driver["rules"][0]
    assert pair["shortDescription"]["text"] == rules.ACCESS_KEY_PAIR.name
    assert pair["fullDescription"]["text"] == rules.ACCESS_KEY_PAIR.description
    assert pair["help"]["text"] == rules.ACCESS_KEY_PAIR.remedy
    assert pair["defaultConfiguration"]["level"] == "error"


def test_sarif_pair_result() -> None:
    (result,) = as_sarif([PAIR])["runs"][0]["results"]
    assert result == {
        "ruleId": "alibaba-access-key-pair",
        "ruleIndex": 0,
        "level": "error",
        "message": {
            "text": "Alibaba Cloud AccessKey pair LTAI****p4Kd: found AccessKey ID and secret."
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 12, "startColumn": 5},
                }
            }
        ],
        "partialFingerprints": {"akless/v1": PAIR.fingerprint},
    }


def test_sarif_lone_id_is_a_warning() -> None:
    (result,) = as_sarif([LONE_ID])["runs"][0]["results"]
    assert result["level"] == "warning"
    assert (
        result["message"]["text"] == "Alibaba Cloud AccessKey ID LTAI****Tb2Y: found AccessKey ID."
    )


def test_sarif_sts_message_names_every_part() -> None:
    (result,) = as_sarif([STS])["runs"][0]["results"]
    assert "found AccessKey ID, secret and security token." in result["message"]["text"]


def test_sarif_history_finding_carries_the_commit() -> None:
    (result,) = as_sarif([FROM_HISTORY])["runs"][0]["results"]
    assert result["properties"] == {
        "commit": {
            "sha": COMMIT.sha,
            "author": "Ann Author <ann@example.com>",
            "date": "2024-03-01T12:00:00+01:00",
        }
    }
    assert "First added in commit 9f3c2e1d0b8a by Ann Author" in result["message"]["text"]


def test_sarif_verified_finding_carries_the_verification() -> None:
    (result,) = as_sarif([LIVE])["runs"][0]["results"]
    assert result["properties"]["verification"]["status"] == "live"
    assert "Verified: live (account 1234567890123456)." in result["message"]["text"]


@pytest.mark.parametrize(
    ("path", "artifact"),
    [
        ("src/app.py", {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}),
        ("./src/app.py", {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}),
        ("/work/repo/src/app.py", {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}),
        ("docs/my notes#1.md", {"uri": "docs/my%20notes%231.md", "uriBaseId": "%SRCROOT%"}),
        ("/elsewhere/keys.env", {"uri": "file:///elsewhere/keys.env"}),
    ],
)
def test_sarif_uris_are_relative_to_the_root(path: str, artifact: dict[str, str]) -> None:
    (result,) = as_sarif([replace(PAIR, path=path)])["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == artifact


def test_sarif_without_a_root_keeps_relative_paths_relative() -> None:
    (result,) = as_sarif([PAIR], root=None)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}


def test_sarif_rule_unknown_to_the_table_is_still_described() -> None:
    novel = replace(PAIR, rule="alibaba-something-new")
    driver = as_sarif([novel])["runs"][0]["tool"]["driver"]
    (result,) = as_sarif([novel])["runs"][0]["results"]
    assert driver["rules"][result["ruleIndex"]]["id"] == "alibaba-something-new"


def test_sarif_when_nothing_is_found_has_an_empty_run() -> None:
    (run,) = as_sarif([])["runs"]
    assert run["results"] == []


# --- nothing leaks, whatever the credential ----------------------------------------------------

alnum = st.text(string.ascii_letters + string.digits, min_size=30, max_size=64)


@settings(max_examples=60, deadline=None)
@given(
    id_tail=st.text(string.ascii_letters + string.digits, min_size=12, max_size=20),
    secret=alnum,
    token_body=st.text(string.ascii_letters + string.digits + "+/", min_size=96, max_size=600),
    sts_tail=st.text(string.ascii_letters + string.digits, min_size=16, max_size=30),
)
def test_planted_credentials_never_appear_in_any_format(
    id_tail: str, secret: str, token_body: str, sts_tail: str
) -> None:
    key_id, sts_id, token = f"LTAI{id_tail}", f"STS.{sts_tail}", f"CAIS{token_body}"
    found = [
        finding(rules.ACCESS_KEY_PAIR, access_key_id=key_id, secret=secret),
        finding(rules.ACCESS_KEY_SECRET, secret=secret),
        replace(
            finding(rules.STS_CREDENTIAL, access_key_id=sts_id, secret=secret, token=token),
            commit=COMMIT,
            verification=Verification("unknown", f"failed for {sts_id} with {secret}"),
        ),
        finding(rules.STS_TOKEN, token=token),
    ]
    for fmt in FORMATS:
        output = render(found, fmt, root=ROOT)
        for value in (key_id, sts_id, secret, token):
            assert value not in output
