"""The emulator as an OIDC issuer (RS256 tokens and a JWKS), and the STS side that verifies
tokens against a registered OIDC provider: signature, issuer, audience, expiry."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from akless.emulator.errors import ApiError
from akless.emulator.records import OidcProvider

MIN_TOKEN_LENGTH = 4
MAX_TOKEN_LENGTH = 20000
_LAST_SHOWABLE_TIME = 253402300799
"""9999-12-31T23:59:59Z: later claim times cannot be written in the API's timestamp format."""


class OidcIssuer:
    """An RSA signing key with a key ID, minting tokens for one issuer URL."""

    def __init__(self, private_pem: bytes, issuer: str, kid: str) -> None:
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the OIDC issuer key must be an RSA key")
        self._key = key
        self.private_pem = private_pem
        self.issuer = issuer
        self.kid = kid

    @classmethod
    def generate(cls, issuer: str) -> OidcIssuer:
        """A fresh 2048-bit key for ``issuer``."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(pem, issuer, secrets.token_hex(8))

    def jwks(self) -> dict[str, Any]:
        """The public key set clients and STS use to check this issuer's tokens."""
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def mint(
        self,
        *,
        subject: str,
        audience: str | Sequence[str],
        now: float,
        expires_in: float = 3600,
        issuer: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed token, shaped like a Kubernetes projected ServiceAccount token."""
        claims: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "sub": subject,
            "aud": audience if isinstance(audience, str) else list(audience),
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + expires_in),
        }
        claims.update(extra_claims or {})
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def _fail(code: str, message: str) -> ApiError:
    return ApiError(401, f"AuthenticationFail.OIDCToken.{code}", message)


def verify_token(
    token: str, provider: OidcProvider, jwks: Mapping[str, Any], now: float
) -> dict[str, Any]:
    """The token's claims, once its signature, issuer, audience and lifetime check out."""
    if not token:
        raise _fail("Invalid", "The OIDCToken can not empty.")
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise _fail("Invalid", f"The OIDCToken must be 4 to {MAX_TOKEN_LENGTH} characters long.")
    if token.count(".") != 2:
        raise _fail("Invalid", "Jwt must have 3 '.'-separated parts.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _fail("Invalid", "Cannot decode base64 of the JWT header.") from None
    algorithm = header.get("alg")
    if algorithm != "RS256":
        raise _fail("Invalid", f"The algorithm {str(algorithm)[:20]} of the JWT is unknown.")
    candidates = [
        key
        for key in jwks.get("keys", [])
        if isinstance(key, dict) and (header.get("kid") is None or key.get("kid") == header["kid"])
    ]
    if not candidates:
        raise _fail("InvalidSignature", "OIDC token validate failed: no key matches its kid.")
    claims = _decode(token, candidates)
    _check_claim_types(claims)
    if claims.get("iss") != provider.issuer_url:
        raise _fail(
            "IssuerNotMatch",
            "The issuer in the OIDC Token doesn't match the OIDC Provider registered.",
        )
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences or []
    if not set(audiences) & set(provider.client_ids):
        raise _fail("AudienceNotMatch", "Invalid audience.")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise _fail("Expired", "This JsonWebToken is expired.")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now + 60:
        raise _fail("Invalid", "This JsonWebToken is not valid yet.")
    if not isinstance(claims.get("sub"), str):
        raise _fail("Invalid", "Jwt content is invalid: no sub claim.")
    return claims


def _check_claim_types(claims: dict[str, Any]) -> None:
    """Reject claims of the wrong type, which would otherwise break the checks after."""
    audiences = claims.get("aud")
    if not (audiences is None or isinstance(audiences, str) or _strings(audiences)):
        raise _fail("Invalid", "Jwt content is invalid: aud is not a string or list of them.")
    for name in ("exp", "iat", "nbf"):
        value = claims.get(name)
        if value is None:
            continue
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not numeric or not 0 <= value <= _LAST_SHOWABLE_TIME:
            raise _fail("Invalid", f"Jwt content is invalid: {name} is not a valid NumericDate.")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _decode(token: str, keys: list[dict[str, Any]]) -> dict[str, Any]:
    # Times, issuer and audience are checked by the caller against the emulator's clock.
    options: Any = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
    }
    for key in keys:
        try:
            public_key = RSAAlgorithm.from_jwk(key)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            continue
        if not isinstance(public_key, rsa.RSAPublicKey):
            continue  # a JWKS must not carry private keys; never verify with one
        try:
            claims: dict[str, Any] = jwt.decode(
                token, public_key, algorithms=["RS256"], options=options
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise _fail("Invalid", "Jwt content is invalid.") from None
        return claims
    raise _fail("InvalidSignature", "OIDC token validate failed: invalid signature.")
