"""Alibaba Cloud request signatures, as pure functions: no I/O, no clock, no randomness.

Two algorithms, each exposed stage by stage so every stage can be pinned by the test vectors of
the protocol fact sheet, and each with a ``sign_*`` and a ``verify_*`` built from those stages:

* **RPC v1** (``SignatureMethod=HMAC-SHA1``, ``SignatureVersion=1.0``, called "V2" in current
  Alibaba docs): canonical query -> string to sign -> base64 HMAC-SHA1 keyed by ``secret + "&"``.
* **ACS3-HMAC-SHA256** (the "V3" signature): canonical request -> string to sign -> hex
  HMAC-SHA256 keyed by the raw secret, sent as the ``Authorization`` header.

Values are percent-encoded the RFC 3986 way Alibaba specifies: only ``A-Z a-z 0-9 - _ . ~`` are
left as they are; a space is ``%20`` (never ``+``), ``*`` is ``%2A``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

RPC_SIGNATURE_METHOD = "HMAC-SHA1"
RPC_SIGNATURE_VERSION = "1.0"
ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


class SigningError(ValueError):
    """An input cannot be signed or verified (for example a malformed ``Authorization``)."""


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a signature, with the string to sign the checker computed.

    Servers quote ``string_to_sign`` back in ``SignatureDoesNotMatch`` errors so that clients
    can compare it with their own.
    """

    valid: bool
    string_to_sign: str

    def __bool__(self) -> bool:
        return self.valid


def percent_encode(value: str) -> str:
    """Percent-encode ``value`` (UTF-8) keeping only ``A-Z a-z 0-9 - _ . ~``."""
    return quote(value, safe="~")


# --- RPC v1: HMAC-SHA1 over the canonicalized query ------------------------------------------


def rpc_canonical_query(params: Mapping[str, str]) -> str:
    """Sort ``params`` by name and join them as ``name=value`` pairs, both percent-encoded.

    ``Signature`` is never part of what is signed and is left out. Blank values stay (``Name=``).
    """
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )


