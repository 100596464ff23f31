"""Identifiers and secrets in the shapes the real services use, from a CSPRNG."""

from __future__ import annotations

import secrets
import string
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_ALNUM = string.ascii_letters + string.digits
_TOKEN_ALPHABET = _ALNUM + "+/"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def account_id() -> str:
    """A 16-digit Alibaba Cloud account ID."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def principal_id() -> str:
    """A 16- to 17-digit user or role ID."""
    return str(secrets.randbelow(9 * 10**16) + 10**15)


def access_key_id() -> str:
    """A RAM user AccessKey ID in the current 24-character form: ``LTAI5t`` + 18 characters."""
    return "LTAI5t" + _random(_ALNUM, 18)


def access_key_secret() -> str:
    """An AccessKey secret: 30 letters and digits."""
    return _random(_ALNUM, 30)


def sts_access_key_id() -> str:
    """An STS AccessKey ID: ``STS.`` + 25 characters."""
    return "STS.NT" + _random(_ALNUM, 23)


def key_pair_id() -> str:
    """An RSA key pair's public key ID: ``KP-`` + 24 lowercase letters and digits."""
    return "KP-" + _random(string.ascii_lowercase + string.digits, 24)


def rsa_private_key_pem() -> str:
    """A new 2048-bit RSA private key as PKCS#8 PEM text, as an RSA key pair download holds."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode("ascii")


def session_access_key_id() -> str:
    """A session AccessKey ID (GenerateSessionAccessKey): ``TMPSK.`` + 24 characters."""
    return "TMPSK." + _random(_ALNUM, 24)


def security_token() -> str:
    """An opaque STS security token in the real shape: ``CAIS`` + a long base64-like string."""
    return "CAIS" + _random(_TOKEN_ALPHABET, 380) + "=="


def request_id() -> str:
    """A request ID: an uppercase UUID."""
    return str(uuid.uuid4()).upper()


def instance_id() -> str:
    """An ECS instance ID: ``i-`` + 20 lowercase letters and digits."""
    return "i-" + _random(string.ascii_lowercase + string.digits, 20)


def metadata_token() -> str:
    """A metadata-service session token."""
    return secrets.token_urlsafe(32)
