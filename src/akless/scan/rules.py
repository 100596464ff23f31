"""What the scanner looks for, as data: the rules it reports under, the shapes of Alibaba Cloud
credentials, and the names a secret is assigned to.

Shapes (see the leak-scanning fact sheet): an AccessKey ID is ``LTAI`` plus 12 to 20 letters and
digits (16 characters in the legacy form, 24 today); its secret is 30 letters and digits. An STS
credential has an ``STS.`` AccessKey ID, a secret of 30 to 64 letters and digits, and a security
token: base64 starting with ``CAIS``, hundreds of characters long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One kind of finding, as reporters (text, JSON, SARIF) describe it."""

    id: str
    name: str
    level: str
    """SARIF level: ``error`` (a usable credential), ``warning`` (part of one)."""
    description: str
    remedy: str


ACCESS_KEY_PAIR = Rule(
    "alibaba-access-key-pair",
    "Alibaba Cloud AccessKey pair",
    "error",
    "An AccessKey ID and its secret: anyone who reads them can call Alibaba Cloud as that user.",
    "Disable the key at once (akless respond KEY_ID), rotate it, and move the code to a role "
    "(ECS RAM role, RRSA) or a profile outside the repository.",
)
ACCESS_KEY_SECRET = Rule(
    "alibaba-access-key-secret",
    "Alibaba Cloud AccessKey secret",
    "error",
    "An AccessKey secret assigned to a name that marks it as one; its ID may be elsewhere.",
    "Treat it as leaked: find its ID (akless keys list), disable and rotate it.",
)
ACCESS_KEY_ID = Rule(
    "alibaba-access-key-id",
    "Alibaba Cloud AccessKey ID",
    "warning",
    "An AccessKey ID without a secret next to it. Not a credential alone, but a sign one may be "
    "near, and it tells an attacker which account to target.",
    "Check that its secret is not committed elsewhere; prefer roles over AccessKeys.",
)
STS_CREDENTIAL = Rule(
    "alibaba-sts-credential",
    "Alibaba Cloud STS credential",
    "error",
    "A temporary STS AccessKey ID with its secret and/or security token: usable until it expires.",
    "Revoke the role's sessions (akless revoke-sessions ROLE) if it has not expired yet.",
)
STS_TOKEN = Rule(
    "alibaba-sts-security-token",
    "Alibaba Cloud STS security token",
    "warning",
    "An STS security token without its AccessKey next to it.",
    "Check that the temporary AccessKey is not committed elsewhere.",
)
RULES = (ACCESS_KEY_PAIR, ACCESS_KEY_SECRET, ACCESS_KEY_ID, STS_CREDENTIAL, STS_TOKEN)
"""Every rule, most severe first."""

# --- shapes ------------------------------------------------------------------------------------

ID_PREFIX = b"LTAI"
ID_SUFFIX = re.compile(rb"[A-Za-z0-9]{12,20}(?![A-Za-z0-9])")
STS_PREFIX = b"STS."
STS_ID_SUFFIX = re.compile(rb"[A-Za-z0-9]{16,64}(?![A-Za-z0-9])")
TOKEN_PREFIX = b"CAIS"
TOKEN_BODY = re.compile(rb"[A-Za-z0-9+/_-]{96,4096}={0,2}(?![A-Za-z0-9+/_=-])")
SECRET_LENGTH = 30
SECRET = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9]{30}(?![A-Za-z0-9+/])")
STS_SECRET = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9]{30,64}(?![A-Za-z0-9+/])")

# --- names a secret is assigned to ------------------------------------------------------------

NAME_HINT = (b"ecret", b"ECRET")
"""Substrings of every secret name, in both cases: the cheap test before any pattern runs."""
ASSIGNMENT = re.compile(
    rb"(?P<name>[A-Za-z0-9_.\-]{0,48}(?i:secret)[A-Za-z0-9_.\-]{0,48})"
    rb"(?P<separator>[\s\"'`\\=:,()\[\]{}<>|@;-]{1,16}?)"
    rb"(?P<value>[A-Za-z0-9]{30,64})(?![A-Za-z0-9+/])"
)
"""``name <separators> value``: assignments, keys, arguments, setters, URL parameters, XML."""
STRONG_NAMES = (b"accesskeysecret", b"secretaccesskey", b"accesssecret", b"keysecret")
"""Names that make a lone secret an Alibaba Cloud AccessKey secret (compared after dropping
``_-.`` and lowering), with any name that also says ``alibaba``, ``aliyun`` or ``alicloud``."""
PROVIDER_WORDS = (b"alibaba", b"aliyun", b"alicloud", b"acs")

# --- placeholders ------------------------------------------------------------------------------

PLACEHOLDER_WORDS = (
    b"example", b"sample", b"dummy", b"fake", b"test", b"demo", b"placeholder", b"your",
    b"changeme", b"redacted", b"secret", b"access", b"todo", b"fixme", b"mock", b"notreal",
    b"invalid",
)  # fmt: skip
"""Words that mark a value as an example, never a real credential (case-insensitive). Only
words of four letters or more: random key material contains a given three-letter word often
enough (~0.1 % of 30-character values) to cost recall, and ``xxxx`` is caught as a run."""
KNOWN_EXAMPLES = frozenset(
    {
        # values Alibaba Cloud's documentation and SDK samples print
        b"LTAI4Fosmq4wTaXjRrExample",
        b"LTAI5tXXXXXXXXXXXXXXXXXX",
    }
)
"""Exact values that are documentation examples."""
INLINE_IGNORE = b"akless:ignore"
"""A line containing this comment is never reported."""
