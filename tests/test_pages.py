"""The dashboard's pages through Streamlit's AppTest, against the fake Ollama.

Each test runs the real entry point (``app.py``, with its ``st.navigation``) and switches to
the page under test: the pages use ``st.page_link`` to each other, which only resolves when
the navigation is registered, so a page file on its own is not a faithful harness.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from persona.core.safe_text import WORD_JOINER
from persona.engines.catalogue import TIERS
from persona.engines.inventory import install_steps
from persona.history.store import Store, history_path
from tests.browser import closed_url, free_port
from tests.fake_ollama import OLLAMA_VERSION, FakeOllama
from tests.survey_files import NAMED_SURVEY

pytestmark = pytest.mark.usefixtures("empty_caches")

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "persona" / "dashboard" / "app.py"
SAMPLES = sorted(
    p for p in (ROOT / "samples").rglob("*") if p.is_file() and "languages" not in p.parts
)
TIMEOUT_S = 20.0

EXCEL = ("survey.xls", b"\xd0\xcf\x11\xe0" + bytes(range(200)), "application/octet-stream")
"""An old binary Excel file: refused with the advice to save it as .xlsx."""
BINARY = ("notes.txt", bytes(range(256)) * 20, "text/plain")


# --- harness ---------------------------------------------------------------------------------


@pytest.fixture
def ollama(fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> FakeOllama:
    """Ollama is running (the fake, with its default models)."""
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    return fake_ollama


@pytest.fixture
def ollama_down(monkeypatch: pytest.MonkeyPatch) -> str:
    """Nothing answers at OLLAMA_HOST."""
    url = closed_url()
    monkeypatch.setenv("OLLAMA_HOST", url)
    return url


def assert_no_exception(at: AppTest) -> None:
    details = [f"{e.message}\n{''.join(e.stack_trace)}" for e in at.exception]
    assert not at.exception, "the page raised:\n" + "\n".join(details)


def open_page(page: str) -> AppTest:
    """Run the app (Home first, as a browser would), then switch to ``pages/<page>.py``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert_no_exception(at)
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
        assert_no_exception(at)
    return at


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """What a reader sees of ``markdown``: backslash escapes and word joiners removed."""
    text = _MARKDOWN_ESCAPE.sub(r"\1", markdown.replace("  \n", "\n"))
    return text.replace(WORD_JOINER, "")


def values(elements: object) -> list[str]:
    """The text of ``elements`` as shown (untrusted parts are escaped in the Markdown)."""
    return [shown(str(e.value)) for e in elements]  # type: ignore[attr-defined]


def button(at: AppTest, label: str) -> Button:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def assert_ollama_down_message(at: AppTest, host: str) -> None:
    errors = [e for e in values(at.error) if "Ollama is not running" in e]
    assert len(errors) == 1, values(at.error)
    assert host in errors[0]
    for number, step in enumerate(install_steps(), start=1):
        assert f"{number}. {step}" in errors[0]
    assert "Retry" in [b.label for b in at.button]


def sample_files() -> list[tuple[str, bytes, str]]:
    return [(p.name, p.read_bytes(), "text/plain") for p in SAMPLES]


def stored_runs(data: Path) -> Store:
    return Store(history_path(data))


