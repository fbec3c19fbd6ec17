"""Manifests: the repo's own, built from the corpus facts, and refusal of malformed ones."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from archive.errors import ManifestError
from archive.settings import PROJECT_ROOT
from ingest.manifest import all_manifests, load_manifest
from tests.conftest import CORPUS

VERSIONS_DIR = PROJECT_ROOT / "data" / "versions"


@pytest.mark.parametrize("slug", ["anthropic-rsp", "anthropic-rsp-noncompliance"])
def test_repo_manifest_matches_corpus_facts(slug):
    manifest = load_manifest(VERSIONS_DIR / slug / "versions.toml")
    facts = tomllib.loads((CORPUS / slug / "manifest.toml").read_text())
    assert manifest.policy.slug == slug
    assert manifest.policy.title == facts["title"]
    assert [v.label for v in manifest.versions] == [f["version"] for f in facts["versions"]]
    for version, fact in zip(manifest.versions, facts["versions"], strict=True):
        assert version.effective == fact["effective"]
        assert version.url == fact["original_url"]
        assert version.sha256 == fact["original_sha256"]
        assert version.pages == fact["pages"]
        assert version.file == fact["pdf"].split("/")[-1]


def test_all_manifests_found():
    assert {m.policy.slug for m in all_manifests(VERSIONS_DIR)} == {"anthropic-rsp", "anthropic-rsp-noncompliance"}


def _write(tmp_path, body: str, slug: str = "demo"):
    folder = tmp_path / slug
    folder.mkdir()
    path = folder / "versions.toml"
    path.write_text(body)
    return path


GOOD_POLICY = '[policy]\nslug = "demo"\ntitle = "Demo"\n'


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[policy\n", "not valid TOML"),
        ('title = "x"\n', "missing [policy]"),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-13-01\nfile = "a.pdf"\n', "not valid TOML"),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = "2024-02-30"\nfile = "a.pdf"\n', "not a date"),
        (
            GOOD_POLICY
            + f'[[versions]]\nlabel = "1"\neffective = {dt.date.today() + dt.timedelta(days=30)}\nfile = "a.pdf"\n',
            "in the future",
        ),
        (
            GOOD_POLICY + '[[versions]]\nlabel = "../x"\neffective = 2024-01-01\nfile = "a.pdf"\n',
            "invalid version label",
        ),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "../a.pdf"\n', "plain file name"),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\nsha256 = "abc"\n', "64 hex"),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\n' * 2, "appears twice"),
        ('[policy]\nslug = "other"\ntitle = "Demo"\n', "does not match its folder"),
        # TOML reads an unquoted 3.10 as the number 3.1: refused, not stored as another label.
        (GOOD_POLICY + '[[versions]]\nlabel = 3.10\neffective = 2024-01-01\nfile = "a.pdf"\n',
         'label must be quoted text (label = "3.10"); unquoted, TOML read it as the float 3.1'),
        (GOOD_POLICY + '[[versions]]\nlabel = true\neffective = 2024-01-01\nfile = "a.pdf"\n',
         "TOML read it as the bool True"),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\nfile = "a.pdf"\n', "versions[0] effective date is missing"),
        # A label spelled as another day would hide that day, which names the version then in force.
        (GOOD_POLICY + '[[versions]]\nlabel = "2024-05-01"\neffective = 2024-01-01\nfile = "a.pdf"\n',
         "label '2024-05-01' is a date but not the version's effective date (2024-01-01)"),
        # Pages link these and citations carry them: only web addresses.
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\n'
         'url = "javascript:alert(1)"\n',
         "url must be an http(s) address, not 'javascript:alert(1)'"),
        (GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\nurl = "file:///etc/passwd"\n',
         "url must be an http(s) address"),
        (GOOD_POLICY.replace('title = "Demo"', 'title = "Demo"\nlanding_page = "example.org/rsp"'),
         "landing_page must be an http(s) address"),
        (GOOD_POLICY.replace('title = "Demo"', 'title = ""'), "[policy] title is empty"),
    ],
)
def test_malformed_manifest_is_refused_with_one_line(tmp_path, body, needle):
    with pytest.raises(ManifestError) as info:
        load_manifest(_write(tmp_path, body))
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_a_byte_order_mark_is_no_error(tmp_path):
    body = GOOD_POLICY + '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\n'
    path = _write(tmp_path, "\ufeff" + body)  # as some editors save UTF-8
    assert [v.label for v in load_manifest(path).versions] == ["1"]
