"""Look-alike decoys for the scanner benchmark: text that resembles an Alibaba Cloud credential
and must never be reported (placeholders, documentation values, wrong lengths, ``LTAI`` inside
hashes and base64, hex digests, long identifiers, a lone Django key, ``STS.`` and ``CAIS`` in
prose, AWS keys).

Each decoy is drawn fresh from a seeded ``random.Random``; none is a real-looking secret under
a name that says it is an AccessKey secret (the scanner rightly reports those alone).
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

from bench.scan_plants import ALNUM, BASE64, LOWER_HEX, random_text


@dataclass(frozen=True)
class Decoy:
    """One decoy: what it imitates, its text, and the suffixes of files it may go into (an
    existing file of the copy, else a new file with the first suffix)."""

    what: str
    text: str
    suffixes: tuple[str, ...]
    marker: str
    """A substring unique to this decoy, to find its line."""


WORDS = (
    "account", "adapter", "buffer", "builder", "cache", "channel", "client", "config", "context",
    "default", "delegate", "document", "element", "event", "factory", "handler", "listener",
    "manager", "message", "model", "monitor", "object", "option", "parser", "policy",
    "provider", "queue", "reader", "record", "region", "request", "resolver", "response",
    "result", "router", "schema", "service", "session", "storage", "stream", "strategy",
    "template", "thread", "timeout", "upload", "value", "visitor", "window", "worker", "writer",
)  # fmt: skip


def _camel_identifier(rng: random.Random, length: int = 30) -> str:
    """Words glued in camelCase, exactly ``length`` letters."""
    while True:
        parts = [rng.choice(WORDS)]
        while sum(map(len, parts)) < length:
            parts.append(rng.choice(WORDS).capitalize())
        text = "".join(parts)
        if len(text) >= length:
            return text[:length]


def _masked(rng: random.Random) -> tuple[str, str, str]:
    key = "LTAI" + random_text(rng, rng.choice((4, 6, 14))) + "*" * rng.choice((4, 6, 8))
    if rng.random() < 0.5:
        key = "LTAI****" + random_text(rng, 4)
    secret = random_text(rng, rng.choice((4, 6))) + "*" * rng.choice((20, 24))
    return "masked", f'access_key_id = "{key}"\naccess_key_secret = "{secret}"', key


def _xxx(rng: random.Random) -> tuple[str, str, str]:
    key = "LTAI" + rng.choice(("x", "X")) * rng.choice((12, 20))
    mark = f"# {random_text(rng, 12)}"
    text = f"{mark}\nexport ALIBABA_CLOUD_ACCESS_KEY_ID={key}\n"
    return "xxx", text + "export ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + "x" * 30, mark


def _angle(rng: random.Random) -> tuple[str, str, str]:
    mark = random_text(rng, 10)
    text = (
        f"aliyun configure set --profile {mark} --access-key-id <your-access-key-id> "
        "--access-key-secret <your-access-key-secret>"
    )
    return "angle-brackets", text, mark


def _your(rng: random.Random) -> tuple[str, str, str]:
    mark = random_text(rng, 10)
    text = (
        f"# {mark}\nclient = AcsClient('YOUR_ACCESS_KEY_ID', 'YOUR_ACCESS_KEY_SECRET', "
        "'cn-hangzhou')\nconfig.access_key_secret = 'yourAccessKeySecretGoesHere123'"
    )
    return "your-key", text, mark


def _repeated(rng: random.Random) -> tuple[str, str, str]:
    character = rng.choice(ALNUM)
    key = "LTAI" + character * rng.choice((12, 20))
    other = rng.choice(ALNUM)
    secret = rng.choice((other * 30, (other + character) * 15, "0123456789" * 3))
    return "repeated", f'AcsClient("{key}", "{secret}", "cn-hangzhou")', key


def _five_t_xxx(rng: random.Random) -> tuple[str, str, str]:
    mark = random_text(rng, 10)
    return "LTAI5tXXX", f"# {mark}\naccess_key_id: LTAI5tXXXXXXXXXXXXXXXXXX", mark


def _documentation(rng: random.Random) -> tuple[str, str, str]:
    """Values like Alibaba's docs and SDK READMEs print: ``…Example`` suffixes, masked tails."""
    key = rng.choice(
        (
            "LTAI4Fosmq4wTaXjRrExample",
            "LTAI" + random_text(rng, 9) + "Example",
            "LTAI5t" + random_text(rng, 8) + "EXAMPLE",
            "LTAI" + random_text(rng, 14) + "****",
        )
    )
    secret = rng.choice(
        (
            random_text(rng, 23) + "EXAMPLE",
            random_text(rng, 24) + "Sample",
            random_text(rng, 6) + "*" * 24,
        )
    )
    text = f"```python\nclient = AcsClient('{key}', '{secret}', 'cn-hangzhou')\n```"
    return "documentation", text, key


