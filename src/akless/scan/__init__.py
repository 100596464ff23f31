"""The leak scanner (``akless[scan]``): find Alibaba Cloud credentials before they are pushed.

``scan(data, path)`` is the pure engine; readers feed it files, git history, staged changes or
standard input; reporters print text, JSON or SARIF. Rules are data (``akless.scan.rules``).
"""

from __future__ import annotations

from akless.scan.engine import scan
from akless.scan.findings import Commit, Finding, Verification
from akless.scan.rules import RULES, Rule

__all__ = ["RULES", "Commit", "Finding", "Rule", "Verification", "scan"]
