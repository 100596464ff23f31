"""What the scanner benchmark plants: fake credentials shaped like real ones, the contexts they
leak in (one snippet template per context), and look-alike decoys that must not be reported.

Templates mark where values go with ``@ID@``, ``@SECRET@``, ``@TOKEN@`` (and ``@TOKEN_URL@``,
the token percent-encoded as a URL carries it). A context says where its snippet lands: into
an existing file of the copied standard library with one of its suffixes, or a new file named
like the ones such snippets live in.
"""

from __future__ import annotations

import base64
import random
import string
import urllib.parse
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_HEX = "0123456789abcdef"
BASE64 = ALNUM + "+/"


# --- credentials -------------------------------------------------------------------------------


def random_text(rng: random.Random, length: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def access_key_id(rng: random.Random, *, legacy: bool) -> str:
    """``LTAI`` + 12 (legacy) or 20 letters and digits; current IDs often start ``LTAI5t``."""
    if legacy:
        return "LTAI" + random_text(rng, 12)
    return "LTAI" + (random_text(rng, 20) if rng.random() < 0.5 else "5t" + random_text(rng, 18))


def access_key_secret(rng: random.Random) -> str:
    return random_text(rng, 30)


def sts_access_key_id(rng: random.Random) -> str:
    """``STS.`` + 25 letters and digits, as in every public example (one old doc shows 20)."""
    return "STS." + random_text(rng, 25 if rng.random() < 0.8 else 20)


def sts_secret(rng: random.Random) -> str:
    return random_text(rng, 44)


def security_token(rng: random.Random) -> str:
    """Base64 of ``{1: 2, 2: <230-290 byte payload>, 3: <128 bytes>}`` (a protobuf, as decoded
    public tokens are): it starts ``CAIS`` and is about 500 characters long."""
    payload = rng.randbytes(rng.randint(230, 290))
    signature = rng.randbytes(128)
    message = b"\x08\x02\x12" + _varint(len(payload)) + payload + b"\x1a" + _varint(128) + signature
    return base64.b64encode(message).decode()


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


# --- contexts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Where a credential leaks: snippet templates (one is picked at random), the suffixes of
    existing files it may be inserted into, and names of new files it may be written to."""

    name: str
    templates: tuple[str, ...]
    existing: tuple[str, ...] = ()
    new: tuple[str, ...] = ()


JAVA_CLASS = """package com.example.storage;

import com.aliyun.teaopenapi.models.Config;

public class StorageClient {
    public static Client create() throws Exception {
        Config config = new Config();
%s
        config.setEndpoint("ecs.cn-hangzhou.aliyuncs.com");
        return new Client(config);
    }
}
"""

NOTEBOOK = """{
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": ["# Upload the daily export to OSS\\n"]
  },
  {
   "cell_type": "code",
   "execution_count": 3,
   "metadata": {},
   "outputs": [],
   "source": [
%s
    "bucket = oss2.Bucket(auth, 'https://oss-cn-hangzhou.aliyuncs.com', 'exports')\\n",
    "bucket.put_object_from_file('daily.csv', 'daily.csv')"
   ]
  }
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"""

PAIR_CONTEXTS = (
    Context(
        "python-kwargs",
        (
            'client = AcsClient(access_key_id="@ID@", access_key_secret="@SECRET@", '
            'region_id="cn-hangzhou")',
            "config = open_api_models.Config(\n    access_key_id='@ID@',\n"
            "    access_key_secret='@SECRET@',\n    endpoint='ecs.cn-hangzhou.aliyuncs.com',\n)",
            "credential = CredentialClient(Config(type='access_key', access_key_id='@ID@',\n"
            "                                     access_key_secret='@SECRET@'))",
        ),
        existing=(".py",),
    ),
    Context(
        "python-positional",
        (
            'client = AcsClient("@ID@", "@SECRET@", "cn-hangzhou")',
            "auth = oss2.Auth('@ID@', '@SECRET@')",
            "self.credentials = AccessKeyCredential(\n    '@ID@',\n    '@SECRET@'\n)",
        ),
        existing=(".py",),
    ),
    Context(
        "python-assignment",
        (
            'ACCESS_KEY_ID = "@ID@"\nACCESS_KEY_SECRET = "@SECRET@"',
            "ak = '@ID@'\nsk = '@SECRET@'",
            "os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'] = '@ID@'\n"
            "os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = '@SECRET@'",
        ),
        existing=(".py",),
    ),
    Context(
        "java",
        (
            JAVA_CLASS % '        config.setAccessKeyId("@ID@");\n'
            '        config.setAccessKeySecret("@SECRET@");',
            JAVA_CLASS
            % '        DefaultProfile profile = DefaultProfile.getProfile("cn-hangzhou", "@ID@", '
            '"@SECRET@");',
            JAVA_CLASS % '        OSS oss = new OSSClientBuilder().build(endpoint, "@ID@", '
            '"@SECRET@");',
        ),
        new=("StorageClient.java", "OssUploader.java"),
    ),
    Context(
        "go",
        (
            "package main\n\nfunc client() (*ecs.Client, error) {\n"
            '\tcred := credentials.NewAccessKeyCredential("@ID@", "@SECRET@")\n'
            '\treturn ecs.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(), cred)\n}\n',
            "package storage\n\nvar config = &openapi.Config{\n"
            '\tAccessKeyId:     tea.String("@ID@"),\n'
            '\tAccessKeySecret: tea.String("@SECRET@"),\n'
            '\tEndpoint:        tea.String("ecs.cn-hangzhou.aliyuncs.com"),\n}\n',
            "package main\n\nfunc main() {\n"
            '\tclient, err := oss.New("oss-cn-hangzhou.aliyuncs.com", "@ID@", "@SECRET@")\n'
            "\tif err != nil {\n\t\tpanic(err)\n\t}\n\t_ = client\n}\n",
        ),
        new=("client.go", "upload.go"),
    ),
    Context(
        "javascript",
        (
            "const OSS = require('ali-oss');\n\nconst client = new OSS({\n"
            "  region: 'oss-cn-hangzhou',\n  accessKeyId: '@ID@',\n"
            "  accessKeySecret: '@SECRET@',\n  bucket: 'assets',\n});\n",
            'const config = {accessKeyId:"@ID@",accessKeySecret:"@SECRET@",'
            'endpoint:"ecs.aliyuncs.com"};\n',
        ),
        new=("upload.js", "config.js", "oss.mjs"),
    ),
    Context(
        "typescript",
        (
            "import * as $OpenApi from '@alicloud/openapi-client';\n\n"
            "export const config = new $OpenApi.Config({\n"
            '  accessKeyId: "@ID@",\n  accessKeySecret: "@SECRET@",\n});\n',
            "const credentials: Credentials = { accessKeyId: '@ID@', "
            "accessKeySecret: '@SECRET@' };\n",
        ),
        new=("client.ts", "deploy.ts"),
    ),
    Context(
        "php",
        (
            "<?php\n$config = [\n    'accessKeyId' => '@ID@',\n"
            "    'accessKeySecret' => '@SECRET@',\n];\n",
            "<?php\nAlibabaCloud::accessKeyClient('@ID@', '@SECRET@')\n"
            "    ->regionId('cn-hangzhou')\n    ->asDefaultClient();\n",
        ),
        new=("config.php", "bootstrap.php"),
    ),
    Context(
        "ruby",
        (
            "client = Aliyun::OSS::Client.new(\n"
            "  endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',\n"
            "  access_key_id: '@ID@',\n  access_key_secret: '@SECRET@'\n)\n",
            'ENV["ALIBABA_CLOUD_ACCESS_KEY_ID"] ||= "@ID@"\n'
            'ENV["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] ||= "@SECRET@"\n',
        ),
        new=("storage.rb", "Rakefile"),
    ),
    Context(
        "csharp",
        (
            "IClientProfile profile = DefaultProfile.GetProfile(\n"
            '    "cn-hangzhou", "@ID@", "@SECRET@");\n',
            "var config = new AlibabaCloud.OpenApiClient.Models.Config\n{\n"
            '    AccessKeyId = "@ID@",\n    AccessKeySecret = "@SECRET@",\n};\n',
        ),
        new=("Program.cs", "StorageService.cs"),
    ),
    Context(
        "rust",
        (
            "fn credentials() -> (String, String) {\n"
            '    let access_key_id = String::from("@ID@");\n'
            '    let access_key_secret = String::from("@SECRET@");\n'
            "    (access_key_id, access_key_secret)\n}\n",
        ),
        new=("main.rs", "credentials.rs"),
    ),
    Context(
        "c",
        ('#define ACCESS_KEY_ID "@ID@"\n#define ACCESS_KEY_SECRET "@SECRET@"',),
        existing=(".c", ".h"),
        new=("oss_config.h",),
    ),
    Context(
        "shell",
        (
            "export ALIBABA_CLOUD_ACCESS_KEY_ID=@ID@\n"
            "export ALIBABA_CLOUD_ACCESS_KEY_SECRET=@SECRET@",
            "aliyun configure set --profile default --mode AK --region cn-hangzhou "
            "--access-key-id @ID@ --access-key-secret @SECRET@",
            "ossutil64 config -e oss-cn-hangzhou.aliyuncs.com -i @ID@ -k @SECRET@",
        ),
        existing=(".sh",),
        new=("deploy.sh", "setup_env.sh"),
    ),
    Context(
        "yaml",
        (
            "alibaba:\n  access-key-id: @ID@\n  access-key-secret: @SECRET@\n  region: cn-hangzhou",
            "spring:\n  cloud:\n    alicloud:\n      access-key: @ID@\n      secret-key: @SECRET@",
            'oss:\n  accessKeyId: "@ID@"\n  accessKeySecret: "@SECRET@"',
        ),
        new=("application.yml", "config.yaml", "settings.yaml"),
    ),
    Context(
        "json",
        (
            '{\n  "current": "default",\n  "profiles": [\n    {\n      "name": "default",\n'
            '      "mode": "AK",\n      "access_key_id": "@ID@",\n'
            '      "access_key_secret": "@SECRET@",\n'
            '      "region_id": "cn-hangzhou"\n    }\n  ]\n}\n',
            '{"accessKeyId": "@ID@", "accessKeySecret": "@SECRET@", "bucket": "backup"}\n',
        ),
        existing=(".json",),
        new=("config.json", "credentials.json"),
    ),
    Context(
        "json-escaped",
        (
            '{"name": "uploader", "env": "{\\"AccessKeyId\\":\\"@ID@\\",'
            '\\"AccessKeySecret\\":\\"@SECRET@\\"}"}\n',
            'log.info("{\\"accessKeyId\\": \\"@ID@\\", \\"accessKeySecret\\": \\"@SECRET@\\"}")',
        ),
        existing=(".py",),
        new=("task.json", "events.jsonl"),
    ),
    Context(
        "ini",
        (
            "[default]\naccess_key_id = @ID@\naccess_key_secret = @SECRET@\nregion = cn-hangzhou",
            "[Credentials]\nlanguage=EN\nendpoint=oss-cn-hangzhou.aliyuncs.com\n"
            "accessKeyID=@ID@\naccessKeySecret=@SECRET@",
        ),
        existing=(".cfg", ".ini"),
        new=("credentials.ini", ".ossutilconfig", "setup.cfg"),
    ),
    Context(
        "toml",
        (
            '[alibaba]\naccess_key_id = "@ID@"\naccess_key_secret = "@SECRET@"',
            '[tool.uploader]\ncredentials = { id = "@ID@", secret = "@SECRET@" }',
        ),
        existing=(".toml",),
        new=("config.toml", "pyproject.toml"),
    ),
    Context(
        "dotenv",
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID=@ID@\nALIBABA_CLOUD_ACCESS_KEY_SECRET=@SECRET@",
            'OSS_ACCESS_KEY_ID="@ID@"\nOSS_ACCESS_KEY_SECRET="@SECRET@"',
            "ALIYUN_AK=@ID@\nALIYUN_SK=@SECRET@",
        ),
        new=(".env", ".env.production", "local.env"),
    ),
    Context(
        "dockerfile",
        (
            "FROM python:3.11-slim\nENV ALIBABA_CLOUD_ACCESS_KEY_ID=@ID@ \\\n"
            "    ALIBABA_CLOUD_ACCESS_KEY_SECRET=@SECRET@\nCOPY . /app\n",
            "FROM alpine:3.19\nARG ACCESS_KEY_ID=@ID@\nARG ACCESS_KEY_SECRET=@SECRET@\n"
            "RUN ossutil config -i $ACCESS_KEY_ID -k $ACCESS_KEY_SECRET\n",
            "FROM golang:1.22\nENV ALICLOUD_ACCESS_KEY @ID@\nENV ALICLOUD_SECRET_KEY @SECRET@\n",
        ),
        new=("Dockerfile", "Dockerfile.prod"),
    ),
    Context(
        "url",
        (
            "# https://ecs.aliyuncs.com/?Action=DescribeRegions&AccessKeyId=@ID@"
            "&AccessKeySecret=@SECRET@&Format=JSON",
            'BACKUP_URL = "oss://@ID@:@SECRET@@backups.oss-cn-hangzhou.aliyuncs.com/daily"',
            "requests.get(f'{base}/sync?access_key_id=@ID@&access_key_secret=@SECRET@&full=1')",
        ),
        existing=(".py", ".txt"),
    ),
    Context(
        "comment",
        (
            "# old key, remove before release: @ID@ / @SECRET@",
            "    # ak @ID@\n    # sk @SECRET@",
            "/* test account: id @ID@, secret @SECRET@ */",
        ),
        existing=(".py", ".c"),
    ),
    Context(
        "markdown",
        (
            "Configure the CLI:\n\n```sh\naliyun configure --mode AK\n"
            "Access Key Id []: @ID@\nAccess Key Secret []: @SECRET@\n```\n",
            "| setting | value |\n|---|---|\n| AccessKey ID | `@ID@` |\n"
            "| AccessKey secret | `@SECRET@` |\n",
        ),
        existing=(".rst",),
        new=("README.md", "DEPLOY.md"),
    ),
    Context(
        "notebook",
        (
            NOTEBOOK
            % '    "import oss2\\n",\n    "auth = oss2.Auth(\\"@ID@\\", \\"@SECRET@\\")\\n",',
            NOTEBOOK
            % "    \"access_key_id = '@ID@'\\n\",\n    \"access_key_secret = '@SECRET@'\\n\",\n"
            '    "auth = oss2.Auth(access_key_id, access_key_secret)\\n",',
        ),
        new=("analysis.ipynb", "Untitled.ipynb"),
    ),
    Context(
        "xml",
        (
            '<bean id="ossClient" class="com.aliyun.oss.OSSClient">\n'
            '    <property name="accessKeyId" value="@ID@"/>\n'
            '    <property name="accessKeySecret" value="@SECRET@"/>\n</bean>',
            "<credentials>\n  <AccessKeyId>@ID@</AccessKeyId>\n"
            "  <AccessKeySecret>@SECRET@</AccessKeySecret>\n</credentials>",
        ),
        existing=(".xml",),
        new=("applicationContext.xml", "settings.xml"),
    ),
    Context(
        "terraform",
        (
            'provider "alicloud" {\n  access_key = "@ID@"\n  secret_key = "@SECRET@"\n'
            '  region     = "cn-hangzhou"\n}\n',
            'variable "access_key" {\n  default = "@ID@"\n}\n\nvariable "secret_key" {\n'
            '  default = "@SECRET@"\n}\n',
        ),
        new=("main.tf", "provider.tf"),
    ),
    Context(
        "kubernetes",
        (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alibaba-credentials\n"
            "type: Opaque\nstringData:\n  access-key-id: @ID@\n  access-key-secret: @SECRET@\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: uploader\ndata:\n"
            '  ACCESS_KEY_ID: "@ID@"\n  ACCESS_KEY_SECRET: "@SECRET@"\n',
        ),
        new=("secret.yaml", "deployment.yaml"),
    ),
    Context(
        "ci",
        (
            "name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n"
            "      ALIBABA_CLOUD_ACCESS_KEY_ID: @ID@\n"
            "      ALIBABA_CLOUD_ACCESS_KEY_SECRET: @SECRET@\n"
            "    steps:\n      - run: ./deploy.sh\n",
            'variables:\n  ALICLOUD_ACCESS_KEY: "@ID@"\n  ALICLOUD_SECRET_KEY: "@SECRET@"\n'
            "deploy:\n  script:\n    - terraform apply -auto-approve\n",
            'pipeline {\n  environment {\n    ALIYUN_AK = "@ID@"\n    ALIYUN_SK = "@SECRET@"\n'
            "  }\n}\n",
        ),
        new=(".github/workflows/deploy.yml", ".gitlab-ci.yml", "Jenkinsfile"),
    ),
)

STS_CONTEXTS = (
    Context(
        "sts-json",
        (
            '{\n  "RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",\n  "Credentials": {\n'
            '    "SecurityToken": "@TOKEN@",\n    "AccessKeyId": "@ID@",\n'
            '    "AccessKeySecret": "@SECRET@",\n    "Expiration": "2024-05-11T09:43:50Z"\n'
            "  }\n}\n",
        ),
        new=("assume_role_response.json", "sts.json"),
    ),
    Context(
        "sts-python",
        (
            "cred = StsTokenCredential('@ID@', '@SECRET@',\n                          '@TOKEN@')",
            'config = Config(type="sts", access_key_id="@ID@",\n'
            '                access_key_secret="@SECRET@",\n'
            '                security_token="@TOKEN@")',
        ),
        existing=(".py",),
    ),
    Context(
        "sts-shell",
        (
            "export ALIBABA_CLOUD_ACCESS_KEY_ID=@ID@\n"
            "export ALIBABA_CLOUD_ACCESS_KEY_SECRET=@SECRET@\n"
            "export ALIBABA_CLOUD_SECURITY_TOKEN=@TOKEN@",
        ),
        new=("sts_env.sh", ".envrc"),
    ),
    Context(
        "sts-java",
        (
            JAVA_CLASS % '        config.setAccessKeyId("@ID@");\n'
            '        config.setAccessKeySecret("@SECRET@");\n'
            '        config.setSecurityToken("@TOKEN@");',
        ),
        new=("TempClient.java",),
    ),
    Context(
        "sts-yaml",
        (
            "credentials:\n  type: sts\n  access_key_id: @ID@\n  access_key_secret: @SECRET@\n"
            "  security_token: @TOKEN@\n",
        ),
        new=("sts.yaml",),
    ),
    Context(
        "sts-notebook",
        (
            NOTEBOOK % '    "auth = oss2.StsAuth(\\"@ID@\\",\\n",\n'
            '    "                    \\"@SECRET@\\",\\n",\n'
            '    "                    \\"@TOKEN@\\")\\n",',
        ),
        new=("sts.ipynb",),
    ),
    Context(
        "sts-url",
        (
            "https://exports.oss-cn-hangzhou.aliyuncs.com/daily.csv?OSSAccessKeyId=@ID@"
            "&Expires=1715420630&Signature=oR2mTdfCo%2BH0zyfaibSBmwUOC0Q%3D"
            "&security-token=@TOKEN_URL@",
        ),
        existing=(".txt",),
        new=("shared_links.txt",),
    ),
)
"""STS credentials; ``sts-url`` carries an ID and a token (a signed URL has no secret)."""


def fill(template: str, key: str, secret: str | None, token: str | None) -> str:
    text = template.replace("@ID@", key).replace("@SECRET@", secret or "")
    if token is not None:
        text = text.replace("@TOKEN_URL@", urllib.parse.quote(token, safe=""))
        text = text.replace("@TOKEN@", token)
    return text
