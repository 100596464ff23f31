"""Editing the INI credentials file: what an edit does not touch survives byte for byte, every
result reads back with akless's provider and the official one, writes are atomic and owner-only,
a broken file is never rewritten, and no listing ever shows a secret."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from alibabacloud_credentials.provider import ProfileCredentialsProvider
from alibabacloud_credentials.utils import auth_util
from hypothesis import given, settings
from hypothesis import strategies as st

from akless.errors import ConfigurationError
from akless.profiles_file import (
    KEYS,
    REQUIRED,
    DefaultChange,
    credentials_path,
    list_profiles,
    make_default,
    remove_profile,
    set_profile,
)
from akless.providers._selection import use_profile
from akless.providers.profile import TYPES, ProfileProvider

SECRET = "planted-profile-secret-51f2"
TOKEN = "planted-profile-token-c3d8"
KEY_ID = "LTAI5tExampleKey9876"
ROLE = "acs:ram::123456789012:role/deploy"

SAMPLE = """\
# Alibaba Cloud credentials (hand-written)

[default]
type = access_key            # the laptop key
access_key_id = LTAI5tDefaultKey0001
access_key_secret = planted-profile-secret-51f2

; the CI role
[ci]
type = ram_role_arn
source_profile = default
role_arn = acs:ram::123456789012:role/ci
role_session_name = ci

