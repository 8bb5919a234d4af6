"""Real browser: a Qualtrics .xlsx with the column preview, quotes in context, History
grouped by study with status filters and bulk delete, and a study uploaded once that every
page uses: searched, a hit read in context, an interrupted run resumed in one click."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from persona import api
from persona.core.records import PersonaRecord, Run
from persona.core.schema import Claim, Evidence, Persona
from persona.history.store import Store, history_path
from tests.browser import (
    ROOT,
    dashboard_on_fake_ollama,
    full_page_screenshot,
    go,
    open_app,
    wait_idle,
    warm_browser,
)
from tests.fakes import interrupted_run
from tests.survey_files import QUALTRICS_RESPONSES, qualtrics_xlsx
from tests.test_browser import select

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)

INTERVIEWS = sorted((ROOT / "samples" / "interviews").iterdir())
NEVER_QUOTED = [
    *(r[0] for r in QUALTRICS_RESPONSES),  # respondent IDs
    *(r[3] for r in QUALTRICS_RESPONSES),  # Likert answers
    *(r[6] for r in QUALTRICS_RESPONSES if r[6]),  # the column set to "Ignore"
    "192.0.2.",
    "2026-03-02",
]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("workflow-data")
    with dashboard_on_fake_ollama(data_dir, pull_delay=0.0) as url:
        yield url, data_dir


@pytest.fixture(scope="module")
def browser(services: tuple[str, Path]) -> Iterator[BrowserContext]:
    with warm_browser(services[0]) as context:
        yield context


def test_qualtrics_columns_generate_and_read_a_quote_in_context(
    services: tuple[str, Path], browser: BrowserContext, tmp_path: Path, screenshots: Path
) -> None:
    url, data_dir = services
    survey = tmp_path / "grocery_survey.xlsx"
    survey.write_bytes(qualtrics_xlsx())
    page = open_app(browser, url, "/generate", ready_text="Upload at least one file")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(survey)])
    expect(page.get_by_text("Columns of grocery_survey.xlsx")).to_be_visible()
    expect(page.get_by_text("recognised a Qualtrics export").first).to_be_visible()
    wait_idle(page)
    for column, role in (
        ("ResponseId", "Respondent ID"),
        ("Q3", "About the respondent (never quoted)"),
        ("StartDate", "Ignore"),
        ("Q5", "Free-text answer (quoted)"),
    ):
        expect(page.get_by_role("combobox", name=column, exact=True)).to_have_value(role)
    select(page, "Q6", "Ignore")
    page.get_by_label("Study", exact=True).fill("Grocery pilot")
    page.get_by_label("Study", exact=True).press("Enter")
    wait_idle(page)
    expect(page.get_by_text("1 of 1 files read")).to_be_visible()
    full_page_screenshot(page, screenshots / "column-preview.png")

    page.get_by_role("button", name="Generate personas").click()
    cards = page.locator("[class*='st-key-card_generated_']")
    expect(cards.first).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_text("Show all quotes").click()
    wait_idle(page)
    quotes = [
        q.inner_text().strip()
        for q in page.locator("[class*='st-key-card_generated_'] blockquote").all()
    ]
    assert quotes, "the cards show quotes"
    answers = {r[5] for r in QUALTRICS_RESPONSES}
    for quote in quotes:
        for value in NEVER_QUOTED:
            assert value not in quote, (value, quote)
        assert any(answer in quote for answer in answers), quote

    [summary] = Store(history_path(data_dir)).list(study="Grocery pilot")
    run = Store(history_path(data_dir)).get(summary.id)
    assert run.options.columns["grocery_survey.xlsx"]["roles"]["Q6"] == "ignore"

    page.get_by_role("button", name="Read in context").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(
        "Question asked: What frustrates you most about grocery delivery?"
    )
    expect(dialog).to_contain_text("This respondent's answers")
    expect(dialog).to_contain_text("About the respondent: How old are you?")
    highlighted = dialog.locator(
        "span[class*='stMarkdownColoredBackground'], mark, span[style*='background']"
    )
    assert highlighted.count() >= 1
    assert any(answer in dialog.inner_text() for answer in answers)


def _persona(name: str, quote: str, claim: str) -> Persona:
    evidence = Evidence(quote=quote, source="notes.md", locator="line 1", verified=True)
    return Persona(
        name=name,
        age="30",
        role="Researcher",
        bio=f"{name} works on a study.",
        goals=[Claim(text=claim, evidence=[evidence])],
        pain_points=[Claim(text="Too many runs", evidence=[evidence])],
        behaviours=[Claim(text="Groups runs", evidence=[evidence])],
        quote=evidence,
    )


def test_history_groups_filters_and_deletes_in_bulk(
    services: tuple[str, Path], browser: BrowserContext, screenshots: Path
) -> None:
    url, data_dir = services
    store = Store(history_path(data_dir))
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    seeded = {
        "bank-1": ("Banking app", "complete", "Ada Byrne", "the overdraft fee surprised me"),
        "bank-2": ("Banking app", "failed", "", ""),
        "bank-3": ("Banking app", "complete", "Ben Ode", "I check my balance every morning"),
        "shop-1": ("Shoe shop", "complete", "Cleo Marsh", "the sizes never fit online"),
    }
    ids = {}
    for number, (key, (study, status, name, quote)) in enumerate(seeded.items()):
        records = [PersonaRecord(draft=_persona(name, quote, f"Goal of {name}"))] if name else []
        run = Run(
            model="llama3.2:3b",
            study=study,
            status=status,  # type: ignore[arg-type]
            message="The model could not be reached." if status == "failed" else "",
            created_at=start + timedelta(minutes=number),
            records=records,
        )
        store.save(run)
        ids[key] = run.id

    page = open_app(browser, url, "/history", ready_text="Runs are saved on this machine")
    for heading in ("Banking app · 3 runs", "Shoe shop · 1 run"):
        expect(page.get_by_text(heading, exact=True)).to_be_visible()

    # filter by status: hide failed runs
    page.get_by_role("toolbar", name="Status").get_by_role("button", name="failed").click()
    wait_idle(page)
    expect(page.get_by_text("Banking app · 2 runs", exact=True)).to_be_visible()

    # search a quote
    search = page.get_by_role("textbox", name="Search", exact=True)
    search.fill("overdraft")
    search.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Banking app · 1 run", exact=True)).to_be_visible()
    expect(page.get_by_text("Shoe shop · 1 run", exact=True)).to_have_count(0)
    search.fill("")
    search.press("Enter")
    wait_idle(page)
    page.get_by_role("toolbar", name="Status").get_by_role("button", name="failed").click()
    wait_idle(page)
    expect(page.get_by_text("Banking app · 3 runs", exact=True)).to_be_visible()

    # select the two newest Banking runs (Ben's and the failed one) and delete them together
    grid = page.get_by_test_id("stDataFrame").filter(has_text="Banking app · Ben Ode")
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    for row in (0, 1):  # the row markers of the first two rows (35 px rows under a header)
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * row + 17)
        wait_idle(page)
    expect(page.get_by_text("2 runs selected")).to_be_visible()
    page.get_by_role("button", name="Delete 2 selected…").click()
    wait_idle(page)
    expect(
        page.get_by_text("Delete 2 run(s) and their personas from this machine?")
    ).to_be_visible()
    assert len(store.list(study="Banking app")) == 3, "nothing is deleted before confirming"
    full_page_screenshot(page, screenshots / "history-studies.png")
    page.get_by_role("button", name="Yes, delete 2 run(s)").click()
    expect(page.get_by_text("Deleted 2 run(s).")).to_be_visible()
    left = {s.id for s in store.list(study="Banking app")}
    assert left == {ids["bank-1"]}
    expect(page.get_by_text("Banking app · 1 run", exact=True)).to_be_visible()
    assert {s.id for s in store.list(study="Shoe shop")} == {ids["shop-1"]}
    assert not re.search(r"Traceback|\w+Error:", page.locator("body").inner_text())


def test_a_chat_answers_quotes_open_in_their_context(
    services: tuple[str, Path], browser: BrowserContext
) -> None:
    url, data_dir = services
    page = open_app(browser, url, "/generate", ready_text="Upload at least one file")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in INTERVIEWS])
    expect(page.get_by_text(f"{len(INTERVIEWS)} of {len(INTERVIEWS)} files read")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name="Generate personas").click()
    expect(page.locator("[class*='st-key-card_generated_']").first).to_be_visible(timeout=60_000)
    wait_idle(page)
    chat = page.locator(".st-key-chat_generated")
    box = chat.get_by_test_id("stChatInputTextArea")
    box.fill("What goes wrong with substitutions?")
    box.press("Enter")
    buttons = chat.get_by_role("button", name="Read in context")
    expect(buttons.first).to_be_visible(timeout=30_000)
    wait_idle(page)
    run_id = next(s.id for s in Store(history_path(data_dir)).list() if s.study != "Grocery pilot")
    [turn] = Store(history_path(data_dir)).conversation(run_id, 0)
    assert turn.supported and buttons.count() == len(turn.cited)

    quote = turn.cited[0]
    buttons.first.click()
    dialog = page.get_by_role("dialog").filter(has_text="Quote in context")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"{quote.source} · {quote.locator}")
    expect(dialog).to_contain_text("Question asked:")
    highlighted = dialog.locator("span[class*='stMarkdownColoredBackground']")
    expect(highlighted.first).to_be_visible()
    assert " ".join(quote.text.split()) in " ".join(highlighted.first.inner_text().split())
    labels = dialog.get_by_text(re.compile(r"^line \d+ · ")).all()
    assert len(labels) >= 2, "the turns around the quote are shown too"
    assert not re.search(r"Traceback|\w+Error:", dialog.inner_text())


# --- a study is a place on this machine ------------------------------------------------------

STUDY = "Grocery study"
MODEL = "llama3.2:3b"  # one the fake Ollama lists, so the dashboard can resume with it


def no_error(page: Page) -> None:
    assert not re.search(r"Traceback|\w+Error:", page.locator("body").inner_text())


def picked_study(page: Page) -> str:
    return page.get_by_role("combobox", name="Current study", exact=True).input_value()


def test_a_study_uploaded_once_serves_every_page(
    services: tuple[str, Path], browser: BrowserContext
) -> None:
    url, data_dir = services
    store = Store(history_path(data_dir))

    # --- create the study by uploading on Generate, and generate in it -------------
    page = open_app(browser, url, "/generate", ready_text="Research files for a new study")
    picker = page.get_by_role("combobox", name="Current study", exact=True)
    expect(picker).to_have_attribute("placeholder", "No study chosen")  # not "Choose an option"
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
    go(page, "Study", "copies kept in Persona")
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
    stopped = interrupted_run(STUDY, MODEL, store)
    go(page, "History", "Runs are saved on this machine")
    expect(page.get_by_text(f"{STUDY} · 2 runs", exact=True)).to_be_visible()
    page.get_by_role("button", name="Resume this run").click()
    expect(page.get_by_text("The run was resumed")).to_be_visible(timeout=60_000)
    done = store.get(stopped)
    assert done.status in ("complete", "partial") and done.records
    assert store.get(made.id).status in ("complete", "partial")
    no_error(page)