def generate(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    """Upload ``files`` on the Generate page and press Generate."""
    at.file_uploader[0].set_value(files).run()
    assert_no_exception(at)
    generate_button = button(at, "Generate personas")
    assert not generate_button.disabled
    generate_button.click().run()
    assert_no_exception(at)
    return at


# --- Home --------------------------------------------------------------------------------------


def test_home_with_ollama_running(ollama: FakeOllama) -> None:
    at = open_page("home")

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ollama"] == f"running {OLLAMA_VERSION}"
    assert metrics["Models installed"] == str(len(ollama.model_names()))
    assert metrics["Recommended model"] in {tier.model for tier in TIERS}
    assert any("Ready" in s for s in values(at.success))
    assert not at.error
    assert "How it works" in values(at.subheader)


def test_home_with_ollama_down_then_retry_after_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("OLLAMA_HOST", host)
    at = open_page("home")

    assert {m.label: m.value for m in at.metric}["Ollama"] == "not running"
    assert_ollama_down_message(at, host)

    with FakeOllama(port=port):
        button(at, "Retry").click().run()
        assert_no_exception(at)
        assert {m.label: m.value for m in at.metric}["Ollama"] == f"running {OLLAMA_VERSION}"
        assert not any("Ollama is not running" in e for e in values(at.error))


def test_home_with_ollama_running_but_no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama(models=[]) as empty:
        monkeypatch.setenv("OLLAMA_HOST", empty.url)
        at = open_page("home")

    assert {m.label: m.value for m in at.metric}["Models installed"] == "0"
    assert any("no models yet" in i for i in values(at.info))


PAGES = ["home", "models", "generate", "compare", "history", "hybrid", "settings"]


@pytest.mark.usefixtures("without_builtin", "ollama_down")
@pytest.mark.parametrize("engine", ["ollama", "builtin"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_without_the_builtin_engine(
    page: str, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where llama-cpp-python could not be built, every page works; those that need a model
    say how to get one (Ollama, or the one-click install) instead of offering the demo."""
    monkeypatch.setenv("PERSONA_ENGINE", engine)
    at = open_page(page)
    labels = [b.label for b in at.button]
    assert "Use the built-in demo model" not in labels
    if page in ("home", "generate", "compare", "settings") or (page, engine) == (
        "models",
        "builtin",
    ):
        offers = [i for i in values(at.info) if "The built-in engine is not installed here" in i]
        assert len(offers) == 1, values(at.info)
        assert "install **Ollama** ([download](https://ollama.com/download))" in offers[0]
        assert labels.count("Install the built-in engine") == 1


# --- Hardware & models -------------------------------------------------------------------------

HARDWARE_METRICS = ["Memory for models", "RAM", "Accelerator", "CPU cores"]


def recommendation(at: AppTest) -> str:
    alerts = [a for a in values(at.success) + values(at.warning) if " tier (quality about" in a]
    assert len(alerts) == 1, values(at.success) + values(at.warning)
    return alerts[0]


def test_models_page_with_ollama_running(ollama: FakeOllama) -> None:
    at = open_page("models")

    assert [m.label for m in at.metric] == HARDWARE_METRICS
    assert all(m.value for m in at.metric)
    assert any(tier.model in recommendation(at) for tier in TIERS)
    installed = sorted(ollama.model_names())
    assert f"Installed models ({len(installed)})" in values(at.subheader)
    table = at.dataframe[0].value
    assert table["Model"].tolist() == installed
    assert set(table["Fit"]) <= {"fits", "tight", "won't fit"}
    assert table.loc[table["Model"] == "llama3.2:3b", "Parameters"].item() == "3.2B"
    assert "Loaded in memory" in values(at.subheader)
    assert not at.error


def test_models_page_with_ollama_down(ollama_down: str) -> None:
    at = open_page("models")

    assert [m.label for m in at.metric] == HARDWARE_METRICS
    assert any(tier.model in recommendation(at) for tier in TIERS)
    assert "Memory each model needs" in values(at.subheader)
    assert_ollama_down_message(at, ollama_down)
    assert not any(s.startswith("Installed models") for s in values(at.subheader))


def test_models_pull_downloads_the_model(ollama: FakeOllama) -> None:
    at = open_page("models")
    [name_input] = [t for t in at.text_input if t.label == "Model name"]
    name_input.set_value("llama3.2:1b")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)

    assert "llama3.2:1b" in ollama.model_names()
    assert [r.body["model"] for r in ollama.log("/api/pull")] == ["llama3.2:1b"]
    assert not at.error


def test_models_pull_then_lists_the_model_without_another_click(ollama: FakeOllama) -> None:
    """After a pull the page must show the model as installed, not the listing from before."""
    at = open_page("models")
    [name_input] = [t for t in at.text_input if t.label == "Model name"]
    name_input.set_value("llama3.2:1b")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)

    assert "llama3.2:1b is installed and ready." in values(at.success), (
        "the success message only appears after another interaction (no rerun after the pull)"
    )
    assert "llama3.2:1b" in at.dataframe[0].value["Model"].tolist()


def test_models_pull_of_an_unknown_model_explains(ollama: FakeOllama) -> None:
    at = open_page("models")
    [name_input] = [t for t in at.text_input if t.label == "Model name"]
    name_input.set_value("nosuch:1b")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)

    [error] = values(at.error)
    assert "no model called 'nosuch:1b'" in error
    assert "ollama.com/library" in error
    assert sorted(ollama.model_names()) == ["llama3.2:3b", "mistral:7b"]


def test_models_delete_asks_then_deletes(ollama: FakeOllama) -> None:
    at = open_page("models")
    at.selectbox(key="delete_model").set_value("mistral:7b").run()
    at.button(key="delete_ask").click().run()
    assert_no_exception(at)

    assert any(w.startswith("Delete **mistral:7b**?") for w in values(at.warning))
    assert "mistral:7b" in ollama.model_names(), "nothing is deleted before the confirmation"

    at.button(key="delete_yes").click().run()
    assert_no_exception(at)

    assert "mistral:7b" not in ollama.model_names()
    assert [r.body["model"] for r in ollama.log("/api/delete")] == ["mistral:7b"]
    assert "Deleted mistral:7b." in values(at.success)
    assert at.dataframe[0].value["Model"].tolist() == ["llama3.2:3b"]
    assert not any(w.startswith("Delete **") for w in values(at.warning))


def test_models_delete_can_be_called_off(ollama: FakeOllama) -> None:
    at = open_page("models")
    at.selectbox(key="delete_model").set_value("llama3.2:3b").run()
    at.button(key="delete_ask").click().run()
    at.button(key="delete_no").click().run()
    assert_no_exception(at)

    assert not ollama.log("/api/delete")
    assert sorted(ollama.model_names()) == ["llama3.2:3b", "mistral:7b"]
    assert not any(w.startswith("Delete **") for w in values(at.warning))


# --- Generate ----------------------------------------------------------------------------------


def test_generate_reports_files_plans_and_saves_personas(
    ollama: FakeOllama, data_dir: Path
) -> None:
    at = open_page("generate")
    at.file_uploader[0].set_value([*sample_files(), EXCEL, BINARY]).run()
    assert_no_exception(at)

    report = at.dataframe[0].value.set_index("File")
    good = [p.name for p in SAMPLES]
    assert list(report.index) == [*good, "survey.xls", "notes.txt"]
    assert (report.loc[good, "Status"] == "✅ read").all()
    assert (report.loc[good, "Characters"] > 0).all()
    assert (report.loc[["survey.xls", "notes.txt"], "Status"] == "❌ not read").all()
    errors = values(at.error)
    assert len(errors) == 2, errors
    assert "**survey.xls** was not read" in errors[0] and ".xlsx" in errors[0]
    assert "**notes.txt** was not read" in errors[1] and "binary data" in errors[1]
    assert any(
        c.startswith(f"{len(good)} of {len(good) + 2} files read") for c in values(at.caption)
    )
    [plan] = [i for i in values(at.info) if i.startswith("**Plan:**")]
    assert "call for the personas" in plan, plan

    model = next(s for s in at.selectbox if s.label == "Model")
    assert model.value in ollama.model_names()
    button(at, "Generate personas").click().run()
    assert_no_exception(at)

    # the run is in History, with the files that were read (not the ones that failed)
    [summary] = stored_runs(data_dir).list()
    assert summary.status == "complete"
    assert summary.persona_count == 3
    assert list(summary.file_names) == good
    assert summary.model == model.value
    run = stored_runs(data_dir).get(summary.id)
    assert at.session_state["current_run"] == run.id

    # the page shows it: one card per persona, evidence checked, exports offered
    assert "Personas" in values(at.subheader)
    names = [record.current.name for record in run.records]
    assert all(f"### {name}" in values(at.markdown) for name in names)
    assert any(c.endswith("✓ in your data") for c in values(at.caption))
    assert run.summary.text in values(at.info)
    assert [d.label for d in at.download_button] == [
        "Download JSON",
        "Download Markdown",
        "Download CSV",
        "Download PDF",
        "Download Word",
    ]

    # what Ollama was asked: the chosen model, a context sized by the plan, structured output
    [chat] = ollama.log("/api/chat") or ollama.log("/api/generate")
    assert chat.body["model"] == model.value
    assert chat.options["num_ctx"] == run.options.num_ctx
    assert isinstance(chat.body.get("format"), dict)
    assert not ollama.truncations()


def test_name_columns_are_offered_as_identifiers_and_never_reach_the_model(
    ollama: FakeOllama, data_dir: Path
) -> None:
    at = open_page("generate")
    at.file_uploader[0].set_value([("named.csv", NAMED_SURVEY.encode(), "text/csv")]).run()
    assert_no_exception(at)
    roles = {
        _MARKDOWN_ESCAPE.sub(r"\1", s.label): s  # the page escapes headers from the file
        for s in at.selectbox
        if s.key and s.key.startswith("role_")
    }
    for column in ("first_name", "Last Name", "E-mail"):
        assert roles[column].value == "private", column
        assert roles[column].format_func("private") == "Identifier: never sent to a model"
    assert roles["respondent_id"].value == "id"
    assert any("Identifiers (names, e-mail addresses" in c for c in values(at.caption))
    button(at, "Generate personas").click().run()
    assert_no_exception(at)
    # What Persona sent from the study: each request's messages up to the model's first own
    # answer (a repair echoes the fake's answer back, and the fake invents names like Okafor).
    sent = []
    for request in ollama.log("/api/chat") + ollama.log("/api/generate"):
        for message in request.body.get("messages") or [{"content": request.body.get("prompt")}]:
            if message.get("role") == "assistant":
                break
            sent.append(str(message.get("content")))
    asked = " ".join(sent)
    assert "the slots are gone by eight" in asked, "the answers were sent"
    for value in ("Osei", "Okafor", "Adeyemi", "malik@example.com", "first_name"):
        assert value not in asked, value


def test_generate_result_survives_a_rerun(ollama: FakeOllama, data_dir: Path) -> None:
    at = generate(open_page("generate"), sample_files())
    run_id = at.session_state["current_run"]
    at.slider[0].set_value(5).run()  # any other interaction
    assert_no_exception(at)

    assert at.session_state["current_run"] == run_id
    assert "Personas" in values(at.subheader)
    assert len(ollama.log("/api/chat") + ollama.log("/api/generate")) == 1, "no second run"


def test_generate_with_ollama_down(ollama_down: str) -> None:
    at = open_page("generate")
    at.file_uploader[0].set_value(sample_files()).run()
    assert_no_exception(at)

    assert (at.dataframe[0].value["Status"] == "✅ read").all(), "reading needs no Ollama"
    assert_ollama_down_message(at, ollama_down)
    assert at.button(key="retry_generate").label == "Retry"
    assert button(at, "Generate personas").disabled
    assert not any(i.startswith("**Plan:**") for i in values(at.info))


def test_generate_without_models_points_to_the_models_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeOllama(models=[]) as empty:
        monkeypatch.setenv("OLLAMA_HOST", empty.url)
        at = open_page("generate")
        at.file_uploader[0].set_value(sample_files()).run()
        assert_no_exception(at)

    assert any("No models are installed" in w for w in values(at.warning))
    assert button(at, "Generate personas").disabled


def test_generate_out_of_memory_is_explained_once(ollama: FakeOllama, data_dir: Path) -> None:
    ollama.set_scenario("oom")
    at = generate(open_page("generate"), sample_files())

    memory_errors = [e for e in values(at.error) if "more system memory" in e]
    assert memory_errors, values(at.error)
    [summary] = stored_runs(data_dir).list()
    assert summary.status == "failed"
    assert len(memory_errors) == 1, f"the same error is shown {len(memory_errors)} times"


# --- History -----------------------------------------------------------------------------------


def test_history_lists_renders_searches_and_deletes_a_run(
    ollama: FakeOllama, data_dir: Path
) -> None:
    at = generate(open_page("generate"), sample_files())
    [summary] = stored_runs(data_dir).list()
    run = stored_runs(data_dir).get(summary.id)

    at.switch_page("pages/history.py").run()
    assert_no_exception(at)
    table = at.dataframe[0].value
    assert len(table) == 1
    assert table["Personas"].tolist() == [run.summary.personas_text]  # "3 usable personas of 3"
    assert table["Evidence"].tolist() == [run.summary.quotes_text]
    assert run.summary.usable == 3
    assert table["Status"].tolist() == ["✅ complete"]
    assert table["Files"].tolist() == [", ".join(p.name for p in SAMPLES)]
    assert summary.title in values(at.subheader)
    cards = values(at.markdown)
    assert all(f"### {r.current.name}" in cards for r in run.records)
    assert [d.label for d in at.download_button] == [
        "Download JSON",
        "Download Markdown",
        "Download CSV",
        "Download PDF",
        "Download Word",
    ]

    # search
    [search] = [t for t in at.text_input if t.label == "Search"]
    search.set_value("no such persona").run()
    assert_no_exception(at)
    assert "No runs match “no such persona”." in values(at.info)
    search.set_value(run.records[0].current.name).run()
    assert_no_exception(at)
    assert len(at.dataframe[0].value) == 1
    search.set_value("").run()

    # Home lists it among the recent runs
    at.switch_page("pages/home.py").run()
    assert_no_exception(at)
    assert "Recent runs" in values(at.subheader)
    assert any(summary.title in m for m in values(at.markdown))

    # delete: select the run, ask, confirm
    at.switch_page("pages/history.py").run()
    assert at.button(key="history_delete").disabled, "nothing is selected yet"
    assert stored_runs(data_dir).list(), "nothing is deleted before the confirmation"


def test_history_empty(ollama_down: str) -> None:
    at = open_page("history")
    assert "No runs yet." in values(at.info)
    assert not at.dataframe


def test_generate_shows_and_changes_a_transcripts_interviewer(
    ollama: FakeOllama, data_dir: Path
) -> None:
    transcripts = ROOT / "tests" / "data" / "transcripts"
    files = [(n, (transcripts / n).read_bytes(), "text/vtt") for n in ("zoom.vtt", "meet.vtt")]
    at = open_page("generate")
    at.file_uploader[0].set_value(files).run()
    assert_no_exception(at)
    assert "Interviewers" in values(at.subheader)
    zoom = next(s for s in at.selectbox if shown(s.label) == "Interviewer in zoom.vtt")
    assert zoom.value == "Dana Whitfield" and zoom.options == [
        "Dana Whitfield",
        "Sam Ortiz",
        "Nobody: quote every speaker",
    ]
    assert any("interviewer: Dana Whitfield (asks the most" in w for w in values(at.warning)), (
        values(at.warning)
    )
    zoom.set_value("Sam Ortiz").run()
    assert_no_exception(at)
    assert any("interviewer: Sam Ortiz (chosen)" in w for w in values(at.warning))
    meet = next(s for s in at.selectbox if shown(s.label) == "Interviewer in meet.vtt")
    meet.set_value("").run()
    assert any(
        "meet.vtt**: transcript: 2 speakers" in w and "no interviewer" in w
        for w in values(at.warning)
    )
    button(at, "Generate personas").click().run()
    assert_no_exception(at)
    [summary] = stored_runs(data_dir).list()
    run = stored_runs(data_dir).get(summary.id)
    quotes = [ev for p in run.personas for ev in p.all_evidence()]
    assert quotes and all(ev.locator.count(":") == 2 for ev in quotes)
    sam = ("Mostly by bike", "I once stood", "One ticket")
    assert not any(ev.quote.startswith(sam) for ev in quotes), "the chosen interviewer is quoted"
    prompt = (ollama.log("/api/chat") or ollama.log("/api/generate"))[0].body
    assert "-->" not in str(prompt) and "WEBVTT" not in str(prompt)


# --- where drafts are made -------------------------------------------------------------------

REMOTE = "http://10.0.0.5:11434"


@pytest.fixture
def remote_ollama(fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Ollama on another machine: the fake, reached at 10.0.0.5:11434."""
    monkeypatch.setenv("OLLAMA_HOST", REMOTE)
    with fake_ollama.answering_at(REMOTE):
        yield REMOTE


def page_text(at: AppTest) -> str:
    elements = [*at.markdown, *at.caption, *at.info, *at.title, *at.subheader]
    return "\n".join(values(elements))


@pytest.mark.parametrize("page", ["home", "generate", "compare", "models"])
def test_every_page_says_where_drafts_are_made(page: str, remote_ollama: str) -> None:
    text = page_text(open_page(page))
    assert "on 10.0.0.5:11434" in text, text  # shown unescaped
    for local in ("made on this machine", "running on this machine", "not sent anywhere"):
        assert local not in text, text
    assert "nothing leaves this machine" not in text


@pytest.mark.parametrize("page", ["home", "generate", "compare"])
def test_with_a_local_engine_the_pages_say_this_machine(page: str, ollama: FakeOllama) -> None:
    text = page_text(open_page(page))
    assert "on this machine" in text and "10.0.0.5" not in text
