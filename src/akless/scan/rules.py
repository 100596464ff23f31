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
RULES = (ACCESS_KEY_PAIR, ACCESS_KEY_SECRET, STS_CREDENTIAL, ACCESS_KEY_ID, STS_TOKEN)
"""Every rule, most severe first: usable credentials (``error``), then parts (``warning``)."""

# --- shapes ------------------------------------------------------------------------------------

ID_PREFIX = b"LTAI"
ID_SUFFIX = re.compile(rb"[A-Za-z0-9]{12,20}(?![A-Za-z0-9])")
STS_PREFIX = b"STS."
STS_ID_SUFFIX = re.compile(rb"[A-Za-z0-9]{16,64}(?![A-Za-z0-9])")
TOKEN_PREFIX = b"CAIS"
TOKEN_BODY = re.compile(
    rb"(?:[A-Za-z0-9+/_-]|%2[BbFf]|\\/){96,4096}(?:=|%3[Dd]){0,2}(?![A-Za-z0-9+/_=-])"
)
"""Base64 (standard or URL-safe), also percent-encoded as in a signed URL's query (``%2B``,
``%2F``, ``%3D``) or with JSON's escaped slash (``\\/``); ``TOKEN_ESCAPE`` undoes both."""
TOKEN_ESCAPE = re.compile(rb"%(2[BbFf]|3[Dd])|\\(/)")
TOKEN_MIN_ENTROPY = 4.5
SECRET_LENGTH = 30
SECRET = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9]{30}(?![A-Za-z0-9+/])")
STS_SECRET = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9]{30,64}(?![A-Za-z0-9+/])")

# --- names a secret is assigned to ------------------------------------------------------------

NAME_HINT = (b"ecret", b"ECRET")
"""Substrings of every secret name, in both cases: the cheap test before any pattern runs."""
NAME = re.compile(rb"[A-Za-z0-9_.\-]*")
"""The characters of a name (``config.setAccessKeySecret``, ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``,
``access-key-secret``), read outward from the word ``secret`` in it."""
NAME_MAX = 100
"""Longer runs are not names (a blob, a minified line): the value after one is not read."""
ASSIGNED_VALUE = re.compile(
    rb"[\s\"'`\\=:,()\[\]{}<>|@;-]{1,16}?(?P<value>[A-Za-z0-9]{30,64})(?![A-Za-z0-9+/])"
)
"""What follows a name: ``<separators> value``, as in assignments, keys, arguments, setters,
URL parameters, XML elements and escaped JSON."""
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
"""Words that mark a value as an example, never a real credential, in lower, Capitalised or
UPPER case (``tEsT`` is what random text contains). Only words of four letters or more: random
key material contains a given shorter word too often, and ``xxxxx`` is caught as a run."""
COMMON_BIGRAMS = frozenset(
    b"ac ad ag ai al am an ar as at be ca ce ch co ct de di do ea ec ed el em en er es et ex fi "
    b"fo ge ha he ho ic id ig il im in io is it la le li ll lo ma me mp na nd ne nf ng no ns nt "
    b"od of og ol om on or os ot ou ow pa pe pl po pr ra re ri ro rs rt se sh si ss st su ta te "
    b"th ti to ul un ur us ut ve wi".split()
)
"""The hundred most frequent letter pairs of the words in the standard library's text files
(lower case): identifiers glued from words are mostly made of them, random letters seldom
(about one pair in eight)."""
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
