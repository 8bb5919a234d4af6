"""Real browser: a newcomer tries the sample study in one click, sees the estimate before the
run and progress in words during it — never the model's raw answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from persona.history.store import Store, history_path
from persona.ingest.sample import SAMPLE_STUDY, sample_files
from tests.browser import (
    dashboard_on_fake_ollama,
    full_page_screenshot,
    open_app,
    wait_idle,
    warm_browser,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

RECORD_RAW_TEXT = """() => {
  window.__raw = [];
  const record = () => {
    const inBox = "[data-testid='stExpander'] [data-testid='stCode']";
    for (const box of document.querySelectorAll(inBox)) {
      window.__raw.push(box.innerText.slice(0, 80));
    }
  };
  new MutationObserver(record).observe(
    document.body, {subtree: true, childList: true, characterData: true});
}"""
"""Records any code block (the model's streamed JSON) drawn inside the progress box."""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("sample-data")
    with dashboard_on_fake_ollama(data_dir, pull_delay=0.0, token_delay=0.01) as url:
        yield url, data_dir


@pytest.fixture(scope="module")
def browser(services: tuple[str, Path]) -> Iterator[BrowserContext]:
    with warm_browser(services[0]) as context:
        yield context


def test_try_the_sample_study_from_generate(
    services: tuple[str, Path], browser: BrowserContext, tmp_path: Path
) -> None:
    url, data_dir = services
    page = open_app(browser, url, "/generate", ready_text="try the sample study")
    page.get_by_role("button", name="Try it with a sample study").click()
    expect(page.get_by_text("What was read")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    for name, _ in sample_files():
        expect(table).to_contain_text(name)
    expect(page.get_by_text("3 of 3 files read")).to_be_visible()
    expect(page.get_by_text("a cautious guess").first).to_be_visible()
    wait_idle(page)

    page.evaluate(RECORD_RAW_TEXT)
    page.get_by_role("button", name="Generate personas").click()
    expect(page.get_by_text("Who the personas represent")).to_be_visible(timeout=90_000)
    wait_idle(page)
    raw = page.evaluate("window.__raw")
    assert raw == [], f"the model's raw answer was shown while generating: {raw[:3]}"
    full_page_screenshot(page, tmp_path / "sample-study.png")
    [summary] = Store(history_path(data_dir)).list()
    assert summary.study == SAMPLE_STUDY and summary.persona_count >= 1