def _wrong_length(rng: random.Random) -> tuple[str, str, str]:
    key = "LTAI" + random_text(rng, rng.choice((11, 21, 22)))
    secret = random_text(rng, rng.choice((29, 31)))
    return "wrong-length", f'accessKeyId: "{key}"\naccessKeySecret: "{secret}"', key


def _base64_blob(rng: random.Random) -> tuple[str, str, str]:
    lines = [random_text(rng, 76, BASE64) for _ in range(rng.randint(4, 10))]
    index = rng.randrange(len(lines))
    position = rng.choice((0, rng.randint(1, 50)))
    inner = "LTAI" + random_text(rng, 20)
    lines[index] = (lines[index][:position] + inner + lines[index][position + 24 :])[:76]
    last = random_text(rng, rng.randint(10, 60), BASE64) + "=="
    mark = random_text(rng, 8)
    text = f"IMAGE_{mark} = (\n" + "\n".join(f'    "{line}"' for line in [*lines, last]) + "\n)"
    return "ltai-in-base64", text, mark


def _go_sum(rng: random.Random) -> tuple[str, str, str]:
    lines = []
    for _ in range(rng.randint(3, 8)):
        digest = random_text(rng, 43, BASE64)
        position = rng.choice((0, rng.randint(1, 30)))
        digest = (digest[:position] + "LTAI" + digest[position + 4 :])[:43]
        module = f"github.com/{rng.choice(('aliyun', 'alibabacloud-go'))}/{random_text(rng, 6)}"
        lines.append(f"{module} v1.{rng.randint(0, 90)}.{rng.randint(0, 9)} h1:{digest}=")
    return "ltai-in-go.sum", "\n".join(lines), lines[0].split()[0]


def _hex(rng: random.Random) -> tuple[str, str, str]:
    digest = random_text(rng, 30, LOWER_HEX)
    name = rng.choice(("access_key_secret", "commit_secret", "secret_digest"))
    return "hex-digest", f'{name} = "{digest}"', digest


def _camel(rng: random.Random) -> tuple[str, str, str]:
    ident = _camel_identifier(rng)
    name = rng.choice(("accessKeySecret", "secretProvider", "secretName"))
    return "camel-case-identifier", f"{name} = {ident}", ident


def _django(rng: random.Random) -> tuple[str, str, str]:
    value = random_text(rng, 30)
    return "django-secret-key", f"DEBUG = False\nSECRET_KEY = '{value}'", value


def _sts_prose(rng: random.Random) -> tuple[str, str, str]:
    mark = random_text(rng, 8)
    text = (
        f"# {mark}: call STS.aliyuncs.com (STS.AssumeRoleWithSAMLResponse, "
        "STS.GetCallerIdentity) from sts.cn-hangzhou.aliyuncs.com\n"
        'endpoint = "STS.cn-shanghai.aliyuncs.com"'
    )
    return "sts-in-prose", text, mark


def _cais(rng: random.Random) -> tuple[str, str, str]:
    mark = random_text(rng, 8)
    payload = base64.b64encode(b"\x08\x02\x12\x04" + rng.randbytes(4)).decode()
    text = (
        f"# {mark}: CAISO day-ahead prices; the CAIS survey; CAISSON foundations\n"
        f'payload = "{payload}"'
    )
    return "cais-words", text, mark


def _aws(rng: random.Random) -> tuple[str, str, str]:
    key = "AKIA" + random_text(rng, 16, string.ascii_uppercase + string.digits)
    secret = random_text(rng, 40, BASE64)
    text = f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}"
    return "aws-key", text, key


DECOY_KINDS: tuple[tuple[Callable[[random.Random], tuple[str, str, str]], tuple[str, ...]], ...] = (
    (_masked, (".py",)),
    (_xxx, (".sh",)),
    (_angle, (".md", ".rst", ".txt")),
    (_your, (".py",)),
    (_repeated, (".py",)),
    (_five_t_xxx, (".yaml",)),
    (_documentation, (".md", ".rst")),
    (_wrong_length, (".yaml",)),
    (_base64_blob, (".py",)),
    (_go_sum, ("go.sum",)),
    (_hex, (".py",)),
    (_camel, (".java",)),
    (_django, ("settings.py",)),
    (_sts_prose, (".py", ".txt")),
    (_cais, (".py",)),
    (_aws, (".ini", ".cfg")),
)


def decoys(rng: random.Random, per_kind: int) -> list[Decoy]:
    """``per_kind`` decoys of every kind."""
    out = []
    for make, suffixes in DECOY_KINDS:
        for _ in range(per_kind):
            what, text, marker = make(rng)
            out.append(Decoy(what, text, suffixes, marker))
    return out
