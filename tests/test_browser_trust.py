"""Trust in a real browser: nothing but the dashboard is ever asked for anything, hostile files
are read or refused without a traceback, long runs can be stopped, sessions run side by side.

Every request Chromium makes during a whole session (upload of hostile files with Markdown
images, links and ``<img onerror>``; generation whose model copies them into names, quotes,
claims and bios; evidence pop-ups; History; the Hybrid page up to consent) is recorded and
must go to the dashboard's own address. A listener on another loopback address, the one the
hostile files point at, proves that nothing reaches it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, Request, WebSocket, expect

from persona.core.safe_text import WORD_JOINER
from tests.browser import (
    ROOT,
    Service,
    go,
    open_app,
    start_fake_ollama,
    start_streamlit,
    wait_idle,
    warm_up,
)
from tests.hostile_files import hostile_files

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)

SAMPLES = sorted(p for p in (ROOT / "samples").rglob("*") if p.is_file())


# --- a listener nobody may call ------------------------------------------------------------


class Probe:
    """An HTTP listener on 127.0.0.2 (another loopback address) that records every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Wire:
    """Every URL the browser asks for (pages, scripts, images, icons, fonts, websockets)."""

    def __init__(self, context: BrowserContext) -> None:
        self.urls: list[str] = []
        context.on("request", self._request)
        context.on("page", lambda page: page.on("websocket", self._websocket))
        for page in context.pages:
            page.on("websocket", self._websocket)

    def _request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _websocket(self, socket: WebSocket) -> None:
        self.urls.append(socket.url)

    def foreign(self, app_url: str) -> list[str]:
        """URLs to any host but the app's (``data:`` and ``blob:`` stay in the browser)."""
        own = urlsplit(app_url).netloc
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != own
        ]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    listener = Probe()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def wire(browser: BrowserContext) -> Wire:
    return Wire(browser)


@pytest.fixture(scope="module")
def fake() -> Iterator[Service]:
    service = start_fake_ollama(pull_delay=0.05)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("persona-data")


