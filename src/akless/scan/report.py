"""Reporters: findings as text for people, JSON for scripts, SARIF 2.1.0 for code scanning.

Every format shows the AccessKey ID masked (``LTAI****abcd``) and the secret and security token
only by name and length, never a character of them. ``render`` returns the whole report as one
string; printing it is the caller's business.

JSON schema (version 1)::

    {"version": 1,
     "findings": [{"rule": str, "path": str, "line": int, "column": int, "fingerprint": str,
                   "access_key_id": "LTAI****abcd" | null,
                   "found": ["access_key_id" | "secret" | "security_token", ...],
                   "commit": {"sha": str, "author": str, "date": str} | null,
                   "verification": {"status": str, "detail": str,
                                    "account_id": str | null} | null}],
     "summary": {"findings": int, "files": int, "rules": {rule id: int},
                 "verification": {status: int}}}

A JSON report is also a valid baseline (``akless.scan.baseline``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from akless import __version__
from akless.scan.findings import Finding
from akless.scan.rules import RULES, Rule

__all__ = ["FORMATS", "JSON_VERSION", "render"]

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/akless/"
FINGERPRINT_KEY = "akless/v1"
SECURITY_SEVERITY = {"error": "9.0", "warning": "5.0"}
"""GitHub code scanning ranks security results by ``security-severity`` (9.0+ critical)."""
NOTHING_FOUND = "No Alibaba Cloud credentials found."
_PART_NAMES = {
    "access_key_id": "AccessKey ID",
    "secret": "secret",
    "security_token": "security token",
}


def render(findings: Sequence[Finding], fmt: str, *, root: Path | None = None) -> str:
    """The report of ``findings`` in ``fmt`` (``text``, ``json`` or ``sarif``). SARIF locations
    are relative to ``root`` (``%SRCROOT%``) when it is given."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return renderer(findings, root)


# --- shared ------------------------------------------------------------------------------------

_RULES_BY_ID = {rule.id: rule for rule in RULES}


def _rule(rule_id: str) -> Rule:
    return _RULES_BY_ID.get(rule_id) or Rule(rule_id, rule_id, "warning", rule_id, "")


def _hidden(value: str) -> str:
    return f"******** ({len(value)} chars)"


def _detail(finding: Finding) -> str:
    """The verifier's detail, with any part of the credential in it masked (it should hold
    none; this is the last line of defence)."""
    if finding.verification is None:
        return ""
    detail = finding.verification.detail
    if finding.access_key_id and finding.masked_key_id:
        detail = detail.replace(finding.access_key_id, finding.masked_key_id)
    for value in (finding.secret, finding.security_token):
        if value:
            detail = detail.replace(value, "********")
    return detail


def _counts(values: Sequence[str], order: Sequence[str] = ()) -> dict[str, int]:
    counter = Counter(values)
    known = [value for value in order if value in counter]
    return {value: counter[value] for value in [*known, *sorted(set(counter) - set(known))]}


def _summary(findings: Sequence[Finding]) -> dict[str, Any]:
    statuses = [f.verification.status for f in findings if f.verification is not None]
    return {
        "findings": len(findings),
        "files": len({finding.path for finding in findings}),
        "rules": _counts([f.rule for f in findings], [rule.id for rule in RULES]),
        "verification": _counts(statuses, ["live", "invalid", "unknown"]),
    }


# --- text --------------------------------------------------------------------------------------


def _printable(text: str) -> str:
    # Paths and author names come from files and git: no escape sequence reaches a terminal.
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _text_block(finding: Finding) -> list[str]:
    rule = _rule(finding.rule)
    where = f"{finding.path}:{finding.line}:{finding.column}"
    lines = [f"{_printable(where)}  {rule.name}"]
    fields: list[tuple[str, str]] = []
    if finding.masked_key_id:
        fields.append(("AccessKey ID", finding.masked_key_id))
    if finding.secret:
        fields.append(("secret", _hidden(finding.secret)))
    if finding.security_token:
        fields.append(("security token", _hidden(finding.security_token)))
    if finding.commit is not None:
        commit = finding.commit
        fields.append(("commit", f"{commit.sha[:12]} by {commit.author} on {commit.date}"))
    if finding.verification is not None:
        verification = finding.verification
        status = verification.status
        if verification.account_id:
            status += f", account {verification.account_id}"
        detail = _detail(finding)
        fields.append(("verified", f"{status} ({detail})" if detail else status))
    fields.append(("fingerprint", finding.fingerprint))  # what allow-fingerprints takes
    lines += [f"  {label:<15} {_printable(value)}" for label, value in fields]
    return lines


