"""The emulator's API gateway, driven over HTTP with hand-signed requests (no client library).

Each test names one gateway rule of the protocol fact sheet (sections 1-3): how signatures are
verified, which timestamps and nonces pass, how AccessKeys and STS tokens are checked, and the
shape of every answer. ``GetCallerIdentity`` is the probe: it needs nothing but a valid signature.
"""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from akless.emulator.gateway import ACS3_MANDATORY_HEADERS
from tests.emulator.helpers import (
    ERROR_ENVELOPE_KEYS,
    SIGNATURE_MISMATCH_PREFIX,
    Api,
    Key,
    error_of,
    new_nonce,
    new_user_key,
    parse_xml,
    utc_timestamp,
)

STYLES = ["rpc", "acs3"]
MINUTE = 60


def call(api: Api, style: str, **options: object) -> httpx.Response:
    """GetCallerIdentity signed the ``style`` way (``rpc`` is RPC v1 over GET)."""
    if style == "rpc":
        return api.rpc("GetCallerIdentity", **options)
    return api.acs3("GetCallerIdentity", **options)


# --- signatures that verify -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rpc_call_with_a_valid_signature_is_accepted(api: Api, method: str) -> None:
    response = api.rpc("GetCallerIdentity", method=method)

    assert response.status_code == 200, response.text
    assert response.json()["Arn"] == api.cloud.user_arn(api.cloud.identity.user_name)


def test_acs3_call_with_a_valid_signature_is_accepted(api: Api) -> None:
    response = api.acs3("GetCallerIdentity")

    assert response.status_code == 200, response.text
    assert response.json()["IdentityType"] == "RAMUser"


def test_blank_parameter_is_kept_in_the_signature(api: Api) -> None:
    # The legacy aliyunsdkcore always sends "SignatureType=" and signs it.
    request = api.rpc_request("GetCallerIdentity", {"SignatureType": ""})
    assert "SignatureType%3D%26" in request.string_to_sign

    assert api.send(request).status_code == 200


def test_rpc_query_is_form_decoded_before_canonicalising(api: Api) -> None:
    # The SDKs build the query with urlencode: a space goes on the wire as "+", but is signed
    # as "%20".
    request = api.rpc_request("GetCallerIdentity", {"Note": "a b*c~d"})
    assert "Note=a+b%2Ac~d" in request.url

    assert api.send(request).status_code == 200


def test_acs3_query_is_form_decoded_before_canonicalising(api: Api) -> None:
    request = api.acs3_request("GetCallerIdentity", {"Note": "a b*c~d/é"})
    assert "Note=a+b%2Ac~d%2F%C3%A9" in request.url

    assert api.send(request).status_code == 200


def test_rpc_post_form_body_parameters_are_part_of_the_signature(api: Api) -> None:
    request = api.rpc_request("GetCallerIdentity", method="POST", form={"Note": "x y"})
    assert api.send(request).status_code == 200

    tampered = api.rpc_request("GetCallerIdentity", method="POST", form={"Note": "x y"})
    response = api.send(tampered.replace(body=b"Note=tampered"))

    body = error_of(response, 400, "SignatureDoesNotMatch")
    assert "Note%3Dtampered" in body["Message"]


def test_acs3_form_body_is_covered_by_its_hash(api: Api) -> None:
    request = api.acs3_request("GetCallerIdentity", form={"Note": "x y"})
    assert api.send(request).status_code == 200

    tampered = api.acs3_request("GetCallerIdentity", form={"Note": "x y"})
    response = api.send(tampered.replace(body=b"Note=tampered"))

    error_of(response, 400, "SignatureDoesNotMatch")


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_timestamp_more_than_15_minutes_old_is_expired(api: Api, style: str) -> None:
    stale = utc_timestamp(time.time() - 16 * MINUTE)

    error_of(call(api, style, timestamp=stale), 400, "InvalidTimeStamp.Expired")


@pytest.mark.parametrize("style", STYLES)
def test_timestamp_more_than_15_minutes_ahead_is_expired(api: Api, style: str) -> None:
    early = utc_timestamp(time.time() + 16 * MINUTE)

    error_of(call(api, style, timestamp=early), 400, "InvalidTimeStamp.Expired")


@pytest.mark.parametrize("style", STYLES)
def test_timestamp_within_15_minutes_is_accepted(api: Api, style: str) -> None:
    response = call(api, style, timestamp=utc_timestamp(time.time() - 14 * MINUTE))

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("style", STYLES)
def test_skew_is_measured_against_the_emulated_clock(api: Api, style: str) -> None:
    api.cloud.set_clock_offset(16 * MINUTE)

    error_of(call(api, style), 400, "InvalidTimeStamp.Expired")
    assert call(api, style, timestamp=utc_timestamp(api.cloud.now())).status_code == 200


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    "timestamp", ["2024-01-02 03:04:05", "2024-01-02T03:04:05.123Z", "1704164645", "yesterday"]
)
def test_badly_formatted_timestamp_is_refused(api: Api, style: str, timestamp: str) -> None:
    error_of(call(api, style, timestamp=timestamp), 400, "InvalidTimeStamp.Format")


