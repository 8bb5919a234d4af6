"""Coverage, chat and comparison on the dashboard (AppTest against the fake Ollama)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from persona import api
from persona.chat.persona_chat import DECLINE, SEARCHED
from persona.core.safe_text import escape_markdown
from persona.dashboard.ui.study import CURRENT
from persona.history.store import Store, history_path
from tests.fake_ollama import BrainRequest, FakeOllama, SchemaBrain

pytestmark = pytest.mark.usefixtures("empty_caches")

ROOT = Path(__file__).resolve().parents[1]
INTERVIEWS = sorted((ROOT / "samples" / "interviews").iterdir())
TIMEOUT_S = 30.0


@pytest.fixture
def ollama(fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> FakeOllama:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    return fake_ollama


def files(paths: list[Path]) -> list[tuple[str, bytes, str]]:
    return [(p.name, p.read_bytes(), "text/plain") for p in paths]


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(
        str(ROOT / "persona" / "dashboard" / "app.py"), default_timeout=TIMEOUT_S
    )
    no_exception(at.run())
    return no_exception(at.switch_page(f"pages/{page}.py").run())


def click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return no_exception(button.click().run())


def markdown(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.markdown]


def generated(at: AppTest) -> AppTest:
    no_exception(at.file_uploader[0].set_value(files(INTERVIEWS)).run())
    return click(at, "Generate personas")


def test_generate_shows_coverage_and_answers_a_question_with_quotes(
    ollama: FakeOllama, data_dir: Path
) -> None:
    at = generated(open_page("generate"))
    assert "Who the personas represent" in [s.value for s in at.subheader]
    assert any("represented" in str(m.value) for m in [*at.warning, *at.success])
    assert len(at.dataframe) >= 3  # the report, the shares, the overlap matrix
    [run_summary] = Store(history_path(data_dir)).list()

    at.chat_input[0].set_value("What goes wrong with substitutions?")
    no_exception(at.run())
    calls = ollama.log("/api/chat")
    assert calls[-1].body["format"]["properties"]["cited"]["items"]["enum"]
    [turn] = Store(history_path(data_dir)).conversation(run_summary.id, 0)
    assert turn.supported and turn.cited
    shown = markdown(at)
    for quote in turn.cited:  # every cited passage is on the page, word for word (escaped)
        assert "> " + escape_markdown(quote.text) in shown

    at.chat_input[0].set_value("Which football team do you support?")
    no_exception(at.run())
    assert escape_markdown(DECLINE) in markdown(at)
    assert len(Store(history_path(data_dir)).conversation(run_summary.id, 0)) == 2


def test_an_invented_answer_is_never_shown_and_the_page_says_why(
    ollama: FakeOllama, data_dir: Path
) -> None:
    at = generated(open_page("generate"))
    [run_summary] = Store(history_path(data_dir)).list()
    invented = "I pay 45 euros every month, and my brother Joaquim works at Siemens."

    def inventing(request: BrainRequest) -> str:  # claims support and cites a real passage
        given = request.format["properties"]["cited"]["items"]["enum"]
        return json.dumps({"supported": True, "answer": invented, "cited": given[:1]})

    ollama.brain = inventing
    at.chat_input[0].set_value("How much do you pay for a delivery?")
    no_exception(at.run())
    [turn] = Store(history_path(data_dir)).conversation(run_summary.id, 0)
    assert not turn.supported and turn.answer == DECLINE and turn.nearest
    why = "The answer mentions “45”, “Joaquim”, “Siemens”, which the passages it cites do not"
    assert why in turn.note
    assert escape_markdown(DECLINE) in markdown(at)
    assert escape_markdown(f"Why: {turn.note}") in [str(c.value) for c in at.caption]
    assert not any("Joaquim" in text for text in markdown(at))


_DATA_LINE = re.compile(r"^(?P<id>P\d+) (?:\w+: )?(?P<text>.{20,})$", re.M)


def passage_personas(request: BrainRequest) -> str:
    """Personas whose every claim is the words of the passage it cites (for tests about
    something else than persona quality): what a good model would write, in the study's
    language; any other call goes to the schema brain."""
    if "personas" not in json.dumps(request.format or {}):
        return SchemaBrain()(request)
    lines = [(m["id"], m["text"].strip()) for m in _DATA_LINE.finditer(request.user_text)]
    wanted = request.format["properties"]["personas"].get("minItems", 1)
    personas = []
    for n in range(wanted):
        mine = lines[n * 4 : n * 4 + 4]
        claim = [{"text": text, "passages": [pid]} for pid, text in mine]
        personas.append(
            {
                "name": ["Lena Vogt", "Jonas Brandt", "Mira Kaya"][n % 3],
                "age": "30-40",
                "role": ["Berufstätige Mutter", "Student", "Rentnerin"][n % 3],
                "bio": "Bestellt Lebensmittel online. Plant den Einkauf für die Woche.",
                "goals": claim[:1],
                "pain_points": claim[1:2],
                "behaviours": claim[2:3],
                "motivations": claim[3:4],
                "quote": {"passage": mine[0][0], "span": ""},
            }
        )
    return json.dumps({"personas": personas}, ensure_ascii=False)


def test_a_question_in_english_on_a_german_study_is_searched_in_german(
    ollama: FakeOllama, data_dir: Path
) -> None:
    german = sorted((ROOT / "samples" / "languages" / "de").iterdir())
    ollama.brain = passage_personas  # usable personas: only usable ones can be talked to
    at = open_page("generate")
    no_exception(at.file_uploader[0].set_value(files(german)).run())
    at = click(at, "Generate personas")
    [run_summary] = Store(history_path(data_dir)).list()
    translated = "Was halten Sie von den Ersatzprodukten?"
    ollama.queue_reply(json.dumps({"translation": translated}, ensure_ascii=False))
    at.chat_input[0].set_value("What do you think of the substitute products?")
    no_exception(at.run())
    translation, answer = ollama.log("/api/chat")[-2:]
    assert "into German" in translation.body["messages"][0]["content"]
    assert "Answer in English" in answer.body["messages"][-1]["content"]
    [turn] = Store(history_path(data_dir)).conversation(run_summary.id, 0)
    assert turn.supported and turn.searched == translated
    assert any("Ersatzprodukte" in quote.text for quote in turn.cited)
    captions = [str(c.value) for c in at.caption]
    assert escape_markdown(f"{SEARCHED}: “{translated}”") in captions


def test_history_chats_from_the_study_and_asks_for_files_it_lost(
    ollama: FakeOllama, data_dir: Path
) -> None:
    generated(open_page("generate"))
    assert open_page("history").chat_input, "the run's files are in its study: no upload"
    [summary] = Store(history_path(data_dir)).list()
    api.remove_from_study(summary.study, [INTERVIEWS[0].name])
    at = open_page("history")
    assert any("not in its study any more" in str(i.value) for i in at.info)
    changed = [(INTERVIEWS[0].name, b"Maria: something else entirely.\n", "text/plain")]
    uploader = next(u for u in at.file_uploader if "research files of this run" in u.label)
    no_exception(uploader.set_value(changed).run())
    assert any("not the same as when this run was made" in str(e.value) for e in at.error)
    uploader = next(u for u in at.file_uploader if "research files of this run" in u.label)
    no_exception(uploader.set_value(files(INTERVIEWS)).run())
    assert at.chat_input, "the chat opens once the right files are uploaded"


def test_compare_runs_two_models_and_shows_them_side_by_side(
    ollama: FakeOllama, data_dir: Path
) -> None:
    api.add_to_study("Commute", [(p.name, p.read_bytes()) for p in INTERVIEWS])
    at = open_page("compare")
    assert "Compare models" in [t.value for t in at.title]
    assert not at.file_uploader  # no study chosen: nothing to compare, and no uploads here
    at.session_state[CURRENT] = "Commute"
    no_exception(at.run())
    no_exception(at.multiselect[0].set_value(["llama3.2:3b", "mistral:7b"]).run())
    at = click(at, "Compare")
    table = at.dataframe[-1].value
    assert list(table.columns) == ["llama3.2:3b", "mistral:7b"]
    assert {"Coverage", "Distinctness", "Time", "Tokens", "Persona 1"} <= set(table.index)
    weak = table.loc["Weak-support citations"]
    assert all(str(cell).endswith("quotes cited with weak support") for cell in weak)
    saved = Store(history_path(data_dir)).list()
    assert {s.model for s in saved} == {"llama3.2:3b", "mistral:7b"}
    assert {s.study for s in saved} == {"Commute"}  # the runs land in the current study
    assert "The personas next to each other" in [s.value for s in at.subheader]
