"""Fixtures for end-to-end tests in a real browser.

The real app runs under uvicorn in a background thread on 127.0.0.1 (a free port per
module, so every xdist worker has its own server), on a fresh database of each backend
(``fresh_database_url``: SQLite and PostgreSQL), set up as ``xinyong init`` does.
Playwright's sync API drives Debian's Chromium (/usr/bin/chromium, installed by
``make system-deps``) headless; Playwright never downloads a browser here. Screenshots
go to var/test-artifacts/ and are kept after the run.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from xinyong.actors import Actor
from xinyong.config import Settings
from xinyong.runtime import Runtime
from xinyong.setup import initialise
from xinyong.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium keeps trying to reach Google's
# hosts and hangs on a closed network. Playwright gives every launch a fresh, empty
# --user-data-dir of its own (it refuses one in ``args``).
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
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
# How long to wait for the server thread to start serving, in seconds (start-up only).
STARTUP_SECONDS = 30


@dataclass
class LiveServer:
    """The running app: its base URL, its runtime (for checks in the database) and the
    backend's name for artefact file names."""

    url: str
    runtime: Runtime

    @property
    def backend(self) -> str:
        return self.runtime.engine.dialect.name


@pytest.fixture(scope="module")
def live_server(
    fresh_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app on a fresh, initialised database, served over real HTTP."""
    settings = Settings(
        environment="test",
        database_url=fresh_database_url,
        secret_key="test-secret-key-0123456789abcdef",
        data_key="test-data-key-0123456789abcdef",
        notice_backend="null",
        upload_dir=tmp_path_factory.mktemp("uploads"),
    )
    runtime = Runtime.from_settings(settings)
    initialise(runtime, actor=Actor.system())
    app = create_app(runtime=runtime)

    # Bind the socket here and hand it to uvicorn: the port is ours before the thread
    # starts, so two workers can never race for the same one.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)  # signal handlers are only installed in the main thread
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    started = threading.Event()
    for _ in range(STARTUP_SECONDS * 20):
        if server.started or not thread.is_alive():
            break
        started.wait(0.05)
    try:
        if not server.started:
            pytest.fail("the live server did not start; see the captured log above")
        yield LiveServer(f"http://127.0.0.1:{port}", runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)
        sock.close()
        runtime.engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless. Missing Chromium is a failure, not a skip: the
    browser tests are part of ``make test``, which installs it."""
    if shutil.which(str(CHROMIUM)) is None:  # missing or not executable
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium. "
            "Run `make system-deps` (installs chromium and fonts-noto-cjk with apt-get)."
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a new browser context (no cookies from other tests), whose relative
    URLs go to the live server; Chinese UI, Beijing time."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(
    request: pytest.FixtureRequest, live_server: LiveServer
) -> Iterator[ScreenshotTaker]:
    yield ScreenshotTaker(request.node.originalname, live_server.backend)


@dataclass
class ScreenshotTaker:
    """Saves full-page screenshots as test artefacts:
    var/test-artifacts/<test-name>-<step>-<backend>.png."""

    test: str
    backend: str

    def __call__(self, page: Page, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.test}-{step}-{self.backend}.png"
        path.unlink(missing_ok=True)  # never mistake an old run's file for this one's
        page.screenshot(path=path, full_page=True)
        return path
