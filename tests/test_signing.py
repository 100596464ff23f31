"""Request signing, pinned stage by stage to the test vectors of the protocol fact sheet.

Vectors R1-R7 (RPC v1, HMAC-SHA1) and V3-A, V3-B, V3-C (ACS3-HMAC-SHA256) come from
``spec/alibaba-cloud-protocol.md`` sections 1.6 and 2.4; each was computed by the official SDKs.
The property tests at the end state the invariants the vectors cannot: canonicalisation ignores
parameter order, every signed character counts, and whatever is signed verifies.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from akless.signing import (
    EMPTY_PAYLOAD_HASH,
    Acs3Authorization,
    SigningError,
    Verification,
    acs3_canonical_headers,
    acs3_canonical_query,
    acs3_canonical_request,
    acs3_signature,
    acs3_string_to_sign,
    hash_payload,
    parse_acs3_authorization,
    percent_encode,
    rpc_canonical_query,
    rpc_string_to_sign,
    sign_acs3,
    sign_rpc,
    verify_acs3,
    verify_rpc,
)


def form_params(query: str) -> dict[str, str]:
    """Form-decode a captured query or body as the server must: ``+`` is a space, blanks stay."""
    return dict(parse_qsl(query, keep_blank_values=True))


# --- RPC v1 vectors (spec 1.6) --------------------------------------------------------------


@dataclass(frozen=True)
class RpcVector:
    name: str
    method: str
    params: dict[str, str]
    secret: str
    signature: str
    string_to_sign: str | None = None


R1_PARAMS = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}

R3_PARAMS = {
    "Action": "AssumeRole",
    "Format": "json",
    "Version": "2015-04-01",
    "Timestamp": "2024-01-02T03:04:05Z",
    "SignatureNonce": "0123456789abcdef0123456789abcdef",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
    "AccessKeyId": "STS.NTestAccessKeyId123",
    "SecurityToken": "CAIS+test/token==",
    "RoleArn": "acs:ram::1234567890123456:role/rotator-role",
    "RoleSessionName": "ak-rotator@host_01.test-1",
    "DurationSeconds": "3600",
    "Policy": (
        '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*AccessKey*","Resource":"*"}]}'
    ),
}

R4_PARAMS = {
    "Action": "UpdateAccessKey",
    "Format": "JSON",
    "Version": "2015-05-01",
    "Timestamp": "2024-06-30T23:59:59Z",
    "SignatureNonce": "nonce-~*+ !'()",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
    "AccessKeyId": "LTAI5tTestKeyId",
    "UserAccessKeyId": "LTAI5tOldKey",
    "Status": "Inactive",
    "UserName": "测试 user~a*b+c",
}

# R5 splits the parameters between the URL query and a form body; both are signed.
R5_URL = (
    "https://kms.cn-hangzhou.aliyuncs.com/?Action=GetSecretValue&Format=json&Version=2016-01-20"
    "&Timestamp=2024-01-02T03%3A04%3A05Z&SignatureNonce=0123456789abcdef0123456789abcdef"
    "&SecretName=ram%2Frotator+key&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0"
    "&AccessKeyId=LTAI5tTestKeyId&Signature=rNnzE7GTsxSabZl4iAkgDXETBgo%3D"
)
R5_BODY = "FetchExtendedConfig=true&VersionStage=ACSCurrent"
R5_WIRE_PARAMS = form_params(urlsplit(R5_URL).query) | form_params(R5_BODY)
R5_PARAMS = {name: value for name, value in R5_WIRE_PARAMS.items() if name != "Signature"}

# R6 is a request captured from alibabacloud_sts20150401 1.2.0 with signature_algorithm='v2'.
R6_URL = (
    "https://sts.cn-hangzhou.aliyuncs.com/?Action=AssumeRole&Format=json&Version=2015-04-01"
    "&Timestamp=2024-01-02T03%3A04%3A05Z&SignatureNonce=0123456789abcdef0123456789abcdef"
    "&DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Frotator-role"
    "&RoleSessionName=ak-rotator&SecurityToken=CAIS%2Btest%2Ftoken%3D%3D&SignatureMethod=HMAC-SHA1"
    "&SignatureVersion=1.0&AccessKeyId=LTAI5tTestKeyId&Signature=DPZaQ7vQUW%2Fy1WS8ChO%2FiG2hkyA%3D"
)
R6_PARAMS = {
    name: value
    for name, value in form_params(urlsplit(R6_URL).query).items()
    if name != "Signature"
}
R6_PARAMS_WITHOUT_TOKEN = {
    name: value for name, value in R6_PARAMS.items() if name != "SecurityToken"
}

# R7 is the legacy aliyunsdkcore wire format: a blank SignatureType and the literal "None" for an
# unset Format are both signed. The spec elides RoleArn; it is the one R6 uses.
R7_QUERY = (
    "RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Frotator-role&RoleSessionName=ak-rotator"
    "&Version=2015-04-01&Action=AssumeRole&Format=None&RegionId=cn-hangzhou"
    "&Timestamp=2024-01-02T03%3A04%3A05Z&SignatureMethod=HMAC-SHA1&SignatureType="
    "&SignatureVersion=1.0&SignatureNonce=0123456789abcdef0123456789abcdef"
    "&AccessKeyId=LTAI5tTestKeyId"
)
R7_PARAMS = form_params(R7_QUERY)

RPC_VECTORS = [
    RpcVector(
        "R1-doc-example-GET",
        "GET",
        R1_PARAMS,
        "testsecret",
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26",
    ),
    RpcVector(
        "R2-doc-example-POST", "POST", R1_PARAMS, "testsecret", "MxbnVAM4w6sft9xjVpe/GCKueuk="
    ),
    RpcVector(
        "R3-sts-token-and-policy",
        "POST",
        R3_PARAMS,
        "testSecret/With+Chars=",
        "pTQ2e3BTDTUrXcFNnFoZZuNYSAQ=",
        "POST&%2F&AccessKeyId%3DSTS.NTestAccessKeyId123%26Action%3DAssumeRole"
        "%26DurationSeconds%3D3600%26Format%3Djson%26Policy%3D%257B%2522Version%2522%253A"
        "%25221%2522%252C%2522Statement%2522%253A%255B%257B%2522Effect%2522%253A%2522Allow"
        "%2522%252C%2522Action%2522%253A%2522ram%253A%252AAccessKey%252A%2522%252C"
        "%2522Resource%2522%253A%2522%252A%2522%257D%255D%257D"
        "%26RoleArn%3Dacs%253Aram%253A%253A1234567890123456%253Arole%252Frotator-role"
        "%26RoleSessionName%3Dak-rotator%2540host_01.test-1"
        "%26SecurityToken%3DCAIS%252Btest%252Ftoken%253D%253D%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D0123456789abcdef0123456789abcdef%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2015-04-01",
    ),
    RpcVector(
        "R4-unicode-and-reserved",
        "GET",
        R4_PARAMS,
        "s3cr3t",
        "L5osWxSK3UX+p/WhQ75YHU/K3ak=",
        "GET&%2F&AccessKeyId%3DLTAI5tTestKeyId%26Action%3DUpdateAccessKey%26Format%3DJSON"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce-~%252A%252B%2520%2521%2527"
        "%2528%2529%26SignatureVersion%3D1.0%26Status%3DInactive"
        "%26Timestamp%3D2024-06-30T23%253A59%253A59Z%26UserAccessKeyId%3DLTAI5tOldKey"
        "%26UserName%3D%25E6%25B5%258B%25E8%25AF%2595%2520user~a%252Ab%252Bc"
        "%26Version%3D2015-05-01",
    ),
    RpcVector(
        "R5-query-plus-form-body",
        "POST",
        R5_PARAMS,
        "s3cr3t",
        "rNnzE7GTsxSabZl4iAkgDXETBgo=",
        "POST&%2F&AccessKeyId%3DLTAI5tTestKeyId%26Action%3DGetSecretValue"
        "%26FetchExtendedConfig%3Dtrue%26Format%3Djson%26SecretName%3Dram%252Frotator%2520key"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0123456789abcdef0123456789abcdef"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z"
        "%26Version%3D2016-01-20%26VersionStage%3DACSCurrent",
    ),
    RpcVector("R6-sdk-capture-sts", "POST", R6_PARAMS, "s3cr3t", "DPZaQ7vQUW/y1WS8ChO/iG2hkyA="),
    RpcVector(
        "R6-sdk-capture-ak",
        "POST",
        R6_PARAMS_WITHOUT_TOKEN,
        "s3cr3t",
        "wUKd6DSwkTWKHdWgpev4BtpFILA=",
    ),
    RpcVector("R7-legacy-core", "POST", R7_PARAMS, "s3cr3t", "UilhRiKzKyOPwJh273JIGv4RWmQ="),
]

RPC_VECTORS_WITH_STRING_TO_SIGN = [vector for vector in RPC_VECTORS if vector.string_to_sign]


def rpc_ids(vector: RpcVector) -> str:
    return vector.name


@pytest.mark.parametrize("vector", RPC_VECTORS_WITH_STRING_TO_SIGN, ids=rpc_ids)
def test_rpc_string_to_sign_matches_vector(vector: RpcVector) -> None:
    canonical_query = rpc_canonical_query(vector.params)
    assert rpc_string_to_sign(vector.method, canonical_query) == vector.string_to_sign


@pytest.mark.parametrize("vector", RPC_VECTORS, ids=rpc_ids)
def test_rpc_signature_matches_vector(vector: RpcVector) -> None:
    assert sign_rpc(vector.method, vector.params, vector.secret) == vector.signature


def test_r5_signature_is_the_one_sent_in_the_url() -> None:
    assert R5_WIRE_PARAMS["Signature"] == "rNnzE7GTsxSabZl4iAkgDXETBgo="


def test_r6_signature_is_the_one_sent_in_the_url() -> None:
    assert form_params(urlsplit(R6_URL).query)["Signature"] == "DPZaQ7vQUW/y1WS8ChO/iG2hkyA="


def test_r7_blank_signature_type_and_literal_none_format_are_signed() -> None:
    string_to_sign = rpc_string_to_sign("POST", rpc_canonical_query(R7_PARAMS))
    assert "%26SignatureType%3D%26" in string_to_sign
    assert "%26Format%3DNone%26" in string_to_sign


def test_rpc_canonical_query_leaves_out_signature_and_keeps_blank_values() -> None:
    params = {"b": "", "Signature": "ignored", "a": "x y"}
    assert rpc_canonical_query(params) == "a=x%20y&b="


def test_rpc_canonical_query_sorts_uppercase_before_lowercase() -> None:
    assert rpc_canonical_query({"a": "1", "B": "2"}) == "B=2&a=1"


def test_rpc_method_is_signed_in_upper_case() -> None:
    assert sign_rpc("get", R1_PARAMS, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


# --- RPC v1 verification -------------------------------------------------------------------


@pytest.mark.parametrize("vector", RPC_VECTORS, ids=rpc_ids)
def test_verify_rpc_accepts_the_vector_signature(vector: RpcVector) -> None:
    verification = verify_rpc(
        vector.method, vector.params | {"Signature": vector.signature}, vector.secret
    )
    assert verification.valid
    assert verification
    expected_string = rpc_string_to_sign(vector.method, rpc_canonical_query(vector.params))
    assert verification.string_to_sign == expected_string


@pytest.mark.parametrize("vector", RPC_VECTORS, ids=rpc_ids)
def test_verify_rpc_rejects_a_wrong_secret_and_reports_its_string_to_sign(
    vector: RpcVector,
) -> None:
    verification = verify_rpc(
        vector.method, vector.params | {"Signature": vector.signature}, vector.secret + "x"
    )
    assert not verification.valid
    assert not verification
    expected_string = rpc_string_to_sign(vector.method, rpc_canonical_query(vector.params))
    assert verification.string_to_sign == expected_string


def test_verify_rpc_rejects_the_signature_of_the_other_method() -> None:
    """R1 and R2 sign the same parameters; a GET signature does not verify a POST."""
    params = R1_PARAMS | {"Signature": "OLeaidS1JvxuMvnyHOwuJ+uX5qY="}
    assert not verify_rpc("POST", params, "testsecret")


def test_verify_rpc_rejects_a_request_without_signature() -> None:
    assert not verify_rpc("GET", R1_PARAMS, "testsecret")


# --- ACS3 vectors (spec 2.4) ---------------------------------------------------------------

SPEC_EMPTY_PAYLOAD_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

V3_ASSUME_ROLE_QUERY = {
    "DurationSeconds": "3600",
    "RoleArn": "acs:ram::1234567890123456:role/rotator-role",
    "RoleSessionName": "ak-rotator",
}

V3A_HEADERS = {
    "host": "sts.cn-hangzhou.aliyuncs.com",
    "x-acs-action": "AssumeRole",
    "x-acs-version": "2015-04-01",
    "x-acs-date": "2024-01-02T03:04:05Z",
    "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
    "x-acs-content-sha256": SPEC_EMPTY_PAYLOAD_HASH,
}

V3A_CANONICAL_REQUEST = """\
POST
/
DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Frotator-role&RoleSessionName=ak-rotator
host:sts.cn-hangzhou.aliyuncs.com
x-acs-action:AssumeRole
x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-date:2024-01-02T03:04:05Z
x-acs-signature-nonce:0123456789abcdef0123456789abcdef
x-acs-version:2015-04-01