@pytest.mark.parametrize(
    "digits", ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"], ids=["arabic", "fullwidth"]
)
def test_current_year_in_non_ascii_digits_is_badly_formatted(api: Api, digits: str) -> None:
    # strptime reads %Y as any four Unicode digits; the gateway takes ASCII digits only.
    now = utc_timestamp()
    now = now[:4].translate(str.maketrans("0123456789", digits)) + now[4:]

    error_of(api.rpc("GetCallerIdentity", timestamp=now), 400, "InvalidTimeStamp.Format")


@pytest.mark.parametrize("style", STYLES)
def test_timestamp_without_zero_padding_is_badly_formatted(api: Api, style: str) -> None:
    error_of(call(api, style, timestamp="2024-1-2T3:4:5Z"), 400, "InvalidTimeStamp.Format")


def test_rpc_call_without_timestamp_is_refused(api: Api) -> None:
    error_of(api.rpc("GetCallerIdentity", omit=["Timestamp"]), 400, "MissingTimestamp")


# --- nonces -----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_reused_nonce_is_refused(api: Api, style: str) -> None:
    nonce = new_nonce()
    assert call(api, style, nonce=nonce).status_code == 200

    body = error_of(call(api, style, nonce=nonce), 400, "SignatureNonceUsed")
    assert body["Message"] == "Specified signature nonce was used already."


def test_replaying_the_exact_same_request_is_refused(api: Api) -> None:
    request = api.rpc_request("GetCallerIdentity")
    assert api.send(request).status_code == 200

    error_of(api.send(request), 400, "SignatureNonceUsed")


@pytest.mark.parametrize("style", STYLES)
def test_request_failing_its_signature_does_not_burn_the_nonce(api: Api, style: str) -> None:
    nonce = new_nonce()
    error_of(call(api, style, nonce=nonce, secret="wrong"), 400, "SignatureDoesNotMatch")

    assert call(api, style, nonce=nonce).status_code == 200


def test_nonces_are_remembered_per_access_key(api: Api) -> None:
    bob = new_user_key(api.cloud, "bob")
    nonce = new_nonce()
    assert api.rpc("GetCallerIdentity", nonce=nonce).status_code == 200

    assert api.rpc("GetCallerIdentity", nonce=nonce, key=bob).status_code == 200


# --- AccessKeys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_unknown_access_key_is_not_found(api: Api, style: str) -> None:
    stranger = Key("LTAI5tUnknownKeyId0000000", "whatever")

    body = error_of(call(api, style, key=stranger), 400, "InvalidAccessKeyId.NotFound")
    assert body["Message"] == "Specified access key is not found."


@pytest.mark.parametrize("style", STYLES)
def test_disabled_access_key_is_inactive_until_enabled_again(api: Api, style: str) -> None:
    key = api.key
    api.cloud.set_access_key_status(key.access_key_id, "Inactive")

    body = error_of(call(api, style), 400, "InvalidAccessKeyId.Inactive")
    assert body["Message"] == "Specified access key is disabled."

    api.cloud.set_access_key_status(key.access_key_id, "Active")
    assert call(api, style).status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_wrong_secret_quotes_the_rpc_string_to_sign(api: Api, method: str) -> None:
    request = api.rpc_request(
        "GetCallerIdentity", {"SignatureType": ""}, method=method, secret="wrong"
    )

    body = error_of(api.send(request), 400, "SignatureDoesNotMatch")

    assert body["Message"] == SIGNATURE_MISMATCH_PREFIX + request.string_to_sign
    assert request.string_to_sign.startswith(
        f"{method}&%2F&AccessKeyId%3D{api.key.access_key_id}%26"
    )
    # aliyunsdkcore compares Message.split(':')[1] with its own string to sign.
    assert body["Message"].split(":")[1] == request.string_to_sign


def test_wrong_secret_quotes_the_acs3_string_to_sign(api: Api) -> None:
    request = api.acs3_request("GetCallerIdentity", secret="wrong")

    body = error_of(api.send(request), 400, "SignatureDoesNotMatch")

    assert body["Message"] == SIGNATURE_MISMATCH_PREFIX + request.string_to_sign
    assert request.string_to_sign.startswith("ACS3-HMAC-SHA256\n")


def test_signature_for_another_method_does_not_match(api: Api) -> None:
    # The method is part of the RPC string to sign: a GET signature is no good for a POST.
    signed_for_get = api.rpc_request("GetCallerIdentity", method="GET")

    response = api.send(signed_for_get.replace(method="POST"))

    body = error_of(response, 400, "SignatureDoesNotMatch")
    assert body["Message"].startswith(SIGNATURE_MISMATCH_PREFIX + "POST&%2F&")