def rpc_string_to_sign(method: str, canonical_query: str) -> str:
    """``METHOD&%2F&`` followed by the canonical query, percent-encoded once more."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query)}"


def rpc_signature(string_to_sign: str, access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed by ``access_key_secret + "&"``."""
    key = (access_key_secret + "&").encode()
    digest = hmac.new(key, string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sign_rpc(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """The ``Signature`` value for an RPC v1 request with ``params`` (query and form body)."""
    return rpc_signature(rpc_string_to_sign(method, rpc_canonical_query(params)), access_key_secret)


def verify_rpc(method: str, params: Mapping[str, str], access_key_secret: str) -> Verification:
    """Check the ``Signature`` in ``params`` against ``access_key_secret``, in constant time."""
    string_to_sign = rpc_string_to_sign(method, rpc_canonical_query(params))
    expected = rpc_signature(string_to_sign, access_key_secret)
    given = params.get("Signature", "")
    valid = hmac.compare_digest(expected.encode(), given.encode())
    return Verification(valid, string_to_sign)


# --- ACS3-HMAC-SHA256 ---------------------------------------------------------------------------


def hash_payload(body: bytes) -> str:
    """Lowercase hex SHA-256 of the exact request body (the ``x-acs-content-sha256`` value)."""
    return hashlib.sha256(body).hexdigest()


def acs3_canonical_query(params: Mapping[str, str]) -> str:
    """Sort ``params`` by name and join ``name=value`` pairs, both percent-encoded."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}" for name in sorted(params)
    )


def _header_pairs(headers: Headers) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, Mapping) else headers


def acs3_canonical_headers(headers: Headers, signed_headers: Iterable[str]) -> tuple[str, str]:
    """The canonical header block and the ``SignedHeaders`` list for the named headers.

    Names are lowercased and sorted; values are stripped; a header sent more than once has its
    values sorted and joined with ``,``. A signed header missing from ``headers`` is an error.
    """
    wanted = sorted({name.lower() for name in signed_headers})
    values: dict[str, list[str]] = {name: [] for name in wanted}
    for name, value in _header_pairs(headers):
        bucket = values.get(name.lower())
        if bucket is not None:
            bucket.append(value.strip())
    missing = [name for name in wanted if not values[name]]
    if missing:
        raise SigningError(f"signed header(s) not present in the request: {', '.join(missing)}")
    block = "".join(f"{name}:{','.join(sorted(values[name]))}\n" for name in wanted)
    return block, ";".join(wanted)


def acs3_canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Headers,
    signed_headers: Iterable[str],
    payload_hash: str,
) -> str:
    """The canonical request: method, path, query, headers, signed header names, payload hash."""
    header_block, signed = acs3_canonical_headers(headers, signed_headers)
    return "\n".join(
        [
            method.upper(),
            path or "/",
            acs3_canonical_query(query),
            header_block,
            signed,
            payload_hash,
        ]
    )


def acs3_string_to_sign(canonical_request: str) -> str:
    """``ACS3-HMAC-SHA256`` and the hex SHA-256 of the canonical request, on two lines."""
    return f"{ACS3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"


def acs3_signature(string_to_sign: str, access_key_secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the string to sign, keyed by the raw secret."""
    return hmac.new(access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Acs3Authorization:
    """The parts of an ``Authorization: ACS3-HMAC-SHA256 ...`` header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str

    def header_value(self) -> str:
        """Render as the ``Authorization`` header value the SDKs send."""
        return (
            f"{ACS3_ALGORITHM} Credential={self.access_key_id},"
            f"SignedHeaders={';'.join(self.signed_headers)},Signature={self.signature}"
        )


def parse_acs3_authorization(value: str) -> Acs3Authorization:
    """Split an ``Authorization`` header into its parts; ``SigningError`` when malformed."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ACS3_ALGORITHM:
        raise SigningError(f"unsupported signature algorithm {algorithm[:40]!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, item = part.strip().partition("=")
        if not sep or name in fields:
            raise SigningError(
                "Authorization must be Credential=...,SignedHeaders=...,Signature=..."
            )
        fields[name] = item
    if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        raise SigningError("Authorization must be Credential=...,SignedHeaders=...,Signature=...")
    signed = tuple(name for name in fields["SignedHeaders"].split(";") if name)
    if not fields["Credential"] or not signed or not fields["Signature"]:
        raise SigningError("Authorization has an empty Credential, SignedHeaders or Signature")
    return Acs3Authorization(fields["Credential"], signed, fields["Signature"])


def sign_acs3(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Headers,
    payload_hash: str,
    access_key_id: str,
    access_key_secret: str,
    signed_headers: Iterable[str] | None = None,
) -> str:
    """The ``Authorization`` header value for an ACS3 request.

    By default every header given is signed, as the official SDKs do; pass ``signed_headers``
    to sign a subset.
    """
    pairs = list(_header_pairs(headers))
    chosen = [name for name, _ in pairs] if signed_headers is None else list(signed_headers)
    names = [name.lower() for name in chosen if name.lower() != "authorization"]
    canonical = acs3_canonical_request(method, path, query, pairs, names, payload_hash)
    signature = acs3_signature(acs3_string_to_sign(canonical), access_key_secret)
    return Acs3Authorization(access_key_id, tuple(sorted(set(names))), signature).header_value()


def verify_acs3(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Headers,
    payload_hash: str,
    authorization: Acs3Authorization,
    access_key_secret: str,
) -> Verification:
    """Check an ACS3 signature over exactly the headers the client said it signed."""
    canonical = acs3_canonical_request(
        method, path, query, headers, authorization.signed_headers, payload_hash
    )
    string_to_sign = acs3_string_to_sign(canonical)
    expected = acs3_signature(string_to_sign, access_key_secret)
    valid = hmac.compare_digest(expected.encode(), authorization.signature.encode())
    return Verification(valid, string_to_sign)
