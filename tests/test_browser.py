"""The dashboard in a real browser: `streamlit run app.py` driven by headless Chromium.

One Streamlit server (and one fake Ollama, as subprocesses) serves all the tests of a scenario;
each test opens its own tab, which is its own Streamlit session.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from persona.core.records import Run
from persona.dashboard.ui.resources import LISTING_TTL_S
from tests.browser import (
    RECORD_PROGRESS,
    ROOT,
    SHOWCASE_PERSONAS,
    Service,
    closed_url,
    full_page_screenshot,
    go,
    installed_models,
    open_app,
    showcase_reply,
    start_fake_ollama,
    start_streamlit,
    wait_idle,
    warm_up,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a loaded CI machine reruns slowly

SAMPLES = sorted(
    p for p in (ROOT / "samples").rglob("*") if p.is_file() and "languages" not in p.parts
)
PULLED = "llama3.2:1b"
"""In the fake's library, not installed at the start."""


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[Service]:
    """The fake Ollama as a process; pulls are slowed down so progress is visible."""
    service = start_fake_ollama(pull_delay=0.05)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def app(
    fake: Service, browser: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`streamlit run app.py` against the running fake; its base URL."""
    server = start_streamlit(ollama_host=fake.url, data_dir=tmp_path_factory.mktemp("persona-data"))
    try:
        warm_up_or_explain(browser, server)
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def app_without_ollama(
    browser: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """`streamlit run app.py` with OLLAMA_HOST on a port where nothing listens."""
    host = closed_url()
    server = start_streamlit(ollama_host=host, data_dir=tmp_path_factory.mktemp("no-ollama"))
    try:
        warm_up_or_explain(browser, server)
        yield server.url, host
    finally:
        server.stop()


# --- helpers -----------------------------------------------------------------------------------


def warm_up_or_explain(browser: BrowserContext, server: Service) -> None:
    """Open "/" once (see `warm_up`); when Home never shows, fail with the server's log."""
    try:
        warm_up(browser, server.url)
    except PlaywrightError as exc:
        raise AssertionError(
            f"Home did not render: {exc.message}\n--- streamlit log ---\n{server.log_tail()}"
        ) from exc


def assert_no_exception(page: Page) -> None:
    """No exception box, no traceback, no ``SomethingError:`` text on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert not re.search(r"\b\w*(Error|Exception):", body), body


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )


def metrics(page: Page) -> dict[str, str]:
    found = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
        found[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    return found


def installed_table(page: Page) -> Locator:
    """The table under "Installed models" (its cells are in the grid's accessible markup)."""
    return page.get_by_test_id("stDataFrame").first


def select(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        combobox.click()
        try:
            choice.wait_for(timeout=2_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
    choice.click()
    expect(combobox).to_have_value(option)
    wait_idle(page)


def assert_ollama_down(page: Page, host: str) -> None:
    alert = page.get_by_test_id("stAlert").filter(has_text="Ollama is not running")
    expect(alert).to_have_count(1)
    text = alert.inner_text()
    assert host in text
    assert "ollama.com/download" in text
    assert "press Retry" in text
    # .first: just after a click on Retry the rerun's button and the old one can coexist
    expect(page.get_by_role("button", name="Retry").first).to_be_visible()
    assert_no_exception(page)


# --- 1. Hardware & models: pull with progress, delete with confirmation ------------------------


def test_pull_a_model_with_live_progress(
    app: str, fake: Service, browser: BrowserContext, tab: list[Page]
) -> None:
    page = open_app(browser, app, "/", ready_text="How it works")
    tab.append(page)
    go(page, "Hardware & models", "Loaded in memory")

    expect(metric(page, "Memory for models")).to_contain_text("GB")
    shown = metrics(page)
    assert shown["Accelerator"], shown
    expect(page.get_by_text("Recommended model", exact=True)).to_be_visible()
    expect(installed_table(page)).not_to_contain_text(PULLED)
    assert PULLED not in installed_models(fake.url)

    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("textbox", name="Model name").fill(PULLED)
    page.get_by_role("button", name="Pull", exact=True).click()
    page.wait_for_function(
        """(model) => (window.__progress || []).some(t => t.includes(model + " is ready"))
            || document.body.innerText.includes(model + " is installed and ready")""",
        arg=PULLED,
        timeout=30_000,
    )
    wait_idle(page)
    texts: list[str] = page.evaluate("() => window.__progress")
    percents = [int(p) for text in texts for p in re.findall(r"(\d+)%", text)]
    assert any(0 < p < 100 for p in percents), f"no intermediate progress among {texts}"
    assert percents == sorted(percents), f"the bar went backwards: {texts}"
    # the end is the page's "installed and ready" below: the worker's last step may finish
    # between two refreshes of the bar, so it is not always drawn
    assert any(re.search(r"\d B/s|\d [KMG]B/s", text) for text in texts), texts  # a speed
    assert PULLED in installed_models(fake.url)
    assert_no_exception(page)

    # the page reflects the pull without another click
    expect(page.get_by_text(f"{PULLED} is installed and ready.")).to_be_visible(timeout=5_000)
    expect(installed_table(page)).to_contain_text(PULLED, timeout=5_000)


def test_delete_a_model_after_confirming(
    app: str, fake: Service, browser: BrowserContext, tab: list[Page], screenshots: Path
) -> None:
    if PULLED not in installed_models(fake.url):  # the pull test did not leave it installed
        requests.post(f"{fake.url}/api/pull", json={"model": PULLED, "stream": False}, timeout=30)
    page = open_app(browser, app, "/hardware", ready_text="Loaded in memory")
    tab.append(page)
    deadline = time.monotonic() + LISTING_TTL_S + 5
    while True:  # a listing cached before the model arrived lives LISTING_TTL_S seconds
        try:
            expect(installed_table(page)).to_contain_text(PULLED, timeout=3_000)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()
            page.get_by_text("Loaded in memory").wait_for()
            wait_idle(page)
    full_page_screenshot(page, screenshots / "models-page.png")

    select(page, "Model to delete", PULLED)
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_text(f"Delete {PULLED}?")).to_be_visible()
    assert PULLED in installed_models(fake.url), "nothing is deleted before the confirmation"
    page.get_by_role("button", name=f"Yes, delete {PULLED}").click()
    expect(page.get_by_text(f"Deleted {PULLED}.")).to_be_visible()
    wait_idle(page)

    expect(installed_table(page)).not_to_contain_text(PULLED)
    expect(installed_table(page)).to_contain_text("llama3.2:3b")
    assert PULLED not in installed_models(fake.url)
    assert_no_exception(page)


# --- 2. Ollama not running ---------------------------------------------------------------------


def test_ollama_not_running_is_explained(
    app_without_ollama: tuple[str, str], browser: BrowserContext, tab: list[Page]
) -> None:
    url, host = app_without_ollama
    page = open_app(browser, url, "/", ready_text="How it works")
    tab.append(page)
    expect(metric(page, "Ollama")).to_contain_text("not running")
    assert_ollama_down(page, host)

    page.get_by_role("button", name="Retry").click()
    wait_idle(page)
    assert_ollama_down(page, host)

    go(page, "Hardware & models", "Memory each model needs")
    expect(metric(page, "Memory for models")).to_contain_text("GB")
    expect(page.get_by_text(" tier (quality about")).to_be_visible()
    assert_ollama_down(page, host)
    expect(page.get_by_text("Installed models")).to_have_count(0)

    go(page, "Generate", "Upload at least one file")
    assert_ollama_down(page, host)
    expect(page.get_by_role("button", name="Generate personas")).to_be_disabled()


# --- 3. Generate, download, History ------------------------------------------------------------


def test_generate_download_and_find_in_history(
    app: str, fake: Service, browser: BrowserContext, tab: list[Page], screenshots: Path
) -> None:
    page = open_app(browser, app, "/", ready_text="How it works")
    tab.append(page)
    go(page, "Generate", "Upload at least one file")

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in SAMPLES])
    expect(page.get_by_text(f"{len(SAMPLES)} of {len(SAMPLES)} files read")).to_be_visible()
    expect(page.get_by_text("Plan:")).to_be_visible()
    wait_idle(page)
    report = page.get_by_test_id("stDataFrame").first
    for sample in SAMPLES:
        expect(report).to_contain_text(sample.name)
    assert (report.text_content() or "").count("✅ read") == len(SAMPLES)

    generate = page.get_by_role("button", name="Generate personas")
    expect(generate).to_be_enabled()
    # the model answers with realistic personas quoting the samples (see SHOWCASE_PERSONAS)
    queued = requests.post(
        f"{fake.url}/_fake/replies", json={"replies": [showcase_reply()]}, timeout=5
    )
    assert queued.json() == {"queued": 1}
    generate.click()
    cards = page.locator("[class*='st-key-card_generated_']")
    expect(cards).to_have_count(3, timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)

    names = []
    for card in cards.all():
        name = card.locator("h3").first.inner_text().strip()
        assert name, "a card without a name"
        names.append(name)
        expect(card).to_contain_text("✓ in your data")
        assert "not found in your data" not in card.inner_text()
        assert "Unusable" not in card.inner_text()
    assert names == [p["name"] for p in SHOWCASE_PERSONAS["personas"]]
    summary = page.get_by_test_id("stAlert").filter(has_text="quotes in your data")
    expect(summary).to_contain_text(
        re.compile(r"3 usable personas of 3 · (\d+) of \1 quotes in your data")
    )

    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".json")
    data = json.loads(exported)
    run = Run.model_validate({key: value for key, value in data["run"].items() if key != "summary"})
    assert [p["name"] for p in data["personas"]] == names
    assert [record.current.name for record in run.records] == names
    assert all(e.verified for r in run.records for e in r.current.all_evidence())
    assert run.status == "complete"
    assert [f.name for f in run.files] == [p.name for p in SAMPLES]

    full_page_screenshot(page, screenshots / "generate-page.png")

    # a new session (reload) keeps the study (the address names it) and finds the run in History
    page.reload()
    page.get_by_text("What was read").wait_for()
    wait_idle(page)
    go(page, "History", "Runs are saved on this machine")
    table = page.get_by_test_id("stDataFrame").first
    for sample in SAMPLES:
        expect(table).to_contain_text(sample.name)
    expect(table).to_contain_text("✅ complete")
    for name in names:
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    assert_no_exception(page)
