"""The baseline: credentials already known, by fingerprint, so a scan reports only new ones.

A baseline is committed next to the code, so it is built to merge cleanly and to reveal nothing
(detect-secrets' line numbers and ``generated_at`` made its baseline the file that conflicts
most): no secret, no raw AccessKey ID, no line number, no timestamp. One finding per line,
sorted, so the same findings always give the same bytes and two branches that each accept a
different key touch different lines::

    {
      "version": 1,
      "findings": [
        {"path": "src/app.py", "rule": "alibaba-access-key-pair", "access_key_id": "LTAI****abcd", "fingerprint": "3f5c..."}
      ]
    }

Only ``fingerprint`` is matched; ``path``, ``rule`` and the masked ``access_key_id`` are for the
person reading a diff. Any ``{"version": 1, "findings": [{"fingerprint": ...}, ...]}`` document
loads, so a JSON report (``--format json``) serves as a baseline too.
"""  # noqa: E501

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from akless._parsing import parse_json
from akless.errors import ConfigurationError
from akless.scan.findings import Finding

__all__ = ["BASELINE_VERSION", "load_baseline", "render_baseline", "write_baseline"]

BASELINE_VERSION = 1


def load_baseline(path: Path) -> frozenset[str]:
    """The fingerprints ``path`` lists; none if the file does not exist yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return frozenset()
    except OSError as error:
        raise ConfigurationError(
            f"cannot read the baseline {path}: {error.strerror or type(error).__name__}",
            source=str(path),
        ) from None
    parsed = parse_json(raw)
    problem = parsed.problem or _shape_problem(parsed.value)
    if problem is not None:
        raise ConfigurationError(
            f"the baseline {path} is not an akless baseline: {problem}; fix it, or delete it "
            "and write a new one with --update-baseline",
            source=str(path),
        )
    return frozenset(entry["fingerprint"].lower() for entry in parsed.value["findings"])


def _shape_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "expected a JSON object"
    version = document.get("version")
    if version != BASELINE_VERSION or isinstance(version, bool):
        return f"expected version {BASELINE_VERSION}"
    findings = document.get("findings")
    if not isinstance(findings, list):
        return "expected a list under 'findings'"
    for index, entry in enumerate(findings):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not _is_fingerprint(fingerprint):
            return f"findings[{index}] has no fingerprint (64 hexadecimal digits)"
    return None


def _is_fingerprint(text: str) -> bool:
    return len(text) == 64 and all(char in "0123456789abcdefABCDEF" for char in text)


def render_baseline(findings: Sequence[Finding]) -> str:
    """The baseline text for ``findings``: the same findings, in any order, give the same text."""
    entries = sorted(
        {
            (finding.path, finding.rule, finding.masked_key_id or "", finding.fingerprint)
            for finding in findings
        }
    )
    lines = [
        json.dumps(
            {
                "path": path,
                "rule": rule,
                "access_key_id": masked or None,
                "fingerprint": fingerprint,
            }
        )
        for path, rule, masked, fingerprint in entries
    ]
    body = "".join(f"\n    {line}," for line in lines).rstrip(",")
    closing = "\n  ]" if lines else "]"
    return f'{{\n  "version": {BASELINE_VERSION},\n  "findings": [{body}{closing}\n}}\n'


def write_baseline(path: Path, findings: Sequence[Finding]) -> None:
    """Replace ``path`` with the baseline of ``findings``, atomically: a reader (or a crash)
    sees the old file or the new one, never half of one. Not secret, so the mode is the usual
    one (0666 less the umask), unlike credentials files."""
    text = render_baseline(findings)
    target = Path(os.path.realpath(path))  # a symbolic link keeps pointing at the baseline
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _write_error(target, error) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _write_error(target, error) from None
        raise


def _write_error(target: Path, error: OSError) -> ConfigurationError:
    return ConfigurationError(
        f"cannot write the baseline {target}: {error.strerror or type(error).__name__}",
        source=str(target),
    )
