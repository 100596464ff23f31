"""The engine, ``akless.scan.scan(data, path)``: what it finds, where credentials leak in
practice, and what it must not report.

Read top to bottom, this is the engine's specification by example:

1. an AccessKey pair in every context the issue names, with both ID lengths (the legacy
   16-character ``LTAI`` + 12 form and today's 24-character ``LTAI`` + 20);
2. how a secret finds its ID: by proximity, and by the name it is assigned to;
3. STS credentials: an ``STS.`` ID, its secret, its ``CAIS...`` security token;
4. ``akless:ignore``;
5. placeholders and look-alikes that are never reported;
6. findings themselves: order, positions, fingerprints, and cost on large inputs.

Every credential here is drawn at random when the test runs, so that no realistic key is ever
written in the repository (this scanner and others would rightly report it). A draw that
happens to look like a placeholder to the filters (about one in ten thousand) is drawn again.
"""

from __future__ import annotations

import base64
import os
import secrets
import string
import time
import urllib.parse

import pytest

from akless.scan import rules, scan
from akless.scan._pairing import assign
from akless.scan.filters import plausible_random
from akless.scan.findings import Finding, fingerprint

_ALNUM = string.ascii_letters + string.digits


def _random(length: int) -> str:
    while True:
        value = "".join(secrets.choice(_ALNUM) for _ in range(length))
        if plausible_random(value.encode()):
            return value


def new_key_id(length: int = 24) -> str:
    """An AccessKey ID: ``LTAI`` and 12 (legacy) to 20 letters and digits."""
    return "LTAI" + _random(length - 4)


def new_secret(length: int = 30) -> str:
    return _random(length)


def new_sts_id(length: int = 29) -> str:
    """An STS AccessKey ID: ``STS.`` and, in every public example, 25 letters and digits."""
    return "STS." + _random(length - 4)


def new_token() -> str:
    """A security token shaped like a real one: base64 of a small protobuf message (field 1:
    2, field 2: a 240-byte payload, field 3: a 128-byte signature), which starts ``CAIS``."""
    message = b"\x08\x02\x12\xf0\x01" + os.urandom(240) + b"\x1a\x80\x01" + os.urandom(128)
    return base64.b64encode(message).decode()


def pairs_in(text: str) -> set[tuple[str | None, str | None]]:
    """The (ID, secret) of every AccessKey pair found in ``text``."""
    return {
        (finding.access_key_id, finding.secret)
        for finding in scan(text.encode(), "x")
        if finding.rule == rules.ACCESS_KEY_PAIR.id
    }


def only(text: str) -> Finding:
    findings = scan(text.encode(), "x")
    assert len(findings) == 1, findings
    return findings[0]


# --- 1. every context, both ID lengths ---------------------------------------------------------

