"""Real browser: a study made by uploading once on Generate is used by every page; its
transcripts are searched, a hit read in context, and an interrupted run resumed in one click."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from persona import api
from persona.core.errors import OllamaUnreachable, PersonaError
from persona.history.store import Store, history_path
from tests.browser import ROOT, dashboard_on_fake_ollama, go, open_app, wait_idle, warm_browser
from tests.fakes import ScriptedEngine

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)

INTERVIEWS = sorted((ROOT / "samples" / "interviews").iterdir())
STUDY = "Grocery study"
MODEL = "llama3.2:3b"  # one the fake Ollama lists, so the dashboard can resume with it


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("studies-data")
    with dashboard_on_fake_ollama(data_dir, pull_delay=0.0) as url:
        yield url, data_dir


@pytest.fixture(scope="module")
def browser(services: tuple[str, Path]) -> Iterator[BrowserContext]:
    with warm_browser(services[0]) as context:
        yield context


def no_error(page: Page) -> None:
    assert not re.search(r"Traceback|\w+Error:", page.locator("body").inner_text())


def picked_study(page: Page) -> str:
    return page.get_by_role("combobox", name="Current study", exact=True).input_value()


def interrupt_a_run(store: Store) -> str:
    """A run of the study that failed after its findings were saved (the model went away
    before the personas): the kind History and Generate offer to resume."""
    reading = api.study_reading(STUDY, store=store)
    gone = {"on": False}

    def fail(prompt: str) -> Exception | None:
        gone["on"] = gone["on"] or "Write 1 persona " in prompt or "Write 2 personas " in prompt
        return OllamaUnreachable("http://127.0.0.1:9") if gone["on"] else None

    job = api.generate(
        reading,
        MODEL,
        count=2,
        engine=ScriptedEngine(context_length=2048, fail=fail),
        store=store,
        study=STUDY,
        max_repairs=0,
        chunk_retries=0,
    )
    with pytest.raises(PersonaError):
        job.wait()
    run = store.get(job.run.id)
    assert run.status == "failed" and api.can_resume(run, store), run.message
    return run.id


def test_a_study_uploaded_once_serves_every_page(
    services: tuple[str, Path], browser: BrowserContext
) -> None:
    url, data_dir = services
    store = Store(history_path(data_dir))

    # --- create the study by uploading on Generate, and generate in it -------------
    page = open_app(browser, url, "/generate", ready_text="Research files for a new study")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in INTERVIEWS])
    expect(page.get_by_text(f"{len(INTERVIEWS)} of {len(INTERVIEWS)} files read")).to_be_visible()
    page.get_by_label("Study", exact=True).fill(STUDY)
    page.get_by_label("Study", exact=True).press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Generate personas").click()
    expect(page.locator("[class*='st-key-card_generated_']").first).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert picked_study(page) == STUDY
    assert parse_qs(urlparse(page.url).query)["study"] == [STUDY]
    kept = api.study(STUDY, store=store)
    assert sorted(f.name for f in kept.files) == sorted(p.name for p in INTERVIEWS)
    assert all(f.path.is_file() and f.path.is_relative_to(data_dir) for f in kept.files)
    [made] = store.list(study=STUDY)

    # --- History and Compare work on it without uploading again -------------------
    go(page, "History", "Runs are saved on this machine")
    expect(page.get_by_text(f"{STUDY} · 1 run", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Study", exact=True)).to_have_value(STUDY)
    go(page, "Compare", "Compare models")
    expect(page.get_by_text(f"Comparing on “{STUDY}”")).to_be_visible()
    assert page.get_by_test_id("stFileUploaderDropzoneInput").count() == 0
    go(page, "Generate", "Generate personas")
    expect(page.get_by_text(f"{len(INTERVIEWS)} of {len(INTERVIEWS)} files read")).to_be_visible()
    expect(page.get_by_role("button", name="Generate personas")).to_be_enabled()
    assert picked_study(page) == STUDY

    # --- a reload keeps the study (the address carries it) ---------------------------
    page.reload()
    page.get_by_text("Generate personas").first.wait_for()
    wait_idle(page)
    assert picked_study(page) == STUDY

    # --- search its transcripts, open a hit in context -----------------------------
    go(page, "Study", "Files, search")
    search = page.get_by_role("textbox", name=f"Search “{STUDY}”", exact=True)
    search.fill("substitution*")
    search.press("Enter")
    wait_idle(page)
    hits = api.search_study(STUDY, "substitution*", store=store)
    assert hits
    expect(page.get_by_text(re.compile(r"^\d+ passages? found"))).to_be_visible()
    first = page.get_by_role("button", name="Read in context").first
    first.click()
    dialog = page.get_by_role("dialog").filter(has_text="Passage in context")
    expect(dialog).to_contain_text(f"{hits[0].file} · {hits[0].locator}")
    highlighted = dialog.locator("span[class*='stMarkdownColoredBackground']")
    expect(highlighted.first).to_be_visible()
    no_error(page)
    page.keyboard.press("Escape")

    # --- resume an interrupted run with one click from History ---------------------
    stopped = interrupt_a_run(store)
    go(page, "History", "Runs are saved on this machine")
    expect(page.get_by_text(f"{STUDY} · 2 runs", exact=True)).to_be_visible()
    page.get_by_role("button", name="Resume this run").click()
    expect(page.get_by_text("The run was resumed")).to_be_visible(timeout=60_000)
    done = store.get(stopped)
    assert done.status in ("complete", "partial") and done.records
    assert store.get(made.id).status in ("complete", "partial")
    no_error(page)
