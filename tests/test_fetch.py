"""`policy-archive fetch`: downloads checked by sha256 against a local HTTP server, --from, no network."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
from functools import partial

import pytest

from tests.conftest import RSP_PDFS

PDF = RSP_PDFS / "rsp-v3.1_2026-04-02.pdf"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the CLI's stderr clean for assertions
        pass


@pytest.fixture
def http_root(tmp_path):
    """A real HTTP server on a free loopback port, serving a folder."""
    root = tmp_path / "served"
    root.mkdir()
    handler = partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _manifest(versions_dir, url: str, sha: str) -> None:
    folder = versions_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "versions.toml").write_text(
        '[policy]\nslug = "demo"\ntitle = "Demo policy"\npublisher = "Tests"\n\n'
        f'[[versions]]\nlabel = "1.0"\neffective = 2024-01-01\nfile = "demo-1.0.pdf"\nurl = "{url}"\nsha256 = "{sha}"\n'
    )


def test_download_with_matching_sha_is_kept_and_ingests_verified(fresh_env, http_root, cli):
    root, base = http_root
    (root / "demo.pdf").write_bytes(PDF.read_bytes())
    _manifest(fresh_env.versions_dir, f"{base}/demo.pdf", hashlib.sha256(PDF.read_bytes()).hexdigest())
    result = cli("fetch", "demo")
    assert result.exit_code == 0, result.output
    assert "downloaded" in result.stdout and "matches" in result.stdout
    target = fresh_env.versions_dir / "demo" / "demo-1.0.pdf"
    assert target.read_bytes() == PDF.read_bytes()
    provenance = json.loads((target.parent / ".provenance.json").read_text())
    assert provenance["demo-1.0.pdf"]["source_url"] == f"{base}/demo.pdf"
    assert cli("ingest", "--policy", "demo").exit_code == 0
    listing = json.loads(cli("versions", "demo", "--json").stdout)
    assert listing[0]["status"] == "verified"
    assert listing[0]["source_url"] == f"{base}/demo.pdf"
    assert listing[0]["origin"] == "download"
    # Present files are not downloaded again.
    assert "present" in cli("fetch", "demo").stdout


def test_download_with_other_sha_is_not_kept_unless_accepted(fresh_env, http_root, cli):
    root, base = http_root
    (root / "demo.pdf").write_bytes(PDF.read_bytes())
    _manifest(fresh_env.versions_dir, f"{base}/demo.pdf", "0" * 64)
    target = fresh_env.versions_dir / "demo" / "demo-1.0.pdf"
    result = cli("fetch", "demo")
    assert result.exit_code == 1
    assert "differs from the manifest" in result.stderr and "--accept-changed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()
    result = cli("fetch", "demo", "--accept-changed")
    assert result.exit_code == 0, result.output
    assert "DIFFERS" in result.stdout
    assert target.exists()
    assert cli("ingest", "--policy", "demo").exit_code == 0
    listing = json.loads(cli("versions", "demo", "--json").stdout)
    assert listing[0]["status"] == "unverified"
    assert listing[0]["reference_sha256"] == "0" * 64


def test_no_network_fails_with_one_clear_line(fresh_env, cli):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _manifest(fresh_env.versions_dir, f"http://127.0.0.1:{port}/x.pdf", "0" * 64)
    result = cli("fetch", "demo")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the server" in lines[0]
    assert not (fresh_env.versions_dir / "demo" / "demo-1.0.pdf").exists()


def test_http_error_is_one_line(fresh_env, http_root, cli):
    _, base = http_root
    _manifest(fresh_env.versions_dir, f"{base}/missing.pdf", "0" * 64)
    result = cli("fetch", "demo")
    assert result.exit_code == 1 and "HTTP 404" in result.stderr


def test_from_dir_keeps_files_whatever_their_hash(fresh_env, cli):
    result = cli("fetch", "anthropic-rsp", "--from", str(RSP_PDFS))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("copied") == 8
    folder = fresh_env.versions_dir / "anthropic-rsp"
    assert len(list(folder.glob("*.pdf"))) == 8
    provenance = json.loads((folder / ".provenance.json").read_text())
    assert all(entry["origin"].startswith("local:") for entry in provenance.values())


def test_from_missing_dir_and_unknown_policy(fresh_env, tmp_path, cli):
    assert cli("fetch", "anthropic-rsp", "--from", str(tmp_path / "nope")).exit_code == 2
    result = cli("fetch", "no-such-policy")
    assert result.exit_code == 1 and "no manifest for policy 'no-such-policy'" in result.stderr
