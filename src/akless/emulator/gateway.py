"""The API gateway's checks on every signed call, in the order the real gateway reports them.

1. the timestamp is present, well formed and within 15 minutes of the (emulated) clock;
2. the signature parts are present (RPC: ``AccessKeyId``, ``Signature``, method and version;
   ACS3: an ``Authorization`` header that signs at least the mandatory headers);
3. the AccessKey exists (``InvalidAccessKeyId.NotFound``); an STS key comes with its own,
   unexpired security token (``MissingSecurityToken``, ``InvalidSecurityToken.*``); a session
   AccessKey (``TMPSK.``) has not expired; an RSA key pair's public key ID (``KP-``) signs
   GenerateSessionAccessKey and nothing else, and that action nothing but a public key ID;
   an STS key whose role's sessions were revoked (its last policy detached, or the role
   deleted) after it was issued answers ``InvalidSecurityToken.Expired`` too;
4. the AccessKey is active (``InvalidAccessKeyId.Inactive``);
5. the signature matches (``SignatureDoesNotMatch``, quoting the server's string to sign);
6. the nonce was not used before by this AccessKey (``SignatureNonceUsed``).

Only calls that pass the signature check consume a nonce, so nobody can burn another's nonces.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from akless import signing
from akless._time import parse_timestamp
from akless.emulator.errors import ApiError, missing
from akless.emulator.principals import Caller
from akless.emulator.protocol import ApiRequest
from akless.emulator.store import Store

MAX_CLOCK_SKEW = 15 * 60
"""``(version, action)`` of the calls an RSA key pair signs (its private key text is the secret).

They live here, not on ``Service``, because the gateway resolves the signing key before any
service sees the call."""
KEY_PAIR_PREFIX = "KP-"
SESSION_ACCESS_KEY_PREFIX = "TMPSK."
ACS3_MANDATORY_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)
_NONCE_MEMORY = 2 * MAX_CLOCK_SKEW
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
"""The one accepted shape; strptime alone also takes "2024-1-2T3:4:5Z" and non-ASCII digits."""


class NonceCache:
    """Nonces seen in the replay window, per AccessKey."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def first_use(self, access_key_id: str, nonce: str, now: float) -> bool:
        """Remember ``nonce``; ``False`` when it was already used within the window."""
        key = (access_key_id, nonce)
        with self._lock:
            if now >= self._next_purge:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
                self._next_purge = now + 60
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + _NONCE_MEMORY
            return True

    def clear(self) -> None:
        """Forget every nonce."""
        with self._lock:
            self._seen.clear()