CONTEXTS = {
    # source code: SDK constructors, plain function arguments, keyword arguments, setters
    "python SDK constructor": 'client = AcsClient("{id}", "{secret}", "cn-shanghai")',
    "python plain function arguments": "upload(bucket, '{id}', '{secret}', retries=3)",
    "python keyword arguments": (
        "config = Config(\n    access_key_id='{id}',\n    access_key_secret='{secret}',\n)"
    ),
    "python variables with unrelated names": 'ak = "{id}"\nsk = "{secret}"',
    "python os.environ": (
        "os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'] = '{id}'\n"
        "os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = '{secret}'"
    ),
    "java setters": 'config.setAccessKeyId("{id}");\nconfig.setAccessKeySecret("{secret}");',
    "java SDK constructor": (
        'OSS client = new OSSClientBuilder().build(endpoint, "{id}", "{secret}");'
    ),
    "go struct literal": (
        'cfg := &openapi.Config{{\n\tAccessKeyId: tea.String("{id}"),\n'
        '\tAccessKeySecret: tea.String("{secret}"),\n}}'
    ),
    "go function arguments": 'client, err := oss.New(endpoint, "{id}", "{secret}")',
    "javascript object": "const store = new OSS({{ accessKeyId: '{id}',\n"
    "  accessKeySecret: '{secret}' }});",
    "typescript": 'export const creds: Creds = {{ accessKeyId: "{id}", '
    'accessKeySecret: "{secret}" }};',
    "php array": "$config = ['accessKeyId' => '{id}', 'accessKeySecret' => '{secret}'];",
    "ruby keyword arguments": "Aliyun::OSS::Client.new(access_key_id: '{id}', "
    "access_key_secret: '{secret}')",
    "csharp": 'var profile = DefaultProfile.GetProfile("cn-beijing", "{id}", "{secret}");',
    "rust": 'let credentials = Credentials::new("{id}".into(), "{secret}".into());',
    "c macros": '#define OSS_ACCESS_KEY_ID "{id}"\n#define OSS_ACCESS_KEY_SECRET "{secret}"',
    # configuration files
    "yaml": "aliyun:\n  access-key-id: {id}\n  access-key-secret: {secret}\n  region: cn-beijing",
    "json": '{{"AccessKeyId": "{id}", "AccessKeySecret": "{secret}", "Region": "cn-beijing"}}',
    "json escaped inside a json string": (
        '{{"payload": "{{\\"AccessKeyId\\":\\"{id}\\",\\"AccessKeySecret\\":\\"{secret}\\"}}"}}'
    ),
    "json string with newline escapes": '{{"script": "export A={id}\\nexport B={secret}\\n"}}',
    "ini": "[default]\naccess_key_id = {id}\naccess_key_secret = {secret}",
    "toml": '[aliyun]\naccess_key_id = "{id}"\naccess_key_secret = "{secret}"',
    "dotenv": "ALIBABA_CLOUD_ACCESS_KEY_ID={id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}",
    "shell exports": (
        "export ALIBABA_CLOUD_ACCESS_KEY_ID={id}\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}"
    ),
    "shell command line": "aliyun configure set --access-key-id {id} --access-key-secret {secret}",
    "dockerfile ENV": "FROM alpine:3.19\nENV ALIBABA_CLOUD_ACCESS_KEY_ID={id} \\\n"
    "    ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}",
    "dockerfile ARG": "FROM alpine:3.19\nARG OSS_AK={id}\nARG OSS_SK={secret}\nRUN ./sync.sh",
    "xml": "<AccessKeyId>{id}</AccessKeyId>\n<AccessKeySecret>{secret}</AccessKeySecret>",
    "terraform": 'provider "alicloud" {{\n  access_key = "{id}"\n  secret_key = "{secret}"\n}}',
    # where people paste keys
    "url query string": "https://example.com/sync?AccessKeyId={id}&AccessKeySecret={secret}&v=2",
    "url user and password": "oss://{id}:{secret}@backups.oss-cn-beijing.aliyuncs.com/nightly",
    "hash comment": "# the old key, delete me: {id} {secret}",
    "block comment": "/* staging account\n * id {id}\n * secret {secret}\n */",
    "line comments": "// ak: {id}\n// sk: {secret}",
    "markdown table": "| AccessKey ID | `{id}` |\n| AccessKey secret | `{secret}` |",
    "notebook cell": (
        '{{"cell_type": "code", "source": [\n'
        '  "import oss2\\n",\n'
        '  "auth = oss2.Auth(\\"{id}\\", \\"{secret}\\")\\n"\n'
        "]}}"
    ),
}  # fmt: skip


@pytest.mark.parametrize("id_length", [16, 24])
@pytest.mark.parametrize("context", CONTEXTS)
def test_an_access_key_pair_is_found_in_every_context(context: str, id_length: int) -> None:
    key, secret = new_key_id(id_length), new_secret()
    text = CONTEXTS[context].format(id=key, secret=secret)
    finding = only(text)
    assert finding.rule == rules.ACCESS_KEY_PAIR.id
    assert (finding.access_key_id, finding.secret) == (key, secret)