@pytest.fixture(scope="module")
def app(fake: Service, browser: BrowserContext, wire: Wire, data_dir: Path) -> Iterator[str]:
    server = start_streamlit(ollama_host=fake.url, data_dir=data_dir)
    try:
        warm_up(browser, server.url)
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def files(tmp_path: Path, probe: Probe) -> dict[str, Path]:
    """The hostile files on disk, by name, pointing at the probe."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    paths = {}
    for hostile in hostile_files(probe.url):
        path = folder / hostile.disk_name
        path.write_bytes(hostile.data)
        paths[hostile.name] = path
    return paths


# --- helpers ------------------------------------------------------------------------------------


def assert_no_traceback(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in page.locator("body").inner_text()


def upload(page: Page, paths: list[Path]) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in paths])
    page.get_by_text("files read").first.wait_for(timeout=60_000)
    wait_idle(page, 60_000)


def token_delay(fake: Service, seconds: float) -> None:
    requests.post(f"{fake.url}/_fake/token_delay", json={"seconds": seconds}, timeout=5)


# --- 1. the hostile-input suite through the browser upload --------------------------------------


def test_hostile_uploads_are_read_or_refused_in_the_browser(
    app: str, browser: BrowserContext, tab: list[Page], files: dict[str, Path], probe: Probe
) -> None:
    page = open_app(browser, app, "/generate", ready_text="Upload at least one file")
    tab.append(page)
    suite = hostile_files(probe.url)
    upload(page, [files[h.name] for h in suite])
    read = sum(not h.refused for h in suite)
    expect(page.get_by_text(f"{read} of {len(suite)} files read")).to_be_visible()
    alerts = page.get_by_test_id("stAlert").all_inner_texts()
    for hostile in suite:
        if hostile.refused:
            assert any(
                hostile.disk_name[:40] in alert and hostile.refused in alert for alert in alerts
            ), (hostile.name, alerts)
    not_read = [a for a in alerts if "was not read" in a]
    assert len(not_read) == len(suite) - read, not_read
    assert_no_traceback(page)
    assert probe.hits == []


# --- 2. a whole session asks nothing of any other host ----------------------------------------


def test_a_whole_session_asks_only_the_dashboard(
    app: str,
    fake: Service,
    browser: BrowserContext,
    wire: Wire,
    tab: list[Page],
    files: dict[str, Path],
    probe: Probe,
) -> None:
    page = open_app(browser, app, "/", ready_text="How it works")
    tab.append(page)
    icon = page.locator("link[rel*='icon']").first.get_attribute("href") or ""
    assert not icon.startswith("http") or urlsplit(icon).netloc == urlsplit(app).netloc, icon

    go(page, "Generate", "Upload at least one file")
    chosen = ["images_and_links.txt", "onerror.csv", "script.md", "injection.txt"]
    upload(page, [files[name] for name in chosen] + SAMPLES)
    # The fake model copies passages into every field, as a prompt injection could make a
    # real one do: names, roles, bios, claims and quotes carry the images and links.
    page.get_by_role("button", name="Generate personas").click()
    cards = page.locator("[class*='st-key-card_generated_']")
    expect(cards).to_have_count(3, timeout=60_000)
    wait_idle(page)
    assert_no_traceback(page)

    card = cards.first
    shown = card.inner_text().replace(WORD_JOINER, "")
    assert f"![]({probe.url}/pixel.png)" in shown  # shown, not fetched
    assert f"[see the results]({probe.url}/leak?q=secret)" in shown
    card.get_by_test_id("stPopover").first.locator("button").first.click()  # "N quotes"
    popover = page.get_by_test_id("stPopoverBody")
    expect(popover).to_be_visible()
    assert popover.locator("b, img, a, script").count() == 0, popover.inner_html()
    popover.get_by_role("button", name="Read in context").first.click()
    dialog = page.get_by_role("dialog").filter(has_text="Quote in context")
    expect(dialog).to_be_visible()
    wait_idle(page)
    assert dialog.locator("b, img, a, script").count() == 0, dialog.inner_html()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    go(page, "History", "Runs are saved on this machine")
    body = page.locator("body").inner_text().replace(WORD_JOINER, "")
    assert f"![]({probe.url}/pixel.png)" in body
    assert_no_traceback(page)

    go(page, "Hybrid", "local draft, Claude polish")  # the title: "Hybrid" is in the nav too
    expect(page.get_by_text("Drafts are made from")).to_be_visible()  # the study: no upload
    page.get_by_role("button", name="Draft personas locally").click()
    expect(page.get_by_text("I agree to send").first).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert_no_traceback(page)

    for tag, attribute in (("img", "src"), ("a", "href"), ("iframe", "src"), ("source", "src")):
        elsewhere = page.locator(f"{tag}[{attribute}*='127.0.0.2']")
        assert elsewhere.count() == 0, f"a <{tag}> pointing at the probe: " + " | ".join(
            e.evaluate("e => e.parentElement.parentElement.outerHTML")[:400]
            for e in elsewhere.all()[:3]
        )
    page.wait_for_timeout(1000)  # anything lazy has had its chance
    assert wire.urls, "the recorder saw nothing: it is not recording"
    assert wire.foreign(app) == [], wire.foreign(app)
    assert probe.hits == [], probe.hits
    assert any("/media/" in url for url in wire.urls), "the local page icon was served"


# --- 3. long runs: Stop, elapsed time, disabled inputs, closed tab, two sessions ----------------


def run_status(data_dir: Path, run_id: str) -> str:
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:
        row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
    return str(row[0]) if row else ""


def newest_run(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:
        row = conn.execute("SELECT id FROM runs ORDER BY created_at DESC LIMIT 1").fetchone()
    return str(row[0])


def start_slow_run(page: Page, fake: Service, seconds_per_token: float = 0.02) -> None:
    token_delay(fake, seconds_per_token)  # 0.02: about a minute for a whole answer
    upload(page, SAMPLES)
    page.get_by_role("button", name="Generate personas").click()
    expect(page.get_by_text("Elapsed")).to_be_visible(timeout=30_000)


def test_stop_keeps_what_was_made_and_reenables_the_page(
    app: str, fake: Service, browser: BrowserContext, tab: list[Page], data_dir: Path
) -> None:
    page = open_app(browser, app, "/generate", ready_text="Upload at least one file")
    tab.append(page)
    try:
        start_slow_run(page, fake)
        expect(page.get_by_role("button", name="Generate personas")).to_be_disabled()
        expect(page.get_by_role("slider", name="Number of personas")).to_be_disabled()
        expect(page.get_by_text("Elapsed 0:0")).to_be_visible()
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_text("Stopped before it finished")).to_be_visible(timeout=20_000)
    finally:
        token_delay(fake, 0.0)
    wait_idle(page)
    assert run_status(data_dir, newest_run(data_dir)) == "interrupted"
    expect(page.get_by_role("slider", name="Number of personas")).to_be_enabled()
    assert_no_traceback(page)


def test_a_closed_tab_stops_its_run(
    app: str, fake: Service, browser: BrowserContext, data_dir: Path
) -> None:
    page = open_app(browser, app, "/generate", ready_text="Upload at least one file")
    try:
        # ten minutes for a whole answer: only the closed tab can end this run within the wait
        start_slow_run(page, fake, seconds_per_token=0.2)
        run_id = newest_run(data_dir)
        page.close()
        deadline = time.monotonic() + 45
        while run_status(data_dir, run_id) == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        token_delay(fake, 0.0)
    assert run_status(data_dir, run_id) == "interrupted", "the abandoned run kept going"


def test_two_sessions_generate_at_once(
    app: str, fake: Service, browser: BrowserContext, tab: list[Page], data_dir: Path
) -> None:
    pages = [
        open_app(browser, app, "/generate", ready_text="Upload at least one file") for _ in range(2)
    ]
    tab.extend(pages)
    token_delay(fake, 0.002)
    try:
        for page in pages:
            upload(page, SAMPLES)
        for page in pages:
            page.get_by_role("button", name="Generate personas").click()
        for page in pages:
            expect(page.locator("[class*='st-key-card_generated_']")).to_have_count(
                3, timeout=90_000
            )
            assert_no_traceback(page)
    finally:
        token_delay(fake, 0.0)
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:
        statuses = [
            row[0]
            for row in conn.execute("SELECT status FROM runs ORDER BY created_at DESC LIMIT 2")
        ]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert statuses == ["complete", "complete"]


# --- 4. a bad setting is a message on every page ----------------------------------------------


def test_a_bad_setting_is_a_message_on_every_page(
    fake: Service, browser: BrowserContext, tmp_path: Path
) -> None:
    server = start_streamlit(
        ollama_host=fake.url, data_dir=tmp_path / "data", extra_env={"PERSONA_MAX_FILE_MB": "abc"}
    )
    try:
        # one loader checks every setting, so Home says it too
        message = "PERSONA_MAX_FILE_MB is set to 'abc'"
        warm_up(browser, server.url, ready_text=message)
        page = open_app(browser, server.url, "/", ready_text=message)
        assert_no_traceback(page)
        for link in ("Generate", "Hybrid"):
            page.get_by_test_id("stTopNavLink").filter(has_text=link).click()
            expect(page.get_by_text("PERSONA_MAX_FILE_MB is set to 'abc'")).to_be_visible()
            wait_idle(page)
            assert_no_traceback(page)
        page.close()
    finally:
        server.stop()
