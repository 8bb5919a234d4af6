"""Real browser: draft → consent → refine → diff → accept, and nothing personal on the wire."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from tests.browser import (
    ROOT,
    Service,
    full_page_screenshot,
    go,
    open_app,
    start_fake_anthropic,
    start_fake_ollama,
    start_streamlit,
    wait_idle,
    warm_up,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)

KEY = "sk-ant-browser-secret-42"
SAMPLES = sorted(
    p
    for p in (ROOT / "samples").rglob("*")
    if p.is_file() and p.suffix != ".py" and "languages" not in p.parts
)
PII = ["Maria Gonzalez", "Tom Becker", "Priya Nair", "Zoë", "@example", KEY]


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> Iterator[tuple[str, Service]]:
    ollama = start_fake_ollama(pull_delay=0.0)
    claude = start_fake_anthropic(KEY)
    app = start_streamlit(
        ollama_host=ollama.url,
        data_dir=tmp_path_factory.mktemp("hybrid-data"),
        extra_env={"ANTHROPIC_BASE_URL": claude.url, "ANTHROPIC_API_KEY": ""},
    )
    try:
        yield app.url, claude
    finally:
        for service in (app, claude, ollama):
            service.stop()


def test_draft_consent_refine_diff_accept(services, browser, screenshots):
    url, claude = services
    warm_up(browser, url)
    page = open_app(browser, url, "/generate", ready_text="Upload at least one file")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in SAMPLES])
    expect(page.get_by_text("4 of 4 files read")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Create the study")).click()
    expect(page.get_by_text("Created the study")).to_be_visible()
    go(page, "Hybrid", "local draft, Claude polish")  # the study's files: no upload here
    expect(page.get_by_text("4 of 4 files read")).to_be_visible()
    key_field = page.get_by_label("Anthropic API key", exact=True).and_(
        page.locator("input[type='password']")
    )
    key_field.fill(KEY)
    key_field.press("Enter")
    wait_idle(page)
    page.get_by_text("Refine every draft").click()
    wait_idle(page)
    page.get_by_role("button", name="Draft personas locally").click()
    expect(page.get_by_text("2 · Review what would be sent")).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert requests.get(f"{claude.url}/_fake/requests?path=/v1/messages", timeout=5).json() == []

    page.get_by_text("Exactly what is sent for").first.click()
    highlighted = page.locator("[data-testid='stExpander'] [data-testid='stMarkdownContainer']")
    expect(highlighted.get_by_text("[PERSON_1]").first).to_be_visible()
    page.get_by_role("tab", name="Exact text").first.click()
    payload = page.locator("[data-testid='stCode']").first.inner_text()
    assert "[PERSON_" in payload and '"passages":[' in payload
    assert "never type a quote" in page.get_by_text("Sent for each draft").inner_text()
    for secret in PII:
        assert secret not in payload

    full_page_screenshot(page, screenshots / "hybrid-consent.png")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    page.get_by_text("I agree to send").click()
    wait_idle(page)
    expect(send).to_be_enabled()
    send.click()
    expect(page.get_by_text("3 · What changed")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.locator("ins").first).to_be_visible()
    assert "They judge every new tool" in page.locator("ins").first.inner_text() + "".join(
        page.locator("ins").all_inner_texts()
    )
    full_page_screenshot(page, screenshots / "hybrid-page.png")

    page.get_by_role("button", name="Save this choice").first.click()
    expect(page.get_by_text("Saved to History")).to_be_visible()

    sent = requests.get(f"{claude.url}/_fake/requests", timeout=5).json()
    messages = [r for r in sent if r["path"] == "/v1/messages"]
    assert len(messages) == 1  # the three drafts went in one request (the batched plan)
    assert '"drafts"' in messages[0]["body"]["messages"][0]["content"]
    for request in sent:
        body = json.dumps(request.get("body"), ensure_ascii=False) + str(request.get("raw", ""))
        for secret in PII:
            assert secret not in body, f"{secret!r} reached the fake Anthropic API"
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers.get("authorization") == f"Bearer {KEY}"


def test_opening_the_page_with_a_key_sends_nothing_until_asked(tmp_path, browser):
    ollama = start_fake_ollama(pull_delay=0.0)
    claude = start_fake_anthropic(KEY)
    app = start_streamlit(
        ollama_host=ollama.url,
        data_dir=tmp_path / "data",
        extra_env={"ANTHROPIC_BASE_URL": claude.url, "ANTHROPIC_API_KEY": KEY},
    )
    try:
        page = open_app(browser, app.url, "/hybrid", ready_text="Hybrid: local draft")
        expect(page.get_by_text("configured")).to_be_visible()
        wait_idle(page)
        page.reload()
        expect(page.get_by_text("Built-in model list")).to_be_visible()
        wait_idle(page)
        assert requests.get(f"{claude.url}/_fake/requests", timeout=5).json() == []
        page.get_by_role("button", name="Load models from Anthropic").click()
        expect(page.get_by_text("Built-in model list")).to_be_hidden()
        sent = requests.get(f"{claude.url}/_fake/requests", timeout=5).json()
        assert [(r["method"], r["path"]) for r in sent] == [("GET", "/v1/models")]
    finally:
        for service in (app, claude, ollama):
            service.stop()