[ecs]
type = ecs_ram_role
role_name = web
"""


@pytest.fixture(autouse=True)
def _no_selected_profile() -> Iterator[None]:
    use_profile(None)
    yield
    use_profile(None)


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "credentials.ini"
    path.write_text(SAMPLE, encoding="utf-8")
    path.chmod(0o600)
    return path


def access_key(key_id: str = KEY_ID) -> dict[str, str]:
    return {"access_key_id": key_id, "access_key_secret": SECRET}


def sections(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("[")]


# -- preserving what an edit does not touch ------------------------------------------------------


def test_adding_then_removing_a_profile_gives_back_the_same_bytes(ini: Path) -> None:
    created = set_profile("dev", "access_key", access_key(), path=ini)

    text = ini.read_text()
    assert created.action == "created"
    assert text.startswith(SAMPLE)
    assert text[len(SAMPLE) :] == (
        f"\n[dev]\ntype = access_key\naccess_key_id = {KEY_ID}\naccess_key_secret = {SECRET}\n"
    )

    remove_profile("dev", path=ini)

    assert ini.read_bytes() == SAMPLE.encode()


def test_replacing_a_profile_changes_only_its_own_lines(ini: Path) -> None:
    set_profile("ci", "ram_role_arn", {"source_profile": "default", "role_arn": ROLE}, path=ini)

    before, after = SAMPLE.split("[ci]\n")
    kept_tail = after[after.index("\n[ecs]") :]
    assert ini.read_text() == (
        f"{before}[ci]\ntype = ram_role_arn\nsource_profile = default\nrole_arn = {ROLE}\n"
        f"{kept_tail}"
    )


def test_replacing_keeps_comments_inside_the_section_and_adds_new_keys_after_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "credentials.ini"
    path.write_text("[a]\n# keep me\ntype = ecs_ram_role\n; and me\n\n[b]\ntype = bearer\n")

    set_profile("a", "ecs_ram_role", {"role_name": "web", "enable": "false"}, path=path)

    assert path.read_text() == (
        "[a]\n# keep me\ntype = ecs_ram_role\nrole_name = web\nenable = false\n; and me\n\n"
        "[b]\ntype = bearer\n"
    )


def test_removing_a_middle_profile_takes_its_comment_and_keeps_the_rest(ini: Path) -> None:
    remove_profile("ci", path=ini)

    start, end = SAMPLE.index("; the CI role"), SAMPLE.index("[ecs]")
    assert ini.read_text() == SAMPLE[:start] + SAMPLE[end:]


def test_windows_line_ends_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    path.write_bytes(b"# crlf\r\n[a]\r\ntype = ecs_ram_role\r\n")

    set_profile("b", "bearer", {"bearer_token": TOKEN}, path=path)

    assert path.read_bytes() == (
        b"# crlf\r\n[a]\r\ntype = ecs_ram_role\r\n\r\n[b]\r\ntype = bearer\r\n"
        + f"bearer_token = {TOKEN}\r\n".encode()
    )


def test_a_file_without_a_final_newline_gets_one_before_the_new_profile(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    path.write_text("[a]\ntype = ecs_ram_role")

    set_profile("b", "ecs_ram_role", {}, path=path)

    assert path.read_text() == "[a]\ntype = ecs_ram_role\n\n[b]\ntype = ecs_ram_role\n"


_NAMES = st.sampled_from(["alpha", "beta", "gamma", "delta"])
_COMMENTS = st.lists(st.sampled_from(["# note", "; note", "", "#[x] commented"]), max_size=3)


@st.composite
def _files(draw: st.DrawFn) -> str:
    names = draw(st.lists(_NAMES, unique=True, max_size=4))
    lines = draw(_COMMENTS)
    for name in names:
        lines += [f"[{name}]  # {name}", "type = ecs_ram_role", *draw(_COMMENTS)]
        if draw(st.booleans()):
            lines.append(f"role_name = {name}")
        lines += draw(_COMMENTS)
    return "\n".join(lines) + ("\n" if draw(st.booleans()) else "")


@settings(max_examples=60, deadline=None)
@given(text=_files())
def test_any_edit_reads_back_as_intended_and_leaves_the_rest(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _add_and_remove(Path(folder, "credentials.ini"), text)


def _add_and_remove(path: Path, text: str) -> None:
    path.write_text(text)
    names = [profile.section for profile in list_profiles(path=path)]

    set_profile("new-one", "ecs_ram_role", {"role_name": "r"}, path=path)
    after = {profile.section: profile for profile in list_profiles(path=path)}
    assert list(after) == [*names, "new-one"]
    assert after["new-one"].role_name == "r"
    remove_profile("new-one", allow_default=True, path=path)

    assert path.read_text().rstrip("\n") == text.rstrip("\n")


# -- what set accepts ----------------------------------------------------------------------------


def _valid_values(kind: str, tmp_path: Path) -> dict[str, str]:
    token_file = tmp_path / "oidc-token"
    token_file.write_text("header.payload.signature")
    key_file = tmp_path / "private-key.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    return {
        "access_key": access_key(),
        "sts": {**access_key("STS.Example1234567"), "security_token": TOKEN},
        "bearer": {"bearer_token": TOKEN},
        "ecs_ram_role": {"role_name": "web"},
        "ram_role_arn": {**access_key(), "role_arn": ROLE},
        "oidc_role_arn": {
            "role_arn": ROLE,
            "oidc_provider_arn": "acs:ram::123456789012:oidc-provider/ack",
            "oidc_token_file_path": str(token_file),
        },
        "rsa_key_pair": {"public_key_id": "LTRSA0example", "private_key_file": str(key_file)},
        "credentials_uri": {"credentials_uri": f"http://127.0.0.1:9/c?token={TOKEN}"},
        "kms_ram_secret": {"secret_name": "app-access-key", "region_id": "cn-hangzhou"},
    }[kind]


def test_the_type_table_is_the_one_the_provider_reads() -> None:
    assert set(KEYS) == set(TYPES) == set(REQUIRED)


@pytest.mark.parametrize("kind", TYPES)
def test_every_type_written_is_read_by_the_provider(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    set_profile("p", kind, _valid_values(kind, tmp_path), path=path)

    assert ProfileProvider("p", path=path).load() is not None


@pytest.mark.parametrize(("kind", "key"), [(kind, key) for kind in TYPES for key in REQUIRED[kind]])
def test_a_key_set_requires_is_one_the_provider_requires(
    kind: str, key: str, tmp_path: Path
) -> None:
    values = _valid_values(kind, tmp_path)
    del values[key]
    path = tmp_path / "credentials.ini"
    path.write_text("[p]\n" + "".join(f"{k} = {v}\n" for k, v in {"type": kind, **values}.items()))
    before = path.read_bytes()

    with pytest.raises(ConfigurationError, match=key):
        ProfileProvider("p", path=path).load()
    with pytest.raises(ConfigurationError, match=f"needs.*{key}"):
        set_profile("p", kind, values, path=path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "kind", "values", "problem"),
    [
        ("p", "password", {}, "unknown type 'password'; supported types: access_key"),
        ("p", "access_key", {**access_key(), "role_arn": ROLE}, "does not use 'role_arn'"),
        ("p", "ram_role_arn", {"role_arn": ROLE}, "needs source_profile"),
        (
            "p",
            "ram_role_arn",
            {**access_key(), "source_profile": "ecs", "role_arn": ROLE},
            "either source_profile or access_key_id",
        ),
        (
            "p",
            "ram_role_arn",
            {"source_profile": "nowhere", "role_arn": ROLE},
            "source_profile 'nowhere' is no other profile here",
        ),
        (
            "ci",
            "ram_role_arn",
            {"source_profile": "ci", "role_arn": ROLE},
            "is no other profile here",
        ),
        (
            "p",
            "access_key",
            {**access_key(), "access_key_secret": "a#b"},
            "cannot hold a line break",
        ),
        ("p", "ecs_ram_role", {"role_name": "a\nb"}, "cannot hold a line break"),
        ("p", "ecs_ram_role", {"enable": "maybe"}, "enable must be true or false"),
        ("bad name", "ecs_ram_role", {}, "a profile name is"),
        ("DEFAULT", "ecs_ram_role", {}, "a profile name is"),
    ],
)
def test_set_refuses_what_the_file_or_the_provider_cannot_use(
    ini: Path, name: str, kind: str, values: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        set_profile(name, kind, values, path=ini)

    assert problem in str(raised.value)
    assert str(ini) in str(raised.value)
    assert f"profile {name!r}" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert ini.read_text() == SAMPLE


# -- make_default --------------------------------------------------------------------------------


def official_access_key_id(path: Path) -> str:
    # The official library reads ALIBABA_CLOUD_PROFILE when it is imported, into client_type.
    assert auth_util.client_type == "default"
    return str(
        ProfileCredentialsProvider(profile_file=str(path)).get_credentials().get_access_key_id()
    )


def akless_access_key_id(path: Path) -> str:
    return ProfileProvider(path=path, environ={}).get_credentials().access_key_id


def test_make_default_swaps_sections_and_both_libraries_read_the_new_default(ini: Path) -> None:
    set_profile("dev", "access_key", access_key(), path=ini)

    change = make_default("dev", path=ini)

    assert change == DefaultChange(str(ini), "dev", True, "previous-default", None)
    assert sections(ini) == ["[previous-default]", "[ci]", "[ecs]", "[default]"]
    assert akless_access_key_id(ini) == official_access_key_id(ini) == KEY_ID
    text = ini.read_text()
    assert "akless_name = dev" in text
    assert "source_profile = previous-default" in text  # [ci] still assumes from the same key
    assert "# the laptop key" in text
    listed = {profile.name: profile for profile in list_profiles(path=ini, environ={})}
    assert listed["dev"].section == "default"
    assert listed["dev"].default
    assert not listed["previous-default"].default


def test_make_default_gives_the_previous_default_back_its_recorded_name(ini: Path) -> None:
    set_profile("dev", "access_key", access_key(), path=ini)
    set_profile("prod", "access_key", access_key("LTAI5tProdKey0000042"), path=ini)
    make_default("dev", previous_name="laptop", path=ini)

    change = make_default("prod", path=ini)

    assert change.previous == "dev"
    assert sections(ini) == ["[laptop]", "[ci]", "[ecs]", "[dev]", "[default]"]
    assert "akless_name = dev" not in ini.read_text()
    assert "akless_name = prod" in ini.read_text()
    assert akless_access_key_id(ini) == official_access_key_id(ini) == "LTAI5tProdKey0000042"
    assert "source_profile = laptop" in ini.read_text()

    back = make_default("dev", path=ini)
    assert back.previous == "prod"
    assert akless_access_key_id(ini) == official_access_key_id(ini) == KEY_ID


def test_make_default_of_the_default_changes_nothing(ini: Path) -> None:
    set_profile("dev", "access_key", access_key(), path=ini)
    make_default("dev", path=ini)
    text = ini.read_text()

    assert not make_default("dev", path=ini).changed
    assert not make_default("default", path=ini).changed
    assert ini.read_text() == text


def test_make_default_with_no_default_yet_only_renames(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    set_profile("dev", "access_key", access_key(), path=path)

    change = make_default("dev", path=path)

    assert change.previous is None
    assert path.read_text() == (
        f"[default]\ntype = access_key\naccess_key_id = {KEY_ID}\n"
        f"access_key_secret = {SECRET}\nakless_name = dev\n"
    )


def test_make_default_refuses_to_overwrite_a_profile(ini: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"cannot be renamed \[ecs\], which exists"):
        make_default("ci", previous_name="ecs", path=ini)
    assert ini.read_text() == SAMPLE


def test_make_default_names_what_still_wins_over_default(ini: Path) -> None:
    change = make_default("ecs", path=ini, environ={"ALIBABA_CLOUD_PROFILE": "ci"})

    assert change.selected_instead == "ci"


def test_a_profile_renamed_default_is_still_found_by_its_name(ini: Path) -> None:
    set_profile("dev", "access_key", access_key(), path=ini)
    make_default("dev", path=ini)

    replaced = set_profile("dev", "access_key", access_key("LTAI5tRotatedKey0077"), path=ini)

    assert replaced.action == "replaced"
    assert replaced.profile.section == "default"
    assert "akless_name = dev" in ini.read_text()
    assert akless_access_key_id(ini) == "LTAI5tRotatedKey0077"


# -- remove ---------------------------------------------------------------------------------------


def test_remove_refuses_the_default_while_others_remain_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    set_profile("default", "ecs_ram_role", {}, path=path)
    set_profile("other", "ecs_ram_role", {}, path=path)

    with pytest.raises(ConfigurationError, match=r"it is \[default\]"):
        remove_profile("default", path=path)
    assert remove_profile("default", allow_default=True, path=path).action == "removed"
    assert sections(path) == ["[other]"]


def test_remove_refuses_a_profile_another_one_assumes_a_role_from(ini: Path) -> None:
    with pytest.raises(ConfigurationError, match="'ci' uses it as source_profile"):
        remove_profile("default", allow_default=True, path=ini)
    assert ini.read_text() == SAMPLE


@pytest.mark.parametrize("operation", [remove_profile, make_default])
def test_an_unknown_profile_is_named_with_the_file(ini: Path, operation: object) -> None:
    with pytest.raises(ConfigurationError) as raised:
        operation("nope", path=ini)  # type: ignore[operator]

    assert str(raised.value) == (
        f"profile 'nope' in {ini}: no such profile (profiles there: default, ci, ecs)"
    )


# -- files: where, how, and never half-written ---------------------------------------------------


def test_the_file_is_created_owner_only_in_an_owner_only_folder() -> None:
    set_profile("dev", "access_key", access_key(), environ={})

    path = Path.home() / ".alibabacloud" / "credentials.ini"
    assert credentials_path(environ={}) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_variable_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.ini"

    set_profile("dev", "ecs_ram_role", {}, environ={"ALIBABA_CLOUD_CREDENTIALS_FILE": str(path)})

    assert path.exists()


def test_an_edit_makes_a_readable_file_owner_only(ini: Path) -> None:
    ini.chmod(0o644)

    set_profile("dev", "ecs_ram_role", {}, path=ini)

    assert stat.S_IMODE(ini.stat().st_mode) == 0o600


def test_an_empty_home_is_refused_rather_than_writing_to_the_current_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", "")

    with pytest.raises(ConfigurationError, match="HOME is empty"):
        set_profile("dev", "ecs_ram_role", {}, environ={})
    assert not Path("/.alibabacloud/credentials.ini").exists()


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), RuntimeError("x")])
def test_a_failed_write_leaves_the_old_file_intact(
    ini: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def fail(*args: object) -> None:
        raise failure

    monkeypatch.setattr(os, "replace", fail)

    with pytest.raises((ConfigurationError, RuntimeError)):
        set_profile("dev", "access_key", access_key(), path=ini)
    assert ini.read_text() == SAMPLE
    assert sorted(ini.parent.iterdir()) == [ini]  # no temporary file left behind


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[a]\nnot a setting\n", "cannot parse line 2"),
        ("[a]\ntype = bearer\n[a]\n", "section [a] appears twice"),
        ("type = bearer\n", "a setting before the first section header"),
    ],
)
@pytest.mark.parametrize(
    "edit",
    [
        lambda path: set_profile("dev", "ecs_ram_role", {}, path=path),
        lambda path: remove_profile("a", path=path),
        lambda path: make_default("a", path=path),
    ],
)
def test_a_malformed_file_is_never_rewritten(
    tmp_path: Path, text: str, problem: str, edit: object
) -> None:
    path = tmp_path / "credentials.ini"
    path.write_text(text)

    with pytest.raises(ConfigurationError) as raised:
        edit(path)  # type: ignore[operator]

    assert problem in str(raised.value)
    assert "not changed" in str(raised.value)
    assert path.read_text() == text


def test_a_layout_the_editor_could_misread_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    text = "[a]\n# an indented header below\n  [b]\ntype = ecs_ram_role\n"
    path.write_text(text)

    with pytest.raises(ConfigurationError, match="cannot change safely"):
        set_profile("c", "ecs_ram_role", {}, path=path)
    assert path.read_text() == text


# -- listing -------------------------------------------------------------------------------------


def test_listing_shows_settings_but_never_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    for kind in TYPES:
        set_profile(kind.replace("_", "-"), kind, _valid_values(kind, tmp_path), path=path)

    listed = list_profiles(path=path, environ={})

    dumped = repr(listed) + json.dumps([asdict(profile) for profile in listed])
    assert SECRET not in dumped
    assert TOKEN not in dumped
    assert KEY_ID not in dumped
    by_name = {profile.name: profile for profile in listed}
    assert by_name["access-key"].access_key_id == "LTAI****9876"
    assert by_name["access-key"].has_secret
    assert not by_name["ecs-ram-role"].has_secret
    assert by_name["credentials-uri"].credentials_uri == "http://127.0.0.1:9/c"
    assert by_name["oidc-role-arn"].oidc_token_file == str(tmp_path / "oidc-token")


def test_listing_marks_the_selected_profile_as_default(ini: Path) -> None:
    def defaults(environ: dict[str, str]) -> list[str]:
        return [p.name for p in list_profiles(path=ini, environ=environ) if p.default]

    assert defaults({}) == ["default"]
    assert defaults({"ALIBABA_CLOUD_PROFILE": "ecs"}) == ["ecs"]
    assert defaults({"ALIBABA_CLOUD_PROFILE": "gone"}) == []
    use_profile("ci")
    assert defaults({"ALIBABA_CLOUD_PROFILE": "ecs"}) == ["ci"]


def test_listing_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert list_profiles(path=tmp_path / "none.ini") == ()


def test_a_hand_written_file_lists_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "credentials.ini"
    path.write_text(textwrap.dedent(SAMPLE))

    listed = list_profiles(path=path, environ={})

    assert [(p.name, p.type, p.enabled) for p in listed] == [
        ("default", "access_key", True),
        ("ci", "ram_role_arn", True),
        ("ecs", "ecs_ram_role", True),
    ]
    assert listed[0].access_key_id == "LTAI****0001"