class Gateway:
    """Authenticates calls against the store's AccessKeys and STS sessions."""

    def __init__(self, store: Store, clock: Callable[[], float], account_id: str) -> None:
        self._store = store
        self._clock = clock
        self._account_id = account_id
        self.nonces = NonceCache()

    def authenticate(
        self, request: ApiRequest, *, anonymous_allowed: bool = False, key_pair: bool = False
    ) -> Caller:
        """Return who signed ``request``, or raise the gateway's ``ApiError``."""
        now = self._clock()
        if request.style == "acs3":
            timestamp = request.header("x-acs-date")
            signed = request.header("authorization") is not None
        else:
            timestamp = request.signed_params.get("Timestamp")
            signed = "Signature" in request.signed_params or "AccessKeyId" in request.signed_params
        if anonymous_allowed and not signed:
            if timestamp is not None:
                self._check_timestamp(timestamp, now)
            nonce = request.header("x-acs-signature-nonce") or request.signed_params.get(
                "SignatureNonce"
            )
            if nonce:
                self._consume_nonce("", nonce, now)
            return Caller("Anonymous", self._account_id)
        if timestamp is None:
            raise missing("Timestamp")
        self._check_timestamp(timestamp, now)
        if request.style == "acs3":
            return self._authenticate_acs3(request, now, key_pair)
        return self._authenticate_rpc(request, now, key_pair)

    # -- timestamps --

    @staticmethod
    def _check_timestamp(timestamp: str, now: float) -> None:
        try:
            if not _TIMESTAMP.fullmatch(timestamp):
                raise ValueError(timestamp)
            sent = parse_timestamp(timestamp)
        except ValueError:
            raise ApiError(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted. "
                "Use UTC in the form YYYY-MM-DDThh:mm:ssZ.",
            ) from None
        if abs(sent - now) > MAX_CLOCK_SKEW:
            raise ApiError(
                400,
                "InvalidTimeStamp.Expired",
                f"Specified time stamp or date value is expired. The request time {timestamp} "
                f"is more than {MAX_CLOCK_SKEW // 60} minutes away from the server time.",
            )

    # -- RPC v1 --

    def _authenticate_rpc(self, request: ApiRequest, now: float, key_pair: bool) -> Caller:
        params = request.signed_params
        for name in ("AccessKeyId", "Signature", "SignatureNonce"):
            if not params.get(name):
                raise missing(name)
        if params.get("SignatureMethod") != signing.RPC_SIGNATURE_METHOD:
            raise _incomplete("SignatureMethod must be HMAC-SHA1.")
        if params.get("SignatureVersion") != signing.RPC_SIGNATURE_VERSION:
            raise _incomplete("SignatureVersion must be 1.0.")
        access_key_id = params["AccessKeyId"]
        caller, secret = self._resolve_key(
            access_key_id, params.get("SecurityToken"), now, key_pair=key_pair
        )
        check = signing.verify_rpc(request.method, params, secret)
        if not check.valid:
            raise _signature_mismatch(check.string_to_sign)
        self._consume_nonce(access_key_id, params["SignatureNonce"], now)
        return caller

    # -- ACS3 --

    def _authenticate_acs3(self, request: ApiRequest, now: float, key_pair: bool) -> Caller:
        try:
            authorization = signing.parse_acs3_authorization(request.header("authorization") or "")
        except signing.SigningError as error:
            raise _incomplete(str(error)) from None
        signed = set(authorization.signed_headers)
        absent = [name for name in ACS3_MANDATORY_HEADERS if name not in signed]
        if absent:
            raise _incomplete(f"SignedHeaders must include {', '.join(absent)}.")
        token = request.header("x-acs-security-token")
        if token is not None and "x-acs-security-token" not in signed:
            raise _incomplete("SignedHeaders must include x-acs-security-token.")
        nonce = request.header("x-acs-signature-nonce")
        if not nonce:
            raise missing("SignatureNonce")
        declared = request.header("x-acs-accesskey-id")
        if declared is not None and declared != authorization.access_key_id:
            raise ApiError(
                400,
                "InvalidAccessKeyId.Mismatch",
                "The x-acs-accesskey-id header does not match the Authorization Credential.",
            )
        caller, secret = self._resolve_key(
            authorization.access_key_id, token, now, key_pair=key_pair
        )
        try:
            check = signing.verify_acs3(
                method=request.method,
                path=request.path,
                query=request.query,
                headers=request.headers,
                payload_hash=signing.hash_payload(request.body),
                authorization=authorization,
                access_key_secret=secret,
            )
        except signing.SigningError as error:
            raise _incomplete(str(error)) from None
        if not check.valid:
            raise _signature_mismatch(check.string_to_sign)
        self._consume_nonce(authorization.access_key_id, nonce, now)
        return caller

    # -- keys, tokens, nonces --

    def _resolve_key(
        self, access_key_id: str, security_token: str | None, now: float, *, key_pair: bool
    ) -> tuple[Caller, str]:
        # A public key ID is looked up only where a key pair is expected, and only there: to
        # every other call it is an unknown AccessKey, and so is an AccessKey to those calls.
        if key_pair:
            return self._resolve_key_pair(access_key_id)
        if access_key_id.startswith("STS."):
            return self._resolve_session(access_key_id, security_token, now)
        if access_key_id.startswith(SESSION_ACCESS_KEY_PREFIX):
            return self._resolve_session_access_key(access_key_id, now)
        key = self._store.get_access_key(access_key_id)
        if key is None:
            raise _key_not_found()
        if key.status != "Active":
            raise ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        user = self._store.get_user(key.user_name)
        self._store.touch_access_key(access_key_id, now)
        caller = Caller("RAMUser", self._account_id, access_key_id, user=user, access_key=key)
        return caller, key.secret

    def _resolve_session(
        self, access_key_id: str, security_token: str | None, now: float
    ) -> tuple[Caller, str]:
        session = self._store.get_session(access_key_id)
        if session is None:
            raise _key_not_found()
        if not security_token:
            raise ApiError(
                400, "MissingSecurityToken", "SecurityToken is mandatory for this action."
            )
        if security_token != session.security_token:
            if self._store.session_token_exists(security_token):
                raise ApiError(
                    400,
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.",
                )
            raise ApiError(
                400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed."
            )
        if now >= session.expiration:
            raise ApiError(
                400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."
            )
        revoked = self._store.role_revoked_at(session.role_name)
        if revoked is not None and session.issued <= revoked:
            # A revoked token answers like an expired one: clients already know to fetch a new
            # credential on this code, and nothing about the revocation leaks to the holder.
            raise ApiError(
                400,
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired: the role's sessions were revoked.",
            )
        role = self._store.get_role(session.role_name)
        caller = Caller(
            "AssumedRoleUser", self._account_id, access_key_id, session=session, role=role
        )
        return caller, session.secret

    def _resolve_key_pair(self, public_key_id: str) -> tuple[Caller, str]:
        key_pair = (
            self._store.get_key_pair(public_key_id)
            if public_key_id.startswith(KEY_PAIR_PREFIX)
            else None
        )
        if key_pair is None:
            raise ApiError(400, "InvalidAccessKeyId.NotFound", "Specified public key is not found.")
        user = self._store.get_user(key_pair.user_name)
        caller = Caller("RAMUser", self._account_id, public_key_id, user=user)
        return caller, key_pair.private_key

    def _resolve_session_access_key(self, access_key_id: str, now: float) -> tuple[Caller, str]:
        key = self._store.get_session_access_key(access_key_id)
        if key is None:
            raise _key_not_found()
        if now >= key.expiration:
            raise ApiError(
                400,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found: the session access key has expired.",
            )
        user = self._store.get_user(key.user_name)
        caller = Caller("RAMUser", self._account_id, access_key_id, user=user)
        return caller, key.secret

    def _consume_nonce(self, access_key_id: str, nonce: str, now: float) -> None:
        if not self.nonces.first_use(access_key_id, nonce, now):
            raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")


def _incomplete(detail: str) -> ApiError:
    return ApiError(
        400,
        "IncompleteSignature",
        f"The request signature does not conform to Aliyun standards. {detail}",
    )


def _key_not_found() -> ApiError:
    return ApiError(400, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")


def _signature_mismatch(string_to_sign: str) -> ApiError:
    return ApiError(
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. server string to sign is:"
        + string_to_sign,
    )
