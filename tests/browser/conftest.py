"""Browser tests: Debian's headless Chromium driven by Playwright against a real uvicorn on loopback.

Never downloads a browser (no `playwright install`): Chromium comes from the OS package (.ci/run
installs it). Without /usr/bin/chromium the tests are skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"  # git-ignored


@pytest.fixture(scope="module")
def live_server(corpus_settings) -> Iterator[str]:
    """uvicorn serving the app over the shared corpus archive, on a free loopback port."""
    with Server(corpus_settings) as server:
        yield server.base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extras)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh desktop-sized page; a screenshot named after the test is saved when it ends."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    SCREENSHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
    context.close()