def test_rpc_signature_method_other_than_hmac_sha1_is_incomplete(api: Api) -> None:
    response = api.rpc("GetCallerIdentity", {"SignatureMethod": "HMAC-SHA256"})

    error_of(response, 400, "IncompleteSignature")


# --- STS credentials ----------------------------------------------------------------------------


@pytest.fixture
def sts_key(api: Api) -> Key:
    return api.role_credential(api.cloud.identity.role_arn, "gateway-test")


@pytest.mark.parametrize("style", STYLES)
def test_sts_credential_with_its_token_is_accepted(api: Api, sts_key: Key, style: str) -> None:
    response = call(api, style, key=sts_key)

    assert response.status_code == 200, response.text
    assert response.json()["IdentityType"] == "AssumedRoleUser"


@pytest.mark.parametrize("style", STYLES)
def test_sts_credential_without_its_token_is_refused(api: Api, sts_key: Key, style: str) -> None:
    tokenless = Key(sts_key.access_key_id, sts_key.secret)

    body = error_of(call(api, style, key=tokenless), 400, "MissingSecurityToken")
    assert body["Message"] == "SecurityToken is mandatory for this action."


@pytest.mark.parametrize("style", STYLES)
def test_sts_credential_with_another_sessions_token_is_a_mismatch(
    api: Api, sts_key: Key, style: str
) -> None:
    other = api.role_credential(api.cloud.identity.role_arn, "other-session")
    crossed = Key(sts_key.access_key_id, sts_key.secret, other.security_token)

    error_of(call(api, style, key=crossed), 400, "InvalidSecurityToken.MismatchWithAccessKey")


@pytest.mark.parametrize("style", STYLES)
def test_sts_credential_with_a_garbage_token_is_malformed(
    api: Api, sts_key: Key, style: str
) -> None:
    garbage = Key(sts_key.access_key_id, sts_key.secret, "CAIS-not-a-real-token")

    error_of(call(api, style, key=garbage), 400, "InvalidSecurityToken.Malformed")


@pytest.mark.parametrize("style", STYLES)
def test_sts_credential_after_its_expiration_is_expired(api: Api, sts_key: Key, style: str) -> None:
    api.cloud.set_clock_offset(3600 + 1)  # the role's default session lasts an hour

    response = call(api, style, key=sts_key, timestamp=utc_timestamp(api.cloud.now()))

    body = error_of(response, 400, "InvalidSecurityToken.Expired")
    assert body["Message"] == "Specified SecurityToken is expired."


def test_unknown_sts_access_key_is_not_found(api: Api, sts_key: Key) -> None:
    forged = Key("STS.NTnotIssuedByTheEmulator0", sts_key.secret, sts_key.security_token)

    error_of(api.rpc("GetCallerIdentity", key=forged), 400, "InvalidAccessKeyId.NotFound")


# --- ACS3 signed headers ----------------------------------------------------------------------


@pytest.mark.parametrize("left_out", ACS3_MANDATORY_HEADERS)
def test_acs3_signature_must_cover_every_mandatory_header(api: Api, left_out: str) -> None:
    request = api.acs3_request("GetCallerIdentity")
    signed = [name for name in request.headers if name not in (left_out, "authorization")]

    response = api.acs3("GetCallerIdentity", signed_headers=signed)

    body = error_of(response, 400, "IncompleteSignature")
    assert left_out in body["Message"]


def test_acs3_security_token_header_must_be_signed(api: Api, sts_key: Key) -> None:
    request = api.acs3_request("GetCallerIdentity", key=sts_key)
    signed = [
        name for name in request.headers if name not in ("x-acs-security-token", "authorization")
    ]

    response = api.acs3("GetCallerIdentity", key=sts_key, signed_headers=signed)

    error_of(response, 400, "IncompleteSignature")


def test_acs3_signed_header_missing_from_the_request_is_incomplete(api: Api) -> None:
    request = api.acs3_request("GetCallerIdentity", form={"Note": "x"})
    assert "content-type" in request.headers["authorization"]
    unsent = {name: value for name, value in request.headers.items() if name != "content-type"}

    response = api.send(request.replace(headers=unsent))

    body = error_of(response, 400, "IncompleteSignature")
    assert "content-type" in body["Message"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc",
        "ACS3-HMAC-SHA256 Credential=x",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=00",
    ],
)
def test_malformed_acs3_authorization_is_incomplete(api: Api, authorization: str) -> None:
    request = api.acs3_request("GetCallerIdentity")

    response = api.send(
        request.replace(headers={**request.headers, "authorization": authorization})
    )

    error_of(response, 400, "IncompleteSignature")