@pytest.mark.parametrize("id_length", [16, 18, 20, 22, 24])
def test_every_access_key_id_length_from_16_to_24_is_found(id_length: int) -> None:
    key, secret = new_key_id(id_length), new_secret()
    assert pairs_in(f'AcsClient("{key}", "{secret}")') == {(key, secret)}


def test_an_access_key_id_alone_is_a_warning() -> None:
    key = new_key_id()
    finding = only(f"KEY_ID = '{key}'\n")
    assert finding.rule == rules.ACCESS_KEY_ID.id
    assert (finding.access_key_id, finding.secret) == (key, None)
    assert rules.ACCESS_KEY_ID.level == "warning"


# --- 2. how a secret finds its ID ---------------------------------------------------------------


def test_a_secret_a_few_lines_away_is_paired_by_proximity() -> None:
    key, secret = new_key_id(), new_secret()
    filler = "".join(f"option_{number} = {number}\n" for number in range(3))
    assert pairs_in(f'first = "{key}"\n{filler}second = "{secret}"\n') == {(key, secret)}


def test_a_secret_far_from_any_id_and_with_no_name_is_not_reported() -> None:
    key, secret = new_key_id(), new_secret()
    filler = "".join(f"option_{number} = {number}\n" for number in range(40))
    findings = scan(f'first = "{key}"\n{filler}second = "{secret}"\n'.encode(), "x")
    assert [(finding.rule, finding.secret) for finding in findings] == [
        (rules.ACCESS_KEY_ID.id, None)
    ]


def test_a_secret_before_its_id_is_paired_too() -> None:
    key, secret = new_key_id(), new_secret()
    assert pairs_in(f"secret: {secret}\nid: {key}\n") == {(key, secret)}


def test_among_several_random_values_near_an_id_the_one_named_secret_is_its_secret() -> None:
    key, secret, checksum = new_key_id(), new_secret(), new_secret()
    text = f'key_id = "{key}"\nchecksum = "{checksum}"\nkey_secret = "{secret}"\n'
    assert pairs_in(text) == {(key, secret)}


def test_an_unnamed_value_in_the_same_call_as_the_id_beats_a_named_one_on_another_line() -> None:
    key, secret, other = new_key_id(), new_secret(), new_secret()
    text = f'client = AcsClient("{key}", "{secret}")\nACCESS_KEY_SECRET = "{other}"\n'
    findings = scan(text.encode(), "x")
    assert [(finding.access_key_id, finding.secret) for finding in findings] == [
        (key, secret),
        (None, other),  # reported alone: its name says what it is
    ]


def test_pairs_in_a_row_each_get_their_own_secret() -> None:
    keys = [(new_key_id(), new_secret()) for _ in range(5)]
    text = "".join(f'AcsClient("{key}", "{secret}")\n' for key, secret in keys)
    assert pairs_in(text) == set(keys)


def test_a_listing_of_ids_then_secrets_pairs_each_id_with_the_secret_in_its_column() -> None:
    first, second = (new_key_id(), new_secret()), (new_key_id(), new_secret())
    text = f"{first[0]}\t{first[1]}\n{second[0]}\t{second[1]}\n"
    assert pairs_in(text) == {first, second}


@pytest.mark.parametrize(
    "name",
    [
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "access_key_secret",
        "AccessKeySecret",
        "accessKeySecret",
        "secret_access_key",
        "ACCESSKEYSECRET",
        "Access-Key-Secret",
        "aliyun_secret",
    ],
)
def test_a_secret_alone_is_reported_when_its_name_says_it_is_an_access_key_secret(
    name: str,
) -> None:
    secret = new_secret()
    finding = only(f'{name} = "{secret}"\n')
    assert finding.rule == rules.ACCESS_KEY_SECRET.id
    assert (finding.access_key_id, finding.secret) == (None, secret)