def _render_text(findings: Sequence[Finding], root: Path | None) -> str:
    if not findings:
        return NOTHING_FOUND + "\n"
    lines: list[str] = []
    for finding in findings:
        lines += [*_text_block(finding), ""]
    summary = _summary(findings)
    found = "finding" if summary["findings"] == 1 else "findings"
    files = "file" if summary["files"] == 1 else "files"
    by_rule = ", ".join(
        f"{_rule(rule_id).name} \u00d7{count}" for rule_id, count in summary["rules"].items()
    )
    line = f"{summary['findings']} {found} in {summary['files']} {files}: {by_rule}."
    if summary["verification"]:
        verified = ", ".join(f"{n} {status}" for status, n in summary["verification"].items())
        line += f" Verified: {verified}."
    lines += [line, "", "What to do:"]
    lines += [f"  {_rule(rule_id).name}: {_rule(rule_id).remedy}" for rule_id in summary["rules"]]
    return "\n".join(lines) + "\n"


# --- JSON --------------------------------------------------------------------------------------


def _finding_json(finding: Finding) -> dict[str, Any]:
    commit = finding.commit
    verification = finding.verification
    return {
        "rule": finding.rule,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "fingerprint": finding.fingerprint,
        "access_key_id": finding.masked_key_id,
        "found": list(finding.parts),
        "commit": None
        if commit is None
        else {"sha": commit.sha, "author": commit.author, "date": commit.date},
        "verification": None
        if verification is None
        else {
            "status": verification.status,
            "detail": _detail(finding),
            "account_id": verification.account_id,
        },
    }


def _render_json(findings: Sequence[Finding], root: Path | None) -> str:
    document = {
        "version": JSON_VERSION,
        "findings": [_finding_json(finding) for finding in findings],
        "summary": _summary(findings),
    }
    return json.dumps(document, indent=2) + "\n"


# --- SARIF -------------------------------------------------------------------------------------


def _pascal_case(name: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in name.split())


def _reporting_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": _pascal_case(rule.name),
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remedy, "markdown": rule.remedy},
        "defaultConfiguration": {"level": rule.level},
        "properties": {
            "tags": ["security", "secrets", "alibaba-cloud"],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY.get(rule.level, "5.0"),
        },
    }


def _artifact_location(path: str, root: Path | None) -> dict[str, str]:
    """``path`` as a URI relative to ``%SRCROOT%`` (the root); a file elsewhere gets an
    absolute ``file:`` URI instead. Relative paths are taken as relative to the root."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        if root is None:
            return {"uri": Path(path).as_uri()}
        try:
            posix = posix.relative_to(root.as_posix())
        except ValueError:
            return {"uri": Path(path).as_uri()}
    uri = quote(posix.as_posix(), safe="/", errors="surrogateescape")
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


def _message(finding: Finding, rule: Rule) -> str:
    names = [_PART_NAMES.get(part, part) for part in finding.parts]
    text = f"{rule.name}"
    if finding.masked_key_id:
        text += f" {finding.masked_key_id}"
    text += f": found {_join(names)}."
    if finding.commit is not None:
        commit = finding.commit
        text += f" First added in commit {commit.sha[:12]} by {commit.author} on {commit.date}."
    if finding.verification is not None:
        text += f" Verified: {finding.verification.status}"
        if finding.verification.account_id:
            text += f" (account {finding.verification.account_id})"
        text += "."
    return text


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names) or "a credential"
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def _result(finding: Finding, rule: Rule, index: int, root: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": index,
        "level": rule.level,
        "message": {"text": _message(finding, rule)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(finding.path, root),
                    "region": {
                        "startLine": max(finding.line, 1),
                        "startColumn": max(finding.column, 1),
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    described = _finding_json(finding)
    properties = {key: described[key] for key in ("commit", "verification") if described[key]}
    if properties:
        result["properties"] = properties
    return result


def _render_sarif(findings: Sequence[Finding], root: Path | None) -> str:
    rules = list(RULES)
    for finding in findings:  # a rule the engine knows and this list does not (yet)
        if finding.rule not in {rule.id for rule in rules}:
            rules.append(_rule(finding.rule))
    index = {rule.id: position for position, rule in enumerate(rules)}
    results = [
        _result(finding, rules[index[finding.rule]], index[finding.rule], root)
        for finding in findings
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "akless",
                        "informationUri": INFORMATION_URI,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_reporting_descriptor(rule) for rule in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


_RENDERERS: dict[str, Callable[[Sequence[Finding], Path | None], str]] = {
    "text": _render_text,
    "json": _render_json,
    "sarif": _render_sarif,
}
FORMATS = tuple(_RENDERERS)
