"""A newcomer without Ollama: the dashboard in a real browser makes personas with the built-in
demo model (SmolLM2-135M in the Streamlit process), and the Settings page works.

``OLLAMA_HOST`` points at a closed port: nothing answers there at any time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from persona.engines.builtin import LABEL, demo_model_name
from persona.history.store import Store, history_path
from tests.browser import (
    ROOT,
    Service,
    closed_url,
    go,
    open_app,
    start_streamlit,
    wait_idle,
)
from tests.test_browser import assert_no_exception, warm_up_or_explain

pytestmark = [pytest.mark.browser, pytest.mark.realmodel]

SAMPLE = ROOT / "samples" / "interviews" / "03_priya_nair.md"
GENERATION_TIMEOUT_MS = 900_000
"""SmolLM2 writes ~100 tokens/s on a quiet CPU; a loaded CI machine can be 20x slower."""


@pytest.fixture(scope="module")
def no_ollama(
    browser: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, Path]]:
    data = tmp_path_factory.mktemp("no-ollama-builtin")
    server = start_streamlit(ollama_host=closed_url(), data_dir=data)
    try:
        warm_up_or_explain(browser, server)
        yield server, data
    finally:
        server.stop()


def test_personas_without_ollama_from_the_demo_model(
    no_ollama: tuple[Service, Path], browser: BrowserContext, tab: list[Page]
) -> None:
    server, data = no_ollama
    page = open_app(browser, server.url, "/", ready_text="How it works")
    tab.append(page)
    expect(page.get_by_text("Try it now with the built-in demo model")).to_be_visible()
    expect(page.get_by_text("install Ollama for real results")).to_be_visible()
    page.get_by_role("button", name="Use the built-in demo model").click()
    expect(page.get_by_text("Ready with the built-in engine")).to_be_visible()
    wait_idle(page)

    go(page, "Generate", "Upload at least one file")
    expect(page.get_by_text("Engine: Built-in engine")).to_be_visible()
    expect(page.get_by_role("combobox", name="Model")).to_have_value(demo_model_name())
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(SAMPLE)])
    expect(page.get_by_text("1 of 1 files read")).to_be_visible()
    expect(page.get_by_text("Plan:")).to_be_visible()
    wait_idle(page)
    slider = page.get_by_role("slider", name="Number of personas").first  # 3 → 1
    slider.focus()
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    expect(slider).to_have_value("1")
    wait_idle(page)

    page.get_by_role("button", name="Generate personas").click()
    outcome = page.locator("[class*='st-key-card_generated_']").or_(
        page.get_by_text("kept for inspection")
    )
    outcome.first.wait_for(timeout=GENERATION_TIMEOUT_MS)
    wait_idle(page, timeout_ms=60_000)
    assert_no_exception(page)
    body = page.locator("body").inner_text()
    assert "Ollama is not running" not in body, "the run must not touch Ollama"
    assert re.search(rf"{re.escape(demo_model_name())} on {LABEL}", body), body[:2000]

    (summary,) = Store(history_path(data)).list()
    run = Store(history_path(data)).get(summary.id)
    assert run.engine.startswith(LABEL) and run.model == demo_model_name()
    assert [f.name for f in run.files] == [SAMPLE.name]
    if run.records:  # personas: each quote was checked against the upload
        assert run.status in ("complete", "partial")
        cards = page.locator("[class*='st-key-card_generated_']")
        expect(cards).to_have_count(len(run.records))
        assert all(e.verified is not None for r in run.records for e in r.current.all_evidence())
    else:  # the tiny model failed: a clear message, the answers kept
        assert run.status == "failed" and run.raw_answers


def test_settings_page_tests_the_connection(
    no_ollama: tuple[Service, Path], browser: BrowserContext, tab: list[Page]
) -> None:
    server, data = no_ollama
    page = open_app(browser, server.url, "/", ready_text="How it works")
    tab.append(page)
    go(page, "Settings", "Test connection")
    page.get_by_role("button", name="Test connection").click()
    wait_idle(page)
    expect(page.get_by_text("Ollama is not running, or not reachable")).to_be_visible()
    page.get_by_test_id("stRadio").get_by_text("Built-in engine", exact=True).click()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    assert 'engine = "builtin"' in (data / "settings.toml").read_text(encoding="utf-8")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text(f"Connected to {LABEL}")).to_be_visible()
    assert_no_exception(page)