def test_acs3_header_changed_after_signing_does_not_match(api: Api) -> None:
    request = api.acs3_request("GetCallerIdentity")

    response = api.send(request.replace(headers={**request.headers, "accept": "text/xml"}))

    error_of(response, 400, "SignatureDoesNotMatch")


# --- Action and Version -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left_out", "code"), [("Action", "MissingAction"), ("Version", "MissingVersion")]
)
def test_rpc_call_without_action_or_version_is_refused(api: Api, left_out: str, code: str) -> None:
    error_of(api.rpc("GetCallerIdentity", omit=[left_out]), 400, code)


@pytest.mark.parametrize(
    ("left_out", "code"), [("x-acs-action", "MissingAction"), ("x-acs-version", "MissingVersion")]
)
def test_acs3_call_without_action_or_version_is_refused(api: Api, left_out: str, code: str) -> None:
    error_of(api.acs3("GetCallerIdentity", omit_headers=[left_out]), 400, code)


@pytest.mark.parametrize("style", STYLES)
def test_unknown_version_is_invalid(api: Api, style: str) -> None:
    body = error_of(call(api, style, version="2099-01-01"), 400, "InvalidVersion")

    assert "2099-01-01" in body["Message"]


@pytest.mark.parametrize("style", STYLES)
def test_unknown_action_is_not_found(api: Api, style: str) -> None:
    response = api.rpc("DescribeRegions") if style == "rpc" else api.acs3("DescribeRegions")

    body = error_of(response, 404, "InvalidAction.NotFound")
    assert body["Message"].startswith("Specified api is not found")


def test_path_other_than_root_is_not_found(api: Api) -> None:
    response = api.client.get(f"{api.endpoint}/v1/anything")

    error_of(response, 404, "InvalidApi.NotFound")


def test_json_body_spelling_a_lone_surrogate_is_invalid(api: Api) -> None:
    # "\ud800" is valid JSON but no UTF-8 string: it can be neither signed nor recorded.
    body = b'{"Action":"\\ud800","Version":"2015-04-01"}'

    response = api.client.post(
        f"{api.endpoint}/", content=body, headers={"content-type": "application/json"}
    )

    error_of(response, 400, "InvalidParameter")


# --- the answer's envelope ----------------------------------------------------------------------


def test_json_error_envelope_has_exactly_the_gateway_fields(api: Api) -> None:
    response = api.rpc("GetCallerIdentity", secret="wrong")

    body = response.json()
    assert set(body) == ERROR_ENVELOPE_KEYS
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert body["RequestId"] == response.headers["x-acs-request-id"]
    assert body["HostId"] == api.endpoint.removeprefix("http://")
    assert body["Recommend"] == (
        "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Sts"
        f"&requestId={body['RequestId']}"
    )


@pytest.mark.parametrize("response_format", ["XML", "xml"])
def test_xml_error_envelope_has_exactly_the_gateway_fields(api: Api, response_format: str) -> None:
    response = api.rpc("GetCallerIdentity", secret="wrong", response_format=response_format)

    assert response.status_code == 400
    assert response.headers["content-type"] == "text/xml;charset=utf-8"
    root = parse_xml(response.content)
    assert root.tag == "Error"
    fields = {child.tag: child.text for child in root}
    assert set(fields) == ERROR_ENVELOPE_KEYS
    assert len(root) == len(ERROR_ENVELOPE_KEYS)
    assert fields["Code"] == "SignatureDoesNotMatch"
    assert fields["RequestId"] == response.headers["x-acs-request-id"]


def test_success_in_xml_when_asked(api: Api) -> None:
    response = api.rpc("GetCallerIdentity", response_format="XML")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml;charset=utf-8"
    root = parse_xml(response.content)
    assert root.tag == "GetCallerIdentityResponse"
    assert root.findtext("Arn") == api.cloud.user_arn(api.cloud.identity.user_name)
    assert root.findtext("RequestId") == response.headers["x-acs-request-id"]


def test_xml_error_stays_well_formed_with_control_characters_echoed(api: Api) -> None:
    response = api.rpc("Get\x01Caller<Identity>", response_format="XML")

    assert response.status_code == 404
    root = parse_xml(response.content)
    assert root.findtext("Code") == "InvalidAction.NotFound"


@pytest.mark.parametrize("style", STYLES)
def test_answers_carry_a_date_from_the_emulated_clock(api: Api, style: str) -> None:
    ten_days = 10 * 24 * 3600
    api.cloud.set_clock_offset(ten_days)

    ok = call(api, style, timestamp=utc_timestamp(api.cloud.now()))
    refused = call(api, style)  # the real clock's timestamp is ten days stale

    assert ok.status_code == 200
    error_of(refused, 400, "InvalidTimeStamp.Expired")
    for response in (ok, refused):
        date = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
        assert abs(date - api.cloud.now()) < 5