@pytest.mark.parametrize("name", ["SECRET_KEY", "client_secret", "webhook_secret", "password"])
def test_a_random_value_under_a_generic_secret_name_is_not_an_alibaba_secret(name: str) -> None:
    # Django's SECRET_KEY, OAuth client secrets: random, 30 characters, and not Alibaba's
    assert scan(f"{name} = '{new_secret()}'\n".encode(), "settings.py") == []


def test_least_total_distance_keeps_each_part_with_its_own_credential() -> None:
    # id1 secret1 token1 id2 ...: id2 sits right before token1's successor, but nearest-first
    # would hand id2 the candidate closest to it; the least total cost pairs 0-a and 1-b
    options = {0: [(1.0, "a"), (2.0, "b")], 1: [(0.5, "a"), (9.0, "b")]}
    assert assign(options) == {0: "b", 1: "a"}
    options = {0: [(1.0, "a")], 1: [(0.5, "a"), (9.0, "b")]}
    assert assign(options) == {0: "a", 1: "b"}  # pairing both beats the nearest one


# --- 3. STS credentials -------------------------------------------------------------------------


def test_an_assume_role_response_is_one_sts_credential() -> None:
    key, secret, token = new_sts_id(), new_secret(44), new_token()
    text = (
        '{"Credentials": {\n'
        f'  "SecurityToken": "{token}",\n'
        f'  "AccessKeyId": "{key}",\n'
        f'  "AccessKeySecret": "{secret}",\n'
        '  "Expiration": "2030-01-01T00:00:00Z"\n}}'
    )
    finding = only(text)
    assert finding.rule == rules.STS_CREDENTIAL.id
    assert (finding.access_key_id, finding.secret, finding.security_token) == (key, secret, token)


def test_sts_credentials_in_shell_exports() -> None:
    key, secret, token = new_sts_id(), new_secret(44), new_token()
    text = (
        f"export ALIBABA_CLOUD_ACCESS_KEY_ID={key}\n"
        f"export ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
        f"export ALIBABA_CLOUD_SECURITY_TOKEN={token}\n"
    )
    finding = only(text)
    assert (finding.access_key_id, finding.secret, finding.security_token) == (key, secret, token)


def test_an_sts_id_from_older_documentation_with_20_characters_is_found() -> None:
    key, token = new_sts_id(24), new_token()
    finding = only(f"StsAuth('{key}', token='{token}')")
    assert (finding.rule, finding.access_key_id) == (rules.STS_CREDENTIAL.id, key)


def test_a_signed_url_carries_an_sts_id_and_a_percent_encoded_token() -> None:
    key, token = new_sts_id(), new_token()
    quoted = urllib.parse.quote(token, safe="")
    url = f"https://b.oss-cn-beijing.aliyuncs.com/a.csv?OSSAccessKeyId={key}&Expires=1&"
    url += f"security-token={quoted}"
    finding = only(url)
    assert (finding.access_key_id, finding.secret, finding.security_token) == (key, None, token)


def test_a_token_with_json_escaped_slashes_is_reported_as_the_token_itself() -> None:
    token = new_token()
    finding = only(f'{{"SecurityToken": "{token.replace("/", chr(92) + "/")}"}}')
    assert (finding.rule, finding.security_token) == (rules.STS_TOKEN.id, token)


def test_a_security_token_alone_is_a_warning() -> None:
    finding = only(f"token = '{new_token()}'")
    assert finding.rule == rules.STS_TOKEN.id
    assert rules.STS_TOKEN.level == "warning"


def test_an_sts_id_alone_is_not_reported() -> None:
    # temporary, and useless without its secret or token
    assert scan(f"role session: {new_sts_id()}".encode(), "x") == []


# --- 4. akless:ignore ---------------------------------------------------------------------------


