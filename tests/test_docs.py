"""The README's promises hold: its commands exist, its settings exist, every command has help."""

from __future__ import annotations

import re

from archive.settings import PROJECT_ROOT, Settings
from cli.app import app

README = (PROJECT_ROOT / "README.md").read_text()
MAKEFILE = (PROJECT_ROOT / "Makefile").read_text()


def test_readme_make_targets_exist():
    targets = set(re.findall(r"^make (\w+)", README, flags=re.M)) | set(re.findall(r"\bmake (\w+)", README))
    assert {"run", "test"} <= targets
    for target in targets:
        assert re.search(rf"^{target}:", MAKEFILE, flags=re.M), target


def test_ci_runs_the_readme_test_command_on_both_databases():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert ci.count("make test") == 2
    assert "POLICY_ARCHIVE_TEST_POSTGRES=" in ci


def test_documented_settings_exist():
    documented = set(re.findall(r"`POLICY_ARCHIVE_(\w+)`", README)) | set(
        re.findall(r"`(\w+)`", README.split("Settings are environment variables", 1)[1].split("\n\n", 1)[0])
    )
    fields = {name.upper() for name in Settings.model_fields}
    for name in documented - {"POLICY_ARCHIVE_"}:
        assert name in fields, name


def test_every_command_has_help(cli):
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert {"fetch", "ingest", "versions", "show"} <= set(commands)
    for name in commands:
        result = cli(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage" in result.stdout
        assert len(result.stdout.splitlines()) > 3, name


# -- docs/redlines.md: the method page researchers cite ----------------------------------------------

REDLINES_DOC = (PROJECT_ROOT / "docs" / "redlines.md").read_text()
_DOC_MODULES = {
    "align": "archive.diff.align", "words": "archive.diff.words", "moves": "archive.diff.moves",
    "render": "archive.diff.render",
    "redline": "archive.diff.redline", "reflow": "archive.diff.reflow", "nature": "archive.diff.changelog.nature",
    "relate": "archive.diff.changelog.relate", "audit": "archive.diff.changelog.audit",
}


def test_every_threshold_the_redline_method_names_is_the_one_the_code_uses():
    import ast
    import importlib

    named = re.findall(r"`(\w+)\.([A-Z][A-Z_]+)` = (\"[^\"]*\"|\d+(?:\.\d+)?)", REDLINES_DOC)
    assert len(named) >= 25  # the page's thresholds, not a stray match or two
    for module, name, value in named:
        actual = getattr(importlib.import_module(_DOC_MODULES[module]), name)
        said = ast.literal_eval(value)
        assert actual == said, f"docs/redlines.md says {module}.{name} = {value}; the code has {actual!r}"


def test_the_redline_method_page_names_every_alignment_and_audit_threshold():
    """A threshold added to the code without a word in the method page fails here."""
    from archive.diff import align, moves, reflow, words
    from archive.diff.changelog import audit, nature, relate

    named = set(re.findall(r"`(\w+\.[A-Z][A-Z_]+)` = ", REDLINES_DOC))
    modules = ((align, "align"), (audit, "audit"), (nature, "nature"), (relate, "relate"), (reflow, "reflow"),
               (words, "words"), (moves, "moves"))
    for module, short in modules:
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, int | float) and name != "BULK_MIN_PAIRS":  # a speed knob
                assert f"{short}.{name}" in named, f"docs/redlines.md does not describe {short}.{name}"


def test_every_limit_the_search_page_names_is_the_one_the_code_uses():
    import importlib

    doc = (PROJECT_ROOT / "docs" / "search.md").read_text()
    named = re.findall(r"`(\w+)\.([A-Z][A-Z_]+)` = (\d+(?:\.\d+)?)", doc)
    assert named  # at least the ellipsis gap
    for module, name, value in named:
        actual = getattr(importlib.import_module(f"archive.search.{module}"), name)
        assert actual == float(value), f"docs/search.md says {module}.{name} = {value}; the code has {actual!r}"
