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