host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"""

V3B_BODY = b"Policy=%7B%22Version%22%3A%221%22%7D&RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr"
V3B_PAYLOAD_HASH = "dd1add496e8220f5ed752e266f7207cf46b4c4c148748daace5dcc70a79ac581"
V3B_QUERY = {"Note": "a b*c~d/é"}
V3B_HEADERS = {
    "host": "sts.aliyuncs.com",
    "x-acs-action": "AssumeRole",
    "x-acs-version": "2015-04-01",
    "x-acs-date": "2024-01-02T03:04:05Z",
    "x-acs-signature-nonce": "nonce-2",
    "content-type": "application/x-www-form-urlencoded",
    "x-acs-content-sha256": V3B_PAYLOAD_HASH,
    "x-acs-security-token": "CAIS+test/token==",
    "x-acs-accesskey-id": "STS.NTestId",
}

# V3-C is the full header set the SDK signs (user-agent pinned), with STS and with plain AK.
V3C_AK_HEADERS = V3A_HEADERS | {
    "accept": "application/json",
    "user-agent": "test-agent",
    "x-acs-credentials-provider": "static_ak",
}
V3C_STS_HEADERS = V3C_AK_HEADERS | {
    "x-acs-credentials-provider": "static_sts",
    "x-acs-security-token": "CAIS+test/token==",
    "x-acs-accesskey-id": "LTAI5tTestKeyId",
}


@dataclass(frozen=True)
class Acs3Vector:
    name: str
    query: dict[str, str]
    headers: dict[str, str]
    payload_hash: str
    access_key_id: str
    secret: str
    signed_headers: str
    signature: str
    string_to_sign: str | None = None

    @property
    def authorization(self) -> str:
        return (
            f"ACS3-HMAC-SHA256 Credential={self.access_key_id},"
            f"SignedHeaders={self.signed_headers},Signature={self.signature}"
        )


ACS3_VECTORS = [
    Acs3Vector(
        "V3-A-minimal-headers",
        V3_ASSUME_ROLE_QUERY,
        V3A_HEADERS,
        SPEC_EMPTY_PAYLOAD_HASH,
        "LTAI5tTestKeyId",
        "s3cr3t",
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
        "c7b00bd8b96607a2303ae509dd8c6a2eb812eb7f1f2617d4c0dacbfefce9985a",
        "ACS3-HMAC-SHA256\n8cd540be7a08e9c7b58d91457f97b9a582015ce1b81aa27ce2e40e7e6c671640",
    ),
    Acs3Vector(
        "V3-B-form-body-sts",
        V3B_QUERY,
        V3B_HEADERS,
        V3B_PAYLOAD_HASH,
        "STS.NTestId",
        "stsSecret",
        "content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;"
        "x-acs-security-token;x-acs-signature-nonce;x-acs-version",
        "5648df29965448e147f8da7497cbf09e9d15f5112ee0995af5ca6bf9d0e2637a",
        "ACS3-HMAC-SHA256\nfb534eb680926878dd5adc754ca883be3884a59c5a9cbe5683342764902a0756",
    ),
    Acs3Vector(
        "V3-C-sdk-capture-sts",
        V3_ASSUME_ROLE_QUERY,
        V3C_STS_HEADERS,
        SPEC_EMPTY_PAYLOAD_HASH,
        "LTAI5tTestKeyId",
        "s3cr3t",
        "accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;"
        "x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;"
        "x-acs-version",
        "1cc3eaf27ab54cef043a6925266f52a1f39f537de0e023288b89027c8e3493c7",
        "ACS3-HMAC-SHA256\nfa569c66dbea916eb0d2b4fa93084266aad7583dc3cfae5780f00cb56091f2ba",
    ),
    Acs3Vector(
        "V3-C-sdk-capture-ak",
        V3_ASSUME_ROLE_QUERY,
        V3C_AK_HEADERS,
        SPEC_EMPTY_PAYLOAD_HASH,
        "LTAI5tTestKeyId",
        "s3cr3t",
        "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;"
        "x-acs-date;x-acs-signature-nonce;x-acs-version",
        "d498b3449a973e5e4934ac630284d6b2640433ef611fc0334eacbce213557d78",
    ),
]

ACS3_VECTORS_WITH_STRING_TO_SIGN = [vector for vector in ACS3_VECTORS if vector.string_to_sign]


def acs3_ids(vector: Acs3Vector) -> str:
    return vector.name


def acs3_canonical_request_of(vector: Acs3Vector) -> str:
    return acs3_canonical_request(
        "POST", "/", vector.query, vector.headers, vector.headers, vector.payload_hash
    )


def test_empty_payload_hash_is_sha256_of_nothing() -> None:
    assert hash_payload(b"") == EMPTY_PAYLOAD_HASH == SPEC_EMPTY_PAYLOAD_HASH


def test_v3a_canonical_request() -> None:
    assert acs3_canonical_request_of(ACS3_VECTORS[0]) == V3A_CANONICAL_REQUEST


def test_v3b_payload_hash_is_sha256_of_the_exact_form_body() -> None:
    assert hash_payload(V3B_BODY) == V3B_PAYLOAD_HASH


def test_v3b_canonical_query_encodes_space_star_slash_and_utf8_but_not_tilde() -> None:
    assert acs3_canonical_query(V3B_QUERY) == "Note=a%20b%2Ac~d%2F%C3%A9"


def test_acs3_canonical_query_encodes_names_as_the_doc_says() -> None:
    """The doc encodes names too; tea-openapi 0.4.6 does not (spec 2.3: moot for ASCII names)."""
    assert acs3_canonical_query({"a b": "c", "Z": ""}) == "Z=&a%20b=c"


def test_acs3_canonical_query_is_empty_without_parameters() -> None:
    assert acs3_canonical_query({}) == ""


@pytest.mark.parametrize("vector", ACS3_VECTORS, ids=acs3_ids)
def test_acs3_signed_headers_match_vector(vector: Acs3Vector) -> None:
    _, signed_headers = acs3_canonical_headers(vector.headers, vector.headers)
    assert signed_headers == vector.signed_headers


@pytest.mark.parametrize("vector", ACS3_VECTORS_WITH_STRING_TO_SIGN, ids=acs3_ids)
def test_acs3_string_to_sign_matches_vector(vector: Acs3Vector) -> None:
    assert acs3_string_to_sign(acs3_canonical_request_of(vector)) == vector.string_to_sign


@pytest.mark.parametrize("vector", ACS3_VECTORS, ids=acs3_ids)
def test_acs3_signature_matches_vector(vector: Acs3Vector) -> None:
    string_to_sign = acs3_string_to_sign(acs3_canonical_request_of(vector))
    assert acs3_signature(string_to_sign, vector.secret) == vector.signature


@pytest.mark.parametrize("vector", ACS3_VECTORS, ids=acs3_ids)
def test_sign_acs3_gives_the_vector_authorization_signing_every_header(
    vector: Acs3Vector,
) -> None:
    authorization = sign_acs3(
        method="POST",
        path="/",
        query=vector.query,
        headers=vector.headers,
        payload_hash=vector.payload_hash,
        access_key_id=vector.access_key_id,
        access_key_secret=vector.secret,
    )
    assert authorization == vector.authorization


def test_sign_acs3_never_signs_the_authorization_header() -> None:
    vector = ACS3_VECTORS[0]
    authorization = sign_acs3(
        method="POST",
        path="/",
        query=vector.query,
        headers=vector.headers | {"Authorization": "ACS3-HMAC-SHA256 stale"},
        payload_hash=vector.payload_hash,
        access_key_id=vector.access_key_id,
        access_key_secret=vector.secret,
    )
    assert authorization == vector.authorization


def test_sign_acs3_signs_only_the_chosen_subset() -> None:
    """V3-A's headers are a subset of V3-C's: signing that subset of V3-C gives V3-A."""
    v3a = ACS3_VECTORS[0]
    authorization = sign_acs3(
        method="POST",
        path="/",
        query=v3a.query,
        headers=V3C_STS_HEADERS,
        payload_hash=v3a.payload_hash,
        access_key_id=v3a.access_key_id,
        access_key_secret=v3a.secret,
        signed_headers=[name.upper() for name in V3A_HEADERS],
    )
    assert authorization == v3a.authorization


def test_acs3_canonical_headers_join_repeated_headers_with_sorted_values() -> None:
    headers = [("X-Acs-B", " 2 "), ("x-acs-a", "z"), ("x-acs-b", "1")]
    block, signed = acs3_canonical_headers(headers, ["x-acs-b", "X-ACS-A"])
    assert block == "x-acs-a:z\nx-acs-b:1,2\n"
    assert signed == "x-acs-a;x-acs-b"


def test_acs3_canonical_headers_require_every_signed_header() -> None:
    with pytest.raises(SigningError, match="x-acs-date"):
        acs3_canonical_headers({"host": "example"}, ["host", "x-acs-date"])


# --- ACS3 verification ---------------------------------------------------------------------


def verify_acs3_vector(
    vector: Acs3Vector, secret: str, headers: dict[str, str] | None = None
) -> Verification:
    return verify_acs3(
        method="POST",
        path="/",
        query=vector.query,
        headers=vector.headers if headers is None else headers,
        payload_hash=vector.payload_hash,
        authorization=parse_acs3_authorization(vector.authorization),
        access_key_secret=secret,
    )


@pytest.mark.parametrize("vector", ACS3_VECTORS, ids=acs3_ids)
def test_verify_acs3_accepts_the_vector_signature(vector: Acs3Vector) -> None:
    verification = verify_acs3_vector(vector, vector.secret)
    assert verification.valid
    assert verification.string_to_sign == acs3_string_to_sign(acs3_canonical_request_of(vector))


@pytest.mark.parametrize("vector", ACS3_VECTORS, ids=acs3_ids)
def test_verify_acs3_rejects_a_wrong_secret_and_reports_its_string_to_sign(
    vector: Acs3Vector,
) -> None:
    verification = verify_acs3_vector(vector, vector.secret + "x")
    assert not verification.valid
    assert verification.string_to_sign == acs3_string_to_sign(acs3_canonical_request_of(vector))


def test_verify_acs3_ignores_headers_the_client_did_not_sign() -> None:
    vector = ACS3_VECTORS[0]
    headers = vector.headers | {"user-agent": "added-by-a-proxy", "x-forwarded-for": "10.0.0.1"}
    assert verify_acs3_vector(vector, vector.secret, headers).valid


def test_verify_acs3_rejects_a_changed_signed_header() -> None:
    vector = ACS3_VECTORS[0]
    headers = vector.headers | {"x-acs-action": "GetCallerIdentity"}
    assert not verify_acs3_vector(vector, vector.secret, headers).valid


# --- Authorization header ------------------------------------------------------------------


@pytest.mark.parametrize("vector", ACS3_VECTORS, ids=acs3_ids)
def test_parse_acs3_authorization_reads_the_vector_header(vector: Acs3Vector) -> None:
    parsed = parse_acs3_authorization(vector.authorization)
    assert parsed == Acs3Authorization(
        vector.access_key_id, tuple(vector.signed_headers.split(";")), vector.signature
    )
    assert parsed.header_value() == vector.authorization


def test_parse_acs3_authorization_tolerates_spaces_after_commas() -> None:
    parsed = parse_acs3_authorization(
        "ACS3-HMAC-SHA256 Credential=id, SignedHeaders=host;x-acs-date, Signature=ab"
    )
    assert parsed == Acs3Authorization("id", ("host", "x-acs-date"), "ab")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(
            "ACS3-HMAC-SHA1 Credential=id,SignedHeaders=host,Signature=ab", id="algorithm"
        ),
        pytest.param("Credential=id,SignedHeaders=host,Signature=ab", id="no-algorithm"),
        pytest.param("", id="empty"),
        pytest.param("ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host", id="missing-part"),
        pytest.param("ACS3-HMAC-SHA256 Credential=id,Signature=ab", id="missing-signed-headers"),
        pytest.param(
            "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=ab,Signature=cd",
            id="duplicate-part",
        ),
        pytest.param(
            "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=ab,Region=x",
            id="unknown-part",
        ),
        pytest.param("ACS3-HMAC-SHA256 Credential=id,SignedHeaders,Signature=ab", id="no-equals"),
        pytest.param("ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=ab", id="no-id"),
        pytest.param(
            "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=;,Signature=ab", id="no-headers"
        ),
        pytest.param("ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=", id="no-sig"),
        pytest.param("ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=ab,", id="comma"),
    ],
)
def test_parse_acs3_authorization_rejects_malformed_values(value: str) -> None:
    with pytest.raises(SigningError):
        parse_acs3_authorization(value)


# --- percent encoding (spec 1.2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        pytest.param("a b", "a%20b", id="space-is-%20-not-plus"),
        pytest.param("a*b", "a%2Ab", id="star"),
        pytest.param("a~b", "a~b", id="tilde-kept"),
        pytest.param("a/b", "a%2Fb", id="slash"),
        pytest.param("a+b", "a%2Bb", id="plus"),
        pytest.param(":=&%", "%3A%3D%26%25", id="colon-equals-ampersand-percent"),
        pytest.param("测", "%E6%B5%8B", id="multi-byte-utf8"),
        pytest.param("é", "%C3%A9", id="two-byte-utf8"),
        pytest.param("AZaz09-_.~", "AZaz09-_.~", id="unreserved-kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_percent_encode(value: str, encoded: str) -> None:
    assert percent_encode(value) == encoded


# --- properties ----------------------------------------------------------------------------

modest = settings(max_examples=100, deadline=None)
# A one-character change that left the signature unchanged would mean the canonical form is not
# injective, which shows up at once; fewer examples keep the file fast.
mutations = settings(max_examples=50, deadline=None)

# Any text a request can carry (UTF-8, so no lone surrogates), with the characters the encoders
# treat specially drawn often.
characters = st.one_of(st.sampled_from(" *~/+=&%:;,?#!'()\t"), st.characters(codec="utf-8"))
text = st.text(characters, max_size=24)
non_empty_text = st.text(characters, min_size=1, max_size=24)
http_methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
# Header names are HTTP tokens: no separators, so they survive the SignedHeaders list.
header_names = st.text(
    string.ascii_letters + string.digits + "!#$%&'*+.^_`|~-", min_size=1, max_size=20
).filter(lambda name: name.lower() != "authorization")
headers = st.lists(st.tuples(header_names, text), min_size=1, max_size=6)
access_key_ids = st.builds(
    str.__add__,
    st.sampled_from(["", "STS.", "LTAI"]),
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=24),
)
payload_hashes = st.binary(max_size=64).map(hash_payload)


def rpc_params(
    names: st.SearchStrategy[str] = text, values: st.SearchStrategy[str] = text
) -> st.SearchStrategy[dict[str, str]]:
    """One to six RPC parameters; never ``Signature``, which is not signed."""
    names = names.filter(lambda name: name != "Signature")
    return st.dictionaries(names, values, min_size=1, max_size=6)


def query_params(
    names: st.SearchStrategy[str] = text, values: st.SearchStrategy[str] = text, min_size: int = 0
) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(names, values, min_size=min_size, max_size=6)


def one_character_changed(data: st.DataObject, original: str) -> str:
    """``original`` with exactly one character replaced by a different one."""
    position = data.draw(st.integers(0, len(original) - 1))
    replacement = data.draw(characters.filter(lambda char: char != original[position]))
    return original[:position] + replacement + original[position + 1 :]


def sign_acs3_with(
    query: dict[str, str],
    header_pairs: list[tuple[str, str]],
    payload_hash: str,
    secret: str,
    method: str = "POST",
) -> str:
    return sign_acs3(
        method=method,
        path="/",
        query=query,
        headers=header_pairs,
        payload_hash=payload_hash,
        access_key_id="LTAI5tTestKeyId",
        access_key_secret=secret,
    )


@modest
@given(http_methods, rpc_params(), text, st.data())
def test_rpc_signature_ignores_parameter_order(
    method: str, params: dict[str, str], secret: str, data: st.DataObject
) -> None:
    shuffled = dict(data.draw(st.permutations(list(params.items()))))
    assert sign_rpc(method, shuffled, secret) == sign_rpc(method, params, secret)


@modest
@given(query_params(), headers, payload_hashes, text, st.data())
def test_acs3_signature_ignores_query_and_header_order(
    query: dict[str, str],
    header_pairs: list[tuple[str, str]],
    payload_hash: str,
    secret: str,
    data: st.DataObject,
) -> None:
    shuffled_query = dict(data.draw(st.permutations(list(query.items()))))
    shuffled_headers = data.draw(st.permutations(header_pairs))
    assert sign_acs3_with(shuffled_query, shuffled_headers, payload_hash, secret) == sign_acs3_with(
        query, header_pairs, payload_hash, secret
    )


@mutations
@given(http_methods, rpc_params(values=non_empty_text), text, st.data())
def test_rpc_signature_changes_with_any_character_of_a_value(
    method: str, params: dict[str, str], secret: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(params)))
    changed = params | {name: one_character_changed(data, params[name])}
    assert sign_rpc(method, changed, secret) != sign_rpc(method, params, secret)


@mutations
@given(http_methods, rpc_params(names=non_empty_text), text, st.data())
def test_rpc_signature_changes_with_any_character_of_a_name(
    method: str, params: dict[str, str], secret: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(params)))
    new_name = one_character_changed(data, name)
    assume(new_name != "Signature" and new_name not in params)
    changed = {new_name if key == name else key: value for key, value in params.items()}
    assert sign_rpc(method, changed, secret) != sign_rpc(method, params, secret)


@mutations
@given(http_methods, rpc_params(), non_empty_text, st.data())
def test_rpc_signature_changes_with_any_character_of_the_secret(
    method: str, params: dict[str, str], secret: str, data: st.DataObject
) -> None:
    other_secret = one_character_changed(data, secret)
    assert sign_rpc(method, params, other_secret) != sign_rpc(method, params, secret)


@mutations
@given(st.lists(http_methods, min_size=2, max_size=2, unique=True), rpc_params(), text)
def test_rpc_signature_changes_with_the_method(
    methods: list[str], params: dict[str, str], secret: str
) -> None:
    first, second = methods
    assert sign_rpc(first, params, secret) != sign_rpc(second, params, secret)


@mutations
@given(query_params(values=non_empty_text, min_size=1), headers, payload_hashes, text, st.data())
def test_acs3_signature_changes_with_any_character_of_a_query_value(
    query: dict[str, str],
    header_pairs: list[tuple[str, str]],
    payload_hash: str,
    secret: str,
    data: st.DataObject,
) -> None:
    name = data.draw(st.sampled_from(sorted(query)))
    changed = query | {name: one_character_changed(data, query[name])}
    assert sign_acs3_with(changed, header_pairs, payload_hash, secret) != sign_acs3_with(
        query, header_pairs, payload_hash, secret
    )


@mutations
@given(query_params(names=non_empty_text, min_size=1), headers, payload_hashes, text, st.data())
def test_acs3_signature_changes_with_any_character_of_a_query_name(
    query: dict[str, str],
    header_pairs: list[tuple[str, str]],
    payload_hash: str,
    secret: str,
    data: st.DataObject,
) -> None:
    name = data.draw(st.sampled_from(sorted(query)))
    new_name = one_character_changed(data, name)
    assume(new_name not in query)
    changed = {new_name if key == name else key: value for key, value in query.items()}
    assert sign_acs3_with(changed, header_pairs, payload_hash, secret) != sign_acs3_with(
        query, header_pairs, payload_hash, secret
    )


@mutations
@given(query_params(), headers, payload_hashes, non_empty_text, st.data())
def test_acs3_signature_changes_with_any_character_of_the_secret(
    query: dict[str, str],
    header_pairs: list[tuple[str, str]],
    payload_hash: str,
    secret: str,
    data: st.DataObject,
) -> None:
    other_secret = one_character_changed(data, secret)
    assert sign_acs3_with(query, header_pairs, payload_hash, other_secret) != sign_acs3_with(
        query, header_pairs, payload_hash, secret
    )


@mutations
@given(st.lists(http_methods, min_size=2, max_size=2, unique=True), headers, text)
def test_acs3_signature_changes_with_the_method(
    methods: list[str], header_pairs: list[tuple[str, str]], secret: str
) -> None:
    first, second = methods
    assert sign_acs3_with({}, header_pairs, EMPTY_PAYLOAD_HASH, secret, first) != sign_acs3_with(
        {}, header_pairs, EMPTY_PAYLOAD_HASH, secret, second
    )


recasings = st.sampled_from([str.lower, str.upper, str.title, str.swapcase])
http_whitespace = st.text(" \t", max_size=3)


@modest
@given(headers, st.data())
def test_acs3_canonical_headers_ignore_name_case_and_surrounding_whitespace(
    header_pairs: list[tuple[str, str]], data: st.DataObject
) -> None:
    sent = [
        (
            data.draw(recasings)(name),
            data.draw(http_whitespace) + value + data.draw(http_whitespace),
        )
        for name, value in header_pairs
    ]
    signed_as_sent = [data.draw(recasings)(name) for name, _ in header_pairs]
    lowercase_names = [name.lower() for name, _ in header_pairs]
    stripped = [(name.lower(), value.strip()) for name, value in header_pairs]
    assert acs3_canonical_headers(sent, signed_as_sent) == acs3_canonical_headers(
        stripped, lowercase_names
    )
    assert sign_acs3_with({}, sent, EMPTY_PAYLOAD_HASH, "k") == sign_acs3_with(
        {}, stripped, EMPTY_PAYLOAD_HASH, "k"
    )


@modest
@given(http_methods, rpc_params(), text)
def test_verify_rpc_accepts_what_sign_rpc_signs(
    method: str, params: dict[str, str], secret: str
) -> None:
    signature = sign_rpc(method, params, secret)
    assert verify_rpc(method, params | {"Signature": signature}, secret).valid


@modest
@given(http_methods, query_params(), headers, payload_hashes, access_key_ids, text)
def test_verify_acs3_accepts_what_sign_acs3_signs(
    method: str,
    query: dict[str, str],
    header_pairs: list[tuple[str, str]],
    payload_hash: str,
    access_key_id: str,
    secret: str,
) -> None:
    authorization = sign_acs3(
        method=method,
        path="/",
        query=query,
        headers=header_pairs,
        payload_hash=payload_hash,
        access_key_id=access_key_id,
        access_key_secret=secret,
    )
    verification = verify_acs3(
        method=method,
        path="/",
        query=query,
        headers=header_pairs,
        payload_hash=payload_hash,
        authorization=parse_acs3_authorization(authorization),
        access_key_secret=secret,
    )
    assert verification.valid


@modest
@given(
    access_key_ids,
    st.lists(header_names, min_size=1, max_size=8).map(tuple),
    st.text("0123456789abcdef", min_size=64, max_size=64),
)
def test_parse_acs3_authorization_round_trips_header_value(
    access_key_id: str, signed_headers: tuple[str, ...], signature: str
) -> None:
    authorization = Acs3Authorization(access_key_id, signed_headers, signature)
    assert parse_acs3_authorization(authorization.header_value()) == authorization
