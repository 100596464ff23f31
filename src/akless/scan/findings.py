"""What the scanner reports: one frozen ``Finding`` per credential found, where it was found,
and a fingerprint that names it without revealing it.

A ``Finding`` holds the credential itself (verification needs it), but never shows it: not in
``repr``, and reporters only ever print the masked AccessKey ID and the fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from akless.credentials import mask_key_id


@dataclass(frozen=True)
class Commit:
    """Where in git history a finding first appeared."""

    sha: str
    author: str
    date: str
    """ISO 8601, as git prints it (``%aI``)."""


@dataclass(frozen=True)
class Verification:
    """What STS said about a found credential: ``live``, ``invalid`` or ``unknown``."""

    status: str
    detail: str
    account_id: str | None = None


@dataclass(frozen=True)
class Finding:
    """One credential at one place."""

    rule: str
    path: str
    line: int
    column: int
    fingerprint: str
    access_key_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    commit: Commit | None = None
    verification: Verification | None = None

    @property
    def masked_key_id(self) -> str | None:
        """The AccessKey ID as it may be shown: ``LTAI****abcd``."""
        return None if self.access_key_id is None else mask_key_id(self.access_key_id)

    @property
    def parts(self) -> tuple[str, ...]:
        """What was found, by name (``access_key_id``, ``secret``, ``security_token``)."""
        present = (
            ("access_key_id", self.access_key_id),
            ("secret", self.secret),
            ("security_token", self.security_token),
        )
        return tuple(name for name, value in present if value)


def fingerprint(rule: str, *values: bytes | None) -> str:
    """A stable name for a credential: SHA-256 of the rule and the credential's parts. Storing
    it (in a baseline) reveals nothing: the parts are random, far beyond guessing."""
    digest = hashlib.sha256(rule.encode())
    for value in values:
        digest.update(b"\0" + (value or b""))
    return digest.hexdigest()