def test_a_line_that_says_akless_ignore_is_not_reported() -> None:
    key, secret = new_key_id(), new_secret()
    assert scan(f'AcsClient("{key}", "{secret}")  # akless:ignore\n'.encode(), "x") == []


def test_ignoring_either_line_of_a_pair_ignores_the_pair() -> None:
    key, secret = new_key_id(), new_secret()
    text = f'ak = "{key}"\nsk = "{secret}"  # akless:ignore\n'
    assert scan(text.encode(), "x") == []


def test_akless_ignore_covers_its_own_line_only() -> None:
    ignored, reported = (new_key_id(), new_secret()), (new_key_id(), new_secret())
    text = (
        f'AcsClient("{ignored[0]}", "{ignored[1]}")  # akless:ignore\n'
        + "\n" * 20
        + f'AcsClient("{reported[0]}", "{reported[1]}")\n'
    )
    assert pairs_in(text) == {reported}


# --- 5. placeholders and look-alikes ------------------------------------------------------------

PLACEHOLDERS = {
    "masked ID and secret": 'access_key_id = "LTAI****"\naccess_key_secret = "****"',
    "masked head of an ID": 'AcsClient("LTAI5t' + "Qw3Z" + '**************", secret)',
    "masked tail": "AccessKeyId: LTAI****" + "Qw3Z",
    "xxxx": "export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI" + "x" * 20
    + "\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + "x" * 30,
    "XXXX after a real-looking head": "access_key_id: LTAI5t" + "X" * 18,
    "angle brackets": "aliyun configure --access-key-id <your-access-key-id> "
    "--access-key-secret <your-access-key-secret>",
    "your-key words": "AcsClient('YOUR_ACCESS_KEY_ID', 'YOUR_ACCESS_KEY_SECRET', 'cn-hangzhou')",
    "a name used as a value": "access_key_secret = yourAccessKeySecretGoesHere123",
    "repeated characters": 'AcsClient("LTAI' + "a" * 20 + '", "' + "b" * 30 + '")',
    "counting characters": 'AcsClient("LTAI' + "123456789012" + '", "' + "0123456789" * 3 + '")',
    "alternating characters": 'AcsClient("LTAI' + "Ab" * 10 + '", "' + "Xy" * 15 + '")',
    "an sts id masked in alibaba's api reference": '"AccessKeyId": "STS.L4aBSCSJVMuKg5U1****"',
    "sts in prose": "call STS.AssumeRole on STS.cn-hangzhou.aliyuncs.com, or STS.GetCallerIdentity",
    "cais in prose": "CAISO day-ahead prices; the CAIS survey; CAISSON foundations",
    "an aws key pair": "aws_access_key_id = AKIA" + "Q" * 4 + "7" * 4 + "ZP3MN2KD1X"
    + "\naws_secret_access_key = " + "wJalr" + "/K7MDENG/bPxRfiCY" + "+" * 2 + "ab1cd2ef3gh4",
}  # fmt: skip


@pytest.mark.parametrize("what", PLACEHOLDERS)
def test_placeholders_are_not_reported(what: str) -> None:
    assert scan(PLACEHOLDERS[what].encode(), "README.md") == []


@pytest.mark.parametrize("value", sorted(rules.KNOWN_EXAMPLES))
def test_values_printed_in_alibaba_documentation_are_not_reported(value: bytes) -> None:
    text = b'client = AcsClient("' + value + b'", secret, "cn-hangzhou")'
    assert scan(text, "README.md") == []


@pytest.mark.parametrize("marker", ["Example", "EXAMPLE", "Sample", "Dummy", "Test"])
def test_ids_and_secrets_that_say_example_are_documentation(marker: str) -> None:
    key = "LTAI" + _random(20 - len(marker)) + marker
    secret = _random(30 - len(marker)) + marker
    assert scan(f"AcsClient('{key}', '{secret}')".encode(), "docs.md") == []


@pytest.mark.parametrize("length", [11, 21, 22])
def test_an_id_of_the_wrong_length_is_not_an_access_key_id(length: int) -> None:
    assert scan(f'accessKeyId: "LTAI{_random(length)}"'.encode(), "x") == []


def test_a_secret_of_the_wrong_length_is_not_paired() -> None:
    key = new_key_id()
    for length in (29, 31):
        finding = only(f'AcsClient("{key}", "{_random(length)}")')
        assert (finding.rule, finding.secret) == (rules.ACCESS_KEY_ID.id, None)


def test_ltai_inside_base64_or_a_go_sum_hash_is_not_an_id() -> None:
    blob = _random(30) + "LTAI" + _random(20) + "+" + _random(40) + "=="
    go_sum = f"github.com/aliyun/alibaba-cloud-sdk-go v1.62.0 h1:{_random(9)}LTAI{_random(30)}="
    assert scan(f'IMAGE = "{blob}"\n{go_sum}\n'.encode(), "x") == []


def test_ltai_at_the_end_of_a_word_is_not_an_id() -> None:
    assert scan(f"DELTAI{_random(20)}".encode(), "x") == []


def test_hex_digests_and_identifiers_under_secret_names_are_not_secrets() -> None:
    digest = "".join(secrets.choice("0123456789abcdef") for _ in range(30))
    text = f'access_key_secret = "{digest}"\naccessKeySecret = listenerChannelStreamTemplate1\n'
    assert scan(text.encode(), "x") == []


# --- 6. findings --------------------------------------------------------------------------------


def test_a_finding_names_its_first_line_and_column_and_hides_the_secret() -> None:
    key, secret = new_key_id(), new_secret()
    finding = only(f'import os\n\n    client = AcsClient("{key}", "{secret}")\n')
    assert (finding.path, finding.line, finding.column) == ("x", 3, 25)
    assert finding.fingerprint == fingerprint(
        rules.ACCESS_KEY_PAIR.id, key.encode(), secret.encode(), None
    )
    assert secret not in repr(finding)
    assert finding.masked_key_id == f"LTAI****{key[-4:]}"


def test_a_pair_whose_secret_comes_first_is_reported_at_the_secret() -> None:
    key, secret = new_key_id(), new_secret()
    finding = only(f"secret: {secret}\nid: {key}\n")
    assert (finding.line, finding.column) == (1, 9)


def test_findings_come_in_order_of_appearance() -> None:
    token, key = new_token(), new_key_id()
    text = f"token = '{token}'\n\n" + "\n" * 20 + f"key = '{key}'\n"
    assert [finding.rule for finding in scan(text.encode(), "x")] == [
        rules.STS_TOKEN.id,
        rules.ACCESS_KEY_ID.id,
    ]


def test_the_same_credential_has_the_same_fingerprint_wherever_it_is() -> None:
    key, secret = new_key_id(), new_secret()
    one = only(f'AcsClient("{key}", "{secret}")')
    other = only(f"ak: {key}\nsk: {secret}\n")
    assert one.fingerprint == other.fingerprint


def test_text_without_any_prefix_or_secret_name_is_not_looked_at() -> None:
    assert scan(b"", "x") == []
    assert scan(b"import os\nprint(os.getcwd())\n" * 1000, "x") == []


def test_thousands_of_keys_in_one_file_cost_linear_time() -> None:
    keys = [(new_key_id(), new_secret()) for _ in range(2000)]
    listing = "".join(f"{key},{secret}\n" for key, secret in keys)
    began = time.perf_counter()
    found = pairs_in(listing)
    assert time.perf_counter() - began < 5
    assert found == set(keys)


def test_a_minified_single_line_with_many_secrets_scans_quickly() -> None:
    line = ";".join(f'a{number}="{new_secret()}"' for number in range(3000))
    began = time.perf_counter()
    scan(f"var s={new_key_id()};{line}".encode(), "app.min.js")
    assert time.perf_counter() - began < 5
